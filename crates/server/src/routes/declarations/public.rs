//! The public declaration pages: the form, its re-renders (a family member more or
//! less, another province's communes) and submission, the result with the codes and
//! their QR codes, and the privacy notice. No script: every change of the form is a
//! submit that shows it again with what was typed.

use super::{device_cookie, device_token, qr_svg, site_url};
use crate::state::AppState;
use crate::web::client::ClientAddr;
use crate::web::error::{message_of, status_of, WebError, WebPath, WebQuery};
use crate::web::i18n::Lang;
use crate::web::layout::shell;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup, PreEscaped};
use phongdich_app::accounts::{new_token, token_hash};
use phongdich_app::declarations::{
    AddressUnits, DeclarationInput, FieldError, PersonDeclared, MAX_PERSONS,
};
use phongdich_app::{Actor, AppError, Text};
use phongdich_domain::declaration::{DeclarationKind, Flag, Symptom};
use phongdich_domain::UnitCode;
use phongdich_store::Declaration;
use serde::Deserialize;

/// The privacy notice (docs/PRIVACY.md), shown at `/privacy`.
const PRIVACY: &str = include_str!("../../../../../docs/PRIVACY.md");

fn say(lang: Lang, t: &Text) -> String {
    match lang {
        Lang::Vi => t.vi.to_string(),
        Lang::En => t.en.to_string(),
    }
}

/// A form body as `(name, value)` pairs (fields repeat: symptoms, provinces), its
/// rejections (too large, malformed) answered as pages.
#[derive(Debug)]
pub struct Pairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Pairs {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(Form(v)) => Ok(Self(v)),
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                let body = shell(
                    Lang::Vi,
                    "413",
                    "/khai-bao",
                    html! {
                        h1 { "413" }
                        p role="alert" { "Nội dung gửi lên quá lớn." }
                        p.muted lang="en" { "The request is too large." }
                    },
                );
                Err((StatusCode::PAYLOAD_TOO_LARGE, body).into_response())
            }
            Err(r) => Err(WebError::BadRequest(r.body_text()).into_response()),
        }
    }
}

/// What the submit button asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormAction {
    /// Send the declaration.
    Submit,
    /// Show the form with one more person.
    Add,
    /// Show it without person N.
    Remove(usize),
    /// Show it with the chosen province's communes.
    Refresh,
}

/// The form as typed.
#[derive(Debug, Clone, Default)]
struct Typed {
    input: DeclarationInput,
    origin_province: String,
    origin_country: String,
    key: String,
}

/// Reads the form's fields; `p3.full_name` is the fourth person's name.
fn parse(pairs: Vec<(String, String)>) -> (Typed, FormAction) {
    let mut t = Typed::default();
    let mut action = FormAction::Submit;
    let mut count = 1usize;
    let mut persons: Vec<PersonDeclared> = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "kind" => t.input.kind = v,
            "province" => t.input.province = v,
            "commune" => t.input.commune = v,
            "village" => t.input.village = Some(v),
            "address" => t.input.address = Some(v),
            "visited_province" => t.input.visited_provinces.push(v),
            "visited_places" => t.input.visited_places = Some(v),
            "origin_province" => t.origin_province = v,
            "origin_country" => t.origin_country = v,
            "arrival_date" => t.input.arrival_date = Some(v),
            "idempotency_key" => t.key = v,
            "persons" => count = v.trim().parse().unwrap_or(1),
            "action" => {
                action = match v.as_str() {
                    "add" => FormAction::Add,
                    "refresh" => FormAction::Refresh,
                    r => match r.strip_prefix("remove-").and_then(|n| n.parse().ok()) {
                        Some(n) => FormAction::Remove(n),
                        None => FormAction::Submit,
                    },
                }
            }
            other => {
                let Some((i, field)) = other
                    .strip_prefix('p')
                    .and_then(|r| r.split_once('.'))
                    .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
                else {
                    continue;
                };
                if i >= MAX_PERSONS {
                    continue;
                }
                if persons.len() <= i {
                    persons.resize_with(i + 1, PersonDeclared::default);
                }
                let p = &mut persons[i];
                match field {
                    "full_name" => p.full_name = v,
                    "id_number" => p.id_number = v,
                    "birth" => p.birth = v,
                    "sex" => p.sex = v,
                    "nationality" => p.nationality = Some(v),
                    "phone" => p.phone = Some(v),
                    "symptom" => p.symptoms.push(v),
                    "case_contact" => p.case_contact = v == "1",
                    "epidemic_zone" => p.epidemic_zone = v == "1",
                    _ => {}
                }
            }
        }
    }
    let count = count.clamp(1, MAX_PERSONS).max(persons.len());
    persons.resize_with(count, PersonDeclared::default);
    t.input.persons = persons;
    t.input.origin = match t.input.kind.as_str() {
        "domestic" => Some(t.origin_province.clone()),
        "entry" => Some(t.origin_country.clone()),
        _ => None,
    };
    (t, action)
}

