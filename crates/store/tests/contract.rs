//! The storage contract: every test runs on a fresh SQLite file and, when
//! `PHONGDICH_TEST_PG` is set, on a fresh PostgreSQL database (required under `CI=true`).

#![allow(clippy::unwrap_used)]

use phongdich_domain::{AdminLevel, UnitCode};
use phongdich_store::testing::all_backends;

#[tokio::test]
async fn migrate_twice_is_idempotent() {
    for db in all_backends().await.unwrap() {
        db.store.migrate().await.unwrap();
        assert_eq!(
            db.store.load_official_units().await.unwrap(),
            0,
            "{}",
            db.name()
        );
    }
}

#[tokio::test]
async fn official_units_are_loaded() {
    for db in all_backends().await.unwrap() {
        let provinces = db.store.units_at_level(AdminLevel::Province).await.unwrap();
        assert_eq!(provinces.len(), 63, "{}", db.name());
        let lai_chau = UnitCode::parse("12").unwrap();
        assert_eq!(
            db.store.unit(&lai_chau).await.unwrap().name,
            "Tỉnh Lai Châu"
        );
        assert_eq!(
            db.store.children(&lai_chau).await.unwrap().len(),
            8,
            "{}",
            db.name()
        );
        let communes = db.store.communes_of_province(&lai_chau).await.unwrap();
        assert_eq!(communes.len(), 106, "{}", db.name());
        assert!(communes.iter().all(|c| c.level == AdminLevel::Commune));
    }
}

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use phongdich_domain::{
    AdminUnit, BirthDate, Case, CaseClassification, CaseOutcome, FullName, IdentityDocument,
    Interval, Phone, PlaceKind, Sex, TestKind, TestResult, Timestamp, VenueKind,
};
use phongdich_store::{
    Exposure, ExposureKind, NewCase, NewContact, NewHousehold, NewPerson, NewPlace, NewPresence,
    NewTest, PersonQuery, StoreError, TraceLevel,
};

fn person(reference: &str, name: &str, id_number: Option<&str>) -> NewPerson {
    NewPerson {
        id: None,
        reference: reference.to_owned(),
        full_name: FullName::parse(name).unwrap(),
        birth: Some(BirthDate::Date(
            NaiveDate::from_ymd_opt(1987, 3, 4).unwrap(),
        )),
        sex: Some(Sex::Male),
        identity: id_number.map(|n| IdentityDocument::parse(n).unwrap()),
        nationality: "VN".to_owned(),
        phone: Some(Phone::parse("0912345678").unwrap()),
        address: Some("Bản Nà Khum".to_owned()),
        unit_code: Some(UnitCode::parse("03460").unwrap()),
        household_id: None,
    }
}

fn interval(start: i64, end: i64) -> Interval {
    Interval::new(Timestamp(start), Timestamp(end)).unwrap()
}

#[tokio::test]
async fn persons_are_stored_and_found_without_diacritics() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let id = s
            .insert_person(&person("P1", "Nguyễn Văn An", Some("001203004567")))
            .await
            .unwrap();
        s.insert_person(&person("P2", "Lò Thị Bình", None))
            .await
            .unwrap();
        s.insert_person(&person("P3", "Trần An", None))
            .await
            .unwrap();
        let got = s.person(id).await.unwrap();
        assert_eq!(got.full_name.as_str(), "Nguyễn Văn An");
        assert_eq!(
            got.identity,
            Some(IdentityDocument::Cccd("001203004567".into()))
        );
        assert_eq!(
            got.birth,
            Some(BirthDate::Date(
                NaiveDate::from_ymd_opt(1987, 3, 4).unwrap()
            ))
        );
        assert_eq!(s.person_by_ref("P1").await.unwrap().id, id);

        let search = |text: &str| PersonQuery {
            text: text.to_owned(),
            ..PersonQuery::default()
        };
        let page = s.search_persons(&search("nguyen van an")).await.unwrap();
        assert_eq!(page.total, 1, "{}", db.name());
        assert_eq!(page.items[0].id, id);
        // Prefix matches come before substring matches.
        let page = s.search_persons(&search("AN")).await.unwrap();
        assert_eq!(page.total, 2, "{}", db.name());
        let page = s.search_persons(&search("001 203 004 567")).await.unwrap();
        assert_eq!(
            page.items.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![id]
        );
        let page = s.search_persons(&search("+84 912 345 678")).await.unwrap();
        assert_eq!(page.total, 3);
        let page = s
            .search_persons(&PersonQuery {
                limit: 2,
                offset: 2,
                ..PersonQuery::default()
            })
            .await
            .unwrap();
        assert_eq!((page.total, page.items.len()), (3, 1));
        let page = s.search_persons(&search("50%_")).await.unwrap();
        assert_eq!(page.total, 0);
        assert!(matches!(
            s.person(9999).await,
            Err(StoreError::NotFound { .. })
        ));
    }
}

