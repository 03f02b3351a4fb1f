//! Storage contract of the jurisdiction queries, on SQLite and (with
//! `PHONGDICH_TEST_PG`) PostgreSQL: person search under a district, commune or village;
//! the contact list of a unit, newest first, page by page; trace levels counted per
//! unit; a case's tree.

#![allow(clippy::unwrap_used)]

use phongdich_domain::{
    AdminLevel, AdminUnit, Case, CaseClassification, CaseOutcome, FullName, Interval, Timestamp,
    UnitCode,
};
use phongdich_store::testing::all_backends;
use phongdich_store::{
    ContactQuery, Exposure, ExposureKind, NewCase, NewContact, NewPerson, PersonQuery, Store,
    TraceLevel,
};

fn person(reference: &str, name: &str, unit: &UnitCode) -> NewPerson {
    NewPerson {
        id: None,
        reference: reference.to_owned(),
        full_name: FullName::parse(name).unwrap(),
        birth: None,
        sex: None,
        identity: None,
        nationality: "VN".to_owned(),
        phone: None,
        address: None,
        unit_code: Some(unit.clone()),
        household_id: None,
    }
}

/// Lai Châu's first district with two communes, one of them given a village; and a
/// commune of another district: (district, commune a, village of a, commune b, other).
async fn units(s: &Store) -> (UnitCode, UnitCode, UnitCode, UnitCode, UnitCode) {
    let province = UnitCode::parse("12").unwrap();
    let communes = s.communes_of_province(&province).await.unwrap();
    let a = &communes[0];
    let district = a.parent.clone().unwrap();
    assert_eq!(district.level(), AdminLevel::District);
    let b = communes
        .iter()
        .find(|c| c.parent == a.parent && c.code != a.code)
        .unwrap();
    let other = communes.iter().find(|c| c.parent != a.parent).unwrap();
    let village = UnitCode::village(&a.code, 3).unwrap();
    s.insert_unit(&AdminUnit {
        code: village.clone(),
        name: "Bản Nà Khum".into(),
        level: AdminLevel::Village,
        parent: Some(a.code.clone()),
    })
    .await
    .unwrap();
    (
        district,
        a.code.clone(),
        village,
        b.code.clone(),
        other.code.clone(),
    )
}

#[tokio::test]
async fn person_search_reaches_down_from_a_district() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let (district, a, village, b, other) = units(s).await;
        for (r, unit) in [("P1", &a), ("P2", &village), ("P3", &b), ("P4", &other)] {
            s.insert_person(&person(r, &format!("Nguyễn Văn {r}"), unit))
                .await
                .unwrap();
        }
        let found = |unit: &UnitCode| {
            let q = PersonQuery {
                text: "nguyen".into(),
                unit: Some(unit.clone()),
                offset: 0,
                limit: 50,
            };
            async move {
                let page = s.search_persons(&q).await.unwrap();
                assert_eq!(page.total as usize, page.items.len());
                let mut refs: Vec<String> = page.items.into_iter().map(|p| p.reference).collect();
                refs.sort();
                refs
            }
        };
        assert_eq!(found(&district).await, ["P1", "P2", "P3"], "{}", db.name());
        assert_eq!(found(&a).await, ["P1", "P2"], "{}", db.name());
        assert_eq!(found(&village).await, ["P2"], "{}", db.name());
        assert_eq!(
            found(&UnitCode::parse("12").unwrap()).await,
            ["P1", "P2", "P3", "P4"]
        );
        let units: Vec<_> = s
            .units_under(&a)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.code)
            .collect();
        assert_eq!(units, [a.clone(), village.clone()], "{}", db.name());
    }
}

