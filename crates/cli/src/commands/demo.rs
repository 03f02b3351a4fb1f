//! `phongdich demo`: builds a synthetic Lai Châu (people, places, a month of check-ins,
//! trips, contacts, cases and tests) with `phongdich-synth`, then either writes the
//! interchange files (`--export DIR`) or loads it into a database and serves it with
//! the web app.

use super::demo_citizens;
use super::demo_users::{self, DemoRefs};
use anyhow::{bail, Context};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use phongdich_app::{Clock, OffsetClock};
use phongdich_domain::{
    AdminLevel, AdminUnit, BirthDate, Case, CaseOutcome, FullName, IdentityDocument, Interval,
    Phone, PlaceKind, Timestamp, UnitCode,
};
use phongdich_store::{
    BulkLoader, IdTable, NewCase, NewContact, NewHousehold, NewPerson, NewPlace, NewPresence,
    NewTest, Store, StoreError,
};
use phongdich_synth::{generate, Counts, CsvExport, Params, Phase, Progress, Scenario, Sink};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Options of `phongdich demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed gives the same province.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of people (Lai Châu has about 460,000).
    #[arg(long, default_value_t = phongdich_synth::generate::DEFAULT_PEOPLE)]
    pub people: u32,
    /// Number of days of activity.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// The epidemic: `imported` (a few imported cases; the two that slipped through
    /// are confirmed on the last day, whose tracing reproduces the funnel of the Lai
    /// Châu directive of 13 May 2021: tens of F1, thousands of F2, F3 and F4; see the
    /// README) or `outbreak` (community transmission all month: nearly everyone F1 or
    /// F2, for load tests).
    #[arg(long, default_value = "imported", value_parser = parse_scenario)]
    pub scenario: Scenario,
    /// First day (local), YYYY-MM-DD [default: `imported` ends on 2021-05-11, the
    /// directive's count; `outbreak` starts on 2021-05-01].
    #[arg(long)]
    pub start: Option<NaiveDate>,
    /// Number of confirmed cases [default: per 460,000 people, 6 imported or 1,000 in
    /// the outbreak].
    #[arg(long)]
    pub cases: Option<u32>,
    /// Address the web app listens on once the province is loaded.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Database to load into [default: a fresh `phongdich-demo.db` SQLite file,
    /// replaced if it exists].
    #[arg(long)]
    pub database_url: Option<String>,
    /// Write the province as CSV files (units, places, persons, presences, contacts,
    /// cases, tests; all but tests in `phongdich import`'s formats) to this directory
    /// and exit.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
}

impl DemoArgs {
    /// The generator's parameters.
    pub fn params(&self) -> Params {
        let mut params = Params::of(self.scenario, self.seed, self.people, self.days);
        if let Some(start) = self.start {
            params.start = start;
        }
        if let Some(cases) = self.cases {
            params.cases = cases;
        }
        params
    }
}

fn parse_scenario(s: &str) -> Result<Scenario, String> {
    Scenario::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Scenario::ALL.iter().map(|x| x.as_str()).collect();
        format!("unknown scenario {s:?}: one of {}", names.join(", "))
    })
}

/// The province the demo is built on: Lai Châu's districts and communes from the
/// official list embedded in the store crate.
pub fn lai_chau_units() -> anyhow::Result<Vec<AdminUnit>> {
    let all = phongdich_store::admin::official_units()
        .context("reading the official administrative units")?;
    let province = phongdich_synth::LAI_CHAU;
    let districts: Vec<_> = all
        .iter()
        .filter(|u| {
            u.level == AdminLevel::District
                && u.parent.as_ref().map(|p| p.as_str()) == Some(province)
        })
        .map(|u| u.code.clone())
        .collect();
    let units: Vec<AdminUnit> = all
        .into_iter()
        .filter(|u| match u.level {
            AdminLevel::Province => u.code.as_str() == province,
            AdminLevel::District => districts.contains(&u.code),
            _ => u.parent.as_ref().is_some_and(|p| districts.contains(p)),
        })
        .collect();
    if !units.iter().any(|u| u.level == AdminLevel::Commune) {
        bail!("the official list holds no commune of province {province}");
    }
    Ok(units)
}

/// A progress bar on stderr that follows the generator's phases.
fn progress_bar() -> (ProgressBar, impl FnMut(Progress)) {
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:<22} [{bar:40}] {percent:>3}% {elapsed_precise} (còn {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let b = bar.clone();
    let mut phase: Option<Phase> = None;
    let update = move |p: Progress| {
        if phase != Some(p.phase) {
            phase = Some(p.phase);
            b.set_message(p.phase.label_vi());
            b.set_length(p.total.max(1));
            b.reset_eta();
        }
        b.set_position(p.done);
    };
    (bar, update)
}

/// Generates into `sink` with a progress bar; returns the counts.
fn build<S: Sink>(args: &DemoArgs, sink: &mut S) -> anyhow::Result<Counts> {
    let units = lai_chau_units()?;
    let params = args.params();
    tracing::info!(
        seed = params.seed,
        people = params.people,
        days = params.days,
        start = %params.start,
        cases = params.cases,
        scenario = %params.scenario,
        "building the synthetic province"
    );
    let (bar, mut update) = progress_bar();
    let result = generate(&units, &params, sink, &mut update);
    bar.finish_and_clear();
    Ok(result?)
}

fn log_summary(counts: &Counts, elapsed: std::time::Duration) {
    tracing::info!(
        villages = counts.villages,
        households = counts.households,
        persons = counts.persons,
        venues = counts.places_of(PlaceKind::Venue),
        rooms = counts.places_of(PlaceKind::Room),
        trips = counts.places_of(PlaceKind::Vehicle),
        presences = counts.total_presences(),
        venue_checkins = counts.presences_of(PlaceKind::Venue),
        trip_passengers = counts.presences_of(PlaceKind::Vehicle),
        hotel_stays = counts.presences_of(PlaceKind::Room),
        contacts = counts.contacts,
        cases = counts.cases,
        tests = counts.tests,
        seconds = elapsed.as_secs_f64(),
        "synthetic province built"
    );
}

/// Writes the interchange files into `dir` (created if missing).
pub fn export(args: &DemoArgs, dir: &Path) -> anyhow::Result<Counts> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let started = Instant::now();
    let mut sink = CsvExport::create(dir)?;
    let counts = build(args, &mut sink)?;
    log_summary(&counts, started.elapsed());
    for name in phongdich_synth::export::FILES {
        let path = dir.join(name);
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        tracing::info!(file = %path.display(), bytes, "written");
    }
    Ok(counts)
}

/// The demo database unless `--database-url` says otherwise.
pub const DEFAULT_DEMO_DATABASE: &str = "phongdich-demo.db";

/// Rows buffered before they are written to the database.
const BATCH_ROWS: usize = 50_000;

/// A [`Sink`] that buffers rows and writes them through the store's bulk loader, in an
/// order that satisfies foreign keys (units, places, households, persons, then the
/// rest). Ids from the generator are shifted past any rows already in the database.
struct StoreSink<'r> {
    rt: &'r tokio::runtime::Runtime,
    loader: BulkLoader,
    person_offset: i64,
    place_offset: i64,
    household_offset: i64,
    units: Vec<AdminUnit>,
    places: Vec<NewPlace>,
    households: Vec<NewHousehold>,
    persons: Vec<NewPerson>,
    presences: Vec<NewPresence>,
    contacts: Vec<NewContact>,
    cases: Vec<NewCase>,
    tests: Vec<NewTest>,
    pending: usize,
    refs: DemoRefs,
    /// The latest a case is recorded: when the demo's clock starts.
    recorded_by: Timestamp,
}

impl std::fmt::Debug for StoreSink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSink")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

fn invalid(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("generated {what}: {err}"))
}

fn interval(start: Timestamp, end: Timestamp) -> Result<Interval, StoreError> {
    Interval::new(start, end).map_err(|e| invalid("interval", e))
}

impl<'r> StoreSink<'r> {
    async fn start(store: &Store) -> Result<(BulkLoader, i64, i64, i64), StoreError> {
        let mut loader = store.bulk().await?;
        let person = loader.first_free_id(IdTable::Person).await? - 1;
        let place = loader.first_free_id(IdTable::Place).await? - 1;
        let household = loader.first_free_id(IdTable::Household).await? - 1;
        Ok((loader, person, place, household))
    }

    fn new(
        rt: &'r tokio::runtime::Runtime,
        store: &Store,
        recorded_by: Timestamp,
    ) -> Result<Self, StoreError> {
        let (loader, person_offset, place_offset, household_offset) =
            rt.block_on(Self::start(store))?;
        Ok(Self {
            rt,
            loader,
            person_offset,
            place_offset,
            household_offset,
            units: Vec::new(),
            places: Vec::new(),
            households: Vec::new(),
            persons: Vec::new(),
            presences: Vec::with_capacity(BATCH_ROWS),
            contacts: Vec::new(),
            cases: Vec::new(),
            tests: Vec::new(),
            pending: 0,
            refs: DemoRefs::default(),
            recorded_by,
        })
    }

    fn added(&mut self) -> Result<(), StoreError> {
        self.pending += 1;
        if self.pending >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        let Self {
            rt,
            loader,
            units,
            places,
            households,
            persons,
            presences,
            contacts,
            cases,
            tests,
            ..
        } = self;
        rt.block_on(async {
            loader.units(units).await?;
            loader.places(places).await?;
            loader.households(households).await?;
            loader.persons(persons).await?;
            loader.presences(presences).await?;
            loader.contacts(contacts).await?;
            loader.cases(cases).await?;
            loader.tests(tests).await?;
            Ok::<_, StoreError>(())
        })?;
        units.clear();
        places.clear();
        households.clear();
        persons.clear();
        presences.clear();
        contacts.clear();
        cases.clear();
        tests.clear();
        self.pending = 0;
        Ok(())
    }

    /// Writes what is buffered and commits the load (indexes are rebuilt here), with
    /// `bar` following the steps; returns what the demo accounts are scoped to.
    fn commit(mut self, bar: &ProgressBar) -> Result<DemoRefs, StoreError> {
        bar.set_message("ghi dữ liệu (writing the last rows)");
        self.flush()?;
        let Self {
            rt, loader, refs, ..
        } = self;
        rt.block_on(loader.commit_with_progress(|p| {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
            bar.set_message(p.step.to_string());
        }))?;
        Ok(refs)
    }

    fn person_id(&self, id: u32) -> i64 {
        self.person_offset + i64::from(id)
    }
}

impl Sink for StoreSink<'_> {
    type Error = StoreError;

    fn unit(&mut self, v: &phongdich_synth::Village<'_>) -> Result<(), StoreError> {
        self.refs.village(v.commune);
        self.units.push(AdminUnit {
            code: v.code.clone(),
            name: v.name.to_owned(),
            level: AdminLevel::Village,
            parent: Some(v.commune.clone()),
        });
        self.added()
    }

    fn household(&mut self, h: &phongdich_synth::Household<'_>) -> Result<(), StoreError> {
        self.households.push(NewHousehold {
            id: Some(self.household_offset + i64::from(h.id)),
            reference: h.reference.to_owned(),
            unit_code: h.unit_code.clone(),
            address: Some(h.address.to_owned()),
        });
        self.added()
    }

    fn person(&mut self, p: &phongdich_synth::Person<'_>) -> Result<(), StoreError> {
        self.persons.push(NewPerson {
            id: Some(self.person_id(p.id)),
            reference: p.reference.to_owned(),
            full_name: FullName::parse(p.full_name).map_err(|e| invalid("name", e))?,
            birth: Some(BirthDate::Date(p.birth)),
            sex: Some(p.sex),
            identity: Some(IdentityDocument::parse(p.id_number).map_err(|e| invalid("CCCD", e))?),
            nationality: p.nationality.to_owned(),
            phone: p
                .phone
                .map(Phone::parse)
                .transpose()
                .map_err(|e| invalid("phone", e))?,
            address: Some(p.address.to_owned()),
            unit_code: Some(p.unit_code.clone()),
            household_id: Some(self.household_offset + i64::from(p.household)),
        });
        self.added()
    }

    fn place(&mut self, p: &phongdich_synth::Place<'_>) -> Result<(), StoreError> {
        self.refs.place(p.venue_kind, p.reference);
        self.places.push(NewPlace {
            id: Some(self.place_offset + i64::from(p.id)),
            reference: p.reference.to_owned(),
            kind: p.kind,
            venue_kind: p.venue_kind,
            name: p.name.to_owned(),
            unit_code: p.unit_code.cloned(),
            address: Some(p.address.to_owned()),
            capacity: p.capacity.map(i64::from),
            operator: p.operator.map(str::to_owned),
        });
        self.added()
    }

    fn presence(&mut self, p: &phongdich_synth::Presence<'_>) -> Result<(), StoreError> {
        self.presences.push(NewPresence {
            person_id: self.person_id(p.person),
            place_id: self.place_offset + i64::from(p.place),
            interval: interval(p.start, p.end)?,
        });
        self.added()
    }

    fn contact(&mut self, c: &phongdich_synth::Contact<'_>) -> Result<(), StoreError> {
        self.contacts.push(NewContact {
            a_id: self.person_id(c.a),
            b_id: self.person_id(c.b),
            interval: interval(c.start, c.end)?,
            setting: Some(c.setting.as_str().to_owned()),
        });
        self.added()
    }

    fn case(&mut self, c: &phongdich_synth::CaseRecord<'_>) -> Result<(), StoreError> {
        self.cases.push(NewCase {
            person_id: self.person_id(c.person),
            // Recorded when the result came and the person was isolated, and never
            // after the demo's clock starts (an outbreak's last cases).
            recorded_at: c.isolated_at.min(self.recorded_by),
            case: Case {
                onset: c.onset,
                sample_date: Some(c.sample_date),
                infectious_from: c.infectious_from,
                isolated_at: Some(c.isolated_at),
                classification: c.classification,
                outcome: CaseOutcome::UnderTreatment,
            },
        });
        self.added()
    }

    fn test(&mut self, t: &phongdich_synth::TestRecord<'_>) -> Result<(), StoreError> {
        self.tests.push(NewTest {
            person_id: self.person_id(t.person),
            sampled_at: t.sampled_at,
            kind: t.kind,
            result: t.result,
            laboratory: Some("CDC Lai Châu".to_owned()),
        });
        self.added()
    }
}

/// The database to load: `--database-url`, or a fresh `phongdich-demo.db` (an old one
/// and its WAL files are removed first).
fn database_url(args: &DemoArgs) -> anyhow::Result<String> {
    if let Some(url) = &args.database_url {
        return Ok(url.clone());
    }
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{DEFAULT_DEMO_DATABASE}{suffix}");
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::info!(file = %path, "old demo database removed"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing the old {path}")),
        }
    }
    Ok(format!("sqlite://{DEFAULT_DEMO_DATABASE}"))
}

/// Builds the province into the database `url` (migrated first); returns the counts.
pub fn load(args: &DemoArgs, url: &str) -> anyhow::Result<Counts> {
    load_province(args, url).map(|(counts, _)| counts)
}

/// Builds the province into the database `url`, then creates one staff account per
/// role (see [`demo_users`]) and the last day's declarations and check-ins (see
/// [`demo_citizens`]); returns the counts, the accounts created and what was seeded.
pub fn load_with_users(
    args: &DemoArgs,
    url: &str,
) -> anyhow::Result<(Counts, Vec<demo_users::DemoUser>, demo_citizens::Seeded)> {
    let (counts, refs) = load_province(args, url)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let evening = demo_evening(&args.params());
    let mut seeded = demo_citizens::Seeded::default();
    let users = rt.block_on(async {
        let store = Store::connect(url).await?;
        let users = demo_users::create(&store, &refs).await;
        // Once, with the accounts: a second run over the same database keeps the
        // first run's declarations and check-ins.
        if users.as_ref().is_ok_and(|u| !u.is_empty()) {
            if let Some(commune) = &refs.commune {
                let province = UnitCode::parse("12").context("the province code")?;
                let venue = refs.venue(&demo_users::OPERATED_VENUES);
                seeded = demo_citizens::seed(&store, &province, commune, venue.as_deref(), evening)
                    .await?;
                tracing::info!(
                    declarations = seeded.declarations,
                    flagged = seeded.flagged,
                    check_ins = seeded.check_ins,
                    "the last day's health declarations and check-ins"
                );
            }
        }
        store.close().await;
        users
    })?;
    Ok((counts, users, seeded))
}

fn load_province(args: &DemoArgs, url: &str) -> anyhow::Result<(Counts, DemoRefs)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let started = Instant::now();
    let store = rt.block_on(async {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok::<_, StoreError>(store)
    })?;
    let mut sink = StoreSink::new(&rt, &store, demo_evening(&args.params()))?;
    let counts = build(args, &mut sink)?;
    tracing::info!("committing and building indexes");
    // Index building takes tens of seconds at full size: a bar of the commit's steps
    // (each index, the commit, statistics), its spinner kept turning within a step.
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:20}] {pos}/{len} {msg} {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let committed = sink.commit(&bar);
    bar.finish_and_clear();
    let refs = committed?;
    rt.block_on(store.close());
    log_summary(&counts, started.elapsed());
    Ok((counts, refs))
}

/// The demo's clock: it reads 22:30 on the last day of the period when the server
/// starts (every case of the period recorded, the last ones "new today") and goes on
/// in real time.
pub fn demo_clock(params: &Params) -> Arc<dyn Clock> {
    Arc::new(OffsetClock::starting_at(demo_evening(params)))
}

/// 22:30 on the last day of the period: when the demo's clock starts.
fn demo_evening(params: &Params) -> Timestamp {
    let last_day = params.start + chrono::Duration::days(i64::from(params.days.max(1)) - 1);
    Timestamp(Timestamp::local_midnight(last_day).0 + 22 * 3_600 + 30 * 60)
}

/// Serves the province in the database `url` on `listener` until `shutdown`.
async fn serve_until(
    url: String,
    listener: tokio::net::TcpListener,
    clock: Arc<dyn Clock>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = Store::connect(&url).await?;
    let address = listener
        .local_addr()
        .context("reading the listening address")?;
    tracing::info!(%address, "serving the demo province on http://{address}/ (Ctrl-C stops)");
    let province = crate::settings::Settings::from_env()?.province;
    tracing::info!(
        now = %clock.now().to_rfc3339(),
        "the demo's clock starts on the evening of its last day"
    );
    let app = phongdich_app::App::serving_at(store, province, clock);
    let state = phongdich_server::AppState::new(app, phongdich_server::Settings::default());
    phongdich_server::serve(listener, state, shutdown)
        .await
        .context("serving the web app")
}

/// Serves the loaded province with the web app on `listen` until Ctrl-C.
fn serve(url: &str, listen: &str, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let shutdown = async {
            // If the signal cannot be watched the app runs until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        serve_until(url.to_owned(), listener, clock, shutdown).await
    })
}

/// Runs `phongdich demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.export {
        export(&args, dir)?;
        return Ok(ExitCode::SUCCESS);
    }
    let url = database_url(&args)?;
    let (_, users, _) = load_with_users(&args, &url)?;
    if !users.is_empty() {
        println!("{}", demo_users::table(&users));
    }
    if let Some(file) = url.strip_prefix("sqlite://") {
        let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        tracing::info!(file, bytes, "demo database written");
    }
    serve(&url, &args.listen, demo_clock(&args.params()))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        demo: DemoArgs,
    }

    #[test]
    fn defaults_are_the_province_over_a_month() {
        let w = Wrapper::try_parse_from(["demo"]).expect("parses");
        let p = w.demo.params();
        assert_eq!((p.seed, p.people, p.days, p.cases), (1, 460_000, 30, 6));
        assert_eq!(p.scenario, Scenario::Imported);
        // The month that ends on the directive's count.
        assert_eq!(p.start, NaiveDate::from_ymd_opt(2021, 4, 12).expect("date"));
        let w = Wrapper::try_parse_from(["demo", "--scenario", "outbreak"]).expect("parses");
        let p = w.demo.params();
        assert_eq!((p.cases, p.scenario), (1_000, Scenario::Outbreak));
        assert_eq!(p.start, NaiveDate::from_ymd_opt(2021, 5, 1).expect("date"));
        let w = Wrapper::try_parse_from(["demo", "--start", "2021-06-01", "--cases", "9"])
            .expect("parses");
        let p = w.demo.params();
        assert_eq!((p.start.to_string(), p.cases), ("2021-06-01".to_owned(), 9));
        assert!(Wrapper::try_parse_from(["demo", "--scenario", "seed"]).is_err());
    }

    #[test]
    fn lai_chau_has_106_communes() {
        let units = lai_chau_units().expect("units");
        assert_eq!(
            units
                .iter()
                .filter(|u| u.level == AdminLevel::Commune)
                .count(),
            106
        );
        assert_eq!(
            units
                .iter()
                .filter(|u| u.level == AdminLevel::District)
                .count(),
            8
        );
    }

    #[test]
    fn load_fills_a_fresh_sqlite_database() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("demo.db").display());
        let w =
            Wrapper::try_parse_from(["demo", "--people", "1500", "--days", "3"]).expect("parses");
        let (counts, users, seeded) = load_with_users(&w.demo, &url).expect("loads");
        assert_eq!(users.len(), phongdich_domain::Role::ALL.len());
        for role in phongdich_domain::Role::ALL {
            assert!(
                users.iter().any(|u| u.role == role),
                "an account for {role:?}"
            );
        }
        let xa = users
            .iter()
            .find(|u| u.username == "xa")
            .expect("commune officer");
        assert!(matches!(&xa.jurisdiction,
            phongdich_domain::Jurisdiction::Unit(u) if u.level() == AdminLevel::Commune));
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let stored = rt
            .block_on(async { Store::connect(&url).await?.counts().await })
            .expect("counts");
        assert_eq!(stored.persons, counts.persons + seeded.persons);
        assert_eq!(stored.households, counts.households);
        assert_eq!(stored.places, counts.total_places());
        assert_eq!(
            stored.presences,
            counts.total_presences() + seeded.check_ins as u64
        );
        // The last day's citizens: every declaration, the flagged ones on the
        // commune's follow-up list, the venue's evening of check-ins.
        let flagged = demo_citizens::DECLARANTS
            .iter()
            .filter(|d| !d.5.is_empty() || d.6 || d.7)
            .count();
        assert_eq!(
            (seeded.declarations, seeded.flagged, seeded.check_ins),
            (12, flagged, 14)
        );
        let open = rt
            .block_on(async {
                let store = Store::connect(&url).await?;
                store
                    .follow_up_list(&phongdich_store::FollowUpQuery {
                        unit: match &xa.jurisdiction {
                            phongdich_domain::Jurisdiction::Unit(u) => Some(u.clone()),
                            phongdich_domain::Jurisdiction::Place(_) => None,
                        },
                        status: phongdich_domain::declaration::FollowUp::Open,
                        flag: None,
                        since: None,
                        before_id: None,
                        limit: 100,
                    })
                    .await
            })
            .expect("the follow-up list");
        assert_eq!(open.len(), flagged);
        assert_eq!(stored.contacts, counts.contacts);
        assert_eq!(stored.cases, counts.cases);
        assert_eq!(stored.tests, counts.tests);
    }

    #[test]
    fn cases_are_recorded_over_the_period_and_the_last_are_new_today() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("demo.db").display());
        let w =
            Wrapper::try_parse_from(["demo", "--people", "3000", "--cases", "6"]).expect("parses");
        load(&w.demo, &url).expect("loads");
        let params = w.demo.params();
        let now = demo_clock(&params).now();
        let last_day = NaiveDate::from_ymd_opt(2021, 5, 11).expect("date");
        assert_eq!(now.local_date(), last_day);
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let (today, all, later) = rt.block_on(async {
            let store = Store::connect(&url).await.expect("connects");
            let count = |since| {
                let store = store.clone();
                async move {
                    store
                        .new_cases_by_unit(None, since)
                        .await
                        .expect("counts")
                        .iter()
                        .map(|(_, n)| n)
                        .sum::<u64>()
                }
            };
            (
                count(Timestamp::local_midnight(last_day)).await,
                count(Timestamp(0)).await,
                count(Timestamp(now.0 + 60)).await,
            )
        });
        // Nothing is recorded after the clock's start.
        assert_eq!(later, 0);
        // Two slipped through and are confirmed on the last day; the others were
        // caught on arrival over the two weeks before.
        assert_eq!(all, 6);
        assert!(
            (2..6).contains(&today),
            "{today} of {all} new on the last day"
        );
    }

    #[test]
    fn the_loaded_province_is_served() {
        use std::io::{Read, Write};
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("demo.db").display());
        let w =
            Wrapper::try_parse_from(["demo", "--people", "800", "--days", "1"]).expect("parses");
        load(&w.demo, &url).expect("loads");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("port");
            let address = listener.local_addr().expect("address");
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let clock = demo_clock(&w.demo.params());
            let server = tokio::spawn(serve_until(url, listener, clock, async {
                let _ = stopped.await;
            }));
            let response = tokio::task::spawn_blocking(move || {
                let mut stream = std::net::TcpStream::connect(address).expect("connects");
                stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n")
                    .expect("request");
                let mut response = String::new();
                stream.read_to_string(&mut response).expect("response");
                response
            })
            .await
            .expect("client");
            assert!(response.starts_with("HTTP/1.1 200"), "{response}");
            let _ = stop.send(());
            server.await.expect("server task").expect("served");
        });
    }

    #[test]
    fn export_writes_the_interchange_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let w = Wrapper::try_parse_from(["demo", "--people", "1500", "--days", "2", "--seed", "3"])
            .expect("parses");
        let counts = export(&w.demo, dir.path()).expect("exports");
        assert_eq!(counts.persons, 1_500);
        for name in phongdich_synth::export::FILES {
            assert!(dir.path().join(name).exists(), "{name}");
        }
        let persons = std::fs::read_to_string(dir.path().join("persons.csv")).expect("persons");
        assert_eq!(persons.lines().count(), 1_501);
    }
}
