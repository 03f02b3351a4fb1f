//! Public check-in at a venue, from its QR poster: no sign-in, phone first, no script.
//!
//! - `GET /c/{token}`: the venue named by the poster's signed token (a forged token
//!   answers 404, a rotated or expired one 410, each with what to do), and the form:
//!   phone and name the first time, then (remembered on the phone in the `pd_visitor`
//!   cookie: `HttpOnly`, `SameSite=Lax`, a year) one button;
//! - `POST /c/{token}`: checks in (every field checked, with the message next to it and
//!   the form kept; a hidden idempotency key makes a double submission answer the first
//!   check-in), and shows the visit with a "check out now" button;
//! - `POST /checkins/{id}/out`: checks out, with the code the success page carries;
//! - `POST /api/v1/checkins` and `POST /api/v1/checkins/{id}/checkout`: the same in
//!   JSON ([`api`]).
//!
//! Bodies of these routes are limited to [`BODY_LIMIT`] bytes; requests are rate
//! limited per address and per phone by the use cases (429 with `Retry-After`).

pub mod api;

use super::{Guard, Route};
use crate::state::AppState;
use crate::web::client::ClientAddr;
use crate::web::cookies::{self, CookieOptions};
use crate::web::error::{message_of, status_of, WebError, WebQuery};
use crate::web::i18n::Lang;
use crate::web::layout::shell;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};
use phongdich_app::checkins::{CheckInInput, CheckedIn};
use phongdich_app::venues::TokenRefused;
use phongdich_app::{idempotency_key, Actor, AppError, Text};
use phongdich_store::Venue;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Largest body the public check-in routes read (a form or JSON of a phone and a
/// name is a few hundred bytes).
pub const BODY_LIMIT: usize = 4 * 1024;

/// The cookie that remembers the visitor's phone and name on their phone.
pub const VISITOR_COOKIE: &str = "pd_visitor";

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    let limited = |r: Route| Route {
        handler: r.handler.layer(DefaultBodyLimit::max(BODY_LIMIT)),
        ..r
    };
    vec![
        Route::get(
            "/c/{token}",
            "/c/1.1.00000000000000000000",
            Guard::Public,
            page,
        ),
        limited(Route::post(
            "/c/{token}",
            "/c/1.1.00000000000000000000",
            Guard::Public,
            submit,
        )),
        limited(Route::post(
            "/checkins/{id}/out",
            "/checkins/1/out",
            Guard::Public,
            check_out,
        )),
        limited(Route::post(
            "/api/v1/checkins",
            "/api/v1/checkins",
            Guard::Public,
            api::check_in,
        )),
        limited(Route::post(
            "/api/v1/checkins/{id}/checkout",
            "/api/v1/checkins/1/checkout",
            Guard::Public,
            api::check_out,
        )),
    ]
}

/// A public form body, its rejections (too large, malformed) answered as pages.
#[derive(Debug)]
pub struct PublicForm<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for PublicForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match Form::<T>::from_request(req, state).await {
            Ok(Form(v)) => Ok(Self(v)),
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
            Err(r) => Err(WebError::BadRequest(r.body_text()).into_response()),
        }
    }
}

/// 413 in both languages.
fn too_large() -> Response {
    let body = shell(
        Lang::Vi,
        "413",
        "/",
        html! {
            h1 { "413" }
            p role="alert" { "Nội dung gửi lên quá lớn." }
            p.muted lang="en" { "The request is too large." }
        },
    );
    (StatusCode::PAYLOAD_TOO_LARGE, body).into_response()
}

fn say(lang: Lang, t: &Text) -> String {
    match lang {
        Lang::Vi => t.vi.to_string(),
        Lang::En => t.en.to_string(),
    }
}

