//! The SQLite backend: one file in WAL mode with foreign keys on and `synchronous =
//! full` (a commit is on disk before it returns); bulk loads are
//! multi-row `insert` statements of up to [`MAX_ROWS_PER_INSERT`] rows, all in one
//! `begin immediate` transaction, on connections of their own that log statements at
//! debug level. The engine's full scans read the file through SQLite's C library
//! directly (rusqlite, the same `libsqlite3-sys` that sqlx links) on a blocking thread:
//! sqlx's SQLite driver hands every row from its worker thread to the async side one
//! at a time, which made reading a province's 17 M exposures take minutes.

use crate::backend::{quiet, ArgSink, Backend, BackendKind, BulkSink, RowBatch, Table};
use crate::error::{Result, StoreError};
use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, StreamExt};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::mpsc;

/// This backend's embedded migrations.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// SQLite allows 32,766 bound values per statement.
const MAX_BOUND_VALUES: usize = 32_766;
/// Past a few thousand rows a bigger statement buys nothing.
const MAX_ROWS_PER_INSERT: usize = 4_000;
/// Page cache per connection, KiB (SQLite's default is 2 MiB).
const CACHE_KIB: u32 = 64 * 1024;
/// Page cache of the group commit's writer connection, KiB: small on purpose. The
/// SQLite that sqlx links (3.46) walks the whole page cache at the end of every write
/// transaction in which a B-tree split reordered pages (`balance_nonroot` parks a page
/// under the number of the pending-byte page, 1 GiB into the file, and the cache then
/// drops every page "past the end" of a database smaller than that by scanning all of
/// its hash table). With a stream of check-ins that is every batch, so the walk grew
/// with the cache: 8 MiB gave 9,600 to 9,700 check-ins a second where 256 MiB gave
/// 8,600 (alternating runs, docs/benchmarks.md §9); the pages it misses come from the
/// operating system's cache.
const BATCH_CACHE_KIB: u32 = 8 * 1024;
/// How long a writer waits for another writer before failing with "database is locked".
const BUSY_TIMEOUT_MS: u32 = 10_000;
/// Rows per batch of a full scan ([`Backend::scan_i64`]).
const SCAN_BATCH_ROWS: usize = 16_384;
/// Batches a full scan reads ahead of its consumer.
const SCAN_BATCHES_AHEAD: usize = 4;

/// The SQLite implementation of [`Backend`].
#[derive(Debug, Clone)]
pub(crate) struct SqliteBackend {
    /// Bulk loads and migrations: the shared pool's settings, statements logged at
    /// debug level ([`quiet`]); opens when first used.
    bulk_pool: AnyPool,
    /// The database file, opened read-only by each full scan ([`Backend::scan_i64`]).
    path: PathBuf,
    /// One connection for the group commit's writer ([`Backend::batch_pool`]): SQLite
    /// drops a connection's page cache whenever another connection wrote since its
    /// last transaction, so batches taking turns over the shared pool's connections
    /// read their index pages back from the file every time; one connection of its
    /// own, the only writer under load, keeps them. Opens when first used.
    batch_pool: AnyPool,
}

/// Which pool a read-write connection belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Pages and API calls.
    Shared,
    /// Bulk loads, migrations.
    Bulk,
    /// The group commit's writer.
    Batch,
}

