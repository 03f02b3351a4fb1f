//! `phongdich trace`: the F0..F4 levels of docs/tracing.md, from interchange files
//! (result CSV on stdout or `--out`), or over the database (levels stored for the
//! server to show).

use crate::settings::Settings;
use anyhow::{bail, Context};
use phongdich_interchange::{parse_time, result_rows, write_result, TraceInput};
use phongdich_trace::{Engine, Params, Thresholds, Via};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Options of `phongdich trace`.
#[derive(Debug, Clone, clap::Args)]
pub struct TraceArgs {
    /// Direct contacts: a,b,start,end.
    #[arg(long)]
    pub contacts: Option<PathBuf>,
    /// Presences: person,place,kind,start,end (kind: household, room, vehicle, venue).
    #[arg(long)]
    pub presences: Option<PathBuf>,
    /// Cases (F0): person,infectious_from,isolated_at. Without any file, the database
    /// is traced instead.
    #[arg(long)]
    pub cases: Option<PathBuf>,
    /// The deepest level traced.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(0..=32))]
    pub max_level: u8,
    /// Nothing after this instant is seen (RFC 3339 with offset, or Unix seconds).
    #[arg(long, value_parser = parse_time_arg)]
    pub as_of: Option<i64>,
    /// Least overlap that counts, per kind: contact, household, room, vehicle or venue
    /// (defaults: 0 s, venue 900 s). Repeatable: --min-overlap venue=600.
    #[arg(long = "min-overlap", value_name = "KIND=SECONDS", value_parser = parse_overlap)]
    pub min_overlap: Vec<(Via, i64)>,
    /// Write the result here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Database URL for tracing the database [default: PHONGDICH_DATABASE_URL, else
    /// sqlite://phongdich.db].
    #[arg(long)]
    pub database_url: Option<String>,
}

fn parse_time_arg(s: &str) -> Result<i64, String> {
    parse_time(s.trim())
}

fn parse_overlap(s: &str) -> Result<(Via, i64), String> {
    let (kind, seconds) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected KIND=SECONDS, e.g. venue=900"))?;
    let via = Via::parse(kind.trim())
        .ok_or_else(|| format!("`{kind}` is not contact, household, room, vehicle or venue"))?;
    let seconds: i64 = seconds
        .trim()
        .parse()
        .map_err(|_| format!("`{seconds}` is not a whole number of seconds"))?;
    if seconds < 0 {
        return Err(format!("{seconds}: a threshold cannot be negative"));
    }
    Ok((via, seconds))
}

impl TraceArgs {
    fn params(&self) -> Params {
        let mut thresholds = Thresholds::default();
        for &(via, seconds) in &self.min_overlap {
            thresholds.set(via, seconds);
        }
        Params {
            max_level: self.max_level,
            as_of: self.as_of,
            thresholds,
        }
    }
}

fn summary(levels: &[u64]) -> String {
    levels
        .iter()
        .enumerate()
        .map(|(k, n)| format!("F{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `phongdich trace`.
pub fn run(args: TraceArgs) -> anyhow::Result<ExitCode> {
    if args.contacts.is_none() && args.presences.is_none() && args.cases.is_none() {
        return run_database(&args);
    }
    let Some(cases) = &args.cases else {
        bail!("--cases is needed with --contacts or --presences (tracing starts from the cases)");
    };
    let started = Instant::now();
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message("đọc tệp (reading the files)");
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let input = TraceInput::read_files(args.contacts.as_deref(), args.presences.as_deref(), cases);
    spinner.finish_and_clear();
    let input = input?;
    let read = started.elapsed();
    let started = Instant::now();
    let engine = Engine::build(
        args.params(),
        &input.cases,
        &input.contacts,
        &input.presences,
    )
    .context("tracing")?;
    let traced = started.elapsed();
    let rows = result_rows(&engine, &input);
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            write_result(std::io::BufWriter::new(file), &rows)?;
        }
        None => {
            let stdout = std::io::stdout().lock();
            write_result(std::io::BufWriter::new(stdout), &rows)?;
        }
    }
    std::io::stdout().flush().ok();
    eprintln!(
        "{} cases, {} contacts, {} presences read in {:.1} s; traced in {:.2} s: {}",
        input.cases.len(),
        input.contacts.len(),
        input.presences.len(),
        read.as_secs_f64(),
        traced.as_secs_f64(),
        summary(&engine.level_counts())
    );
    Ok(ExitCode::SUCCESS)
}

/// Traces the database and stores every level.
fn run_database(args: &TraceArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?.with_database_url(args.database_url.clone());
    let url = phongdich_store::redact_url(&settings.database_url);
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let store = phongdich_store::Store::connect(&settings.database_url)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        store
            .migrate()
            .await
            .with_context(|| format!("migrating {url}"))?;
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_message("truy vết toàn tỉnh (tracing the database)");
        spinner.enable_steady_tick(std::time::Duration::from_millis(200));
        let actor = super::cli_actor(&store, &settings, None).await?;
        let app = phongdich_app::App::offline(store.clone(), settings.province.clone());
        let result = app.retrace(&actor, args.params()).await;
        spinner.finish_and_clear();
        let stats = result.with_context(|| format!("tracing {url}"))?;
        store.close().await;
        eprintln!(
            "{} cases, {} contacts, {} presences read in {:.1} s; traced in {:.2} s; \
             levels stored in {:.1} s: {}",
            stats.cases,
            stats.contacts,
            stats.presences,
            stats.read.as_secs_f64(),
            stats.trace.as_secs_f64(),
            stats.write.as_secs_f64(),
            summary(&stats.levels)
        );
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_parse_per_kind() {
        assert_eq!(
            parse_overlap("venue=600"),
            Ok((Via::Place(phongdich_trace::Kind::Venue), 600))
        );
        assert_eq!(parse_overlap("contact = 60"), Ok((Via::Contact, 60)));
        assert!(parse_overlap("shop=5").is_err());
        assert!(parse_overlap("venue").is_err());
        assert!(parse_overlap("venue=-1").is_err());
        assert!(parse_overlap("venue=ten").is_err());
    }
}
