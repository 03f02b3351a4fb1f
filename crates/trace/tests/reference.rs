//! The engine against the naive reference of `common`: on random small inputs (full,
//! incremental in any order), and on the three measured contact data sets.

#![allow(clippy::unwrap_used)]

mod common;

use common::{check_chains, levels, naive};
use phongdich_trace::{Case, Contact, Engine, Kind, Params, Presence, Thresholds};
use proptest::prelude::*;

const PERSONS: usize = 8;

#[derive(Debug, Clone)]
enum Item {
    Case(Case),
    Contact(Contact),
    Presence(Presence),
}

fn params() -> impl Strategy<Value = Params> {
    (
        0u8..=4,
        proptest::option::weighted(0.3, 0i64..150),
        proptest::array::uniform5(prop_oneof![Just(0i64), 0i64..30]),
    )
        .prop_map(|(max_level, as_of, t)| Params {
            max_level,
            as_of,
            thresholds: Thresholds {
                contact: t[0],
                household: t[1],
                room: t[2],
                vehicle: t[3],
                venue: t[4],
            },
        })
}

fn interval() -> impl Strategy<Value = (i64, i64)> {
    (0i64..100, 0i64..40).prop_map(|(s, len)| (s, s + len))
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    let person = 0u32..PERSONS as u32;
    let case = (person.clone(), 0i64..100, proptest::option::of(0i64..140)).prop_map(
        |(person, infectious_from, isolated_at)| {
            Item::Case(Case {
                person,
                infectious_from,
                isolated_at,
            })
        },
    );
    let contact = (person.clone(), 1u32..PERSONS as u32, interval()).prop_map(|(a, d, (s, e))| {
        Item::Contact(Contact {
            a,
            b: (a + d) % PERSONS as u32,
            start: s,
            end: e,
        })
    });
    let presence = (person, 0u32..6, interval()).prop_map(|(person, place, (s, e))| {
        Item::Presence(Presence {
            person,
            place,
            kind: Kind::ALL[place as usize % 4],
            start: s,
            end: e,
        })
    });
    proptest::collection::vec(prop_oneof![1 => case, 3 => contact, 4 => presence], 0..30).prop_map(
        |mut items| {
            // One case per person: with two, which one wins would depend on the order.
            let mut seen = [false; PERSONS];
            items.retain(|i| match i {
                Item::Case(c) => !std::mem::replace(&mut seen[c.person as usize], true),
                _ => true,
            });
            items
        },
    )
}

fn split(items: &[Item]) -> (Vec<Case>, Vec<Contact>, Vec<Presence>) {
    let (mut cases, mut contacts, mut presences) = (vec![], vec![], vec![]);
    for item in items {
        match item {
            Item::Case(c) => cases.push(*c),
            Item::Contact(c) => contacts.push(*c),
            Item::Presence(p) => presences.push(*p),
        }
    }
    (cases, contacts, presences)
}

/// The levels and links of every person before a change.
struct Snapshot {
    levels: Vec<Option<(u8, i64)>>,
    links: Vec<Option<phongdich_trace::Link>>,
}

impl Snapshot {
    fn of(engine: &Engine) -> Self {
        Self {
            levels: levels(engine, PERSONS),
            links: (0..PERSONS as u32).map(|v| engine.link(v)).collect(),
        }
    }

