//! The tracing benchmark of docs/benchmarks.md: the engine on a `phongdich demo
//! --export` directory (full recompute, one new F0, memory), and the same rule computed
//! in SQL by the local PostgreSQL on the same files, with the ratio.
//!
//! ```sh
//! cargo run --release -p phongdich --example bench_trace -- DIR [--max-level N]
//!     [--new-cases N] [--pg postgres://postgres@127.0.0.1:5432/test] [--no-sql]
//!     [--sql-timeout SECONDS]
//! ```
//!
//! With `--sql-timeout`, a SQL round that runs longer is cancelled and the table gives
//! the time spent so far as a lower bound of the SQL computation (and of the ratio).
//!
//! The SQL side is what a SQL-backed system would do: the files copied into tables
//! (times as Unix seconds, indexes on presences (place, start) and (person), contacts
//! (a) and (b)), then one set-based round per level from the persons whose arrival
//! improved in the previous round (semi-naive evaluation), each round one query that
//! joins the frontier's presences to every overlapping presence at the same place.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use anyhow::Context;
use phongdich_interchange::TraceInput;
use phongdich_trace::{Case, Engine, Params, Via};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

struct Args {
    dir: PathBuf,
    max_level: u8,
    new_cases: usize,
    pg: String,
    sql: bool,
    sql_timeout: Option<u64>,
}

fn args() -> anyhow::Result<Args> {
    let mut it = std::env::args().skip(1);
    let mut args = Args {
        dir: PathBuf::new(),
        max_level: 4,
        new_cases: 50,
        pg: "postgres://postgres@127.0.0.1:5432/test".to_owned(),
        sql: true,
        sql_timeout: None,
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--max-level" => args.max_level = it.next().context("--max-level N")?.parse()?,
            "--new-cases" => args.new_cases = it.next().context("--new-cases N")?.parse()?,
            "--pg" => args.pg = it.next().context("--pg URL")?,
            "--no-sql" => args.sql = false,
            "--sql-timeout" => {
                args.sql_timeout = Some(it.next().context("--sql-timeout SECONDS")?.parse()?)
            }
            dir => args.dir = PathBuf::from(dir),
        }
    }
    anyhow::ensure!(
        !args.dir.as_os_str().is_empty(),
        "usage: bench_trace DIR [options]"
    );
    Ok(args)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    let params = Params {
        max_level: args.max_level,
        ..Params::default()
    };
    let started = Instant::now();
    let input = TraceInput::read_files(
        Some(&args.dir.join("contacts.csv")),
        Some(&args.dir.join("presences.csv")),
        &args.dir.join("cases.csv"),
    )?;
    let read = started.elapsed();
    eprintln!("read in {read:?}");

    let started = Instant::now();
    let mut engine = Engine::build(params, &input.cases, &input.contacts, &input.presences)?;
    let build = started.elapsed();
    let heap = engine.heap_bytes();
    let levels = engine.level_counts();
    let mut recomputes = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        engine.recompute();
        recomputes.push(t.elapsed());
    }
    eprintln!("recomputes {recomputes:?}");
    let engine_levels: HashMap<u32, (u8, i64)> = engine
        .iter_reached()
        .map(|(v, r)| (v, (r.level, r.exposed_at)))
        .collect();

    // One new F0 at a time: persons drawn at random (seeded) among those not yet
    // cases, infectious from the middle of the period, isolated two days later.
    let t_min = input.presences.iter().map(|p| p.start).min().unwrap_or(0);
    let t_max = input.presences.iter().map(|p| p.end).max().unwrap_or(0);
    let middle = t_min + (t_max - t_min) / 2;
    let mut increments = Vec::new();
    let mut changed = Vec::new();
    let mut incremental = engine.clone();
    let n = input.persons.len() as u32;
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    while increments.len() < args.new_cases {
        let v = rng.random_range(0..n);
        if incremental.is_case(v) {
            continue;
        }
        let t = Instant::now();
        let update = incremental.add_case(Case {
            person: v,
            infectious_from: middle,
            isolated_at: Some(middle + 2 * 86_400),
        })?;
        increments.push(t.elapsed());
        changed.push(update.changed.len());
    }
    drop(incremental);
    changed.sort_unstable();

    println!(
        "| engine ({} persons, {} presences, {} contacts, {} cases, F0..F{}) | |",
        n,
        input.presences.len(),
        input.contacts.len(),
        input.cases.len(),
        args.max_level
    );
    println!("|---|---:|");
    println!("| read the files | {:.1} s |", read.as_secs_f64());
    println!("| build and first trace | {:.2} s |", build.as_secs_f64());
    println!(
        "| full recompute, median of 5 | {:.3} s ({:.3} to {:.3}) |",
        median(recomputes.clone()).as_secs_f64(),
        percentile(recomputes.clone(), 0.0).as_secs_f64(),
        percentile(recomputes.clone(), 1.0).as_secs_f64()
    );
    println!(
        "| one new F0, median of {} | {} |",
        increments.len(),
        ms(median(increments.clone()))
    );
    println!(
        "| one new F0, p95 | {} |",
        ms(percentile(increments.clone(), 0.95))
    );
    println!("| one new F0, max | {} |", ms(percentile(increments, 1.0)));
    println!(
        "| persons changed by one new F0, median | {} |",
        changed[changed.len() / 2]
    );
    println!("| engine heap | {:.0} MiB |", heap as f64 / 1048576.0);
    println!(
        "| engine bytes per presence | {:.1} |",
        heap as f64 / input.presences.len() as f64
    );
    println!(
        "| process peak RSS (files, input vectors and engine) | {:.0} MiB |",
        peak_rss_mib()
    );
    println!("| levels F0.. | {levels:?} |");

    if args.sql {
        let rt = tokio::runtime::Runtime::new()?;
        let (load, rounds, cancelled, sql_levels) = rt.block_on(sql(&args, &params))?;
        let total: Duration = rounds.iter().sum();
        println!();
        println!("| PostgreSQL, same rule, same files | |");
        println!("|---|---:|");
        println!(
            "| copy and index (not counted) | {:.1} s |",
            load.as_secs_f64()
        );
        for (k, r) in rounds.iter().enumerate() {
            let over = if cancelled && k + 1 == rounds.len() {
                "more than "
            } else {
                ""
            };
            println!("| round {} | {over}{:.2} s |", k + 1, r.as_secs_f64());
        }
        let ratio = total.as_secs_f64() / median(recomputes).as_secs_f64();
        if let Some(sql_levels) = sql_levels {
            let mut mismatches = 0usize;
            for (id, &(level, t)) in &sql_levels {
                let v = input.persons.get(id).context("a person of the files")?;
                if engine_levels.get(&v) != Some(&(level, t)) {
                    mismatches += 1;
                }
            }
            mismatches += engine_levels.len().saturating_sub(sql_levels.len());
            println!("| full computation | {:.1} s |", total.as_secs_f64());
            println!("| persons whose level or time differ from the engine's | {mismatches} |");
            println!("| **engine full recompute is faster by** | **{ratio:.0}x** |");
        } else {
            println!(
                "| full computation (cancelled, not compared) | more than {:.1} s |",
                total.as_secs_f64()
            );
            println!("| **engine full recompute is faster by** | **more than {ratio:.0}x** |");
        }
    }
    Ok(())
}

