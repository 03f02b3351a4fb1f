//! Numbers without personal data: the public totals (kept a minute, so an anonymous
//! visitor never runs a count), the dashboard's F0..F4 by unit with drill-down, and
//! the trace view of one case (a tree of persons: audited as a list read).
//!
//! The dashboard's counts are the stored `trace_level` rows (what the engine last
//! computed) by the persons' units of residence, rolled up from villages and communes
//! to the units shown; "new today" counts the cases recorded since local midnight. A
//! unit's counts are kept 30 seconds (grouping half a million levels takes about a
//! second on SQLite, a commune's thousands 40 ms on PostgreSQL), and dropped when a
//! case is registered here, so its officer sees it at once; while the engine builds
//! they are counted at each view and not kept.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::persons::commune_of;
use crate::App;
use phongdich_domain::{AdminUnit, Timestamp, UnitCode};
use phongdich_store::{Counts, TreeNode};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The public totals, kept a minute.
pub type TotalsCache = crate::cache::TtlCache<(), Counts>;

/// The levels shown: F0..F4.
pub const LEVELS: usize = 5;

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
    /// Adds another unit's numbers.
    pub fn add(&mut self, other: &Numbers) {
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
    now: Timestamp,
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
    let midnight = Timestamp::local_midnight(now.local_date());
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

/// What the dashboard shows for one unit.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The unit shown.
    pub shown: AdminUnit,
    /// From the jurisdiction's unit down to the one shown.
    pub crumbs: Vec<AdminUnit>,
    /// The whole unit's numbers.
    pub total: Numbers,
    /// Its children, most cases first.
    pub rows: Vec<(AdminUnit, Numbers)>,
    /// Persons living in the unit itself, not in a child.
    pub unplaced: Option<Numbers>,
    /// The communes with most cases (at most 20).
    pub hot: Vec<(AdminUnit, u64)>,
}

/// Persons reached at each level in one commune (code and name; `None`: unknown).
pub type CommuneCounts = (Option<(UnitCode, String)>, [u64; LEVELS]);

/// The trace view of a case.
#[derive(Debug, Clone)]
pub struct CaseTrace {
    /// The case.
    pub case: phongdich_store::CaseRecord,
    /// The case (or the person traced from).
    pub person: phongdich_store::Person,
    /// The tree: the person first, then everyone reached through them, each with the
    /// person one level up.
    pub nodes: Vec<TreeNode>,
    /// Which nodes the actor may see by name.
    pub visible: Vec<bool>,
    /// Persons reached at F1..F4 (index 1..4).
    pub per_level: [u64; LEVELS],
    /// The same by commune of residence (`None`: unknown), with the commune's name.
    pub per_commune: Vec<CommuneCounts>,
}

impl App {
    /// The public totals (people, households, places, presences, contacts, cases,
    /// tests), computed at most once a minute.
    pub async fn totals(&self) -> AppResult<Counts> {
        let store = self.store();
        self.inner
            .totals
            .get_or_compute((), || async { Ok::<_, AppError>(store.counts().await?) })
            .await
    }

