//! The synthetic province on the real communes of Lai Châu: determinism, shapes and
//! validity of what is generated.

use phongdich_domain::{
    case::default_infectious_from, AdminLevel, AdminUnit, IdentityDocument, Phone, PlaceKind,
};
use phongdich_synth::{
    export::FILES, generate, units_from_gso_csv, CaseRecord, Contact, CountingSink, Counts,
    CsvExport, Household, Params, Person, Place, Presence, Scenario, Sink, TestRecord, Village,
    LAI_CHAU,
};
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;

fn lai_chau() -> Vec<AdminUnit> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/admin-units/communes_2025-01-04.csv"
    );
    let file =
        std::fs::File::open(path).expect("the official list of communes is in the repository");
    units_from_gso_csv(file, LAI_CHAU).expect("the official list parses")
}

fn export(params: &Params) -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sink = CsvExport::create(dir.path()).expect("files");
    generate(&lai_chau(), params, &mut sink, &mut |_| {}).expect("generates");
    FILES
        .iter()
        .map(|f| {
            (
                f.to_string(),
                std::fs::read(dir.path().join(f)).expect("file written"),
            )
        })
        .collect()
}

/// Person, onset, sample date, infectious from, isolated at, infected by.
type CaseRow = (
    u32,
    Option<chrono::NaiveDate>,
    chrono::NaiveDate,
    i64,
    i64,
    Option<u32>,
);

#[derive(Default)]
struct Recorder {
    villages: HashMap<String, String>,
    households: HashMap<u32, (u8, String)>,
    persons: Vec<(u32, String, String, Option<String>, u32, String)>,
    places: HashMap<u32, PlaceKind>,
    presences: u64,
    bad_presences: Vec<String>,
    contacts: Vec<(u32, u32, i64, i64)>,
    cases: Vec<CaseRow>,
    tests: u64,
}

impl Sink for Recorder {
    type Error = Infallible;
    fn unit(&mut self, v: &Village<'_>) -> Result<(), Infallible> {
        self.villages
            .insert(v.code.to_string(), v.commune.to_string());
        Ok(())
    }
    fn household(&mut self, h: &Household<'_>) -> Result<(), Infallible> {
        self.households
            .insert(h.id, (h.size, h.unit_code.to_string()));
        Ok(())
    }
    fn person(&mut self, p: &Person<'_>) -> Result<(), Infallible> {
        self.persons.push((
            p.id,
            p.full_name.to_owned(),
            p.id_number.to_owned(),
            p.phone.map(str::to_owned),
            p.household,
            p.unit_code.to_string(),
        ));
        Ok(())
    }
    fn place(&mut self, p: &Place<'_>) -> Result<(), Infallible> {
        assert!(
            self.places.insert(p.id, p.kind).is_none(),
            "place id {} twice",
            p.id
        );
        Ok(())
    }
    fn presence(&mut self, p: &Presence<'_>) -> Result<(), Infallible> {
        self.presences += 1;
        let known =
            self.places.get(&p.place) == Some(&p.kind) && (p.person as usize) <= self.persons.len();
        if p.end < p.start || !known {
            self.bad_presences.push(format!("{p:?}"));
        }
        Ok(())
    }
    fn contact(&mut self, c: &Contact<'_>) -> Result<(), Infallible> {
        self.contacts.push((c.a, c.b, c.start.0, c.end.0));
        Ok(())
    }
    fn case(&mut self, c: &CaseRecord<'_>) -> Result<(), Infallible> {
        self.cases.push((
            c.person,
            c.onset,
            c.sample_date,
            c.infectious_from.0,
            c.isolated_at.0,
            c.infected_by,
        ));
        Ok(())
    }
    fn test(&mut self, _: &TestRecord<'_>) -> Result<(), Infallible> {
        self.tests += 1;
        Ok(())
    }
}

fn record(params: &Params) -> (Recorder, Counts) {
    let mut r = Recorder::default();
    let counts = generate(&lai_chau(), params, &mut r, &mut |_| {}).expect("generates");
    (r, counts)
}

#[test]
fn lai_chau_has_8_districts_and_106_communes() {
    let units = lai_chau();
    let count = |level| units.iter().filter(|u| u.level == level).count();
    assert_eq!(count(AdminLevel::Province), 1);
    assert_eq!(count(AdminLevel::District), 8);
    assert_eq!(count(AdminLevel::Commune), 106);
}

#[test]
fn same_seed_gives_byte_identical_files() {
    let params = Params::scaled(7, 3_000, 3);
    let a = export(&params);
    let b = export(&params);
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(!x.is_empty(), "{name} is empty");
        assert!(x == y, "{name} differs between two runs with the same seed");
    }
}