    /// After the change that gave `update`: the levels are the naive reference's over
    /// the items now stored, every person whose level or link moved is reported, and
    /// every chain is sound.
    fn check(
        &self,
        engine: &Engine,
        params: &Params,
        update: &phongdich_trace::Update,
        (cases, contacts, presences): (&[Case], &[Contact], &[Presence]),
    ) -> Result<(), String> {
        let now = levels(engine, PERSONS);
        let expected = naive(params, PERSONS, cases, contacts, presences);
        if now != expected {
            return Err(format!("levels {now:?}, expected {expected:?}"));
        }
        let states = self.levels.iter().zip(&self.links).zip(&now);
        for (v, ((was, link_was), is)) in (0u32..).zip(states) {
            let moved = was != is || *link_was != engine.link(v);
            if moved && !update.changed.contains(&v) {
                return Err(format!("{v} changed {was:?} -> {is:?} but not reported"));
            }
        }
        check_chains(engine, PERSONS, cases, contacts, presences)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn full_recompute_equals_the_naive_reference(
        params in params(),
        items in items(),
        scan in any::<bool>(),
    ) {
        let (cases, contacts, presences) = split(&items);
        let mut engine = Engine::build(params, &cases, &contacts, &presences).unwrap();
        if scan {
            engine.set_scan_from(0);
            engine.recompute();
        }
        let expected = naive(&params, PERSONS, &cases, &contacts, &presences);
        prop_assert_eq!(levels(&engine, PERSONS), expected);
        check_chains(&engine, PERSONS, &cases, &contacts, &presences)
            .map_err(TestCaseError::fail)?;
    }

    #[test]
    fn incremental_in_any_order_equals_full_and_reports_every_change(
        params in params(),
        (items, order) in items().prop_flat_map(|items| {
            let n = items.len();
            (Just(items), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        }),
        scan in any::<bool>(),
    ) {
        let mut engine = Engine::new(params);
        engine.set_scan_from(if scan { 0 } else { usize::MAX });
        let mut added: Vec<Item> = Vec::new();
        for &i in &order {
            let before = Snapshot::of(&engine);
            let update = match &items[i] {
                Item::Case(c) => engine.add_case(*c),
                Item::Contact(c) => engine.add_contact(*c),
                Item::Presence(p) => engine.add_presence(*p),
            }
            .unwrap();
            added.push(items[i].clone());
            let (cases, contacts, presences) = split(&added);
            before
                .check(&engine, &params, &update, (&cases, &contacts, &presences))
                .map_err(|e| TestCaseError::fail(format!("after adding {:?}: {e}", &items[i])))?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// A check-out moves a presence's end, earlier or later: the levels are those of
    /// the presences as they now are, and every person whose level or link moved is
    /// reported.
    #[test]
    fn moving_a_presence_end_equals_full_and_reports_every_change(
        params in params(),
        items in items(),
        moves in proptest::collection::vec((any::<proptest::sample::Index>(), 0i64..60), 1..6),
        scan in any::<bool>(),
    ) {
        let mut engine = Engine::new(params);
        engine.set_scan_from(if scan { 0 } else { usize::MAX });
        let (cases, contacts, mut presences) = split(&items);
        for c in &cases {
            engine.add_case(*c).unwrap();
        }
        for c in &contacts {
            engine.add_contact(*c).unwrap();
        }
        for p in &presences {
            engine.add_presence(*p).unwrap();
        }
        if presences.is_empty() {
            return Ok(());
        }
        for (which, length) in moves {
            let i = which.index(presences.len());
            let before = Snapshot::of(&engine);
            let end = presences[i].start + length;
            let update = engine.set_presence_end(presences[i], end).unwrap();
            presences[i].end = end;
            before
                .check(&engine, &params, &update, (&cases, &contacts, &presences))
                .map_err(|e| {
                    TestCaseError::fail(format!("after moving the end of {:?} to {end}: {e}", presences[i]))
                })?;
        }
    }
}

/// The measured data sets of testdata/contacts (SocioPatterns): contacts as recorded,
/// plus presences derived from them (each person at their ward role, class or
/// department from their first to their last contact of each day).
mod measured {
    use super::*;
    use phongdich_trace::Ids;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    struct DataSet {
        persons: Ids<String>,
        contacts: Vec<Contact>,
        presences: Vec<Presence>,
    }

    fn read(name: &str, group_column: usize, kind: Kind) -> DataSet {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/contacts");
        let contacts_text = std::fs::read_to_string(dir.join(format!("{name}_contacts.csv")))
            .expect("the data set is in the repository");
        let people_text = std::fs::read_to_string(dir.join(format!("{name}_people.csv")))
            .expect("the data set is in the repository");
        let mut persons = Ids::new();
        let mut groups = Ids::new();
        let mut group_of = BTreeMap::new();
        for line in people_text.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            let person = persons.index(fields[0].to_string());
            group_of.insert(person, groups.index(fields[group_column].to_string()));
        }
        let mut contacts = Vec::new();
        // (person, day) -> first and last instant seen
        let mut days: BTreeMap<(u32, i64), (i64, i64)> = BTreeMap::new();
        for line in contacts_text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (a, b) = (
                persons.index(f[0].to_string()),
                persons.index(f[1].to_string()),
            );
            let (start, end) = (f[2].parse().unwrap(), f[3].parse().unwrap());
            contacts.push(Contact { a, b, start, end });
            for p in [a, b] {
                let span = days
                    .entry((p, start.div_euclid(86_400)))
                    .or_insert((start, end));
                span.0 = span.0.min(start);
                span.1 = span.1.max(end);
            }
        }
        let presences = days
            .into_iter()
            .filter_map(|((person, _), (start, end))| {
                group_of.get(&person).map(|&place| Presence {
                    person,
                    place,
                    kind,
                    start,
                    end,
                })
            })
            .collect();
        DataSet {
            persons,
            contacts,
            presences,
        }
    }

    /// Cases: `count` persons spread over the list, each infectious for two hours
    /// from a different hour of the first day, the first one never isolated.
    fn cases(data: &DataSet, count: usize) -> Vec<Case> {
        let t0 = data.contacts.iter().map(|c| c.start).min().unwrap_or(0);
        let step = data.persons.len() / count;
        (0..count)
            .map(|i| Case {
                person: (i * step) as u32,
                infectious_from: t0 + 3_600 * i as i64,
                isolated_at: (i > 0).then_some(t0 + 3_600 * (i as i64 + 2)),
            })
            .collect()
    }

    fn check(name: &str, group_column: usize, kind: Kind, count: usize) {
        let data = read(name, group_column, kind);
        let n = data.persons.len();
        let cases = cases(&data, count);
        for (contacts, presences) in [
            (&data.contacts[..], &[][..]),
            (&data.contacts[..], &data.presences[..]),
        ] {
            for max_level in [1, 4] {
                let params = Params {
                    max_level,
                    ..Params::default()
                };
                let mut engine = Engine::build(params, &cases, contacts, presences).unwrap();
                let got = levels(&engine, n);
                engine.set_scan_from(0);
                engine.recompute();
                assert_eq!(levels(&engine, n), got, "{name}: scanning places");
                assert_eq!(
                    got,
                    naive(&params, n, &cases, contacts, presences),
                    "{name}"
                );
                let mut counts = vec![0; usize::from(max_level) + 1];
                for r in got.iter().flatten() {
                    counts[usize::from(r.0)] += 1;
                }
                eprintln!(
                    "{name}: {} presences, F0..F{max_level} {counts:?}",
                    presences.len()
                );
                // Dense real networks: everyone is within a few hops of the cases.
                assert!(counts.iter().take(3).all(|&c| c > 0), "{name}: {counts:?}");
                check_chains(&engine, n, &cases, contacts, presences).unwrap();
            }
        }
        // Incrementally, a case at a time, on contacts only.
        let params = Params::default();
        let mut engine = Engine::build(params, &[], &data.contacts, &[]).unwrap();
        for c in &cases {
            engine.add_case(*c).unwrap();
        }
        assert_eq!(
            levels(&engine, n),
            naive(&params, n, &cases, &data.contacts, &[])
        );
    }

    #[test]
    fn hospital_ward_agrees_with_the_reference() {
        check("hospital", 1, Kind::Venue, 3);
    }

    #[test]
    fn high_school_agrees_with_the_reference() {
        check("highschool", 1, Kind::Room, 3);
    }

    #[test]
    fn office_agrees_with_the_reference() {
        check("workplace", 1, Kind::Venue, 3);
    }
}
