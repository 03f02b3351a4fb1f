//! phongdich's application layer: every use case, below HTTP and above the store.
//!
//! A use case is a method of [`App`] that takes the [`Actor`] (from a session, an API
//! token, the command line or a job), reads the time from the app's [`Clock`], asks the
//! one access check ([`access`]) and runs its writes in one transaction together with
//! their audit event; the tracing engine ([`engine`]) is told after the commit. It
//! returns typed results or one [`AppError`]. The web app, the JSON API, the command
//! line and background jobs all call these methods; none of them talks to the store
//! for personal data on its own.
//!
//! One module per resource: [`persons`] (search, view, level and chain), [`cases`],
//! [`lab_tests`], [`contacts`], [`accounts`] (staff accounts, sessions, API tokens,
//! the sign-in throttle), [`audit_log`], [`imports`] (CSV and xlsx files, whole or not
//! at all, audited), [`overview`] (totals, the dashboard's counts,
//! the trace view of a case), [`declarations`] (health declarations and their
//! follow-up), [`retention`] (the purge of old check-ins and declarations).

#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod access;
pub mod accounts;
pub mod actor;
pub mod audit_log;
pub mod cache;
pub mod cases;
pub mod checkins;
pub mod commit_queue;
pub mod contacts;
pub mod declarations;
pub mod engine;
pub mod error;
pub mod imports;
pub mod input;
pub mod lab_tests;
pub mod overview;
pub mod persons;
pub mod rate_limit;
pub mod retention;
pub mod venues;

pub use access::{Action, Scope};
pub use actor::{Actor, Channel, Clock, FixedClock, OffsetClock, SystemClock};
pub use engine::{Engine, EngineStatus, Traced};
pub use error::{AppError, AppResult, Text};

use phongdich_domain::{Timestamp, UnitCode};
use phongdich_store::{NewAuditEvent, Store, Tx};
use std::sync::Arc;

/// The application: the store, the tracing engine, the clock and the province served.
/// Cheap to clone (one `Arc` inside).
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    engine: Engine,
    clock: Arc<dyn Clock>,
    province: UnitCode,
    throttle: accounts::Throttle,
    totals: overview::TotalsCache,
    contact_counts: contacts::CountCache,
    dashboard_counts: overview::CountsCache,
    /// Venues by id for the check-in path (a token's venue is read at every scan);
    /// cleared when a venue is edited or its token rotated.
    venue_cache: cache::TtlCache<i64, phongdich_store::Venue>,
    /// The group commit of check-ins.
    commits: commit_queue::CommitQueue<checkins::CheckInJob>,
    /// The public pages' rate limits (check-ins, declarations).
    public_limits: rate_limit::PublicLimits,
    /// The key that signs venue tokens, read (or made) at first use.
    venue_key: tokio::sync::OnceCell<venues::VenueKey>,
}

impl App {
    /// The application over a migrated store, serving `province`, with `engine`
    /// ([`Engine::start`] in a server, [`Engine::none`] on the command line).
    pub fn new(store: Store, province: UnitCode, clock: Arc<dyn Clock>, engine: Engine) -> Self {
        let commits = commit_queue::CommitQueue::new(store.clone(), engine.clone());
        Self {
            inner: Arc::new(Inner {
                store,
                engine,
                clock,
                province,
                throttle: accounts::Throttle::default(),
                totals: overview::TotalsCache::new(std::time::Duration::from_secs(60)),
                contact_counts: contacts::CountCache::new(std::time::Duration::from_secs(60)),
                dashboard_counts: overview::CountsCache::new(std::time::Duration::from_secs(30)),
                commits,
                venue_cache: cache::TtlCache::new(std::time::Duration::from_secs(10)),
                public_limits: rate_limit::PublicLimits::default(),
                venue_key: tokio::sync::OnceCell::new(),
            }),
        }
    }