#[tokio::test]
async fn the_contact_list_of_a_unit_is_newest_first_page_by_page() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let (district, a, village, b, other) = units(s).await;
        let pa = s
            .insert_person(&person("A", "Lò Văn A", &village))
            .await
            .unwrap();
        let pa2 = s
            .insert_person(&person("A2", "Lò Văn Hai", &a))
            .await
            .unwrap();
        let pb = s.insert_person(&person("B", "Lò Văn B", &b)).await.unwrap();
        let po = s
            .insert_person(&person("O", "Lò Văn O", &other))
            .await
            .unwrap();
        // (a, b, start): ids come in insertion order.
        let mut ids = Vec::new();
        for (x, y, start) in [
            (pa, pa2, 100),
            (pb, pa, 300),
            (pb, po, 200),
            (po, pa2, 300),
            (pa, pa2, 50),
        ] {
            ids.push(
                s.insert_contact(&NewContact {
                    a_id: x,
                    b_id: y,
                    interval: Interval::new(Timestamp(start), Timestamp(start + 60)).unwrap(),
                    setting: None,
                })
                .await
                .unwrap(),
            );
        }
        let list = |unit: Option<&UnitCode>, after: Option<(Timestamp, i64)>, limit: u64| {
            let q = ContactQuery {
                unit: unit.cloned(),
                after,
                limit,
            };
            async move {
                s.contact_list(&q)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>()
            }
        };
        // Commune a (and its village): every contact but b-o; ties on start by id, newest first.
        let expected = vec![ids[3], ids[1], ids[0], ids[4]];
        assert_eq!(list(Some(&a), None, 0).await, expected, "{}", db.name());
        assert_eq!(s.contact_list_count(Some(&a)).await.unwrap(), 4);
        let first = list(Some(&a), None, 2).await;
        assert_eq!(first, expected[..2]);
        let after = Some((Timestamp(300), ids[1]));
        assert_eq!(
            list(Some(&a), after, 2).await,
            expected[2..],
            "{}",
            db.name()
        );
        assert_eq!(
            list(Some(&village), None, 0).await,
            [ids[1], ids[0], ids[4]]
        );
        assert_eq!(list(Some(&b), None, 0).await, [ids[1], ids[2]]);
        assert_eq!(s.contact_list_count(Some(&district)).await.unwrap(), 5);
        assert_eq!(list(Some(&other), None, 0).await, [ids[3], ids[2]]);
        assert_eq!(
            list(None, None, 0).await,
            [ids[3], ids[1], ids[2], ids[0], ids[4]]
        );
        assert_eq!(
            list(None, Some((Timestamp(200), ids[2])), 0).await,
            [ids[0], ids[4]]
        );
        assert_eq!(s.contact_list_count(None).await.unwrap(), 5);
        // A village whose only person appears second in its one contact: too sparse to
        // walk, read through the per-person indexes.
        let v_other = UnitCode::village(&other, 1).unwrap();
        s.insert_unit(&AdminUnit {
            code: v_other.clone(),
            name: "Bản Xa".into(),
            level: AdminLevel::Village,
            parent: Some(other.clone()),
        })
        .await
        .unwrap();
        let pz = s
            .insert_person(&person("Z", "Lò Văn Z", &v_other))
            .await
            .unwrap();
        let late = s
            .insert_contact(&NewContact {
                a_id: po,
                b_id: pz,
                interval: Interval::new(Timestamp(400), Timestamp(460)).unwrap(),
                setting: None,
            })
            .await
            .unwrap();
        assert_eq!(list(Some(&v_other), None, 0).await, [late], "{}", db.name());
        assert_eq!(s.contact_list_count(Some(&v_other)).await.unwrap(), 1);
        assert_eq!(list(Some(&other), None, 0).await, [late, ids[3], ids[2]]);
        let persons = s.persons_by_ids(&[po, pa, 999_999]).await.unwrap();
        assert_eq!(
            persons.iter().map(|p| p.id).collect::<Vec<_>>(),
            [pa, po],
            "{}",
            db.name()
        );
    }
}

fn level(person_id: i64, level: u8, via: Option<i64>) -> TraceLevel {
    TraceLevel {
        person_id,
        level,
        exposed_at: Timestamp(1_000 + i64::from(level)),
        via: via.map(|v| Exposure {
            person_id: v,
            kind: ExposureKind::Contact,
            place_id: None,
            interval: Interval::new(Timestamp(1_000), Timestamp(2_000)).unwrap(),
        }),
        computed_at: Timestamp(5_000),
    }
}

