//! Direct contacts (tiếp xúc gần) from case interviews:
//!
//! - `/contacts`: the contact list of the user's jurisdiction, newest first, a page at
//!   a time (keyset cursor `after=START.ID`), narrowed to a district, commune or
//!   village with `unit=CODE`;
//! - `/persons/{id}/contacts`: one person's contacts and the form that adds one (the
//!   other person found by search, by id or by reference; start and end in Vietnam
//!   time; the setting);
//! - `POST /api/v1/contacts` and `GET /api/v1/contacts`: the same over JSON.
//!
//! Both persons of a new contact must be inside the user's jurisdiction. Every new
//! contact is audited with the record after, and offered to the tracing engine at
//! once: the levels it changes are written before the answer.

use crate::api::ApiError;
use crate::auth::{self, CurrentUser};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::shell_signed_in;
use crate::persons::{search_scope, within};
use crate::scope::Scope;
use crate::state::AppState;
use crate::tests_form::{may_write, parse_local};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::get;
use axum::{Extension, Form, Json, Router};
use maud::{html, Markup};
use phongdich_domain::{Interval, Timestamp, UnitCode};
use phongdich_store::{
    Contact, ContactQuery, NewAuditEvent, NewContact, Person, PersonQuery, StoreError,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::SocketAddr;

/// Routes of this module (signed in).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list_page))
        .route(
            "/persons/{id}/contacts",
            get(person_contacts_page).post(add_contact_form),
        )
        .route("/api/v1/contacts", get(list_api).post(add_contact_api))
}

/// Contact-list totals per unit (`None`: the province), kept a minute; all dropped
/// when a contact is entered through the app (imports run in another process: their
/// contacts show in totals within a minute).
pub type CountCache = crate::cache::TtlCache<Option<UnitCode>, u64>;

/// Rows per page of the contact list.
pub const PAGE_SIZE: u64 = 50;

/// A new contact as the API takes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ContactInput {
    /// One person's id.
    pub a_id: i64,
    /// The other's.
    pub b_id: i64,
    /// Start, RFC 3339 with offset (`2021-05-12T08:00:00+07:00`) or Unix seconds.
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
    /// Whether the engine was ready (if not, the levels follow when it is built).
    pub traced: bool,
}

fn setting(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect())
}

