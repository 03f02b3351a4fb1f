//! The tracing engine as a task: one owner of the in-memory engine ([`state`]) behind a
//! channel, so that every change is applied in the order it was committed and its
//! levels are stored before the next one.
//!
//! - At start the task builds the engine from the database (reading is async, the trace
//!   itself runs in `spawn_blocking`) and stores every level. Changes that arrive
//!   meanwhile are queued and applied after the build; their callers are answered at
//!   once with [`Traced::Queued`], so a write never waits for a build.
//! - Each change runs its CPU work in `spawn_blocking`, then writes the levels it
//!   changed (multi-row statements, one transaction) before it answers. If that write
//!   fails, the engine and the stored levels could disagree, so the task rebuilds.
//! - Its state ([`EngineStatus`]: building, ready, failed with the reason) is watched
//!   by `/healthz` and the dashboard; a failed build is reported, and [`Engine::rebuild`]
//!   tries again.
//! - Data written behind the server's back (`phongdich import` in another process)
//!   moves the store's data version; the task looks at it every
//!   [`DATA_VERSION_POLL`] and rebuilds when it moved since its build began. A failed
//!   build is tried again after [`RETRY_AFTER_FAILURE`].

pub mod state;

use crate::actor::Clock;
use phongdich_domain::{Interval, PlaceKind, Timestamp};
use phongdich_store::TraceLevel;
use phongdich_store::{Exposure, Store};
use state::{retrace_database, BuildProgress, TraceState, TraceStateError};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

impl crate::App {
    /// Re-traces the whole database with `params` and replaces every stored level
    /// (`phongdich trace` without files); administrators and the command line only.
    pub async fn retrace(
        &self,
        actor: &crate::Actor,
        params: phongdich_trace::Params,
    ) -> crate::AppResult<state::RetraceStats> {
        if actor.role != phongdich_domain::Role::ProvinceAdmin || !self.scope(actor).await?.whole()
        {
            return Err(crate::AppError::Forbidden);
        }
        let (_, stats) =
            retrace_database(self.store(), params, self.now(), &BuildProgress::default())
                .await
                .map_err(|e| crate::AppError::Internal(e.to_string()))?;
        self.store()
            .insert_audit_event(&self.event(
                actor,
                "update",
                "trace_level",
                "all",
                Some(serde_json::json!({ "levels": stats.levels })),
            ))
            .await?;
        Ok(stats)
    }
}

/// How often the task looks at the data version.
pub const DATA_VERSION_POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// How long after a failed build the task tries again.
pub const RETRY_AFTER_FAILURE: std::time::Duration = std::time::Duration::from_secs(60);

/// Where the engine is.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineStatus {
    /// Not started (the command line, before `serve` starts it).
    Idle,
    /// Being built from the database: levels read from the database are the previous
    /// run's until it is ready.
    Building {
        /// When the build started.
        since: Timestamp,
        /// How far it is, 0 to 99 (filled in by [`Engine::status`]).
        percent: u8,
    },
    /// Ready: levels are current.
    Ready {
        /// Persons at F0..F4 after the build.
        levels: Vec<u64>,
        /// Seconds the build took.
        build_seconds: f64,
    },
    /// The build failed; the reason, for administrators.
    Failed {
        /// Why.
        reason: String,
    },
}

impl EngineStatus {
    /// `idle`, `building`, `ready` or `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Building { .. } => "building",
            Self::Ready { .. } => "ready",
            Self::Failed { .. } => "failed",
        }
    }
}

/// What became of a change sent to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traced {
    /// Applied; this many persons' levels changed and are stored.
    Applied {
        /// Persons whose level, time or link changed (the case itself included).
        levels_changed: usize,
    },
    /// The engine is being built: the change is queued and applied after.
    Queued,
    /// No engine runs in this process (the command line): the levels follow at the
    /// next `phongdich trace` or server start.
    NotRunning,
}