/// What every read-write connection sets up, in each pool.
fn read_write(options: AnyPoolOptions, role: Role) -> AnyPoolOptions {
    options
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                // WAL lets readers (the web pages) run while a writer (an import) works.
                // It is a property of the file: set it only when it is not set yet,
                // since setting it takes a lock that a running load holds.
                let mode: String = sqlx::query_scalar("pragma journal_mode")
                    .fetch_one(&mut *conn)
                    .await?;
                if !mode.eq_ignore_ascii_case("wal") {
                    conn.execute("pragma journal_mode = wal").await?;
                }
                // Durable before the answer: in WAL mode `full` syncs the log at every
                // commit, so a committed write survives a power cut; `normal` syncs only
                // at checkpoints and may lose the last commits. Many small writes share
                // one sync through the app's group commit (crates/app/src/commit_queue.rs);
                // a bulk load is one transaction, one sync either way.
                conn.execute("pragma synchronous = full").await?;
                conn.execute("pragma foreign_keys = on").await?;
                // 64 MiB of page cache (the default is 2 MiB): bulk loads and index
                // builds over millions of rows stay in memory; 8 MiB for the group
                // commit's writer (see BATCH_CACHE_KIB).
                let cache = if role == Role::Batch {
                    BATCH_CACHE_KIB
                } else {
                    CACHE_KIB
                };
                conn.execute(format!("pragma cache_size = -{cache}").as_str())
                    .await?;
                conn.execute(format!("pragma busy_timeout = {BUSY_TIMEOUT_MS}").as_str())
                    .await?;
                if role != Role::Bulk {
                    // Statement journals (a multi-row insert of a group commit inside
                    // its transaction) in memory, not in temporary files. The bulk
                    // pool keeps files: its index builds may sort millions of rows.
                    conn.execute("pragma temp_store = memory").await?;
                    // Checkpoint (copy the log into the file, and sync it) every
                    // 10,000 pages (40 MB) of log rather than 1,000: the index pages a
                    // stream of check-ins keeps dirtying are copied once per checkpoint,
                    // so fewer checkpoints copy fewer pages in all.
                    conn.execute("pragma wal_autocheckpoint = 10000").await?;
                }
                Ok(())
            })
        })
}

impl SqliteBackend {
    /// Opens (creating if missing) the database file a `sqlite:` URL names.
    pub(crate) async fn connect(url: &str) -> Result<(AnyPool, Self)> {
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Every pooled connection would open its own empty database.
            return Err(StoreError::Invalid(
                "in-memory SQLite databases are not supported: use a file (sqlite://phongdich.db)"
                    .into(),
            ));
        }
        let url = with_create_mode(url);
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = read_write(AnyPoolOptions::new().max_connections(4), Role::Shared)
            .connect_with(options.clone())
            .await?;
        // A load and a scan may overlap (the engine reads while an import commits);
        // SQLite itself lets one writer at a time in.
        let bulk_pool = read_write(AnyPoolOptions::new().max_connections(2), Role::Bulk)
            .connect_lazy_with(quiet(options.clone()));
        let path = SqliteConnectOptions::from_str(&url)?
            .get_filename()
            .to_path_buf();
        // Its one connection is known to be alive: no ping before each batch (a round
        // trip to SQLite's thread on the writer's path).
        let batch_pool = read_write(
            AnyPoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false),
            Role::Batch,
        )
        .connect_lazy_with(options);
        Ok((
            pool,
            Self {
                bulk_pool,
                path,
                batch_pool,
            },
        ))
    }
}

/// Adds `mode=rwc` (create the file if missing) unless the URL sets a mode or is in
/// memory.
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}mode=rwc")
}

impl Backend for SqliteBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Sqlite
    }

    fn migrate(&self) -> BoxFuture<'_, Result<()>> {
        // SQLite has no statement timeout; the bulk pool logs a long migration (an
        // index over millions of rows) at debug level.
        Box::pin(async move {
            MIGRATOR.run(&self.bulk_pool).await?;
            Ok(())
        })
    }

    fn begin_write_sql(&self) -> Option<&'static str> {
        // A deferred transaction takes the write lock at its first write; if it read
        // first and another writer committed since, SQLite cannot upgrade its snapshot
        // and fails at once with "database is locked", without waiting. `immediate`
        // takes the lock at `begin`, waiting up to the busy timeout.
        Some("begin immediate")
    }

    fn refresh_statistics<'a>(&'a self, _tables: &'a [&'static str]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn begin_bulk(&self) -> BoxFuture<'_, Result<Box<dyn BulkSink>>> {
        Box::pin(async move {
            // `immediate` takes the write lock now, so reads of max(id) inside the load
            // cannot be overtaken by another writer.
            let tx = self.bulk_pool.begin_with("begin immediate").await?;
            Ok(Box::new(SqliteSink { tx }) as Box<dyn BulkSink>)
        })
    }

    fn scan_i64(&self, sql: &'static str, columns: usize) -> BoxStream<'_, Result<Vec<i64>>> {
        let path = self.path.clone();
        // The thread starts at the first poll, inside the runtime.
        futures_util::stream::once(async move {
            let (tx, rx) = mpsc::channel(SCAN_BATCHES_AHEAD);
            tokio::task::spawn_blocking(move || {
                tracing::debug!(sql, "full scan");
                let sent = scan_rows(&path, sql, columns, |batch| {
                    tx.blocking_send(Ok(batch)).is_ok()
                });
                if let Err(e) = sent {
                    let _ = tx.blocking_send(Err(scan_error(e)));
                }
            });
            futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|batch| (batch, rx))
            })
        })
        .flatten()
        .boxed()
    }

    fn scan_pool(&self) -> &AnyPool {
        &self.bulk_pool
    }

    fn batch_pool(&self) -> Option<&AnyPool> {
        Some(&self.batch_pool)
    }
}

