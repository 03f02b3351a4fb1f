//! phongdich's web app for provincial, district and commune staff, and its JSON API.
//!
//! [`router`] builds every route over an [`AppState`] (public for tests, which drive it
//! with `tower::ServiceExt::oneshot` or over a real socket); [`serve`] runs it on a
//! listener until a shutdown signal. One module per resource, each with its `router()`:
//!
//! - [`health`] answers `/healthz`;
//! - [`landing`] is the public landing page with the province's totals;
//! - [`pages`] holds the page shell, the stylesheet (compiled in) and the language switch;
//! - [`signin`] signs staff in and out ([`auth`]: sessions, roles, throttle, the guard);
//! - [`dashboard`] is the first page after signing in: F0..F4 by unit with drill-down;
//! - [`case_trace`] is the trace view of a case: its F1..F4 as a tree;
//! - [`persons`] searches persons and shows one (audited), inside the jurisdiction;
//! - [`audit`] is the audit log (province administrators);
//! - [`account`] lets a user change their password;
//! - [`tests_form`] enters test results (audited);
//! - [`contacts`] enters direct contacts from case interviews (audited, traced at
//!   once) and lists the contacts of a jurisdiction ([`scope`]: the jurisdiction as a
//!   set of units);
//! - [`api`] is the JSON API under `/api/v1` (session cookie or Bearer token).
//!
//! Pages are maud templates: checked at compile time and escaping every value, so no
//! user data is ever formatted into HTML by hand. Vietnamese first, English second
//! ([`i18n`]).

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod account;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod case_trace;
pub mod cases;
pub mod contacts;
pub mod cookies;
pub mod dashboard;
pub mod error;
pub mod health;
pub mod i18n;
pub mod landing;
pub mod pages;
pub mod persons;
pub mod scope;
pub mod signin;
pub mod state;
pub mod tests_form;
pub mod trace_state;

pub use error::AppError;
pub use state::{AppState, Settings};

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;

/// Every route that needs a session, as `(method, path)` with sample path parameters:
/// the route enumeration test checks that each answers 303 to `/signin` (pages) or 401
/// (API) without one. Add a route here when adding it to [`signed_in_router`].
pub const SIGNED_IN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/dashboard"),
    ("GET", "/persons?q=nguyen"),
    ("GET", "/persons/1"),
    ("POST", "/signout"),
    ("GET", "/audit"),
    ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("GET", "/api/v1/persons?q=nguyen"),
    ("GET", "/api/v1/persons/1"),
    ("GET", "/api/openapi.json"),
    ("POST", "/persons/1/tests"),
    ("POST", "/persons/1/case"),
    ("GET", "/contacts"),
    ("GET", "/contacts?unit=03386"),
    ("GET", "/persons/1/contacts"),
    ("POST", "/persons/1/contacts"),
    ("GET", "/api/v1/contacts"),
    ("GET", "/cases/1/trace"),
    ("GET", "/dashboard?unit=105"),
    ("POST", "/api/v1/contacts"),
    ("GET", "/api/v1/persons/1/level"),
    ("POST", "/api/v1/persons/1/case"),
    ("POST", "/api/v1/persons/1/tests"),
];

/// Public routes: the landing page, `/healthz`, `/signin`, the stylesheet and the
/// language switch.
pub const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/signin"),
    ("POST", "/signin"),
    ("GET", pages::CSS_PATH),
    ("GET", "/lang/en"),
];

/// Routes that need a session; [`auth::require_signin`] guards all of them, so a
/// route added here cannot be reached anonymously by mistake.
fn signed_in_router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(dashboard::router())
        .merge(persons::router())
        .merge(audit::router())
        .merge(account::router())
        .merge(api::router())
        .merge(tests_form::router())
        .merge(cases::router())
        .merge(contacts::router())
        .merge(case_trace::router())
        .merge(signin::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_signin,
        ))
}

/// Builds the whole app over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(landing::router())
        .merge(pages::router())
        .merge(signin::public_router())
        .merge(signed_in_router(&state))
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` completes, then lets requests in
/// flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.start_tracing();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