/// The message of the field error of (`person`, `field`), if any.
fn error_of<'a>(
    errors: &'a [FieldError],
    person: Option<usize>,
    field: &str,
) -> Option<&'a FieldError> {
    errors
        .iter()
        .find(|e| e.person == person && e.field == field)
}

/// The id of a field's input and of its error message.
fn field_id(person: Option<usize>, field: &str) -> String {
    match person {
        Some(i) => format!("p{i}-{field}"),
        None => field.to_owned(),
    }
}

fn error_markup(lang: Lang, errors: &[FieldError], person: Option<usize>, field: &str) -> Markup {
    html! {
        @if let Some(e) = error_of(errors, person, field) {
            span.field-error id={ "error-" (field_id(person, field)) } role="alert" { (say(lang, &e.message)) }
        }
    }
}

/// A text input with its label and error.
#[allow(clippy::too_many_arguments)]
fn text_field(
    lang: Lang,
    errors: &[FieldError],
    person: Option<usize>,
    field: &str,
    label: &str,
    value: &str,
    kind: &str,
    extra: Option<(&str, &str)>,
) -> Markup {
    let id = field_id(person, field);
    let name = match person {
        Some(i) => format!("p{i}.{field}"),
        None => field.to_owned(),
    };
    let invalid = error_of(errors, person, field).is_some();
    html! {
        label for=(id) { (label) }
        input id=(id) name=(name) type=(kind) value=(value)
            aria-invalid=[invalid.then_some("true")]
            aria-describedby=[invalid.then(|| format!("error-{id}"))]
            autocomplete=[extra.filter(|(k, _)| *k == "autocomplete").map(|(_, v)| v)]
            inputmode=[extra.filter(|(k, _)| *k == "inputmode").map(|(_, v)| v)]
            placeholder=[extra.filter(|(k, _)| *k == "placeholder").map(|(_, v)| v)];
        (error_markup(lang, errors, person, field))
    }
}

