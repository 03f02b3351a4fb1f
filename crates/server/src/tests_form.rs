//! `POST /persons/{id}/tests`: enter a test result for a person (form on the person
//! page, with the session's CSRF token). Writable roles only (not the read-only
//! leader, not place-bound accounts), inside the jurisdiction; audited with the record
//! after.

use crate::auth::{self, CurrentUser, Jurisdiction};
use crate::error::AppError;
use crate::persons::within;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::Redirect;
use axum::routing::post;
use axum::{Extension, Form, Router};
use chrono::NaiveDateTime;
use phongdich_domain::{TestKind, TestResult, Timestamp};
use phongdich_store::{NewAuditEvent, NewTest, StoreError};
use serde::Deserialize;
use std::net::SocketAddr;

/// Routes of this module (signed in).
pub fn router() -> Router<AppState> {
    Router::new().route("/persons/{id}/tests", post(add_test))
}

/// Whether the account may change personal data (inside its jurisdiction).
pub fn may_write(user: &CurrentUser) -> bool {
    !user.role.read_only() && matches!(user.jurisdiction, Jurisdiction::Unit(_))
}

/// Parses the `datetime-local` value of a form (`2021-05-12T08:30`) as Vietnam time.
pub fn parse_local(s: &str) -> Option<Timestamp> {
    let t = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M").ok()?;
    let secs = t.and_utc().timestamp() - i64::from(phongdich_domain::time::VIETNAM_OFFSET_SECONDS);
    Some(Timestamp(secs))
}

/// A test result to enter.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TestInput {
    /// `pcr` or `rapid_antigen`.
    pub kind: String,
    /// `pending`, `positive`, `negative` or `inconclusive`.
    pub result: String,
    /// When the sample was taken: local `YYYY-MM-DDTHH:MM`, RFC 3339 or Unix seconds.
    pub sampled_at: String,
    /// The laboratory, if known.
    #[serde(default)]
    pub laboratory: Option<String>,
}

/// What entering a test did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TestEntered {
    /// The test's id.
    pub test_id: i64,
}

/// A time as forms and the API give it: local `YYYY-MM-DDTHH:MM`, RFC 3339 with an
/// offset, or Unix seconds.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return Some(Timestamp(secs));
    }
    parse_local(s).or_else(|| Timestamp::parse(s).ok())
}

/// Stores a test result for person `id` (writable roles, inside the jurisdiction) and
/// audits it.
pub async fn enter_test(
    state: &AppState,
    user: &CurrentUser,
    ip: Option<String>,
    id: i64,
    input: &TestInput,
) -> Result<TestEntered, AppError> {
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
    let kind = TestKind::parse(&input.kind)
        .ok_or(AppError::BadRequest("kind: expected pcr or rapid_antigen"))?;
    let result = TestResult::parse(&input.result).ok_or(AppError::BadRequest(
        "result: expected pending, positive, negative or inconclusive",
    ))?;
    let sampled_at = parse_time(&input.sampled_at).ok_or(AppError::BadRequest(
        "sampled_at: expected YYYY-MM-DDTHH:MM",
    ))?;
    let laboratory = input
        .laboratory
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.chars().take(200).collect::<String>());
    let test = NewTest {
        person_id: id,
        sampled_at,
        kind,
        result,
        laboratory: laboratory.clone(),
    };
    let test_id = state.store().insert_test(&test).await?;
    let after = serde_json::json!({
        "person_id": id,
        "sampled_at": sampled_at.to_rfc3339(),
        "kind": kind.as_str(),
        "result": result.as_str(),
        "laboratory": laboratory,
    });
    state
        .store()
        .insert_audit_event(&NewAuditEvent {
            at: auth::now(),
            user_id: Some(user.session.user.id),
            action: "create".to_owned(),
            entity: "test".to_owned(),
            entity_id: test_id.to_string(),
            before_json: None,
            after_json: Some(after.to_string()),
            ip,
        })
        .await?;
    tracing::info!(person.id = id, test.id = test_id, "test result entered");
    Ok(TestEntered { test_id })
}

#[derive(Debug, Deserialize)]
struct TestForm {
    csrf: String,
    kind: String,
    result: String,
    sampled_at: String,
    #[serde(default)]
    laboratory: Option<String>,
}

async fn add_test(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Path(id): Path<i64>,
    Form(f): Form<TestForm>,
) -> Result<Redirect, AppError> {
    if !auth::same_secret(&user.session.csrf_token, &f.csrf) {
        return Err(AppError::Csrf);
    }
    let ip = peer.map(|Extension(ConnectInfo(a))| a.ip().to_string());
    let input = TestInput {
        kind: f.kind,
        result: f.result,
        sampled_at: f.sampled_at,
        laboratory: f.laboratory,
    };
    enter_test(&state, &user, ip, id, &input).await?;
    Ok(Redirect::to(&format!("/persons/{id}")))
}

#[cfg(test)]
mod tests {
    use super::parse_local;

    #[test]
    fn form_times_are_vietnam_local() {
        let t = parse_local("2021-05-12T15:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-05-12T15:00:00+07:00");
        assert!(parse_local("12/05/2021").is_none());
    }

    #[test]
    fn api_times_take_three_forms() {
        use super::parse_time;
        let want = "2021-05-12T15:00:00+07:00";
        for s in ["2021-05-12T15:00", "2021-05-12T08:00:00Z", "1620806400"] {
            assert_eq!(parse_time(s).unwrap().to_rfc3339(), want, "{s}");
        }
        assert!(parse_time("tomorrow").is_none());
    }
}
