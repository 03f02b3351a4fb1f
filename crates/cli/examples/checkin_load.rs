//! Load generator of venue check-ins (issue 10, item 6): N keep-alive connections
//! post check-ins to `POST /api/v1/checkins` of a running `phongdich serve` for a fixed
//! time, then print the throughput and the latency percentiles (HdrHistogram). Every
//! check-in is a distinct visit: mostly by a person of the database (their phone and
//! name, so they are found), `--new-per-100` of every 100 by a visitor not in it yet
//! (created at the first check-in, found after: `--visitors` of them), at a venue among
//! the first `--venues` of the database, from a client address among 65,536 (sent as
//! `X-Forwarded-For`: start the server with `PHONGDICH_TRUSTED_PROXIES=127.0.0.1`), a
//! fresh idempotency key.
//!
//! ```sh
//! cargo run --release -p phongdich --example checkin_load -- \
//!     --url http://127.0.0.1:18090 --database-url sqlite:///tmp/bench.db \
//!     --connections 64 --seconds 20 --label "sqlite group"
//! ```
//!
//! The venue tokens are computed from the database (the venue key it holds), so the
//! tool reads it once before the run. It prints one Markdown table row:
//! `| label | connections | ok | errors | per second | p50 | p95 | p99 | max |`.
//! `bench/checkins.sh` runs it against both backends, with and without group commit.

#[path = "../tests/support/checkin_client.rs"]
mod checkin_client;

use anyhow::{bail, Context};
use checkin_client::{client_address, visitor, Connection};
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Options {
    url: SocketAddr,
    database_url: String,
    connections: usize,
    seconds: f64,
    warmup: f64,
    venues: u64,
    visitors: u64,
    label: String,
    offset: u64,
    known: u64,
    new_per_100: u64,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        url: "127.0.0.1:8080".parse()?,
        database_url: String::new(),
        connections: 64,
        seconds: 20.0,
        warmup: 2.0,
        venues: 500,
        visitors: 100_000,
        label: "check-ins".into(),
        offset: 0,
        known: 50_000,
        new_per_100: 10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => {
                let v = value()?;
                let host = v.trim_start_matches("http://").trim_end_matches('/');
                o.url = host.parse().with_context(|| format!("--url {v}"))?;
            }
            "--database-url" => o.database_url = value()?,
            "--connections" => o.connections = value()?.parse()?,
            "--seconds" => o.seconds = value()?.parse()?,
            "--warmup" => o.warmup = value()?.parse()?,
            "--venues" => o.venues = value()?.parse()?,
            "--visitors" => o.visitors = value()?.parse()?,
            "--label" => o.label = value()?,
            // Persons of the database who check in (their phone and name).
            "--known" => o.known = value()?.parse()?,
            "--new-per-100" => o.new_per_100 = value()?.parse()?,
            // Where the visitors of this run start (so that runs against one database
            // do not exhaust the per-phone limit).
            "--offset" => o.offset = value()?.parse()?,
            other => bail!("unknown option {other}"),
        }
    }
    if o.database_url.is_empty() {
        bail!("--database-url is needed (the venue tokens are computed from it)");
    }
    Ok(o)
}

/// Phones and names of up to `n` persons of the database.
async fn known_visitors(database_url: &str, n: u64) -> anyhow::Result<Vec<(String, String)>> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database_url).await?;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select phone, full_name from person where phone is not null order by id limit $1",
    )
    .bind(i64::try_from(n)?)
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    Ok(rows)
}

/// The current tokens of the first `n` venues of the database.
async fn venue_tokens(database_url: &str, n: u64) -> anyhow::Result<Vec<String>> {
    let store = phongdich_store::Store::connect(database_url).await?;
    let province = phongdich_domain::UnitCode::parse(phongdich_store::admin::DEFAULT_PROVINCE)?;
    let app = phongdich_app::App::offline(store.clone(), province);
    let key = app
        .venue_key()
        .await
        .map_err(|e| anyhow::anyhow!("venue key: {e}"))?;
    let venues = store
        .venue_list(&phongdich_store::VenueQuery {
            limit: n.min(500),
            ..Default::default()
        })
        .await?;
    store.close().await;
    if venues.is_empty() {
        bail!("the database has no venue");
    }
    Ok(venues
        .iter()
        .map(|v| key.token(v.place.id, v.token_version))
        .collect())
}

#[derive(Default)]
struct Tally {
    histogram: Option<Histogram<u64>>,
    statuses: BTreeMap<String, u64>,
}

fn main() -> anyhow::Result<()> {
    let o = options()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(o))
}

async fn run(o: Options) -> anyhow::Result<()> {
    let tokens = Arc::new(venue_tokens(&o.database_url, o.venues).await?);
    let known = Arc::new(known_visitors(&o.database_url, o.known).await?);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let warm_until = started + Duration::from_secs_f64(o.warmup);
    let end = warm_until + Duration::from_secs_f64(o.seconds);
    let mut workers = Vec::new();
    for w in 0..o.connections {
        let (tokens, known, next, offset, visitors) = (
            tokens.clone(),
            known.clone(),
            next.clone(),
            o.offset,
            o.visitors,
        );
        let new_per_100 = if known.is_empty() { 100 } else { o.new_per_100 };
        let url = o.url;
        workers.push(tokio::spawn(async move {
            let mut tally = Tally {
                histogram: Some(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?),
                ..Tally::default()
            };
            let mut conn = Connection::open(url).await?;
            let run = std::process::id();
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                // Visitors and venues spread evenly; the i-th visit of a visitor
                // goes to another venue.
                let v = offset + i % visitors;
                let (phone, name) = if i % 100 < new_per_100 {
                    visitor(v)
                } else {
                    known[(i % known.len() as u64) as usize].clone()
                };
                let token = &tokens[((i / visitors + v) % tokens.len() as u64) as usize];
                let key = format!("load-{run}-{w}-{i}");
                let sent = Instant::now();
                let answer = conn
                    .check_in(token, &phone, &name, &client_address(i % 65_536), &key)
                    .await;
                let micros = sent.elapsed().as_micros() as u64;
                if sent < warm_until {
                    if answer.is_err() {
                        conn = Connection::open(url).await?;
                    }
                    continue;
                }
                let status = match &answer {
                    Ok(a) => a.status.to_string(),
                    Err(_) => "io".into(),
                };
                *tally.statuses.entry(status).or_default() += 1;
                if matches!(&answer, Ok(a) if a.status == 201) {
                    if let Some(h) = tally.histogram.as_mut() {
                        h.saturating_record(micros.max(1));
                    }
                } else if answer.is_err() {
                    conn = Connection::open(url).await?;
                }
            }
            anyhow::Ok(tally)
        }));
    }
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for w in workers {
        let tally = w.await??;
        if let Some(h) = tally.histogram {
            histogram.add(h)?;
        }
        for (s, n) in tally.statuses {
            *statuses.entry(s).or_default() += n;
        }
    }
    let ok = statuses.get("201").copied().unwrap_or(0);
    let errors: u64 = statuses.values().sum::<u64>() - ok;
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "| {} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} |",
        o.label,
        o.connections,
        ok,
        errors,
        ok as f64 / o.seconds,
        ms(0.50),
        ms(0.95),
        ms(0.99),
        histogram.max() as f64 / 1000.0
    );
    if errors > 0 {
        eprintln!("statuses: {statuses:?}");
    }
    Ok(())
}
