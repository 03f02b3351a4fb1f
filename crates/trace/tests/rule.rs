//! One test per consequence of the rule in docs/tracing.md, and the edges around them.

#![allow(clippy::unwrap_used)]

use phongdich_trace::{
    Case, Contact, Engine, Kind, Link, Params, Presence, Reached, Thresholds, TraceError, Via,
};

const H: i64 = 3600;

fn case(person: u32, infectious_from: i64, isolated_at: Option<i64>) -> Case {
    Case {
        person,
        infectious_from,
        isolated_at,
    }
}

fn contact(a: u32, b: u32, start: i64, end: i64) -> Contact {
    Contact { a, b, start, end }
}

fn at(person: u32, place: u32, kind: Kind, start: i64, end: i64) -> Presence {
    Presence {
        person,
        place,
        kind,
        start,
        end,
    }
}

fn reached(engine: &Engine, v: u32) -> Option<(u8, i64)> {
    engine.reached(v).map(|r| (r.level, r.exposed_at))
}

fn build(cases: &[Case], contacts: &[Contact], presences: &[Presence]) -> Engine {
    Engine::build(Params::default(), cases, contacts, presences).unwrap()
}

#[test]
fn a_case_is_level_zero_from_its_infectious_start() {
    let e = build(&[case(0, 10 * H, None)], &[], &[]);
    assert_eq!(reached(&e, 0), Some((0, 10 * H)));
    assert!(e.link(0).is_none());
    assert!(e.chain(0).is_empty());
}

#[test]
fn a_close_contact_of_a_case_is_f1_at_the_contact_start() {
    let e = build(&[case(0, 0, None)], &[contact(0, 1, 5 * H, 6 * H)], &[]);
    assert_eq!(reached(&e, 1), Some((1, 5 * H)));
    let link = e.link(1).unwrap();
    assert_eq!(
        link,
        Link {
            from: 0,
            to: 1,
            via: Via::Contact,
            place: None,
            start: 5 * H,
            end: 6 * H
        }
    );
}

#[test]
fn contact_with_an_f1_before_that_f1_met_the_f0_does_not_make_an_f2() {
    // 2 meets 1 at 01:00-02:00; 1 meets the case 0 only at 05:00.
    let e = build(
        &[case(0, 0, None)],
        &[contact(1, 2, H, 2 * H), contact(0, 1, 5 * H, 6 * H)],
        &[],
    );
    assert_eq!(reached(&e, 1), Some((1, 5 * H)));
    assert_eq!(reached(&e, 2), None);
}

#[test]
fn contact_with_an_f1_after_that_f1_met_the_f0_makes_an_f2() {
    let e = build(
        &[case(0, 0, None)],
        &[contact(0, 1, H, 2 * H), contact(1, 2, 5 * H, 6 * H)],
        &[],
    );
    assert_eq!(reached(&e, 2), Some((2, 5 * H)));
    assert_eq!(
        e.chain(2).iter().map(|l| l.from).collect::<Vec<_>>(),
        [0, 1]
    );
}

#[test]
fn an_overlap_that_straddles_the_f1_arrival_counts_from_the_arrival() {
    // 1 and 2 are together 01:00-06:00; 1 becomes F1 at 03:00: 2 is F2 from 03:00.
    let e = build(
        &[case(0, 0, None)],
        &[contact(1, 2, H, 6 * H), contact(0, 1, 3 * H, 4 * H)],
        &[],
    );
    assert_eq!(reached(&e, 2), Some((2, 3 * H)));
    let link = e.link(2).unwrap();
    assert_eq!((link.start, link.end), (3 * H, 6 * H));
}

#[test]
fn a_case_s_contacts_after_isolated_at_are_not_f1() {
    let e = build(
        &[case(0, 0, Some(10 * H))],
        &[contact(0, 1, 11 * H, 12 * H), contact(0, 2, 9 * H, 12 * H)],
        &[],
    );
    assert_eq!(reached(&e, 1), None);
    assert_eq!(reached(&e, 2), Some((1, 9 * H)));
    assert_eq!(e.link(2).unwrap().end, 10 * H);
}