async fn person_inside(state: &AppState, user: &CurrentUser, id: i64) -> Result<Person, AppError> {
    let person = match state.store().person(id).await {
        Ok(p) => p,
        Err(StoreError::NotFound { .. }) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    // Outside the jurisdiction answers as if the person did not exist.
    if !within(state.store(), person.unit_code.as_ref(), &user.jurisdiction).await? {
        return Err(AppError::NotFound);
    }
    Ok(person)
}

/// Stores a direct contact between two persons inside the user's jurisdiction,
/// audits it and updates the levels it changes.
pub async fn add_contact(
    state: &AppState,
    user: &CurrentUser,
    ip: Option<String>,
    a_id: i64,
    b_id: i64,
    interval: Interval,
    setting: Option<String>,
) -> Result<Added, AppError> {
    if !may_write(user) {
        return Err(AppError::Forbidden);
    }
    if a_id == b_id {
        return Err(AppError::BadRequest(
            "a contact is between two different persons",
        ));
    }
    person_inside(state, user, a_id).await?;
    person_inside(state, user, b_id).await?;
    let contact_id = state
        .store()
        .insert_contact(&NewContact {
            a_id,
            b_id,
            interval,
            setting: setting.clone(),
        })
        .await?;
    let after = serde_json::json!({
        "a_id": a_id,
        "b_id": b_id,
        "start": interval.start().to_rfc3339(),
        "end": interval.end().to_rfc3339(),
        "setting": setting,
    });
    state
        .store()
        .insert_audit_event(&NewAuditEvent {
            at: auth::now(),
            user_id: Some(user.session.user.id),
            action: "create".to_owned(),
            entity: "contact".to_owned(),
            entity_id: contact_id.to_string(),
            before_json: None,
            after_json: Some(after.to_string()),
            ip,
        })
        .await?;
    state.contact_counts().clear();
    // The engine: waits while it is being built at start.
    let mut slot = state.trace().write().await;
    let (levels_changed, traced) = match slot.as_mut() {
        Some(trace) => {
            let (rows, gone) = trace
                .add_contact(a_id, b_id, interval, Timestamp(auth::now()))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            state.store().upsert_trace_levels(&rows, &gone).await?;
            (rows.len() + gone.len(), true)
        }
        None => (0, false),
    };
    drop(slot);
    tracing::info!(
        contact.id = contact_id,
        contact.a = a_id,
        contact.b = b_id,
        levels_changed,
        "contact entered"
    );
    Ok(Added {
        contact_id,
        levels_changed,
        traced,
    })
}

/// A keyset cursor: the start (Unix seconds) and id of the last row shown.
fn parse_cursor(s: &str) -> Option<(Timestamp, i64)> {
    let (start, id) = s.trim().split_once('.')?;
    Some((Timestamp(start.parse().ok()?), id.parse().ok()?))
}

fn cursor_of(c: &Contact) -> String {
    format!("{}.{}", c.interval.start().0, c.id)
}

/// One page of the contact list of `scope` (narrowed to `unit` if given), with the
/// persons of the page and the total.
struct ListPage {
    unit: Option<UnitCode>,
    contacts: Vec<Contact>,
    persons: HashMap<i64, Person>,
    total: u64,
    next: Option<String>,
}

async fn list(
    state: &AppState,
    scope: &Scope,
    unit: Option<&str>,
    after: Option<&str>,
) -> Result<ListPage, AppError> {
    let store = state.store();
    let unit = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(text) => {
            let code =
                UnitCode::parse(text).map_err(|_| AppError::BadRequest("unit: not a unit code"))?;
            Some(
                scope
                    .narrow(store, &code)
                    .await?
                    .ok_or(AppError::NotFound)?,
            )
        }
        None => scope.filter(),
    };
    let after = match after.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => Some(
            parse_cursor(a).ok_or(AppError::BadRequest("after: not a cursor this list gave"))?,
        ),
        None => None,
    };
    let contacts = store
        .contact_list(&ContactQuery {
            unit: unit.clone(),
            after,
            limit: PAGE_SIZE,
        })
        .await?;
    let total = state
        .contact_counts()
        .get_or_compute(unit.clone(), || async {
            Ok::<_, AppError>(store.contact_list_count(unit.as_ref()).await?)
        })
        .await?;
    let mut ids: Vec<i64> = contacts.iter().flat_map(|c| [c.a_id, c.b_id]).collect();
    ids.sort_unstable();
    ids.dedup();
    let persons = store
        .persons_by_ids(&ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let next = (contacts.len() as u64 == PAGE_SIZE)
        .then(|| contacts.last().map(cursor_of))
        .flatten();
    Ok(ListPage {
        unit,
        contacts,
        persons,
        total,
        next,
    })
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    unit: Option<String>,
    after: Option<String>,
}

fn person_cell(lang: Lang, scope: &Scope, p: Option<&Person>) -> Markup {
    html! {
        @match p {
            Some(p) if scope.contains(p.unit_code.as_ref()) => {
                a href={ "/persons/" (p.id) } { (p.full_name.as_str()) }
                @if let Some(u) = &p.unit_code { " " span.muted { (u.as_str()) } }
            }
            _ => span.muted { (lang.t("(ngoài địa bàn)", "(outside the jurisdiction)")) },
        }
    }
}

