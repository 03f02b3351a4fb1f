//! The declarations API: declaring (staff and partner systems; the public uses the
//! pages), the follow-up list, a declaration by its code, and marking one followed up.

use crate::state::AppState;
use crate::web::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::web::session::CurrentUser;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use phongdich_app::declarations::{DeclarationInput, Declared, FollowUpFilter};
use phongdich_store::Declaration;
use serde::{Deserialize, Serialize};

/// Declare one person and the family members they declare for (audited): each is
/// matched to a recorded person by identity number only, or recorded; each gets a
/// code. A person with symptoms, a case contact or an epidemic zone lands on their
/// commune's follow-up list. An `Idempotency-Key` header makes a retry answer the first
/// submission.
#[utoipa::path(post, path = "/api/v1/declarations", request_body = DeclarationInput,
    responses((status = 201, body = Declared), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn declare(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(input): ApiJson<DeclarationInput>,
) -> Result<(StatusCode, Json<Declared>), ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let done = state.app().declare(&user.actor, &input, None, key).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// A declaration as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeclarationJson {
    id: i64,
    code: String,
    submission: String,
    /// `voluntary`, `domestic` or `entry`.
    kind: String,
    /// The person it was matched to or created for.
    person_id: i64,
    full_name: String,
    /// `cccd`, `cmnd` or `passport`.
    id_kind: String,
    id_number: String,
    /// `YYYY-MM-DD` or `YYYY`.
    birth: String,
    sex: String,
    nationality: String,
    phone: Option<String>,
    province_code: String,
    unit_code: String,
    unit_name: Option<String>,
    village: Option<String>,
    address: Option<String>,
    visited_provinces: Vec<String>,
    visited_places: Option<String>,
    origin: Option<String>,
    arrival_date: Option<String>,
    symptoms: Vec<String>,
    case_contact: bool,
    epidemic_zone: bool,
    /// What flagged it: `symptoms`, `case_contact`, `epidemic_zone`.
    flags: Vec<String>,
    /// `none`, `open` or `done`.
    follow_up: String,
    followed_up_at: Option<String>,
    follow_up_note: Option<String>,
    created_at: String,
}

fn json_of(r: &Declaration, unit_name: Option<String>) -> DeclarationJson {
    DeclarationJson {
        id: r.id,
        code: r.declared.code.to_string(),
        submission: r.declared.submission.to_string(),
        kind: r.declared.kind.as_str().to_owned(),
        person_id: r.declared.person_id,
        full_name: r.declared.full_name.to_string(),
        id_kind: r.declared.identity.kind_str().to_owned(),
        id_number: r.declared.identity.number().to_owned(),
        birth: r.declared.birth.to_text(),
        sex: r.declared.sex.as_str().to_owned(),
        nationality: r.declared.nationality.as_str().to_owned(),
        phone: r.declared.phone.as_ref().map(|p| p.as_str().to_owned()),
        province_code: r.declared.province_code.to_string(),
        unit_code: r.declared.unit_code.to_string(),
        unit_name,
        village: r.declared.village.clone(),
        address: r.declared.address.clone(),
        visited_provinces: r
            .declared
            .visited_provinces
            .iter()
            .map(|u| u.to_string())
            .collect(),
        visited_places: r.declared.visited_places.clone(),
        origin: r.declared.origin.clone(),
        arrival_date: r
            .declared
            .arrival_date
            .map(|d| d.format("%Y-%m-%d").to_string()),
        symptoms: r
            .declared
            .symptoms
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        case_contact: r.declared.case_contact,
        epidemic_zone: r.declared.epidemic_zone,
        flags: r
            .declared
            .flags
            .iter()
            .map(|f| f.as_str().to_owned())
            .collect(),
        follow_up: r.follow_up.as_str().to_owned(),
        followed_up_at: r.followed_up_at.map(|t| t.to_rfc3339()),
        follow_up_note: r.follow_up_note.clone(),
        created_at: r.declared.created_at.to_rfc3339(),
    }
}

/// One page of the follow-up list; pass `next_cursor` as `cursor` for the next.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FollowUpPageJson {
    items: Vec<DeclarationJson>,
    next_cursor: Option<String>,
}

/// The follow-up list of the caller's jurisdiction: declarations flagged by symptoms,
/// a case contact or an epidemic zone, newest first (audited as a list read).
#[utoipa::path(get, path = "/api/v1/declarations/follow-up", params(FollowUpFilter),
    responses((status = 200, body = FollowUpPageJson), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn follow_up(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(filter): ApiQuery<FollowUpFilter>,
) -> Result<Json<FollowUpPageJson>, ApiError> {
    let page = state.app().follow_up_list(&user.actor, &filter).await?;
    Ok(Json(FollowUpPageJson {
        items: page
            .items
            .into_iter()
            .map(|i| json_of(&i.row, i.unit_name))
            .collect(),
        next_cursor: page.next.map(|n| n.to_string()),
    }))
}

/// A declaration by its code (checkpoints), if the caller may see it (audited).
#[utoipa::path(get, path = "/api/v1/declarations/{code}", params(("code" = String, Path, description = "the declaration's code")),
    responses((status = 200, body = DeclarationJson), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn lookup(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<DeclarationJson>, ApiError> {
    let view = state.app().declaration(&user.actor, &code, None).await?;
    let row = view
        .rows
        .first()
        .ok_or(ApiError::from(phongdich_app::AppError::NotFound))?;
    let name = view.unit_names.get(&row.declared.unit_code).cloned();
    Ok(Json(json_of(row, name)))
}

/// What following up a declaration says.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct FollowUpInput {
    /// What was done (called, sampled, referred...).
    #[serde(default)]
    note: Option<String>,
}

/// Mark a flagged declaration of the caller's jurisdiction followed up (audited).
#[utoipa::path(post, path = "/api/v1/declarations/{id}/done", params(("id" = i64, Path, description = "the declaration's id")),
    request_body = FollowUpInput,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn mark_done(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<FollowUpInput>,
) -> Result<StatusCode, ApiError> {
    state
        .app()
        .mark_followed_up(&user.actor, id, input.note.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
