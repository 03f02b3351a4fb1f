//! The bulk loader: batches of plain rows written fast, all in one transaction.
//!
//! On SQLite rows go in as multi-row `insert` statements (thousands of rows each) in
//! one `begin immediate` transaction; on PostgreSQL through `copy ... from stdin`.
//! A load that starts on an empty `presence` or `contact` table drops their secondary
//! indexes (and, on PostgreSQL, their foreign keys) and rebuilds them at commit, inside
//! the same transaction: building an index once from millions of rows is several
//! times faster than maintaining it row by row. Other readers see the old table, with
//! its indexes, until the commit (on PostgreSQL they wait for it: the table is locked).
//!
//! Rows may carry ids (the synthetic generator numbers everything itself, so presences
//! can point at persons without a lookup); rows without one get the next free id of
//! their table. Nothing is visible to others until [`BulkLoader::commit`]; dropping the
//! loader rolls everything back.

use crate::backend::{BackendKind, BulkRow, BulkSink, FieldSink, RowBatch, Table};
use crate::error::Result;
use crate::trace::TraceLevel;
use crate::{
    cases::{NewCase, NewTest},
    contacts::NewContact,
    persons::{NewHousehold, NewPerson},
    places::{NewPlace, NewPresence},
    Store,
};
use phongdich_domain::AdminUnit;
use std::collections::HashMap;
use std::fmt;

/// Tables whose rows have generated ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdTable {
    /// `household`.
    Household,
    /// `person`.
    Person,
    /// `place`.
    Place,
    /// `presence`.
    Presence,
    /// `contact`.
    Contact,
    /// `infection_case`.
    Case,
    /// `lab_test`.
    Test,
}

impl IdTable {
    fn table(self) -> &'static Table {
        match self {
            Self::Household => &crate::persons::HOUSEHOLD,
            Self::Person => &crate::persons::PERSON,
            Self::Place => &crate::places::PLACE,
            Self::Presence => &crate::places::PRESENCE,
            Self::Contact => &crate::contacts::CONTACT,
            Self::Case => &crate::cases::INFECTION_CASE,
            Self::Test => &crate::cases::LAB_TEST,
        }
    }
}

/// One bulk load in progress; see the module documentation.
pub struct BulkLoader {
    sink: Box<dyn BulkSink>,
    /// The store, to refresh the planner's statistics after commit.
    store: Store,
    /// Next free id per table, read on first use and advanced past every id written.
    next_ids: HashMap<&'static str, i64>,
    /// Tables this load has written to.
    started: Vec<&'static str>,
    /// Tables whose deferred indexes were dropped, rebuilt at commit.
    rebuild: Vec<&'static Table>,
    written: u64,
}

impl fmt::Debug for BulkLoader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkLoader")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

/// Rows with their ids resolved.
struct Batch<'r, T> {
    rows: &'r [T],
    ids: Vec<i64>,
}

impl<T: BulkRow> RowBatch for Batch<'_, T> {
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn write_row<'a>(&'a self, i: usize, out: &mut dyn FieldSink<'a>) {
        if let Some(id) = self.ids.get(i) {
            out.int(*id);
        }
        self.rows[i].write(out);
    }
}

impl Store {
    /// Starts a bulk load (one transaction; on SQLite it holds the write lock until
    /// [`BulkLoader::commit`]).
    pub async fn bulk(&self) -> Result<BulkLoader> {
        Ok(BulkLoader {
            sink: self.inner.backend.begin_bulk().await?,
            store: self.clone(),
            next_ids: HashMap::new(),
            started: Vec::new(),
            rebuild: Vec::new(),
            written: 0,
        })
    }
}

impl BulkLoader {
    /// The first id of `table` that no row uses yet, counting rows this load wrote.
    pub async fn first_free_id(&mut self, table: IdTable) -> Result<i64> {
        self.next_id(table.table()).await
    }