#[tokio::test]
async fn duplicate_identity_number_is_a_conflict() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        s.insert_person(&person("P1", "Nguyễn Văn An", Some("001203004567")))
            .await
            .unwrap();
        let err = s
            .insert_person(&person("P2", "Nguyễn Văn Anh", Some("001203004567")))
            .await
            .unwrap_err();
        match err {
            StoreError::Conflict(msg) => {
                assert!(msg.contains("001203004567"), "{}: {msg}", db.name())
            }
            other => panic!("{}: expected a conflict, got {other:?}", db.name()),
        }
        let err = s
            .insert_person(&person("P1", "Lò Văn B", None))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict(ref m) if m.contains("P1")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn bulk_load_then_counts_and_round_trips() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let commune = UnitCode::parse("03460").unwrap();
        let village = UnitCode::village(&commune, 7).unwrap();
        let mut bulk = s.bulk().await.unwrap();
        bulk.units(&[AdminUnit {
            code: village.clone(),
            name: "Bản Nà Khum".into(),
            level: AdminLevel::Village,
            parent: Some(commune.clone()),
        }])
        .await
        .unwrap();
        bulk.households(&[NewHousehold {
            id: Some(1),
            reference: "H1".into(),
            unit_code: village.clone(),
            address: Some("Nhà 1\tBản Nà Khum".into()),
        }])
        .await
        .unwrap();
        let persons: Vec<NewPerson> = (1..=50)
            .map(|i| NewPerson {
                id: Some(i),
                household_id: Some(1),
                unit_code: Some(village.clone()),
                phone: None,
                ..person(&format!("P{i}"), &format!("Người Thứ {i}"), None)
            })
            .collect();
        assert_eq!(bulk.persons(&persons).await.unwrap(), 50);
        bulk.places(&[
            NewPlace {
                id: Some(1),
                reference: "H1".into(),
                kind: PlaceKind::Household,
                venue_kind: None,
                name: "Hộ 1".into(),
                unit_code: Some(village.clone()),
                address: None,
                capacity: None,
                operator: None,
            },
            NewPlace {
                id: Some(2),
                reference: "V1".into(),
                kind: PlaceKind::Venue,
                venue_kind: Some(VenueKind::Market),
                name: "Chợ \\ trung tâm".into(),
                unit_code: Some(commune.clone()),
                address: None,
                capacity: Some(500),
                operator: None,
            },
        ])
        .await
        .unwrap();
        let presences: Vec<NewPresence> = (1..=50)
            .map(|i| NewPresence {
                person_id: i,
                place_id: 1 + i % 2,
                interval: interval(1_000 * i, 1_000 * i + 3_600),
            })
            .collect();
        assert_eq!(bulk.presences(&presences).await.unwrap(), 50);
        bulk.contacts(&[NewContact {
            a_id: 1,
            b_id: 2,
            interval: interval(100, 200),
            setting: Some("household".into()),
        }])
        .await
        .unwrap();
        let case = Case {
            onset: NaiveDate::from_ymd_opt(2021, 5, 12),
            sample_date: NaiveDate::from_ymd_opt(2021, 5, 14),
            infectious_from: Timestamp(1_620_579_600),
            isolated_at: None,
            classification: CaseClassification::Confirmed,
            outcome: CaseOutcome::UnderTreatment,
        };
        bulk.cases(&[NewCase {
            person_id: 1,
            recorded_at: phongdich_domain::Timestamp(1_620_000_000),
            case: case.clone(),
        }])
        .await
        .unwrap();
        bulk.tests(&[NewTest {
            person_id: 1,
            sampled_at: Timestamp(1_620_950_000),
            kind: TestKind::Pcr,
            result: TestResult::Positive,
            laboratory: Some("CDC Lai Châu".into()),
        }])
        .await
        .unwrap();
        bulk.commit().await.unwrap();

        let counts = s.counts().await.unwrap();
        assert_eq!(
            (
                counts.persons,
                counts.households,
                counts.places,
                counts.presences
            ),
            (50, 1, 2, 50),
            "{}",
            db.name()
        );
        assert_eq!((counts.contacts, counts.cases, counts.tests), (1, 1, 1));

        // Sequences caught up with the explicit ids: a single insert gets a fresh id.
        let id = s
            .insert_person(&person("P51", "Người Mới", None))
            .await
            .unwrap();
        assert_eq!(id, 51, "{}", db.name());

        let mine = s.presences_of_person(3).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!((mine[0].place_id, mine[0].kind), (2, PlaceKind::Venue));
        assert_eq!(mine[0].interval, interval(3_000, 6_600));
        let first = s.presences_after(0, 20).await.unwrap();
        let next = s.presences_after(first[19].id, 100).await.unwrap();
        assert_eq!((first.len(), next.len()), (20, 30), "{}", db.name());
        let all: Vec<_> = s.stream_presences().try_collect().await.unwrap();
        assert_eq!(all.len(), 50);
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(all[0].person_id, 1);
        assert_eq!(all[0].kind, PlaceKind::Venue);
        let at_market = s.presences_at_place(2, interval(0, 10_000)).await.unwrap();
        assert_eq!(at_market.len(), 5);
        let contacts: Vec<_> = s.stream_contacts().try_collect().await.unwrap();
        assert_eq!(contacts.len(), 1);
        assert_eq!(s.contacts_of_person(2).await.unwrap().len(), 1);
        assert_eq!(
            s.case_of_person(1).await.unwrap().map(|c| c.case),
            Some(case)
        );
        assert_eq!(
            s.tests_of_person(1).await.unwrap()[0].test.result,
            TestResult::Positive
        );
        assert_eq!(s.place_by_ref("V1").await.unwrap().name, "Chợ \\ trung tâm");
        assert_eq!(
            s.household(1).await.unwrap().address.as_deref(),
            Some("Nhà 1\tBản Nà Khum")
        );
        assert_eq!(s.household_members(1).await.unwrap().len(), 50);
        let by_commune = s.cases_by_commune().await.unwrap();
        assert_eq!(by_commune.len(), 1);
        assert_eq!(
            (by_commune[0].commune.as_str(), by_commune[0].cases),
            ("03460", 1)
        );
        let in_commune = s
            .search_persons(&PersonQuery {
                unit: Some(commune.clone()),
                ..PersonQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(in_commune.total, 51, "{}", db.name());
    }
}

