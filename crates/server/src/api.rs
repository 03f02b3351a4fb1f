//! The JSON API under `/api/v1`, over the same store calls and jurisdiction checks as
//! the pages. Errors are `{ "code": "...", "message": "..." }` with stable codes.
//! Authentication: the session cookie, or `Authorization: Bearer TOKEN` (an API token
//! scoped like its account).

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::persons::{search_scope, within};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use phongdich_store::{NewAuditEvent, Person, PersonQuery, StoreError};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Routes of this module (signed in or with a token).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/persons", get(search))
        .route("/api/v1/persons/{id}", get(person))
        .route("/api/v1/persons/{id}/level", get(level))
        .route("/api/v1/persons/{id}/case", post(register_case))
        .route("/api/v1/persons/{id}/tests", post(enter_test))
        .route("/api/openapi.json", get(openapi))
}

/// The OpenAPI description of `/api/v1`.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "phongdich API",
        description = "Persons, cases, contacts, tests and trace levels of the province. Authenticate with `Authorization: Bearer TOKEN` (`phongdich user token`)."
    ),
    paths(
        search,
        person,
        level,
        register_case,
        enter_test,
        crate::contacts::list_api,
        crate::contacts::add_contact_api
    ),
    components(schemas(
        PersonJson,
        PersonsPage,
        ErrorBody,
        LevelJson,
        ExposureJson,
        crate::cases::CaseInput,
        crate::cases::Registered,
        crate::tests_form::TestInput,
        crate::tests_form::TestEntered,
        crate::contacts::ContactInput,
        crate::contacts::Added,
        crate::contacts::ContactJson,
        crate::contacts::ContactsPage
    ))
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    Json(ApiDoc::openapi())
}

/// An [`AppError`] answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self.0 {
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found", "no such record"),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "your account may not do this",
            ),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", *m),
            AppError::Csrf => (StatusCode::FORBIDDEN, "csrf", "missing or wrong CSRF token"),
            AppError::Store(_) | AppError::Internal(_) => {
                tracing::error!(error = %self.0, "API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; it has been logged",
                )
            }
        };
        (status, Json(ErrorBody { code, message })).into_response()
    }
}

/// Every API error: a stable `code` to branch on and an English `message`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    code: &'static str,
    message: &'static str,
}

/// A person as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonJson {
    id: i64,
    reference: String,
    full_name: String,
    birth: Option<String>,
    sex: Option<&'static str>,
    identity_number: Option<String>,
    phone: Option<String>,
    unit_code: Option<String>,
}