fn person_block(lang: Lang, errors: &[FieldError], i: usize, p: &PersonDeclared) -> Markup {
    let at = Some(i);
    let heading = if i == 0 {
        lang.t("Người khai báo", "Declarant").to_owned()
    } else {
        match lang {
            Lang::Vi => format!("Người thân thứ {i}"),
            Lang::En => format!("Family member {i}"),
        }
    };
    html! {
        fieldset.person id={ "person-" (i) } {
            legend { (heading) }
            (text_field(lang, errors, at, "full_name", lang.t("Họ và tên", "Full name"), &p.full_name, "text",
                Some(("autocomplete", if i == 0 { "name" } else { "off" }))))
            (text_field(lang, errors, at, "id_number", lang.t("Số CCCD, CMND hoặc hộ chiếu", "CCCD, CMND or passport number"),
                &p.id_number, "text", Some(("placeholder", "001203004567"))))
            (text_field(lang, errors, at, "birth", lang.t("Ngày sinh (NN/TT/NNNN) hoặc năm sinh", "Date of birth (DD/MM/YYYY) or year"),
                &p.birth, "text", Some(("inputmode", "numeric"))))
            label for={ "p" (i) "-sex" } { (lang.t("Giới tính", "Sex")) }
            select id={ "p" (i) "-sex" } name={ "p" (i) ".sex" }
                aria-invalid=[error_of(errors, at, "sex").is_some().then_some("true")] {
                option value="" { "—" }
                option value="male" selected[p.sex == "male"] { (lang.t("Nam", "Male")) }
                option value="female" selected[p.sex == "female"] { (lang.t("Nữ", "Female")) }
            }
            (error_markup(lang, errors, at, "sex"))
            (text_field(lang, errors, at, "nationality", lang.t("Quốc tịch (mã 2 chữ cái)", "Nationality (2-letter code)"),
                p.nationality.as_deref().unwrap_or("VN"), "text", None))
            (text_field(lang, errors, at, "phone",
                if i == 0 { lang.t("Số điện thoại", "Phone number") } else { lang.t("Số điện thoại (nếu có)", "Phone number (if any)") },
                p.phone.as_deref().unwrap_or_default(), "tel", Some(("autocomplete", if i == 0 { "tel" } else { "off" }))))
            fieldset.checks {
                legend { (lang.t("Trong 14 ngày qua có triệu chứng nào sau đây không?", "Any of these symptoms in the last 14 days?")) }
                @for s in Symptom::ALL {
                    label.check {
                        input type="checkbox" name={ "p" (i) ".symptom" } value=(s.as_str())
                            checked[p.symptoms.iter().any(|x| x == s.as_str())];
                        (lang.t(s.label_vi(), s.label_en()))
                    }
                }
                (error_markup(lang, errors, at, "symptoms"))
            }
            label.check {
                input type="checkbox" name={ "p" (i) ".case_contact" } value="1" checked[p.case_contact];
                (lang.t("Tiếp xúc gần với ca bệnh hoặc người nghi nhiễm trong 14 ngày qua", "Close contact with a case or a suspected case in the last 14 days"))
            }
            label.check {
                input type="checkbox" name={ "p" (i) ".epidemic_zone" } value="1" checked[p.epidemic_zone];
                (lang.t("Có mặt ở vùng dịch (phong tỏa, nguy cơ cao) trong 14 ngày qua", "Was in an epidemic zone (locked down, high risk) in the last 14 days"))
            }
            @if i > 0 {
                button.secondary type="submit" name="action" value={ "remove-" (i) } formnovalidate {
                    (lang.t("Bỏ người này", "Remove this person"))
                }
            }
        }
    }
}

