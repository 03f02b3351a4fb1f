//! Venues (địa điểm) and their QR posters, for staff and venue operators:
//!
//! - `/venues`: the venues of the jurisdiction (a venue operator: its own), by name;
//! - `/venues/new`, `POST /venues`: a new venue (name, kind, commune, address,
//!   capacity, operator, default stay, end of the poster's validity);
//! - `/venues/{id}`: the venue, its poster links, the rotate button, the edit form,
//!   the staff check-in form (phone and name, ID number, or the chip ID card's QR code
//!   typed by a scanner), today's count and the latest check-ins;
//! - `/venues/{id}/poster` (A4 print page), `poster.svg`, `poster.png` ([`poster`]);
//! - the same over JSON under `/api/v1/venues` ([`api`]).

pub mod api;
pub mod poster;

use super::{Guard, Route};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::error::{message_of, WebError, WebPath, WebQuery};
use crate::web::i18n::Lang;
use crate::web::layout::{shell_signed_in, someone};
use crate::web::session::{may_write, CurrentUser};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use phongdich_app::checkins::{CheckedIn, StaffCheckInInput};
use phongdich_app::venues::{VenueInput, VenueView};
use phongdich_app::{idempotency_key, AppError, Text};
use phongdich_domain::{AdminLevel, AdminUnit, Role, UnitCode, VenueKind};
use serde::Deserialize;

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/venues", "/venues", Guard::SignedIn, list_page),
        Route::get("/venues/new", "/venues/new", Guard::SignedIn, new_page),
        Route::post("/venues", "/venues", Guard::SignedIn, create),
        Route::get("/venues/{id}", "/venues/1", Guard::SignedIn, venue_page),
        Route::post("/venues/{id}", "/venues/1", Guard::SignedIn, edit),
        Route::post(
            "/venues/{id}/rotate",
            "/venues/1/rotate",
            Guard::SignedIn,
            rotate,
        ),
        Route::post(
            "/venues/{id}/checkins",
            "/venues/1/checkins",
            Guard::SignedIn,
            staff_check_in,
        ),
        Route::post(
            "/venues/{id}/checkins/{check_in}/checkout",
            "/venues/1/checkins/1/checkout",
            Guard::SignedIn,
            staff_check_out,
        ),
        Route::get(
            "/venues/{id}/poster",
            "/venues/1/poster",
            Guard::SignedIn,
            poster::poster_page,
        ),
        Route::get(
            "/venues/{id}/poster.svg",
            "/venues/1/poster.svg",
            Guard::SignedIn,
            poster::poster_svg,
        ),
        Route::get(
            "/venues/{id}/poster.png",
            "/venues/1/poster.png",
            Guard::SignedIn,
            poster::poster_png,
        ),
        Route::get(
            "/api/v1/venues",
            "/api/v1/venues",
            Guard::SignedIn,
            api::list,
        ),
        Route::post(
            "/api/v1/venues",
            "/api/v1/venues",
            Guard::SignedIn,
            api::create,
        ),
        Route::get(
            "/api/v1/venues/{id}",
            "/api/v1/venues/1",
            Guard::SignedIn,
            api::get,
        ),
        Route::post(
            "/api/v1/venues/{id}/rotate",
            "/api/v1/venues/1/rotate",
            Guard::SignedIn,
            api::rotate,
        ),
        Route::post(
            "/api/v1/venues/{id}/checkins",
            "/api/v1/venues/1/checkins",
            Guard::SignedIn,
            api::check_in,
        ),
        Route::post(
            "/api/v1/venues/{id}/checkins/{check_in}/checkout",
            "/api/v1/venues/1/checkins/1/checkout",
            Guard::SignedIn,
            api::check_out,
        ),
    ]
}

fn say(lang: Lang, t: &Text) -> String {
    match lang {
        Lang::Vi => t.vi.to_string(),
        Lang::En => t.en.to_string(),
    }
}