#[test]
fn different_seeds_give_different_files() {
    let a = export(&Params::scaled(1, 3_000, 3));
    let b = export(&Params::scaled(2, 3_000, 3));
    for name in ["persons.csv", "presences.csv", "contacts.csv"] {
        let find =
            |v: &Vec<(String, Vec<u8>)>| v.iter().find(|(n, _)| n == name).map(|(_, d)| d.clone());
        assert_ne!(find(&a), find(&b), "{name} is the same for seeds 1 and 2");
    }
}

#[test]
fn exported_files_have_the_interchange_headers() {
    let files = export(&Params::scaled(1, 500, 2));
    let header = |name: &str| {
        let (_, data) = files.iter().find(|(n, _)| n == name).expect("file");
        String::from_utf8_lossy(data)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("contacts.csv"), "a,b,start,end");
    assert_eq!(header("presences.csv"), "person,place,kind,start,end");
    assert_eq!(header("cases.csv"), "person,infectious_from,isolated_at");
    assert_eq!(
        header("persons.csv"),
        "ref,full_name,birth,sex,id_number,nationality,phone,address,unit_code,household"
    );
    // The formats of `phongdich import units` and `phongdich import places`.
    assert_eq!(header("units.csv"), "code,name,parent_code");
    assert_eq!(
        header("places.csv"),
        "ref,kind,venue_kind,name,unit_code,address,capacity,operator"
    );
}

#[test]
fn households_have_one_to_eight_members_in_villages_of_real_communes() {
    let (r, counts) = record(&Params::scaled(3, 5_000, 2));
    let communes: HashSet<String> = lai_chau()
        .into_iter()
        .filter(|u| u.level == AdminLevel::Commune)
        .map(|u| u.code.to_string())
        .collect();
    assert_eq!(r.persons.len(), 5_000);
    assert_eq!(counts.persons, 5_000);
    let mut members: HashMap<u32, u8> = HashMap::new();
    for (_, name, _, _, household, unit) in &r.persons {
        let (_, hh_unit) = r
            .households
            .get(household)
            .expect("person in a known household");
        assert_eq!(unit, hh_unit, "{name} lives in their household's village");
        let commune = r.villages.get(unit).expect("person in a known village");
        assert!(
            communes.contains(commune),
            "village {unit} of unknown commune {commune}"
        );
        assert!(unit.starts_with(commune.as_str()));
        *members.entry(*household).or_default() += 1;
    }
    for (id, (size, _)) in &r.households {
        assert!((1..=8).contains(size), "household {id} of size {size}");
        assert_eq!(members.get(id), Some(size), "household {id} member count");
    }
    let villages_per_commune = r.villages.len() as f64 / communes.len() as f64;
    assert!(
        (5.0..=20.0).contains(&villages_per_commune),
        "{villages_per_commune}"
    );
}

#[test]
fn presences_end_after_they_start_at_known_places() {
    for scenario in Scenario::ALL {
        let (r, counts) = record(&Params::of(scenario, 4, 4_000, 7));
        assert!(
            r.bad_presences.is_empty(),
            "{:?}",
            &r.bad_presences[..r.bad_presences.len().min(5)]
        );
        assert!(counts.presences_of(PlaceKind::Vehicle) > 0);
        assert!(counts.presences_of(PlaceKind::Room) > 0);
        for (a, b, s, e) in &r.contacts {
            assert!(e >= s && a != b);
        }
        let households = counts.presences_of(PlaceKind::Household);
        let per_day = counts.presences_of(PlaceKind::Venue) as f64 / (4_000.0 * 7.0);
        match scenario {
            // One stay at home per person over the period; about 0.5 to 1 venue check-in
            // per person per day.
            Scenario::Outbreak => {
                assert_eq!(households, 4_000);
                assert!((0.5..=1.0).contains(&per_day), "{per_day} check-ins a day");
            }
            // Stays at home between outings; no check-in at grocery shops.
            Scenario::Imported => {
                assert!((8_000..=20_000).contains(&households), "{households}");
                assert!((0.2..=0.5).contains(&per_day), "{per_day} check-ins a day");
            }
        }
    }
}

