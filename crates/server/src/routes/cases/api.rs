//! `POST /api/v1/persons/{id}/case`.

use crate::state::AppState;
use crate::web::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::web::session::CurrentUser;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use phongdich_app::cases::{CaseInput, Registered};
use phongdich_app::idempotency_key;

/// Register a confirmed case (F0) for a person, from a positive sample (audited); the
/// levels of everyone it reaches are updated before the answer. Send an
/// `Idempotency-Key` header to make a retry safe: the same key answers the first
/// registration.
#[utoipa::path(post, path = "/api/v1/persons/{id}/case", params(("id" = i64, Path, description = "person id")),
    request_body = CaseInput,
    responses((status = 201, body = Registered), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn register_case(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CaseInput>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let key = idempotency_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()));
    let done = state
        .app()
        .register_case(&user.actor, id, &input, key)
        .await?;
    Ok((StatusCode::CREATED, Json(done)))
}
