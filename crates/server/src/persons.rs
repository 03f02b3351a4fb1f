//! Persons: `/persons` (search by name without diacritics, identity number or phone)
//! and `/persons/{id}` (details and current trace level with the exposure that explains
//! it). Both stay inside the user's jurisdiction; viewing a person is audited.

use crate::auth::{CurrentUser, Jurisdiction};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::shell_signed_in;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::routing::get;
use axum::{Extension, Router};
use maud::{html, Markup};
use phongdich_domain::{AdminLevel, UnitCode};
use phongdich_domain::{TestKind, TestResult, Timestamp};
use phongdich_store::{
    Exposure, ExposureKind, NewAuditEvent, Page, Person, PersonQuery, Store, StoreError, TraceLevel,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Routes of this module (signed in).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/persons", get(search))
        .route("/persons/{id}", get(person_page))
}

/// The unit a person search is limited to, or `None` when the user may see no persons
/// (a place jurisdiction: facilities see their own rosters, not the population).
pub(crate) fn search_scope(j: &Jurisdiction) -> Option<Option<UnitCode>> {
    match j {
        Jurisdiction::Unit(u) if u.level() == AdminLevel::Province => Some(None),
        Jurisdiction::Unit(u) => Some(Some(u.clone())),
        Jurisdiction::Place(_) => None,
    }
}

/// Whether a person living in `unit` is inside jurisdiction `j`: walks up from the
/// person's unit (village, commune, district) to the jurisdiction's unit.
pub async fn within(
    store: &Store,
    unit: Option<&UnitCode>,
    j: &Jurisdiction,
) -> Result<bool, AppError> {
    let Jurisdiction::Unit(scope) = j else {
        return Ok(false);
    };
    if scope.level() == AdminLevel::Province {
        return Ok(true);
    }
    let mut current = unit.cloned();
    for _ in 0..4 {
        let Some(code) = current else {
            return Ok(false);
        };
        if &code == scope {
            return Ok(true);
        }
        current = match store.unit(&code).await {
            Ok(u) => u.parent,
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
    }
    Ok(false)
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    lang: Lang,
    Query(q): Query<SearchQuery>,
) -> Result<Markup, AppError> {
    let scope = search_scope(&user.jurisdiction).ok_or(AppError::Forbidden)?;
    let text = q.q.trim().to_owned();
    let page = if text.is_empty() {
        None
    } else {
        Some(search_in(state.store(), &text, scope).await?)
    };
    let content = html! {
        h1 { (lang.t("Tìm người", "Find a person")) }
        form.inline method="get" action="/persons" role="search" {
            input type="search" name="q" value=(text) autofocus
                placeholder=(lang.t("Họ tên (có dấu hoặc không), CCCD hoặc số điện thoại", "Name (with or without diacritics), ID number or phone"));
            button type="submit" { (lang.t("Tìm", "Search")) }
        }
        @if let Some(page) = page {
            p.muted { (lang.t("Số người tìm thấy: ", "People found: ")) (page.total) }
            div.table-wrap { table {
                thead { tr {
                    th { (lang.t("Họ tên", "Name")) }
                    th { (lang.t("Năm sinh", "Born")) }
                    th { (lang.t("Điện thoại", "Phone")) }
                    th { (lang.t("Địa bàn", "Unit")) }
                } }
                tbody { @for p in &page.items { (row(p)) } }
            } }
        }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Tìm người", "Find a person"),
        "/persons",
        &user,
        content,
    ))
}

/// Rows shown per search.
pub(crate) const SEARCH_LIMIT: u64 = 50;

/// Searches persons under `scope` (`None`: the whole province); the store's unit
/// filter reaches every unit under a district or commune.
pub(crate) async fn search_in(
    store: &Store,
    text: &str,
    scope: Option<UnitCode>,
) -> Result<Page<Person>, AppError> {
    Ok(store
        .search_persons(&PersonQuery {
            text: text.to_owned(),
            unit: scope,
            offset: 0,
            limit: SEARCH_LIMIT,
        })
        .await?)
}

/// The chain that explains a level, from this person back to the case (F0): each link
/// is (person, level, the exposure through which it was reached). At most
/// `level + 1` links; a broken chain (a level recomputed half-way) just stops.
async fn explain(
    store: &Store,
    person_id: i64,
    level: &TraceLevel,
) -> Result<Vec<(i64, u8, Option<Exposure>)>, AppError> {
    let mut chain = vec![(person_id, level.level, level.via)];
    let mut next = level.via.as_ref().map(|v| v.person_id);
    while let Some(id) = next {
        if chain.len() > usize::from(level.level) {
            break;
        }
        match store.trace_level(id).await? {
            Some(l) => {
                next = l.via.as_ref().map(|v| v.person_id);
                chain.push((id, l.level, l.via));
            }
            None => break,
        }
    }
    Ok(chain)
}