/// The whole form.
fn form_markup(
    lang: Lang,
    units: &AddressUnits,
    t: &Typed,
    errors: &[FieldError],
    notice: Option<&str>,
) -> Markup {
    let i = &t.input;
    let province_name = |c: &UnitCode| {
        units
            .provinces
            .iter()
            .find(|(p, _)| p == c)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let kind = if i.kind.is_empty() {
        "voluntary"
    } else {
        i.kind.as_str()
    };
    html! {
        h1 { (lang.t("Khai báo y tế", "Health declaration")) }
        p.muted {
            (lang.t("Khai cho bạn và người thân đi cùng. Sau khi gửi, mỗi người có một mã và mã QR để xuất trình tại chốt kiểm soát. ",
                "For you and the family members with you. Each person then gets a code and its QR code to show at checkpoints. "))
            a href="/privacy" { (lang.t("Dữ liệu của bạn được dùng thế nào", "How your data is used")) }
        }
        @if let Some(n) = notice { p.notice.error #form-notice role="alert" { (n) } }
        @if !errors.is_empty() {
            p.notice.error #form-errors role="alert" {
                (lang.t("Tờ khai còn chỗ chưa đúng: xem thông báo màu đỏ bên dưới từng mục.",
                    "Some fields need fixing: see the red message under each."))
            }
        }
        form.stack.declaration method="post" action="/khai-bao" novalidate {
            // The first submit button is the one Enter presses: sending, not adding.
            button.offscreen type="submit" name="action" value="submit" tabindex="-1" aria-hidden="true" { "Gửi" }
            input type="hidden" name="idempotency_key" value=(t.key);
            input type="hidden" name="persons" value=(i.persons.len());
            fieldset {
                legend { (lang.t("Loại tờ khai", "Kind of declaration")) }
                @for k in DeclarationKind::ALL {
                    label.check {
                        input type="radio" name="kind" value=(k.as_str()) checked[kind == k.as_str()];
                        (lang.t(k.label_vi(), k.label_en()))
                    }
                }
                (error_markup(lang, errors, None, "kind"))
            }
            (error_markup(lang, errors, None, "persons"))
            @for (n, p) in i.persons.iter().enumerate() { (person_block(lang, errors, n, p)) }
            @if i.persons.len() < MAX_PERSONS {
                button.secondary type="submit" name="action" value="add" #add-person {
                    (lang.t("+ Thêm người thân", "+ Add a family member"))
                }
            }
            fieldset {
                legend { (lang.t("Nơi ở hiện nay", "Where you live now")) }
                label for="province" { (lang.t("Tỉnh, thành phố", "Province")) }
                select #province name="province" aria-invalid=[error_of(errors, None, "province").is_some().then_some("true")] {
                    @for (c, n) in &units.provinces {
                        option value=(c.as_str()) selected[c == &units.province] { (n) }
                    }
                }
                (error_markup(lang, errors, None, "province"))
                button.secondary type="submit" name="action" value="refresh" #choose-province {
                    (lang.t("Chọn tỉnh này để hiện danh sách xã", "Use this province's communes"))
                }
                label for="commune" { (lang.t("Xã, phường, thị trấn", "Commune")) " (" (province_name(&units.province)) ")" }
                select #commune name="commune" aria-invalid=[error_of(errors, None, "commune").is_some().then_some("true")] {
                    option value="" { "—" }
                    @for (district, communes) in &units.communes {
                        // Since 2025-07-01 communes sit directly under the province.
                        @if district.is_empty() {
                            @for (c, n) in communes {
                                option value=(c.as_str()) selected[c.as_str() == i.commune.trim()] { (n) }
                            }
                        } @else {
                            optgroup label=(district) {
                                @for (c, n) in communes {
                                    option value=(c.as_str()) selected[c.as_str() == i.commune.trim()] { (n) }
                                }
                            }
                        }
                    }
                }
                (error_markup(lang, errors, None, "commune"))
                (text_field(lang, errors, None, "village", lang.t("Thôn, bản, tổ dân phố", "Village or residential group"),
                    i.village.as_deref().unwrap_or_default(), "text", None))
                (text_field(lang, errors, None, "address", lang.t("Số nhà, đường (nếu có)", "House number, street (if any)"),
                    i.address.as_deref().unwrap_or_default(), "text", Some(("autocomplete", "street-address"))))
            }
            fieldset {
                legend { (lang.t("Đi lại trong 14 ngày qua", "Travel in the last 14 days")) }
                label for="visited_province" { (lang.t("Các tỉnh, thành phố đã đến (giữ Ctrl để chọn nhiều)", "Provinces visited (hold Ctrl for several)")) }
                select #visited_province name="visited_province" multiple size="4"
                    aria-invalid=[error_of(errors, None, "visited_provinces").is_some().then_some("true")] {
                    @for (c, n) in &units.provinces {
                        option value=(c.as_str()) selected[i.visited_provinces.iter().any(|v| v == c.as_str())] { (n) }
                    }
                }
                (error_markup(lang, errors, None, "visited_provinces"))
                label for="visited_places" { (lang.t("Những nơi đã đến (chợ, bến xe, cơ quan...)", "Places visited (markets, bus stations, offices...)")) }
                textarea #visited_places name="visited_places" rows="2" maxlength="500" {
                    (i.visited_places.as_deref().unwrap_or_default())
                }
                p.muted.small { (lang.t("Chỉ khi khai di chuyển nội địa hoặc nhập cảnh:", "Only for domestic movement or entry from abroad:")) }
                label for="origin_province" { (lang.t("Đi từ tỉnh (di chuyển nội địa)", "From province (domestic movement)")) }
                select #origin_province name="origin_province"
                    aria-invalid=[(kind == "domestic" && error_of(errors, None, "origin").is_some()).then_some("true")] {
                    option value="" { "—" }
                    @for (c, n) in &units.provinces {
                        option value=(c.as_str()) selected[c.as_str() == t.origin_province] { (n) }
                    }
                }
                @if kind == "domestic" { (error_markup(lang, errors, None, "origin")) }
                (text_field(lang, errors, None, "origin_country", lang.t("Đi từ nước (nhập cảnh, mã 2 chữ cái: LA, CN...)", "From country (entry, 2-letter code: LA, CN...)"),
                    &t.origin_country, "text", None))
                @if kind == "entry" { (error_markup(lang, errors, None, "origin")) }
                (text_field(lang, errors, None, "arrival_date", lang.t("Ngày đến", "Date of arrival"),
                    i.arrival_date.as_deref().unwrap_or_default(), "date", None))
            }
            p.small.muted {
                (lang.t("Khai báo thông tin sai là vi phạm pháp luật Việt Nam và có thể bị xử lý hình sự.",
                    "Declaring false information breaks Vietnamese law and may be prosecuted."))
            }
            button.big type="submit" name="action" value="submit" #submit-declaration {
                (lang.t("Gửi tờ khai", "Send the declaration"))
            }
        }
    }
}