/// A form's error: the field it belongs to (`_` for the whole form) and the text.
type FieldError = Option<(&'static str, String)>;

fn error_of(lang: Lang, e: &AppError) -> FieldError {
    match e {
        AppError::Invalid { field, message } => Some((*field, say(lang, message))),
        other => Some(("_", say(lang, &message_of(other)))),
    }
}

fn field_error(err: &FieldError, field: &str) -> Markup {
    html! {
        @if let Some((f, text)) = err {
            @if *f == field { span.field-error id={ "error-" (field) } role="alert" { (text) } }
        }
    }
}

fn form_error(err: &FieldError) -> Markup {
    html! {
        @if let Some((f, text)) = err {
            @if *f == "_" { p.notice.error role="alert" { (text) } }
        }
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    unit: Option<String>,
    cursor: Option<String>,
}

async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebQuery(q): WebQuery<ListQuery>,
) -> Result<Markup, WebError> {
    let app = state.app();
    let page = app
        .list_venues(&user.actor, q.unit.as_deref(), q.cursor.as_deref())
        .await?;
    let units = match app.scope(&user.actor).await {
        Ok(scope) => scope.filter_units(app.store()).await?,
        Err(_) => Vec::new(),
    };
    let chosen = page.unit.as_ref().map(UnitCode::as_str).unwrap_or_default();
    let content = html! {
        h1 { (lang.t("Địa điểm quét mã QR", "Venues with QR check-in")) }
        @if may_write(&user) {
            p { a.button #new-venue href="/venues/new" { (lang.t("+ Thêm địa điểm", "+ New venue")) } }
        }
        @if !units.is_empty() {
            form.inline method="get" action="/venues" {
                label { (lang.t("Địa bàn", "Unit"))
                    select name="unit" {
                        option value="" { (lang.t("Toàn bộ địa bàn", "The whole jurisdiction")) }
                        @for u in &units {
                            option value=(u.code.as_str()) selected[u.code.as_str() == chosen] { (u.name) }
                        }
                    }
                }
                button type="submit" { (lang.t("Lọc", "Filter")) }
            }
        }
        @if page.items.is_empty() {
            p.muted { (lang.t("Chưa có địa điểm.", "No venue yet.")) }
        } @else {
            div.table-wrap { table #venues {
                thead { tr {
                    th { (lang.t("Tên", "Name")) }
                    th { (lang.t("Loại", "Kind")) }
                    th { (lang.t("Xã, phường", "Commune")) }
                    th { (lang.t("Lưu lại", "Stay")) }
                    th { (lang.t("Áp phích", "Poster")) }
                } }
                tbody { @for v in &page.items { tr.venue {
                    td { a href={ "/venues/" (v.venue.place.id) } { (v.venue.place.name) } }
                    td { @if let Some(k) = v.venue.place.venue_kind { (kind_label(lang, k)) } }
                    td { @if let Some(n) = &v.unit_name { (n) } }
                    td { (v.venue.stay.minutes()) " " (lang.t("phút", "min")) }
                    td { a href={ "/venues/" (v.venue.place.id) "/poster" } { (lang.t("In", "Print")) } }
                } } }
            } }
        }
        @if let Some(next) = &page.next {
            p { a rel="next" href={ "/venues?unit=" (chosen) "&cursor=" (next) } { (lang.t("Trang sau →", "Next page →")) } }
        }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Địa điểm", "Venues"),
        "/venues",
        &user,
        content,
    ))
}

fn kind_label(lang: Lang, k: VenueKind) -> &'static str {
    match lang {
        Lang::Vi => k.label_vi(),
        Lang::En => k.as_str(),
    }
}

/// What the venue form shows.
#[derive(Debug, Default, Clone, Deserialize)]
struct VenueForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    venue_kind: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    operator: String,
    #[serde(default)]
    stay_minutes: String,
    #[serde(default)]
    valid_until: String,
    #[serde(default)]
    idempotency_key: Option<String>,
}

