//! The group commit: many small writes (check-ins) share one transaction and so one
//! sync to disk, and the tracing engine learns their changes in one go.
//!
//! Every answered write must be on disk first (SQLite runs `synchronous = full`,
//! PostgreSQL `synchronous_commit = on`), and a sync costs milliseconds on ordinary
//! disks: one transaction per request caps a server at a few hundred writes a second,
//! whatever its CPU. So requests do not commit themselves. They send a [`WriteJob`]
//! over a bounded channel and wait on a oneshot; one writer task takes the first job,
//! then every job already waiting (up to [`MAX_BATCH`]), and for the batch:
//!
//! 1. holds the tracing engine ([`Engine::hold`]: the engine finishes what it was
//!    doing and then applies nothing else until released);
//! 2. writes every job in ONE transaction ([`WriteJob::write_all`]: multi-row
//!    statements for check-ins);
//! 3. applies the batch's changes to the engine in memory and writes the levels they
//!    moved in the same transaction;
//! 4. commits (one sync for the rows and their levels), releases the engine and
//!    answers every request.
//!
//! A batch is as large as what arrived during the previous one: no timer, no added
//! wait when the server is idle, bigger batches exactly when the load grows. The
//! levels ride in the batch's own transaction rather than one of the engine's: on
//! SQLite a second transaction per batch would wait for the write lock and pay a
//! second sync, and its commit by another connection would empty the writer's page
//! cache.
//!
//! Failures:
//! - A job that fails (an idempotency key used before, an ID number stored meanwhile)
//!   must not take the others down. When [`WriteJob::write_all`] fails, the batch is
//!   rolled back and written again job by job ([`WriteJob::write`]), each inside a
//!   savepoint, so that a failing job rolls back only its own writes; its error is
//!   answered after the batch commits (a request that lost an idempotency-key race can
//!   then read the winner's result).
//! - A failure of the transaction itself (begin, a savepoint, the levels, the commit)
//!   releases the engine as not committed (if it had applied the batch, it is rebuilt
//!   from the database) and retries each job alone, in a transaction of its own,
//!   whose changes then reach the engine the ordinary way ([`Engine::apply_all`]).
//! - While the engine is being built, the hold is detached: the changes wait for the
//!   commit and are queued for after the build, as any other write's.
//!
//! Ordering: jobs are written in the order they were sent, batches commit one after
//! the other, and the engine applies each batch while no other change can come
//! between (lock order: the engine, then the database; nothing takes them the other
//! way round).
//!
//! [`CommitQueue::set_grouped`]`(false)` switches to one transaction per request, run
//! in the request's own task: the baseline of the benchmark (`bench/checkins.sh`).

use crate::engine::{Change, Engine, EngineHold, Levels, Traced};
use futures_util::future::BoxFuture;
use phongdich_store::{BackendKind, Store, StoreError, Tx};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

/// Most jobs in one transaction. Past a few hundred the sync is a small share of a
/// batch's time; a bound keeps one batch's latency bounded.
pub const MAX_BATCH: usize = 1_000;

/// Jobs that may wait for the writer; a request beyond that waits to send (back
/// pressure) instead of piling up memory.
pub const QUEUE_CAPACITY: usize = 8_192;

type StoreResult<T> = Result<T, StoreError>;