    /// The command line's application: the system clock and no engine (levels follow
    /// at the next `phongdich trace` or when a running server sees the data version
    /// move).
    pub fn offline(store: Store, province: UnitCode) -> Self {
        Self::new(store, province, Arc::new(SystemClock), Engine::none())
    }

    /// A server's application: starts the tracing engine's task (needs a Tokio runtime).
    pub fn serving(store: Store, province: UnitCode) -> Self {
        Self::serving_at(store, province, Arc::new(SystemClock))
    }

    /// A server's application on `clock` (the demo's [`OffsetClock`]).
    pub fn serving_at(store: Store, province: UnitCode, clock: Arc<dyn Clock>) -> Self {
        let engine = Engine::start(
            store.clone(),
            clock.clone(),
            phongdich_trace::Params::default(),
        );
        Self::new(store, province, clock, engine)
    }

    /// The store, for reads that carry no personal data (totals, units) and for tests.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The group commit of check-ins ([`commit_queue`]): on unless switched off.
    pub fn commit_queue(&self) -> &commit_queue::CommitQueue<checkins::CheckInJob> {
        &self.inner.commits
    }

    /// The tracing engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Now, from the app's clock.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The rate limits of the public pages, shared by every public use case.
    pub fn public_limits(&self) -> &rate_limit::PublicLimits {
        &self.inner.public_limits
    }

    /// The province this deployment serves.
    pub fn province(&self) -> &UnitCode {
        &self.inner.province
    }

    /// The scope of a unit-bound actor; [`AppError::Forbidden`] for place-bound ones.
    pub async fn scope(&self, actor: &Actor) -> AppResult<Scope> {
        Scope::of(self.store(), self.province(), &actor.jurisdiction)
            .await?
            .ok_or(AppError::Forbidden)
    }

    /// An audit event by `actor`, now.
    pub(crate) fn event(
        &self,
        actor: &Actor,
        action: &str,
        entity: &str,
        entity_id: impl ToString,
        after: Option<serde_json::Value>,
    ) -> NewAuditEvent {
        NewAuditEvent {
            at: self.now().0,
            user_id: actor.user_id,
            action: action.to_owned(),
            entity: entity.to_owned(),
            entity_id: entity_id.to_string(),
            before_json: None,
            after_json: after.map(|v| v.to_string()),
            ip: actor.client.clone(),
        }
    }

    /// What an earlier use of idempotency `key` by `actor` made, if any.
    pub(crate) async fn replayed(
        &self,
        actor: &Actor,
        key: Option<&str>,
    ) -> AppResult<Option<i64>> {
        let (Some(user), Some(key)) = (actor.user_id, key) else {
            return Ok(None);
        };
        Ok(self
            .store()
            .idempotent_result(user, key)
            .await?
            .and_then(|(_, id)| id.parse().ok()))
    }

    /// Ends a write: records idempotency `key` (if any) for what `action` made, then
    /// commits. `Ok(Some(id))` when the same actor's concurrent request with the same
    /// key won: this transaction is rolled back and `id` is what the winner made.
    pub(crate) async fn commit_write(
        &self,
        mut tx: Tx,
        actor: &Actor,
        key: Option<&str>,
        action: &str,
        entity_id: i64,
    ) -> AppResult<Option<i64>> {
        if let (Some(user), Some(k)) = (actor.user_id, key) {
            let at = self.now().0;
            if let Err(e) = tx
                .insert_idempotency_key(user, k, action, &entity_id.to_string(), at)
                .await
            {
                drop(tx);
                return match self.replayed(actor, key).await? {
                    Some(earlier) => Ok(Some(earlier)),
                    None => Err(e.into()),
                };
            }
        }
        tx.commit().await?;
        Ok(None)
    }
}

/// An idempotency key as clients send it: 1 to 100 visible ASCII characters; anything
/// else is ignored rather than refused (the write then simply is not deduplicated).
pub fn idempotency_key(s: Option<&str>) -> Option<&str> {
    s.map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 100 && k.bytes().all(|b| b.is_ascii_graphic()))
}