impl VenueForm {
    fn of(v: &VenueView) -> Self {
        let p = &v.venue.place;
        Self {
            name: p.name.clone(),
            venue_kind: p
                .venue_kind
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
            unit: p
                .unit_code
                .as_ref()
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default(),
            address: p.address.clone().unwrap_or_default(),
            capacity: p.capacity.map(|c| c.to_string()).unwrap_or_default(),
            operator: p.operator.clone().unwrap_or_default(),
            stay_minutes: v.venue.stay.minutes().to_string(),
            valid_until: v
                .venue
                .token_expires_at
                .map(|t| t.local_date().to_string())
                .unwrap_or_default(),
            idempotency_key: None,
        }
    }

    /// The use case's input; a number that does not parse is refused with its field.
    fn input(&self) -> Result<VenueInput, AppError> {
        let number = |field: &'static str, s: &str, vi: &'static str, en: &'static str| {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<i64>()
                .map(Some)
                .map_err(|_| AppError::invalid(field, vi, en))
        };
        Ok(VenueInput {
            name: self.name.clone(),
            venue_kind: self.venue_kind.clone(),
            unit: self.unit.clone(),
            address: Some(self.address.clone()),
            capacity: number(
                "capacity",
                &self.capacity,
                "Sức chứa phải là số từ 1 đến 1.000.000.",
                "The capacity must be a number from 1 to 1,000,000.",
            )?,
            operator: Some(self.operator.clone()),
            stay_minutes: number(
                "stay_minutes",
                &self.stay_minutes,
                "Thời gian lưu lại mặc định phải từ 5 đến 1440 phút.",
                "The default stay must be 5 to 1440 minutes.",
            )?,
            valid_until: Some(self.valid_until.clone()),
        })
    }
}

fn communes(units: &[AdminUnit]) -> Vec<&AdminUnit> {
    units
        .iter()
        .filter(|u| matches!(u.level, AdminLevel::Commune | AdminLevel::Village))
        .collect()
}

fn venue_form(
    lang: Lang,
    user: &CurrentUser,
    action: &str,
    f: &VenueForm,
    units: &[AdminUnit],
    err: &FieldError,
    submit: &str,
) -> Markup {
    let key = f
        .idempotency_key
        .clone()
        .unwrap_or_else(phongdich_app::accounts::new_token);
    html! {
        (form_error(err))
        form.stack #venue-form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(user.csrf_token);
            input type="hidden" name="idempotency_key" value=(key);
            label for="name" { (lang.t("Tên địa điểm", "Name")) }
            input #name type="text" name="name" maxlength="200" required value=(f.name);
            (field_error(err, "name"))
            label for="venue_kind" { (lang.t("Loại địa điểm", "Kind")) }
            select #venue_kind name="venue_kind" required {
                option value="" { "—" }
                @for k in VenueKind::ALL {
                    option value=(k.as_str()) selected[k.as_str() == f.venue_kind] { (kind_label(lang, k)) }
                }
            }
            (field_error(err, "venue_kind"))
            label for="unit" { (lang.t("Xã, phường", "Commune")) }
            select #unit name="unit" required {
                option value="" { "—" }
                @for u in communes(units) {
                    option value=(u.code.as_str()) selected[u.code.as_str() == f.unit] { (u.name) }
                }
            }
            (field_error(err, "unit"))
            label for="address" { (lang.t("Địa chỉ", "Address")) }
            input #address type="text" name="address" maxlength="300" value=(f.address);
            label for="capacity" { (lang.t("Sức chứa (người)", "Capacity (people)")) }
            input #capacity type="text" inputmode="numeric" name="capacity" value=(f.capacity);
            (field_error(err, "capacity"))
            label for="operator" { (lang.t("Đơn vị quản lý", "Operator")) }
            input #operator type="text" name="operator" maxlength="200" value=(f.operator);
            label for="stay_minutes" { (lang.t("Thời gian lưu lại mặc định (phút, nếu không check-out)", "Default stay (minutes, when not checked out)")) }
            input #stay_minutes type="text" inputmode="numeric" name="stay_minutes" placeholder="60" value=(f.stay_minutes);
            (field_error(err, "stay_minutes"))
            label for="valid_until" { (lang.t("Mã QR có hiệu lực đến hết ngày (để trống: không hết hạn)", "QR code valid until the end of (empty: no end)")) }
            input #valid_until type="date" name="valid_until" value=(f.valid_until);
            (field_error(err, "valid_until"))
            button type="submit" #save-venue { (submit) }
        }
    }
}