/// A write that runs inside a transaction the queue owns.
///
/// A job may be written more than once: when a batch fails, it is rolled back and its
/// jobs written again one by one, so a job must only write through `tx` (no effects
/// outside the database before the commit).
pub trait WriteJob: Send + Sized + 'static {
    /// What the request gets back.
    type Output: Send + Sync + 'static;

    /// Writes this job (the change and its audit event) in `tx`, no commit.
    fn write<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, StoreResult<Self::Output>>;

    /// Writes `jobs` together, as [`WriteJob::write`] would one after the other; all
    /// or nothing (an error makes the queue roll back and write them one by one).
    /// Jobs that can use multi-row statements override it; the default writes them
    /// one by one.
    fn write_all<'a>(
        jobs: &'a mut [Self],
        tx: &'a mut Tx,
    ) -> BoxFuture<'a, StoreResult<Vec<Self::Output>>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(jobs.len());
            for job in jobs.iter_mut() {
                out.push(job.write(tx).await?);
            }
            Ok(out)
        })
    }

    /// Plans `jobs` without writing them: every output decided (ids included), as
    /// [`WriteJob::write_all`] would give it, then written by
    /// [`WriteJob::write_planned`] in the same transaction. The queue hands the
    /// planned changes to the tracing engine, which works on them while the rows are
    /// written. `None` (the default) for jobs that are not planned: they go through
    /// `write_all`. An error (a job that fails) sends the batch the `write_all` way.
    fn plan_all<'a>(
        _jobs: &'a mut [Self],
        _tx: &'a mut Tx,
    ) -> BoxFuture<'a, StoreResult<Option<Vec<Self::Output>>>> {
        Box::pin(async { Ok(None) })
    }

    /// Writes what [`WriteJob::plan_all`] planned for `jobs`; all or nothing.
    fn write_planned<'a>(
        _jobs: &'a mut [Self],
        _planned: &'a [Self::Output],
        _tx: &'a mut Tx,
    ) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async { Err(StoreError::Invalid("these jobs are not planned".into())) })
    }

    /// What the tracing engine must learn once the write is committed.
    fn changes(&self, output: &Self::Output) -> Vec<Change>;
}

/// Counters of the writer, for logs and benchmarks.
#[derive(Debug, Default)]
pub struct CommitStats {
    /// Transactions committed by the writer.
    pub batches: AtomicU64,
    /// Jobs committed in them.
    pub jobs: AtomicU64,
    /// Batches written a second time, job by job with savepoints, because the whole
    /// failed.
    pub replays: AtomicU64,
    /// Batches whose transaction failed and whose jobs were retried one by one.
    pub retries: AtomicU64,
}

/// The group commit of one kind of job over one store: a handle cheap to clone; the
/// writer task starts at the first grouped write (inside the runtime).
pub struct CommitQueue<J: WriteJob> {
    inner: Arc<Inner<J>>,
}

impl<J: WriteJob> Clone for CommitQueue<J> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<J: WriteJob> std::fmt::Debug for CommitQueue<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitQueue")
            .field("grouped", &self.grouped())
            .field("stats", &self.inner.stats)
            .finish_non_exhaustive()
    }
}

type Reply<T> = oneshot::Sender<StoreResult<(T, Traced)>>;

/// A job waiting for the writer, with where its answer goes.
type Pending<J> = (J, Reply<<J as WriteJob>::Output>);

struct Inner<J: WriteJob> {
    store: Store,
    engine: Engine,
    grouped: AtomicBool,
    levels_in_batch: AtomicBool,
    jobs: OnceLock<mpsc::Sender<Pending<J>>>,
    stats: Arc<CommitStats>,
}

/// The writer task is gone (the runtime is shutting down).
fn stopped() -> StoreError {
    StoreError::Invalid("the group commit's writer stopped".into())
}

impl<J: WriteJob> CommitQueue<J> {
    /// A queue over `store` that tells `engine`; grouped unless switched off.
    pub fn new(store: Store, engine: Engine) -> Self {
        Self {
            inner: Arc::new(Inner {
                levels_in_batch: AtomicBool::new(store.backend() == BackendKind::Sqlite),
                store,
                engine,
                grouped: AtomicBool::new(true),
                jobs: OnceLock::new(),
                stats: Arc::default(),
            }),
        }
    }

    /// Group commit on (the default) or off (one transaction per request: the
    /// benchmark's baseline). May change while serving.
    pub fn set_grouped(&self, grouped: bool) {
        self.inner.grouped.store(grouped, Ordering::Relaxed);
    }

    /// Whether writes are grouped.
    pub fn grouped(&self) -> bool {
        self.inner.grouped.load(Ordering::Relaxed)
    }

