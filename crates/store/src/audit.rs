//! The audit log (`audit_event`): who created, changed, deleted or viewed which personal
//! data, when, from where, with the record before and after as JSON text.

use crate::error::{classify, Result, StoreError};
use crate::Store;
use sqlx::Row;

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
    /// At most this many (1 to 1,000).
    pub limit: u64,
}

impl Store {
    /// Records an audit event; an unknown action is [`StoreError::Invalid`].
    pub async fn insert_audit_event(&self, e: &NewAuditEvent) -> Result<i64> {
        let row = sqlx::query(
            "insert into audit_event (at, user_id, action, entity, entity_id, before_json, \
             after_json, ip, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $1, $1) returning id",
        )
        .bind(e.at)
        .bind(e.user_id)
        .bind(e.action.clone())
        .bind(e.entity.clone())
        .bind(e.entity_id.clone())
        .bind(e.before_json.clone())
        .bind(e.after_json.clone())
        .bind(e.ip.clone())
        .fetch_one(self.pool())
        .await
        .map_err(|err| classify(err, |_| None))?;
        row.try_get("id").map_err(StoreError::Database)
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
