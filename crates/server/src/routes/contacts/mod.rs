//! Direct contacts (tiếp xúc gần) from case interviews:
//!
//! - `/contacts`: the contact list of the user's jurisdiction, newest first, a page at
//!   a time (keyset cursor `after=START.ID`), narrowed to a district, commune or
//!   village with `unit=CODE`;
//! - `/persons/{id}/contacts`: one person's contacts and the form that adds one (the
//!   other person found by search, by id or by reference; start and end in Vietnam
//!   time; the setting);
//! - `GET` and `POST /api/v1/contacts`: the same over JSON ([`api`]).

pub mod api;

use super::{Guard, Route};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::error::{WebError, WebPath, WebQuery};
use crate::web::i18n::Lang;
use crate::web::layout::{shell_signed_in, someone};
use crate::web::session::{may_write, CurrentUser};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use phongdich_app::contacts::ContactInput;
use phongdich_app::persons::{PersonRow, Someone};
use phongdich_app::{idempotency_key, AppError};
use phongdich_domain::UnitCode;
use serde::Deserialize;

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/contacts",
            "/contacts?unit=03386",
            Guard::SignedIn,
            list_page,
        ),
        Route::get(
            "/persons/{id}/contacts",
            "/persons/1/contacts",
            Guard::SignedIn,
            person_contacts_page,
        ),
        Route::post(
            "/persons/{id}/contacts",
            "/persons/1/contacts",
            Guard::SignedIn,
            add_contact_form,
        ),
        Route::get(
            "/api/v1/contacts",
            "/api/v1/contacts",
            Guard::SignedIn,
            api::list,
        ),
        Route::post(
            "/api/v1/contacts",
            "/api/v1/contacts",
            Guard::SignedIn,
            api::add,
        ),
    ]
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    unit: Option<String>,
    after: Option<String>,
}

fn cell(lang: Lang, s: Option<&Someone>) -> Markup {
    match s {
        Some(s) => someone(lang, s),
        None => someone(lang, &Someone::Outside { commune: None }),
    }
}

async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebQuery(q): WebQuery<ListQuery>,
) -> Result<Markup, WebError> {
    let app = state.app();
    let page = app
        .list_contacts(&user.actor, q.unit.as_deref(), q.after.as_deref())
        .await?;
    let units = app
        .scope(&user.actor)
        .await?
        .filter_units(app.store())
        .await?;
    let chosen = page.unit.as_ref().map(UnitCode::as_str).unwrap_or_default();
    let content = html! {
        h1 { (lang.t("Danh sách tiếp xúc gần", "Close contacts")) }
        form.inline method="get" action="/contacts" {
            label { (lang.t("Địa bàn", "Unit"))
                select name="unit" {
                    option value="" { (lang.t("Toàn bộ địa bàn", "The whole jurisdiction")) }
                    @for u in &units {
                        option value=(u.code.as_str()) selected[u.code.as_str() == chosen] {
                            (u.name)
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
                td { (cell(lang, page.persons.get(&c.a_id))) }
                td { (cell(lang, page.persons.get(&c.b_id))) }
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
    user: CurrentUser,
    lang: Lang,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<PersonContactsQuery>,
) -> Result<Markup, WebError> {
    page(&state, &user, lang, id, &q.q, q.other, None).await
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: i64,
    q: &str,
    other: Option<i64>,
    refused: Option<String>,
) -> Result<Markup, WebError> {
    let app = state.app();
    let (person, contacts) = app.person_contacts(&user.actor, id).await?;
    let text = phongdich_app::input::search_text(q);
    let found: Vec<PersonRow> = if text.is_empty() || !may_write(user) {
        Vec::new()
    } else {
        app.search_persons(&user.actor, &text, None).await?.items
    };
    let chosen: Option<PersonRow> = match other {
        Some(o) if o != person.id => match app.view_person(&user.actor, o).await {
            Ok(p) => Some(PersonRow {
                id: p.id,
                full_name: p.full_name.as_str().to_owned(),
                birth: p.birth,
                unit: p.unit_code,
                unit_name: None,
            }),
            Err(AppError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        _ => None,
    };
    let user = user.clone();
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
                tbody { @for (c, other) in &contacts { tr.contact {
                    td { (c.interval.start()) }
                    td { (c.interval.end()) }
                    td { (someone(lang, other)) }
                    td { @if let Some(s) = &c.setting { (s) } }
                } } }
            } }
        }
        @if may_write(&user) {
            @if let Some(e) = &refused { p.notice.error role="alert" { (e) } }
            h2 { (lang.t("Thêm tiếp xúc gần (điều tra ca bệnh)", "Add a close contact (case interview)")) }
            form.inline method="get" action=(base) role="search" {
                input type="search" name="q" value=(text)
                    placeholder=(lang.t("Tìm người tiếp xúc: họ tên, CCCD hoặc điện thoại", "Find the contact: name, ID number or phone"));
                button type="submit" { (lang.t("Tìm", "Search")) }
            }
            @if !found.is_empty() {
                ul.found { @for p in &found { @if p.id != person.id {
                    li {
                        (p.full_name) " · #" (p.id)
                        @if let Some(b) = p.birth { " · " (b) }
                        @if let Some(u) = &p.unit_name { " · " (u) }
                        " · " a.choose href={ (base) "?other=" (p.id) } { (lang.t("Chọn", "Choose")) }
                    }
                } } }
            } @else if !text.is_empty() {
                p.muted { (lang.t("Không tìm thấy ai trong địa bàn.", "Nobody found in the jurisdiction.")) }
            }
            form.stack method="post" action=(base) {
                input type="hidden" name="csrf" value=(user.csrf_token);
                input type="hidden" name="idempotency_key" value=(phongdich_app::accounts::new_token());
                label { (lang.t("Người tiếp xúc (số # hoặc mã)", "Contact person (# number or reference)"))
                    input type="text" name="other" required
                        value=[chosen.as_ref().map(|p| p.id.to_string())]; }
                @if let Some(p) = &chosen { p.muted { (p.full_name) } }
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
    other: String,
    start: String,
    end: String,
    #[serde(default)]
    setting: Option<String>,
    #[serde(default)]
    idempotency_key: Option<String>,
}

async fn add_contact_form(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath(id): WebPath<i64>,
    CsrfForm(f): CsrfForm<ContactForm>,
) -> Result<Response, WebError> {
    let app = state.app();
    let result = async {
        let other = app.resolve_person("other", &f.other).await?;
        let input = ContactInput {
            a_id: id,
            b_id: other,
            start: f.start.clone(),
            end: f.end.clone(),
            setting: f.setting.clone(),
        };
        app.add_contact(
            &user.actor,
            &input,
            idempotency_key(f.idempotency_key.as_deref()),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/persons/{id}/contacts")).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let t = crate::web::error::message_of(&e);
            let text = match lang {
                Lang::Vi => t.vi.into_owned(),
                Lang::En => t.en.into_owned(),
            };
            let body = page(&state, &user, lang, id, "", None, Some(text)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
