//! `/healthz`: the database and the tracing engine, as JSON (for load balancers,
//! `systemd` and administrators; public, no personal data). 200 when the database
//! answers, 503 otherwise; the engine's state (`building`, `ready`, `failed` with the
//! reason) does not change the status, so a server whose engine failed still serves.

use super::{Guard, Route};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use phongdich_app::EngineStatus;

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![Route::get("/healthz", "/healthz", Guard::Public, healthz)]
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let engine = state.app().engine().status();
    let mut engine_json = serde_json::json!({ "state": engine.as_str() });
    match &engine {
        EngineStatus::Ready {
            levels,
            build_seconds,
        } => {
            engine_json["levels"] = serde_json::json!(levels);
            engine_json["build_seconds"] = serde_json::json!(build_seconds);
        }
        EngineStatus::Failed { reason } => engine_json["reason"] = serde_json::json!(reason),
        EngineStatus::Building { since, percent } => {
            engine_json["since"] = serde_json::json!(since.to_rfc3339());
            engine_json["percent"] = serde_json::json!(percent);
        }
        EngineStatus::Idle => {}
    }
    match state.app().store().ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ok", "database": "ok", "engine": engine_json })),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    serde_json::json!({ "status": "unavailable", "database": "unreachable", "engine": engine_json }),
                ),
            )
        }
    }
}
