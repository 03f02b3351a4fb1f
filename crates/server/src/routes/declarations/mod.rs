//! Health declarations (khai báo y tế).
//!
//! Public, no sign-in, phone first, no script ([`public`]):
//! - `GET /khai-bao`: the form (every field; the province, then its communes grouped by
//!   district; symptoms as checkboxes; "thêm người" adds a family member's block);
//! - `POST /khai-bao`: re-renders the form (another person, another province's
//!   communes) or submits it: every field checked, each message next to its field and
//!   the form kept; a hidden idempotency key makes a double submission answer the first;
//!   rate-limited per address and per phone (429 with `Retry-After`);
//! - `GET /khai-bao/{code}`: the result, with each person's code and its QR code,
//!   only on the device that declared (the `pd_device` cookie, whose SHA-256 the
//!   declaration keeps);
//! - `GET /privacy`: what is stored, for how long, who sees it (docs/PRIVACY.md).
//!
//! Staff ([`pages`]): `GET /declarations`, the follow-up list of the jurisdiction (by
//! unit, status and flag; audited), `POST /declarations/{id}/done` (CSRF), and the
//! look-up by code, `GET /d/{code}` (the URL in each QR code, for checkpoints) and
//! `GET /declarations/find?code=`.
//!
//! JSON ([`api`]): `POST /api/v1/declarations`, `GET /api/v1/declarations/follow-up`,
//! `GET /api/v1/declarations/{code}`, `POST /api/v1/declarations/{id}/done`.

pub mod api;
pub mod pages;
pub mod public;

use super::{Guard, Route};
use crate::state::AppState;
use crate::web::cookies::{self, CookieOptions};
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderMap;

/// Largest body the declaration routes read: ten persons' fields are a few KB.
pub const BODY_LIMIT: usize = 32 * 1024;

/// The cookie that marks the declaring device: a random token; declarations keep its
/// SHA-256 only.
pub const DEVICE_COOKIE: &str = "pd_device";

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    let limited = |r: Route| Route {
        handler: r.handler.layer(DefaultBodyLimit::max(BODY_LIMIT)),
        ..r
    };
    vec![
        Route::get("/khai-bao", "/khai-bao", Guard::Public, public::form_page),
        limited(Route::post(
            "/khai-bao",
            "/khai-bao",
            Guard::Public,
            public::submit,
        )),
        Route::get(
            "/khai-bao/{code}",
            "/khai-bao/0000000000",
            Guard::Public,
            public::result_page,
        ),
        Route::get("/privacy", "/privacy", Guard::Public, public::privacy_page),
        Route::get(
            "/declarations",
            "/declarations?unit=03386",
            Guard::SignedIn,
            pages::follow_up_page,
        ),
        limited(Route::post(
            "/declarations/{id}/done",
            "/declarations/1/done",
            Guard::SignedIn,
            pages::mark_done,
        )),
        Route::get(
            "/declarations/find",
            "/declarations/find?code=0000000000",
            Guard::SignedIn,
            pages::find,
        ),
        Route::get(
            "/d/{code}",
            "/d/0000000000",
            Guard::SignedIn,
            pages::lookup_page,
        ),
        limited(Route::post(
            "/api/v1/declarations",
            "/api/v1/declarations",
            Guard::SignedIn,
            api::declare,
        )),
        Route::get(
            "/api/v1/declarations/follow-up",
            "/api/v1/declarations/follow-up",
            Guard::SignedIn,
            api::follow_up,
        ),
        Route::get(
            "/api/v1/declarations/{code}",
            "/api/v1/declarations/0000000000",
            Guard::SignedIn,
            api::lookup,
        ),
        limited(Route::post(
            "/api/v1/declarations/{id}/done",
            "/api/v1/declarations/1/done",
            Guard::SignedIn,
            api::mark_done,
        )),
    ]
}

/// The device token of a request, if it carries one (64 hex characters).
pub fn device_token(headers: &HeaderMap) -> Option<String> {
    cookies::get(headers, DEVICE_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned)
}

/// The `Set-Cookie` of a device token, kept as long as declarations are.
pub fn device_cookie(state: &AppState, token: &str) -> String {
    cookies::set(
        DEVICE_COOKIE,
        token,
        CookieOptions {
            http_only: true,
            secure: state.settings().secure_cookies,
            max_age: Some(i64::from(state.settings().retention.days) * 86_400),
        },
    )
}

/// The absolute URL of `path` on this site, from the request's host (a QR code must
/// carry a URL a phone can open); only a plain host name or address with a port is
/// believed, else the path alone.
pub fn site_url(state: &AppState, headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
    match host {
        Some(h) => {
            let scheme = if state.settings().secure_cookies {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{h}{path}")
        }
        None => path.to_owned(),
    }
}

/// The QR code of `text` as a small SVG: one path, each row's dark modules drawn as
/// runs, so a code weighs 2-4 KB inline.
pub fn qr_svg(text: &str) -> Option<String> {
    use std::fmt::Write;
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let side = width + 2 * quiet;
    let mut d = String::new();
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == qrcode::Color::Dark {
                let start = x;
                while x < width && colors[y * width + x] == qrcode::Color::Dark {
                    x += 1;
                }
                let _ = write!(
                    d,
                    "M{} {}h{}v1h-{}z",
                    start + quiet,
                    y + quiet,
                    x - start,
                    x - start
                );
            } else {
                x += 1;
            }
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\" role=\"img\"><rect width=\"{side}\" height=\"{side}\" \
         fill=\"#fff\"/><path fill=\"#000\" d=\"{d}\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_code_is_a_small_svg() {
        let svg = qr_svg("http://127.0.0.1:8080/d/7KQ2MX9D4R").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.len() < 5_000, "{} bytes", svg.len());
    }
}
