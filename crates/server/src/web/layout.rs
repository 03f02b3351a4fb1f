//! The page shell shared by every HTML page (head, header with the language switch,
//! footer), the stylesheet compiled into the binary, the language switch, and
//! [`local_path`], the one check that a `next=` target stays on this site.

use crate::state::AppState;
use crate::web::cookies::{self, CookieOptions};
use crate::web::i18n::{Lang, LANG_COOKIE};
use crate::web::session::CurrentUser;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

/// Where the stylesheet is served; versioned by the crate version so browsers refetch
/// it after an upgrade.
pub const CSS_PATH: &str = concat!("/static/app-", env!("CARGO_PKG_VERSION"), ".css");

const CSS: &str = include_str!("../assets/app.css");

/// `GET` the stylesheet.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        CSS,
    )
}

#[derive(Debug, Deserialize)]
pub struct Next {
    /// Where to go back to.
    pub next: Option<String>,
}

/// Remembers the language in a cookie and goes back to the page the user was on (only
/// a path on this site, so the switch cannot be used as an open redirect).
pub async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Next>,
) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let next = match q.next.as_deref() {
        None => "/",
        Some(n) => match local_path(n) {
            Some(p) => p,
            None => {
                return crate::web::error::WebError::BadRequest("next".to_owned()).into_response()
            }
        },
    };
    let cookie = cookies::set(
        LANG_COOKIE,
        lang.code(),
        CookieOptions {
            http_only: true,
            secure: state.settings().secure_cookies,
            max_age: Some(365 * 86_400),
        },
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response()
}

/// Wraps a signed-in page's content: the shell with the staff navigation and a
/// sign-out button (a POST carrying the session's CSRF token).
pub fn shell_signed_in(
    lang: Lang,
    title: &str,
    path: &str,
    user: &CurrentUser,
    content: Markup,
) -> Markup {
    let content = html! {
        nav.staff aria-label=(lang.t("Chức năng", "Sections")) {
            a href="/dashboard" { (lang.t("Bảng điều khiển", "Dashboard")) }
            " · "
            a href="/persons" { (lang.t("Tìm người", "Find a person")) }
            " · "
            a href="/contacts" { (lang.t("Tiếp xúc gần", "Contacts")) }
            " · "
            a href="/cases" { (lang.t("Ca bệnh", "Cases")) }
            " · "
            a href="/declarations" { (lang.t("Khai báo y tế", "Declarations")) }
            " · "
            a href="/venues" { (lang.t("Địa điểm", "Venues")) }
            @if user.actor.role == phongdich_domain::Role::ProvinceAdmin {
                " · "
                a href="/audit" { (lang.t("Nhật ký", "Audit log")) }
            }
            " · "
            a href="/account/password" { (user.display_name) }
            " · "
            form.signout method="post" action="/signout" {
                input type="hidden" name="csrf" value=(user.csrf_token);
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
                    " · "
                    a href="/khai-bao" { (lang.t("Khai báo y tế", "Health declaration")) }
                    " · "
                    a href="/privacy" { (lang.t("Quyền riêng tư", "Privacy")) }
                }
            }
        }
    }
}

/// What the engine is doing, when the levels shown are not yet current.
pub fn engine_notice(lang: Lang, status: &phongdich_app::EngineStatus) -> Markup {
    html! {
        @match status {
            phongdich_app::EngineStatus::Building { since, percent } => p.notice #engine-status data-engine="building" data-percent=(percent) role="status" {
                strong { (lang.t("Đang truy vết: ", "Tracing: ")) (percent) "%" }
                " (" (lang.t("từ ", "since ")) (since) "). "
                (lang.t("Số F1–F4 sẽ hiện khi truy vết xong; tải lại trang sau ít giây.", "F1–F4 show when tracing is done; reload in a few seconds."))
            },
            phongdich_app::EngineStatus::Failed { reason } => p.notice.error #engine-status data-engine="failed" role="alert" {
                (lang.t("Truy vết thất bại; số liệu F1–F4 có thể đã cũ. Lý do: ", "Tracing failed; the F1–F4 numbers may be stale. Reason: "))
                (reason)
            },
            _ => {},
        }
    }
}

/// Another person as the user may see them: a link inside the jurisdiction, "a person
/// in commune X" outside it.
pub fn someone(lang: Lang, s: &phongdich_app::persons::Someone) -> Markup {
    html! {
        @match s {
            phongdich_app::persons::Someone::Known { id, name, unit } => {
                a href={ "/persons/" (id) } { (name) }
                @if let Some(u) = unit { " " span.muted { "(" (u) ")" } }
            }
            phongdich_app::persons::Someone::Outside { commune: Some(c) } => span.muted.outside { (lang.t("một người ở ", "a person in ")) (c) },
            phongdich_app::persons::Someone::Outside { commune: None } => span.muted.outside { (lang.t("một người ngoài địa bàn", "a person outside the jurisdiction")) },
        }
    }
}

/// `next` if it is a path on this site: it starts with one `/`, its second character
/// is neither `/` nor `\\` (a browser reads `//host` and `/\\host` as another site), and
/// it holds no control character (browsers drop tabs and newlines, so `/\t/evil` would
/// become `//evil`) and no backslash at all.
pub fn local_path(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let ok = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        for good in ["/", "/dashboard", "/persons/12?q=nguy%E1%BB%85n", "/a//b"] {
            assert_eq!(local_path(good), Some(good), "{good}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/%09/evil.example".replace("%09", "\t").as_str(),
            "/\n",
            "/\r/evil",
            "https://evil.example",
            "evil.example",
            "",
            "/a\\b",
            "/\u{0}",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