/// A change to the exposures or cases, as committed to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new case (or new dates of one).
    Case {
        /// Person id.
        person_id: i64,
        /// Start of the infectious period.
        infectious_from: Timestamp,
        /// Isolation, if any.
        isolated_at: Option<Timestamp>,
    },
    /// A new direct contact.
    Contact {
        /// One person.
        a_id: i64,
        /// The other.
        b_id: i64,
        /// When.
        interval: Interval,
    },
    /// A new presence.
    Presence {
        /// Person id.
        person_id: i64,
        /// Place id.
        place_id: i64,
        /// Its kind.
        kind: PlaceKind,
        /// When.
        interval: Interval,
    },
    /// A presence given before ends at another time (a check-out before or after the
    /// venue's default stay).
    PresenceEnd {
        /// Person id.
        person_id: i64,
        /// Place id.
        place_id: i64,
        /// Its kind.
        kind: PlaceKind,
        /// The presence as the engine was given it.
        interval: Interval,
        /// Its new end.
        end: Timestamp,
    },
}

/// A link of a chain: (person reached, its level on this chain, the exposure).
pub type ChainLink = (i64, u8, Exposure);

enum Command {
    Apply(Change, oneshot::Sender<Traced>),
    /// Changes committed together (a group commit), applied in one go.
    ApplyAll(Vec<Change>, oneshot::Sender<Traced>),
    Chain(i64, oneshot::Sender<Option<Vec<ChainLink>>>),
    Rebuild,
    /// A writer holds the engine for the length of its transaction ([`Engine::hold`]):
    /// the requests of the hold come on the channel sent back; `None` when the engine
    /// is not ready (the hold then applies after the commit, as `ApplyAll`).
    Hold(oneshot::Sender<Option<mpsc::UnboundedSender<HoldRequest>>>),
}

/// What a writer holding the engine asks.
enum HoldRequest {
    /// Apply these changes (not committed yet) and give back the levels they move.
    Apply(Vec<Change>, oneshot::Sender<Levels>),
    /// The transaction committed (`true`) or did not (`false`: the engine is rebuilt
    /// from the database if it applied anything).
    Release(bool),
}

/// The levels a held apply moved, to be written in the writer's transaction.
#[derive(Debug, Default)]
pub struct Levels {
    /// Rows to insert or replace.
    pub rows: Vec<TraceLevel>,
    /// Persons no longer traced.
    pub gone: Vec<i64>,
    /// What the engine did.
    pub traced: Option<Traced>,
}

/// The engine held by one writer for the length of its transaction ([`Engine::hold`]).
///
/// While held, the engine applies nothing else: the levels of the writer's changes are
/// computed in memory ([`EngineHold::apply`]) and written in the writer's transaction,
/// with one commit (one sync) for the rows and their levels. The writer then
/// [`EngineHold::release`]s it, saying whether the transaction committed; a hold
/// dropped without release counts as not committed. Lock order: the engine is held
/// before the transaction begins, never the other way round (the engine's own writes
/// of levels take the database after it).
#[derive(Debug)]
pub struct EngineHold {
    requests: Option<mpsc::UnboundedSender<HoldRequest>>,
    /// Not ready (or no engine): changes to send after the commit.
    later: Option<(Engine, Vec<Change>)>,
}

impl EngineHold {
    /// Applies `changes` (written in the holder's open transaction) and gives the levels
    /// they move, to be written in that transaction. When the engine is not ready the
    /// changes wait for the commit ([`EngineHold::release`]) and no level is given.
    pub async fn apply(&mut self, changes: Vec<Change>) -> Levels {
        if let Some((_, later)) = self.later.as_mut() {
            later.extend(changes);
            return Levels::default();
        }
        let Some(requests) = &self.requests else {
            return Levels::default();
        };
        if changes.is_empty() {
            return Levels {
                traced: Some(Traced::Applied { levels_changed: 0 }),
                ..Levels::default()
            };
        }
        let (reply, answer) = oneshot::channel();
        if requests.send(HoldRequest::Apply(changes, reply)).is_err() {
            return Levels::default();
        }
        answer.await.unwrap_or_default()
    }

    /// Ends the hold: `committed` says whether the holder's transaction committed.
    /// What the engine did with changes that waited for the commit.
    pub async fn release(mut self, committed: bool) -> Option<Traced> {
        if let Some(requests) = self.requests.take() {
            let _ = requests.send(HoldRequest::Release(committed));
        }
        match self.later.take() {
            Some((engine, changes)) if committed => Some(engine.apply_all(changes).await),
            _ => None,
        }
    }
}

impl Drop for EngineHold {
    fn drop(&mut self) {
        if let Some(requests) = self.requests.take() {
            let _ = requests.send(HoldRequest::Release(false));
        }
    }
}