    /// Where a batch's levels are written: in the batch's own transaction, with the
    /// engine held (`true`, SQLite's default), or by the engine in a transaction of its
    /// own while the writer already writes the next batch (`false`, PostgreSQL's
    /// default). Takes effect at the writer's start (the first grouped write).
    pub fn set_levels_in_batch(&self, in_batch: bool) {
        self.inner
            .levels_in_batch
            .store(in_batch, Ordering::Relaxed);
    }

    /// Where a batch's levels are written (see [`CommitQueue::set_levels_in_batch`]).
    pub fn levels_in_batch(&self) -> bool {
        self.inner.levels_in_batch.load(Ordering::Relaxed)
    }

    /// The writer's counters.
    pub fn stats(&self) -> &CommitStats {
        &self.inner.stats
    }

    /// Writes `job`, commits it (with others when grouped), applies its changes to the
    /// engine, then answers: its output and what the engine did with its batch
    /// (`levels_changed` counts the whole batch's).
    pub async fn submit(&self, job: J) -> StoreResult<(J::Output, Traced)> {
        if !self.grouped() {
            return self.alone(job).await;
        }
        let (reply, answer) = oneshot::channel();
        if self.sender().send((job, reply)).await.is_err() {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// One transaction for one job, in the caller's task.
    async fn alone(&self, mut job: J) -> StoreResult<(J::Output, Traced)> {
        let mut tx = self.inner.store.begin().await?;
        let output = job.write(&mut tx).await?;
        tx.commit().await?;
        let traced = self.inner.engine.apply_all(job.changes(&output)).await;
        Ok((output, traced))
    }

    fn sender(&self) -> &mpsc::Sender<Pending<J>> {
        self.inner.jobs.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
            let writer = Writer {
                store: self.inner.store.clone(),
                engine: self.inner.engine.clone(),
                stats: self.inner.stats.clone(),
                levels_in_batch: self.levels_in_batch(),
            };
            tokio::spawn(writer.run(rx));
            tx
        })
    }
}

struct Writer {
    store: Store,
    engine: Engine,
    stats: Arc<CommitStats>,
    levels_in_batch: bool,
}

/// What became of each job of a batch: its output, or its error.
type Outcomes<J> = Vec<StoreResult<<J as WriteJob>::Output>>;

/// A batch after [`Writer::planned`].
enum Planned<J: WriteJob> {
    /// Planned and written in the open transaction, with the levels the engine moved.
    Written(Tx, Outcomes<J>, Levels),
    /// Not planned: nothing written, the engine untouched; the transaction when it is
    /// still usable.
    Not(Option<Tx>),
}

impl Writer {
    async fn run<J: WriteJob>(self, mut rx: mpsc::Receiver<Pending<J>>) {
        let mut pending: Vec<Pending<J>> = Vec::with_capacity(MAX_BATCH);
        loop {
            if rx.recv_many(&mut pending, MAX_BATCH).await == 0 {
                return;
            }
            let (mut jobs, replies): (Vec<J>, Vec<Reply<J::Output>>) = pending.drain(..).unzip();
            if self.levels_in_batch {
                let (outcomes, traced) = self.commit(&mut jobs).await;
                answer(replies, outcomes, traced);
            } else {
                let outcomes = self.commit_then_trace(&mut jobs).await;
                // Sent now, so that batches reach the engine in commit order; the
                // requests are answered once it has stored their levels, while the
                // writer already writes the next batch.
                let applied = self.engine.apply_all(changes_of(&jobs, &outcomes));
                tokio::spawn(async move {
                    let traced = applied.await;
                    answer(replies, outcomes, traced);
                });
            }
        }
    }

    /// Commits one batch without its levels (the engine writes them after, in a
    /// transaction of its own); what became of each job.
    async fn commit_then_trace<J: WriteJob>(&self, jobs: &mut [J]) -> Outcomes<J> {
        let committed = async {
            let (tx, outcomes) = self.write(None, jobs).await?;
            if let Some(tx) = tx {
                tx.commit().await?;
            }
            StoreResult::Ok(outcomes)
        }
        .await;
        let outcomes = match committed {
            Ok(outcomes) => outcomes,
            Err(e) => self.one_by_one_after(e, jobs).await,
        };
        self.count(&outcomes);
        outcomes
    }

