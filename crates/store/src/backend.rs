//! The storage trait: what differs between SQLite and PostgreSQL.
//!
//! Most queries are plain SQL that both accept through sqlx's `Any` driver and live in
//! the resource modules. What cannot be shared sits behind [`Backend`], implemented by
//! [`crate::sqlite::SqliteBackend`] and [`crate::postgres::PostgresBackend`]: connection
//! setup, the migration set, and bulk loading (multi-row `insert` on SQLite, `copy` on
//! PostgreSQL), which writes rows through the small [`FieldSink`] visitor so that one
//! description of a row serves both.

use crate::error::{Result, StoreError};
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyPool, Arguments, ConnectOptions};
use std::fmt;
use std::time::Duration;

/// A statement slower than this is logged: as a warning on the shared pool (where a
/// page or an API call waits for it), at debug level on the bulk connections.
pub(crate) const SLOW_STATEMENT: Duration = Duration::from_secs(1);

/// Connection options for bulk work (loads, index builds, full scans, migrations,
/// `vacuum`): every statement, slow or not, is logged at debug level. A copy of
/// millions of rows or a scan of a province is slow by nature; sqlx's "slow statement"
/// warning would only bury the warnings that matter, from the shared pool's ordinary
/// queries.
pub(crate) fn quiet<O: ConnectOptions>(options: O) -> O {
    options
        .log_statements(log::LevelFilter::Debug)
        .log_slow_statements(log::LevelFilter::Debug, SLOW_STATEMENT)
}

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    /// SQLite (`sqlite:` URLs): one file, for a district or a laptop.
    Sqlite,
    /// PostgreSQL (`postgres://` or `postgresql://` URLs): for the province server.
    Postgres,
}

impl BackendKind {
    /// The backend a database URL names.
    pub fn from_url(url: &str) -> Result<Self> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(StoreError::UnsupportedUrl(redact_url(url))),
        }
    }

    /// Stable name: `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A URL with any password replaced by `***`, fit for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The SQL and behaviour that differ per backend.
pub(crate) trait Backend: Send + Sync + fmt::Debug {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;
    /// Applies the backend's embedded migrations that are pending, on a connection without the
    /// shared pool's statement timeout (a migration may build an index over millions of
    /// rows).
    fn migrate(&self) -> BoxFuture<'_, Result<()>>;
    /// The statement that opens a write transaction ([`crate::Tx`]): `begin immediate` on
    /// SQLite, so that it waits for the write lock at once (see [`crate::Store::begin`]);
    /// `None` for the driver's plain `begin`.
    fn begin_write_sql(&self) -> Option<&'static str>;
    /// Refreshes the planner's statistics of `tables` after a bulk load, on a connection
    /// without the shared pool's statement timeout; a no-op where queries do not depend
    /// on statistics (SQLite).
    fn refresh_statistics<'a>(&'a self, tables: &'a [&'static str]) -> BoxFuture<'a, Result<()>>;
    /// Starts a bulk load: one transaction that [`BulkSink::commit`] ends.
    fn begin_bulk(&self) -> BoxFuture<'_, Result<Box<dyn BulkSink>>>;
    /// Runs a full scan whose `columns` columns are all non-null integers, by the
    /// backend's fastest path (SQLite: its C library on a blocking thread; PostgreSQL:
    /// `copy ... to stdout` in binary), and yields the rows in batches, laid end to end
    /// (`columns` values a row). The `Any` layer, or even sqlx's native rows, cost more
    /// per row than the database itself on scans of millions of rows (the tracing
    /// engine's build).
    fn scan_i64(&self, sql: &'static str, columns: usize) -> BoxStream<'_, Result<Vec<i64>>>;
    /// A pool for long reads through the `Any` driver (the pages of a full scan):
    /// statements logged at debug level ([`quiet`]), and on PostgreSQL without the
    /// shared pool's statement timeout. Its connections open when first needed.
    fn scan_pool(&self) -> &AnyPool;
    /// The pool of the group commit's writer ([`crate::Store::begin_batch`]); `None`:
    /// the shared pool.
    fn batch_pool(&self) -> Option<&AnyPool> {
        None
    }
}

/// One open bulk-load transaction.
pub(crate) trait BulkSink: Send {
    /// Writes a batch of rows into `table`; returns the number written.
    fn write<'a>(
        &'a mut self,
        table: &'static Table,
        rows: &'a dyn RowBatch,
    ) -> BoxFuture<'a, Result<u64>>;
    /// Stops checking `table`'s foreign keys row by row until commit, where the backend
    /// can check them all at once (PostgreSQL); a no-op where it cannot (SQLite).
    fn suspend_foreign_keys<'a>(&'a mut self, _table: &'static Table) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
    /// Makes sure no other writer can take ids of `table` until commit, before the load
    /// reads `max(id)` to number its rows. SQLite's `begin immediate` already keeps
    /// other writers out.
    fn lock_ids<'a>(&'a mut self, _table: &'static Table) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
    /// Runs a statement (without results) inside the load's transaction.
    fn execute<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<()>>;
    /// Reads one integer (a `max(id)`, a count) inside the load's transaction.
    fn fetch_i64<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<i64>>;
    /// Commits everything written.
    fn commit(self: Box<Self>) -> BoxFuture<'static, Result<()>>;
}

