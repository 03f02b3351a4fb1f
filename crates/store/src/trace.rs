//! Trace levels (F0, F1, F2...) as the engine last computed them, with the exposure
//! that realises each level, for the server to show.

use crate::backend::{BulkRow, FieldSink, Table};
use crate::error::Result;
use crate::{corrupt, Store};
use phongdich_domain::{Interval, PlaceKind, Timestamp};
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) static TRACE_LEVEL: Table = Table {
    name: "trace_level",
    columns: &[
        "person_id",
        "level",
        "exposed_at",
        "via_person_id",
        "via_kind",
        "via_place_id",
        "via_start",
        "via_end",
        "computed_at",
    ],
    has_id: false,
    deferred_indexes: &[],
    foreign_keys: &[],
};

/// How a person was exposed: a direct contact, or sharing a place of some kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExposureKind {
    /// A direct contact.
    Contact,
    /// Presence at the same place.
    Place(PlaceKind),
}

impl ExposureKind {
    /// Stable text form: `contact` or the place kind (`household`, `venue`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Place(k) => k.as_str(),
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "contact" => Some(Self::Contact),
            other => PlaceKind::parse(other).map(Self::Place),
        }
    }
}

/// The exposure through which a person reached their level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exposure {
    /// The person one level up who exposed them.
    pub person_id: i64,
    /// How.
    pub kind: ExposureKind,
    /// The place, for a presence exposure.
    pub place_id: Option<i64>,
    /// The overlap that transmitted.
    pub interval: Interval,
}

/// A person's trace level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceLevel {
    /// Person id.
    pub person_id: i64,
    /// 0 for a case (F0), 1 for F1...
    pub level: u8,
    /// Earliest arrival at that level (tracing.md).
    pub exposed_at: Timestamp,
    /// The exposure that realises it; `None` for a case.
    pub via: Option<Exposure>,
    /// When the engine computed it.
    pub computed_at: Timestamp,
}

impl BulkRow for TraceLevel {
    const TABLE: &'static Table = &TRACE_LEVEL;
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>) {
        out.int(self.person_id);
        out.int(i64::from(self.level));
        out.int(self.exposed_at.0);
        out.opt_int(self.via.map(|v| v.person_id));
        out.opt_text(self.via.map(|v| v.kind.as_str()));
        out.opt_int(self.via.and_then(|v| v.place_id));
        out.opt_int(self.via.map(|v| v.interval.start().0));
        out.opt_int(self.via.map(|v| v.interval.end().0));
        out.int(self.computed_at.0);
    }
}

const TRACE_COLUMNS: &str =
    "person_id, level, exposed_at, via_person_id, via_kind, via_place_id, via_start, via_end, computed_at";

fn trace_from_row(row: &AnyRow) -> Result<TraceLevel> {
    let level: i64 = row.try_get("level")?;
    let via_person: Option<i64> = row.try_get("via_person_id")?;
    let via_kind: Option<String> = row.try_get("via_kind")?;
    let via_start: Option<i64> = row.try_get("via_start")?;
    let via_end: Option<i64> = row.try_get("via_end")?;
    let via = match (via_person, via_kind, via_start, via_end) {
        (Some(person_id), Some(kind), Some(start), Some(end)) => Some(Exposure {
            person_id,
            kind: ExposureKind::parse(&kind)
                .ok_or_else(|| corrupt("trace_level.via_kind", &kind))?,
            place_id: row.try_get("via_place_id")?,
            interval: Interval::new(Timestamp(start), Timestamp(end)).map_err(|_| {
                corrupt("trace_level.via_start/via_end", &format!("{start}..{end}"))
            })?,
        }),
        _ => None,
    };
    Ok(TraceLevel {
        person_id: row.try_get("person_id")?,
        level: u8::try_from(level).map_err(|_| corrupt("trace_level.level", &level.to_string()))?,
        exposed_at: Timestamp(row.try_get("exposed_at")?),
        via,
        computed_at: Timestamp(row.try_get("computed_at")?),
    })
}

impl Store {
    /// Replaces every stored trace level with `levels`, in one transaction.
    pub async fn replace_trace_levels(&self, levels: &[TraceLevel]) -> Result<()> {
        let mut bulk = self.bulk().await?;
        bulk.clear_trace_levels().await?;
        bulk.trace_levels(levels).await?;
        bulk.commit().await
    }

