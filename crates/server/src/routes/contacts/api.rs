//! The contacts API: the list of the caller's jurisdiction, and entering a contact.

use crate::state::AppState;
use crate::web::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use crate::web::session::CurrentUser;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use phongdich_app::contacts::{Added, ContactInput};
use phongdich_app::idempotency_key;
use phongdich_app::persons::Someone;
use serde::{Deserialize, Serialize};

/// Add a direct contact between two persons of the caller's jurisdiction (audited);
/// the levels it changes are updated before the answer. An `Idempotency-Key` header
/// makes a retry safe.
#[utoipa::path(post, path = "/api/v1/contacts", request_body = ContactInput,
    responses((status = 201, body = Added), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<(StatusCode, Json<Added>), ApiError> {
    let key = idempotency_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()));
    let added = state.app().add_contact(&user.actor, &input, key).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// A contact as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactJson {
    id: i64,
    /// One person's id; `null` when outside the caller's jurisdiction.
    a_id: Option<i64>,
    /// The other's, likewise.
    b_id: Option<i64>,
    start: String,
    end: String,
    setting: Option<String>,
}

/// One page of contacts; pass `next_cursor` as `cursor` for the next.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactsPage {
    items: Vec<ContactJson>,
    total: u64,
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ContactsQuery {
    /// Narrow to this district, commune or village (inside the jurisdiction).
    unit: Option<String>,
    /// Opaque cursor from the previous page's `next_cursor`.
    cursor: Option<String>,
}

/// The contact list of the caller's jurisdiction, newest first (audited as a list
/// read).
#[utoipa::path(get, path = "/api/v1/contacts", params(ContactsQuery),
    responses((status = 200, body = ContactsPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ContactsQuery>,
) -> Result<Json<ContactsPage>, ApiError> {
    let page = state
        .app()
        .list_contacts(&user.actor, q.unit.as_deref(), q.cursor.as_deref())
        .await?;
    let inside = |id: i64| match page.persons.get(&id) {
        Some(Someone::Known { id, .. }) => Some(*id),
        _ => None,
    };
    Ok(Json(ContactsPage {
        items: page
            .contacts
            .iter()
            .map(|c| ContactJson {
                id: c.id,
                a_id: inside(c.a_id),
                b_id: inside(c.b_id),
                start: c.interval.start().to_rfc3339(),
                end: c.interval.end().to_rfc3339(),
                setting: c.setting.clone(),
            })
            .collect(),
        total: page.total,
        next_cursor: page.next,
    }))
}
