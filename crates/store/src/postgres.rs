//! The PostgreSQL backend: queries go through the shared `Any` pool, whose connections
//! cut any statement after [`STATEMENT_TIMEOUT_SECONDS`]; bulk loads use
//! `copy ... from stdin` (text format) on a second, PostgreSQL-typed pool without that
//! timeout, in one transaction, and move each table's identity sequence past the ids
//! loaded. Migrations, full scans and the `vacuum (analyze)` after a load also run on
//! that second pool: they may take minutes on a province, so its statements are logged
//! at debug level, slow or not (the shared pool keeps sqlx's slow-statement warning).
//! Full scans are `copy (select ...) to stdout` in binary format, parsed here
//! ([`CopyBinary`]): no row descriptions, no per-row decoding through sqlx.

use crate::backend::{quiet, Backend, BackendKind, BulkSink, FieldSink, RowBatch, Table};
use crate::error::{Result, StoreError};
use crate::STATEMENT_TIMEOUT_SECONDS;
use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, StreamExt};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolCopyExt, PgPoolOptions};
use sqlx::{AnyPool, Executor, Postgres, Transaction};
use std::io::Write as _;
use std::str::FromStr;
use std::time::Duration;

/// This backend's embedded migrations.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// Bytes of `copy` data buffered before they are sent.
const COPY_CHUNK_BYTES: usize = 1 << 20;
/// Rows per batch of a full scan ([`Backend::scan_i64`]).
const SCAN_BATCH_ROWS: usize = 16_384;

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
                    // Durable before the answer: a commit returns once its WAL is
                    // flushed. `on` is PostgreSQL's default; a server configured with
                    // `off` (which may lose the last commits in a crash) is overridden
                    // for the app's connections, stronger settings (`remote_apply`...)
                    // are kept.
                    let sync: String =
                        sqlx::query_scalar("select current_setting('synchronous_commit')")
                            .fetch_one(&mut *conn)
                            .await?;
                    if sync.eq_ignore_ascii_case("off") {
                        conn.execute("set synchronous_commit = on").await?;
                    }
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

    fn scan_i64(&self, sql: &'static str, columns: usize) -> BoxStream<'_, Result<Vec<i64>>> {
        let statement = format!("copy ({sql}) to stdout with (format binary)");
        futures_util::stream::once(async move {
            let chunks = match self.copy_pool.copy_out_raw(&statement).await {
                Ok(chunks) => chunks,
                Err(e) => return futures_util::stream::iter([Err(e.into())]).boxed(),
            };
            // Each chunk is one `CopyData` message (about one row): gather a batch.
            futures_util::stream::unfold(
                Some((chunks, CopyBinary::new(columns))),
                move |state| async move {
                    let (mut chunks, mut parser) = state?;
                    let mut batch = Vec::with_capacity(SCAN_BATCH_ROWS * columns);
                    loop {
                        match chunks.next().await {
                            Some(Ok(chunk)) => {
                                if let Err(e) = parser.push(&chunk, &mut batch) {
                                    return Some((Err(e), None));
                                }
                                if batch.len() >= SCAN_BATCH_ROWS * columns {
                                    return Some((Ok(batch), Some((chunks, parser))));
                                }
                            }
                            Some(Err(e)) => return Some((Err(e.into()), None)),
                            None => {
                                return match parser.finish() {
                                    Err(e) => Some((Err(e), None)),
                                    Ok(()) if batch.is_empty() => None,
                                    Ok(()) => Some((Ok(batch), None)),
                                }
                            }
                        }
                    }
                },
            )
            .boxed()
        })
        .flatten()
        .boxed()
    }

    fn scan_pool(&self) -> &AnyPool {
        &self.scan_pool
    }
}

/// Reads the rows of `copy ... to stdout with (format binary)` whose columns are all
/// non-null integers, from chunks cut anywhere.
struct CopyBinary {
    columns: usize,
    /// Bytes received and not parsed yet, from `at`.
    buf: Vec<u8>,
    at: usize,
    header_read: bool,
    trailer_read: bool,
}

/// The start of every binary `copy` stream.
const COPY_SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

fn copy_error(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("binary copy: {what}")))
}

impl CopyBinary {
    fn new(columns: usize) -> Self {
        Self {
            columns,
            buf: Vec::new(),
            at: 0,
            header_read: false,
            trailer_read: false,
        }
    }