/// A handle on the engine task; cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    commands: Option<mpsc::UnboundedSender<Command>>,
    status: watch::Receiver<EngineStatus>,
    progress: Arc<BuildProgress>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Apply(c, _) => f.debug_tuple("Apply").field(c).finish(),
            Self::ApplyAll(c, _) => f.debug_tuple("ApplyAll").field(&c.len()).finish(),
            Self::Chain(p, _) => f.debug_tuple("Chain").field(p).finish(),
            Self::Rebuild => f.write_str("Rebuild"),
            Self::Hold(_) => f.write_str("Hold"),
        }
    }
}

impl Engine {
    /// No engine: changes answer [`Traced::NotRunning`] (the command line).
    pub fn none() -> Self {
        let (_, status) = watch::channel(EngineStatus::Idle);
        Self {
            commands: None,
            status,
            progress: Arc::default(),
        }
    }

    /// Starts the task over `store` and begins the build. Needs a Tokio runtime.
    pub fn start(store: Store, clock: Arc<dyn Clock>, params: phongdich_trace::Params) -> Self {
        Self::start_after(store, clock, params, None)
    }

    /// [`Engine::start`], with the first build held until `gate` fires (tests that
    /// look at a server whose engine is still building).
    #[doc(hidden)]
    pub fn start_after(
        store: Store,
        clock: Arc<dyn Clock>,
        params: phongdich_trace::Params,
        gate: Option<oneshot::Receiver<()>>,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (status_tx, status) = watch::channel(EngineStatus::Idle);
        let progress = Arc::new(BuildProgress::default());
        let task = Task {
            gate,
            progress: progress.clone(),
            store,
            clock,
            params,
            status: status_tx,
            state: None,
            version: None,
        };
        tokio::spawn(task.run(rx));
        Self {
            commands: Some(tx),
            status,
            progress,
        }
    }

    /// Where the engine is now (with the build's progress while it builds).
    pub fn status(&self) -> EngineStatus {
        match self.status.borrow().clone() {
            EngineStatus::Building { since, .. } => EngineStatus::Building {
                since,
                percent: self.progress.percent(),
            },
            other => other,
        }
    }

    /// A receiver of every change of state (to wait for the next build).
    pub fn watch(&self) -> watch::Receiver<EngineStatus> {
        let mut rx = self.status.clone();
        rx.mark_unchanged();
        rx
    }

    /// Waits until the engine is ready or failed (tests, benchmarks); at once when no
    /// engine runs.
    pub async fn settled(&self) -> EngineStatus {
        if self.commands.is_none() {
            return self.status();
        }
        let mut rx = self.status.clone();
        loop {
            let now = rx.borrow_and_update().clone();
            if matches!(
                now,
                EngineStatus::Ready { .. } | EngineStatus::Failed { .. }
            ) {
                return now;
            }
            if rx.changed().await.is_err() {
                return rx.borrow().clone();
            }
        }
    }

    /// Applies a committed change; answers once its levels are stored (or queued).
    pub async fn apply(&self, change: Change) -> Traced {
        let Some(tx) = &self.commands else {
            return Traced::NotRunning;
        };
        let (reply, answer) = oneshot::channel();
        if tx.send(Command::Apply(change, reply)).is_err() {
            return Traced::NotRunning;
        }
        answer.await.unwrap_or(Traced::NotRunning)
    }