/// The visitor remembered on this phone: (phone, name).
fn remembered(headers: &HeaderMap) -> Option<(String, String)> {
    let v = cookies::get(headers, VISITOR_COOKIE)?;
    let (phone, name) = v.split_once('~')?;
    let name = percent_decode(name)?;
    (!phone.is_empty() && !name.is_empty()).then(|| (phone.to_owned(), name))
}

fn remember_cookie(state: &AppState, phone: &str, name: &str) -> String {
    let mut value = String::from(phone);
    value.push('~');
    value.extend(crate::web::session::form_encode(name));
    cookies::set(
        VISITOR_COOKIE,
        &value,
        CookieOptions {
            http_only: true,
            secure: state.settings().secure_cookies,
            max_age: Some(365 * 86_400),
        },
    )
}

fn forget_cookie(state: &AppState) -> String {
    cookies::set(
        VISITOR_COOKIE,
        "",
        CookieOptions {
            http_only: true,
            secure: state.settings().secure_cookies,
            max_age: Some(0),
        },
    )
}

/// Decodes `%XX` escapes (UTF-8); `None` when malformed.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `0912***678`.
fn masked(phone: &str) -> String {
    let n = phone.chars().count();
    if n < 7 {
        return phone.to_owned();
    }
    let head: String = phone.chars().take(4).collect();
    let tail: String = phone.chars().skip(n - 3).collect();
    format!("{head}***{tail}")
}

fn refused(lang: Lang, r: TokenRefused) -> Response {
    let status = match r {
        TokenRefused::Forged => StatusCode::NOT_FOUND,
        TokenRefused::Rotated | TokenRefused::Expired => StatusCode::GONE,
    };
    let t = r.text();
    let body = shell(
        lang,
        lang.t("Mã QR không dùng được", "QR code refused"),
        "/",
        html! {
            h1 { (lang.t("Không thể quét vào địa điểm", "Cannot check in here")) }
            p.notice.error #token-refused role="alert" { (say(lang, &t)) }
            @if lang == Lang::Vi { p.muted lang="en" { (t.en) } }
        },
    );
    (status, body).into_response()
}