#[tokio::test]
async fn a_dropped_bulk_load_writes_nothing() {
    for db in all_backends().await.unwrap() {
        let mut bulk = db.store.bulk().await.unwrap();
        bulk.persons(&[person("P1", "Nguyễn Văn An", None)])
            .await
            .unwrap();
        drop(bulk);
        assert_eq!(db.store.counts().await.unwrap().persons, 0, "{}", db.name());
    }
}

#[tokio::test]
async fn trace_levels_round_trip() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let a = s
            .insert_person(&person("P1", "Nguyễn Văn An", None))
            .await
            .unwrap();
        let b = s
            .insert_person(&person("P2", "Lò Thị Bình", None))
            .await
            .unwrap();
        let place = s
            .insert_place(&NewPlace {
                id: None,
                reference: "V1".into(),
                kind: PlaceKind::Venue,
                venue_kind: Some(VenueKind::Market),
                name: "Chợ".into(),
                unit_code: None,
                address: None,
                capacity: None,
                operator: None,
            })
            .await
            .unwrap();
        let levels = vec![
            TraceLevel {
                person_id: a,
                level: 0,
                exposed_at: Timestamp(100),
                via: None,
                computed_at: Timestamp(999),
            },
            TraceLevel {
                person_id: b,
                level: 1,
                exposed_at: Timestamp(150),
                via: Some(Exposure {
                    person_id: a,
                    kind: ExposureKind::Place(PlaceKind::Venue),
                    place_id: Some(place),
                    interval: interval(150, 2_000),
                }),
                computed_at: Timestamp(999),
            },
        ];
        s.replace_trace_levels(&levels).await.unwrap();
        assert_eq!(s.trace_levels().await.unwrap(), levels, "{}", db.name());
        assert_eq!(s.trace_level(b).await.unwrap(), Some(levels[1]));
        assert_eq!(s.trace_level_counts().await.unwrap(), vec![(0, 1), (1, 1)]);
        assert_eq!(s.trace_levels_at(1, 0, 10).await.unwrap(), vec![levels[1]]);
        s.replace_trace_levels(&levels[..1]).await.unwrap();
        assert_eq!(s.trace_levels().await.unwrap().len(), 1);

        // Incremental: b back at level 1 (insert), a moved (update), then a gone.
        let mut moved = levels.clone();
        moved[0].exposed_at = Timestamp(50);
        s.upsert_trace_levels(&moved, &[]).await.unwrap();
        assert_eq!(s.trace_levels().await.unwrap(), moved, "{}", db.name());
        s.upsert_trace_levels(&[], &[a]).await.unwrap();
        assert_eq!(s.trace_levels().await.unwrap(), moved[1..], "{}", db.name());
    }
}