/// What the SQL side measured: copy and index time, the time of each round (the last
/// one cancelled when the flag says so), and each person's level and time when every
/// round finished.
type SqlRun = (
    Duration,
    Vec<Duration>,
    bool,
    Option<HashMap<String, (u8, i64)>>,
);

async fn sql(args: &Args, params: &Params) -> anyhow::Result<SqlRun> {
    use sqlx::{Executor, Row};
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&args.pg)
        .await?;
    let started = Instant::now();
    pool.execute("set client_min_messages = warning; drop schema if exists bench_trace cascade; create schema bench_trace; set search_path = bench_trace;
        create unlogged table stage_presences(person text, place text, kind text, s timestamptz, e timestamptz);
        create unlogged table stage_contacts(a text, b text, s timestamptz, e timestamptz);
        create unlogged table stage_cases(person text, f timestamptz, iso timestamptz);").await?;
    for (table, file) in [
        ("stage_presences", "presences.csv"),
        ("stage_contacts", "contacts.csv"),
        ("stage_cases", "cases.csv"),
    ] {
        let path = args.dir.join(file).canonicalize()?;
        let status = std::process::Command::new("psql")
            .arg(&args.pg)
            .arg("-q")
            .arg("-c")
            .arg(format!(
                "\\copy bench_trace.{table} from '{}' csv header",
                path.display()
            ))
            .status()?;
        anyhow::ensure!(status.success(), "psql \\copy {file} failed");
    }
    let never = i64::MAX;
    let as_of = params.as_of.unwrap_or(never);
    pool.execute(format!("set search_path = bench_trace;
        create unlogged table presences as select person, place, kind, extract(epoch from s)::bigint s, extract(epoch from e)::bigint e from stage_presences;
        create unlogged table contacts as select a, b, extract(epoch from s)::bigint s, extract(epoch from e)::bigint e from stage_contacts;
        create unlogged table cases as select person, extract(epoch from f)::bigint f, least(coalesce(extract(epoch from iso)::bigint, {never}), {as_of}) iso from stage_cases;
        drop table stage_presences, stage_contacts, stage_cases;
        create index on presences(place, s); create index on presences(person);
        create index on contacts(a); create index on contacts(b); create unique index on cases(person);
        analyze presences; analyze contacts; analyze cases;").as_str()).await?;
    let load = started.elapsed();
    let t = params.thresholds;
    let venue = t.get(Via::Place(phongdich_trace::Kind::Venue));
    let (household, room, vehicle, contact) = (t.household, t.room, t.vehicle, t.contact);
    let mut conn = pool.acquire().await?;
    conn.execute(
        format!(
            "set search_path = bench_trace; set work_mem = '256MB';
        create unlogged table arr(level int, person text, t bigint, primary key (level, person));
        insert into arr select k, person, f from cases, generate_series(0, {}) k;
        create unlogged table front as select person, f ws, iso we from cases;",
            params.max_level
        )
        .as_str(),
    )
    .await?;
    if let Some(seconds) = args.sql_timeout {
        conn.execute(format!("set statement_timeout = '{seconds}s'").as_str())
            .await?;
    }
    let mut rounds = Vec::new();
    for k in 1..=i32::from(params.max_level) {
        let started = Instant::now();
        // One statement per round (a multi-statement query runs in one transaction, so
        // a cancelled round leaves nothing half done).
        let round = conn.execute(format!("
            drop table if exists offers;
            create unlogged table offers as
            select v, min(t) t from (
                select c.b v, greatest(c.s, f.ws) t from front f join contacts c on c.a = f.person
                 where least(c.e, f.we) - greatest(c.s, f.ws) >= {contact}
                union all
                select c.a v, greatest(c.s, f.ws) t from front f join contacts c on c.b = f.person
                 where least(c.e, f.we) - greatest(c.s, f.ws) >= {contact}
                union all
                select q.person v, greatest(p.s, q.s, f.ws) t
                  from front f join presences p on p.person = f.person
                  join presences q on q.place = p.place and q.s <= least(p.e, f.we) and q.e >= greatest(p.s, f.ws)
                 where q.person <> p.person
                   and least(p.e, q.e, f.we) - greatest(p.s, q.s, f.ws) >= case p.kind
                       when 'venue' then {venue} when 'household' then {household}
                       when 'room' then {room} else {vehicle} end
            ) x where not exists (select 1 from cases c where c.person = x.v) group by v;
            insert into arr select {k}, person, t from arr a where level = {k} - 1
               and not exists (select 1 from cases c where c.person = a.person)
               on conflict (level, person) do nothing;
            insert into arr select {k}, v, t from offers
               on conflict (level, person) do update set t = least(arr.t, excluded.t);
            drop table front;
            create unlogged table front as
            select a.person, a.t ws, {as_of}::bigint we from arr a
              left join arr b on b.level = {k} - 1 and b.person = a.person
             where a.level = {k} and (b.t is null or a.t < b.t)
               and not exists (select 1 from cases c where c.person = a.person);
            analyze front;").as_str()).await;
        rounds.push(started.elapsed());
        eprintln!("SQL round {k}: {:?}", rounds.last());
        match round {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("57014") => {
                eprintln!("SQL round {k} cancelled after --sql-timeout");
                return Ok((load, rounds, true, None));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let rows = sqlx::query(
        "select distinct on (person) person, level, t from bench_trace.arr order by person, level",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut levels = HashMap::new();
    for row in rows {
        let level: i32 = row.try_get(1)?;
        levels.insert(
            row.try_get::<String, _>(0)?,
            (level as u8, row.try_get::<i64, _>(2)?),
        );
    }
    Ok((load, rounds, false, Some(levels)))
}