/// A table that bulk loads write, and the columns they fill, in order.
#[derive(Debug)]
pub(crate) struct Table {
    /// Table name.
    pub name: &'static str,
    /// Columns in the order rows are written: `id` first when [`Table::has_id`], then
    /// those [`BulkRow::write`] writes.
    pub columns: &'static [&'static str],
    /// Whether the first column is a generated `id` (its sequence must catch up after
    /// explicit ids).
    pub has_id: bool,
    /// Secondary indexes (name, `create` statement for both backends) that a load into
    /// the empty table drops and rebuilds once at commit: much faster than maintaining
    /// them row by row for millions of rows.
    pub deferred_indexes: &'static [(&'static str, &'static str)],
    /// Foreign keys (PostgreSQL constraint name, definition) that a load into the empty
    /// table may drop and re-add (validated in one pass) at commit.
    pub foreign_keys: &'static [(&'static str, &'static str)],
}

impl Table {
    /// The columns [`BulkRow::write`] fills (without `id`).
    pub fn data_columns(&self) -> &'static [&'static str] {
        if self.has_id {
            &self.columns[1..]
        } else {
            self.columns
        }
    }
}

/// Receives a row's values in column order.
pub(crate) trait FieldSink<'a> {
    /// An integer.
    fn int(&mut self, v: i64);
    /// An integer or null.
    fn opt_int(&mut self, v: Option<i64>);
    /// A text.
    fn text(&mut self, v: &'a str);
    /// A text or null.
    fn opt_text(&mut self, v: Option<&'a str>);
    /// A text computed for this row (a folded name).
    fn owned_text(&mut self, v: String);
}

/// A row that bulk loads and single inserts can write.
pub(crate) trait BulkRow: Sync {
    /// Where it goes.
    const TABLE: &'static Table;
    /// The id given by the caller, if any (tables with [`Table::has_id`]).
    fn id(&self) -> Option<i64> {
        None
    }
    /// Writes the values of [`Table::data_columns`], in order.
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>);
}

/// A batch of rows of one table, with their ids resolved.
pub(crate) trait RowBatch: Sync {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Writes row `i`: its id first when the table has one, then its data columns.
    fn write_row<'a>(&'a self, i: usize, out: &mut dyn FieldSink<'a>);
}

/// Collects a row's values as bound arguments.
pub(crate) struct ArgSink<'a> {
    args: AnyArguments<'a>,
    failed: Option<sqlx::error::BoxDynError>,
}

impl<'a> ArgSink<'a> {
    /// An empty sink with room for `n` values.
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut args = AnyArguments::default();
        args.reserve(n, 0);
        Self { args, failed: None }
    }

    /// Adds an integer (an id) ahead of a row's fields.
    pub(crate) fn int_value(&mut self, v: i64) {
        self.push(v);
    }

    /// The arguments collected, or the first encoding failure.
    pub(crate) fn finish(self) -> Result<AnyArguments<'a>> {
        match self.failed {
            Some(e) => Err(sqlx::Error::Encode(e).into()),
            None => Ok(self.args),
        }
    }

    fn push<T>(&mut self, v: T)
    where
        T: 'a + sqlx::Encode<'a, Any> + sqlx::Type<Any>,
    {
        if let Err(e) = self.args.add(v) {
            self.failed.get_or_insert(e);
        }
    }
}

impl<'a> FieldSink<'a> for ArgSink<'a> {
    fn int(&mut self, v: i64) {
        self.push(v);
    }
    fn opt_int(&mut self, v: Option<i64>) {
        self.push(v);
    }
    fn text(&mut self, v: &'a str) {
        self.push(v);
    }
    fn opt_text(&mut self, v: Option<&'a str>) {
        self.push(v);
    }
    fn owned_text(&mut self, v: String) {
        self.push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_url_scheme() {
        assert_eq!(
            BackendKind::from_url("sqlite://x.db").ok(),
            Some(BackendKind::Sqlite)
        );
        assert_eq!(
            BackendKind::from_url("sqlite::memory:").ok(),
            Some(BackendKind::Sqlite)
        );
        assert_eq!(
            BackendKind::from_url("postgres://u@h/db").ok(),
            Some(BackendKind::Postgres)
        );
        assert_eq!(
            BackendKind::from_url("postgresql://u@h/db").ok(),
            Some(BackendKind::Postgres)
        );
        assert!(BackendKind::from_url("mysql://u@h/db").is_err());
    }

    #[test]
    fn bulk_connections_log_slow_statements_at_debug() {
        use std::str::FromStr;
        let default = sqlx::any::AnyConnectOptions::from_str("sqlite://x.db").unwrap();
        assert_eq!(
            default.log_settings.slow_statements_level,
            log::LevelFilter::Warn,
            "the shared pool keeps sqlx's warning"
        );
        let bulk = quiet(default);
        assert_eq!(bulk.log_settings.statements_level, log::LevelFilter::Debug);
        assert_eq!(
            bulk.log_settings.slow_statements_level,
            log::LevelFilter::Debug
        );
        assert_eq!(bulk.log_settings.slow_statements_duration, SLOW_STATEMENT);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
