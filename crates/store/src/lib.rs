//! phongdich's storage: one [`Store`] over SQLite or PostgreSQL.
//!
//! # Design
//!
//! A [`Store`] is cheap to clone (an `Arc` inside) and holds two things:
//!
//! - an sqlx `AnyPool`, through which every ordinary query runs. The SQL is written once,
//!   in lowercase with `$1, $2...` placeholders, and checked at run time; both databases
//!   accept it. Values cross the `Any` driver only as `i64`, `f64`, `String`, `bool` and
//!   their `Option`s: instants are Unix seconds (`bigint`), local dates `YYYY-MM-DD`
//!   text, enums their `as_str()` text, and aggregates are cast to `bigint`.
//! - a `Box<dyn Backend>` (module `backend`) for what must differ: the migration set
//!   (`migrations/sqlite`, `migrations/postgres`), connection setup (WAL, foreign keys and
//!   a busy timeout on SQLite) and bulk loading, implemented by `sqlite::SqliteBackend`
//!   (multi-row `insert` statements in one `begin immediate` transaction) and
//!   `postgres::PostgresBackend` (`copy from stdin` on a PostgreSQL-typed pool in one
//!   transaction, then identity sequences moved past the loaded ids).
//!
//! The backend is chosen from the URL: `sqlite:...` or `postgres://`/`postgresql://`.
//! On PostgreSQL the `Any` pool's connections cancel a statement after
//! [`STATEMENT_TIMEOUT_SECONDS`]; what may legitimately run longer (bulk loads, full
//! scans, migrations, `vacuum`) runs on the backend's own pool instead.
//!
//! A write of personal data and its audit event go through one [`Tx`] ([`Store::begin`],
//! module [`tx`]), with an idempotency key when the client sent one. Single-row writes
//! share their SQL between [`Store`] and [`Tx`]: each is a function over an
//! `&mut AnyConnection`, given a pooled connection by the one and the transaction's by
//! the other.
//!
//! Resource modules add methods to [`Store`]: [`admin`] (official units, embedded and
//! loaded at migrate; villages), [`persons`] (persons, households, search), [`places`]
//! (places, presences), [`contacts`] (and the contact list of a jurisdiction), [`cases`]
//! (cases, tests, cases by commune), [`users`], [`sessions`] and [`tokens`] (staff
//! accounts, sign-in sessions, API tokens), [`audit`] (the audit log), [`trace`] (the
//! levels the engine computed), [`levels`] (levels counted by unit, a case's tree) and
//! batched look-ups for imports; [`declarations`] (health declarations, the follow-up
//! list) and [`retention`] (the purge of old declarations and check-ins). The bulk path is [`bulk::BulkLoader`], used by the synthetic province generator and by
//! imports: batches of plain rows, one transaction, hundreds of thousands of rows a
//! second on either backend.
//!
//! # Schema
//!
//! `admin_unit`, `household`, `person`, `place` (households' homes, rooms, trips,
//! venues), `presence`, `contact`, `infection_case`, `lab_test`, `trace_level`: see
//! `migrations/*/0001_core.sql`; `app_user`, `session`, `api_token`, `audit_event`
//! (`0002_staff.sql`, tokens reshaped in `0007_tokens_idempotency.sql`), and
//! `idempotency_key` (`0007`). Every table has `created_at`/`updated_at`; instants are
//! `bigint` Unix seconds. Later migrations are numbered `0002_*` onwards, the same
//! number in both directories.
//!
//! # Tests
//!
//! The feature `testing` adds `phongdich_store::testing`: fresh SQLite and PostgreSQL
//! databases, so the same contract tests (`tests/contract.rs`, `tests/writes.rs`,
//! `tests/staff.rs`, `tests/jurisdiction.rs`) run on both, here and in other crates.

#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod admin;
pub mod audit;
mod backend;
pub mod bulk;
pub mod cases;
mod checkin_batch;
pub mod checkins;
pub mod contacts;
pub mod declarations;
pub mod error;
pub mod levels;
mod lookups;
pub mod persons;
pub mod places;
mod postgres;
pub mod retention;
mod scope;
pub mod sessions;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tokens;
pub mod trace;
pub mod tx;
mod unit_cache;
pub mod users;
pub mod venues;