async fn list_page(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    lang: Lang,
    Query(q): Query<ListQuery>,
) -> Result<Markup, AppError> {
    let scope = Scope::of(state.store(), &user.jurisdiction)
        .await?
        .ok_or(AppError::Forbidden)?;
    let page = list(&state, &scope, q.unit.as_deref(), q.after.as_deref()).await?;
    let units = scope.filter_units(state.store()).await?;
    let chosen = page.unit.as_ref().map(UnitCode::as_str).unwrap_or_default();
    let content = html! {
        h1 { (lang.t("Danh sách tiếp xúc gần", "Close contacts")) }
        form.inline method="get" action="/contacts" {
            label { (lang.t("Địa bàn", "Unit"))
                select name="unit" {
                    option value="" { (lang.t("Toàn bộ địa bàn", "The whole jurisdiction")) }
                    @for u in &units {
                        option value=(u.code.as_str()) selected[u.code.as_str() == chosen] {
                            (u.level.label_vi()) " " (u.name) " (" (u.code.as_str()) ")"
                        }
                    }
                }
            }
            button type="submit" { (lang.t("Lọc", "Filter")) }
        }
        p.muted {
            (lang.t("Số lượt tiếp xúc: ", "Contacts: "))
            span #contact-total { (lang.number(i64::try_from(page.total).unwrap_or(i64::MAX))) }
        }
        div.table-wrap { table {
            thead { tr {
                th { (lang.t("Bắt đầu", "Start")) }
                th { (lang.t("Kết thúc", "End")) }
                th { (lang.t("Người thứ nhất", "First person")) }
                th { (lang.t("Người thứ hai", "Second person")) }
                th { (lang.t("Hoàn cảnh", "Setting")) }
            } }
            tbody { @for c in &page.contacts { tr {
                td { (c.interval.start()) }
                td { (c.interval.end()) }
                td { (person_cell(lang, &scope, page.persons.get(&c.a_id))) }
                td { (person_cell(lang, &scope, page.persons.get(&c.b_id))) }
                td { @if let Some(s) = &c.setting { (s) } }
            } } }
        } }
        @if let Some(next) = &page.next {
            p { a rel="next" href={ "/contacts?unit=" (chosen) "&after=" (next) } {
                (lang.t("Trang sau →", "Next page →"))
            } }
        }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Tiếp xúc gần", "Close contacts"),
        "/contacts",
        &user,
        content,
    ))
}

#[derive(Debug, Deserialize)]
struct PersonContactsQuery {
    /// Search text for the other person.
    #[serde(default)]
    q: String,
    /// The other person chosen from the search.
    other: Option<i64>,
}

