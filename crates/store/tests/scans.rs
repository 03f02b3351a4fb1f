//! The tracing engine's full scans (`Store::presence_batches`, `Store::contact_batches`:
//! rusqlite on SQLite, binary `copy` on PostgreSQL) return exactly the rows of the
//! paged reads through sqlx (`Store::presences_after`, with the place's kind joined in
//! SQL, and `Store::stream_contacts`), in the same order, on every backend; across
//! batch boundaries, for every kind of place, and for rows written after a bulk load.

#![allow(clippy::unwrap_used)]

use futures_util::TryStreamExt;
use phongdich_domain::{FullName, Interval, PlaceKind, Timestamp};
use phongdich_store::contacts::ContactSpan;
use phongdich_store::testing::all_backends;
use phongdich_store::{NewContact, NewPerson, NewPlace, NewPresence, Presence, Store};

const PERSONS: i64 = 300;
/// More than two batches of the scans (16,384 rows each).
const PRESENCES: i64 = 40_000;
const CONTACTS: i64 = 20_000;

fn interval(start: i64, end: i64) -> Interval {
    Interval::new(Timestamp(start), Timestamp(end)).unwrap()
}

fn place(id: i64, kind: PlaceKind) -> NewPlace {
    NewPlace {
        id: Some(id),
        reference: format!("PL{id}"),
        kind,
        venue_kind: None,
        name: format!("Nơi {id}"),
        unit_code: None,
        address: None,
        capacity: None,
        operator: None,
    }
}

async fn province(s: &Store) {
    let mut bulk = s.bulk().await.unwrap();
    let persons: Vec<NewPerson> = (1..=PERSONS)
        .map(|i| NewPerson {
            id: Some(i),
            reference: format!("P{i}"),
            full_name: FullName::parse(&format!("Người Thứ {i}")).unwrap(),
            birth: None,
            sex: None,
            identity: None,
            nationality: "VN".to_owned(),
            phone: None,
            address: None,
            unit_code: None,
            household_id: None,
        })
        .collect();
    bulk.persons(&persons).await.unwrap();
    let places: Vec<NewPlace> = (1..=8)
        .map(|i| place(i, PlaceKind::ALL[(i % 4) as usize]))
        .collect();
    bulk.places(&places).await.unwrap();
    // Deterministic but scattered: ids in order, persons, places and times not.
    let presences: Vec<NewPresence> = (0..PRESENCES)
        .map(|i| {
            let start = 1_620_000_000 + (i * 7_919) % 2_592_000;
            NewPresence {
                person_id: 1 + (i * 31) % PERSONS,
                place_id: 1 + (i * 13) % 8,
                interval: interval(start, start + (i % 5) * 900),
            }
        })
        .collect();
    bulk.presences(&presences).await.unwrap();
    let contacts: Vec<NewContact> = (0..CONTACTS)
        .map(|i| {
            let start = 1_620_000_000 + (i * 104_729) % 2_592_000;
            NewContact {
                a_id: 1 + (i * 17) % PERSONS,
                b_id: 1 + (i * 17 + 1 + i % 7) % PERSONS,
                interval: interval(start, start + 600),
                setting: (i % 3 == 0).then(|| "household".to_owned()),
            }
        })
        .collect();
    bulk.contacts(&contacts).await.unwrap();
    bulk.commit().await.unwrap();
    // After the load: a new place (not in any earlier read), a presence there, a contact.
    let market = s.insert_place(&place(100, PlaceKind::Venue)).await.unwrap();
    s.insert_presence(&NewPresence {
        person_id: 5,
        place_id: market,
        interval: interval(1_620_100_000, 1_620_103_600),
    })
    .await
    .unwrap();
    s.insert_contact(&NewContact {
        a_id: 7,
        b_id: 9,
        interval: interval(1_620_200_000, 1_620_200_600),
        setting: None,
    })
    .await
    .unwrap();
}

/// Every presence through the old paged read (sqlx `Any`, the kind joined in SQL).
async fn paged_presences(s: &Store) -> Vec<Presence> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map_or(0, |p: &Presence| p.id);
        let page = s.presences_after(after, 5_000).await.unwrap();
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

#[tokio::test]
async fn fast_scans_return_the_rows_of_the_paged_reads() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        province(s).await;

        let expected = paged_presences(s).await;
        assert_eq!(expected.len() as i64, PRESENCES + 1, "{}", db.name());
        let batches: Vec<Vec<Presence>> = s.presence_batches().try_collect().await.unwrap();
        assert!(
            batches.len() >= 3,
            "{}: {} batches",
            db.name(),
            batches.len()
        );
        let scanned: Vec<Presence> = batches.into_iter().flatten().collect();
        assert_eq!(scanned, expected, "{}", db.name());
        let streamed: Vec<Presence> = s.stream_presences().try_collect().await.unwrap();
        assert_eq!(streamed, expected, "{}", db.name());
        for kind in PlaceKind::ALL {
            assert!(
                scanned.iter().any(|p| p.kind == kind),
                "{}: {kind:?}",
                db.name()
            );
        }

        let expected: Vec<ContactSpan> = s
            .stream_contacts()
            .map_ok(|c| ContactSpan {
                id: c.id,
                a_id: c.a_id,
                b_id: c.b_id,
                interval: c.interval,
            })
            .try_collect()
            .await
            .unwrap();
        assert_eq!(expected.len() as i64, CONTACTS + 1, "{}", db.name());
        let scanned: Vec<Vec<ContactSpan>> = s.contact_batches().try_collect().await.unwrap();
        let scanned: Vec<ContactSpan> = scanned.into_iter().flatten().collect();
        assert_eq!(scanned, expected, "{}", db.name());
    }
}

#[tokio::test]
async fn fast_scans_of_an_empty_database_are_empty() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let presences: Vec<Vec<Presence>> = s.presence_batches().try_collect().await.unwrap();
        assert!(presences.is_empty(), "{}", db.name());
        let contacts: Vec<Vec<ContactSpan>> = s.contact_batches().try_collect().await.unwrap();
        assert!(contacts.is_empty(), "{}", db.name());
    }
}
