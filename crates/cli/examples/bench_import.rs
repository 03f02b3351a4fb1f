//! The import benchmark of docs/benchmarks.md: `phongdich import persons` of a workbook
//! of a synthetic province's persons (100,000 by default), timed as the operator sees
//! it (the release binary's wall clock, from start to exit), into a fresh SQLite file
//! and, with `--pg`, a fresh PostgreSQL database created next to the one named and
//! dropped afterwards.
//!
//! ```sh
//! cargo build --release -p phongdich
//! cargo run --release -p phongdich --example bench_import -- [--people N] [--runs N]
//!     [--pg postgres://postgres@127.0.0.1:5432/test]
//! ```
//!
//! Each run starts from an empty database: `phongdich migrate` and `phongdich import
//! units` (the villages the persons live in) first, untimed, then the timed import.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use anyhow::{bail, Context};
use clap::Parser;
use phongdich::commands::demo::{self, DemoArgs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// Persons in the workbook.
    #[arg(long, default_value_t = 100_000)]
    people: u32,
    /// Timed imports per database.
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// A PostgreSQL server to run on too (any database on it; the benchmark creates
    /// its own).
    #[arg(long)]
    pg: Option<String>,
}

/// The release binary next to this example (`target/release/phongdich`).
fn binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("phongdich"))
        .context("locating the phongdich binary")?;
    if !bin.exists() {
        bail!(
            "{} is missing: run `cargo build --release -p phongdich` first",
            bin.display()
        );
    }
    Ok(bin)
}

/// Writes `persons.csv` of `dir` as `persons.xlsx`, every cell as text (as a province's
/// spreadsheet holds identity numbers and phones, with their leading zeros).
fn to_xlsx(dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join("persons.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let mut reader = csv::Reader::from_path(dir.join("persons.csv"))?;
    for (c, h) in reader.headers()?.iter().enumerate() {
        sheet.write_string(0, c as u16, h)?;
    }
    for (r, record) in reader.records().enumerate() {
        for (c, cell) in record?.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, cell)?;
            }
        }
    }
    workbook.save(&path)?;
    Ok(path)
}

fn run(bin: &Path, url: &str, args: &[&str]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let out = Command::new(bin)
        .args(args)
        .args(["--database-url", url])
        .env_remove("PHONGDICH_DATABASE_URL")
        .env("PHONGDICH_LOG", "warn")
        .output()?;
    let elapsed = started.elapsed();
    if !out.status.success() {
        bail!(
            "phongdich {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(elapsed)
}

/// Creates the database `name` on the server of `admin_url` (dropping an old one);
/// returns its URL.
async fn create_pg(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await?;
    sqlx::raw_sql(&format!("drop database if exists {name} with (force)"))
        .execute(&admin)
        .await?;
    sqlx::raw_sql(&format!("create database {name}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .context("a PostgreSQL URL ends with /DATABASE")?;
    Ok(format!("{base}/{name}"))
}

async fn drop_pg(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await?;
    sqlx::raw_sql(&format!("drop database if exists {name} with (force)"))
        .execute(&admin)
        .await?;
    admin.close().await;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = binary()?;
    let dir = tempfile::tempdir()?;
    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        demo: DemoArgs,
    }
    let people = args.people.to_string();
    let demo = Wrapper::try_parse_from(["demo", "--people", &people, "--days", "1"])?.demo;
    demo::export(&demo, dir.path())?;
    let started = Instant::now();
    let xlsx = to_xlsx(dir.path())?;
    println!(
        "persons.xlsx: {} persons, {:.1} MB, written in {:.1} s",
        args.people,
        std::fs::metadata(&xlsx)?.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let units = dir.path().join("units.csv");
    let rt = tokio::runtime::Runtime::new()?;
    let mut backends = vec!["sqlite"];
    if args.pg.is_some() {
        backends.push("postgres");
    }
    println!("| backend | run | import persons (s) | persons/s |");
    println!("|---|---:|---:|---:|");
    for backend in backends {
        for run_no in 1..=args.runs {
            let pg_name = format!("bench_import_{}", std::process::id());
            let url = match (backend, &args.pg) {
                ("postgres", Some(admin)) => rt.block_on(create_pg(admin, &pg_name))?,
                _ => {
                    let file = dir.path().join(format!("import-{run_no}.db"));
                    format!("sqlite://{}", file.display())
                }
            };
            run(&bin, &url, &["migrate"])?;
            run(&bin, &url, &["import", "units", units.to_str().unwrap()])?;
            let took = run(&bin, &url, &["import", "persons", xlsx.to_str().unwrap()])?;
            println!(
                "| {backend} | {run_no} | {:.2} | {:.0} |",
                took.as_secs_f64(),
                f64::from(args.people) / took.as_secs_f64()
            );
            if let ("postgres", Some(admin)) = (backend, &args.pg) {
                rt.block_on(drop_pg(admin, &pg_name))?;
            }
        }
    }
    Ok(())
}
