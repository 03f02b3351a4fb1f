//! `Tx::record_check_ins` (the group commit's write of a batch of check-ins) against
//! `Tx::record_check_in` one by one, on SQLite and PostgreSQL: the same persons found or
//! created, every row and audit event written, an idempotency key the visitor used
//! before refused, the same key from someone else accepted.

#![allow(clippy::unwrap_used)]

use phongdich_domain::{
    CheckInChannel, FullName, IdentityDocument, Interval, Phone, StayMinutes, Timestamp, UnitCode,
    VenueKind,
};
use phongdich_store::checkins::{is_key_conflict, CheckInRecorded};
use phongdich_store::testing::all_backends;
use phongdich_store::{AuditFilter, NewAuditEvent, NewCheckIn, Store, VenueFields, Visitor};

async fn venue(store: &Store) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .insert_venue(
            "BATCH-1",
            &VenueFields {
                name: "Chợ Tân Uyên".into(),
                venue_kind: VenueKind::Market,
                unit_code: UnitCode::parse("12").unwrap(),
                address: None,
                capacity: None,
                operator: None,
                stay: StayMinutes::new(60).unwrap(),
                token_expires_at: None,
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

fn check_in(
    place_id: i64,
    phone: Option<&str>,
    id: Option<&str>,
    name: &str,
    n: i64,
) -> NewCheckIn {
    NewCheckIn {
        place_id,
        visitor: Visitor {
            full_name: FullName::parse(name).unwrap(),
            phone: phone.map(|p| Phone::parse(p).unwrap()),
            identity: id.map(|i| IdentityDocument::parse(i).unwrap()),
            birth: None,
            sex: None,
            address: None,
            new_reference: format!("CK-batch-{n}"),
        },
        interval: Interval::new(Timestamp(1_800_000_000 + n), Timestamp(1_800_003_600 + n))
            .unwrap(),
        channel: CheckInChannel::SelfScan,
        staff_user_id: None,
        idempotency_key: Some(format!("key-{n}")),
    }
}

fn event(r: &CheckInRecorded) -> NewAuditEvent {
    NewAuditEvent {
        at: 1_800_000_000,
        user_id: None,
        action: "create".into(),
        entity: "check_in".into(),
        entity_id: r.check_in_id.to_string(),
        before_json: None,
        after_json: None,
        ip: None,
    }
}

#[tokio::test]
async fn a_batch_finds_and_creates_visitors_as_single_check_ins_would() {
    for db in all_backends().await.unwrap() {
        let store = &db.store;
        let place = venue(store).await;
        // Known before the batch: by phone and name, and by ID number.
        let mut tx = store.begin().await.unwrap();
        let known = tx
            .record_check_in(
                &check_in(place, Some("0912000001"), None, "Nguyễn Văn An", 0),
                event,
            )
            .await
            .unwrap();
        let known_id = tx
            .record_check_in(
                &check_in(place, None, Some("012345678901"), "Lò Văn Tú", 1),
                event,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let rows = [
            check_in(place, Some("0912000001"), None, "NGUYEN VAN AN", 10),
            check_in(place, Some("0912000002"), None, "Trần Thị Bình", 11),
            check_in(place, Some("0912000002"), None, "Trần Thị Bình", 12),
            check_in(place, Some("0912000002"), None, "Lê Văn Chi", 13),
            check_in(
                place,
                Some("0987654321"),
                Some("012345678901"),
                "Lò Văn Tú",
                14,
            ),
            check_in(place, None, Some("B1234567"), "Phạm Minh Hà", 15),
        ];
        let refs: Vec<&NewCheckIn> = rows.iter().collect();
        let mut tx = store.begin().await.unwrap();
        let got = tx.record_check_ins(&refs, |_, r| event(r)).await.unwrap();
        tx.commit().await.unwrap();
        let name = db.name();
        assert_eq!(got.len(), rows.len(), "{name}");
        assert_eq!(
            got[0].person_id, known.person_id,
            "{name}: by phone and folded name"
        );
        assert!(!got[0].person_created, "{name}");
        assert!(got[1].person_created && !got[2].person_created, "{name}");
        assert_eq!(
            got[1].person_id, got[2].person_id,
            "{name}: one new visitor, one person"
        );
        assert_ne!(
            got[3].person_id, got[1].person_id,
            "{name}: same phone, other name"
        );
        assert_eq!(got[4].person_id, known_id.person_id, "{name}: by ID number");
        assert!(got[5].person_created, "{name}");
        for (row, r) in rows.iter().zip(&got) {
            let stored = store.check_in(r.check_in_id).await.unwrap();
            assert_eq!(stored.person_id, r.person_id, "{name}");
            assert_eq!(stored.presence_id, r.presence_id, "{name}");
            assert_eq!(stored.place_id, place, "{name}");
            assert_eq!(stored.arrived_at, row.interval.start(), "{name}");
            assert_eq!(stored.until, row.interval.end(), "{name}");
            assert_eq!(stored.idempotency_key, row.idempotency_key, "{name}");
        }
        let events = store
            .audit_search(&AuditFilter {
                entity: Some("check_in".into()),
                limit: 100,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(events.len(), 2 + rows.len(), "{name}");

        // A key the visitor used before fails the whole batch, recognisably: from a
        // committed check-in (key-11 was Trần Thị Bình's), and twice in one batch.
        let bình = |n| check_in(place, Some("0912000002"), None, "Trần Thị Bình", n);
        let mut reused = bình(20);
        reused.idempotency_key = Some("key-11".into());
        let fresh = check_in(place, Some("0912000003"), None, "Vũ Thanh Mai", 21);
        let mut twice = bình(22);
        twice.idempotency_key = Some("key-21".into());
        let mut twice_again = bình(23);
        twice_again.idempotency_key = Some("key-21".into());
        for batch in [vec![&fresh, &reused], vec![&twice, &fresh, &twice_again]] {
            let mut tx = store.begin().await.unwrap();
            let e = tx
                .record_check_ins(&batch, |_, r| event(r))
                .await
                .unwrap_err();
            assert!(is_key_conflict(&e), "{name}: {e}");
        }
        let mut tx = store.begin().await.unwrap();
        let e = tx.record_check_in(&reused, event).await.unwrap_err();
        assert!(is_key_conflict(&e), "{name}: one by one too: {e}");
        drop(tx);

        // The same key from someone else is their own check-in, in a batch and alone;
        // each visitor's key finds their own.
        let mut lan = check_in(place, Some("0912000004"), None, "Đặng Ngọc Lan", 24);
        lan.idempotency_key = Some("key-11".into());
        let mut mai = fresh.clone();
        mai.idempotency_key = Some("key-11".into());
        let mut tx = store.begin().await.unwrap();
        let theirs = tx.record_check_ins(&[&lan], |_, r| event(r)).await.unwrap();
        let hers = tx.record_check_in(&mai, event).await.unwrap();
        tx.commit().await.unwrap();
        assert!(theirs[0].person_created && hers.person_created, "{name}");
        let found = |v| store.check_in_by_key(v, "key-11");
        assert_eq!(
            found(&reused.visitor).await.unwrap().unwrap().id,
            got[1].check_in_id,
            "{name}"
        );
        assert_eq!(
            found(&lan.visitor).await.unwrap().unwrap().id,
            theirs[0].check_in_id,
            "{name}"
        );
        assert_eq!(
            found(&mai.visitor).await.unwrap().unwrap().id,
            hers.check_in_id,
            "{name}"
        );
        assert!(store
            .check_in_by_key(&reused.visitor, "key-99")
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test]
async fn the_writers_transactions_commit_roll_back_and_survive_a_drop() {
    for db in all_backends().await.unwrap() {
        let store = &db.store;
        let name = db.name();
        let write = |n: i64| {
            let mut e = event(&CheckInRecorded {
                check_in_id: n,
                person_id: 0,
                person_created: false,
                presence_id: 0,
            });
            e.entity = "writer-test".into();
            e
        };
        let mut tx = store.begin_batch().await.unwrap();
        tx.insert_audit_event(&write(1)).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin_batch().await.unwrap();
        tx.insert_audit_event(&write(2)).await.unwrap();
        tx.rollback().await.unwrap();
        // Dropped without a commit: rolled back (on SQLite by closing the writer's
        // connection); the next batch opens another.
        let mut tx = store.begin_batch().await.unwrap();
        tx.insert_audit_event(&write(3)).await.unwrap();
        drop(tx);
        let mut tx = store.begin_batch().await.unwrap();
        tx.insert_audit_event(&write(4)).await.unwrap();
        tx.commit().await.unwrap();
        // Other writers are not kept waiting by what the batches left.
        let mut tx = store.begin().await.unwrap();
        tx.insert_audit_event(&write(5)).await.unwrap();
        tx.commit().await.unwrap();
        let mut ids: Vec<String> = store
            .audit_search(&AuditFilter {
                entity: Some("writer-test".into()),
                limit: 10,
                ..AuditFilter::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event.entity_id)
            .collect();
        ids.sort();
        assert_eq!(ids, ["1", "4", "5"], "{name}");
    }
}
