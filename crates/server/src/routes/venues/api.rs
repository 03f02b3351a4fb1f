//! The venues API: list, create and read venues of the caller's jurisdiction, rotate a
//! venue's token, and check a person in at a venue (staff, or the venue's operator).

use crate::state::AppState;
use crate::web::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::web::session::CurrentUser;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use phongdich_app::checkins::{CheckedIn, StaffCheckInInput};
use phongdich_app::idempotency_key;
use phongdich_app::venues::{VenueInput, VenueJson};
use serde::{Deserialize, Serialize};

/// One page of venues; pass `next_cursor` as `cursor` for the next.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VenuesPage {
    items: Vec<VenueJson>,
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VenuesQuery {
    /// Narrow to this district, commune or village (inside the jurisdiction).
    unit: Option<String>,
    /// Opaque cursor from the previous page's `next_cursor`.
    cursor: Option<String>,
}

fn key_of(headers: &HeaderMap) -> Option<&str> {
    idempotency_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()))
}

/// The venues of the caller's jurisdiction (a venue operator: its own), by name, each
/// with the path of its check-in page.
#[utoipa::path(get, path = "/api/v1/venues", params(VenuesQuery),
    responses((status = 200, body = VenuesPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<VenuesQuery>,
) -> Result<Json<VenuesPage>, ApiError> {
    let page = state
        .app()
        .list_venues(&user.actor, q.unit.as_deref(), q.cursor.as_deref())
        .await?;
    Ok(Json(VenuesPage {
        items: page.items.iter().map(VenueJson::from).collect(),
        next_cursor: page.next,
    }))
}

/// Create a venue in the caller's jurisdiction (audited).
#[utoipa::path(post, path = "/api/v1/venues", request_body = VenueInput,
    responses((status = 201, body = VenueJson), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(input): ApiJson<VenueInput>,
) -> Result<(StatusCode, Json<VenueJson>), ApiError> {
    let app = state.app();
    let id = app
        .create_venue(&user.actor, &input, key_of(&headers))
        .await?;
    let v = app.view_venue(&user.actor, id).await?;
    Ok((StatusCode::CREATED, Json(VenueJson::from(&v))))
}

/// One venue.
#[utoipa::path(get, path = "/api/v1/venues/{id}", params(("id" = i64, Path, description = "venue id")),
    responses((status = 200, body = VenueJson), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<VenueJson>, ApiError> {
    let v = state.app().view_venue(&user.actor, id).await?;
    Ok(Json(VenueJson::from(&v)))
}

/// Rotate a venue's token: every poster printed before is refused from now on.
#[utoipa::path(post, path = "/api/v1/venues/{id}/rotate", params(("id" = i64, Path, description = "venue id")),
    responses((status = 200, body = VenueJson), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn rotate(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<VenueJson>, ApiError> {
    let v = state.app().rotate_venue_token(&user.actor, id).await?;
    Ok(Json(VenueJson::from(&v)))
}

/// Check a person in at a venue: by the chip ID card's QR code, by ID number, or by
/// phone and name. The levels it changes are stored before the answer.
#[utoipa::path(post, path = "/api/v1/venues/{id}/checkins", request_body = StaffCheckInInput,
    params(("id" = i64, Path, description = "venue id")),
    responses((status = 201, body = CheckedIn), (status = 200, body = CheckedIn, description = "a retry with the same Idempotency-Key"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn check_in(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<StaffCheckInInput>,
) -> Result<(StatusCode, Json<CheckedIn>), ApiError> {
    let c = state
        .app()
        .staff_check_in(&user.actor, id, &input, key_of(&headers))
        .await?;
    let status = if c.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(c)))
}

/// Check a visit out now, for a visitor who left without checking out (staff of the
/// venue's unit, or its operator). The presence ends now and the levels it moves are
/// stored before the answer; a visit already checked out answers as it is.
#[utoipa::path(post, path = "/api/v1/venues/{id}/checkins/{check_in}/checkout",
    params(("id" = i64, Path, description = "venue id"),
           ("check_in" = i64, Path, description = "the check-in's id")),
    responses((status = 200, body = CheckedIn),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn check_out(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, check_in)): ApiPath<(i64, i64)>,
) -> Result<Json<CheckedIn>, ApiError> {
    Ok(Json(
        state
            .app()
            .staff_check_out(&user.actor, id, check_in)
            .await?,
    ))
}