#[tokio::test]
async fn levels_are_counted_by_unit_and_a_case_has_its_tree() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let (district, a, village, b, other) = units(s).await;
        let f0 = s
            .insert_person(&person("F0", "Giàng A Páo", &village))
            .await
            .unwrap();
        let f1 = s
            .insert_person(&person("F1", "Lò Thị Mai", &a))
            .await
            .unwrap();
        let f1b = s
            .insert_person(&person("F1B", "Lò Thị Lan", &b))
            .await
            .unwrap();
        let f2 = s
            .insert_person(&person("F2", "Vàng A Sử", &other))
            .await
            .unwrap();
        let g0 = s
            .insert_person(&person("G0", "Tẩn Láo Lở", &other))
            .await
            .unwrap();
        let g1 = s
            .insert_person(&person("G1", "Tẩn Thị Mẩy", &other))
            .await
            .unwrap();
        s.replace_trace_levels(&[
            level(f0, 0, None),
            level(f1, 1, Some(f0)),
            level(f1b, 1, Some(f0)),
            level(f2, 2, Some(f1)),
            level(g0, 0, None),
            level(g1, 1, Some(g0)),
        ])
        .await
        .unwrap();
        let case = Case {
            onset: None,
            sample_date: None,
            infectious_from: Timestamp(1_000),
            isolated_at: None,
            classification: CaseClassification::Confirmed,
            outcome: CaseOutcome::UnderTreatment,
        };
        for p in [f0, g0] {
            s.insert_case(&NewCase {
                person_id: p,
                recorded_at: phongdich_domain::Timestamp(1_620_000_000),
                case: case.clone(),
            })
            .await
            .unwrap();
        }

        let counts = |unit: Option<UnitCode>| async move {
            s.trace_counts_by_unit(unit.as_ref())
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.unit_code.unwrap().to_string(), c.level, c.persons))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        };
        let mut expected = vec![
            (a.to_string(), 1, 1),
            (b.to_string(), 1, 1),
            (village.to_string(), 0, 1),
        ];
        expected.sort();
        assert_eq!(
            counts(Some(district.clone())).await,
            expected,
            "{}",
            db.name()
        );
        assert_eq!(
            counts(Some(other.clone())).await,
            [
                (other.to_string(), 0, 1),
                (other.to_string(), 1, 1),
                (other.to_string(), 2, 1)
            ]
        );
        assert_eq!(counts(None).await.len(), 6);

        // Every case was recorded just now.
        let new = s.new_cases_by_unit(Some(&a), Timestamp(0)).await.unwrap();
        assert_eq!(new, [(Some(village.clone()), 1)], "{}", db.name());
        let future = Timestamp(chrono::Utc::now().timestamp() + 3_600);
        assert!(s.new_cases_by_unit(None, future).await.unwrap().is_empty());
        assert_eq!(
            s.new_cases_by_unit(None, Timestamp(0)).await.unwrap().len(),
            2
        );

        let tree = s.trace_tree(f0, 4).await.unwrap();
        let got: Vec<(i64, u8, Option<i64>)> = tree
            .iter()
            .map(|n| (n.person_id, n.level, n.via_person_id))
            .collect();
        assert_eq!(
            got,
            [
                (f0, 0, None),
                (f1, 1, Some(f0)),
                (f1b, 1, Some(f0)),
                (f2, 2, Some(f1))
            ],
            "{}",
            db.name()
        );
        assert_eq!(tree[3].full_name, "Vàng A Sử");
        assert_eq!(tree[3].unit_code.as_ref(), Some(&other));
        assert_eq!(tree[1].via_kind, Some(ExposureKind::Contact));
        assert_eq!(s.trace_tree(f0, 1).await.unwrap().len(), 3);
        assert_eq!(s.trace_tree(f1, 4).await.unwrap().len(), 2);
        assert!(s.trace_tree(999_999, 4).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn units_read_before_a_new_village_see_it_at_once_here_and_within_a_second_from_elsewhere() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let (district, a, village, _, _) = units(s).await;
        let under = |unit: UnitCode| async move {
            s.units_under(&unit)
                .await
                .unwrap()
                .into_iter()
                .map(|u| u.code)
                .collect::<Vec<_>>()
        };
        // Read (and kept), then a village added by this process: seen at once.
        assert!(under(district.clone()).await.contains(&village));
        let second = UnitCode::village(&a, 4).unwrap();
        s.insert_unit(&AdminUnit {
            code: second.clone(),
            name: "Bản Nà Tăm".into(),
            level: AdminLevel::Village,
            parent: Some(a.clone()),
        })
        .await
        .unwrap();
        assert!(
            under(district.clone()).await.contains(&second),
            "{}",
            db.name()
        );
        assert_eq!(s.unit(&second).await.unwrap().name, "Bản Nà Tăm");

        // Another process (another store on the same database) adds one and moves the
        // data version, as its import would: seen within a second.
        let other = Store::connect(&db.url).await.unwrap();
        let third = UnitCode::village(&a, 5).unwrap();
        other
            .insert_unit(&AdminUnit {
                code: third.clone(),
                name: "Bản Nà Luông".into(),
                level: AdminLevel::Village,
                parent: Some(a.clone()),
            })
            .await
            .unwrap();
        let mut bulk = other.bulk().await.unwrap();
        bulk.bump_data_version().await.unwrap();
        bulk.commit().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        assert!(under(district).await.contains(&third), "{}", db.name());
    }
}