#[test]
fn a_case_s_contacts_before_infectious_from_are_not_f1() {
    let e = build(
        &[case(0, 10 * H, None)],
        &[contact(0, 1, 2 * H, 3 * H), contact(0, 2, 9 * H, 11 * H)],
        &[],
    );
    assert_eq!(reached(&e, 1), None);
    assert_eq!(reached(&e, 2), Some((1, 10 * H)));
}

#[test]
fn a_shorter_chain_wins_over_an_earlier_one() {
    // Via 1 and 2, person 3 is reached at 02:00 as F3; directly from the case at 20:00
    // as F1. The level is the least hop count, the time the earliest at that level.
    let e = build(
        &[case(0, 0, None)],
        &[
            contact(0, 1, 0, 100),
            contact(1, 2, 200, 300),
            contact(2, 3, 2 * H, 3 * H),
            contact(0, 3, 20 * H, 21 * H),
        ],
        &[],
    );
    assert_eq!(reached(&e, 3), Some((1, 20 * H)));
    assert_eq!(e.arrival(3, 3), 2 * H);
    assert_eq!(e.chain(3).len(), 1);
}

#[test]
fn the_earliest_time_at_the_level_is_exposed_at() {
    let e = build(
        &[case(0, 0, None), case(5, 0, None)],
        &[contact(0, 1, 9 * H, 10 * H), contact(5, 1, 4 * H, 5 * H)],
        &[],
    );
    assert_eq!(reached(&e, 1), Some((1, 4 * H)));
    assert_eq!(e.link(1).unwrap().from, 5);
}

#[test]
fn a_lower_level_reached_later_still_offers_its_earlier_times_one_level_up() {
    // 1 is F1 at 10:00 (from case 0) and F2 already at 01:00 (0 -> 9 -> 1).
    // 2 meets 1 at 05:00: 2 is F3 at 05:00 (through 1's F2 window), not F2.
    let e = build(
        &[case(0, 0, None)],
        &[
            contact(0, 9, 0, 100),
            contact(9, 1, H, H + 100),
            contact(0, 1, 10 * H, 11 * H),
            contact(1, 2, 5 * H, 6 * H),
        ],
        &[],
    );
    assert_eq!(reached(&e, 1), Some((1, 10 * H)));
    assert_eq!(reached(&e, 2), Some((3, 5 * H)));
    let chain = e.chain(2);
    assert_eq!(
        chain.iter().map(|l| (l.from, l.to)).collect::<Vec<_>>(),
        [(0, 9), (9, 1), (1, 2)]
    );
}