    /// The dashboard of the actor's jurisdiction, or of `unit` inside it; `None` for
    /// a place-bound account (it works with its own lists).
    pub async fn dashboard(
        &self,
        actor: &Actor,
        unit: Option<&str>,
    ) -> AppResult<Option<Dashboard>> {
        let scope = match self.scope(actor).await {
            Ok(s) => s,
            Err(AppError::Forbidden) => return Ok(None),
            Err(e) => return Err(e),
        };
        let store = self.store();
        let shown = scope
            .chosen(store, unit)
            .await?
            .unwrap_or_else(|| scope.root.clone());
        let shown_unit = store.unit(&shown).await?;
        // The whole deployment counts without a filter; any other unit by its subtree.
        let filter = (!(scope.whole() && shown == scope.root)).then(|| shown.clone());
        let now = self.now();
        // While the engine builds, the stored levels are about to change: counted at
        // each view, never kept.
        let building = matches!(self.engine().status(), crate::EngineStatus::Building { .. });
        let by_unit = if building {
            Arc::new(count_by_unit(store, filter.as_ref(), now).await?)
        } else {
            self.inner
                .dashboard_counts
                .get_or_compute(shown.clone(), || async {
                    Ok::<_, AppError>(Arc::new(count_by_unit(store, filter.as_ref(), now).await?))
                })
                .await?
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
        let mut rows: Vec<(AdminUnit, Numbers)> = subtree
            .iter()
            .filter(|u| u.parent.as_ref() == Some(&shown))
            .map(|u| {
                (
                    u.clone(),
                    rolled
                        .get(&Some(u.code.clone()))
                        .copied()
                        .unwrap_or_default(),
                )
            })
            .collect();
        rows.sort_by(|a, b| b.1.levels.cmp(&a.1.levels).then(a.0.code.cmp(&b.0.code)));
        let unplaced = rolled.get(&None).copied();
        let mut crumbs = vec![shown_unit.clone()];
        while let Some(parent) = crumbs.last().and_then(|u| u.parent.clone()) {
            if crumbs.last().is_some_and(|u| u.code == scope.root) {
                break;
            }
            crumbs.push(store.unit(&parent).await?);
        }
        crumbs.reverse();
        let mut f0_by_commune: HashMap<UnitCode, u64> = HashMap::new();
        for (unit, numbers) in by_unit.iter() {
            if let Some(c) = commune_of(unit) {
                if numbers.cases > 0 {
                    *f0_by_commune.entry(c).or_default() += numbers.cases;
                }
            }
        }
        let mut hot: Vec<(AdminUnit, u64)> = f0_by_commune
            .into_iter()
            .filter_map(|(c, n)| names.get(&c).map(|u| ((*u).clone(), n)))
            .collect();
        hot.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.code.cmp(&b.0.code)));
        hot.truncate(20);
        Ok(Some(Dashboard {
            shown: shown_unit,
            crumbs,
            total,
            rows,
            unplaced,
            hot,
        }))
    }

    /// The trace view of case `case_id`: everyone reached through its person, as a
    /// tree, with counts by level and commune. Persons outside the jurisdiction are
    /// counted but not named. Audited as a list read with the persons shown.
    pub async fn case_trace(&self, actor: &Actor, case_id: i64) -> AppResult<CaseTrace> {
        let case = self.store().case(case_id).await?;
        let (person, scope) = self
            .person_in_scope(actor, case.person_id, crate::Action::Read)
            .await?;
        let nodes = self.store().trace_tree(person.id, 4).await?;
        let visible: Vec<bool> = nodes
            .iter()
            .map(|n| scope.contains(n.unit_code.as_ref()))
            .collect();
        let mut per_level = [0u64; LEVELS];
        let mut by_commune: BTreeMap<Option<UnitCode>, [u64; LEVELS]> = BTreeMap::new();
        for n in nodes.iter().skip(1) {
            let l = usize::from(n.level).min(LEVELS - 1);
            per_level[l] += 1;
            by_commune
                .entry(n.unit_code.as_ref().and_then(commune_of))
                .or_default()[l] += 1;
        }
        let names = self
            .unit_names(by_commune.keys().flatten().cloned().collect::<Vec<_>>())
            .await?;
        let per_commune = by_commune
            .into_iter()
            .map(|(c, counts)| {
                (
                    c.map(|c| {
                        let n = names.get(&c).cloned().unwrap_or_default();
                        (c, n)
                    }),
                    counts,
                )
            })
            .collect();
        let shown: Vec<i64> = nodes
            .iter()
            .zip(&visible)
            .filter(|(_, v)| **v)
            .map(|(n, _)| n.person_id)
            .take(2_000)
            .collect();
        self.store()
            .insert_audit_event(&self.event(
                actor,
                "view",
                "case_trace",
                case.id,
                Some(serde_json::json!({ "persons": shown })),
            ))
            .await?;
        Ok(CaseTrace {
            case,
            person,
            nodes,
            visible,
            per_level,
            per_commune,
        })
    }
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