pub use audit::{AuditEvent, AuditFilter, NewAuditEvent};
pub use backend::{redact_url, BackendKind};
pub use bulk::{BulkLoader, CommitProgress, CommitStep, IdTable};
pub use cases::{CaseQuery, CaseRecord, CaseRow, CommuneCount, NewCase, NewTest, TestRecord};
pub use checkins::{CheckIn, CheckInRecorded, NewCheckIn, Visitor};
pub use contacts::{Contact, ContactQuery, NewContact};
pub use declarations::{Declaration, FollowUpQuery, NewDeclaration};
pub use error::{Result, StoreError};
pub use levels::{TreeNode, UnitLevelCount};
pub use persons::{Household, NewHousehold, NewPerson, Page, Person, PersonQuery};
pub use places::{NewPlace, NewPresence, Place, Presence};
pub use retention::Purged;
pub use sessions::Session;
pub use tokens::{ApiToken, NewApiToken, TokenScope, TOKEN_USE_RESOLUTION_SECONDS};
pub use trace::{Exposure, ExposureKind, TraceLevel};
pub use tx::Tx;
pub use users::{NewUser, User};
pub use venues::{Venue, VenueFields, VenueQuery};

use backend::{ArgSink, Backend, BulkRow};
use sqlx::{AnyConnection, AnyPool};
use std::fmt;
use std::sync::Arc;

/// The default database: a SQLite file in the working directory, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://phongdich.db";

/// On PostgreSQL, every statement run through the store's shared pool (pages, API,
/// single writes, [`Tx`]) is cancelled after this many seconds (`statement_timeout`),
/// so that one runaway query cannot hold a connection and its locks indefinitely; it
/// fails with [`StoreError::Database`]. Bulk loads, full scans
/// ([`Store::stream_presences`]), migrations and the `vacuum (analyze)` after a load run
/// on a separate pool without it. SQLite has no such setting.
pub const STATEMENT_TIMEOUT_SECONDS: u32 = 30;

/// A handle on the database; cheap to clone and share between tasks.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: AnyPool,
    backend: Box<dyn Backend>,
    /// SQLite's one writer at a time, queued in the process ([`Store::write_gate`]).
    write_gate: Option<Arc<tokio::sync::Mutex<tx::WriteTurn>>>,
    /// Administrative units in memory (`unit_cache`).
    units: unit_cache::UnitCache,
    /// The URL with any password masked, for logs.
    url: String,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend.kind())
            .field("url", &self.inner.url)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to the database `url` names (`sqlite://phongdich.db`,
    /// `postgres://user@host/db`). A SQLite file is created if missing. Does not migrate:
    /// call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let kind = BackendKind::from_url(url)?;
        let (pool, backend): (AnyPool, Box<dyn Backend>) = match kind {
            BackendKind::Sqlite => {
                let (pool, b) = sqlite::SqliteBackend::connect(url).await?;
                (pool, Box::new(b))
            }
            BackendKind::Postgres => {
                let (pool, b) = postgres::PostgresBackend::connect(url).await?;
                (pool, Box::new(b))
            }
        };
        let url = redact_url(url);
        tracing::debug!(backend = kind.as_str(), url = %url, "store connected");
        Ok(Self {
            inner: Arc::new(Inner {
                write_gate: (kind == BackendKind::Sqlite)
                    .then(|| Arc::new(tokio::sync::Mutex::new(tx::WriteTurn::default()))),
                units: unit_cache::UnitCache::default(),
                pool,
                backend,
                url,
            }),
        })
    }

    /// Applies pending migrations, then loads the official administrative units.
    /// Idempotent: running it again changes nothing.
    pub async fn migrate(&self) -> Result<()> {
        self.inner.backend.migrate().await?;
        self.load_official_units().await?;
        Ok(())
    }

    /// Checks that the database answers (for health checks).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("select 1").execute(self.pool()).await?;
        Ok(())
    }

    /// Which backend this store talks to.
    pub fn backend(&self) -> BackendKind {
        self.inner.backend.kind()
    }

    /// Closes every connection; waits for checked-out ones to come back.
    pub async fn close(&self) {
        self.inner.pool.close().await;
        self.close_batch_connection().await;
    }

    /// The `statement_timeout` of a connection of the shared pool (PostgreSQL's text,
    /// `30s`); `None` on SQLite. For tests of [`STATEMENT_TIMEOUT_SECONDS`].
    #[doc(hidden)]
    pub async fn statement_timeout_setting(&self) -> Result<Option<String>> {
        match self.backend() {
            BackendKind::Sqlite => Ok(None),
            BackendKind::Postgres => Ok(Some(
                sqlx::query_scalar("show statement_timeout")
                    .fetch_one(self.pool())
                    .await?,
            )),
        }
    }

    /// The shared pool, for queries both backends accept.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }
}