impl From<&Person> for PersonJson {
    fn from(p: &Person) -> Self {
        Self {
            id: p.id,
            reference: p.reference.clone(),
            full_name: p.full_name.as_str().to_owned(),
            birth: p.birth.map(|b| b.to_text()),
            sex: p.sex.map(|s| s.as_str()),
            identity_number: p.identity.as_ref().map(|d| d.number().to_owned()),
            phone: p.phone.as_ref().map(|x| x.as_str().to_owned()),
            unit_code: p.unit_code.as_ref().map(|u| u.as_str().to_owned()),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct SearchQuery {
    /// Name (with or without diacritics), identity number or phone.
    #[serde(default)]
    q: String,
    /// Opaque cursor from the previous page's `next_cursor`.
    cursor: Option<String>,
}

/// One page of persons; pass `next_cursor` as `cursor` for the next.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct PersonsPage {
    items: Vec<PersonJson>,
    total: u64,
    next_cursor: Option<String>,
}

/// Search persons inside the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/persons", params(SearchQuery),
    responses((status = 200, body = PersonsPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<PersonsPage>, ApiError> {
    let scope = search_scope(&user.jurisdiction).ok_or(AppError::Forbidden)?;
    let offset: u64 = match q.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c
            .parse()
            .map_err(|_| AppError::BadRequest("cursor is not one this API gave"))?,
    };
    let page = state
        .store()
        .search_persons(&PersonQuery {
            text: q.q.trim().to_owned(),
            unit: scope,
            offset,
            limit: crate::persons::SEARCH_LIMIT,
        })
        .await?;
    let next = offset + page.items.len() as u64;
    Ok(Json(PersonsPage {
        items: page.items.iter().map(PersonJson::from).collect(),
        total: page.total,
        next_cursor: (next < page.total && !page.items.is_empty()).then(|| next.to_string()),
    }))
}

/// One person (audited as a view); 404 outside the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/persons/{id}", params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = PersonJson), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn person(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(id): Path<i64>,
) -> Result<Json<PersonJson>, ApiError> {
    let p = person_inside(&state, &user, id).await?;
    state
        .store()
        .insert_audit_event(&NewAuditEvent {
            at: crate::auth::now(),
            user_id: Some(user.session.user.id),
            action: "view".to_owned(),
            entity: "person".to_owned(),
            entity_id: p.id.to_string(),
            before_json: None,
            after_json: None,
            ip: peer.map(|Extension(ConnectInfo(a))| a.ip().to_string()),
        })
        .await?;
    Ok(Json(PersonJson::from(&p)))
}

/// The person of `id` if the caller's jurisdiction holds them (404 otherwise, as if
/// they did not exist).
async fn person_inside(state: &AppState, user: &CurrentUser, id: i64) -> Result<Person, ApiError> {
    let p = match state.store().person(id).await {
        Ok(p) => p,
        Err(StoreError::NotFound { .. }) => return Err(AppError::NotFound.into()),
        Err(e) => return Err(e.into()),
    };
    if !within(state.store(), p.unit_code.as_ref(), &user.jurisdiction).await? {
        return Err(AppError::NotFound.into());
    }
    Ok(p)
}

/// The exposure that realises a level (tracing.md's `via_*` columns).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExposureJson {
    /// The person one level up.
    person_id: i64,
    /// `contact`, `household`, `room`, `vehicle` or `venue`.
    kind: &'static str,
    /// The place of a co-presence.
    place_id: Option<i64>,
    /// Start of the overlap that transmitted, RFC 3339.
    start: String,
    /// Its end.
    end: String,
}

/// A person's current level as the engine last computed it; `level` is `null` for a
/// person no case reaches.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LevelJson {
    person_id: i64,
    /// 0 for a case (F0), 1 for F1... up to 4.
    level: Option<u8>,
    /// Earliest arrival at that level, RFC 3339.
    exposed_at: Option<String>,
    /// The exposure that realises it (`null` for a case or a person not reached).
    via: Option<ExposureJson>,
}

/// One person's level and the exposure that explains it; 404 outside the caller's
/// jurisdiction.
#[utoipa::path(get, path = "/api/v1/persons/{id}/level", params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = LevelJson), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn level(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
) -> Result<Json<LevelJson>, ApiError> {
    person_inside(&state, &user, id).await?;
    let level = state.store().trace_level(id).await?;
    Ok(Json(LevelJson {
        person_id: id,
        level: level.map(|l| l.level),
        exposed_at: level.map(|l| l.exposed_at.to_rfc3339()),
        via: level.and_then(|l| l.via).map(|v| ExposureJson {
            person_id: v.person_id,
            kind: v.kind.as_str(),
            place_id: v.place_id,
            start: v.interval.start().to_rfc3339(),
            end: v.interval.end().to_rfc3339(),
        }),
    }))
}

/// Register a confirmed case (F0) for a person, from a positive sample (audited); the
/// levels of everyone it reaches are updated before the answer.
#[utoipa::path(post, path = "/api/v1/persons/{id}/case", params(("id" = i64, Path, description = "person id")),
    request_body = crate::cases::CaseInput,
    responses((status = 201, body = crate::cases::Registered), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn register_case(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(id): Path<i64>,
    Json(input): Json<crate::cases::CaseInput>,
) -> Result<(StatusCode, Json<crate::cases::Registered>), ApiError> {
    let ip = peer.map(|Extension(ConnectInfo(a))| a.ip().to_string());
    let done = crate::cases::register_case(&state, &user, ip, id, &input).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// Enter a test result for a person (audited).
#[utoipa::path(post, path = "/api/v1/persons/{id}/tests", params(("id" = i64, Path, description = "person id")),
    request_body = crate::tests_form::TestInput,
    responses((status = 201, body = crate::tests_form::TestEntered), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn enter_test(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(id): Path<i64>,
    Json(input): Json<crate::tests_form::TestInput>,
) -> Result<(StatusCode, Json<crate::tests_form::TestEntered>), ApiError> {
    let ip = peer.map(|Extension(ConnectInfo(a))| a.ip().to_string());
    let done = crate::tests_form::enter_test(&state, &user, ip, id, &input).await?;
    Ok((StatusCode::CREATED, Json(done)))
}
