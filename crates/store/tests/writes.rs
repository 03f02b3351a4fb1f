//! Write transactions ([`phongdich_store::Tx`]), idempotency keys and batched audit
//! events, on a fresh SQLite file and, when `PHONGDICH_TEST_PG` is set, on a fresh
//! PostgreSQL database.

#![allow(clippy::unwrap_used)]

use phongdich_domain::{
    Case, CaseClassification, CaseOutcome, FullName, Interval, TestKind, TestResult, Timestamp,
};
use phongdich_store::testing::all_backends;
use phongdich_store::{
    AuditFilter, NewAuditEvent, NewCase, NewContact, NewPerson, NewTest, NewUser, Store, StoreError,
};

async fn person(s: &Store, reference: &str) -> i64 {
    s.insert_person(&NewPerson {
        id: None,
        reference: reference.to_owned(),
        full_name: FullName::parse("Lò Văn Sơn").unwrap(),
        birth: None,
        sex: None,
        identity: None,
        nationality: "VN".to_owned(),
        phone: None,
        address: None,
        unit_code: None,
        household_id: None,
    })
    .await
    .unwrap()
}

async fn user(s: &Store, username: &str) -> i64 {
    s.insert_user(&NewUser {
        username: username.to_owned(),
        display_name: username.to_owned(),
        password_hash: "$argon2id$stub".to_owned(),
        role: "commune_officer".to_owned(),
        jurisdiction_kind: "unit".to_owned(),
        jurisdiction_code: "12".to_owned(),
    })
    .await
    .unwrap()
}

fn case(person_id: i64) -> NewCase {
    NewCase {
        person_id,
        recorded_at: Timestamp(1_700_000_000),
        case: Case {
            onset: None,
            sample_date: None,
            infectious_from: Timestamp(1_700_000_000),
            isolated_at: None,
            classification: CaseClassification::Confirmed,
            outcome: CaseOutcome::UnderTreatment,
        },
    }
}

fn event(user_id: Option<i64>, action: &str, entity_id: &str, at: i64) -> NewAuditEvent {
    NewAuditEvent {
        at,
        user_id,
        action: action.to_owned(),
        entity: "case".to_owned(),
        entity_id: entity_id.to_owned(),
        before_json: None,
        after_json: Some(format!("{{\"id\":\"{entity_id}\"}}")),
        ip: Some("10.0.0.1".to_owned()),
    }
}

fn every_event() -> AuditFilter {
    AuditFilter {
        limit: 1000,
        ..AuditFilter::default()
    }
}

#[tokio::test]
async fn a_dropped_tx_leaves_nothing() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let a = person(s, "P1").await;
        let b = person(s, "P2").await;
        let mut tx = s.begin().await.unwrap();
        tx.insert_case(&case(a)).await.unwrap();
        tx.insert_test(&NewTest {
            person_id: a,
            sampled_at: Timestamp(1_700_000_000),
            kind: TestKind::Pcr,
            result: TestResult::Positive,
            laboratory: None,
        })
        .await
        .unwrap();
        tx.insert_contact(&NewContact {
            a_id: a,
            b_id: b,
            interval: Interval::new(Timestamp(10), Timestamp(20)).unwrap(),
            setting: None,
        })
        .await
        .unwrap();
        tx.insert_audit_event(&event(None, "create", "1", 1_700_000_000))
            .await
            .unwrap();
        tx.insert_audit_events(&[event(None, "view", "1", 1_700_000_001)])
            .await
            .unwrap();
        drop(tx);
        assert_eq!(s.case_of_person(a).await.unwrap(), None, "{name}");
        assert!(s.tests_of_person(a).await.unwrap().is_empty(), "{name}");
        assert!(s.contacts_of_person(a).await.unwrap().is_empty(), "{name}");
        assert!(
            s.audit_search(&every_event()).await.unwrap().is_empty(),
            "{name}"
        );
        // The person can still become a case: the rolled-back one left no trace.
        s.insert_case(&case(a)).await.unwrap();
    }
}