/// The form page (200, or 422/409/429 with its errors) for `typed`.
async fn render_form(
    state: &AppState,
    lang: Lang,
    typed: &Typed,
    errors: &[FieldError],
    notice: Option<&str>,
) -> Result<Markup, WebError> {
    let province = if typed.input.province.trim().is_empty() {
        None
    } else {
        Some(typed.input.province.as_str())
    };
    let units = state.app().address_units(province).await?;
    Ok(shell(
        lang,
        lang.t("Khai báo y tế", "Health declaration"),
        "/khai-bao",
        form_markup(lang, &units, typed, errors, notice),
    ))
}

/// Adds the device cookie to `res` when the request had none.
fn with_device(state: &AppState, mut res: Response, new_device: Option<&str>) -> Response {
    if let Some(token) = new_device {
        if let Ok(v) = HeaderValue::from_str(&device_cookie(state, token)) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Debug, Deserialize)]
pub(super) struct FormQuery {
    kind: Option<String>,
}

/// `GET /khai-bao`: an empty form (the kind of `?kind=`), and a device cookie.
pub(super) async fn form_page(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    WebQuery(q): WebQuery<FormQuery>,
) -> Result<Response, WebError> {
    let mut typed = Typed {
        key: new_token(),
        ..Typed::default()
    };
    typed.input.kind = q
        .kind
        .filter(|k| DeclarationKind::parse(k).is_ok())
        .unwrap_or_default();
    typed.input.persons = vec![PersonDeclared::default()];
    let page = render_form(&state, lang, &typed, &[], None).await?;
    let new_device = device_token(&headers).is_none().then(new_token);
    Ok(with_device(
        &state,
        page.into_response(),
        new_device.as_deref(),
    ))
}