fn exposure_label(lang: Lang, kind: ExposureKind) -> &'static str {
    match (kind, lang) {
        (ExposureKind::Contact, _) => lang.t("tiếp xúc gần", "close contact"),
        (ExposureKind::Place(k), Lang::Vi) => k.label_vi(),
        (ExposureKind::Place(k), Lang::En) => k.as_str(),
    }
}

/// Presences, contacts, tests and the case of a person, oldest first.
async fn timeline(
    store: &Store,
    person: &Person,
    lang: Lang,
) -> Result<Vec<(Timestamp, Markup)>, AppError> {
    let mut events: Vec<(Timestamp, Markup)> = Vec::new();
    let mut place_names: HashMap<i64, String> = HashMap::new();
    for p in store.presences_of_person(person.id).await? {
        let name = match place_names.get(&p.place_id) {
            Some(n) => n.clone(),
            None => {
                let n = store
                    .place(p.place_id)
                    .await
                    .map(|pl| pl.name)
                    .unwrap_or_default();
                place_names.insert(p.place_id, n.clone());
                n
            }
        };
        let kind = match lang {
            Lang::Vi => p.kind.label_vi(),
            Lang::En => p.kind.as_str(),
        };
        events.push((
            p.interval.start(),
            html! {
                (lang.t("Có mặt", "Present")) " · " (kind) " " strong { (name) } " · "
                (lang.t("đến", "until")) " " (p.interval.end())
            },
        ));
    }
    for c in store.contacts_of_person(person.id).await? {
        let other = if c.a_id == person.id { c.b_id } else { c.a_id };
        events.push((
            c.interval.start(),
            html! {
                (lang.t("Tiếp xúc gần với", "Close contact with")) " "
                a href={ "/persons/" (other) } { "#" (other) }
                @if let Some(s) = &c.setting { " (" (s) ")" }
                " · " (lang.t("đến", "until")) " " (c.interval.end())
            },
        ));
    }
    for t in store.tests_of_person(person.id).await? {
        let (kind, result) = match lang {
            Lang::Vi => (t.test.kind.label_vi(), t.test.result.label_vi()),
            Lang::En => (t.test.kind.as_str(), t.test.result.as_str()),
        };
        events.push((
            t.test.sampled_at,
            html! {
                (lang.t("Xét nghiệm", "Test")) " " (kind) ": " strong { (result) }
            },
        ));
    }
    if let Some(c) = store.case_of_person(person.id).await? {
        events.push((c.case.infectious_from, html! {
            span class="level f0" { "F0" } " "
            (lang.t("Ca bệnh, có thể lây từ thời điểm này", "Case, infectious from this time"))
            @if let Some(iso) = c.case.isolated_at { " · " (lang.t("cách ly từ", "isolated from")) " " (iso) }
        }));
    }
    events.sort_by_key(|(at, _)| *at);
    Ok(events)
}

fn row(p: &Person) -> Markup {
    html! { tr {
        td { a href={ "/persons/" (p.id) } { (p.full_name.as_str()) } }
        td { @if let Some(b) = p.birth { (b.year()) } }
        td { @if let Some(ph) = &p.phone { (ph.as_str()) } }
        td { @if let Some(u) = &p.unit_code { (u.as_str()) } }
    } }
}

