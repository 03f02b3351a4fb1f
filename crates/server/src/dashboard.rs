//! `/dashboard`: the first page after signing in, with the seed directives' numbers for
//! the user's jurisdiction: F0 new today and in all, F1, F2, F3 and F4, in total and by
//! administrative unit, with drill-down (`?unit=CODE`: province, district, commune,
//! village), and the communes with the most cases.
//!
//! The counts are the stored `trace_level` rows (what the engine last computed) by the
//! persons' units of residence, rolled up here from villages and communes to the units
//! shown; "new today" counts the cases recorded since local midnight. A district's or
//! the province's counts are kept 30 seconds (grouping half a million levels takes
//! about a second on SQLite); a commune's are counted at each view.

use crate::auth::{CurrentUser, Jurisdiction};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::shell_signed_in;
use crate::scope::Scope;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Router};
use maud::{html, Markup};
use phongdich_domain::{AdminLevel, AdminUnit, Timestamp, UnitCode};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Routes of this module (signed in).
pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard))
}

/// The levels shown: F0..F4.
const LEVELS: usize = 5;

/// The numbers of one unit: cases recorded today, then persons at each level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Numbers {
    /// Cases recorded since local midnight.
    pub new_cases: u64,
    /// Cases recorded in all (the case table, whether traced yet or not).
    pub cases: u64,
    /// Persons at F0..F4.
    pub levels: [u64; LEVELS],
}

impl Numbers {
    fn add(&mut self, other: &Numbers) {
        self.new_cases += other.new_cases;
        self.cases += other.cases;
        for (a, b) in self.levels.iter_mut().zip(other.levels) {
            *a += b;
        }
    }
}

/// Rolls numbers counted by unit of residence (villages, communes) up to the children
/// of `shown`: `parents` maps every unit under `shown` to its parent. Units not under
/// `shown` are dropped; persons living in `shown` itself land under `None`.
pub fn roll_up(
    shown: &UnitCode,
    parents: &HashMap<UnitCode, Option<UnitCode>>,
    counts: impl IntoIterator<Item = (UnitCode, Numbers)>,
) -> HashMap<Option<UnitCode>, Numbers> {
    let mut out: HashMap<Option<UnitCode>, Numbers> = HashMap::new();
    for (unit, numbers) in counts {
        let mut current = unit;
        // Four levels at most: village, commune, district, province.
        let child = loop {
            if &current == shown {
                break Some(None);
            }
            match parents.get(&current) {
                Some(Some(parent)) if parent == shown => break Some(Some(current)),
                Some(Some(parent)) => current = parent.clone(),
                _ => break None,
            }
        };
        if let Some(child) = child {
            out.entry(child).or_default().add(&numbers);
        }
    }
    out
}

/// Numbers by unit of residence (village or commune) under a unit.
pub type CountsCache = crate::cache::TtlCache<UnitCode, Arc<HashMap<UnitCode, Numbers>>>;

/// Counts the levels (stored by the engine) and today's new cases by unit of
/// residence, for persons living under `filter` (`None`: everyone).
async fn count_by_unit(
    store: &phongdich_store::Store,
    filter: Option<&UnitCode>,
) -> Result<HashMap<UnitCode, Numbers>, AppError> {
    let mut by_unit: HashMap<UnitCode, Numbers> = HashMap::new();
    for c in store.trace_counts_by_unit(filter).await? {
        if let Some(unit) = c.unit_code {
            if let Some(v) = by_unit
                .entry(unit)
                .or_default()
                .levels
                .get_mut(usize::from(c.level))
            {
                *v += c.persons;
            }
        }
    }
    let midnight = Timestamp::local_midnight(Timestamp(crate::auth::now()).local_date());
    for (unit, count) in store.new_cases_by_unit(filter, midnight).await? {
        if let Some(unit) = unit {
            by_unit.entry(unit).or_default().new_cases += count;
        }
    }
    for (unit, count) in store.new_cases_by_unit(filter, Timestamp(i64::MIN)).await? {
        if let Some(unit) = unit {
            by_unit.entry(unit).or_default().cases += count;
        }
    }
    Ok(by_unit)
}

