//! The funnel of a generated province: generates it in memory, traces it with the
//! engine (F0..F4, the rule of docs/tracing.md) and prints the persons at each level,
//! with the generation and tracing times. This is how the README's "The demo's
//! epidemic" was measured.
//!
//! ```sh
//! cargo run --release -p phongdich-synth --example funnel -- [--people N] [--days N]
//!     [--seed N]... [--scenario imported|outbreak] [--cases N] [--district CODE]...
//!     [--via]
//! ```
//!
//! `--district` keeps only the communes of that district (official code, e.g. `111`
//! for Tân Uyên), with `--people` defaulting to their share of Lai Châu's 460,000 at its
//! density. `--via` also prints, per level, how its persons were reached (household,
//! contact, vehicle, room, or the kind of venue).

#![allow(clippy::print_stdout)]

#[path = "../tests/common/engine_input.rs"]
mod engine_input;

use engine_input::EngineInput;
use phongdich_domain::AdminLevel;
use phongdich_synth::generate::{DEFAULT_PEOPLE, LAI_CHAU_COMMUNES};
use phongdich_synth::{generate, units_from_gso_csv, Params, Scenario, LAI_CHAU};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut people = None;
    let mut days = 30;
    let mut seeds = Vec::new();
    let mut scenario = Scenario::default();
    let mut districts: Vec<String> = Vec::new();
    let mut via = false;
    let mut cases = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--people" => people = Some(value()?.parse()?),
            "--days" => days = value()?.parse()?,
            "--seed" => seeds.push(value()?.parse()?),
            "--scenario" => {
                let v = value()?;
                scenario = Scenario::parse(&v).ok_or(format!("unknown scenario {v}"))?;
            }
            "--district" => districts.push(value()?),
            "--via" => via = true,
            "--cases" => cases = Some(value()?.parse()?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if seeds.is_empty() {
        seeds.push(1);
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/admin-units/communes_2025-01-04.csv"
    );
    let mut units = units_from_gso_csv(std::fs::File::open(path)?, LAI_CHAU)?;
    if !districts.is_empty() {
        units.retain(|u| match u.level {
            AdminLevel::Commune => u
                .parent
                .as_ref()
                .is_some_and(|p| districts.iter().any(|d| d == p.as_str())),
            _ => true,
        });
    }
    let communes = units
        .iter()
        .filter(|u| u.level == AdminLevel::Commune)
        .count() as u64;
    let people = people
        .unwrap_or((u64::from(DEFAULT_PEOPLE) * communes / u64::from(LAI_CHAU_COMMUNES)) as u32);
    println!("| seed | people | days | cases | F0 | F1 | F2 | F3 | F4 | generate | trace |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for seed in seeds {
        let mut params = Params::of(scenario, seed, people, days);
        if let Some(cases) = cases {
            params.cases = cases;
        }
        let started = Instant::now();
        let mut input = EngineInput::default();
        generate(&units, &params, &mut input, &mut |_| {})?;
        let generated = started.elapsed();
        let started = Instant::now();
        let engine = input.trace()?;
        let traced = started.elapsed();
        print!("| {seed} | {people} | {days} | {} ", params.cases);
        for n in engine.level_counts() {
            print!("| {n} ");
        }
        println!(
            "| {:.1} s | {:.1} s |",
            generated.as_secs_f64(),
            traced.as_secs_f64()
        );
        if via {
            print_via(&engine, &input);
        }
    }
    Ok(())
}

/// Per level, how its persons were reached.
fn print_via(engine: &phongdich_trace::Engine, input: &EngineInput) {
    let mut by: BTreeMap<(u8, String), u64> = BTreeMap::new();
    for (v, r) in engine.iter_reached() {
        let how = match engine.link(v) {
            None => "case".to_owned(),
            Some(link) => match link.place.and_then(|p| input.venue_kinds.get(&p)) {
                Some(kind) => format!("venue ({kind})"),
                None => link.via.to_string(),
            },
        };
        *by.entry((r.level, how)).or_default() += 1;
    }
    let mut level = None;
    for ((l, how), n) in by {
        if level != Some(l) {
            print!("\n  F{l}:");
            level = Some(l);
        }
        print!(" {how} {n};");
    }
    println!();
}