async fn person_contacts_page(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    lang: Lang,
    Path(id): Path<i64>,
    Query(q): Query<PersonContactsQuery>,
) -> Result<Markup, AppError> {
    let person = person_inside(&state, &user, id).await?;
    let store = state.store();
    store
        .insert_audit_event(&NewAuditEvent {
            at: auth::now(),
            user_id: Some(user.session.user.id),
            action: "view".to_owned(),
            entity: "person".to_owned(),
            entity_id: person.id.to_string(),
            before_json: None,
            after_json: None,
            ip: peer.map(|Extension(ConnectInfo(a))| a.ip().to_string()),
        })
        .await?;
    let scope = Scope::of(store, &user.jurisdiction)
        .await?
        .ok_or(AppError::Forbidden)?;
    let contacts = store.contacts_of_person(person.id).await?;
    let mut ids: Vec<i64> = contacts.iter().flat_map(|c| [c.a_id, c.b_id]).collect();
    ids.sort_unstable();
    ids.dedup();
    let persons: HashMap<i64, Person> = store
        .persons_by_ids(&ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let text = q.q.trim().to_owned();
    let found = match (text.is_empty(), search_scope(&user.jurisdiction)) {
        (false, Some(unit)) => {
            store
                .search_persons(&PersonQuery {
                    text: text.clone(),
                    unit,
                    offset: 0,
                    limit: 20,
                })
                .await?
                .items
        }
        _ => Vec::new(),
    };
    let chosen = match q.other {
        Some(o) if o != person.id => store
            .persons_by_ids(&[o])
            .await?
            .into_iter()
            .find(|p| scope.contains(p.unit_code.as_ref())),
        _ => None,
    };
    let base = format!("/persons/{}/contacts", person.id);
    let content = html! {
        h1 { (lang.t("Tiếp xúc gần của ", "Close contacts of ")) a href={ "/persons/" (person.id) } { (person.full_name.as_str()) } }
        @if contacts.is_empty() {
            p.muted { (lang.t("Chưa ghi nhận tiếp xúc gần.", "No close contact recorded.")) }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th { (lang.t("Bắt đầu", "Start")) }
                    th { (lang.t("Kết thúc", "End")) }
                    th { (lang.t("Với", "With")) }
                    th { (lang.t("Hoàn cảnh", "Setting")) }
                } }
                tbody { @for c in &contacts { tr.contact {
                    td { (c.interval.start()) }
                    td { (c.interval.end()) }
                    td { (person_cell(lang, &scope, persons.get(if c.a_id == person.id { &c.b_id } else { &c.a_id }))) }
                    td { @if let Some(s) = &c.setting { (s) } }
                } } }
            } }
        }
        @if may_write(&user) {
            h2 { (lang.t("Thêm tiếp xúc gần (điều tra ca bệnh)", "Add a close contact (case interview)")) }
            form.inline method="get" action=(base) role="search" {
                input type="search" name="q" value=(text)
                    placeholder=(lang.t("Tìm người tiếp xúc: họ tên, CCCD hoặc điện thoại", "Find the contact: name, ID number or phone"));
                button type="submit" { (lang.t("Tìm", "Search")) }
            }
            @if !found.is_empty() {
                ul.found { @for p in &found { @if p.id != person.id {
                    li {
                        (p.full_name.as_str()) " · #" (p.id) " · " (p.reference)
                        @if let Some(u) = &p.unit_code { " · " (u.as_str()) }
                        " · " a.choose href={ (base) "?other=" (p.id) } { (lang.t("Chọn", "Choose")) }
                    }
                } } }
            } @else if !text.is_empty() {
                p.muted { (lang.t("Không tìm thấy ai trong địa bàn.", "Nobody found in the jurisdiction.")) }
            }
            form.stack method="post" action=(base) {
                input type="hidden" name="csrf" value=(user.session.csrf_token);
                label { (lang.t("Người tiếp xúc (số # hoặc mã)", "Contact person (# number or reference)"))
                    input type="text" name="other" required
                        value=[chosen.as_ref().map(|p| p.id.to_string())]; }
                @if let Some(p) = &chosen { p.muted { (p.full_name.as_str()) } }
                label { (lang.t("Từ (giờ Việt Nam)", "From (Vietnam time)"))
                    input type="datetime-local" name="start" required; }
                label { (lang.t("Đến (giờ Việt Nam)", "Until (Vietnam time)"))
                    input type="datetime-local" name="end" required; }
                label { (lang.t("Hoàn cảnh (ăn chung, cùng nhà, nơi làm việc...)", "Setting (shared meal, household, work...)"))
                    input type="text" name="setting" maxlength="200"; }
                button type="submit" id="add-contact" { (lang.t("Lưu tiếp xúc", "Save contact")) }
            }
        }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Tiếp xúc gần", "Close contacts"),
        &base,
        &user,
        content,
    ))
}

#[derive(Debug, Deserialize)]
struct ContactForm {
    csrf: String,
    other: String,
    start: String,
    end: String,
    #[serde(default)]
    setting: Option<String>,
}