    async fn next_id(&mut self, table: &'static Table) -> Result<i64> {
        if let Some(&next) = self.next_ids.get(table.name) {
            return Ok(next);
        }
        self.sink.lock_ids(table).await?;
        let sql = format!(
            "select cast(coalesce(max(id), 0) + 1 as bigint) from {}",
            table.name
        );
        let next = self.sink.fetch_i64(&sql).await?;
        self.next_ids.insert(table.name, next);
        Ok(next)
    }

    async fn load<T: BulkRow>(&mut self, rows: &[T]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let table = T::TABLE;
        if !self.started.contains(&table.name) {
            self.started.push(table.name);
            // Tables filled by its triggers (person search words) get statistics too.
            self.started
                .extend(crate::persons::derived_tables(table).iter().copied());
            self.defer_indexes(table).await?;
        }
        let ids = if table.has_id {
            let mut next = self.next_id(table).await?;
            let ids: Vec<i64> = rows
                .iter()
                .map(|r| {
                    let id = r.id().unwrap_or(next);
                    next = next.max(id + 1);
                    id
                })
                .collect();
            self.next_ids.insert(table.name, next);
            ids
        } else {
            Vec::new()
        };
        let n = self.sink.write(table, &Batch { rows, ids }).await?;
        self.written += n;
        Ok(n)
    }

    /// On the first write to an empty table with deferrable indexes, drops them (and,
    /// where the backend can, its row-by-row foreign-key checks) until commit.
    async fn defer_indexes(&mut self, table: &'static Table) -> Result<()> {
        if table.deferred_indexes.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "select cast(count(*) as bigint) from (select 1 from {} limit 1) t",
            table.name
        );
        if self.sink.fetch_i64(&sql).await? > 0 {
            return Ok(());
        }
        for (name, _) in table.deferred_indexes {
            self.sink.execute(&format!("drop index {name}")).await?;
        }
        self.sink.suspend_foreign_keys(table).await?;
        self.rebuild.push(table);
        Ok(())
    }

    /// Adds administrative units (villages, usually), parents before children.
    pub async fn units(&mut self, rows: &[AdminUnit]) -> Result<u64> {
        self.load(rows).await
    }

    /// Adds households.
    pub async fn households(&mut self, rows: &[NewHousehold]) -> Result<u64> {
        self.load(rows).await
    }

    /// Adds persons.
    pub async fn persons(&mut self, rows: &[NewPerson]) -> Result<u64> {
        self.load(rows).await
    }

    /// Adds places.
    pub async fn places(&mut self, rows: &[NewPlace]) -> Result<u64> {
        self.load(rows).await
    }

    /// Adds presences.
    pub async fn presences(&mut self, rows: &[NewPresence]) -> Result<u64> {
        self.load(rows).await
    }

    /// Adds contacts.
    pub async fn contacts(&mut self, rows: &[NewContact]) -> Result<u64> {
        self.load(rows).await
    }

    /// Adds cases.
    pub async fn cases(&mut self, rows: &[NewCase]) -> Result<u64> {
        self.load(rows).await
    }

    /// Adds tests.
    pub async fn tests(&mut self, rows: &[NewTest]) -> Result<u64> {
        self.load(rows).await
    }

    /// Adds trace levels (see [`BulkLoader::clear_trace_levels`] to replace them).
    pub async fn trace_levels(&mut self, rows: &[TraceLevel]) -> Result<u64> {
        self.load(rows).await
    }

    /// Deletes every stored trace level.
    pub async fn clear_trace_levels(&mut self) -> Result<()> {
        self.sink.execute("delete from trace_level").await
    }

    /// Records audit events in the load's transaction: they commit with the rows or
    /// not at all. (The audit table is not vacuumed after the load.)
    pub async fn audit(&mut self, events: &[crate::NewAuditEvent]) -> Result<u64> {
        if events.is_empty() {
            return Ok(0);
        }
        self.sink
            .write(
                &crate::audit::AUDIT_EVENT,
                &Batch {
                    rows: events,
                    ids: Vec::new(),
                },
            )
            .await
    }

    /// Moves the data version forward in the load's transaction: a running server that
    /// polls [`Store::data_version`] sees that data arrived behind its back.
    pub async fn bump_data_version(&mut self) -> Result<()> {
        self.sink
            .execute(&format!(
                "update data_version set version = version + 1, updated_at = {} where id = 1",
                crate::now_seconds()
            ))
            .await
    }

    /// Rows written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Rebuilds any dropped indexes, then makes everything written visible at once.
    ///
    /// On PostgreSQL it then vacuums and analyzes the tables written: a bulk load leaves
    /// the planner without statistics and the visibility map empty until autovacuum
    /// comes round, so a fresh province's jurisdiction queries are planned blind and
    /// every "index-only" scan reads the table too (a commune's contact list: 50 ms
    /// before, 7 ms after, on the 500,000-person demo). SQLite's queries do not depend
    /// on statistics (they name their indexes where it matters).
    pub async fn commit(self) -> Result<()> {
        self.commit_with_progress(|_| {}).await
    }

    /// [`BulkLoader::commit`], telling `progress` as each step starts: index builds,
    /// the commit itself, then each table's statistics (PostgreSQL). On a province the
    /// index builds take tens of seconds: a command line shows them as a bar.
    pub async fn commit_with_progress(
        mut self,
        mut progress: impl FnMut(CommitProgress) + Send,
    ) -> Result<()> {
        let rebuild = std::mem::take(&mut self.rebuild);
        let analyze: &[&'static str] = match self.store.backend() {
            BackendKind::Postgres => &self.started,
            BackendKind::Sqlite => &[],
        };
        let total = rebuild
            .iter()
            .map(|t| t.deferred_indexes.len())
            .sum::<usize>()
            + 1
            + analyze.len();
        let mut done = 0;
        let mut step = |step: CommitStep| {
            progress(CommitProgress { done, total, step });
            done += 1;
        };
        for table in rebuild {
            for (index, create) in table.deferred_indexes {
                step(CommitStep::BuildIndex {
                    table: table.name,
                    index,
                });
                self.sink.execute(create).await?;
            }
        }
        step(CommitStep::Commit);
        self.sink.commit().await?;
        // A load may have added units (villages).
        self.store.units_changed();
        for table in analyze {
            step(CommitStep::Analyze { table });
            // Not on the shared pool: its statement timeout would cut the vacuum of a
            // province's presences.
            self.store
                .inner
                .backend
                .refresh_statistics(std::slice::from_ref(table))
                .await?;
        }
        Ok(())
    }
}