    /// Applies changes committed together, in their commit order, with one blocking
    /// job and one write of the levels they changed between them; answers once those
    /// are stored (or queued). What a group commit calls: the engine's cost per change
    /// is then the trace work alone.
    ///
    /// The changes are sent when this is called, not when the future is first polled:
    /// calls made one after the other reach the engine in that order.
    pub fn apply_all(
        &self,
        changes: Vec<Change>,
    ) -> impl std::future::Future<Output = Traced> + Send + 'static {
        let answer = match &self.commands {
            None => Err(Traced::NotRunning),
            Some(_) if changes.is_empty() => Err(Traced::Applied { levels_changed: 0 }),
            Some(tx) => {
                let (reply, answer) = oneshot::channel();
                match tx.send(Command::ApplyAll(changes, reply)) {
                    Ok(()) => Ok(answer),
                    Err(_) => Err(Traced::NotRunning),
                }
            }
        };
        async move {
            match answer {
                Ok(answer) => answer.await.unwrap_or(Traced::NotRunning),
                Err(now) => now,
            }
        }
    }

    /// Holds the engine for one transaction (see [`EngineHold`]): waits until the
    /// engine has finished what it was doing. Take it before beginning the
    /// transaction.
    pub async fn hold(&self) -> EngineHold {
        let detached = || EngineHold {
            requests: None,
            later: Some((self.clone(), Vec::new())),
        };
        let Some(tx) = &self.commands else {
            return detached();
        };
        let (reply, answer) = oneshot::channel();
        if tx.send(Command::Hold(reply)).is_err() {
            return detached();
        }
        match answer.await {
            Ok(Some(requests)) => EngineHold {
                requests: Some(requests),
                later: None,
            },
            _ => detached(),
        }
    }

    /// The chain that realises a person's level, from the case down to them; `None`
    /// when not traced or while the engine is not ready (read the stored links then).
    pub async fn chain(&self, person_id: i64) -> Option<Vec<ChainLink>> {
        let tx = self.commands.as_ref()?;
        let (reply, answer) = oneshot::channel();
        tx.send(Command::Chain(person_id, reply)).ok()?;
        answer.await.ok().flatten()
    }

    /// Rebuilds the engine from the database (after an import, or a failed build).
    pub fn rebuild(&self) {
        if let Some(tx) = &self.commands {
            let _ = tx.send(Command::Rebuild);
        }
    }
}

struct Task {
    store: Store,
    clock: Arc<dyn Clock>,
    params: phongdich_trace::Params,
    status: watch::Sender<EngineStatus>,
    /// Holds the first build (tests).
    gate: Option<oneshot::Receiver<()>>,
    progress: Arc<BuildProgress>,
    state: Option<Box<TraceState>>,
    /// The data version read when the current engine's build began.
    version: Option<i64>,
}

/// A finished build: the engine, its data version, seconds, persons per level.
type Built = (TraceState, i64, f64, Vec<u64>);

type Build =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Built, TraceStateError>> + Send>>;

