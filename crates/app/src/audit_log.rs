//! Reading the audit log: province administrators only, filtered by account (sign-in
//! or display name), action, record and local dates, newest first.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::{input, App};
use chrono::NaiveDate;
use phongdich_domain::{Role, Timestamp};
use phongdich_store::{AuditEvent, AuditFilter};
use std::collections::HashMap;

/// The actions the log records.
pub const ACTIONS: [&str; 4] = ["create", "update", "delete", "view"];

/// Events per page.
pub const PAGE: u64 = 200;

/// What to show, as typed in the filter form.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Kind of record (`person`, `case`...).
    pub entity: Option<String>,
    /// Its id.
    pub id: Option<String>,
    /// Sign-in or display name of the account that acted.
    pub user: Option<String>,
    /// One of [`ACTIONS`].
    pub action: Option<String>,
    /// First local date, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last local date.
    pub to: Option<String>,
    /// Only events older than this id (the cursor).
    pub before: Option<String>,
}

/// A page of the log.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The events, newest first.
    pub events: Vec<AuditEvent>,
    /// Account names by id: (sign-in name, display name).
    pub accounts: HashMap<i64, (String, String)>,
    /// The id to pass as `before` for older events.
    pub older: Option<i64>,
}

fn local_date(field: &'static str, s: Option<&str>) -> AppResult<Option<NaiveDate>> {
    input::optional(s)
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                AppError::invalid(
                    field,
                    "Ngày không đúng dạng NNNN-TT-NN.",
                    "Expected YYYY-MM-DD.",
                )
            })
        })
        .transpose()
}

impl App {
    /// One page of the audit log.
    pub async fn audit_log(&self, actor: &Actor, q: &AuditQuery) -> AppResult<AuditPage> {
        if actor.role != Role::ProvinceAdmin {
            return Err(AppError::Forbidden);
        }
        let accounts: HashMap<i64, (String, String)> = self
            .store()
            .users()
            .await?
            .into_iter()
            .map(|u| (u.id, (u.username, u.display_name)))
            .collect();
        let action = input::optional(q.action.as_deref()).map(str::to_owned);
        if action.as_deref().is_some_and(|a| !ACTIONS.contains(&a)) {
            return Err(AppError::invalid(
                "action",
                "Thao tác phải là create, update, delete hoặc view.",
                "action: create, update, delete or view.",
            ));
        }
        let user_id = match input::optional(q.user.as_deref()) {
            Some(name) => {
                let folded = phongdich_domain::text::fold(name);
                Some(
                    accounts
                        .iter()
                        .find(|(_, (u, d))| u == name || phongdich_domain::text::fold(d) == folded)
                        .map(|(id, _)| *id)
                        // No such account: nothing can match.
                        .unwrap_or(-1),
                )
            }
            None => None,
        };
        let from = local_date("from", q.from.as_deref())?;
        let to = local_date("to", q.to.as_deref())?;
        let before_id = match input::optional(q.before.as_deref()) {
            Some(b) => Some(b.parse::<i64>().map_err(|_| {
                AppError::invalid(
                    "before",
                    "Con trỏ trang không hợp lệ.",
                    "Not a cursor this page gave.",
                )
            })?),
            None => None,
        };
        let entity = input::optional(q.entity.as_deref()).map(str::to_owned);
        let filter = AuditFilter {
            entity_id: entity
                .as_ref()
                .and(input::optional(q.id.as_deref()).map(str::to_owned)),
            entity,
            user_id,
            action,
            from: from.map(|d| Timestamp::local_midnight(d).0),
            until: to
                .and_then(|d| d.succ_opt())
                .map(|d| Timestamp::local_midnight(d).0),
            before_id,
            limit: PAGE,
        };
        let events = self.store().audit_search(&filter).await?;
        let older = (events.len() as u64 == PAGE)
            .then(|| events.last().map(|e| e.id))
            .flatten();
        Ok(AuditPage {
            events,
            accounts,
            older,
        })
    }
}
