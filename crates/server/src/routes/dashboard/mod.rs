//! `/dashboard`: the first page after signing in, with the seed directives' numbers for
//! the user's jurisdiction: F0 new today and in all, F1, F2, F3 and F4, in total and by
//! administrative unit, with drill-down (`?unit=CODE`: province, district, commune,
//! village), and the communes with the most cases. The numbers come from the app's
//! `dashboard` use case; while the tracing engine builds, the page says so above them.

use super::{Guard, Route};
use crate::state::AppState;
use crate::web::error::{WebError, WebQuery};
use crate::web::i18n::Lang;
use crate::web::layout::{engine_notice, shell_signed_in};
use crate::web::session::CurrentUser;
use axum::extract::State;
use maud::{html, Markup};
use phongdich_app::overview::LEVELS;
use phongdich_domain::AdminLevel;
use serde::Deserialize;

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![Route::get(
        "/dashboard",
        "/dashboard?unit=105",
        Guard::SignedIn,
        dashboard,
    )]
}

#[derive(Debug, Deserialize)]
struct DashboardQuery {
    unit: Option<String>,
}

fn n(lang: Lang, v: u64) -> String {
    lang.number(i64::try_from(v).unwrap_or(i64::MAX))
}

/// A count of level `level`: while the engine builds, F1–F4 are not known yet and show
/// as "…", never as a zero that looks like data (cases, F0, are always known).
fn level_count(lang: Lang, building: bool, level: usize, v: u64) -> String {
    if building && level > 0 {
        "…".to_owned()
    } else {
        n(lang, v)
    }
}

async fn dashboard(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebQuery(q): WebQuery<DashboardQuery>,
) -> Result<Markup, WebError> {
    let role = match lang {
        Lang::Vi => user.actor.role.label_vi(),
        Lang::En => user.actor.role.label_en(),
    };
    let heading = |scope: &str| {
        html! {
            h1 { (lang.t("Bảng điều khiển", "Dashboard")) }
            p.muted {
                (user.display_name) " · " (role)
                " · " (lang.t("Địa bàn", "Jurisdiction")) ": " (scope)
            }
        }
    };
    let dashboard = state
        .app()
        .dashboard(&user.actor, q.unit.as_deref())
        .await?;
    let Some(d) = dashboard else {
        let (_, place) = user.actor.jurisdiction.parts();
        let heading = heading(place);
        // Facilities, checkpoints and operators see their own rosters, not the
        // population's numbers.
        let content = html! {
            (heading)
            p { (lang.t("Tài khoản này làm việc với danh sách của cơ sở mình.", "This account works with its own place's lists.")) }
        };
        return Ok(shell_signed_in(
            lang,
            lang.t("Bảng điều khiển", "Dashboard"),
            "/dashboard",
            &user,
            content,
        ));
    };
    let heading = heading(d.crumbs.first().map_or("", |u| u.name.as_str()));
    // The day "new today" counts (the demo's clock reads its last day).
    let today = state.app().now().local_date();
    let engine = state.app().engine().status();
    let building = matches!(engine, phongdich_app::EngineStatus::Building { .. });
    let content = html! {
        (heading)
        (engine_notice(lang, &engine))
        nav.crumbs aria-label=(lang.t("Địa bàn", "Units")) {
            @for (i, u) in d.crumbs.iter().enumerate() {
                @if i > 0 { " › " }
                @if u.code == d.shown.code { strong { (u.name) } }
                @else { a href={ "/dashboard?unit=" (u.code.as_str()) } { (u.name) } }
            }
        }
        div.cards {
            div.card {
                div.n data-new="0" { (n(lang, d.total.new_cases)) }
                div.l {
                    span class="level f0" { "F0" } " " (lang.t("mới hôm nay", "new today"))
                    " " span.muted #today { (today.format("%d/%m/%Y").to_string()) }
                }
            }
            @for (i, count) in d.total.levels.iter().enumerate() {
                div.card {
                    div.n data-level=(i) { (level_count(lang, building, i, *count)) }
                    div.l { span class={ "level f" (i) } { "F" (i) } @if i == 0 { " " (lang.t("tổng số", "in all")) } }
                }
            }
        }
        @if !d.rows.is_empty() {
            h2 { (lang.t("Theo địa bàn", "By unit")) }
            div.table-wrap { table #by-unit {
                thead { tr {
                    th { (lang.t("Đơn vị", "Unit")) }
                    th.num { "F0 " (lang.t("mới", "new")) }
                    @for i in 0..LEVELS { th.num { "F" (i) } }
                } }
                tbody {
                    @for (u, v) in &d.rows { tr data-unit=(u.code.as_str()) {
                        td {
                            @if u.level == AdminLevel::Village { (u.name) }
                            @else { a href={ "/dashboard?unit=" (u.code.as_str()) } { (u.name) } }
                        }
                        td.num { (n(lang, v.new_cases)) }
                        @for (i, c) in v.levels.into_iter().enumerate() { td.num { (level_count(lang, building, i, c)) } }
                    } }
                    @if let Some(v) = d.unplaced { tr {
                        td.muted { (lang.t("(không rõ đơn vị cấp dưới)", "(no lower unit recorded)")) }
                        td.num { (n(lang, v.new_cases)) }
                        @for (i, c) in v.levels.into_iter().enumerate() { td.num { (level_count(lang, building, i, c)) } }
                    } }
                }
            } }
        }
        @if !d.hot.is_empty() {
            h2 { (lang.t("Ca bệnh (F0) theo xã", "Cases (F0) by commune")) }
            div.table-wrap { table {
                thead { tr { th { (lang.t("Xã", "Commune")) } th.num { "F0" } } }
                tbody { @for (c, cases) in &d.hot { tr {
                    td { a href={ "/dashboard?unit=" (c.code.as_str()) } { (c.name) } }
                    td.num { (n(lang, *cases)) }
                } } }
            } }
        } @else {
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