/// What the form shows: the values typed, and the error next to its field.
#[derive(Debug, Default)]
struct FormState {
    phone: String,
    full_name: String,
    remember: bool,
    error: Option<(&'static str, String)>,
    /// Shows the phone and name fields even when remembered.
    edit: bool,
}

fn field_error(f: &FormState, field: &str) -> Markup {
    html! {
        @if let Some((name, text)) = &f.error {
            @if *name == field { span.field-error id={ "error-" (field) } role="alert" { (text) } }
        }
    }
}

fn venue_heading(lang: Lang, v: &Venue) -> Markup {
    html! {
        p.muted { (lang.t("Quét mã vào địa điểm", "Check in at")) }
        h1 #venue-name { (v.place.name) }
        @if let Some(a) = &v.place.address { p.muted { (a) } }
    }
}

fn check_in_form(
    lang: Lang,
    token: &str,
    v: &Venue,
    f: &FormState,
    known: Option<&(String, String)>,
) -> Markup {
    let action = format!("/c/{token}");
    let key = phongdich_app::accounts::new_token();
    html! {
        (venue_heading(lang, v))
        @if let Some((field, text)) = &f.error {
            @if *field == "_" { p.notice.error role="alert" { (text) } }
        }
        @match known {
            Some((phone, name)) if !f.edit => {
                form.stack.checkin method="post" action=(action) {
                    input type="hidden" name="idempotency_key" value=(key);
                    input type="hidden" name="phone" value=(phone);
                    input type="hidden" name="full_name" value=(name);
                    input type="hidden" name="remember" value="1";
                    p #known { (lang.t("Bạn là ", "You are ")) strong { (name) } " · " (masked(phone)) }
                    (field_error(f, "phone"))
                    (field_error(f, "full_name"))
                    button.big type="submit" #check-in { (lang.t("Quét vào (check-in)", "Check in")) }
                }
                p { a href={ (action) "?edit=1" } { (lang.t("Không phải bạn? Nhập lại", "Not you? Enter again")) } }
            }
            _ => {
                form.stack.checkin method="post" action=(action) novalidate {
                    input type="hidden" name="idempotency_key" value=(key);
                    label for="phone" { (lang.t("Số điện thoại", "Phone number")) }
                    input #phone type="tel" name="phone" inputmode="tel" autocomplete="tel"
                        maxlength="30" required value=(f.phone)
                        aria-invalid=[f.error.as_ref().filter(|e| e.0 == "phone").map(|_| "true")];
                    (field_error(f, "phone"))
                    label for="full_name" { (lang.t("Họ và tên", "Full name")) }
                    input #full_name type="text" name="full_name" autocomplete="name"
                        maxlength="100" required value=(f.full_name)
                        aria-invalid=[f.error.as_ref().filter(|e| e.0 == "full_name").map(|_| "true")];
                    (field_error(f, "full_name"))
                    label.check {
                        input type="checkbox" name="remember" value="1" checked[f.remember];
                        " " (lang.t("Ghi nhớ trên điện thoại này", "Remember on this phone"))
                    }
                    button.big type="submit" #check-in { (lang.t("Quét vào (check-in)", "Check in")) }
                }
            }
        }
        p.muted.small {
            (lang.t(
                "Thông tin chỉ dùng để truy vết phòng, chống dịch và được xóa sau 30 ngày.",
                "Used only for epidemic contact tracing; deleted after 30 days."
            ))
        }
    }
}

fn page_of(lang: Lang, token: &str, title: &str, content: Markup) -> Markup {
    shell(lang, title, &format!("/c/{token}"), content)
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(default)]
    edit: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(token): Path<String>,
    WebQuery(query): WebQuery<PageQuery>,
) -> Result<Response, WebError> {
    let venue = match state.app().venue_for_token(&token).await? {
        Ok(v) => v,
        Err(r) => return Ok(refused(lang, r)),
    };
    let known = remembered(&headers);
    let f = FormState {
        remember: true,
        edit: query.edit.is_some(),
        phone: known.as_ref().map(|k| k.0.clone()).unwrap_or_default(),
        full_name: known.as_ref().map(|k| k.1.clone()).unwrap_or_default(),
        ..FormState::default()
    };
    let body = page_of(
        lang,
        &token,
        &venue.place.name,
        check_in_form(lang, &token, &venue, &f, known.as_ref()),
    );
    Ok(body.into_response())
}

#[derive(Debug, Deserialize)]
struct CheckInForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    remember: Option<String>,
    #[serde(default)]
    idempotency_key: Option<String>,
}

fn success(lang: Lang, token: &str, c: &CheckedIn, checked_out_now: bool) -> Markup {
    let local = |rfc: &str| {
        phongdich_domain::Timestamp::parse(rfc)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| rfc.to_owned())
    };
    let content = html! {
        div.notice.ok #checked-in role="status" data-check-in=(c.check_in_id) {
            @if checked_out_now {
                strong { (lang.t("Đã ghi nhận rời đi.", "Checked out.")) }
            } @else {
                strong { (lang.t("Đã quét vào thành công.", "You are checked in.")) }
            }
        }
        h1 { (c.venue_name) }
        dl.facts {
            dt { (lang.t("Giờ vào", "Arrived")) } dd #arrived { (local(&c.arrived_at)) }
            dt { @if c.checked_out { (lang.t("Giờ ra", "Left")) } @else { (lang.t("Ghi nhận đến", "Until")) } }
            dd #until { (local(&c.until)) }
        }
        @if !c.checked_out {
            p.muted { (lang.t(
                "Nếu bạn không bấm rời đi, hệ thống ghi nhận bạn ở đây đến giờ trên.",
                "If you do not check out, your visit is recorded until the time above."
            )) }
            form.stack method="post" action={ "/checkins/" (c.check_in_id) "/out" } {
                input type="hidden" name="code" value=(c.checkout_code);
                input type="hidden" name="token" value=(token);
                button.big.secondary type="submit" #check-out { (lang.t("Rời đi ngay (check-out)", "Check out now")) }
            }
        }
    };
    page_of(lang, token, lang.t("Đã quét vào", "Checked in"), content)
}

