//! The page shell shared by every HTML page (head, header with the language switch,
//! footer), the stylesheet compiled into the binary, and the language switch route.

use crate::cookies::{self, CookieOptions};
use crate::i18n::{Lang, LANG_COOKIE};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

/// Where the stylesheet is served; versioned by the crate version so browsers refetch
/// it after an upgrade.
pub const CSS_PATH: &str = concat!("/static/app-", env!("CARGO_PKG_VERSION"), ".css");

const CSS: &str = include_str!("assets/app.css");

/// Routes of this module: the stylesheet and the language switch (both public).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(CSS_PATH, get(stylesheet))
        .route("/lang/{code}", get(switch_language))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        CSS,
    )
}

#[derive(Debug, Deserialize)]
struct Next {
    next: Option<String>,
}

/// Remembers the language in a cookie and goes back to the page the user was on (only
/// a path on this site, so the switch cannot be used as an open redirect).
async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Next>,
) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".to_owned());
    let cookie = cookies::set(
        LANG_COOKIE,
        lang.code(),
        CookieOptions {
            http_only: true,
            secure: state.settings().secure_cookies,
            max_age: Some(365 * 86_400),
        },
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}

/// Wraps a signed-in page's content: the shell with the staff navigation and a
/// sign-out button (a POST carrying the session's CSRF token).
pub fn shell_signed_in(
    lang: Lang,
    title: &str,
    path: &str,
    user: &crate::auth::CurrentUser,
    content: Markup,
) -> Markup {
    let content = html! {
        nav.staff aria-label=(lang.t("Chức năng", "Sections")) {
            a href="/dashboard" { (lang.t("Bảng điều khiển", "Dashboard")) }
            " · "
            a href="/persons" { (lang.t("Tìm người", "Find a person")) }
            " · "
            a href="/contacts" { (lang.t("Tiếp xúc gần", "Contacts")) }
            @if user.role == crate::auth::Role::ProvinceAdmin {
                " · "
                a href="/audit" { (lang.t("Nhật ký", "Audit log")) }
            }
            " · "
            a href="/account/password" { (user.session.user.display_name) }
            " · "
            form method="post" action="/signout" style="display:inline" {
                input type="hidden" name="csrf" value=(user.session.csrf_token);
                button.link type="submit" { (lang.t("Đăng xuất", "Sign out")) }
            }
        }
        (content)
    };
    shell(lang, title, path, content)
}

/// Wraps a page's content in the shell. `path` is the current path, for the language
/// switch to come back to.
pub fn shell(lang: Lang, title: &str, path: &str, content: Markup) -> Markup {
    let other = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – phongdich" }
                link rel="stylesheet" href=(CSS_PATH);
            }
            body {
                header.top {
                    a.brand href="/" { "phongdich" }
                    nav {
                        a href={ "/lang/" (other.code()) "?next=" (path) } lang=(other.code()) {
                            (lang.t("English", "Tiếng Việt"))
                        }
                    }
                }
                main { (content) }
                footer {
                    (lang.t(
                        "Hệ thống chỉ huy phòng, chống dịch của tỉnh.",
                        "The province's epidemic-response command system."
                    ))
                }
            }
        }
    }
}
