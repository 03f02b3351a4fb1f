//! `/audit`: the audit log of personal data, newest first, filterable by entity and id.
//! Province administrators only.

use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::shell_signed_in;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Router};
use maud::{html, Markup};
use phongdich_domain::Timestamp;
use serde::Deserialize;

/// Routes of this module (signed in).
pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_log))
}

#[derive(Debug, Deserialize)]
struct Filter {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    id: String,
}

async fn audit_log(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    lang: Lang,
    Query(f): Query<Filter>,
) -> Result<Markup, AppError> {
    if user.role != Role::ProvinceAdmin {
        return Err(AppError::Forbidden);
    }
    let entity = f.entity.trim();
    let id = f.id.trim();
    let filter = (!entity.is_empty()).then_some((entity, id));
    let events = match filter {
        Some((e, i)) if !i.is_empty() => state.store().audit_events(Some((e, i)), 500).await?,
        Some((e, _)) => {
            let mut all = state.store().audit_events(None, 1000).await?;
            all.retain(|ev| ev.event.entity == e);
            all
        }
        None => state.store().audit_events(None, 500).await?,
    };
    let content = html! {
        h1 { (lang.t("Nhật ký truy cập dữ liệu", "Audit log")) }
        form.inline method="get" action="/audit" {
            label { (lang.t("Loại", "Entity")) input name="entity" value=(entity) placeholder="person"; }
            label { (lang.t("Mã", "Id")) input name="id" value=(id); }
            button type="submit" { (lang.t("Lọc", "Filter")) }
        }
        div.table-wrap { table {
            thead { tr {
                th { (lang.t("Thời điểm", "When")) }
                th { (lang.t("Người dùng", "User")) }
                th { (lang.t("Thao tác", "Action")) }
                th { (lang.t("Dữ liệu", "Record")) }
                th { "IP" }
                th { (lang.t("Trước / sau", "Before / after")) }
            } }
            tbody { @for e in &events { tr {
                td { (Timestamp(e.event.at)) }
                td { @if let Some(u) = e.event.user_id { "#" (u) } }
                td { (e.event.action) }
                td { (e.event.entity) " " (e.event.entity_id) }
                td { @if let Some(ip) = &e.event.ip { (ip) } }
                td {
                    @if let Some(b) = &e.event.before_json { code { (b) } br; }
                    @if let Some(a) = &e.event.after_json { code { (a) } }
                }
            } } }
        } }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Nhật ký", "Audit log"),
        "/audit",
        &user,
        content,
    ))
}
