//! Who is signed in: [`CurrentUser`], put in the request's extensions by
//! [`require_signin`], the guard of every route that needs a session.
//!
//! A session is a random 256-bit token in an `HttpOnly`, `SameSite=Lax` cookie (plus
//! `Secure` behind TLS); an API token (`Authorization: Bearer`, any case) counts only
//! under `/api/`. A write to the API with a session cookie must carry the session's
//! CSRF token in `X-CSRF-Token`: a cookie alone never writes.

use crate::state::AppState;
use crate::web::client::ClientAddr;
use crate::web::cookies;
use crate::web::error::ApiError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use phongdich_app::accounts::same_secret;
use phongdich_app::{Actor, AppError, Channel};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "pd_session";

/// Header carrying the CSRF token of API writes made with a session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in staff member of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The actor of every use case this request runs.
    pub actor: Actor,
    /// The account's display name.
    pub display_name: String,
    /// The session's CSRF token (empty for an API token).
    pub csrf_token: String,
    /// The session's token digest (none for an API token).
    pub token_hash: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = crate::web::error::WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(crate::web::error::WebError::App(AppError::Forbidden))
    }
}

/// The token of an `Authorization: Bearer TOKEN` header (the scheme in any case).
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Guards every non-public route: without a live session, pages answer 303 to
/// `/signin?next=...` and `/api/...` answers 401 JSON.
pub async fn require_signin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let is_api = parts.uri.path().starts_with("/api/");
    let Ok(ClientAddr(client)) = ClientAddr::from_request_parts(&mut parts, &state).await;
    let client = Some(client).filter(|c| !c.is_empty());
    let app = state.app();
    let mut current = None;
    if let Some(token) = cookies::get(&parts.headers, SESSION_COOKIE) {
        match app.session_actor(token, client.clone()).await {
            Ok(Some(s)) => {
                current = Some(CurrentUser {
                    actor: s.actor,
                    display_name: s.display_name,
                    csrf_token: s.csrf_token,
                    token_hash: Some(s.token_hash),
                })
            }
            Ok(None) => {}
            Err(e) => return crate::web::error::respond(is_api, e),
        }
    }
    if current.is_none() && is_api {
        if let Some(token) = bearer(&parts) {
            match app.token_actor(token, client.clone()).await {
                Ok(Some((actor, display_name))) => {
                    current = Some(CurrentUser {
                        actor,
                        display_name,
                        csrf_token: String::new(),
                        token_hash: None,
                    })
                }
                Ok(None) => {}
                Err(e) => return crate::web::error::respond(is_api, e),
            }
        }
    }
    let Some(user) = current else {
        if is_api {
            return ApiError::unauthenticated().into_response();
        }
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let mut target = String::from("/signin?next=");
        target.extend(form_encode(path));
        return Redirect::to(&target).into_response();
    };
    tracing::Span::current().record("account", user.actor.username.as_str());
    // A cookie alone never writes through the API: a page of another site could make
    // the browser send it.
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if is_api && !safe && user.actor.channel == Channel::Session {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !same_secret(&user.csrf_token, sent) {
            return ApiError::csrf().into_response();
        }
    }
    parts.extensions.insert(user);
    next.run(Request::from_parts(parts, body)).await
}

/// Percent-encodes a query value (RFC 3986 unreserved characters and `/` pass).
pub fn form_encode(s: &str) -> impl Iterator<Item = String> + '_ {
    s.bytes().map(|b| match b {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
            (b as char).to_string()
        }
        _ => format!("%{b:02X}"),
    })
}

/// Whether the account is on the read-write path of pages (forms are shown).
pub fn may_write(user: &CurrentUser) -> bool {
    phongdich_app::access::may_write(&user.actor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request as HttpRequest;

    #[test]
    fn bearer_tokens_are_read_in_any_case() {
        for h in ["Bearer abc", "bearer abc", "BEARER  abc "] {
            let (parts, _) = HttpRequest::builder()
                .header("authorization", h)
                .body(())
                .unwrap()
                .into_parts();
            assert_eq!(bearer(&parts), Some("abc"), "{h}");
        }
        let (parts, _) = HttpRequest::builder()
            .header("authorization", "Basic abc")
            .body(())
            .unwrap()
            .into_parts();
        assert_eq!(bearer(&parts), None);
    }
}
