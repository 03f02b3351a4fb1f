//! The default epidemic's funnel: a small seeded province (one district of Lai Châu at
//! its density) traced with the engine gives the shape of the seed directive's count
//! (tens of F1, then hundreds to thousands at each further level, most people never
//! reached), and its cases are confirmed over the period, the last ones on its last day.

mod common;

use chrono::Duration;
use common::engine_input::EngineInput;
use phongdich_domain::{AdminLevel, AdminUnit, Timestamp};
use phongdich_synth::generate::{DEFAULT_PEOPLE, LAI_CHAU_COMMUNES};
use phongdich_synth::{generate, units_from_gso_csv, Params, Scenario, LAI_CHAU};

/// Lai Châu with only the communes of district `code`.
fn district(code: &str) -> Vec<AdminUnit> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/admin-units/communes_2025-01-04.csv"
    );
    let file = std::fs::File::open(path).expect("the official list is in the repository");
    let mut units = units_from_gso_csv(file, LAI_CHAU).expect("parses");
    units.retain(|u| {
        u.level != AdminLevel::Commune || u.parent.as_ref().is_some_and(|p| p.as_str() == code)
    });
    units
}

#[test]
fn one_district_traces_like_the_seed() {
    // Huyện Tam Đường (106): 13 communes, about 56,000 people at Lai Châu's density.
    let units = district("106");
    let communes = units
        .iter()
        .filter(|u| u.level == AdminLevel::Commune)
        .count() as u32;
    assert_eq!(communes, 13);
    let people =
        (u64::from(DEFAULT_PEOPLE) * u64::from(communes) / u64::from(LAI_CHAU_COMMUNES)) as u32;
    let params = Params::of(Scenario::Imported, 1, people, 30);
    let mut input = EngineInput::default();
    generate(&units, &params, &mut input, &mut |_| {}).expect("generates");
    let engine = input.trace().expect("traces");
    let levels = engine.level_counts();
    let [f0, f1, f2, f3, f4] = levels[..] else {
        panic!("five levels: {levels:?}")
    };
    assert_eq!(f0, u64::from(params.cases), "{levels:?}");
    // Tens of F1: the household, the coach's passengers, the visitors.
    assert!((10..=70).contains(&f1), "{levels:?}");
    // Then each level an order of magnitude or so above the one before, as in the
    // directive (22 / 2,173 / 15,326 / 7,860 for the whole province).
    assert!((300..=3_000).contains(&f2), "{levels:?}");
    assert!(f3 > f2 && f3 <= 15_000, "{levels:?}");
    assert!(f4 >= f2 && f4 <= 20_000, "{levels:?}");
    // Most of the district is never reached: this is not everyone F1 or F2.
    let reached: u64 = levels.iter().sum();
    assert!(reached * 3 < u64::from(people), "{reached} of {people}");
}

#[test]
fn cases_are_confirmed_over_the_period_the_last_on_its_last_day() {
    let units = district("105");
    let params = Params::of(Scenario::Imported, 1, 40_000, 30);
    let mut input = EngineInput::default();
    let cases = 6;
    let params = Params { cases, ..params };
    generate(&units, &params, &mut input, &mut |_| {}).expect("generates");
    let last_day = params.start + Duration::days(29);
    assert_eq!(last_day.to_string(), "2021-05-11");
    let days: Vec<_> = input.samples.iter().map(|d| d.to_string()).collect();
    assert_eq!(days.len(), 6, "{days:?}");
    let on_last = input.samples.iter().filter(|&&d| d == last_day).count();
    // A third slipped through by coach and are confirmed on the last day; the others
    // were caught on arrival in the two weeks before.
    assert!((2..6).contains(&on_last), "{days:?}");
    assert!(
        input
            .samples
            .iter()
            .all(|&d| d + Duration::days(15) > last_day),
        "{days:?}"
    );
    let first = input.isolated.iter().min().copied().unwrap_or(Timestamp(0));
    assert!(first.local_date() < last_day, "{days:?}");
}

#[test]
fn the_outbreak_reaches_nearly_everyone() {
    let units = district("105");
    let params = Params::of(Scenario::Outbreak, 1, 20_000, 14);
    let mut input = EngineInput::default();
    generate(&units, &params, &mut input, &mut |_| {}).expect("generates");
    let levels = input.trace().expect("traces").level_counts();
    let reached: u64 = levels.iter().sum();
    assert!(reached * 2 > 20_000, "{levels:?}");
}
