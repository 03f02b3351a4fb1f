//! `POST /persons/{id}/case`: register a case (F0) from a positive test, and update
//! the levels of everyone it reaches at once, incrementally (the engine in
//! [`AppState::trace`]; no re-trace of the province per request).
//!
//! Writable roles only, inside the jurisdiction, with the session's CSRF token;
//! audited with the record after.

use crate::auth::{self, CurrentUser};
use crate::error::AppError;
use crate::persons::within;
use crate::state::AppState;
use crate::tests_form::{may_write, parse_local};
use axum::extract::{ConnectInfo, Path, State};
use axum::response::Redirect;
use axum::routing::post;
use axum::{Extension, Form, Router};
use chrono::NaiveDate;
use phongdich_domain::case::default_infectious_from;
use phongdich_domain::{Case, CaseClassification, CaseOutcome, Timestamp};
use phongdich_store::{NewAuditEvent, NewCase, StoreError};
use serde::Deserialize;
use std::net::SocketAddr;

/// Routes of this module (signed in).
pub fn router() -> Router<AppState> {
    Router::new().route("/persons/{id}/case", post(register_case_form))
}

/// What registering a case needs: the positive sample's date (local), the onset date
/// if symptomatic, and when the person was isolated (if already).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CaseInput {
    /// Local date of the positive sample, `YYYY-MM-DD`.
    pub sample_date: String,
    /// Local date of symptom onset, `YYYY-MM-DD` (empty if asymptomatic).
    #[serde(default)]
    pub onset: Option<String>,
    /// When isolated or hospitalised, local `YYYY-MM-DDTHH:MM` (empty while circulating).
    #[serde(default)]
    pub isolated_at: Option<String>,
}

/// What registering did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Registered {
    /// The case id.
    pub case_id: i64,
    /// Persons whose level changed (including the case).
    pub levels_changed: usize,
    /// Whether the engine was ready (if not, the levels are computed when it is).
    pub traced: bool,
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Registers a confirmed case for person `id` and updates the levels it changes.
pub async fn register_case(
    state: &AppState,
    user: &CurrentUser,
    ip: Option<String>,
    id: i64,
    input: &CaseInput,
) -> Result<Registered, AppError> {
    if !may_write(user) {
        return Err(AppError::Forbidden);
    }
    let person = match state.store().person(id).await {
        Ok(p) => p,
        Err(StoreError::NotFound { .. }) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if !within(state.store(), person.unit_code.as_ref(), &user.jurisdiction).await? {
        return Err(AppError::NotFound);
    }
    let sample_date =
        date(&input.sample_date).ok_or(AppError::BadRequest("sample_date: expected YYYY-MM-DD"))?;
    let onset = match nonempty(&input.onset) {
        Some(s) => Some(date(s).ok_or(AppError::BadRequest("onset: expected YYYY-MM-DD"))?),
        None => None,
    };
    let isolated_at = match nonempty(&input.isolated_at) {
        Some(s) => Some(parse_local(s).ok_or(AppError::BadRequest(
            "isolated_at: expected YYYY-MM-DDTHH:MM",
        ))?),
        None => None,
    };
    let infectious_from = default_infectious_from(onset, Some(sample_date))
        .ok_or(AppError::BadRequest("sample_date is needed"))?;
    if state.store().case_of_person(id).await?.is_some() {
        return Err(AppError::BadRequest("this person is already a case"));
    }
    let case = Case {
        onset,
        sample_date: Some(sample_date),
        infectious_from,
        isolated_at,
        classification: CaseClassification::Confirmed,
        outcome: CaseOutcome::UnderTreatment,
    };
    let case_id = state
        .store()
        .insert_case(&NewCase {
            person_id: id,
            case: case.clone(),
        })
        .await?;
    let after = serde_json::json!({
        "person_id": id,
        "sample_date": sample_date.to_string(),
        "onset": onset.map(|d| d.to_string()),
        "infectious_from": infectious_from.to_rfc3339(),
        "isolated_at": isolated_at.map(Timestamp::to_rfc3339),
        "classification": "confirmed",
    });
    state
        .store()
        .insert_audit_event(&NewAuditEvent {
            at: auth::now(),
            user_id: Some(user.session.user.id),
            action: "create".to_owned(),
            entity: "case".to_owned(),
            entity_id: case_id.to_string(),
            before_json: None,
            after_json: Some(after.to_string()),
            ip,
        })
        .await?;
    // The engine: waits while it is being built at start.
    let mut slot = state.trace().write().await;
    let (levels_changed, traced) = match slot.as_mut() {
        Some(trace) => {
            let (rows, gone) = trace
                .add_case(id, infectious_from, isolated_at, Timestamp(auth::now()))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            state.store().upsert_trace_levels(&rows, &gone).await?;
            (rows.len() + gone.len(), true)
        }
        None => (0, false),
    };
    drop(slot);
    tracing::info!(
        person.id = id,
        case.id = case_id,
        levels_changed,
        "case registered"
    );
    Ok(Registered {
        case_id,
        levels_changed,
        traced,
    })
}

#[derive(Debug, Deserialize)]
struct CaseForm {
    csrf: String,
    sample_date: String,
    #[serde(default)]
    onset: Option<String>,
    #[serde(default)]
    isolated_at: Option<String>,
}

async fn register_case_form(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(id): Path<i64>,
    Form(f): Form<CaseForm>,
) -> Result<Redirect, AppError> {
    if !auth::same_secret(&user.session.csrf_token, &f.csrf) {
        return Err(AppError::Csrf);
    }
    let ip = peer.map(|Extension(ConnectInfo(a))| a.ip().to_string());
    let input = CaseInput {
        sample_date: f.sample_date,
        onset: f.onset,
        isolated_at: f.isolated_at,
    };
    register_case(&state, &user, ip, id, &input).await?;
    Ok(Redirect::to(&format!("/persons/{id}")))
}
