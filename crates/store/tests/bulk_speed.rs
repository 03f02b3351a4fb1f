//! Bulk-load throughput, run by hand:
//! `cargo test -p phongdich-store --test bulk_speed -- --ignored --nocapture`
//! (set `PHONGDICH_TEST_PG` to measure PostgreSQL too; `BULK_PERSONS`, `BULK_PRESENCES`
//! change the sizes).

#![allow(clippy::unwrap_used)]

use futures_util::TryStreamExt;
use phongdich_domain::{FullName, IdentityDocument, Interval, PlaceKind, Timestamp, UnitCode};
use phongdich_store::testing::all_backends;
use phongdich_store::{NewPerson, NewPlace, NewPresence};
use std::time::Instant;

fn size(var: &str, default: i64) -> i64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test]
#[ignore = "measures throughput; run by hand"]
async fn bulk_load_speed() {
    let n_persons = size("BULK_PERSONS", 200_000);
    let n_presences = size("BULK_PRESENCES", 2_000_000);
    let unit = UnitCode::parse("03460").unwrap();
    let name = FullName::parse("Nguyễn Văn An").unwrap();
    let persons: Vec<NewPerson> = (1..=n_persons)
        .map(|i| NewPerson {
            id: Some(i),
            reference: format!("P{i:07}"),
            full_name: name.clone(),
            birth: None,
            sex: None,
            identity: Some(IdentityDocument::Cccd(format!(
                "{:012}",
                11_000_000_000 + i
            ))),
            nationality: "VN".into(),
            phone: None,
            address: Some("Bản Nà Khum, xã Bản Giang".into()),
            unit_code: Some(unit.clone()),
            household_id: None,
        })
        .collect();
    let places: Vec<NewPlace> = (1..=1_000)
        .map(|i| NewPlace {
            id: Some(i),
            reference: format!("V{i:05}"),
            kind: PlaceKind::Venue,
            venue_kind: None,
            name: format!("Địa điểm {i}"),
            unit_code: Some(unit.clone()),
            address: None,
            capacity: None,
            operator: None,
        })
        .collect();
    let presences: Vec<NewPresence> = (0..n_presences)
        .map(|i| NewPresence {
            person_id: 1 + (i * 7919) % n_persons,
            place_id: 1 + i % 1_000,
            interval: Interval::new(Timestamp(1_600_000_000 + i), Timestamp(1_600_003_600 + i))
                .unwrap(),
        })
        .collect();
    for db in all_backends().await.unwrap() {
        let mut bulk = db.store.bulk().await.unwrap();
        bulk.places(&places).await.unwrap();
        let t = Instant::now();
        for chunk in persons.chunks(100_000) {
            bulk.persons(chunk).await.unwrap();
        }
        let persons_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for chunk in presences.chunks(100_000) {
            bulk.presences(chunk).await.unwrap();
        }
        let presences_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        bulk.commit().await.unwrap();
        let commit_s = t.elapsed().as_secs_f64();
        eprintln!(
            "{}: {n_persons} persons in {persons_s:.1} s ({:.0}/s), {n_presences} presences in {presences_s:.1} s ({:.0}/s), commit {commit_s:.1} s",
            db.name(),
            n_persons as f64 / persons_s,
            n_presences as f64 / presences_s,
        );
        assert_eq!(
            db.store.counts().await.unwrap().presences,
            n_presences as u64
        );
        let t = Instant::now();
        let streamed = db
            .store
            .stream_presences()
            .try_fold(0u64, |n, _| async move { Ok(n + 1) })
            .await
            .unwrap();
        let stream_s = t.elapsed().as_secs_f64();
        eprintln!(
            "{}: streamed {streamed} presences in {stream_s:.1} s ({:.0}/s)",
            db.name(),
            streamed as f64 / stream_s
        );
    }
}