    /// Takes a chunk; appends the values of every row now whole to `out`.
    fn push(&mut self, chunk: &[u8], out: &mut Vec<i64>) -> Result<()> {
        if self.at > 0 && self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
        } else if self.at >= 1 << 16 {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        self.buf.extend_from_slice(chunk);
        if !self.header_read {
            // Signature, flags (4 bytes), header extension length (4) and extension.
            let Some(ext) = self.buf.get(15..19) else {
                return Ok(());
            };
            if !self.buf.starts_with(COPY_SIGNATURE) {
                return Err(copy_error("no signature"));
            }
            let ext = u32::from_be_bytes([ext[0], ext[1], ext[2], ext[3]]) as usize;
            if self.buf.len() < 19 + ext {
                return Ok(());
            }
            self.at = 19 + ext;
            self.header_read = true;
        }
        while let Some(end) = self.row(out)? {
            self.at = end;
        }
        Ok(())
    }

    /// Parses the row at `at` into `out` if it is whole; returns where it ends.
    fn row(&mut self, out: &mut Vec<i64>) -> Result<Option<usize>> {
        let b = &self.buf[self.at..];
        let Some(count) = b.get(..2) else {
            return Ok(None);
        };
        let count = i16::from_be_bytes([count[0], count[1]]);
        if self.trailer_read {
            return Err(copy_error("data after the trailer"));
        }
        if count == -1 {
            self.trailer_read = true;
            return Ok(Some(self.at + 2));
        }
        if usize::try_from(count).ok() != Some(self.columns) {
            return Err(copy_error(&format!(
                "{count} columns, expected {}",
                self.columns
            )));
        }
        let start = out.len();
        let mut p = 2;
        for _ in 0..self.columns {
            let Some(len) = b.get(p..p + 4) else {
                out.truncate(start);
                return Ok(None);
            };
            let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
            p += 4;
            let v = match (len, b.get(p..p + 8)) {
                (8, Some(v)) => {
                    i64::from_be_bytes([v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]])
                }
                (4, _) => match b.get(p..p + 4) {
                    Some(v) => i64::from(i32::from_be_bytes([v[0], v[1], v[2], v[3]])),
                    None => {
                        out.truncate(start);
                        return Ok(None);
                    }
                },
                (8, None) => {
                    out.truncate(start);
                    return Ok(None);
                }
                (-1, _) => return Err(copy_error("null in an integer scan")),
                _ => return Err(copy_error(&format!("a field of {len} bytes"))),
            };
            p += len as usize;
            out.push(v);
        }
        Ok(Some(self.at + p))
    }

    /// Checks that the stream ended where it should.
    fn finish(&self) -> Result<()> {
        if self.trailer_read && self.at == self.buf.len() {
            Ok(())
        } else {
            Err(copy_error("the stream ended inside a row"))
        }
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

    /// A binary copy stream of two rows of `(int8, int4)`, cut at every byte.
    #[test]
    fn copy_binary_reads_rows_cut_anywhere() {
        let mut stream = COPY_SIGNATURE.to_vec();
        stream.extend_from_slice(&0u32.to_be_bytes());
        stream.extend_from_slice(&0u32.to_be_bytes());
        for (a, b) in [(-7_i64, 3_i32), (1 << 40, -1)] {
            stream.extend_from_slice(&2i16.to_be_bytes());
            stream.extend_from_slice(&8i32.to_be_bytes());
            stream.extend_from_slice(&a.to_be_bytes());
            stream.extend_from_slice(&4i32.to_be_bytes());
            stream.extend_from_slice(&b.to_be_bytes());
        }
        stream.extend_from_slice(&(-1i16).to_be_bytes());
        for cut in 1..stream.len() {
            let mut parser = CopyBinary::new(2);
            let mut out = Vec::new();
            for chunk in stream.chunks(cut) {
                parser.push(chunk, &mut out).unwrap();
            }
            parser.finish().unwrap();
            assert_eq!(out, [-7, 3, 1 << 40, -1], "cut every {cut} bytes");
        }
        let mut parser = CopyBinary::new(3);
        assert!(parser.push(&stream, &mut Vec::new()).is_err());
        let mut parser = CopyBinary::new(2);
        parser
            .push(&stream[..stream.len() - 1], &mut Vec::new())
            .unwrap();
        assert!(parser.finish().is_err());
    }
}