    fn count<T>(&self, outcomes: &[StoreResult<T>]) {
        let done = outcomes.iter().filter(|o| o.is_ok()).count() as u64;
        self.stats.batches.fetch_add(1, Ordering::Relaxed);
        self.stats.jobs.fetch_add(done, Ordering::Relaxed);
    }

    /// Commits one batch with the levels it moved; what became of each job, and what
    /// the engine did with the batch.
    ///
    /// The engine is held first ([`Engine::hold`]); the batch is written in one
    /// transaction (together, else job by job with savepoints), the committed jobs'
    /// changes are applied to the engine in memory, the levels they moved written in
    /// the same transaction, and that transaction commits: one sync for the rows and
    /// their levels. If it fails, the engine is rebuilt from the database and each job
    /// is retried in a transaction of its own.
    async fn commit<J: WriteJob>(&self, jobs: &mut [J]) -> (Outcomes<J>, Traced) {
        let mut hold = self.engine.hold().await;
        let attempt = async {
            let t0 = std::time::Instant::now();
            let (mut tx, outcomes, levels) = match self.planned(jobs, &mut hold).await? {
                Planned::Written(tx, outcomes, levels) => (tx, outcomes, levels),
                Planned::Not(tx) => {
                    let (tx, outcomes) = self.write(tx, jobs).await?;
                    let Some(tx) = tx else {
                        return Ok((outcomes, Some(Traced::Applied { levels_changed: 0 })));
                    };
                    let levels = hold.apply(changes_of(jobs, &outcomes)).await;
                    (tx, outcomes, levels)
                }
            };
            let t1 = t0.elapsed().as_micros() as u64;
            tx.upsert_trace_levels(&levels.rows, &levels.gone).await?;
            let t2 = t0.elapsed().as_micros() as u64;
            tx.commit().await?;
            tracing::debug!(
                jobs = jobs.len(),
                write_and_trace_us = t1,
                levels = levels.rows.len() + levels.gone.len(),
                levels_us = t2 - t1,
                commit_us = (t0.elapsed().as_micros() as u64).saturating_sub(t2),
                "group commit"
            );
            StoreResult::Ok((outcomes, levels.traced))
        }
        .await;
        let (outcomes, traced) = match attempt {
            Ok((outcomes, traced)) => {
                let later = hold.release(true).await;
                (outcomes, traced.or(later).unwrap_or(Traced::Queued))
            }
            Err(e) => {
                hold.release(false).await;
                let outcomes = self.one_by_one_after(e, jobs).await;
                let traced = self.engine.apply_all(changes_of(jobs, &outcomes)).await;
                (outcomes, traced)
            }
        };
        self.count(&outcomes);
        (outcomes, traced)
    }

    /// The batch planned ([`WriteJob::plan_all`]), then written while the engine
    /// applies the planned changes. [`Planned::Not`] when the jobs are not planned
    /// (with the transaction, still empty) or the plan failed (a job that fails):
    /// nothing written, the engine untouched. `Err` when the write failed after the
    /// engine had applied the batch: the caller releases the engine as not committed,
    /// which rebuilds it.
    async fn planned<J: WriteJob>(
        &self,
        jobs: &mut [J],
        hold: &mut EngineHold,
    ) -> StoreResult<Planned<J>> {
        let mut tx = self.store.begin_batch().await?;
        let planned = match J::plan_all(jobs, &mut tx).await {
            Ok(Some(planned)) => planned,
            Ok(None) => return Ok(Planned::Not(Some(tx))),
            Err(_) => {
                // Rolled back at once: the writer's connection is kept for the retry.
                let _ = tx.rollback().await;
                return Ok(Planned::Not(None));
            }
        };
        let changes: Vec<Change> = jobs
            .iter()
            .zip(&planned)
            .flat_map(|(job, out)| job.changes(out))
            .collect();
        // The engine works on its own task while this one writes the rows.
        let (levels, written) = tokio::join!(
            hold.apply(changes),
            J::write_planned(jobs, &planned, &mut tx)
        );
        written?;
        Ok(Planned::Written(
            tx,
            planned.into_iter().map(Ok).collect(),
            levels,
        ))
    }