    /// Writes the levels of these persons (inserting or replacing each row) and
    /// removes the persons of `gone`, in one transaction: what an incremental update
    /// of the engine changed ([`Tx::upsert_trace_levels`]).
    ///
    /// On SQLite this goes through the group commit's writer connection
    /// ([`Store::begin_batch`]): a commit by any other connection makes SQLite drop
    /// that connection's whole page cache at its next transaction, and the writer
    /// would then read every index page it touches back from the file.
    pub async fn upsert_trace_levels(&self, levels: &[TraceLevel], gone: &[i64]) -> Result<()> {
        let mut tx = self.begin_batch().await?;
        tx.upsert_trace_levels(levels, gone).await?;
        tx.commit().await
    }

    /// A person's trace level, if traced.
    pub async fn trace_level(&self, person_id: i64) -> Result<Option<TraceLevel>> {
        let row = sqlx::query(&format!(
            "select {TRACE_COLUMNS} from trace_level where person_id = $1"
        ))
        .bind(person_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(trace_from_row).transpose()
    }

    /// Every stored trace level, by level then person.
    pub async fn trace_levels(&self) -> Result<Vec<TraceLevel>> {
        let rows = sqlx::query(&format!(
            "select {TRACE_COLUMNS} from trace_level order by level, person_id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(trace_from_row).collect()
    }

    /// One page of the persons at `level`, by exposure time: at most `limit` (up to
    /// 1,000) after skipping `offset` (past `i64::MAX` counts as `i64::MAX`: an empty
    /// page).
    pub async fn trace_levels_at(
        &self,
        level: u8,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<TraceLevel>> {
        let rows = sqlx::query(&format!(
            "select {TRACE_COLUMNS} from trace_level where level = $1 \
             order by exposed_at, person_id limit {} offset {}",
            limit.min(1000),
            crate::sql_offset(offset)
        ))
        .bind(i64::from(level))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(trace_from_row).collect()
    }

    /// How many persons are at each level: `(level, count)`, by level.
    pub async fn trace_level_counts(&self) -> Result<Vec<(u8, u64)>> {
        let rows = sqlx::query(
            "select level, cast(count(*) as bigint) as n from trace_level group by level order by level",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let level: i64 = row.try_get("level")?;
                let n: i64 = row.try_get("n")?;
                Ok((
                    u8::try_from(level)
                        .map_err(|_| corrupt("trace_level.level", &level.to_string()))?,
                    u64::try_from(n).unwrap_or_default(),
                ))
            })
            .collect()
    }
}

impl crate::Tx {
    /// Writes the levels of these persons (inserting or replacing each row) and
    /// removes the persons of `gone`, in this transaction (the group commit writes
    /// the levels its batch moved with the batch).
    pub async fn upsert_trace_levels(&mut self, levels: &[TraceLevel], gone: &[i64]) -> Result<()> {
        let marks = crate::checkin_batch::Marks::of(self.tx.backend_name());
        for chunk in gone.chunks(500) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            sqlx::query(&format!(
                "delete from trace_level where person_id in ({list})"
            ))
            .execute(&mut *self.tx)
            .await?;
        }
        // Multi-row statements: a case that reaches thousands of persons is a handful of
        // round trips, not thousands (9 values a row, 200 rows: 1,800 parameters, under
        // every backend's limit; anonymous on SQLite, see `checkin_batch::Marks`).
        for chunk in levels.chunks(200) {
            let rows = crate::checkin_batch::placeholders(marks, chunk.len(), 9, 1);
            let sql = format!(
                "insert into trace_level ({TRACE_COLUMNS}) values {rows} \
                 on conflict (person_id) do update set level = excluded.level, \
                 exposed_at = excluded.exposed_at, via_person_id = excluded.via_person_id, \
                 via_kind = excluded.via_kind, via_place_id = excluded.via_place_id, \
                 via_start = excluded.via_start, via_end = excluded.via_end, \
                 computed_at = excluded.computed_at, updated_at = excluded.computed_at"
            );
            let mut query = sqlx::query(&sql);
            for l in chunk {
                query = query
                    .bind(l.person_id)
                    .bind(i64::from(l.level))
                    .bind(l.exposed_at.0)
                    .bind(l.via.map(|v| v.person_id))
                    .bind(l.via.map(|v| v.kind.as_str()))
                    .bind(l.via.and_then(|v| v.place_id))
                    .bind(l.via.map(|v| v.interval.start().0))
                    .bind(l.via.map(|v| v.interval.end().0))
                    .bind(l.computed_at.0);
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}
