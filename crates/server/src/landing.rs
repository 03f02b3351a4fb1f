//! The public landing page: the province's totals (people, households, places,
//! presences, contacts, cases, tests). Totals only: no names, nothing per person.

use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::shell;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(landing))
}

async fn landing(State(state): State<AppState>, lang: Lang) -> Result<Markup, AppError> {
    let c = state.store().counts().await?;
    let cards: [(&str, &str, u64); 7] = [
        ("Người dân", "People", c.persons),
        ("Hộ gia đình", "Households", c.households),
        ("Địa điểm", "Places", c.places),
        ("Lượt có mặt", "Presences", c.presences),
        ("Tiếp xúc gần", "Close contacts", c.contacts),
        ("Ca bệnh (F0)", "Cases (F0)", c.cases),
        ("Xét nghiệm", "Tests", c.tests),
    ];
    let content = html! {
        h1 { (lang.t("Tình hình dịch trên địa bàn tỉnh", "The epidemic in the province")) }
        div.cards {
            @for (vi, en, n) in cards {
                div.card {
                    div.n data-count=(n) { (lang.number(i64::try_from(n).unwrap_or(i64::MAX))) }
                    div.l { (lang.t(vi, en)) }
                }
            }
        }
        p.muted {
            (lang.t(
                "Cán bộ Ban Chỉ đạo, Sở Y tế, huyện và xã đăng nhập để xem chi tiết.",
                "Staff of the Steering Committee, the Department of Health, districts and communes sign in for details."
            ))
        }
    };
    Ok(shell(lang, lang.t("Tổng quan", "Overview"), "/", content))
}
