//! Crash test of check-ins (issue 10, item 6): the real `phongdich serve` binary on a
//! fresh database, check-ins driven over HTTP from many connections, `kill -9` of the
//! server in the middle of the load, 20 times; after every kill, each check-in that
//! was answered with success (201 and its id) must be in the database with its
//! presence, and the server must start again on the same database.
//!
//! On SQLite a `kill -9` leaves the page cache to the kernel, so this shows that no
//! answer goes out before its commit (and that the file recovers); that the commit
//! itself reaches the disk is `synchronous = full` (see docs/ARCHITECTURE.md).
//! PostgreSQL's half runs when `PHONGDICH_TEST_PG` is set.

#![allow(clippy::unwrap_used)]

#[path = "support/checkin_client.rs"]
mod checkin_client;

use checkin_client::{client_address, visitor, Connection};
use phongdich_domain::{StayMinutes, UnitCode, VenueKind};
use phongdich_store::testing::{fresh_postgres, fresh_sqlite, TestDb};
use phongdich_store::venues::VenueFields;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Kills per backend.
const ROUNDS: usize = 20;
/// Connections posting check-ins at once.
const CONNECTIONS: usize = 16;

/// A venue and its poster's token.
async fn venue_token(db: &TestDb) -> String {
    let province = UnitCode::parse("12").unwrap();
    let commune: String = sqlx::query_scalar(
        "select code from admin_unit where level = 'commune' order by code limit 1",
    )
    .fetch_one(&sqlx::AnyPool::connect(&db.url).await.unwrap())
    .await
    .unwrap();
    let mut tx = db.store.begin().await.unwrap();
    let id = tx
        .insert_venue(
            "CRASH-1",
            &VenueFields {
                name: "Chợ trung tâm".into(),
                venue_kind: VenueKind::Market,
                unit_code: UnitCode::parse(&commune).unwrap(),
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
    let app = phongdich_app::App::offline(db.store.clone(), province);
    app.venue_key().await.unwrap().token(id, 1)
}

/// Starts `phongdich serve` on `url`; its address once it listens.
fn start(url: &str) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phongdich"))
        .arg("serve")
        .env("PHONGDICH_DATABASE_URL", url)
        .env("PHONGDICH_LISTEN", "127.0.0.1:0")
        .env("PHONGDICH_TRUSTED_PROXIES", "127.0.0.1")
        .env("PHONGDICH_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    for out in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving on http://").nth(1) {
                    let addr = rest.split('/').next().unwrap_or_default().to_owned();
                    let _ = tx.send(addr);
                }
            }
        });
    }
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server did not say where it listens");
    (child, addr.parse().unwrap())
}

/// One round: load, kill -9 once at least `min_ok` check-ins were answered (and a
/// little later), then what was answered.
async fn round(url: &str, token: &str, first: u64, round: usize) -> Vec<i64> {
    let (mut child, addr) = start(url);
    let answered = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(first));
    let mut workers = Vec::new();
    for _ in 0..CONNECTIONS {
        let (answered, stop, next, token) = (
            answered.clone(),
            stop.clone(),
            next.clone(),
            token.to_owned(),
        );
        workers.push(tokio::spawn(async move {
            let Ok(mut conn) = Connection::open(addr).await else {
                return;
            };
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let (phone, name) = visitor(i);
                let key = format!("crash-{i}");
                match conn
                    .check_in(&token, &phone, &name, &client_address(i), &key)
                    .await
                {
                    Ok(a) if a.status == 201 => {
                        answered
                            .lock()
                            .unwrap()
                            .push(a.check_in_id.expect("201 has an id"));
                    }
                    Ok(a) => panic!("check-in {i} answered {}", a.status),
                    // The server is gone: what was not answered may or may not be stored.
                    Err(_) => return,
                }
            }
        }));
    }
    // Kill at a different moment of the load each round.
    let min_ok = 20 + 15 * round;
    let started = Instant::now();
    while answered.lock().unwrap().len() < min_ok && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(7 * (round as u64 % 9))).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= min_ok,
        "round {round}: only {} answered",
        answered.len()
    );
    answered
}

async fn crash_many_times(db: TestDb) {
    let token = venue_token(&db).await;
    let mut total = 0;
    for r in 0..ROUNDS {
        let answered = round(&db.url, &token, (r as u64) * 1_000_000, r).await;
        // Read the database afresh, as the restarted server will.
        let store = phongdich_store::Store::connect(&db.url).await.unwrap();
        for id in &answered {
            let c = store.check_in(*id).await.unwrap_or_else(|e| {
                panic!(
                    "{}: round {r}: check-in {id} was answered but is not stored: {e}",
                    db.name()
                )
            });
            assert!(c.presence_id > 0);
        }
        store.close().await;
        total += answered.len();
    }
    // The server starts again after the last kill and serves check-ins.
    let (mut child, addr) = start(&db.url);
    let mut conn = Connection::open(addr).await.unwrap();
    let (phone, name) = visitor(99_999_999);
    let a = conn
        .check_in(&token, &phone, &name, "10.9.9.9", "crash-last")
        .await
        .unwrap();
    assert_eq!(a.status, 201, "{}", db.name());
    child.kill().unwrap();
    child.wait().unwrap();
    eprintln!(
        "{}: {ROUNDS} kills, {total} answered check-ins, all stored",
        db.name()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_check_ins_survive_kill_9_on_sqlite() {
    crash_many_times(fresh_sqlite().await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_check_ins_survive_kill_9_on_postgres() {
    if let Some(db) = fresh_postgres().await.unwrap() {
        crash_many_times(db).await;
    }
}