async fn units_of(state: &AppState, user: &CurrentUser) -> Result<Vec<AdminUnit>, WebError> {
    let app = state.app();
    Ok(match app.scope(&user.actor).await {
        Ok(scope) => {
            let mut units = scope.filter_units(app.store()).await?;
            if !scope.whole() {
                // A commune account: its own commune is the choice.
                if let Ok(u) = app.store().unit(&scope.root).await {
                    units.insert(0, u);
                }
            }
            units
        }
        Err(_) => Vec::new(),
    })
}

async fn new_form(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    f: &VenueForm,
    err: &FieldError,
) -> Result<Markup, WebError> {
    let units = units_of(state, user).await?;
    let content = html! {
        h1 { (lang.t("Thêm địa điểm quét mã QR", "New venue with QR check-in")) }
        (venue_form(lang, user, "/venues", f, &units, err, lang.t("Tạo địa điểm", "Create venue")))
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Thêm địa điểm", "New venue"),
        "/venues/new",
        user,
        content,
    ))
}

async fn new_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<Markup, WebError> {
    if !may_write(&user) {
        return Err(AppError::Forbidden.into());
    }
    new_form(&state, &user, lang, &VenueForm::default(), &None).await
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    CsrfForm(f): CsrfForm<VenueForm>,
) -> Result<Response, WebError> {
    let result = match f.input() {
        Ok(input) => {
            state
                .app()
                .create_venue(
                    &user.actor,
                    &input,
                    idempotency_key(f.idempotency_key.as_deref()),
                )
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/venues/{id}")).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let body = new_form(&state, &user, lang, &f, &error_of(lang, &e)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// What the venue page shows besides the venue: a notice, and the state of its two
/// forms.
#[derive(Debug, Default)]
struct PageState {
    notice: Option<String>,
    edit: Option<VenueForm>,
    edit_error: FieldError,
    check_in: StaffForm,
    check_in_error: FieldError,
}

async fn render_venue(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: i64,
    ps: PageState,
) -> Result<Markup, WebError> {
    let app = state.app();
    let v = app.view_venue(&user.actor, id).await?;
    let visits = app.venue_check_ins(&user.actor, id).await?;
    let now = app.now();
    let manages = may_write(user) && user.actor.role != Role::VenueOperator;
    let operates = manages
        || (user.actor.role == Role::VenueOperator
            && !matches!(
                user.actor.channel,
                phongdich_app::Channel::Token { write: false }
            ));
    let units = if manages {
        units_of(state, user).await?
    } else {
        Vec::new()
    };
    let edit = ps.edit.clone().unwrap_or_else(|| VenueForm::of(&v));
    let p = &v.venue.place;
    let base = format!("/venues/{id}");
    let sf = &ps.check_in;
    let content = html! {
        @if let Some(n) = &ps.notice { p.notice.ok #notice role="status" { (n) } }
        h1 #venue-name { (p.name) }
        dl.facts {
            dt { (lang.t("Loại", "Kind")) } dd { @if let Some(k) = p.venue_kind { (kind_label(lang, k)) } }
            dt { (lang.t("Xã, phường", "Commune")) } dd { @if let Some(n) = &v.unit_name { (n) } }
            dt { (lang.t("Địa chỉ", "Address")) } dd { @if let Some(a) = &p.address { (a) } }
            dt { (lang.t("Lưu lại mặc định", "Default stay")) } dd { (v.venue.stay.minutes()) " " (lang.t("phút", "minutes")) }
            dt { (lang.t("Mã QR", "QR code")) } dd #token-version { "v" (v.venue.token_version)
                @if let Some(t) = v.venue.token_expires_at { " · " (lang.t("hiệu lực đến ", "valid until ")) (t) } }
            dt { (lang.t("Lượt quét hôm nay", "Check-ins today")) } dd #today { (lang.number(i64::try_from(visits.today).unwrap_or(i64::MAX))) }
        }
        h2 { (lang.t("Áp phích mã QR", "QR poster")) }
        p {
            a #poster-link href={ (base) "/poster" } { (lang.t("Trang in A4", "A4 print page")) }
            " · " a href={ (base) "/poster.svg" } { "SVG" }
            " · " a href={ (base) "/poster.png" } { "PNG" }
            " · " a #check-in-link href=(v.check_in_path()) { (lang.t("Trang quét mã", "Check-in page")) }
        }
        @if operates {
            form.inline method="post" action={ (base) "/rotate" } {
                input type="hidden" name="csrf" value=(user.csrf_token);
                button type="submit" #rotate { (lang.t("Đổi mã QR (áp phích cũ hết hiệu lực)", "Rotate the QR code (old posters stop working)")) }
            }
            h2 { (lang.t("Quét vào cho người không có điện thoại thông minh", "Check in a person without a smartphone")) }
            (form_error(&ps.check_in_error))
            form.stack #staff-check-in method="post" action={ (base) "/checkins" } novalidate {
                input type="hidden" name="csrf" value=(user.csrf_token);
                input type="hidden" name="idempotency_key" value=(phongdich_app::accounts::new_token());
                label for="cccd_qr" { (lang.t("Mã QR trên CCCD (quét bằng máy đọc)", "The chip ID card's QR code (scan it)")) }
                input #cccd_qr type="text" name="cccd_qr" maxlength="500" autocomplete="off" value=(sf.cccd_qr);
                (field_error(&ps.check_in_error, "cccd_qr"))
                label for="id_number" { (lang.t("hoặc số CCCD/CMND", "or the ID number")) }
                input #id_number type="text" name="id_number" maxlength="20" autocomplete="off" value=(sf.id_number);
                (field_error(&ps.check_in_error, "id_number"))
                label for="staff_phone" { (lang.t("Số điện thoại", "Phone")) }
                input #staff_phone type="tel" name="phone" maxlength="30" value=(sf.phone);
                (field_error(&ps.check_in_error, "phone"))
                label for="staff_name" { (lang.t("Họ và tên", "Full name")) }
                input #staff_name type="text" name="full_name" maxlength="100" value=(sf.full_name);
                (field_error(&ps.check_in_error, "full_name"))
                button type="submit" #staff-check-in-button { (lang.t("Ghi nhận quét vào", "Record the check-in")) }
            }
        }
        @if !visits.recent.is_empty() {
            h2 { (lang.t("Lượt quét gần đây", "Latest check-ins")) }
            div.table-wrap { table #recent-check-ins {
                thead { tr {
                    th { (lang.t("Vào", "Arrived")) }
                    th { (lang.t("Đến", "Until")) }
                    th { (lang.t("Người", "Person")) }
                    th { (lang.t("Cách quét", "How")) }
                    @if operates { th { (lang.t("Cho ra", "Check out")) } }
                } }
                tbody { @for (c, who) in &visits.recent { tr {
                    td { (c.arrived_at) }
                    td { (c.until) @if c.left_at.is_some() { " ✓" } }
                    td { (someone(lang, who)) }
                    td { (match lang { Lang::Vi => c.channel.label_vi(), Lang::En => c.channel.as_str() }) }
                    @if operates { td {
                        // Still there by the default stay: staff may end the visit now.
                        @if c.left_at.is_none() && c.until > now {
                            form.inline method="post" action={ (base) "/checkins/" (c.id) "/checkout" } {
                                input type="hidden" name="csrf" value=(user.csrf_token);
                                button.small type="submit" id={ "check-out-" (c.id) } { (lang.t("Cho ra", "Check out")) }
                            }
                        }
                    } }
                } } }
            } }
        }
        @if manages {
            h2 { (lang.t("Sửa thông tin địa điểm", "Edit the venue")) }
            (venue_form(lang, user, &base, &edit, &units, &ps.edit_error, lang.t("Lưu", "Save")))
        }
    };
    Ok(shell_signed_in(lang, &p.name, &base, user, content))
}

async fn venue_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath(id): WebPath<i64>,
) -> Result<Markup, WebError> {
    render_venue(&state, &user, lang, id, PageState::default()).await
}

