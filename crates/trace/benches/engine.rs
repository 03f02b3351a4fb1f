//! Criterion benchmarks of the engine on a seeded synthetic town: 20,000 persons in
//! households of four over 14 days, a daily 30-minute check-in at one of 200 venues,
//! two direct contacts per person per week, 30 cases. The province-scale numbers
//! (500,000 persons, the PostgreSQL comparison) come from the `bench_trace` example of
//! the `phongdich` crate; see docs/benchmarks.md.

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use phongdich_trace::{Case, Contact, Engine, Kind, Params, Presence};
use rand::{Rng, SeedableRng};

const PERSONS: u32 = 20_000;
const DAYS: i64 = 14;
const DAY: i64 = 86_400;

fn town() -> (Vec<Case>, Vec<Contact>, Vec<Presence>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut presences = Vec::new();
    for p in 0..PERSONS {
        presences.push(Presence {
            person: p,
            place: p / 4,
            kind: Kind::Household,
            start: 0,
            end: DAYS * DAY,
        });
        for d in 0..DAYS {
            let start = d * DAY + rng.random_range(7 * 3600..19 * 3600);
            presences.push(Presence {
                person: p,
                place: PERSONS / 4 + rng.random_range(0..200),
                kind: Kind::Venue,
                start,
                end: start + 1800,
            });
        }
    }
    let contacts = (0..PERSONS * 2 * DAYS as u32 / 7)
        .map(|_| {
            let a = rng.random_range(0..PERSONS);
            let b = (a + rng.random_range(1..PERSONS)) % PERSONS;
            let start = rng.random_range(0..DAYS * DAY);
            Contact {
                a,
                b,
                start,
                end: start + 600,
            }
        })
        .collect();
    let cases = (0..30)
        .map(|i| Case {
            person: i * 613,
            infectious_from: rng.random_range(0..DAYS * DAY / 2),
            isolated_at: Some(DAYS * DAY / 2 + i64::from(i) * 3600),
        })
        .collect();
    (cases, contacts, presences)
}

fn benches(c: &mut Criterion) {
    let (cases, contacts, presences) = town();
    let engine = Engine::build(Params::default(), &cases, &contacts, &presences).unwrap();
    let mut group = c.benchmark_group("engine");
    group.sample_size(20);
    group.bench_function("full recompute (20k persons, 300k presences)", |b| {
        let mut e = engine.clone();
        b.iter(|| e.recompute());
    });
    let mut next = 0u32;
    group.bench_function("one new F0, incremental", |b| {
        b.iter_batched(
            || engine.clone(),
            |mut e| {
                next = (next + 7919) % PERSONS;
                let update = e
                    .add_case(Case {
                        person: next,
                        infectious_from: 3 * DAY,
                        isolated_at: Some(5 * DAY),
                    })
                    .unwrap();
                // Returned so that freeing the copy is not timed.
                (e, update)
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
