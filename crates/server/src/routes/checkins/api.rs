//! The public check-in API: a person's phone app (or a kiosk) checks in with a venue's
//! token, and checks out with the code the answer carried. No account; rate limited
//! per address and per phone like the page.

use crate::state::AppState;
use crate::web::client::ClientAddr;
use crate::web::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use phongdich_app::checkins::{CheckInInput, CheckedIn};
use phongdich_app::{idempotency_key, Actor};
use serde::Deserialize;

/// Check in at the venue of a poster's token (no sign-in). The levels the visit
/// changes (a visitor overlapping a case becomes F1) are stored before the answer. An
/// `Idempotency-Key` header makes a retry answer the first check-in (`replayed`): a key
/// names one visitor's submission (the same phone and name), and the same key at
/// another venue is a 409.
#[utoipa::path(post, path = "/api/v1/checkins", request_body = CheckInInput, security(()),
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses((status = 201, body = CheckedIn), (status = 200, body = CheckedIn, description = "a retry with the same Idempotency-Key"),
              (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, description = "body too large"), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn check_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(input): ApiJson<CheckInInput>,
) -> Result<(StatusCode, Json<CheckedIn>), ApiError> {
    let key = idempotency_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()));
    let actor = Actor::public(Some(client).filter(|c| !c.is_empty()));
    let c = state.app().check_in(&actor, &input, key).await?;
    let status = if c.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(c)))
}

/// The check-out code of a check-in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CheckOutInput {
    /// `checkout_code` from the check-in's answer.
    pub code: String,
}

/// Check out of a visit now (no sign-in; the code proves it is the device that
/// checked in). A wrong code answers 404.
#[utoipa::path(post, path = "/api/v1/checkins/{id}/checkout", request_body = CheckOutInput, security(()),
    params(("id" = i64, Path, description = "the check-in's id")),
    responses((status = 200, body = CheckedIn), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, description = "body too large"),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub(crate) async fn check_out(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CheckOutInput>,
) -> Result<Json<CheckedIn>, ApiError> {
    let actor = Actor::public(Some(client).filter(|c| !c.is_empty()));
    Ok(Json(state.app().check_out(&actor, id, &input.code).await?))
}