    /// Writes the batch in one transaction, left open: all together, else (when that
    /// failed) job by job inside savepoints, so that a failing job's writes are rolled
    /// back and its error kept. No transaction for a lone job that failed. `Err` when
    /// the transaction itself failed (nothing written).
    async fn write<J: WriteJob>(
        &self,
        tx: Option<Tx>,
        jobs: &mut [J],
    ) -> StoreResult<(Option<Tx>, Outcomes<J>)> {
        let together = async {
            let mut tx = match tx {
                Some(tx) => tx,
                None => self.store.begin_batch().await?,
            };
            match J::write_all(jobs, &mut tx).await {
                Ok(out) => StoreResult::Ok((tx, out)),
                Err(e) => {
                    let _ = tx.rollback().await;
                    Err(e)
                }
            }
        }
        .await;
        match together {
            Ok((tx, out)) => Ok((Some(tx), out.into_iter().map(Ok).collect())),
            Err(e) if jobs.len() == 1 => Ok((None, vec![Err(e)])),
            Err(e) => {
                tracing::debug!(error = %e, jobs = jobs.len(), "a batch failed; writing it again job by job");
                // Whatever failed (one job, or the transaction), find out job by job.
                self.stats.replays.fetch_add(1, Ordering::Relaxed);
                let (tx, outcomes) = self.with_savepoints(jobs).await?;
                Ok((Some(tx), outcomes))
            }
        }
    }

    /// Writes each job inside a savepoint of one transaction, left open: a failing
    /// job's writes are rolled back, its error kept.
    async fn with_savepoints<J: WriteJob>(&self, jobs: &mut [J]) -> StoreResult<(Tx, Outcomes<J>)> {
        let mut tx = self.store.begin_batch().await?;
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs.iter_mut() {
            tx.savepoint().await?;
            match job.write(&mut tx).await {
                Ok(out) => {
                    tx.release_savepoint().await?;
                    outcomes.push(Ok(out));
                }
                Err(e) => {
                    tx.rollback_to_savepoint().await?;
                    outcomes.push(Err(e));
                }
            }
        }
        Ok((tx, outcomes))
    }

    /// After the batch's transaction failed with `e`: each job in a transaction of its
    /// own.
    async fn one_by_one_after<J: WriteJob>(&self, e: StoreError, jobs: &mut [J]) -> Outcomes<J> {
        tracing::warn!(error = %e, jobs = jobs.len(), "a group commit failed; retrying its jobs one by one");
        self.stats.retries.fetch_add(1, Ordering::Relaxed);
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs.iter_mut() {
            outcomes.push(
                async {
                    let mut tx = self.store.begin().await?;
                    let out = job.write(&mut tx).await?;
                    tx.commit().await?;
                    StoreResult::Ok(out)
                }
                .await,
            );
        }
        outcomes
    }
}

/// Answers each request with its outcome and what the engine did with the batch.
fn answer<T>(replies: Vec<Reply<T>>, outcomes: Vec<StoreResult<T>>, traced: Traced) {
    for (reply, outcome) in replies.into_iter().zip(outcomes) {
        // A request that went away (client disconnected) keeps its write.
        let _ = reply.send(outcome.map(|out| (out, traced)));
    }
}

