//! The audit log (`audit_event`): who created, changed, deleted or viewed which personal
//! data, when, from where, with the record before and after as JSON text.

use crate::backend::{BulkRow, FieldSink, Table};
use crate::error::{classify, Result, StoreError};
use crate::Store;
use sqlx::{AnyConnection, Row};

/// An event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// When, Unix seconds.
    pub at: i64,
    /// The staff account that acted (`None` for the system).
    pub user_id: Option<i64>,
    /// `create`, `update`, `delete` or `view`.
    pub action: String,
    /// What kind of record (`person`, `case`...).
    pub entity: String,
    /// Its id.
    pub entity_id: String,
    /// The record before, as JSON (none for create and view).
    pub before_json: Option<String>,
    /// The record after, as JSON (none for delete and view).
    pub after_json: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
}

/// The audit table as bulk loads write it (the id is generated).
pub(crate) static AUDIT_EVENT: Table = Table {
    name: "audit_event",
    columns: &[
        "at",
        "user_id",
        "action",
        "entity",
        "entity_id",
        "before_json",
        "after_json",
        "ip",
        "created_at",
        "updated_at",
    ],
    has_id: false,
    deferred_indexes: &[],
    foreign_keys: &[],
};

impl BulkRow for NewAuditEvent {
    const TABLE: &'static Table = &AUDIT_EVENT;
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>) {
        out.int(self.at);
        out.opt_int(self.user_id);
        out.text(&self.action);
        out.text(&self.entity);
        out.text(&self.entity_id);
        out.opt_text(self.before_json.as_deref());
        out.opt_text(self.after_json.as_deref());
        out.opt_text(self.ip.as_deref());
        out.int(self.at);
        out.int(self.at);
    }
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Id, increasing.
    pub id: i64,
    /// The event.
    pub event: NewAuditEvent,
}

/// Which audit events to read: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Kind of record (`person`, `case`...).
    pub entity: Option<String>,
    /// Its id (with `entity`).
    pub entity_id: Option<String>,
    /// The account that acted.
    pub user_id: Option<i64>,
    /// `create`, `update`, `delete` or `view`.
    pub action: Option<String>,
    /// From this instant (Unix seconds, inclusive).
    pub from: Option<i64>,
    /// Until this instant (exclusive).
    pub until: Option<i64>,
    /// Only events older than this id: the cursor of the next page.
    pub before_id: Option<i64>,
    /// At most this many: 0 counts as 1 and anything above 1,000 as 1,000.
    pub limit: u64,
}

/// Audit events per multi-row `insert`: 8 bound values each, far below both backends'
/// limits on bound values, and big enough that a batch of thousands is a few statements.
const AUDIT_ROWS_PER_INSERT: usize = 200;

/// `insert into audit_event ... values (...), (...)` for `rows` events, 8 values each;
/// `returning id` when `returning`.
fn insert_sql(rows: usize, returning: bool) -> String {
    let mut sql = String::from(
        "insert into audit_event (at, user_id, action, entity, entity_id, before_json, \
         after_json, ip, created_at, updated_at) values ",
    );
    for i in 0..rows {
        let b = i * 8;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 1,
            b + 1
        ));
    }
    if returning {
        sql.push_str(" returning id");
    }
    sql
}

fn bind_event<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    e: &'q NewAuditEvent,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(e.at)
        .bind(e.user_id)
        .bind(e.action.as_str())
        .bind(e.entity.as_str())
        .bind(e.entity_id.as_str())
        .bind(e.before_json.as_deref())
        .bind(e.after_json.as_deref())
        .bind(e.ip.as_deref())
}

/// Records one event on `conn` (a pooled connection or an open [`crate::Tx`]).
pub(crate) async fn insert_event(conn: &mut AnyConnection, e: &NewAuditEvent) -> Result<i64> {
    let sql = insert_sql(1, true);
    let row = bind_event(sqlx::query(&sql), e)
        .fetch_one(conn)
        .await
        .map_err(|err| classify(err, |_| None))?;
    row.try_get("id").map_err(StoreError::Database)
}

