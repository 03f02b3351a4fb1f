//! phongdich's web app for provincial, district and commune staff, and its JSON API:
//! thin HTTP over the application layer (`phongdich_app`).
//!
//! - [`routes`]: one folder per resource with its pages and API side by side, and the
//!   one route table ([`routes::all`]) that [`router`] is built from;
//! - [`web`]: what every route shares: the session guard, the CSRF-checked form, the
//!   mapping of application errors to answers, security headers and request spans,
//!   cookies, the language and the page layout;
//! - [`state`]: the [`AppState`] (the application and the web settings).
//!
//! A handler parses, calls one use case of `phongdich_app::App`, renders. Pages are
//! maud templates: checked at compile time and escaping every value. Vietnamese first,
//! English second ([`web::i18n`]).

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod jobs;
pub mod routes;
pub mod state;
pub mod web;

pub use routes::{Guard, Route};
pub use state::{AppState, Settings};

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;

/// Every route as `(method, path template, sample path, guard)`, from the route table:
/// what the tests iterate.
pub fn route_table() -> Vec<(String, &'static str, &'static str, Guard)> {
    routes::all()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path, r.sample, r.guard))
        .collect()
}

/// Builds the whole app over `state` from the route table: signed-in routes behind
/// [`web::session::require_signin`], every answer with the security headers and a
/// request span.
pub fn router(state: AppState) -> Router {
    let mut public = Router::new();
    let mut signed_in = Router::new();
    for r in routes::all() {
        match r.guard {
            Guard::Public => public = public.route(r.path, r.handler),
            Guard::SignedIn => signed_in = signed_in.route(r.path, r.handler),
        }
    }
    let signed_in = signed_in.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        web::session::require_signin,
    ));
    public
        .merge(signed_in)
        .layer(axum::middleware::from_fn(web::layers::security_headers))
        .layer(web::layers::trace_layer())
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` completes, then lets requests in
/// flight finish. Expired sessions and day-old idempotency keys are deleted every hour
/// meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = state.app().clone();
    let purge = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match app.purge_expired().await {
                Ok((sessions, keys)) => {
                    tracing::debug!(sessions, idempotency_keys = keys, "expired rows deleted")
                }
                Err(e) => tracing::warn!(error = %e, "deleting expired sessions failed"),
            }
        }
    });
    let retention = tokio::spawn(jobs::retention(
        state.app().clone(),
        state.settings().retention,
    ));
    let service = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    purge.abort();
    retention.abort();
    served
}
