//! The public landing page: the province's totals (people, households, places,
//! presences, contacts, cases, tests). Totals only: no names, nothing per person.

use super::{Guard, Route};
use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::i18n::Lang;
use crate::web::layout::shell;
use axum::extract::State;
use maud::{html, Markup};

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![Route::get("/", "/", Guard::Public, landing)]
}

/// Totals come from the app's cache (computed at most once a minute): anonymous
/// visitors never run a count over millions of rows.
async fn landing(State(state): State<AppState>, lang: Lang) -> Result<Markup, WebError> {
    let c = state.app().totals().await?;
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
