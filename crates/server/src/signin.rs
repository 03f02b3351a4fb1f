//! Signing in and out: `/signin` (public) and `/signout` (POST, with the session's CSRF
//! token).
//!
//! The sign-in form itself is protected from cross-site posting by a double-submit
//! token: a random value in a short-lived cookie that the form must repeat.

use crate::auth::{self, CurrentUser, SESSION_COOKIE, SESSION_SECONDS};
use crate::cookies::{self, CookieOptions};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::shell;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::{html, Markup};
use serde::Deserialize;
use std::net::SocketAddr;

const SIGNIN_CSRF_COOKIE: &str = "pd_signin";

/// A hash of a random password, to verify against when the username is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| auth::hash_password(&auth::new_token()).unwrap_or_default());

/// Public routes of this module.
pub fn public_router() -> Router<AppState> {
    Router::new().route("/signin", get(signin_form).post(signin))
}

/// Routes of this module that need a session.
pub fn router() -> Router<AppState> {
    Router::new().route("/signout", post(signout))
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/dashboard")
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
    Query(q): Query<NextQuery>,
) -> Response {
    let csrf = auth::new_token();
    let page = form(lang, &csrf, safe_next(q.next.as_deref()), "", None);
    ([(header::SET_COOKIE, signin_cookie(&state, &csrf))], page).into_response()
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
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<SigninForm>,
) -> Result<Response, AppError> {
    let ip = peer
        .map(|Extension(ConnectInfo(a))| a.ip().to_string())
        .unwrap_or_default();
    let next = safe_next(f.next.as_deref()).to_owned();
    let username = f.username.trim().to_owned();
    let retry = |status: StatusCode, msg: &str| {
        let csrf = auth::new_token();
        let page = form(lang, &csrf, &next, &username, Some(msg));
        (
            status,
            [(header::SET_COOKIE, signin_cookie(&state, &csrf))],
            page,
        )
            .into_response()
    };
    let cookie_csrf = cookies::get(&headers, SIGNIN_CSRF_COOKIE).unwrap_or("");
    if cookie_csrf.is_empty() || !auth::same_secret(cookie_csrf, &f.csrf) {
        return Ok(retry(
            StatusCode::FORBIDDEN,
            lang.t(
                "Phiên biểu mẫu đã hết hạn, xin đăng nhập lại.",
                "The form expired; please sign in again.",
            ),
        ));
    }
    let now = auth::now();
    if !state.throttle().allowed(&username, &ip, now) {
        tracing::warn!(user.name = %username, client.ip = %ip, "sign-in throttled");
        return Ok(retry(
            StatusCode::TOO_MANY_REQUESTS,
            lang.t(
                "Sai mật khẩu quá nhiều lần. Xin thử lại sau 15 phút.",
                "Too many failed attempts. Try again in 15 minutes.",
            ),
        ));
    }
    let user = state.store().user_by_username(&username).await?;
    // An unknown username is checked against a real hash too, so that the answer takes
    // as long and does not tell which usernames exist.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let password = f.password;
    // argon2 is deliberately slow: off the async workers.
    let ok = tokio::task::spawn_blocking(move || {
        auth::verify_password(&password, hash.as_deref().unwrap_or(DUMMY_HASH.as_str()))
    })
    .await
    .unwrap_or(false);
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            state.throttle().failed(&username, &ip, now);
            tracing::info!(user.name = %username, client.ip = %ip, "sign-in failed");
            return Ok(retry(
                StatusCode::UNAUTHORIZED,
                lang.t(
                    "Sai tên đăng nhập hoặc mật khẩu.",
                    "Wrong username or password.",
                ),
            ));
        }
    };
    state.throttle().succeeded(&username, &ip);
    let token = auth::new_token();
    state
        .store()
        .insert_session(
            &auth::token_hash(&token),
            user.id,
            &auth::new_token(),
            now + SESSION_SECONDS,
        )
        .await?;
    tracing::info!(user.id = user.id, client.ip = %ip, "signed in");
    let session = cookies::set(
        SESSION_COOKIE,
        &token,
        CookieOptions {
            http_only: true,
            secure: state.settings().secure_cookies,
            max_age: Some(SESSION_SECONDS),
        },
    );
    let mut res = Redirect::to(&next).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        session.parse().map_err(|_| AppError::NotFound)?,
    );
    Ok(res)
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn signout(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    if !auth::same_secret(&user.session.csrf_token, &f.csrf) {
        return Err(AppError::Csrf);
    }
    state
        .store()
        .delete_session(&user.session.token_hash)
        .await?;
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