#[tokio::test]
async fn many_levels_are_upserted_in_multi_row_statements() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let persons: Vec<NewPerson> = (0..450)
            .map(|i| NewPerson {
                id: Some(i + 1),
                ..person(&format!("P{i}"), "Lò Văn Minh", None)
            })
            .collect();
        let mut bulk = s.bulk().await.unwrap();
        bulk.persons(&persons).await.unwrap();
        bulk.commit().await.unwrap();
        let level = |id: i64, l: u8| TraceLevel {
            person_id: id,
            level: l,
            exposed_at: Timestamp(100 + id),
            via: (l > 0).then(|| Exposure {
                person_id: 1,
                kind: ExposureKind::Contact,
                place_id: None,
                interval: interval(100, 200 + id),
            }),
            computed_at: Timestamp(999),
        };
        let first: Vec<TraceLevel> = (1..=450).map(|id| level(id, 2)).collect();
        s.upsert_trace_levels(&first, &[]).await.unwrap();
        assert_eq!(s.trace_levels().await.unwrap(), first, "{}", db.name());
        // Half of them move to F1, the first ten are gone.
        let second: Vec<TraceLevel> = (11..=230).map(|id| level(id, 1)).collect();
        let gone: Vec<i64> = (1..=10).collect();
        s.upsert_trace_levels(&second, &gone).await.unwrap();
        let stored = s.trace_levels().await.unwrap();
        assert_eq!(stored.len(), 440, "{}", db.name());
        assert_eq!(stored.iter().filter(|l| l.level == 1).count(), 220);
        assert!(stored.iter().all(|l| l.person_id > 10));
    }
}

