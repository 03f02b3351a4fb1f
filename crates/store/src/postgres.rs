//! The PostgreSQL backend: queries go through the shared `Any` pool, whose connections
//! cut any statement after [`STATEMENT_TIMEOUT_SECONDS`]; bulk loads use
//! `copy ... from stdin` (text format) on a second, PostgreSQL-typed pool without that
//! timeout, in one transaction, and move each table's identity sequence past the ids
//! loaded. Migrations, full scans and the `vacuum (analyze)` after a load also run on
//! that second pool: they may take minutes on a province, so its statements are logged
//! at debug level, slow or not (the shared pool keeps sqlx's slow-statement warning).

use crate::backend::{quiet, Backend, BackendKind, BulkSink, FieldSink, RowBatch, Table};
use crate::error::Result;
use crate::STATEMENT_TIMEOUT_SECONDS;
use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, StreamExt};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AnyPool, Executor, Postgres, Transaction};
use std::io::Write as _;
use std::str::FromStr;
use std::time::Duration;

/// This backend's embedded migrations.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// Bytes of `copy` data buffered before they are sent.
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// The PostgreSQL implementation of [`Backend`].
#[derive(Debug, Clone)]
pub(crate) struct PostgresBackend {
    /// Bulk loads, full scans, migrations and `vacuum` use it; connections open when
    /// first needed, without a statement timeout, and log statements at debug level.
    copy_pool: PgPool,
    /// Pages of full scans read through the `Any` driver ([`Backend::scan_pool`]):
    /// no statement timeout, statements logged at debug level; opens when first used.
    scan_pool: AnyPool,
}

impl PostgresBackend {
    /// Connects to the database a `postgres://` URL names.
    pub(crate) async fn connect(url: &str) -> Result<(AnyPool, Self)> {
        let pool = AnyPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        format!("set statement_timeout = '{STATEMENT_TIMEOUT_SECONDS}s'").as_str(),
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let copy_pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy_with(quiet(PgConnectOptions::from_str(url)?));
        let scan_pool = AnyPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy_with(quiet(AnyConnectOptions::from_str(url)?));
        Ok((
            pool,
            Self {
                copy_pool,
                scan_pool,
            },
        ))
    }
}

impl Backend for PostgresBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Postgres
    }

    fn migrate(&self) -> BoxFuture<'_, Result<()>> {
        // The copy pool has no statement timeout; migrations record themselves in
        // `_sqlx_migrations` the same way whichever driver runs them.
        Box::pin(async move {
            MIGRATOR.run(&self.copy_pool).await?;
            Ok(())
        })
    }

    fn begin_write_sql(&self) -> Option<&'static str> {
        None
    }

    fn refresh_statistics<'a>(&'a self, tables: &'a [&'static str]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for table in tables {
                // Simple protocol: vacuum may not run inside a transaction block.
                sqlx::raw_sql(&format!("vacuum (analyze) {table}"))
                    .execute(&self.copy_pool)
                    .await?;
            }
            Ok(())
        })
    }

    fn begin_bulk(&self) -> BoxFuture<'_, Result<Box<dyn BulkSink>>> {
        Box::pin(async move {
            let tx = self.copy_pool.begin().await?;
            Ok(Box::new(PgSink {
                tx,
                with_ids: Vec::new(),
                suspended: Vec::new(),
            }) as Box<dyn BulkSink>)
        })
    }

    fn scan_i64x6(&self, sql: &'static str) -> BoxStream<'_, Result<[i64; 6]>> {
        sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64)>(sql)
            .fetch(&self.copy_pool)
            .map(|r| {
                r.map(|t| [t.0, t.1, t.2, t.3, t.4, t.5])
                    .map_err(Into::into)
            })
            .boxed()
    }

    fn scan_pool(&self) -> &AnyPool {
        &self.scan_pool
    }
}

/// An open PostgreSQL bulk-load transaction.
struct PgSink {
    tx: Transaction<'static, Postgres>,
    /// Tables written with explicit ids, whose sequences must catch up.
    with_ids: Vec<&'static str>,
    /// Tables whose foreign keys were dropped for the load, re-added at commit.
    suspended: Vec<&'static Table>,
}

/// Writes fields in `copy` text format.
struct CopyText {
    buf: Vec<u8>,
    first: bool,
}

impl CopyText {
    fn sep(&mut self) {
        if !self.first {
            self.buf.push(b'\t');
        }
        self.first = false;
    }
    fn end_row(&mut self) {
        self.buf.push(b'\n');
        self.first = true;
    }
    /// Writes a text field, escaped.
    fn put_text(&mut self, v: &str) {
        self.sep();
        for &b in v.as_bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                // PostgreSQL text cannot hold NUL; drop it rather than fail the load.
                0 => {}
                _ => self.buf.push(b),
            }
        }
    }
}

