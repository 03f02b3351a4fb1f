//! The persons API: search, one person (audited), their level.

use crate::state::AppState;
use crate::web::error::{ApiError, ApiPath, ApiQuery, ErrorBody};
use crate::web::session::CurrentUser;
use axum::extract::State;
use axum::Json;
use phongdich_app::persons::{LevelView, Someone, Via};
use phongdich_store::Person;
use serde::{Deserialize, Serialize};

/// A person as the API shows them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonJson {
    id: i64,
    reference: String,
    full_name: String,
    /// `YYYY-MM-DD` or `YYYY`.
    birth: Option<String>,
    /// `male` or `female`.
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

/// A row of a search: no identity number and no phone (open the person for those;
/// that view is audited).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonRowJson {
    id: i64,
    full_name: String,
    /// `YYYY-MM-DD` or `YYYY`.
    birth: Option<String>,
    unit_code: Option<String>,
    unit_name: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SearchQuery {
    /// Name (with or without diacritics), identity number or phone; required.
    #[param(required = true)]
    q: Option<String>,
    /// Opaque cursor from the previous page's `next_cursor`.
    cursor: Option<String>,
}

/// One page of persons; pass `next_cursor` as `cursor` for the next.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonsPage {
    items: Vec<PersonRowJson>,
    /// How many persons matched; when `total_capped` is true, a lower bound.
    total: u64,
    /// True when more than `total` persons matched: a name search over a whole
    /// province stops counting past 1,000 (the first page then says `total` 1000).
    /// Narrow the query rather than paging through.
    total_capped: bool,
    next_cursor: Option<String>,
}

/// Search persons inside the caller's jurisdiction (audited as a list read).
#[utoipa::path(get, path = "/api/v1/persons", params(SearchQuery),
    responses((status = 200, body = PersonsPage), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<PersonsPage>, ApiError> {
    let page = state
        .app()
        .search_persons(
            &user.actor,
            q.q.as_deref().unwrap_or_default(),
            q.cursor.as_deref(),
        )
        .await?;
    Ok(Json(PersonsPage {
        items: page
            .items
            .into_iter()
            .map(|p| PersonRowJson {
                id: p.id,
                full_name: p.full_name,
                birth: p.birth.map(|b| b.to_text()),
                unit_code: p.unit.map(|u| u.as_str().to_owned()),
                unit_name: p.unit_name,
            })
            .collect(),
        total: page.total,
        total_capped: page.total_capped,
        next_cursor: page.next_cursor,
    }))
}

/// One person (audited as a view); 404 outside the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/persons/{id}", params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = PersonJson), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PersonJson>, ApiError> {
    let p = state.app().view_person(&user.actor, id).await?;
    Ok(Json(PersonJson::from(&p)))
}

/// Someone one level up: by id inside the caller's jurisdiction, else only the
/// commune where they live.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SomeoneJson {
    /// Their id; `null` outside the caller's jurisdiction.
    person_id: Option<i64>,
    /// Their name; `null` outside.
    full_name: Option<String>,
    /// The commune where someone outside lives, if known.
    commune: Option<String>,
}

impl From<&Someone> for SomeoneJson {
    fn from(s: &Someone) -> Self {
        match s {
            Someone::Known { id, name, .. } => Self {
                person_id: Some(*id),
                full_name: Some(name.clone()),
                commune: None,
            },
            Someone::Outside { commune } => Self {
                person_id: None,
                full_name: None,
                commune: commune.clone(),
            },
        }
    }
}

/// The exposure that realises a level (tracing.md's `via_*` columns).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExposureJson {
    /// The person one level up.
    from: SomeoneJson,
    /// `contact`, `household`, `room`, `vehicle` or `venue`.
    kind: &'static str,
    /// The place's name for a co-presence.
    place: Option<String>,
    /// Start of the overlap that transmitted, RFC 3339.
    start: String,
    /// Its end.
    end: String,
}

impl From<&Via> for ExposureJson {
    fn from(v: &Via) -> Self {
        Self {
            from: SomeoneJson::from(&v.from),
            kind: v.kind.as_str(),
            place: v.place.clone(),
            start: v.start.to_rfc3339(),
            end: v.end.to_rfc3339(),
        }
    }
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
    responses((status = 200, body = LevelJson), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn level(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<LevelJson>, ApiError> {
    let level: Option<LevelView> = state.app().person_level(&user.actor, id).await?;
    Ok(Json(LevelJson {
        person_id: id,
        level: level.as_ref().map(|l| l.level),
        exposed_at: level.as_ref().map(|l| l.exposed_at.to_rfc3339()),
        via: level
            .as_ref()
            .and_then(|l| l.via.as_ref())
            .map(ExposureJson::from),
    }))
}
