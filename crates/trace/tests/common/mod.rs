//! The naive reference: tracing.md read literally. Every exposure is materialised
//! pairwise (both directions of every contact, every ordered pair of presences at one
//! place) and each round recomputes `A_k` from `A_{k-1}` over all of them. Obviously
//! correct and hopeless at province scale: the engine must agree with it.

#![allow(dead_code)]

use phongdich_trace::{Case, Contact, Engine, Link, Params, Presence, Via};
use std::collections::HashMap;

const INF: i64 = i64::MAX;

/// Level and `exposed_at` of every person `0..persons`.
pub fn naive(
    params: &Params,
    persons: usize,
    cases: &[Case],
    contacts: &[Contact],
    presences: &[Presence],
) -> Vec<Option<(u8, i64)>> {
    let horizon = params.as_of.unwrap_or(INF);
    let t = params.thresholds;
    let mut window: HashMap<u32, (i64, i64)> = HashMap::new();
    for c in cases {
        if c.infectious_from <= horizon {
            let end = c.isolated_at.unwrap_or(INF).min(horizon);
            window.insert(c.person, (c.infectious_from, end));
        }
    }
    // (from, to, start, end, threshold)
    let mut exposures: Vec<(u32, u32, i64, i64, i64)> = Vec::new();
    for c in contacts {
        exposures.push((c.a, c.b, c.start, c.end, t.get(Via::Contact)));
        exposures.push((c.b, c.a, c.start, c.end, t.get(Via::Contact)));
    }
    for p in presences {
        for q in presences {
            if p.place == q.place && p.person != q.person {
                let (s, e) = (p.start.max(q.start), p.end.min(q.end));
                if s <= e {
                    exposures.push((p.person, q.person, s, e, t.get(Via::Place(p.kind))));
                }
            }
        }
    }
    let depth = usize::from(params.max_level) + 1;
    let mut a = vec![vec![INF; persons]; depth];
    for (&p, &(from, _)) in &window {
        for level in a.iter_mut() {
            level[p as usize] = from;
        }
    }
    for k in 1..depth {
        let mut next = a[k - 1].clone();
        for &(u, v, s, e, thr) in &exposures {
            if window.contains_key(&v) {
                continue;
            }
            let w = match window.get(&u) {
                Some(&w) => w,
                None if a[k - 1][u as usize] != INF => (a[k - 1][u as usize], horizon),
                None => continue,
            };
            let (os, oe) = (s.max(w.0), e.min(w.1));
            if os <= oe && oe - os >= thr && os < next[v as usize] {
                next[v as usize] = os;
            }
        }
        a[k] = next;
    }
    (0..persons)
        .map(|v| {
            (0..depth)
                .find(|&k| a[k][v] != INF)
                .map(|k| (k as u8, a[k][v]))
        })
        .collect()
}

/// The engine's levels for persons `0..persons`, shaped like [`naive`]'s.
pub fn levels(engine: &Engine, persons: usize) -> Vec<Option<(u8, i64)>> {
    (0..persons as u32)
        .map(|v| engine.reached(v).map(|r| (r.level, r.exposed_at)))
        .collect()
}

/// Checks that `engine.chain(v)` realises `v`'s level and time with real exposures.
pub fn check_chains(
    engine: &Engine,
    persons: usize,
    cases: &[Case],
    contacts: &[Contact],
    presences: &[Presence],
) -> Result<(), String> {
    let params = engine.params();
    let horizon = params.as_of.unwrap_or(INF);
    for v in 0..persons as u32 {
        let Some(r) = engine.reached(v) else { continue };
        let chain = engine.chain(v);
        if chain.len() != usize::from(r.level) {
            return Err(format!("{v}: chain {chain:?} for level {}", r.level));
        }
        let Some(first) = chain.first() else { continue };
        let Some(case) = cases.iter().rev().find(|c| c.person == first.from) else {
            return Err(format!(
                "{v}: chain starts at {} which is no case",
                first.from
            ));
        };
        if !engine.is_case(first.from) {
            return Err(format!("{v}: {} not a case in the engine", first.from));
        }
        if first.start < case.infectious_from
            || first.end > case.isolated_at.unwrap_or(INF).min(horizon)
        {
            return Err(format!("{v}: first link {first:?} outside {case:?}"));
        }
        let mut previous_start = i64::MIN;
        let mut previous_to = first.from;
        for link in &chain {
            if link.from != previous_to || link.start < previous_start || link.end < link.start {
                return Err(format!("{v}: broken chain {chain:?}"));
            }
            if link.end - link.start < params.thresholds.get(link.via) {
                return Err(format!("{v}: link {link:?} below threshold"));
            }
            if !exposure_exists(link, contacts, presences) {
                return Err(format!("{v}: no exposure behind {link:?}"));
            }
            previous_start = link.start;
            previous_to = link.to;
        }
        if previous_to != v || previous_start != r.exposed_at {
            return Err(format!("{v}: chain {chain:?} does not end at {r:?}"));
        }
    }
    Ok(())
}

fn exposure_exists(link: &Link, contacts: &[Contact], presences: &[Presence]) -> bool {
    let covers = |s: i64, e: i64| s <= link.start && link.end <= e;
    match link.via {
        Via::Contact => contacts.iter().any(|c| {
            ((c.a, c.b) == (link.from, link.to) || (c.b, c.a) == (link.from, link.to))
                && covers(c.start, c.end)
        }),
        Via::Place(kind) => {
            let at = |person: u32| {
                presences.iter().any(|p| {
                    p.person == person
                        && Some(p.place) == link.place
                        && p.kind == kind
                        && covers(p.start, p.end)
                })
            };
            at(link.from) && at(link.to)
        }
    }
}
