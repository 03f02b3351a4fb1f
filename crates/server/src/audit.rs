//! `/audit`: the audit log of personal data, newest first, filterable by record, user,
//! action and local dates, 200 events a page.
//! Province administrators only.

use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::shell_signed_in;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Router};
use chrono::NaiveDate;
use maud::{html, Markup};
use phongdich_domain::Timestamp;
use phongdich_store::AuditFilter;
use serde::Deserialize;
use std::collections::HashMap;

/// `k=v&` for every non-empty value, percent-encoded.
fn form_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push_str(k);
        out.push('=');
        out.extend(crate::auth::form_encode(v));
        out.push('&');
    }
    out
}

/// Routes of this module (signed in).
pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_log))
}

#[derive(Debug, Default, Deserialize)]
struct Filter {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    id: String,
    /// Sign-in name of the account that acted.
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    /// Local dates, `YYYY-MM-DD`, both inclusive.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Cursor: only events older than this id.
    #[serde(default)]
    before: String,
}

/// Events per page.
const PAGE: u64 = 200;

/// The actions the log records.
const ACTIONS: [&str; 4] = ["create", "update", "delete", "view"];

fn local_date(s: &str, field: &'static str) -> Result<Option<NaiveDate>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::BadRequest(field))
}

fn nonempty(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
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
    let store = state.store();
    let accounts: HashMap<i64, String> = store
        .users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let action = nonempty(&f.action);
    if action.as_deref().is_some_and(|a| !ACTIONS.contains(&a)) {
        return Err(AppError::BadRequest(
            "action: create, update, delete or view",
        ));
    }
    let user_id = match nonempty(&f.user) {
        Some(name) => match accounts.iter().find(|(_, u)| **u == name) {
            Some((id, _)) => Some(*id),
            // No such account: nothing can match.
            None => Some(-1),
        },
        None => None,
    };
    let from = local_date(&f.from, "from: expected YYYY-MM-DD")?;
    let to = local_date(&f.to, "to: expected YYYY-MM-DD")?;
    let before_id = match nonempty(&f.before) {
        Some(b) => Some(
            b.parse::<i64>()
                .map_err(|_| AppError::BadRequest("before: not a cursor this page gave"))?,
        ),
        None => None,
    };
    let filter = AuditFilter {
        entity: nonempty(&f.entity),
        entity_id: nonempty(&f.entity).and(nonempty(&f.id)),
        user_id,
        action: action.clone(),
        from: from.map(|d| Timestamp::local_midnight(d).0),
        until: to
            .and_then(|d| d.succ_opt())
            .map(|d| Timestamp::local_midnight(d).0),
        before_id,
        limit: PAGE,
    };
    let events = store.audit_search(&filter).await?;
    let older = (events.len() as u64 == PAGE)
        .then(|| events.last().map(|e| e.id))
        .flatten()
        .map(|last| {
            let mut q = form_urlencoded_pairs(&[
                ("entity", f.entity.trim()),
                ("id", f.id.trim()),
                ("user", f.user.trim()),
                ("action", f.action.trim()),
                ("from", f.from.trim()),
                ("to", f.to.trim()),
            ]);
            q.push_str(&format!("before={last}"));
            format!("/audit?{q}")
        });
    let content = html! {
        h1 { (lang.t("Nhật ký truy cập dữ liệu", "Audit log")) }
        form.inline method="get" action="/audit" {
            label { (lang.t("Loại", "Entity")) input name="entity" value=(f.entity.trim()) placeholder="person"; }
            label { (lang.t("Mã", "Id")) input name="id" value=(f.id.trim()); }
            label { (lang.t("Người dùng", "User")) input name="user" value=(f.user.trim()); }
            label { (lang.t("Thao tác", "Action")) select name="action" {
                option value="" { (lang.t("Tất cả", "All")) }
                @for a in ACTIONS {
                    option value=(a) selected[action.as_deref() == Some(a)] { (a) }
                }
            } }
            label { (lang.t("Từ ngày", "From")) input type="date" name="from" value=(f.from.trim()); }
            label { (lang.t("Đến ngày", "To")) input type="date" name="to" value=(f.to.trim()); }
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
                td { @if let Some(u) = e.event.user_id {
                    @match accounts.get(&u) { Some(name) => (name), None => { "#" (u) } }
                } }
                td { (e.event.action) }
                td { (e.event.entity) " " (e.event.entity_id) }
                td { @if let Some(ip) = &e.event.ip { (ip) } }
                td {
                    @if let Some(b) = &e.event.before_json { code { (b) } br; }
                    @if let Some(a) = &e.event.after_json { code { (a) } }
                }
            } } }
        } }
        @if let Some(href) = &older {
            p { a.older href=(href) { (lang.t("Cũ hơn →", "Older →")) } }
        }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Nhật ký", "Audit log"),
        "/audit",
        &user,
        content,
    ))
}
