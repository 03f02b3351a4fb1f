//! Layers every route gets without writing anything: security headers on every answer
//! ([`security_headers`]) and a request span with a request id, the method, the route
//! and (once signed in) the account, from tower-http's `TraceLayer` ([`trace_layer`]).

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;

/// The Content-Security-Policy of every page: nothing but this site's own stylesheet
/// and images, no script at all, never framed.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers; answers that may carry personal data (every page and
/// API answer except the stylesheet) are marked `no-store`.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// Request spans: `request{id=42 method=GET route=/persons/{id}}`; the guard records
/// `account` in it once the request is signed in.
pub fn trace_layer(
) -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, impl Fn(&Request) -> tracing::Span + Clone>
{
    TraceLayer::new_for_http().make_span_with(|req: &Request| {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| req.uri().path().to_owned(), |m| m.as_str().to_owned());
        tracing::info_span!(
            "request",
            id = NEXT_REQUEST.fetch_add(1, Ordering::Relaxed),
            method = %req.method(),
            route = %route,
            account = tracing::field::Empty,
        )
    })
}