/// Reads every row of `sql` (`columns` integer columns) from the file at `path` on the
/// calling thread, handing batches of [`SCAN_BATCH_ROWS`] rows to `send` until it
/// returns `false` (the reader is gone). One statement: one consistent snapshot.
fn scan_rows(
    path: &Path,
    sql: &str,
    columns: usize,
    mut send: impl FnMut(Vec<i64>) -> bool,
) -> rusqlite::Result<()> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_millis(u64::from(BUSY_TIMEOUT_MS)))?;
    conn.pragma_update(None, "cache_size", -i64::from(CACHE_KIB))?;
    let mut statement = conn.prepare(sql)?;
    let mut rows = statement.query([])?;
    let full = SCAN_BATCH_ROWS * columns;
    let mut batch = Vec::with_capacity(full);
    while let Some(row) = rows.next()? {
        for c in 0..columns {
            batch.push(row.get::<_, i64>(c)?);
        }
        if batch.len() >= full && !send(std::mem::replace(&mut batch, Vec::with_capacity(full))) {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        send(batch);
    }
    Ok(())
}

/// A failure of a full scan, as the store reports database failures.
fn scan_error(e: rusqlite::Error) -> StoreError {
    StoreError::Database(sqlx::Error::Io(std::io::Error::other(format!(
        "full scan of the SQLite file: {e}"
    ))))
}

/// An open SQLite bulk-load transaction.
struct SqliteSink {
    tx: Transaction<'static, Any>,
}

/// `insert into t (a, b) values (?, ?), (?, ?)...` for `rows` rows.
fn insert_sql(table: &Table, rows: usize) -> String {
    let cols = table.columns.len();
    let one = format!("({})", vec!["?"; cols].join(", "));
    let mut sql = format!(
        "insert into {} ({}) values ",
        table.name,
        table.columns.join(", ")
    );
    sql.reserve(rows * (one.len() + 2));
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&one);
    }
    sql
}

impl BulkSink for SqliteSink {
    fn write<'a>(
        &'a mut self,
        table: &'static Table,
        rows: &'a dyn RowBatch,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            let per_statement = (MAX_BOUND_VALUES / table.columns.len()).min(MAX_ROWS_PER_INSERT);
            let full_sql = insert_sql(table, per_statement);
            let mut written = 0;
            let mut start = 0;
            while start < rows.len() {
                let end = (start + per_statement).min(rows.len());
                let mut sink = ArgSink::with_capacity((end - start) * table.columns.len());
                for i in start..end {
                    rows.write_row(i, &mut sink);
                }
                let args = sink.finish()?;
                let result = if end - start == per_statement {
                    sqlx::query_with(full_sql.as_str(), args)
                        .execute(&mut *self.tx)
                        .await
                } else {
                    // The tail's statement is used once: do not cache it.
                    let sql = insert_sql(table, end - start);
                    sqlx::query_with(sql.as_str(), args)
                        .persistent(false)
                        .execute(&mut *self.tx)
                        .await
                };
                written += result
                    .map_err(|e| crate::error::classify(e, |_| None))?
                    .rows_affected();
                start = end;
            }
            Ok(written)
        })
    }

    fn execute<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            sqlx::query(sql).execute(&mut *self.tx).await?;
            Ok(())
        })
    }

    fn fetch_i64<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<i64>> {
        Box::pin(async move {
            Ok(sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut *self.tx)
                .await?)
        })
    }

    fn commit(self: Box<Self>) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            self.tx.commit().await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_create_mode() {
        assert_eq!(with_create_mode("sqlite://x.db"), "sqlite://x.db?mode=rwc");
        assert_eq!(
            with_create_mode("sqlite://x.db?cache=shared"),
            "sqlite://x.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            with_create_mode("sqlite://x.db?mode=ro"),
            "sqlite://x.db?mode=ro"
        );
        assert_eq!(with_create_mode("sqlite::memory:"), "sqlite::memory:");
    }
}