#[tokio::test]
async fn postgres_runs_when_configured() {
    let dbs = all_backends().await.unwrap();
    let expected = if std::env::var("PHONGDICH_TEST_PG").is_ok_and(|v| !v.is_empty()) {
        2
    } else {
        1
    };
    assert_eq!(dbs.len(), expected);
}

#[tokio::test]
async fn a_bulk_load_with_a_dangling_reference_fails_whole() {
    for db in all_backends().await.unwrap() {
        let mut bulk = db.store.bulk().await.unwrap();
        let written = bulk
            .presences(&[NewPresence {
                person_id: 42,
                place_id: 7,
                interval: interval(0, 10),
            }])
            .await;
        // SQLite checks each row; PostgreSQL checks the whole table at commit.
        let result = match written {
            Ok(_) => bulk.commit().await,
            Err(e) => {
                drop(bulk);
                Err(e)
            }
        };
        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "{}: {result:?}",
            db.name()
        );
        assert_eq!(db.store.counts().await.unwrap().presences, 0);
        // The indexes dropped for the load came back with the rollback.
        let mut bulk = db.store.bulk().await.unwrap();
        bulk.presences(&[]).await.unwrap();
        bulk.commit().await.unwrap();
    }
}

#[tokio::test]
async fn readers_are_not_blocked_by_a_running_load() {
    for db in all_backends().await.unwrap() {
        let mut bulk = db.store.bulk().await.unwrap();
        bulk.persons(&[person("P1", "Nguyễn Văn An", None)])
            .await
            .unwrap();
        assert_eq!(db.store.counts().await.unwrap().persons, 0, "{}", db.name());
        bulk.commit().await.unwrap();
        assert_eq!(db.store.counts().await.unwrap().persons, 1, "{}", db.name());
    }
}

#[tokio::test]
async fn batched_lookups_find_what_exists() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let a = s
            .insert_person(&person("P1", "Nguyễn Văn An", Some("001203004567")))
            .await
            .unwrap();
        let refs: Vec<String> = (0..1200).map(|i| format!("P{i}")).collect();
        let found = s.person_ids_by_ref(&refs).await.unwrap();
        assert_eq!(found.len(), 1, "{}", db.name());
        assert_eq!(found["P1"], a);
        let taken = s
            .holders_of_id_numbers(&["001203004567".to_owned(), "040123456".to_owned()])
            .await
            .unwrap();
        assert_eq!(taken.get("001203004567").map(String::as_str), Some("P1"));
        let units = s
            .existing_units(&["12".to_owned(), "99999".to_owned()])
            .await
            .unwrap();
        assert!(units.contains("12") && !units.contains("99999"));
        assert!(s.persons_with_case(&[a]).await.unwrap().is_empty());
        assert!(s
            .places_by_ref(&["V1".to_owned()])
            .await
            .unwrap()
            .is_empty());
        assert!(s
            .household_ids_by_ref(&["H1".to_owned()])
            .await
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn urls_choose_the_backend_and_sqlite_files_are_created() {
    let err = phongdich_store::Store::connect("mysql://u:secret@h/db")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnsupportedUrl(ref u) if !u.contains("secret")),
        "{err:?}"
    );
    let err = phongdich_store::Store::connect("sqlite::memory:")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = phongdich_store::Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store.ping().await.unwrap();
    assert!(path.exists());
    assert_eq!(store.backend(), phongdich_store::BackendKind::Sqlite);
    store.close().await;
}