async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath(id): WebPath<i64>,
    CsrfForm(f): CsrfForm<VenueForm>,
) -> Result<Response, WebError> {
    let result = match f.input() {
        Ok(input) => state.app().edit_venue(&user.actor, id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/venues/{id}")).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let ps = PageState {
                edit_error: error_of(lang, &e),
                edit: Some(f),
                ..PageState::default()
            };
            let body = render_venue(&state, &user, lang, id, ps).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct NoFields {}

async fn rotate(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath(id): WebPath<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Markup, WebError> {
    let v = state.app().rotate_venue_token(&user.actor, id).await?;
    let ps = PageState {
        notice: Some(format!(
            "{} v{}",
            lang.t(
                "Đã đổi mã QR: hãy in và dán áp phích mới. Mã cũ không còn dùng được. Phiên bản:",
                "The QR code was rotated: print and put up the new poster. The old code no longer works. Version:"
            ),
            v.venue.token_version
        )),
        ..PageState::default()
    };
    render_venue(&state, &user, lang, id, ps).await
}

async fn staff_check_out(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath((id, check_in)): WebPath<(i64, i64)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Markup, WebError> {
    let c = state
        .app()
        .staff_check_out(&user.actor, id, check_in)
        .await?;
    let ps = PageState {
        notice: Some(format!(
            "{} #{} ({})",
            lang.t("Đã cho ra", "Checked out"),
            c.check_in_id,
            phongdich_domain::Timestamp::parse(&c.until)
                .map(|t| t.to_string())
                .unwrap_or_default()
        )),
        ..PageState::default()
    };
    render_venue(&state, &user, lang, id, ps).await
}

/// The staff check-in form.
#[derive(Debug, Default, Clone, Deserialize)]
struct StaffForm {
    #[serde(default)]
    cccd_qr: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    idempotency_key: Option<String>,
}

fn checked_in_notice(lang: Lang, c: &CheckedIn) -> String {
    format!(
        "{} #{} ({} {})",
        lang.t("Đã ghi nhận quét vào", "Checked in"),
        c.check_in_id,
        lang.t("đến", "until"),
        phongdich_domain::Timestamp::parse(&c.until)
            .map(|t| t.to_string())
            .unwrap_or_default()
    )
}

async fn staff_check_in(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath(id): WebPath<i64>,
    CsrfForm(f): CsrfForm<StaffForm>,
) -> Result<Response, WebError> {
    let input = StaffCheckInInput {
        cccd_qr: Some(f.cccd_qr.clone()),
        id_number: Some(f.id_number.clone()),
        phone: Some(f.phone.clone()),
        full_name: Some(f.full_name.clone()),
    };
    match state
        .app()
        .staff_check_in(
            &user.actor,
            id,
            &input,
            idempotency_key(f.idempotency_key.as_deref()),
        )
        .await
    {
        Ok(c) => {
            let ps = PageState {
                notice: Some(checked_in_notice(lang, &c)),
                ..PageState::default()
            };
            Ok(render_venue(&state, &user, lang, id, ps)
                .await?
                .into_response())
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let ps = PageState {
                check_in_error: error_of(lang, &e),
                check_in: StaffForm {
                    cccd_qr: f.cccd_qr.chars().take(500).collect(),
                    id_number: f.id_number.chars().take(20).collect(),
                    phone: f.phone.chars().take(30).collect(),
                    full_name: f.full_name.chars().take(100).collect(),
                    idempotency_key: None,
                },
                ..PageState::default()
            };
            let body = render_venue(&state, &user, lang, id, ps).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