async fn person_page(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    lang: Lang,
    Path(id): Path<i64>,
) -> Result<Markup, AppError> {
    let person = match state.store().person(id).await {
        Ok(p) => p,
        Err(StoreError::NotFound { .. }) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    // Outside the jurisdiction answers as if the person did not exist: no leak of who
    // is in the database.
    if !within(state.store(), person.unit_code.as_ref(), &user.jurisdiction).await? {
        return Err(AppError::NotFound);
    }
    state
        .store()
        .insert_audit_event(&NewAuditEvent {
            at: crate::auth::now(),
            user_id: Some(user.session.user.id),
            action: "view".to_owned(),
            entity: "person".to_owned(),
            entity_id: person.id.to_string(),
            before_json: None,
            after_json: None,
            ip: peer.map(|Extension(ConnectInfo(a))| a.ip().to_string()),
        })
        .await?;
    let level = state.store().trace_level(person.id).await?;
    let events = timeline(state.store(), &person, lang).await?;
    // The chain from the engine when it is ready (it follows the levels that realise
    // this person's); else from the stored links.
    let from_engine = match state.trace().try_read() {
        Ok(slot) => slot.as_ref().and_then(|t| t.chain_of(person.id)),
        Err(_) => None,
    };
    let chain = match (&level, from_engine) {
        (Some(l), Some(links)) => {
            let mut chain: Vec<(i64, u8, Option<Exposure>)> = links
                .into_iter()
                .rev()
                .map(|(who, lvl, via)| (who, lvl, Some(via)))
                .collect();
            match chain.last().and_then(|c| c.2) {
                Some(first) => chain.push((first.person_id, 0, None)),
                None => chain.push((person.id, l.level, None)),
            }
            chain
        }
        (Some(l), None) => explain(state.store(), person.id, l).await?,
        (None, _) => Vec::new(),
    };
    let is_case = state.store().case_of_person(person.id).await?.is_some();
    let content = html! {
        h1 { (person.full_name.as_str()) }
        @if let Some(l) = &level {
            p {
                span class={ "level f" (l.level) } { "F" (l.level) }
                " " (lang.t("từ", "since")) " " (l.exposed_at)
            }
            @if !chain.is_empty() {
                h2 { (lang.t("Chuỗi lây nhiễm", "Chain of exposure")) }
                ol.chain {
                    @for (who, lvl, via) in &chain {
                        li {
                            span class={ "level f" (lvl) } { "F" (lvl) } " "
                            a href={ "/persons/" (who) } { "#" (who) }
                            @if let Some(v) = via {
                                " · " (exposure_label(lang, v.kind)) " "
                                (v.interval.start()) " – " (v.interval.end())
                            }
                        }
                    }
                }
            }
        } @else {
            p.muted { (lang.t("Không thuộc diện truy vết.", "Not traced.")) }
        }
        div.table-wrap { table { tbody {
            tr { th { (lang.t("Mã", "Reference")) } td { (person.reference) } }
            tr { th { (lang.t("Năm sinh", "Born")) } td { @if let Some(b) = person.birth { (b.to_text()) } } }
            tr { th { (lang.t("Giới tính", "Sex")) } td { @if let Some(s) = person.sex { (s.label_vi()) } } }
            tr { th { (lang.t("Giấy tờ", "Identity")) } td { @if let Some(d) = &person.identity { (d.number()) } } }
            tr { th { (lang.t("Điện thoại", "Phone")) } td { @if let Some(p) = &person.phone { (p.as_str()) } } }
            tr { th { (lang.t("Địa chỉ", "Address")) } td { @if let Some(a) = &person.address { (a) } } }
            tr { th { (lang.t("Địa bàn", "Unit")) } td { @if let Some(u) = &person.unit_code { (u.as_str()) } } }
        } } }
        p {
            a href={ "/persons/" (person.id) "/contacts" } { (lang.t("Tiếp xúc gần", "Close contacts")) }
            @if crate::tests_form::may_write(&user) { " · " (lang.t("thêm tiếp xúc từ điều tra ca bệnh", "add contacts from the case interview")) }
            @if level.as_ref().is_some_and(|l| l.level == 0) {
                " · " a href={ "/cases/" (person.id) "/trace" } { (lang.t("Truy vết ca bệnh (F1–F4)", "Trace of this case (F1–F4)")) }
            }
        }
        @if crate::tests_form::may_write(&user) {
            h2 { (lang.t("Nhập kết quả xét nghiệm", "Enter a test result")) }
            form.inline method="post" action={ "/persons/" (person.id) "/tests" } {
                input type="hidden" name="csrf" value=(user.session.csrf_token);
                label { (lang.t("Loại", "Kind"))
                    select name="kind" { @for k in TestKind::ALL { option value=(k.as_str()) { (k.label_vi()) } } } }
                label { (lang.t("Kết quả", "Result"))
                    select name="result" { @for r in TestResult::ALL { option value=(r.as_str()) { (r.label_vi()) } } } }
                label { (lang.t("Thời điểm lấy mẫu", "Sampled at"))
                    input type="datetime-local" name="sampled_at" required; }
                button type="submit" { (lang.t("Lưu", "Save")) }
            }
        }
        @if crate::tests_form::may_write(&user) && !is_case {
            h2 { (lang.t("Ghi nhận ca bệnh (F0)", "Register a case (F0)")) }
            form.inline method="post" action={ "/persons/" (person.id) "/case" } {
                input type="hidden" name="csrf" value=(user.session.csrf_token);
                label { (lang.t("Ngày lấy mẫu dương tính", "Positive sample date"))
                    input type="date" name="sample_date" required; }
                label { (lang.t("Ngày khởi phát (nếu có)", "Onset date (if any)"))
                    input type="date" name="onset"; }
                label { (lang.t("Cách ly từ", "Isolated at"))
                    input type="datetime-local" name="isolated_at"; }
                button type="submit" id="register-case" { (lang.t("Ghi nhận F0", "Register F0")) }
            }
        }
        h2 { (lang.t("Diễn biến", "Timeline")) }
        @if events.is_empty() {
            p.muted { (lang.t("Chưa có dữ liệu.", "Nothing recorded.")) }
        } @else {
            ul.timeline { @for (at, what) in &events { li { time { (at) } " · " (what) } } }
        }
    };
    Ok(shell_signed_in(
        lang,
        person.full_name.as_str(),
        "/persons",
        &user,
        content,
    ))
}