/// How many of each thing the database holds (the front page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Persons.
    pub persons: u64,
    /// Households.
    pub households: u64,
    /// Places of every kind.
    pub places: u64,
    /// Presences.
    pub presences: u64,
    /// Direct contacts.
    pub contacts: u64,
    /// Cases.
    pub cases: u64,
    /// Tests.
    pub tests: u64,
}

impl Store {
    /// The data version: moved forward by every bulk load that calls
    /// [`BulkLoader::bump_data_version`] (imports), never by single writes.
    pub async fn data_version(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, i64>("select version from data_version where id = 1")
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// About how many presences and contacts there are, from their highest ids (an
    /// index look-up, not a count): the progress of reading them all.
    pub async fn exposure_rows_estimate(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "select cast((select coalesce(max(id), 0) from presence) \
             + (select coalesce(max(id), 0) from contact) as bigint)",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Counts persons, households, places, presences, contacts, cases and tests.
    pub async fn counts(&self) -> Result<Counts> {
        let row: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
            "select (select cast(count(*) as bigint) from person), \
                    (select cast(count(*) as bigint) from household), \
                    (select cast(count(*) as bigint) from place), \
                    (select cast(count(*) as bigint) from presence), \
                    (select cast(count(*) as bigint) from contact), \
                    (select cast(count(*) as bigint) from infection_case), \
                    (select cast(count(*) as bigint) from lab_test)",
        )
        .fetch_one(self.pool())
        .await?;
        let n = |v: i64| u64::try_from(v).unwrap_or_default();
        Ok(Counts {
            persons: n(row.0),
            households: n(row.1),
            places: n(row.2),
            presences: n(row.3),
            contacts: n(row.4),
            cases: n(row.5),
            tests: n(row.6),
        })
    }

    /// Inserts one row through the same description bulk loads use; returns its id.
    /// `describe` turns a uniqueness violation into words (see [`error::classify`]).
    pub(crate) async fn insert_one<T: BulkRow>(
        &self,
        row: &T,
        describe: impl Fn(&str) -> Option<String>,
    ) -> Result<i64> {
        let mut conn = self.pool().acquire().await?;
        insert_row(&mut conn, row, describe).await
    }
}

/// Inserts one row on `conn` (a pooled connection or an open [`Tx`]); returns its id.
/// The single place that writes the SQL of a single-row insert.
pub(crate) async fn insert_row<T: BulkRow>(
    conn: &mut AnyConnection,
    row: &T,
    describe: impl Fn(&str) -> Option<String>,
) -> Result<i64> {
    let table = T::TABLE;
    let mut sink = ArgSink::with_capacity(table.columns.len());
    let columns = match row.id() {
        Some(id) => {
            sink.int_value(id);
            table.columns
        }
        None => table.data_columns(),
    };
    row.write(&mut sink);
    let args = sink.finish()?;
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "insert into {} ({}) values ({}) returning id",
        table.name,
        columns.join(", "),
        placeholders.join(", ")
    );
    sqlx::query_scalar_with::<_, i64, _>(&sql, args)
        .fetch_one(conn)
        .await
        .map_err(|e| error::classify(e, describe))
}

/// A stored value that does not parse back.
pub(crate) fn corrupt(column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt {
        column,
        value: value.to_owned(),
    }
}

/// A caller's row offset as SQL accepts it: offsets past `i64::MAX` become `i64::MAX`
/// (SQLite reads a larger literal as a real and fails with "datatype mismatch";
/// PostgreSQL says "bigint out of range"). No table holds that many rows, so the page
/// is empty either way.
pub(crate) fn sql_offset(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

/// Now, as Unix seconds, for `created_at`/`updated_at`.
pub(crate) fn now_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}