impl Task {
    fn build(&mut self) -> Build {
        let gate = self.gate.take();
        let store = self.store.clone();
        let params = self.params;
        let now = self.clock.now();
        let progress = self.progress.clone();
        Box::pin(async move {
            if let Some(gate) = gate {
                let _ = gate.await;
            }
            let started = std::time::Instant::now();
            // Read before the data: a load that lands during the build moves it again.
            let version = store.data_version().await?;
            let (state, stats) = retrace_database(&store, params, now, &progress).await?;
            tracing::info!(
                cases = stats.cases,
                contacts = stats.contacts,
                presences = stats.presences,
                levels = ?stats.levels,
                read_s = stats.read.as_secs_f64(),
                trace_s = stats.trace.as_secs_f64(),
                write_s = stats.write.as_secs_f64(),
                "tracing engine ready"
            );
            Ok((
                state,
                version,
                started.elapsed().as_secs_f64(),
                stats.levels,
            ))
        })
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        let mut building: Option<Build> = Some(self.build());
        self.status.send_replace(EngineStatus::Building {
            since: self.clock.now(),
            percent: 0,
        });
        let mut queued: VecDeque<Change> = VecDeque::new();
        let mut poll = tokio::time::interval(DATA_VERSION_POLL);
        let mut failed_polls: u32 = 0;
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if let Some(build) = building.as_mut() {
                tokio::select! {
                    done = build => {
                        building = None;
                        match done {
                            Ok((state, version, seconds, levels)) => {
                                self.state = Some(Box::new(state));
                                self.version = Some(version);
                                self.status.send_replace(EngineStatus::Ready { levels, build_seconds: seconds });
                                if !queued.is_empty() {
                                    let changes: Vec<Change> = queued.drain(..).collect();
                                    if let Err(back) = self.apply(changes).await {
                                        queued.extend(back);
                                        building = Some(self.restart_build());
                                    }
                                }
                            }
                            Err(e) => {
                                tracing::error!(error = %e, "the tracing engine could not be built");
                                self.status.send_replace(EngineStatus::Failed { reason: e.to_string() });
                            }
                        }
                    }
                    command = rx.recv() => match command {
                        None => return,
                        Some(Command::Apply(change, reply)) => {
                            queued.push_back(change);
                            let _ = reply.send(Traced::Queued);
                        }
                        Some(Command::ApplyAll(changes, reply)) => {
                            queued.extend(changes);
                            let _ = reply.send(Traced::Queued);
                        }
                        Some(Command::Chain(_, reply)) => { let _ = reply.send(None); }
                        Some(Command::Rebuild) => {}
                        Some(Command::Hold(reply)) => { let _ = reply.send(None); }
                    },
                }
                continue;
            }
            let command = tokio::select! {
                command = rx.recv() => command,
                _ = poll.tick() => {
                    if self.state.is_none() {
                        // The last build failed: try again, a minute apart.
                        failed_polls += 1;
                        if failed_polls * DATA_VERSION_POLL >= RETRY_AFTER_FAILURE {
                            failed_polls = 0;
                            building = Some(self.restart_build());
                        }
                    } else if self.moved().await {
                        tracing::info!("data arrived from another process; rebuilding the tracing engine");
                        building = Some(self.restart_build());
                    }
                    continue;
                }
            };
            let Some(command) = command else {
                return;
            };
            match command {
                Command::Apply(change, reply) => {
                    if let Some(b) = self.apply_or_queue(vec![change], reply, &mut queued).await {
                        building = Some(b);
                    }
                }
                Command::ApplyAll(changes, reply) => {
                    if let Some(b) = self.apply_or_queue(changes, reply, &mut queued).await {
                        building = Some(b);
                    }
                }
                Command::Chain(person, reply) => {
                    let _ = reply.send(self.state.as_ref().and_then(|s| s.chain_of(person)));
                }
                Command::Rebuild => {
                    building = Some(self.restart_build());
                }
                Command::Hold(reply) => {
                    if let Some(b) = self.serve_hold(reply).await {
                        building = Some(b);
                    }
                }
            }
        }
    }

    /// Whether the data version moved since the engine's build began (a failed read
    /// is logged and counts as no move).
    async fn moved(&self) -> bool {
        match (self.store.data_version().await, self.version) {
            (Ok(now), Some(seen)) => now != seen,
            (Ok(_), None) => false,
            (Err(e), _) => {
                tracing::warn!(error = %e, "reading the data version failed");
                false
            }
        }
    }

    fn restart_build(&mut self) -> Build {
        self.state = None;
        self.status.send_replace(EngineStatus::Building {
            since: self.clock.now(),
            percent: 0,
        });
        self.build()
    }

    /// Applies `changes` to a ready engine and answers `reply`; when that fails, keeps
    /// them in `queued` for the rebuild it returns. Without an engine (a failed build)
    /// the reply is [`Traced::Queued`]: the next build reads them from the database.
    async fn apply_or_queue(
        &mut self,
        changes: Vec<Change>,
        reply: oneshot::Sender<Traced>,
        queued: &mut VecDeque<Change>,
    ) -> Option<Build> {
        if self.state.is_none() {
            let _ = reply.send(Traced::Queued);
            return None;
        }
        match self.apply(changes).await {
            Ok(n) => {
                let _ = reply.send(Traced::Applied { levels_changed: n });
                None
            }
            Err(back) => {
                queued.extend(back);
                let _ = reply.send(Traced::Queued);
                Some(self.restart_build())
            }
        }
    }

    /// Applies changes in their order and stores the levels they changed, in one
    /// blocking job and one write; when either failed, gives the changes back (the
    /// engine is then dropped and rebuilt from the database).
    async fn apply(&mut self, changes: Vec<Change>) -> Result<usize, Vec<Change>> {
        let (state, changes, rows, gone) = self.compute(changes).await?;
        if !(rows.is_empty() && gone.is_empty()) {
            if let Err(e) = self.store.upsert_trace_levels(&rows, &gone).await {
                tracing::error!(error = %e, "storing levels failed; rebuilding the engine");
                return Err(changes);
            }
        }
        self.state = Some(state);
        Ok(rows.len() + gone.len())
    }

    /// Applies changes in their order, in one blocking job: the engine after them and
    /// the levels they changed (rows to write, persons no longer traced). The engine
    /// is taken out of the task (`state` is `None` until the caller puts it back);
    /// when it refused a change or panicked, gives the changes back.
    async fn compute(&mut self, changes: Vec<Change>) -> Result<Computed, Vec<Change>> {
        let Some(mut state) = self.state.take() else {
            return Err(changes);
        };
        let now = self.clock.now();
        let worked = tokio::task::spawn_blocking(move || {
            // The last row of a person wins: later changes build on earlier ones.
            let mut latest: HashMap<i64, Option<TraceLevel>> = HashMap::new();
            let mut refused = None;
            for &change in &changes {
                match apply_one(&mut state, change, now) {
                    Ok((rows, gone)) => {
                        latest.extend(rows.into_iter().map(|r| (r.person_id, Some(r))));
                        latest.extend(gone.into_iter().map(|p| (p, None)));
                    }
                    Err(e) => {
                        refused = Some((e, change));
                        break;
                    }
                }
            }
            if let Some(refused) = refused {
                return (state, changes, Err(refused));
            }
            let (mut rows, mut gone) = (Vec::new(), Vec::new());
            for (person, row) in latest {
                match row {
                    Some(r) => rows.push(r),
                    None => gone.push(person),
                }
            }
            (state, changes, Ok((rows, gone)))
        })
        .await;
        let (state, changes, rows) = match worked {
            Ok(done) => done,
            Err(e) => {
                // The changes went down with the blocking job; the rebuild reads them
                // from the database, where they are committed.
                tracing::error!(error = %e, "the tracing engine panicked; rebuilding");
                return Err(Vec::new());
            }
        };
        match rows {
            Ok((rows, gone)) => Ok((state, changes, rows, gone)),
            Err((e, change)) => {
                tracing::error!(error = %e, ?change, "the tracing engine refused a change; rebuilding");
                Err(changes)
            }
        }
    }

    /// Serves one writer's hold ([`Engine::hold`]) until it is released; returns the
    /// rebuild to run when the engine no longer matches the database (the writer's
    /// transaction did not commit after the engine applied its changes, or the engine
    /// refused one).
    async fn serve_hold(
        &mut self,
        reply: oneshot::Sender<Option<mpsc::UnboundedSender<HoldRequest>>>,
    ) -> Option<Build> {
        if self.state.is_none() {
            let _ = reply.send(None);
            return None;
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        if reply.send(Some(tx)).is_err() {
            return None;
        }
        let (mut applied, mut broken) = (false, false);
        loop {
            match rx.recv().await {
                Some(HoldRequest::Apply(changes, reply)) => {
                    applied = true;
                    let levels = match self.compute(changes).await {
                        Ok((state, _, rows, gone)) => {
                            self.state = Some(state);
                            let levels_changed = rows.len() + gone.len();
                            Levels {
                                rows,
                                gone,
                                traced: Some(Traced::Applied { levels_changed }),
                            }
                        }
                        Err(_) => {
                            // Rebuilt after the release: the database has the changes.
                            broken = true;
                            Levels {
                                traced: Some(Traced::Queued),
                                ..Levels::default()
                            }
                        }
                    };
                    let _ = reply.send(levels);
                }
                Some(HoldRequest::Release(true)) if !broken => return None,
                // Not committed (or dropped): the engine holds changes the database
                // does not.
                _ if applied => return Some(self.restart_build()),
                _ => return None,
            }
        }
    }
}

/// What [`Task::compute`] gives: the engine, the changes, rows to write, persons gone.
type Computed = (Box<TraceState>, Vec<Change>, Vec<TraceLevel>, Vec<i64>);

/// Applies one change to the engine: the rows to write, the persons no longer traced.
fn apply_one(
    state: &mut TraceState,
    change: Change,
    now: Timestamp,
) -> Result<(Vec<TraceLevel>, Vec<i64>), TraceStateError> {
    match change {
        Change::Case {
            person_id,
            infectious_from,
            isolated_at,
        } => state.add_case(person_id, infectious_from, isolated_at, now),
        Change::Contact {
            a_id,
            b_id,
            interval,
        } => state.add_contact(a_id, b_id, interval, now),
        Change::Presence {
            person_id,
            place_id,
            kind,
            interval,
        } => state.add_presence(person_id, place_id, kind, interval, now),
        Change::PresenceEnd {
            person_id,
            place_id,
            kind,
            interval,
            end,
        } => state.set_presence_end(person_id, place_id, kind, interval, end, now),
    }
}