#[tokio::test]
async fn a_committed_tx_writes_the_case_and_its_audit_event() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let a = person(s, "P1").await;
        let b = person(s, "P2").await;
        let mut tx = s.begin().await.unwrap();
        let case_id = tx.insert_case(&case(a)).await.unwrap();
        let test_id = tx
            .insert_test(&NewTest {
                person_id: a,
                sampled_at: Timestamp(1_700_000_000),
                kind: TestKind::Pcr,
                result: TestResult::Positive,
                laboratory: Some("CDC Lai Châu".to_owned()),
            })
            .await
            .unwrap();
        let contact_id = tx
            .insert_contact(&NewContact {
                a_id: a,
                b_id: b,
                interval: Interval::new(Timestamp(10), Timestamp(20)).unwrap(),
                setting: Some("household".to_owned()),
            })
            .await
            .unwrap();
        let written = event(None, "create", &case_id.to_string(), 1_700_000_000);
        let event_id = tx.insert_audit_event(&written).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            s.case_of_person(a).await.unwrap().unwrap().id,
            case_id,
            "{name}"
        );
        assert_eq!(s.tests_of_person(a).await.unwrap()[0].id, test_id, "{name}");
        assert_eq!(
            s.contacts_of_person(b).await.unwrap()[0].id,
            contact_id,
            "{name}"
        );
        let events = s.audit_search(&every_event()).await.unwrap();
        assert_eq!(events.len(), 1, "{name}");
        assert_eq!(events[0].id, event_id, "{name}");
        assert_eq!(events[0].event, written, "{name}");
    }
}

#[tokio::test]
async fn concurrent_cases_for_one_person_give_one_ok_and_one_conflict() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        for round in 0..5 {
            let p = person(s, &format!("P{round}")).await;
            let attempt = || async {
                let mut tx = s.begin().await?;
                let id = tx.insert_case(&case(p)).await?;
                tx.insert_audit_event(&event(None, "create", &id.to_string(), 1_700_000_000))
                    .await?;
                tx.commit().await?;
                Ok::<_, StoreError>(id)
            };
            let (first, second) = tokio::join!(attempt(), attempt());
            let (ok, err) = match (first, second) {
                (Ok(id), Err(e)) | (Err(e), Ok(id)) => (id, e),
                other => panic!("{name}: expected one Ok and one Err, got {other:?}"),
            };
            assert!(
                matches!(&err, StoreError::Conflict(m) if m == "this person is already a case"),
                "{name}: {err:?}"
            );
            assert_eq!(s.case_of_person(p).await.unwrap().unwrap().id, ok, "{name}");
        }
        // One audit event per case that was stored, none for the refused ones.
        assert_eq!(
            s.audit_search(&every_event()).await.unwrap().len(),
            5,
            "{name}"
        );
    }
}

#[tokio::test]
async fn store_insert_case_conflict_has_the_same_words() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let p = person(s, "P1").await;
        s.insert_case(&case(p)).await.unwrap();
        let err = s.insert_case(&case(p)).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m) if m == "this person is already a case"),
            "{}: {err:?}",
            db.name()
        );
    }
}

