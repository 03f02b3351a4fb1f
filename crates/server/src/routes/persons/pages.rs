//! The search page and the person page.

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
use phongdich_app::cases::CaseInput;
use phongdich_app::lab_tests::TestInput;
use phongdich_app::persons::{Event, PersonFile, Via};
use phongdich_app::{idempotency_key, AppError};
use phongdich_domain::{TestKind, TestResult};
use phongdich_store::ExposureKind;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub(super) async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebQuery(q): WebQuery<SearchQuery>,
) -> Result<Markup, WebError> {
    let text = phongdich_app::input::search_text(&q.q);
    let page = if text.is_empty() {
        None
    } else {
        Some(state.app().search_persons(&user.actor, &text, None).await?)
    };
    let content = html! {
        h1 { (lang.t("Tìm người", "Find a person")) }
        form.inline method="get" action="/persons" role="search" {
            input type="search" name="q" value=(text) autofocus
                placeholder=(lang.t("Họ tên (có dấu hoặc không), CCCD hoặc số điện thoại", "Name (with or without diacritics), ID number or phone"));
            button type="submit" { (lang.t("Tìm", "Search")) }
        }
        @if let Some(page) = page {
            @let found = lang.number(i64::try_from(page.total).unwrap_or(i64::MAX));
            @if page.total_capped {
                p.muted {
                    (lang.t("Tìm thấy hơn ", "Found more than ")) (found)
                    (lang.t(" kết quả; thêm tên đệm hoặc tên để thu hẹp.", " results; add a middle or given name to narrow the search."))
                }
            } @else {
                p.muted { (lang.t("Số người tìm thấy: ", "People found: ")) (found) }
            }
            div.table-wrap { table {
                thead { tr {
                    th { (lang.t("Họ tên", "Name")) }
                    th { (lang.t("Ngày/năm sinh", "Born")) }
                    th { (lang.t("Nơi ở", "Lives in")) }
                } }
                tbody { @for p in &page.items { tr {
                    td { a href={ "/persons/" (p.id) } { (p.full_name) } }
                    td { @if let Some(b) = p.birth { (b) } }
                    td { @if let Some(u) = &p.unit_name { (u) } }
                } } }
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

fn exposure_label(lang: Lang, kind: ExposureKind) -> &'static str {
    match (kind, lang) {
        (ExposureKind::Contact, _) => lang.t("tiếp xúc gần", "close contact"),
        (ExposureKind::Place(k), Lang::Vi) => k.label_vi(),
        (ExposureKind::Place(k), Lang::En) => k.as_str(),
    }
}

fn via(lang: Lang, v: &Via) -> Markup {
    html! {
        (exposure_label(lang, v.kind))
        @if let Some(p) = &v.place { " " strong { (p) } }
        " " (v.start) " – " (v.end)
    }
}

/// A refused form of the person page: which form, and the user's values.
#[derive(Debug, Default)]
struct Refused {
    test: Option<(TestInput, AppError)>,
    case: Option<(CaseInput, AppError)>,
}

fn field_error(lang: Lang, e: Option<&AppError>, field: &str) -> Markup {
    html! {
        @if let Some(AppError::Invalid { field: f, message }) = e {
            @if *f == field {
                span.field-error role="alert" { (match lang { Lang::Vi => &message.vi, Lang::En => &message.en }) }
            }
        }
    }
}

fn form_error(lang: Lang, e: Option<&AppError>) -> Markup {
    html! {
        @if let Some(e) = e {
            @if !matches!(e, AppError::Invalid { .. }) {
                @let t = crate::web::error::message_of(e);
                p.notice.error role="alert" { (match lang { Lang::Vi => &t.vi, Lang::En => &t.en }) }
            }
        }
    }
}

fn render(lang: Lang, user: &CurrentUser, file: &PersonFile, refused: &Refused) -> Markup {
    let person = &file.person;
    let key = phongdich_app::accounts::new_token();
    let (test_in, test_err) = match &refused.test {
        Some((i, e)) => (Some(i), Some(e)),
        None => (None, None),
    };
    let (case_in, case_err) = match &refused.case {
        Some((i, e)) => (Some(i), Some(e)),
        None => (None, None),
    };
    html! {
        h1 { (person.full_name.as_str()) }
        (crate::web::layout::engine_notice(lang, &file.engine))
        @if let Some(l) = &file.level {
            p {
                span class={ "level f" (l.level) } { "F" (l.level) }
                " " (lang.t("từ", "since")) " " (l.exposed_at)
            }
            @if !file.chain.is_empty() {
                h2 { (lang.t("Chuỗi lây nhiễm", "Chain of exposure")) }
                ol.chain {
                    @for step in file.chain.iter().rev() {
                        li {
                            span class={ "level f" (step.level) } { "F" (step.level) } " "
                            (someone(lang, &step.who))
                            @if let Some(v) = &step.via { " · " (via(lang, v)) }
                        }
                    }
                }
            }
        } @else {
            p.muted { (lang.t("Không thuộc diện truy vết.", "Not traced.")) }
        }
        div.table-wrap { table { tbody {
            tr { th { (lang.t("Mã", "Reference")) } td { (person.reference) } }
            tr { th { (lang.t("Ngày/năm sinh", "Born")) } td { @if let Some(b) = person.birth { (b) } } }
            tr { th { (lang.t("Giới tính", "Sex")) } td { @if let Some(s) = person.sex { (s.label_vi()) } } }
            tr { th { (lang.t("Giấy tờ", "Identity")) } td { @if let Some(d) = &person.identity { (d.number()) } } }
            tr { th { (lang.t("Điện thoại", "Phone")) } td { @if let Some(p) = &person.phone { (p.as_str()) } } }
            tr { th { (lang.t("Địa chỉ", "Address")) } td { @if let Some(a) = &person.address { (a) } } }
            tr { th { (lang.t("Nơi ở", "Lives in")) } td { @if let Some(u) = &file.unit_name { (u) } } }
        } } }
        p {
            a href={ "/persons/" (person.id) "/contacts" } { (lang.t("Tiếp xúc gần", "Close contacts")) }
            @if may_write(user) { " · " (lang.t("thêm tiếp xúc từ điều tra ca bệnh", "add contacts from the case interview")) }
            @if let Some(case_id) = file.case_id {
                " · " a href={ "/cases/" (case_id) "/trace" } { (lang.t("Truy vết ca bệnh (F1–F4)", "Trace of this case (F1–F4)")) }
            }
        }
        @if may_write(user) {
            h2 #test-form { (lang.t("Nhập kết quả xét nghiệm", "Enter a test result")) }
            (form_error(lang, test_err))
            form.inline method="post" action={ "/persons/" (person.id) "/tests" } {
                input type="hidden" name="csrf" value=(user.csrf_token);
                input type="hidden" name="idempotency_key" value=(key);
                label { (lang.t("Loại", "Kind"))
                    select name="kind" { @for k in TestKind::ALL {
                        option value=(k.as_str()) selected[test_in.is_some_and(|i| i.kind == k.as_str())] { (k.label_vi()) }
                    } }
                    (field_error(lang, test_err, "kind")) }
                label { (lang.t("Kết quả", "Result"))
                    select name="result" { @for r in TestResult::ALL {
                        option value=(r.as_str()) selected[test_in.is_some_and(|i| i.result == r.as_str())] { (r.label_vi()) }
                    } }
                    (field_error(lang, test_err, "result")) }
                label { (lang.t("Thời điểm lấy mẫu", "Sampled at"))
                    input type="datetime-local" name="sampled_at" required value=[test_in.map(|i| i.sampled_at.as_str())];
                    (field_error(lang, test_err, "sampled_at")) }
                button type="submit" { (lang.t("Lưu", "Save")) }
            }
        }
        @if may_write(user) && file.case_id.is_none() {
            h2 #case-form { (lang.t("Ghi nhận ca bệnh (F0)", "Register a case (F0)")) }
            (form_error(lang, case_err))
            form.inline method="post" action={ "/persons/" (person.id) "/case" } {
                input type="hidden" name="csrf" value=(user.csrf_token);
                input type="hidden" name="idempotency_key" value=(key);
                label { (lang.t("Ngày lấy mẫu dương tính", "Positive sample date"))
                    input type="date" name="sample_date" required value=[case_in.map(|i| i.sample_date.as_str())];
                    (field_error(lang, case_err, "sample_date")) }
                label { (lang.t("Ngày khởi phát (nếu có)", "Onset date (if any)"))
                    input type="date" name="onset" value=[case_in.and_then(|i| i.onset.as_deref())];
                    (field_error(lang, case_err, "onset")) }
                label { (lang.t("Cách ly từ", "Isolated at"))
                    input type="datetime-local" name="isolated_at" value=[case_in.and_then(|i| i.isolated_at.as_deref())];
                    (field_error(lang, case_err, "isolated_at")) }
                button type="submit" id="register-case" { (lang.t("Ghi nhận F0", "Register F0")) }
            }
        }
        h2 { (lang.t("Diễn biến", "Timeline")) }
        @if file.events.is_empty() {
            p.muted { (lang.t("Chưa có dữ liệu.", "Nothing recorded.")) }
        } @else {
            ul.timeline { @for (at, what) in &file.events { li { time { (at) } " · " (event(lang, what)) } } }
        }
    }
}

fn event(lang: Lang, e: &Event) -> Markup {
    html! {
        @match e {
            Event::Presence { kind, place, until } => {
                (lang.t("Có mặt", "Present")) " · " (match lang { Lang::Vi => kind.label_vi(), Lang::En => kind.as_str() })
                " " strong { (place) } " · " (lang.t("đến", "until")) " " (until)
            }
            Event::Contact { other, setting, until } => {
                (lang.t("Tiếp xúc gần với", "Close contact with")) " " (someone(lang, other))
                @if let Some(s) = setting { " (" (s) ")" }
                " · " (lang.t("đến", "until")) " " (until)
            }
            Event::Test { kind, result } => {
                (lang.t("Xét nghiệm", "Test")) " "
                (match lang { Lang::Vi => kind.label_vi(), Lang::En => kind.as_str() }) ": "
                strong { (match lang { Lang::Vi => result.label_vi(), Lang::En => result.as_str() }) }
            }
            Event::Case { isolated_at } => {
                span class="level f0" { "F0" } " "
                (lang.t("Ca bệnh, có thể lây từ thời điểm này", "Case, infectious from this time"))
                @if let Some(iso) = isolated_at { " · " (lang.t("cách ly từ", "isolated from")) " " (iso) }
            }
        }
    }
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: i64,
    refused: Refused,
) -> Result<Markup, WebError> {
    let file = state.app().person_file(&user.actor, id).await?;
    let content = render(lang, user, &file, &refused);
    Ok(shell_signed_in(
        lang,
        file.person.full_name.as_str(),
        "/persons",
        user,
        content,
    ))
}

pub(super) async fn person_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath(id): WebPath<i64>,
) -> Result<Markup, WebError> {
    page(&state, &user, lang, id, Refused::default()).await
}

/// A form's refusal shown on the person page (422), or the error page for the rest.
async fn refused_or(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: i64,
    e: AppError,
    refused: impl FnOnce(AppError) -> Refused,
) -> Result<Response, WebError> {
    match e {
        e @ (AppError::Invalid { .. } | AppError::Conflict(_)) => {
            let status = match e {
                AppError::Conflict(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let body = page(state, user, lang, id, refused(e)).await?;
            Ok((status, body).into_response())
        }
        e => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct TestForm {
    kind: String,
    result: String,
    sampled_at: String,
    #[serde(default)]
    laboratory: Option<String>,
    #[serde(default)]
    idempotency_key: Option<String>,
}

pub(super) async fn add_test(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath(id): WebPath<i64>,
    CsrfForm(f): CsrfForm<TestForm>,
) -> Result<Response, WebError> {
    let input = TestInput {
        kind: f.kind,
        result: f.result,
        sampled_at: f.sampled_at,
        laboratory: f.laboratory,
    };
    let key = idempotency_key(f.idempotency_key.as_deref());
    match state.app().enter_test(&user.actor, id, &input, key).await {
        Ok(_) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        Err(e) => {
            refused_or(&state, &user, lang, id, e, |e| Refused {
                test: Some((input, e)),
                case: None,
            })
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct CaseForm {
    sample_date: String,
    #[serde(default)]
    onset: Option<String>,
    #[serde(default)]
    isolated_at: Option<String>,
    #[serde(default)]
    idempotency_key: Option<String>,
}

pub(super) async fn register_case(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath(id): WebPath<i64>,
    CsrfForm(f): CsrfForm<CaseForm>,
) -> Result<Response, WebError> {
    let input = CaseInput {
        sample_date: f.sample_date,
        onset: f.onset,
        isolated_at: f.isolated_at,
    };
    let key = idempotency_key(f.idempotency_key.as_deref());
    match state
        .app()
        .register_case(&user.actor, id, &input, key)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        Err(e) => {
            refused_or(&state, &user, lang, id, e, |e| Refused {
                test: None,
                case: Some((input, e)),
            })
            .await
        }
    }
}
