//! Direct contacts (tiếp xúc gần) from case interviews: entering one (both persons
//! inside the jurisdiction; one transaction with its audit event; offered to the engine
//! at once), the contact list of a jurisdiction (audited as a list read) and one
//! person's contacts (audited as a view of that person).

use crate::access::{check_role, Action};
use crate::actor::Actor;
use crate::engine::{Change, Traced};
use crate::error::{AppError, AppResult};
use crate::persons::Someone;
use crate::{input, App};
use phongdich_domain::{Interval, Timestamp, UnitCode};
use phongdich_store::{Contact, ContactQuery, NewContact, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Rows per page of the contact list.
pub const PAGE_SIZE: u64 = 50;

/// Contact-list totals per unit (`None`: the whole deployment), kept a minute; all
/// dropped when a contact is entered through the app (imports by the command line show
/// within a minute).
pub type CountCache = crate::cache::TtlCache<Option<UnitCode>, u64>;

/// A new contact.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ContactInput {
    /// One person's id.
    pub a_id: i64,
    /// The other's.
    pub b_id: i64,
    /// Start: RFC 3339 with offset (`2021-05-12T08:00:00+07:00`), local
    /// `YYYY-MM-DDTHH:MM` or Unix seconds.
    pub start: String,
    /// End, likewise; not before the start.
    pub end: String,
    /// Where or how (a shared meal, the household, work...).
    #[serde(default)]
    pub setting: Option<String>,
}

/// What adding a contact did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Added {
    /// The contact's id.
    pub contact_id: i64,
    /// Persons whose level changed.
    pub levels_changed: usize,
    /// Whether the levels are already updated (if not, the engine applies the contact
    /// when it is built).
    pub traced: bool,
}

