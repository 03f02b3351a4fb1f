//! Signing in and out: `/signin` (public) and `/signout` (POST, with the session's CSRF
//! token).
//!
//! The sign-in form itself is protected from cross-site posting by a double-submit
//! token: a random value in a short-lived cookie that the form must repeat. `next` is
//! followed only when it is a path on this site ([`local_path`]); anything else is a
//! 400 and no session is opened.

use super::{Guard, Route};
use crate::state::AppState;
use crate::web::client::ClientAddr;
use crate::web::cookies::{self, CookieOptions};
use crate::web::csrf::CsrfForm;
use crate::web::error::{WebError, WebQuery};
use crate::web::i18n::Lang;
use crate::web::layout::{local_path, shell};
use crate::web::session::{CurrentUser, SESSION_COOKIE};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use phongdich_app::accounts::{new_token, same_secret, SignInRefused, SESSION_SECONDS};
use serde::Deserialize;

const SIGNIN_CSRF_COOKIE: &str = "pd_signin";

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/signin", "/signin", Guard::Public, signin_form),
        Route::post("/signin", "/signin", Guard::Public, signin),
        Route::post("/signout", "/signout", Guard::SignedIn, signout),
    ]
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Where to go after signing in: `next` when it is a path on this site, the dashboard
/// when absent; `None` (a 400) for anything else.
fn next_of(next: Option<&str>) -> Option<&str> {
    match next.filter(|n| !n.is_empty()) {
        None => Some("/dashboard"),
        Some(n) => local_path(n),
    }
}

fn form(lang: Lang, csrf: &str, next: &str, username: &str, message: Option<&str>) -> Markup {
    let content = html! {
        h1 { (lang.t("Đăng nhập", "Sign in")) }
        @if let Some(m) = message { p.notice.error role="alert" { (m) } }
        form.stack method="post" action="/signin" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            label { (lang.t("Tên đăng nhập", "Username"))
                input name="username" value=(username) autocomplete="username" required autofocus; }
            label { (lang.t("Mật khẩu", "Password"))
                input type="password" name="password" autocomplete="current-password" required; }
            button type="submit" { (lang.t("Đăng nhập", "Sign in")) }
        }
    };
    shell(lang, lang.t("Đăng nhập", "Sign in"), "/signin", content)
}

fn signin_cookie(state: &AppState, token: &str) -> String {
    cookies::set(
        SIGNIN_CSRF_COOKIE,
        token,
        CookieOptions {
            http_only: true,
            secure: state.settings().secure_cookies,
            max_age: Some(3600),
        },
    )
}

async fn signin_form(
    State(state): State<AppState>,
    lang: Lang,
    WebQuery(q): WebQuery<NextQuery>,
) -> Result<Response, WebError> {
    let next = next_of(q.next.as_deref()).ok_or_else(|| WebError::BadRequest("next".into()))?;
    let csrf = new_token();
    let page = form(lang, &csrf, next, "", None);
    Ok(([(header::SET_COOKIE, signin_cookie(&state, &csrf))], page).into_response())
}

#[derive(Debug, Deserialize)]
struct SigninForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn signin(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<SigninForm>,
) -> Result<Response, WebError> {
    let next = next_of(f.next.as_deref())
        .ok_or_else(|| WebError::BadRequest("next".into()))?
        .to_owned();
    let username = f.username.trim().to_owned();
    let retry = |status: StatusCode, msg: &str| {
        let csrf = new_token();
        let page = form(lang, &csrf, &next, &username, Some(msg));
        (
            status,
            [(header::SET_COOKIE, signin_cookie(&state, &csrf))],
            page,
        )
            .into_response()
    };
    let cookie_csrf = cookies::get(&headers, SIGNIN_CSRF_COOKIE).unwrap_or("");
    if cookie_csrf.is_empty() || !same_secret(cookie_csrf, &f.csrf) {
        return Ok(retry(
            StatusCode::FORBIDDEN,
            lang.t(
                "Phiên biểu mẫu đã hết hạn, xin đăng nhập lại.",
                "The form expired; please sign in again.",
            ),
        ));
    }
    let session = match state.app().sign_in(&username, &f.password, &client).await? {
        Ok(s) => s,
        Err(SignInRefused::Throttled) => {
            return Ok(retry(
                StatusCode::TOO_MANY_REQUESTS,
                lang.t(
                    "Sai mật khẩu quá nhiều lần. Xin thử lại sau 15 phút.",
                    "Too many failed attempts. Try again in 15 minutes.",
                ),
            ))
        }
        Err(SignInRefused::Wrong) => {
            return Ok(retry(
                StatusCode::UNAUTHORIZED,
                lang.t(
                    "Sai tên đăng nhập hoặc mật khẩu.",
                    "Wrong username or password.",
                ),
            ))
        }
    };
    let cookie = cookies::set(
        SESSION_COOKIE,
        &session.token,
        CookieOptions {
            http_only: true,
            secure: state.settings().secure_cookies,
            max_age: Some(SESSION_SECONDS),
        },
    );
    let mut res = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

async fn signout(
    State(state): State<AppState>,
    user: CurrentUser,
    CsrfForm(_): CsrfForm<crate::web::csrf::NoFields>,
) -> Result<Response, WebError> {
    if let Some(hash) = &user.token_hash {
        state.app().sign_out(hash).await?;
    }
    let gone = cookies::set(
        SESSION_COOKIE,
        "",
        CookieOptions {
            http_only: true,
            secure: state.settings().secure_cookies,
            max_age: Some(0),
        },
    );
    Ok(([(header::SET_COOKIE, gone)], Redirect::to("/signin")).into_response())
}