#[tokio::test]
async fn the_audit_log_filters_by_user_action_entity_time_and_pages() {
    use phongdich_store::{AuditFilter, NewAuditEvent, NewUser};
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let mut ids = Vec::new();
        for name in ["an", "binh"] {
            let id = s
                .insert_user(&NewUser {
                    username: name.to_owned(),
                    display_name: name.to_owned(),
                    password_hash: "$argon2id$stub".to_owned(),
                    role: "commune_officer".to_owned(),
                    jurisdiction_kind: "unit".to_owned(),
                    jurisdiction_code: "12".to_owned(),
                })
                .await
                .unwrap();
            ids.push(id);
        }
        // 20 events: alternating users, views of person 1..4, one create per five.
        for i in 0..20i64 {
            s.insert_audit_event(&NewAuditEvent {
                at: 1_700_000_000 + i * 60,
                user_id: Some(ids[(i % 2) as usize]),
                action: if i % 5 == 0 { "create" } else { "view" }.to_owned(),
                entity: "person".to_owned(),
                entity_id: (i % 4 + 1).to_string(),
                before_json: None,
                after_json: None,
                ip: None,
            })
            .await
            .unwrap();
        }
        let search = |f: AuditFilter| async move { s.audit_search(&f).await.unwrap() };
        let all = AuditFilter {
            limit: 100,
            ..AuditFilter::default()
        };
        let name = db.name();
        assert_eq!(search(all.clone()).await.len(), 20, "{name}");
        let by_user = search(AuditFilter {
            user_id: Some(ids[1]),
            ..all.clone()
        })
        .await;
        assert_eq!(by_user.len(), 10);
        assert!(by_user.iter().all(|e| e.event.user_id == Some(ids[1])));
        let creates = search(AuditFilter {
            action: Some("create".to_owned()),
            ..all.clone()
        })
        .await;
        assert_eq!(creates.len(), 4);
        let person_3 = search(AuditFilter {
            entity: Some("person".to_owned()),
            entity_id: Some("3".to_owned()),
            ..all.clone()
        })
        .await;
        assert_eq!(person_3.len(), 5);
        // Minutes 5 to 9 of the period: five events.
        let window = search(AuditFilter {
            from: Some(1_700_000_000 + 5 * 60),
            until: Some(1_700_000_000 + 10 * 60),
            ..all.clone()
        })
        .await;
        assert_eq!(window.len(), 5);
        // Pages of 8, newest first, with no event twice and none lost.
        let mut seen = Vec::new();
        let mut before_id = None;
        loop {
            let page = search(AuditFilter {
                before_id,
                limit: 8,
                ..AuditFilter::default()
            })
            .await;
            if page.is_empty() {
                break;
            }
            before_id = page.last().map(|e| e.id);
            seen.extend(page.into_iter().map(|e| e.id));
        }
        assert_eq!(seen.len(), 20);
        assert!(seen.windows(2).all(|w| w[0] > w[1]), "{name}: newest first");
    }
}

#[tokio::test]
async fn the_shared_pool_has_a_statement_timeout_on_postgres() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        // Several at once, so that more than one pooled connection answers.
        let settings =
            futures_util::future::join_all((0..4).map(|_| s.statement_timeout_setting())).await;
        for setting in settings {
            let expected = match s.backend() {
                phongdich_store::BackendKind::Postgres => {
                    Some(format!("{}s", phongdich_store::STATEMENT_TIMEOUT_SECONDS))
                }
                phongdich_store::BackendKind::Sqlite => None,
            };
            assert_eq!(setting.unwrap(), expected, "{}", db.name());
        }
        assert_eq!(phongdich_store::STATEMENT_TIMEOUT_SECONDS, 30);
        // A bulk load's vacuum runs on the other pool, and still runs.
        let mut bulk = s.bulk().await.unwrap();
        bulk.persons(&[person("P1", "Nguyễn Văn An", None)])
            .await
            .unwrap();
        bulk.commit().await.unwrap();
        assert_eq!(s.counts().await.unwrap().persons, 1, "{}", db.name());
    }
}