/// The other person of the form: `#123`, `123` or a reference (`P0000123`).
async fn resolve_other(state: &AppState, text: &str) -> Result<i64, AppError> {
    let t = text.trim().trim_start_matches('#').trim();
    if t.is_empty() {
        return Err(AppError::BadRequest("other: the contact person is needed"));
    }
    if let Ok(id) = t.parse::<i64>() {
        return Ok(id);
    }
    match state.store().person_by_ref(t).await {
        Ok(p) => Ok(p.id),
        Err(StoreError::NotFound { .. }) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn add_contact_form(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(id): Path<i64>,
    Form(f): Form<ContactForm>,
) -> Result<Redirect, AppError> {
    if !auth::same_secret(&user.session.csrf_token, &f.csrf) {
        return Err(AppError::Csrf);
    }
    if !may_write(&user) {
        return Err(AppError::Forbidden);
    }
    let start =
        parse_local(&f.start).ok_or(AppError::BadRequest("start: expected YYYY-MM-DDTHH:MM"))?;
    let end = parse_local(&f.end).ok_or(AppError::BadRequest("end: expected YYYY-MM-DDTHH:MM"))?;
    let interval = Interval::new(start, end)
        .map_err(|_| AppError::BadRequest("the end is before the start"))?;
    let other = resolve_other(&state, &f.other).await?;
    let ip = peer.map(|Extension(ConnectInfo(a))| a.ip().to_string());
    add_contact(
        &state,
        &user,
        ip,
        id,
        other,
        interval,
        setting(f.setting.as_deref()),
    )
    .await?;
    Ok(Redirect::to(&format!("/persons/{id}/contacts")))
}

/// Add a direct contact between two persons of the caller's jurisdiction (audited);
/// the levels it changes are updated before the answer.
#[utoipa::path(post, path = "/api/v1/contacts", request_body = ContactInput,
    responses((status = 201, body = Added), (status = 400, body = crate::api::ErrorBody),
              (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn add_contact_api(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Json(input): Json<ContactInput>,
) -> Result<(StatusCode, Json<Added>), ApiError> {
    let time = |s: &str| match s.trim().parse::<i64>() {
        Ok(secs) => Some(Timestamp(secs)),
        Err(_) => Timestamp::parse(s).ok(),
    };
    let start = time(&input.start).ok_or(AppError::BadRequest(
        "start: expected RFC 3339 or Unix seconds",
    ))?;
    let end = time(&input.end).ok_or(AppError::BadRequest(
        "end: expected RFC 3339 or Unix seconds",
    ))?;
    let interval =
        Interval::new(start, end).map_err(|_| AppError::BadRequest("end is before start"))?;
    let ip = peer.map(|Extension(ConnectInfo(a))| a.ip().to_string());
    let added = add_contact(
        &state,
        &user,
        ip,
        input.a_id,
        input.b_id,
        interval,
        setting(input.setting.as_deref()),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// A contact as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactJson {
    id: i64,
    /// One person's id; `null` when outside the caller's jurisdiction.
    a_id: Option<i64>,
    /// The other's, likewise.
    b_id: Option<i64>,
    start: String,
    end: String,
    setting: Option<String>,
}

/// One page of contacts; pass `next_cursor` as `cursor` for the next.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactsPage {
    items: Vec<ContactJson>,
    total: u64,
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct ContactsQuery {
    /// Narrow to this district, commune or village (inside the jurisdiction).
    unit: Option<String>,
    /// Opaque cursor from the previous page's `next_cursor`.
    cursor: Option<String>,
}

/// The contact list of the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/contacts", params(ContactsQuery),
    responses((status = 200, body = ContactsPage), (status = 400, body = crate::api::ErrorBody),
              (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)))]
pub(crate) async fn list_api(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Query(q): Query<ContactsQuery>,
) -> Result<Json<ContactsPage>, ApiError> {
    let scope = Scope::of(state.store(), &user.jurisdiction)
        .await?
        .ok_or(AppError::Forbidden)?;
    let page = list(&state, &scope, q.unit.as_deref(), q.cursor.as_deref()).await?;
    let inside = |id: i64| {
        page.persons
            .get(&id)
            .filter(|p| scope.contains(p.unit_code.as_ref()))
            .map(|p| p.id)
    };
    Ok(Json(ContactsPage {
        items: page
            .contacts
            .iter()
            .map(|c| ContactJson {
                id: c.id,
                a_id: inside(c.a_id),
                b_id: inside(c.b_id),
                start: c.interval.start().to_rfc3339(),
                end: c.interval.end().to_rfc3339(),
                setting: c.setting.clone(),
            })
            .collect(),
        total: page.total,
        next_cursor: page.next,
    }))
}
