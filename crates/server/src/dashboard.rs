//! `/dashboard`: the first page after signing in. Province-level accounts see the
//! province's F0..F4 totals (from the `trace_level` table); every unit account sees the
//! cases (F0) of each commune inside its jurisdiction. The F1..F4 breakdown by unit
//! with drill-down is still to come (it needs a per-unit count from the store).

use crate::auth::{CurrentUser, Jurisdiction};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::shell_signed_in;
use crate::persons::within;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Router};
use maud::{html, Markup};
use phongdich_domain::AdminLevel;

/// Routes of this module (signed in).
pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard))
}

fn n(lang: Lang, v: u64) -> String {
    lang.number(i64::try_from(v).unwrap_or(i64::MAX))
}

async fn dashboard(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    lang: Lang,
) -> Result<Markup, AppError> {
    let store = state.store();
    let province_wide =
        matches!(&user.jurisdiction, Jurisdiction::Unit(u) if u.level() == AdminLevel::Province);
    let levels = if province_wide {
        let mut by_level = [0u64; 5];
        for (level, count) in store.trace_level_counts().await? {
            if let Some(slot) = by_level.get_mut(usize::from(level)) {
                *slot = count;
            }
        }
        Some(by_level)
    } else {
        None
    };
    let mut communes = Vec::new();
    if matches!(user.jurisdiction, Jurisdiction::Unit(_)) {
        for c in store.cases_by_commune().await? {
            if within(store, Some(&c.commune), &user.jurisdiction).await? {
                communes.push(c);
            }
        }
    }
    let (kind, code) = user.jurisdiction.parts();
    let content = html! {
        h1 { (lang.t("Bảng điều khiển", "Dashboard")) }
        p.muted {
            (user.session.user.display_name) " · " (user.role.label_vi())
            " · " (lang.t("Địa bàn", "Jurisdiction")) ": " (kind) " " (code)
        }
        @if let Some(levels) = levels {
            div.cards {
                @for (i, count) in levels.iter().enumerate() {
                    div.card {
                        div.n data-level=(i) { (n(lang, *count)) }
                        div.l { span class={ "level f" (i) } { "F" (i) } }
                    }
                }
            }
        }
        @if !communes.is_empty() {
            h2 { (lang.t("Ca bệnh (F0) theo xã", "Cases (F0) by commune")) }
            div.table-wrap { table {
                thead { tr { th { (lang.t("Xã", "Commune")) } th.num { "F0" } } }
                tbody { @for c in &communes { tr {
                    td { (c.name) " " span.muted { (c.commune.as_str()) } }
                    td.num { (n(lang, c.cases)) }
                } } }
            } }
        } @else if matches!(user.jurisdiction, Jurisdiction::Unit(_)) {
            p { (lang.t("Chưa có ca bệnh trên địa bàn.", "No cases in this jurisdiction.")) }
        }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Bảng điều khiển", "Dashboard"),
        "/dashboard",
        &user,
        content,
    ))
}