#[test]
fn identity_numbers_and_phones_are_unique_and_valid() {
    let (r, _) = record(&Params::scaled(5, 20_000, 1));
    let mut ids = HashSet::new();
    let mut phones = HashSet::new();
    let mut with_phone = 0;
    for (_, name, id, phone, _, _) in &r.persons {
        assert!(
            matches!(IdentityDocument::parse(id), Ok(IdentityDocument::Cccd(_))),
            "{name}: {id}"
        );
        assert!(id.starts_with("0"), "{id}");
        assert!(ids.insert(id.clone()), "duplicate CCCD {id}");
        if let Some(phone) = phone {
            with_phone += 1;
            assert_eq!(
                Phone::parse(phone).map(|p| p.as_str().to_owned()),
                Ok(phone.clone())
            );
            assert!(phones.insert(phone.clone()), "duplicate phone {phone}");
        }
        assert!(phongdich_domain::FullName::parse(name).is_ok());
    }
    let lai_chau_born = ids.iter().filter(|i| i.starts_with("012")).count();
    assert!(
        lai_chau_born * 10 > ids.len() * 8,
        "most are born in Lai Châu"
    );
    assert!(with_phone * 2 > r.persons.len(), "most adults have a phone");
}

#[test]
fn cases_follow_the_domain_dates_and_their_contacts() {
    let params = Params::of(Scenario::Outbreak, 6, 46_000, 30);
    let (r, counts) = record(&params);
    assert_eq!(counts.cases, u64::from(params.cases));
    assert_eq!(params.cases, 100);
    assert!(counts.tests > counts.cases);
    let windows: HashMap<u32, (i64, i64)> = r.cases.iter().map(|c| (c.0, (c.3, c.4))).collect();
    let mut secondary = 0;
    for (person, onset, sample, from, isolated, by) in &r.cases {
        let expected = default_infectious_from(*onset, Some(*sample))
            .expect("a date")
            .0;
        assert!(*from >= expected, "case {person}");
        assert!(
            isolated > from,
            "case {person} isolated after becoming infectious"
        );
        if let Some(by) = by {
            secondary += 1;
            let (by_from, by_isolated) = windows.get(by).copied().expect("the infector is a case");
            // The contact that infected them is recorded, inside the infector's
            // infectious window and before the new case became infectious itself.
            let found = r.contacts.iter().any(|(a, b, s, _)| {
                a == by && b == person && (by_from..=by_isolated).contains(s) && s <= from
            });
            assert!(found, "case {person}: no contact with infector {by}");
        }
    }
    assert!(
        secondary * 2 > r.cases.len(),
        "most cases are infected along a recorded contact"
    );
}

#[test]
fn counts_scale_with_people() {
    let count = |people| {
        let mut sink = CountingSink::default();
        generate(
            &lai_chau(),
            &Params::scaled(1, people, 2),
            &mut sink,
            &mut |_| {},
        )
        .expect("generates")
    };
    let small = count(20_000);
    let large = count(80_000);
    eprintln!("{small:?}\n{large:?}");
    assert_eq!(small.persons, 20_000);
    assert_eq!(large.persons, 80_000);
    let ratio = |a: u64, b: u64| b as f64 / a as f64;
    assert!((3.0..5.0).contains(&ratio(small.households, large.households)));
    assert!((3.0..5.0).contains(&ratio(
        small.presences_of(PlaceKind::Venue),
        large.presences_of(PlaceKind::Venue)
    )));
    assert!((3.0..5.0).contains(&ratio(small.contacts, large.contacts)));
    assert_eq!(
        small.villages, large.villages,
        "villages depend on the communes, not on people"
    );
}

#[test]
fn households_and_ages_look_like_lai_chau() {
    let (r, _) = record(&Params::scaled(8, 30_000, 1));
    let mean = r.persons.len() as f64 / r.households.len() as f64;
    assert!((3.8..=5.0).contains(&mean), "mean household size {mean}");
    let sizes: HashSet<u8> = r.households.values().map(|(s, _)| *s).collect();
    assert_eq!(sizes.len(), 8, "every size from 1 to 8 occurs");
}

#[test]
fn tiny_provinces_and_bad_parameters() {
    for people in [1, 7, 100] {
        let (r, counts) = record(&Params::scaled(9, people, 1));
        assert_eq!(counts.persons, u64::from(people));
        assert!(r.bad_presences.is_empty());
    }
    let mut sink = CountingSink::default();
    let mut params = Params::scaled(1, 10, 0);
    assert!(generate(&lai_chau(), &params, &mut sink, &mut |_| {}).is_err());
    params.days = 1;
    params.cases = 11;
    assert!(generate(&lai_chau(), &params, &mut sink, &mut |_| {}).is_err());
    assert!(generate(&[], &Params::scaled(1, 10, 1), &mut sink, &mut |_| {}).is_err());
}