/// `POST /khai-bao`: a re-render, or the submission.
pub(super) async fn submit(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Pairs(pairs): Pairs,
) -> Result<Response, WebError> {
    let (mut typed, action) = parse(pairs);
    if phongdich_app::idempotency_key(Some(&typed.key)).is_none() {
        typed.key = new_token();
    }
    let existing = device_token(&headers);
    let new_device = existing.is_none().then(new_token);
    let device = existing.or_else(|| new_device.clone()).unwrap_or_default();
    let reshow = |status: StatusCode, page: Markup| {
        with_device(
            &state,
            (status, page).into_response(),
            new_device.as_deref(),
        )
    };
    match action {
        FormAction::Add => {
            if typed.input.persons.len() < MAX_PERSONS {
                typed.input.persons.push(PersonDeclared::default());
            }
            let page = render_form(&state, lang, &typed, &[], None).await?;
            return Ok(reshow(StatusCode::OK, page));
        }
        FormAction::Remove(n) => {
            if n > 0 && n < typed.input.persons.len() {
                typed.input.persons.remove(n);
            }
            let page = render_form(&state, lang, &typed, &[], None).await?;
            return Ok(reshow(StatusCode::OK, page));
        }
        FormAction::Refresh => {
            typed.input.commune.clear();
            let page = render_form(&state, lang, &typed, &[], None).await?;
            return Ok(reshow(StatusCode::OK, page));
        }
        FormAction::Submit => {}
    }
    let app = state.app();
    if let Err(errors) = app.check_declaration(&typed.input).await? {
        let page = render_form(&state, lang, &typed, &errors, None).await?;
        return Ok(reshow(StatusCode::UNPROCESSABLE_ENTITY, page));
    }
    let actor = Actor::public(Some(client).filter(|c| !c.is_empty()));
    let device_hash = token_hash(&device);
    match app
        .declare(&actor, &typed.input, Some(&device_hash), Some(&typed.key))
        .await
    {
        Ok(done) => {
            let res = Redirect::to(&format!("/khai-bao/{}", done.submission)).into_response();
            Ok(with_device(&state, res, new_device.as_deref()))
        }
        Err(AppError::Invalid { field, message }) => {
            let errors = [FieldError {
                person: None,
                field,
                message,
            }];
            let page = render_form(&state, lang, &typed, &errors, None).await?;
            Ok(reshow(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
        Err(e @ (AppError::TooManyRequests { .. } | AppError::Conflict(_))) => {
            let status = status_of(&e);
            let text = say(lang, &message_of(&e));
            let page = render_form(&state, lang, &typed, &[], Some(&text)).await?;
            let mut res = reshow(status, page);
            if let AppError::TooManyRequests { retry_after, .. } = e {
                if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

fn flag_labels(lang: Lang, flags: &[Flag]) -> String {
    flags
        .iter()
        .map(|f| lang.t(f.label_vi(), f.label_en()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn declared_facts(
    lang: Lang,
    r: &Declaration,
    names: &std::collections::HashMap<UnitCode, String>,
) -> Markup {
    let name = |c: &UnitCode| names.get(c).cloned().unwrap_or_else(|| c.to_string());
    html! {
        dl.facts {
            dt { (lang.t("Loại", "Kind")) } dd { (lang.t(r.declared.kind.label_vi(), r.declared.kind.label_en())) }
            dt { (lang.t("Khai lúc", "Declared at")) } dd { (r.declared.created_at) }
            dt { (lang.t("Giấy tờ", "Document")) } dd { (r.declared.identity.kind_str().to_uppercase()) " " (r.declared.identity.number()) }
            dt { (lang.t("Sinh", "Born")) } dd { (r.declared.birth) }
            dt { (lang.t("Nơi ở", "Lives in")) } dd {
                @if let Some(v) = &r.declared.village { (v) ", " }
                (name(&r.declared.unit_code)) ", " (name(&r.declared.province_code))
            }
            @if !r.declared.visited_provinces.is_empty() {
                dt { (lang.t("Đã đến", "Visited")) }
                dd { (r.declared.visited_provinces.iter().map(&name).collect::<Vec<_>>().join(", ")) }
            }
            dt { (lang.t("Triệu chứng", "Symptoms")) }
            dd {
                @if r.declared.symptoms.is_empty() { (lang.t("Không", "None")) }
                @else { (r.declared.symptoms.iter().map(|s| lang.t(s.label_vi(), s.label_en())).collect::<Vec<_>>().join(", ")) }
            }
        }
    }
}

/// `GET /khai-bao/{code}`: the declarant's result, on the device that declared.
pub(super) async fn result_page(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    WebPath(code): WebPath<String>,
) -> Result<Response, WebError> {
    let device = device_token(&headers).map(|t| token_hash(&t));
    let actor = Actor::public(Some(client).filter(|c| !c.is_empty()));
    let view = match state
        .app()
        .declaration(&actor, &code, device.as_deref())
        .await
    {
        Ok(v) => v,
        Err(AppError::NotFound) => {
            let body = shell(
                lang,
                lang.t("Không tìm thấy tờ khai", "Declaration not found"),
                "/khai-bao",
                html! {
                    h1 { (lang.t("Không tìm thấy tờ khai", "Declaration not found")) }
                    p role="alert" { (lang.t(
                        "Tờ khai chỉ mở được trên điện thoại đã gửi nó, trong thời gian lưu giữ. Cán bộ tại chốt kiểm soát tra được mã của bạn.",
                        "A declaration opens only on the phone that sent it, while it is kept. Checkpoint staff can look your code up."
                    )) }
                    p { a href="/khai-bao" { (lang.t("Khai báo mới", "New declaration")) } }
                },
            );
            return Ok((StatusCode::NOT_FOUND, body).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let mut cards = Vec::new();
    for r in &view.rows {
        let url = site_url(&state, &headers, &format!("/d/{}", r.declared.code));
        cards.push((r, qr_svg(&url).unwrap_or_default()));
    }
    let content = html! {
        h1 { (lang.t("Đã khai báo y tế", "Health declaration sent")) }
        p.notice.ok role="status" {
            (lang.t("Xuất trình mã QR (hoặc mã số) dưới đây tại chốt kiểm soát. Chụp màn hình để dùng khi không có mạng.",
                "Show the QR code (or the code) below at checkpoints. Take a screenshot to use it offline."))
        }
        @for (r, svg) in &cards {
            section.card.declared id={ "code-" (r.declared.code) } {
                h2 { (r.declared.full_name.as_str()) }
                p.code { (r.declared.code.grouped()) }
                div.qr aria-label=(lang.t("Mã QR của tờ khai", "The declaration's QR code")) { (PreEscaped(svg)) }
                @if !r.declared.flags.is_empty() {
                    p.notice.flagged role="alert" {
                        strong { (flag_labels(lang, &r.declared.flags)) ". " }
                        (lang.t("Cán bộ y tế xã sẽ liên hệ với bạn. Hạn chế tiếp xúc; nếu sốt cao hoặc khó thở, gọi 115 hoặc đến cơ sở y tế gần nhất.",
                            "The commune's health staff will contact you. Limit contacts; with a high fever or shortness of breath, call 115 or go to the nearest clinic."))
                    }
                }
                (declared_facts(lang, r, &view.unit_names))
            }
        }
        p { a href="/khai-bao" { (lang.t("Khai báo mới", "New declaration")) } " · " a href="/privacy" { (lang.t("Quyền riêng tư", "Privacy")) } }
    };
    let path = format!("/khai-bao/{code}");
    Ok(shell(
        lang,
        lang.t("Mã khai báo y tế", "Declaration code"),
        &path,
        content,
    )
    .into_response())
}

/// Blocks of a small Markdown document: `#`/`##` headings, `- ` lists (continued by
/// indented lines) and paragraphs; PRIVACY.md keeps to those.
fn markdown_blocks(text: &str) -> Markup {
    enum Block {
        H1(String),
        H2(String),
        P(String),
        Ul(Vec<String>),
    }
    let mut blocks: Vec<Block> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let l = line.trim();
        let continues = |b: &mut Vec<Block>, l: &str| match b.last_mut() {
            Some(Block::P(p)) => {
                p.push(' ');
                p.push_str(l);
                true
            }
            Some(Block::Ul(items)) if line.starts_with("  ") => {
                if let Some(last) = items.last_mut() {
                    last.push(' ');
                    last.push_str(l);
                }
                true
            }
            _ => false,
        };
        if l.is_empty() {
            open = false;
        } else if let Some(h) = l.strip_prefix("## ") {
            blocks.push(Block::H2(h.to_owned()));
            open = false;
        } else if let Some(h) = l.strip_prefix("# ") {
            blocks.push(Block::H1(h.to_owned()));
            open = false;
        } else if let Some(item) = l.strip_prefix("- ") {
            match blocks.last_mut() {
                Some(Block::Ul(items)) if open => items.push(item.to_owned()),
                _ => blocks.push(Block::Ul(vec![item.to_owned()])),
            }
            open = true;
        } else if !(open && continues(&mut blocks, l)) {
            blocks.push(Block::P(l.to_owned()));
            open = true;
        }
    }
    html! {
        @for b in &blocks {
            @match b {
                Block::H1(t) => h1 { (t) },
                Block::H2(t) => h2 { (t) },
                Block::P(t) => p { (t) },
                Block::Ul(items) => ul { @for i in items { li { (i) } } },
            }
        }
    }
}

/// `GET /privacy`: the privacy notice, from docs/PRIVACY.md, with this deployment's
/// retention period.
pub(super) async fn privacy_page(State(state): State<AppState>, lang: Lang) -> Markup {
    let days = state.settings().retention.days;
    let content = html! {
        p.notice {
            (lang.t("Thời gian lưu giữ tờ khai và lượt quét mã trên hệ thống này: ", "Declarations and check-ins are kept on this system for: "))
            strong #retention-days { (days) } (lang.t(" ngày.", " days."))
        }
        (markdown_blocks(PRIVACY))
    };
    shell(
        lang,
        lang.t("Quyền riêng tư", "Privacy"),
        "/privacy",
        content,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn privacy_markdown_becomes_headings_lists_and_paragraphs() {
        let html = markdown_blocks("# T\n\nOne\ntwo.\n\n- a\n  b\n- c\n\n## S\n").into_string();
        assert_eq!(
            html,
            "<h1>T</h1><p>One two.</p><ul><li>a b</li><li>c</li></ul><h2>S</h2>"
        );
    }

    #[test]
    fn the_form_reads_repeated_and_numbered_fields() {
        let (t, action) = parse(pairs(&[
            ("kind", "domestic"),
            ("persons", "2"),
            ("p0.full_name", "A"),
            ("p0.symptom", "fever"),
            ("p0.symptom", "cough"),
            ("p1.id_number", "123"),
            ("p1.case_contact", "1"),
            ("p99.full_name", "ignored"),
            ("visited_province", "01"),
            ("visited_province", "12"),
            ("origin_province", "01"),
            ("origin_country", "LA"),
            ("action", "remove-1"),
        ]));
        assert_eq!(action, FormAction::Remove(1));
        assert_eq!(t.input.persons.len(), 2);
        assert_eq!(t.input.persons[0].symptoms, vec!["fever", "cough"]);
        assert!(t.input.persons[1].case_contact);
        assert_eq!(t.input.visited_provinces, vec!["01", "12"]);
        assert_eq!(t.input.origin.as_deref(), Some("01"));
        let (t, action) = parse(pairs(&[("persons", "999")]));
        assert_eq!(
            (t.input.persons.len(), action),
            (MAX_PERSONS, FormAction::Submit)
        );
    }
}