async fn submit(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
    PublicForm(f): PublicForm<CheckInForm>,
) -> Result<Response, WebError> {
    let app = state.app();
    let actor = Actor::public(Some(client).filter(|c| !c.is_empty()));
    let input = CheckInInput {
        token: token.clone(),
        phone: f.phone.clone(),
        full_name: f.full_name.clone(),
    };
    let remember = f.remember.is_some();
    match app
        .check_in(
            &actor,
            &input,
            idempotency_key(f.idempotency_key.as_deref()),
        )
        .await
    {
        Ok(c) => {
            let cookie = if remember {
                let phone = phongdich_domain::Phone::parse(&f.phone)
                    .map(String::from)
                    .unwrap_or_default();
                let name = phongdich_domain::FullName::parse(&f.full_name)
                    .map(String::from)
                    .unwrap_or_default();
                remember_cookie(&state, &phone, &name)
            } else {
                forget_cookie(&state)
            };
            Ok((
                [(header::SET_COOKIE, cookie)],
                success(lang, &token, &c, false),
            )
                .into_response())
        }
        Err(AppError::Invalid { field: "token", .. }) => {
            let r = match app.venue_for_token(&token).await? {
                Err(r) => r,
                Ok(_) => TokenRefused::Forged,
            };
            Ok(refused(lang, r))
        }
        Err(
            e @ (AppError::Invalid { .. }
            | AppError::TooManyRequests { .. }
            | AppError::Conflict(_)),
        ) => {
            let venue = match app.venue_for_token(&token).await? {
                Ok(v) => v,
                Err(r) => return Ok(refused(lang, r)),
            };
            let (field, text) = match &e {
                AppError::Invalid { field, message } => (*field, say(lang, message)),
                other => ("_", say(lang, &message_of(other))),
            };
            let status = match &e {
                AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                other => status_of(other),
            };
            let form = FormState {
                phone: f.phone.chars().take(30).collect(),
                full_name: f.full_name.chars().take(100).collect(),
                remember,
                error: Some((field, text)),
                edit: true,
            };
            let body = page_of(
                lang,
                &token,
                &venue.place.name,
                check_in_form(lang, &token, &venue, &form, remembered(&headers).as_ref()),
            );
            let mut res = (status, body).into_response();
            if let AppError::TooManyRequests { retry_after, .. } = e {
                if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct CheckOutForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    token: String,
}

async fn check_out(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(client): ClientAddr,
    Path(id): Path<i64>,
    PublicForm(f): PublicForm<CheckOutForm>,
) -> Result<Response, WebError> {
    let actor = Actor::public(Some(client).filter(|c| !c.is_empty()));
    let c = state.app().check_out(&actor, id, &f.code).await?;
    // The token only brings the person back to the venue's page; it is not trusted.
    let token: String = f
        .token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .take(60)
        .collect();
    Ok(success(lang, &token, &c, true).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_names_survive_the_cookie() {
        let mut value = String::from("0912345678~");
        value.extend(crate::web::session::form_encode("Nguyễn Văn An"));
        let mut h = HeaderMap::new();
        h.insert(
            "cookie",
            header::HeaderValue::from_str(&format!("{VISITOR_COOKIE}={value}")).unwrap(),
        );
        assert_eq!(
            remembered(&h),
            Some(("0912345678".into(), "Nguyễn Văn An".into()))
        );
        assert_eq!(percent_decode("%E1%BB"), None, "broken UTF-8");
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(masked("0912345678"), "0912***678");
    }
}