/// What the engine must learn of the jobs that succeeded, in their order.
fn changes_of<J: WriteJob>(jobs: &[J], outcomes: &Outcomes<J>) -> Vec<Change> {
    jobs.iter()
        .zip(outcomes)
        .filter_map(|(job, o)| o.as_ref().ok().map(|out| job.changes(out)))
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use phongdich_domain::{Interval, PlaceKind, Timestamp};
    use phongdich_store::testing::all_backends;
    use phongdich_store::{AuditFilter, NewAuditEvent};

    /// Writes an audit event `test`/`name`; a failing one then writes an event the
    /// store refuses, so its first write must be rolled back.
    struct Probe {
        name: String,
        fail: bool,
        presence: Option<(i64, i64)>,
        /// Planned ([`WriteJob::plan_all`]) when every job of its batch is.
        planned: bool,
    }

    fn event(action: &str, id: &str) -> NewAuditEvent {
        NewAuditEvent {
            at: 1_700_000_000,
            user_id: None,
            action: action.to_owned(),
            entity: "test".to_owned(),
            entity_id: id.to_owned(),
            before_json: None,
            after_json: None,
            ip: None,
        }
    }

    impl WriteJob for Probe {
        type Output = String;

        fn write<'a>(&'a mut self, tx: &'a mut Tx) -> BoxFuture<'a, StoreResult<String>> {
            Box::pin(async move {
                tx.insert_audit_event(&event("create", &self.name)).await?;
                if self.fail {
                    tx.insert_audit_event(&event("no-such-action", &self.name))
                        .await?;
                }
                Ok(self.name.clone())
            })
        }

        fn plan_all<'a>(
            jobs: &'a mut [Self],
            _tx: &'a mut Tx,
        ) -> BoxFuture<'a, StoreResult<Option<Vec<String>>>> {
            Box::pin(async move {
                Ok(jobs
                    .iter()
                    .all(|j| j.planned)
                    .then(|| jobs.iter().map(|j| j.name.clone()).collect()))
            })
        }

        fn write_planned<'a>(
            jobs: &'a mut [Self],
            _planned: &'a [String],
            tx: &'a mut Tx,
        ) -> BoxFuture<'a, StoreResult<()>> {
            Box::pin(async move {
                for job in jobs.iter_mut() {
                    job.write(tx).await?;
                }
                Ok(())
            })
        }

        fn changes(&self, _: &String) -> Vec<Change> {
            self.presence
                .map(|(person_id, place_id)| Change::Presence {
                    person_id,
                    place_id,
                    kind: PlaceKind::Venue,
                    interval: Interval::new(Timestamp(1_000), Timestamp(5_000)).expect("ordered"),
                })
                .into_iter()
                .collect()
        }
    }

    fn probe(name: impl ToString, fail: bool) -> Probe {
        Probe {
            name: name.to_string(),
            fail,
            presence: None,
            planned: false,
        }
    }

    async fn written(store: &Store) -> Vec<String> {
        let mut names: Vec<String> = store
            .audit_search(&AuditFilter {
                entity: Some("test".into()),
                limit: 1000,
                ..AuditFilter::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event.entity_id)
            .collect();
        names.sort();
        names
    }

    /// Submits `jobs` at once from as many tasks; their answers in order.
    async fn submit_all(queue: &CommitQueue<Probe>, jobs: Vec<Probe>) -> Vec<StoreResult<String>> {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                let queue = queue.clone();
                tokio::spawn(async move { queue.submit(job).await.map(|(out, _)| out) })
            })
            .collect();
        let mut answers = Vec::new();
        for h in handles {
            answers.push(h.await.unwrap());
        }
        answers
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_jobs_share_transactions_and_all_commit() {
        for db in all_backends().await.unwrap() {
            let queue = CommitQueue::new(db.store.clone(), Engine::none());
            let answers = submit_all(&queue, (0..300).map(|i| probe(i, false)).collect()).await;
            assert!(answers.iter().all(Result::is_ok), "{}", db.name());
            assert_eq!(written(&db.store).await.len(), 300, "{}", db.name());
            let batches = queue.stats().batches.load(Ordering::Relaxed);
            assert_eq!(queue.stats().jobs.load(Ordering::Relaxed), 300);
            assert!(
                batches < 300,
                "{}: {batches} batches for 300 jobs",
                db.name()
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_loses_nothing_of_the_others_and_leaves_nothing() {
        for db in all_backends().await.unwrap() {
            let queue = CommitQueue::new(db.store.clone(), Engine::none());
            let jobs: Vec<Probe> = (0..200).map(|i| probe(i, i % 50 == 7)).collect();
            let answers = submit_all(&queue, jobs).await;
            for (i, a) in answers.iter().enumerate() {
                assert_eq!(a.is_err(), i % 50 == 7, "{}: job {i}: {a:?}", db.name());
            }
            let mut expected: Vec<String> = (0..200)
                .filter(|i| i % 50 != 7)
                .map(|i| i.to_string())
                .collect();
            expected.sort();
            // The failing jobs' first writes were rolled back with them.
            assert_eq!(written(&db.store).await, expected, "{}", db.name());
            let s = queue.stats();
            assert!(
                s.replays.load(Ordering::Relaxed) >= 1,
                "{}: no batch replayed",
                db.name()
            );
            assert_eq!(s.retries.load(Ordering::Relaxed), 0, "{}", db.name());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn planned_batches_commit_and_a_failed_planned_write_retries_job_by_job() {
        for db in all_backends().await.unwrap() {
            let queue = CommitQueue::new(db.store.clone(), Engine::none());
            queue.set_levels_in_batch(true);
            let planned = |i: usize, fail| Probe {
                planned: true,
                ..probe(i, fail)
            };
            let answers = submit_all(&queue, (0..200).map(|i| planned(i, false)).collect()).await;
            assert!(answers.iter().all(Result::is_ok), "{}", db.name());
            assert_eq!(written(&db.store).await.len(), 200, "{}", db.name());
            assert_eq!(queue.stats().retries.load(Ordering::Relaxed), 0);

            // A write that fails after the plan: the batch is rolled back (the engine,
            // had it applied the plan, rebuilt) and each job retried alone.
            let jobs = (200..300).map(|i| planned(i, i == 237)).collect();
            let answers = submit_all(&queue, jobs).await;
            for (i, a) in (200..).zip(&answers) {
                assert_eq!(a.is_err(), i == 237, "{}: job {i}: {a:?}", db.name());
            }
            assert_eq!(written(&db.store).await.len(), 299, "{}", db.name());
            assert!(
                queue.stats().retries.load(Ordering::Relaxed) >= 1,
                "{}",
                db.name()
            );
        }
    }

    #[tokio::test]
    async fn a_lone_failing_job_and_the_ungrouped_baseline() {
        for db in all_backends().await.unwrap() {
            let queue = CommitQueue::new(db.store.clone(), Engine::none());
            assert!(queue.submit(probe("bad", true)).await.is_err());
            let (out, traced) = queue.submit(probe("good", false)).await.unwrap();
            assert_eq!((out.as_str(), traced), ("good", Traced::NotRunning));
            queue.set_grouped(false);
            assert!(!queue.grouped());
            assert!(queue.submit(probe("bad2", true)).await.is_err());
            queue.submit(probe("alone", false)).await.unwrap();
            assert_eq!(written(&db.store).await, ["alone", "good"], "{}", db.name());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn committed_changes_reach_the_engine_before_the_answer() {
        for db in all_backends().await.unwrap() {
            let engine = Engine::start(
                db.store.clone(),
                Arc::new(crate::FixedClock::at(Timestamp(10_000))),
                phongdich_trace::Params::default(),
            );
            engine.settled().await;
            let queue = CommitQueue::new(db.store.clone(), engine);
            let jobs = (0..20)
                .map(|i| Probe {
                    name: i.to_string(),
                    fail: false,
                    presence: Some((i + 1, 1)),
                    planned: i % 2 == 0,
                })
                .collect::<Vec<_>>();
            for answer in submit_all(&queue, jobs).await {
                answer.unwrap();
            }
            let (_, traced) = queue
                .submit(Probe {
                    name: "last".into(),
                    fail: false,
                    presence: Some((99, 1)),
                    planned: true,
                })
                .await
                .unwrap();
            assert_eq!(
                traced,
                Traced::Applied { levels_changed: 0 },
                "{}",
                db.name()
            );
        }
    }
}