/// Records `events` on `conn` in multi-row statements of [`AUDIT_ROWS_PER_INSERT`].
pub(crate) async fn insert_events(
    conn: &mut AnyConnection,
    events: &[NewAuditEvent],
) -> Result<()> {
    let full_sql = insert_sql(AUDIT_ROWS_PER_INSERT, false);
    for chunk in events.chunks(AUDIT_ROWS_PER_INSERT) {
        let tail_sql;
        let sql = if chunk.len() == AUDIT_ROWS_PER_INSERT {
            full_sql.as_str()
        } else {
            tail_sql = insert_sql(chunk.len(), false);
            tail_sql.as_str()
        };
        let mut q = sqlx::query(sql).persistent(chunk.len() == AUDIT_ROWS_PER_INSERT);
        for e in chunk {
            q = bind_event(q, e);
        }
        q.execute(&mut *conn)
            .await
            .map_err(|err| classify(err, |_| None))?;
    }
    Ok(())
}

impl Store {
    /// Records an audit event; an unknown action is [`StoreError::Invalid`].
    pub async fn insert_audit_event(&self, e: &NewAuditEvent) -> Result<i64> {
        let _turn = self.write_gate().await;
        let mut conn = self.pool().acquire().await?;
        insert_event(&mut conn, e).await
    }

    /// Records many audit events (the views of a listing, an import's creations) in
    /// one transaction of multi-row statements: all or none. On its own connection; to
    /// record them with the change they describe, use [`crate::Tx::insert_audit_events`].
    pub async fn insert_audit_events(&self, events: &[NewAuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        tx.insert_audit_events(events).await?;
        tx.commit().await
    }

    /// The newest events first, optionally only those of one entity (`person`, id),
    /// at most `limit`.
    pub async fn audit_events(
        &self,
        entity: Option<(&str, &str)>,
        limit: u64,
    ) -> Result<Vec<AuditEvent>> {
        let (entity, entity_id) = entity.unzip();
        self.audit_search(&AuditFilter {
            entity: entity.map(str::to_owned),
            entity_id: entity_id.map(str::to_owned),
            limit,
            ..AuditFilter::default()
        })
        .await
    }

    /// The newest events first that match every condition of `filter`.
    pub async fn audit_search(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>> {
        let limit = i64::try_from(filter.limit.clamp(1, 1000)).unwrap_or(1000);
        let rows = sqlx::query(
            "select id, at, user_id, action, entity, entity_id, before_json, after_json, ip \
             from audit_event \
             where (cast($1 as text) is null or entity = $1) \
             and (cast($2 as text) is null or entity_id = $2) \
             and (cast($3 as bigint) is null or user_id = $3) \
             and (cast($4 as text) is null or action = $4) \
             and (cast($5 as bigint) is null or at >= $5) \
             and (cast($6 as bigint) is null or at < $6) \
             and (cast($7 as bigint) is null or id < $7) \
             order by id desc limit $8",
        )
        .bind(filter.entity.clone())
        .bind(filter.entity_id.clone())
        .bind(filter.user_id)
        .bind(filter.action.clone())
        .bind(filter.from)
        .bind(filter.until)
        .bind(filter.before_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::Database)?;
        rows.iter()
            .map(|r| {
                Ok(AuditEvent {
                    id: r.try_get("id").map_err(StoreError::Database)?,
                    event: NewAuditEvent {
                        at: r.try_get("at").map_err(StoreError::Database)?,
                        user_id: r.try_get("user_id").map_err(StoreError::Database)?,
                        action: r.try_get("action").map_err(StoreError::Database)?,
                        entity: r.try_get("entity").map_err(StoreError::Database)?,
                        entity_id: r.try_get("entity_id").map_err(StoreError::Database)?,
                        before_json: r.try_get("before_json").map_err(StoreError::Database)?,
                        after_json: r.try_get("after_json").map_err(StoreError::Database)?,
                        ip: r.try_get("ip").map_err(StoreError::Database)?,
                    },
                })
            })
            .collect()
    }
}