#[derive(Debug, Deserialize)]
struct DashboardQuery {
    unit: Option<String>,
}

fn n(lang: Lang, v: u64) -> String {
    lang.number(i64::try_from(v).unwrap_or(i64::MAX))
}

async fn dashboard(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    lang: Lang,
    Query(q): Query<DashboardQuery>,
) -> Result<Markup, AppError> {
    let store = state.store();
    let (kind, code) = user.jurisdiction.parts();
    let heading = html! {
        h1 { (lang.t("Bảng điều khiển", "Dashboard")) }
        p.muted {
            (user.session.user.display_name) " · " (user.role.label_vi())
            " · " (lang.t("Địa bàn", "Jurisdiction")) ": " (kind) " " (code)
        }
    };
    let Some(scope) = Scope::of(store, &user.jurisdiction).await? else {
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
    let shown = match q.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(text) => {
            let code =
                UnitCode::parse(text).map_err(|_| AppError::BadRequest("unit: not a unit code"))?;
            scope
                .narrow(store, &code)
                .await?
                .ok_or(AppError::NotFound)?
        }
        None => scope.root.clone(),
    };
    let shown_unit = store.unit(&shown).await?;
    let filter = (shown.level() != AdminLevel::Province).then(|| shown.clone());

    // A district's or the province's counts group hundreds of thousands of rows: kept
    // 30 seconds. A commune's are counted live.
    let by_unit = match shown.level() {
        AdminLevel::Province | AdminLevel::District => {
            state
                .dashboard_counts()
                .get_or_compute(shown.clone(), || async {
                    Ok::<_, AppError>(Arc::new(count_by_unit(store, filter.as_ref()).await?))
                })
                .await?
        }
        _ => Arc::new(count_by_unit(store, filter.as_ref()).await?),
    };
    let subtree = store.units_under(&shown).await?;
    let parents: HashMap<UnitCode, Option<UnitCode>> = subtree
        .iter()
        .map(|u| (u.code.clone(), u.parent.clone()))
        .collect();
    let names: HashMap<UnitCode, &AdminUnit> =
        subtree.iter().map(|u| (u.code.clone(), u)).collect();
    let rolled = roll_up(
        &shown,
        &parents,
        by_unit.iter().map(|(u, n)| (u.clone(), *n)),
    );
    let mut total = Numbers::default();
    for v in rolled.values() {
        total.add(v);
    }
    let mut rows: Vec<(&AdminUnit, Numbers)> = subtree
        .iter()
        .filter(|u| u.parent.as_ref() == Some(&shown))
        .map(|u| {
            (
                u,
                rolled
                    .get(&Some(u.code.clone()))
                    .copied()
                    .unwrap_or_default(),
            )
        })
        .collect();
    rows.sort_by(|a, b| b.1.levels.cmp(&a.1.levels).then(a.0.code.cmp(&b.0.code)));
    let unplaced = rolled.get(&None).copied();

    // The path from the jurisdiction down to the unit shown, for going back up.
    let mut crumbs = vec![shown_unit.clone()];
    while let Some(parent) = crumbs.last().and_then(|u| u.parent.clone()) {
        if crumbs.last().is_some_and(|u| u.code == scope.root) {
            break;
        }
        crumbs.push(store.unit(&parent).await?);
    }
    crumbs.reverse();

    // The communes with most cases, from the same counts.
    let mut f0_by_commune: HashMap<UnitCode, u64> = HashMap::new();
    for (unit, numbers) in by_unit.iter() {
        if let Some(c) = crate::case_trace::commune_of(unit) {
            if numbers.cases > 0 {
                *f0_by_commune.entry(c).or_default() += numbers.cases;
            }
        }
    }
    let mut hot: Vec<(&AdminUnit, u64)> = f0_by_commune
        .into_iter()
        .filter_map(|(c, n)| names.get(&c).map(|u| (*u, n)))
        .collect();
    hot.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.code.cmp(&b.0.code)));
    hot.truncate(20);

    let content = html! {
        (heading)
        nav.crumbs aria-label=(lang.t("Địa bàn", "Units")) {
            @for (i, u) in crumbs.iter().enumerate() {
                @if i > 0 { " › " }
                @if u.code == shown { strong { (u.name) } }
                @else { a href={ "/dashboard?unit=" (u.code.as_str()) } { (u.name) } }
            }
        }
        div.cards {
            div.card {
                div.n data-new="0" { (n(lang, total.new_cases)) }
                div.l { span class="level f0" { "F0" } " " (lang.t("mới hôm nay", "new today")) }
            }
            @for (i, count) in total.levels.iter().enumerate() {
                div.card {
                    div.n data-level=(i) { (n(lang, *count)) }
                    div.l { span class={ "level f" (i) } { "F" (i) } @if i == 0 { " " (lang.t("tổng số", "in all")) } }
                }
            }
        }
        @if !rows.is_empty() {
            h2 { (lang.t("Theo địa bàn", "By unit")) }
            div.table-wrap { table #by-unit {
                thead { tr {
                    th { (lang.t("Đơn vị", "Unit")) }
                    th.num { "F0 " (lang.t("mới", "new")) }
                    @for i in 0..LEVELS { th.num { "F" (i) } }
                } }
                tbody {
                    @for (u, v) in &rows { tr data-unit=(u.code.as_str()) {
                        td {
                            @if u.level == AdminLevel::Village { (u.name) }
                            @else { a href={ "/dashboard?unit=" (u.code.as_str()) } { (u.name) } }
                            " " span.muted { (u.code.as_str()) }
                        }
                        td.num { (n(lang, v.new_cases)) }
                        @for c in v.levels { td.num { (n(lang, c)) } }
                    } }
                    @if let Some(v) = unplaced { tr {
                        td.muted { (lang.t("(không rõ đơn vị cấp dưới)", "(no lower unit recorded)")) }
                        td.num { (n(lang, v.new_cases)) }
                        @for c in v.levels { td.num { (n(lang, c)) } }
                    } }
                }
            } }
        }
        @if !hot.is_empty() {
            h2 { (lang.t("Ca bệnh (F0) theo xã", "Cases (F0) by commune")) }
            div.table-wrap { table {
                thead { tr { th { (lang.t("Xã", "Commune")) } th.num { "F0" } } }
                tbody { @for (c, cases) in &hot { tr {
                    td { a href={ "/dashboard?unit=" (c.code.as_str()) } { (c.name) } " " span.muted { (c.code.as_str()) } }
                    td.num { (n(lang, *cases)) }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    #[test]
    fn villages_and_communes_roll_up_to_the_children_shown() {
        let parents: HashMap<UnitCode, Option<UnitCode>> = [
            ("105", Some("12")),
            ("03386", Some("105")),
            ("03386-01", Some("03386")),
            ("03389", Some("105")),
        ]
        .into_iter()
        .map(|(c, p)| (code(c), p.map(code)))
        .collect();
        let numbers = |f1: u64| Numbers {
            new_cases: 0,
            cases: 0,
            levels: [0, f1, 0, 0, 0],
        };
        let counts = vec![
            (code("03386-01"), numbers(2)),
            (code("03386"), numbers(3)),
            (code("03389"), numbers(4)),
            (code("77777"), numbers(100)),
        ];
        let district = roll_up(&code("105"), &parents, counts.clone());
        assert_eq!(district[&Some(code("03386"))].levels[1], 5);
        assert_eq!(district[&Some(code("03389"))].levels[1], 4);
        assert_eq!(district.len(), 2, "units outside are dropped");
        let commune = roll_up(&code("03386"), &parents, counts);
        assert_eq!(commune[&Some(code("03386-01"))].levels[1], 2);
        assert_eq!(commune[&None].levels[1], 3, "persons of the commune itself");
    }
}
