//! Laboratory tests: entering a result through the API (the form is on the person
//! page).

use super::{Guard, Route};
use crate::state::AppState;
use crate::web::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::web::session::CurrentUser;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use phongdich_app::idempotency_key;
use phongdich_app::lab_tests::{TestEntered, TestInput};

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![Route::post(
        "/api/v1/persons/{id}/tests",
        "/api/v1/persons/1/tests",
        Guard::SignedIn,
        enter_test,
    )]
}

/// Enter a test result for a person (audited). An `Idempotency-Key` header makes a
/// retry safe: the same key answers the first test.
#[utoipa::path(post, path = "/api/v1/persons/{id}/tests", params(("id" = i64, Path, description = "person id")),
    request_body = TestInput,
    responses((status = 201, body = TestEntered), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn enter_test(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<TestInput>,
) -> Result<(StatusCode, Json<TestEntered>), ApiError> {
    let key = idempotency_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()));
    let done = state.app().enter_test(&user.actor, id, &input, key).await?;
    Ok((StatusCode::CREATED, Json(done)))
}