#[test]
fn a_new_case_can_only_lower_levels_and_move_times_earlier() {
    let contacts = [
        contact(0, 1, H, 2 * H),
        contact(1, 2, 3 * H, 4 * H),
        contact(2, 3, 5 * H, 6 * H),
        contact(7, 3, 2 * H, 3 * H),
        contact(7, 2, 7 * H, 8 * H),
    ];
    let mut e = build(&[case(0, 0, None)], &contacts, &[]);
    let before: Vec<_> = (0..8).map(|v| e.reached(v)).collect();
    let update = e.add_case(case(7, 0, None)).unwrap();
    for v in 0..8u32 {
        let now = e.reached(v);
        if let Some(b) = before[v as usize] {
            let n = now.unwrap();
            assert!(n.level <= b.level, "person {v}: {b:?} -> {n:?}");
            if n.level == b.level {
                assert!(n.exposed_at <= b.exposed_at);
            }
        }
        if now != before[v as usize] {
            assert!(update.changed.contains(&v), "{v} changed but not reported");
        }
    }
    assert_eq!(reached(&e, 3), Some((1, 2 * H)));
    assert_eq!(
        e.iter_reached().collect::<Vec<_>>(),
        build(&[case(0, 0, None), case(7, 0, None)], &contacts, &[])
            .iter_reached()
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_new_exposure_can_only_lower_levels_and_move_times_earlier() {
    let mut e = build(
        &[case(0, 0, None)],
        &[contact(0, 1, H, 2 * H), contact(1, 2, 3 * H, 4 * H)],
        &[
            at(2, 50, Kind::Household, 0, 48 * H),
            at(3, 50, Kind::Household, 0, 48 * H),
        ],
    );
    assert_eq!(reached(&e, 3), Some((3, 3 * H)));
    let update = e.add_contact(contact(0, 3, 30 * H, 31 * H)).unwrap();
    assert_eq!(reached(&e, 3), Some((1, 30 * H)));
    assert_eq!(update.changed, [3]);
    let update = e
        .add_presence(at(0, 60, Kind::Vehicle, 2 * H, 2 * H + 600))
        .unwrap();
    assert!(update.changed.is_empty());
    let update = e
        .add_presence(at(3, 60, Kind::Vehicle, 2 * H + 300, 3 * H))
        .unwrap();
    assert_eq!(reached(&e, 3), Some((1, 2 * H + 300)));
    // 2 shares 3's household: F2 earlier than through 1.
    assert_eq!(reached(&e, 2), Some((2, 2 * H + 300)));
    assert_eq!(update.changed, [2, 3]);
    assert_eq!(e.link(3).unwrap().via, Via::Place(Kind::Vehicle));
}

#[test]
fn a_case_already_traced_and_isolated_early_stops_transmitting_after_isolation() {
    // 1 was F1 and passed it to 2 at 10:00; 1 is then confirmed, infectious from 00:00
    // and isolated at 05:00: 2 is no longer reached through 1.
    let mut e = build(
        &[case(0, 0, None)],
        &[contact(0, 1, H, 2 * H), contact(1, 2, 10 * H, 11 * H)],
        &[],
    );
    assert_eq!(reached(&e, 2), Some((2, 10 * H)));
    let update = e.add_case(case(1, 0, Some(5 * H))).unwrap();
    assert_eq!(reached(&e, 1), Some((0, 0)));
    assert_eq!(reached(&e, 2), None);
    assert_eq!(update.changed, [1, 2]);
}

#[test]
fn venues_need_fifteen_minutes_of_overlap_by_default() {
    let e = build(
        &[case(0, 0, None)],
        &[],
        &[
            at(0, 9, Kind::Venue, 0, 1800),
            at(1, 9, Kind::Venue, 1000, 1800), // 800 s together: not enough
            at(2, 9, Kind::Venue, 900, 2000),  // 900 s: enough
        ],
    );
    assert_eq!(reached(&e, 1), None);
    assert_eq!(reached(&e, 2), Some((1, 900)));
    assert_eq!(e.link(2).unwrap().place, Some(9));
}

#[test]
fn households_rooms_and_vehicles_transmit_on_any_overlap() {
    for kind in [Kind::Household, Kind::Room, Kind::Vehicle] {
        let e = build(
            &[case(0, 0, None)],
            &[],
            &[
                at(0, 1, kind, 0, 100),
                at(1, 1, kind, 100, 200),
                at(2, 1, kind, 101, 200),
            ],
        );
        assert_eq!(reached(&e, 1), Some((1, 100)), "{kind}");
        // 2 came after the case left: reached through 1 only.
        assert_eq!(reached(&e, 2), Some((2, 101)), "{kind}");
        assert_eq!(e.link(2).map(|l| l.from), Some(1));
    }
}

#[test]
fn thresholds_are_per_kind() {
    let mut thresholds = Thresholds::default();
    thresholds.set(Via::Contact, 600);
    thresholds.set(Via::Place(Kind::Venue), 0);
    let params = Params {
        thresholds,
        ..Params::default()
    };
    let e = Engine::build(
        params,
        &[case(0, 0, None)],
        &[contact(0, 1, 0, 599), contact(0, 2, 0, 600)],
        &[at(0, 1, Kind::Venue, 0, 10), at(3, 1, Kind::Venue, 10, 20)],
    )
    .unwrap();
    assert_eq!(reached(&e, 1), None);
    assert_eq!(reached(&e, 2), Some((1, 0)));
    assert_eq!(reached(&e, 3), Some((1, 10)));
}

#[test]
fn co_presence_needs_the_same_place_and_overlapping_times() {
    let e = build(
        &[case(0, 0, None)],
        &[],
        &[
            at(0, 1, Kind::Room, 0, 100),
            at(1, 2, Kind::Room, 0, 100),   // another room
            at(2, 1, Kind::Room, 101, 200), // after
            at(3, 1, Kind::Room, 50, 60),   // inside
        ],
    );
    assert_eq!(reached(&e, 1), None);
    assert_eq!(reached(&e, 2), None);
    assert_eq!(reached(&e, 3), Some((1, 50)));
}

#[test]
fn max_level_bounds_the_tracing() {
    let contacts = [
        contact(0, 1, 0, 1),
        contact(1, 2, 1, 2),
        contact(2, 3, 2, 3),
    ];
    let params = Params {
        max_level: 2,
        ..Params::default()
    };
    let e = Engine::build(params, &[case(0, 0, None)], &contacts, &[]).unwrap();
    assert_eq!(reached(&e, 2), Some((2, 1)));
    assert_eq!(reached(&e, 3), None);
    assert_eq!(e.level_counts(), [1, 1, 1]);
}

#[test]
fn nothing_after_as_of_is_seen() {
    let params = Params {
        as_of: Some(10 * H),
        ..Params::default()
    };
    let e = Engine::build(
        params,
        &[case(0, 0, None), case(5, 11 * H, None)],
        &[
            contact(0, 1, 9 * H, 12 * H),
            contact(0, 2, 11 * H, 12 * H),
            contact(5, 3, 11 * H, 12 * H),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(reached(&e, 1), Some((1, 9 * H)));
    assert_eq!(e.link(1).unwrap().end, 10 * H);
    assert_eq!(reached(&e, 2), None);
    assert_eq!(reached(&e, 5), None, "a case infectious only after as_of");
    assert_eq!(reached(&e, 3), None);
}

#[test]
fn a_case_reached_by_another_case_stays_level_zero() {
    let e = build(
        &[case(0, 0, None), case(1, 5 * H, None)],
        &[contact(0, 1, H, 2 * H), contact(1, 2, 3 * H, 4 * H)],
        &[],
    );
    assert_eq!(reached(&e, 1), Some((0, 5 * H)));
    // 1 transmits only from its own infectious_from.
    assert_eq!(reached(&e, 2), None);
}

#[test]
fn the_chain_realises_the_level_and_the_time() {
    let e = build(
        &[case(0, 0, None)],
        &[contact(0, 1, H, 2 * H)],
        &[
            at(1, 7, Kind::Household, 0, 24 * H),
            at(2, 7, Kind::Household, 0, 24 * H),
            at(2, 8, Kind::Venue, 5 * H, 6 * H),
            at(3, 8, Kind::Venue, 5 * H + 600, 7 * H),
        ],
    );
    let chain = e.chain(3);
    assert_eq!(chain.len(), 3);
    assert_eq!(chain[0].from, 0);
    assert_eq!(chain[1].via, Via::Place(Kind::Household));
    assert_eq!((chain[1].start, chain[1].place), (H, Some(7)));
    assert_eq!(
        chain[2],
        Link {
            from: 2,
            to: 3,
            via: Via::Place(Kind::Venue),
            place: Some(8),
            start: 5 * H + 600,
            end: 6 * H,
        }
    );
    assert_eq!(
        e.reached(3),
        Some(Reached {
            level: 3,
            exposed_at: 5 * H + 600
        })
    );
}

#[test]
fn bad_input_is_rejected() {
    let mut e = Engine::new(Params::default());
    assert_eq!(
        e.add_contact(contact(0, 1, 10, 5)),
        Err(TraceError::EndBeforeStart { start: 10, end: 5 })
    );
    assert_eq!(
        e.add_contact(contact(3, 3, 0, 5)),
        Err(TraceError::SelfContact { person: 3 })
    );
    e.add_presence(at(0, 1, Kind::Room, 0, 5)).unwrap();
    assert_eq!(
        e.add_presence(at(1, 1, Kind::Venue, 0, 5)),
        Err(TraceError::KindMismatch {
            place: 1,
            existing: Kind::Room,
            given: Kind::Venue
        })
    );
    assert!(matches!(
        e.add_presence(at(u32::MAX, 1, Kind::Room, 0, 5)),
        Err(TraceError::IndexOutOfRange { .. })
    ));
    let params = Params {
        max_level: 200,
        ..Params::default()
    };
    assert!(Engine::try_new(params).is_err());
}