/// One page of a contact list.
#[derive(Debug, Clone)]
pub struct ContactPage {
    /// The unit the list is narrowed to (`None`: the whole deployment).
    pub unit: Option<UnitCode>,
    /// The contacts, newest first.
    pub contacts: Vec<Contact>,
    /// Each person of the page as the actor may see them.
    pub persons: HashMap<i64, Someone>,
    /// How many in all.
    pub total: u64,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// A keyset cursor: the start (Unix seconds) and id of the last row shown.
fn parse_cursor(s: &str) -> Option<(Timestamp, i64)> {
    let (start, id) = s.trim().split_once('.')?;
    Some((Timestamp(start.parse().ok()?), id.parse().ok()?))
}

fn cursor_of(c: &Contact) -> String {
    format!("{}.{}", c.interval.start().0, c.id)
}

impl App {
    /// The other person of a form: `#123`, `123` or a reference (`P0000123`).
    pub async fn resolve_person(&self, field: &'static str, text: &str) -> AppResult<i64> {
        let t = text.trim().trim_start_matches('#').trim();
        if t.is_empty() {
            return Err(AppError::invalid(
                field,
                "Cần chọn người tiếp xúc.",
                "The contact person is needed.",
            ));
        }
        if let Ok(id) = t.parse::<i64>() {
            return Ok(id);
        }
        match self.store().person_by_ref(t).await {
            Ok(p) => Ok(p.id),
            Err(StoreError::NotFound { .. }) => Err(AppError::invalid(
                field,
                "Không tìm thấy người này.",
                "No such person.",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores a direct contact between two persons of the actor's jurisdiction,
    /// audits it and updates the levels it changes.
    pub async fn add_contact(
        &self,
        actor: &Actor,
        input: &ContactInput,
        key: Option<&str>,
    ) -> AppResult<Added> {
        check_role(actor, Action::Write)?;
        if input.a_id == input.b_id {
            return Err(AppError::invalid(
                "b_id",
                "Tiếp xúc gần là giữa hai người khác nhau.",
                "A contact is between two different persons.",
            ));
        }
        let (a, _) = self
            .person_in_scope(actor, input.a_id, Action::Write)
            .await?;
        let (b, _) = self
            .person_in_scope(actor, input.b_id, Action::Write)
            .await?;
        if let Some(contact_id) = self.replayed(actor, key).await? {
            return Ok(Added {
                contact_id,
                levels_changed: 0,
                traced: true,
            });
        }
        let now = self.now();
        let start = input::instant("start", &input.start, now)?;
        let end = input::instant("end", &input.end, now)?;
        let interval = Interval::new(start, end).map_err(|_| {
            AppError::invalid(
                "end",
                "Thời điểm kết thúc trước thời điểm bắt đầu.",
                "The end is before the start.",
            )
        })?;
        let setting = input::short_text(input.setting.as_deref(), 200);
        let after = serde_json::json!({
            "a_id": a.id,
            "b_id": b.id,
            "start": interval.start().to_rfc3339(),
            "end": interval.end().to_rfc3339(),
            "setting": setting,
        });
        let mut tx = self.store().begin().await?;
        let contact_id = tx
            .insert_contact(&NewContact {
                a_id: a.id,
                b_id: b.id,
                interval,
                setting,
            })
            .await?;
        tx.insert_audit_event(&self.event(actor, "create", "contact", contact_id, Some(after)))
            .await?;
        if let Some(earlier) = self
            .commit_write(tx, actor, key, "add_contact", contact_id)
            .await?
        {
            return Ok(Added {
                contact_id: earlier,
                levels_changed: 0,
                traced: true,
            });
        }
        self.inner.contact_counts.clear();
        let traced = self
            .engine()
            .apply(Change::Contact {
                a_id: a.id,
                b_id: b.id,
                interval,
            })
            .await;
        tracing::info!(contact.id = contact_id, ?traced, "contact entered");
        Ok(Added {
            contact_id,
            levels_changed: match traced {
                Traced::Applied { levels_changed } => levels_changed,
                _ => 0,
            },
            traced: matches!(traced, Traced::Applied { .. }),
        })
    }

    /// One page of the contact list of the actor's jurisdiction (narrowed to `unit`),
    /// newest first; audited as a list read with the contact ids shown.
    pub async fn list_contacts(
        &self,
        actor: &Actor,
        unit: Option<&str>,
        after: Option<&str>,
    ) -> AppResult<ContactPage> {
        let scope = self.scope(actor).await?;
        let store = self.store();
        let unit = match scope.chosen(store, unit).await? {
            Some(code) => Some(code),
            None => scope.filter(),
        };
        let after = match input::optional(after) {
            Some(a) => Some(parse_cursor(a).ok_or_else(|| {
                AppError::invalid(
                    "cursor",
                    "Con trỏ trang không hợp lệ.",
                    "Not a cursor this list gave.",
                )
            })?),
            None => None,
        };
        let contacts = store
            .contact_list(&ContactQuery {
                unit: unit.clone(),
                after,
                limit: PAGE_SIZE,
            })
            .await?;
        let total = self
            .inner
            .contact_counts
            .get_or_compute(unit.clone(), || async {
                Ok::<_, AppError>(store.contact_list_count(unit.as_ref()).await?)
            })
            .await?;
        let ids: Vec<i64> = contacts.iter().flat_map(|c| [c.a_id, c.b_id]).collect();
        let persons = self.someones(&scope, &ids).await?;
        store
            .insert_audit_event(&self.event(
                actor,
                "view",
                "contact_list",
                unit.as_ref().map(UnitCode::as_str).unwrap_or_default(),
                Some(serde_json::json!({
                    "contacts": contacts.iter().map(|c| c.id).collect::<Vec<_>>(),
                })),
            ))
            .await?;
        let next = (contacts.len() as u64 == PAGE_SIZE)
            .then(|| contacts.last().map(cursor_of))
            .flatten();
        Ok(ContactPage {
            unit,
            contacts,
            persons,
            total,
            next,
        })
    }

    /// One person's contacts, each other person as the actor may see them (audited
    /// as a view of the person).
    pub async fn person_contacts(
        &self,
        actor: &Actor,
        id: i64,
    ) -> AppResult<(phongdich_store::Person, Vec<(Contact, Someone)>)> {
        let (person, scope) = self.person_in_scope(actor, id, Action::Read).await?;
        self.store()
            .insert_audit_event(&self.event(actor, "view", "person", person.id, None))
            .await?;
        let contacts = self.store().contacts_of_person(person.id).await?;
        let others: Vec<i64> = contacts
            .iter()
            .map(|c| if c.a_id == person.id { c.b_id } else { c.a_id })
            .collect();
        let who = self.someones(&scope, &others).await?;
        let rows = contacts
            .into_iter()
            .zip(others)
            .map(|(c, o)| {
                let s = who
                    .get(&o)
                    .cloned()
                    .unwrap_or(Someone::Outside { commune: None });
                (c, s)
            })
            .collect();
        Ok((person, rows))
    }
}