/// Where [`BulkLoader::commit_with_progress`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitProgress {
    /// Steps finished.
    pub done: usize,
    /// Steps in all.
    pub total: usize,
    /// The step starting now.
    pub step: CommitStep,
}

/// One step of a bulk load's commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitStep {
    /// Building a secondary index dropped for the load.
    BuildIndex {
        /// The table.
        table: &'static str,
        /// The index.
        index: &'static str,
    },
    /// Committing (on PostgreSQL, checking the foreign keys suspended for the load
    /// first).
    Commit,
    /// Refreshing the planner's statistics of a table written (PostgreSQL).
    Analyze {
        /// The table.
        table: &'static str,
    },
}

impl fmt::Display for CommitStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BuildIndex { table, index } => {
                write!(f, "lập chỉ mục {index} (building an index of {table})")
            }
            Self::Commit => f.write_str("ghi dữ liệu (committing)"),
            Self::Analyze { table } => write!(f, "thống kê {table} (vacuum, analyze)"),
        }
    }
}

impl BulkRow for AdminUnit {
    const TABLE: &'static Table = &crate::admin::ADMIN_UNIT;
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>) {
        out.text(self.code.as_str());
        out.text(&self.name);
        out.owned_text(phongdich_domain::text::fold(&self.name));
        out.text(self.level.as_str());
        out.opt_text(self.parent.as_ref().map(|p| p.as_str()));
    }
}