#[tokio::test]
async fn offsets_and_cursors_at_the_ends_of_i64_are_pages_not_errors() {
    use phongdich_store::{AuditFilter, ContactQuery, NewAuditEvent};
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let mut ids = Vec::new();
        for (r, n) in [
            ("P1", "Nguyễn Văn An"),
            ("P2", "Lò Thị Bình"),
            ("P3", "Trần An"),
        ] {
            ids.push(s.insert_person(&person(r, n, None)).await.unwrap());
        }
        for offset in [i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
            for text in ["", "an"] {
                let page = s
                    .search_persons(&PersonQuery {
                        text: text.to_owned(),
                        offset,
                        limit: u64::MAX,
                        ..PersonQuery::default()
                    })
                    .await
                    .unwrap();
                assert!(page.items.is_empty(), "{name}: offset {offset}");
                assert_eq!(page.total, if text.is_empty() { 3 } else { 2 }, "{name}");
            }
            s.replace_trace_levels(&[TraceLevel {
                person_id: ids[0],
                level: 1,
                exposed_at: Timestamp(100),
                via: None,
                computed_at: Timestamp(999),
            }])
            .await
            .unwrap();
            assert!(s
                .trace_levels_at(1, offset, u64::MAX)
                .await
                .unwrap()
                .is_empty());
            assert_eq!(s.trace_levels_at(1, 0, u64::MAX).await.unwrap().len(), 1);
        }

        s.insert_contact(&NewContact {
            a_id: ids[0],
            b_id: ids[1],
            interval: interval(100, 200),
            setting: None,
        })
        .await
        .unwrap();
        let unit = UnitCode::parse("03460").unwrap();
        for unit in [None, Some(unit)] {
            let list = |after| {
                let unit = unit.clone();
                async move {
                    s.contact_list(&ContactQuery {
                        unit,
                        after,
                        limit: u64::MAX,
                    })
                    .await
                    .unwrap()
                    .len()
                }
            };
            assert_eq!(
                list(Some((Timestamp(i64::MAX), i64::MAX))).await,
                1,
                "{name}"
            );
            assert_eq!(
                list(Some((Timestamp(i64::MIN), i64::MIN))).await,
                0,
                "{name}"
            );
            assert_eq!(list(None).await, 1, "{name}");
        }

        s.insert_audit_event(&NewAuditEvent {
            at: 1_000,
            user_id: None,
            action: "view".to_owned(),
            entity: "person".to_owned(),
            entity_id: ids[0].to_string(),
            before_json: None,
            after_json: None,
            ip: None,
        })
        .await
        .unwrap();
        let found = |f: AuditFilter| async move { s.audit_search(&f).await.unwrap().len() };
        let wide = AuditFilter {
            from: Some(i64::MIN),
            until: Some(i64::MAX),
            before_id: Some(i64::MAX),
            limit: u64::MAX,
            ..AuditFilter::default()
        };
        assert_eq!(found(wide.clone()).await, 1, "{name}");
        assert_eq!(
            found(AuditFilter {
                before_id: Some(i64::MIN),
                ..wide
            })
            .await,
            0,
            "{name}"
        );
    }
}

#[tokio::test]
async fn contacts_stream_page_by_page_in_id_order() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let a = s
            .insert_person(&person("P1", "Nguyễn Văn An", None))
            .await
            .unwrap();
        let b = s
            .insert_person(&person("P2", "Lò Thị Bình", None))
            .await
            .unwrap();
        // Two full pages of 10,000 and a part.
        let contacts: Vec<NewContact> = (0..25_001)
            .map(|i| NewContact {
                a_id: a,
                b_id: b,
                interval: interval(i, i + 10),
                setting: None,
            })
            .collect();
        let mut bulk = s.bulk().await.unwrap();
        bulk.contacts(&contacts).await.unwrap();
        bulk.commit().await.unwrap();
        let streamed: Vec<_> = s.stream_contacts().try_collect().await.unwrap();
        assert_eq!(streamed.len(), 25_001, "{}", db.name());
        assert!(
            streamed.windows(2).all(|w| w[0].id < w[1].id),
            "{}",
            db.name()
        );
        assert_eq!(streamed[25_000].interval, interval(25_000, 25_010));
    }
}