impl<'a> FieldSink<'a> for CopyText {
    fn int(&mut self, v: i64) {
        self.sep();
        // Writing into a Vec cannot fail.
        let _ = write!(self.buf, "{v}");
    }
    fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int(v),
            None => {
                self.sep();
                self.buf.extend_from_slice(b"\\N");
            }
        }
    }
    fn text(&mut self, v: &'a str) {
        self.put_text(v);
    }
    fn opt_text(&mut self, v: Option<&'a str>) {
        match v {
            Some(v) => self.text(v),
            None => {
                self.sep();
                self.buf.extend_from_slice(b"\\N");
            }
        }
    }
    fn owned_text(&mut self, v: String) {
        self.put_text(&v);
    }
}

impl BulkSink for PgSink {
    fn write<'a>(
        &'a mut self,
        table: &'static Table,
        rows: &'a dyn RowBatch,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            if rows.len() == 0 {
                return Ok(0);
            }
            if table.has_id && !self.with_ids.contains(&table.name) {
                self.with_ids.push(table.name);
            }
            let statement = format!(
                "copy {} ({}) from stdin",
                table.name,
                table.columns.join(", ")
            );
            let mut copy = self.tx.copy_in_raw(&statement).await?;
            let mut text = CopyText {
                buf: Vec::with_capacity(COPY_CHUNK_BYTES + 4096),
                first: true,
            };
            for i in 0..rows.len() {
                rows.write_row(i, &mut text);
                text.end_row();
                if text.buf.len() >= COPY_CHUNK_BYTES {
                    if let Err(e) = copy.send(std::mem::take(&mut text.buf)).await {
                        let _ = copy.abort("send failed").await;
                        return Err(e.into());
                    }
                    text.buf.reserve(COPY_CHUNK_BYTES + 4096);
                }
            }
            if !text.buf.is_empty() {
                if let Err(e) = copy.send(text.buf).await {
                    let _ = copy.abort("send failed").await;
                    return Err(e.into());
                }
            }
            copy.finish()
                .await
                .map_err(|e| crate::error::classify(e, |_| None))
        })
    }

    fn suspend_foreign_keys<'a>(&'a mut self, table: &'static Table) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if table.foreign_keys.is_empty() || self.suspended.iter().any(|t| t.name == table.name)
            {
                return Ok(());
            }
            let drops: Vec<String> = table
                .foreign_keys
                .iter()
                .map(|(name, _)| format!("drop constraint {name}"))
                .collect();
            let sql = format!("alter table {} {}", table.name, drops.join(", "));
            sqlx::query(&sql).execute(&mut *self.tx).await?;
            self.suspended.push(table);
            Ok(())
        })
    }

    fn lock_ids<'a>(&'a mut self, table: &'static Table) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            // Readers go on; writers (a single insert taking the next identity value)
            // wait for the commit, which moves the sequence past the loaded ids.
            let sql = format!("lock table {} in exclusive mode", table.name);
            sqlx::query(&sql).execute(&mut *self.tx).await?;
            Ok(())
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

    fn commit(mut self: Box<Self>) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            for table in std::mem::take(&mut self.suspended) {
                // Re-adding a foreign key checks every row in one join, which is far
                // cheaper than a trigger per copied row; a dangling reference fails the
                // whole load here.
                let adds: Vec<String> = table
                    .foreign_keys
                    .iter()
                    .map(|(name, def)| format!("add constraint {name} {def}"))
                    .collect();
                let sql = format!("alter table {} {}", table.name, adds.join(", "));
                sqlx::query(&sql)
                    .execute(&mut *self.tx)
                    .await
                    .map_err(|e| crate::error::classify(e, |_| None))?;
            }
            for table in std::mem::take(&mut self.with_ids) {
                // Explicit ids do not advance an identity sequence: move it past them so
                // that later single inserts do not collide.
                let sql = format!(
                    "select setval(pg_get_serial_sequence('{table}', 'id'), \
                     coalesce((select max(id) from {table}), 0) + 1, false)"
                );
                sqlx::query(&sql).execute(&mut *self.tx).await?;
            }
            self.tx.commit().await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_and_nulls() {
        let mut t = CopyText {
            buf: Vec::new(),
            first: true,
        };
        t.int(-5);
        t.text("a\tb\\c\nd");
        t.opt_text(None);
        t.opt_int(Some(7));
        t.end_row();
        assert_eq!(t.buf, b"-5\ta\\tb\\\\c\\nd\t\\N\t7\n");
    }
}