#[tokio::test]
async fn an_idempotency_key_is_used_once_per_user() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let an = user(s, "an").await;
        let binh = user(s, "binh").await;
        let p = person(s, "P1").await;

        let mut tx = s.begin().await.unwrap();
        let case_id = tx.insert_case(&case(p)).await.unwrap().to_string();
        tx.insert_idempotency_key(an, "k-1", "case.create", &case_id, 1_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        // The retry: its key conflicts, it rolls back and reads the first result.
        let q = person(s, "P2").await;
        let mut tx = s.begin().await.unwrap();
        tx.insert_case(&case(q)).await.unwrap();
        let err = tx
            .insert_idempotency_key(an, "k-1", "case.create", "other", 1_001)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{name}: {err:?}");
        drop(tx);
        assert_eq!(s.case_of_person(q).await.unwrap(), None, "{name}");
        assert_eq!(
            s.idempotent_result(an, "k-1").await.unwrap(),
            Some(("case.create".to_owned(), case_id.clone())),
            "{name}"
        );

        // Another user's key of the same text is another key.
        assert_eq!(
            s.idempotent_result(binh, "k-1").await.unwrap(),
            None,
            "{name}"
        );
        let mut tx = s.begin().await.unwrap();
        tx.insert_idempotency_key(binh, "k-1", "test.create", "7", 2_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            s.idempotent_result(binh, "k-1").await.unwrap(),
            Some(("test.create".to_owned(), "7".to_owned())),
            "{name}"
        );
        assert_eq!(
            s.idempotent_result(an, "k-1").await.unwrap().unwrap().1,
            case_id,
            "{name}"
        );

        // Old keys go by age.
        assert_eq!(
            s.delete_idempotency_keys_before(1_500).await.unwrap(),
            1,
            "{name}"
        );
        assert_eq!(
            s.idempotent_result(an, "k-1").await.unwrap(),
            None,
            "{name}"
        );
        assert!(
            s.idempotent_result(binh, "k-1").await.unwrap().is_some(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn audit_events_are_written_in_batches_all_or_none() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let an = user(s, "an").await;
        s.insert_audit_events(&[]).await.unwrap();
        // Three statements: 200, 200 and 50 rows.
        let events: Vec<NewAuditEvent> = (0..450)
            .map(|i| event(Some(an), "view", &i.to_string(), 1_700_000_000 + i))
            .collect();
        s.insert_audit_events(&events).await.unwrap();
        let stored = s.audit_search(&every_event()).await.unwrap();
        assert_eq!(stored.len(), 450, "{name}");
        // Newest first, each as written.
        let mut back: Vec<NewAuditEvent> = stored.into_iter().map(|e| e.event).collect();
        back.reverse();
        assert_eq!(back, events, "{name}");

        // One bad event in the second statement: nothing of the batch is written.
        let mut bad: Vec<NewAuditEvent> = (0..300)
            .map(|i| event(None, "view", &i.to_string(), 1_800_000_000 + i))
            .collect();
        bad[250].action = "shred".to_owned();
        let err = s.insert_audit_events(&bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{name}: {err:?}");
        assert_eq!(
            s.audit_search(&every_event()).await.unwrap().len(),
            450,
            "{name}"
        );

        // Inside a Tx they commit with it.
        let mut tx = s.begin().await.unwrap();
        tx.insert_audit_events(&bad[..250]).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            s.audit_search(&every_event()).await.unwrap().len(),
            700,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_bulk_load_audits_and_moves_the_data_version_in_its_transaction() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let event = |n: i64| NewAuditEvent {
            at: 1_620_000_000 + n,
            user_id: None,
            action: "create".into(),
            entity: "import".into(),
            entity_id: format!("persons.csv #{n}"),
            before_json: None,
            after_json: Some("{\"rows\":2}".into()),
            ip: Some("cli:tester".into()),
        };
        assert_eq!(s.data_version().await.unwrap(), 0, "{}", db.name());
        let mut dropped = s.bulk().await.unwrap();
        dropped.audit(&[event(1)]).await.unwrap();
        dropped.bump_data_version().await.unwrap();
        drop(dropped);
        assert_eq!(
            s.data_version().await.unwrap(),
            0,
            "a dropped load moves nothing"
        );
        assert!(s
            .audit_events(Some(("import", "persons.csv #1")), 5)
            .await
            .unwrap()
            .is_empty());

        let mut load = s.bulk().await.unwrap();
        assert_eq!(load.audit(&[event(2), event(3)]).await.unwrap(), 2);
        load.bump_data_version().await.unwrap();
        load.commit().await.unwrap();
        assert_eq!(s.data_version().await.unwrap(), 1, "{}", db.name());
        let got = s
            .audit_events(Some(("import", "persons.csv #2")), 5)
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].event, event(2));
    }
}
