//! `/audit`: the audit log of personal data, newest first, filterable by record, user
//! (sign-in or display name), action and local dates, 200 events a page. Province
//! administrators only (the app's `audit_log` use case decides).

use super::{Guard, Route};
use crate::state::AppState;
use crate::web::error::{WebError, WebQuery};
use crate::web::i18n::Lang;
use crate::web::layout::shell_signed_in;
use crate::web::session::{form_encode, CurrentUser};
use axum::extract::State;
use maud::{html, Markup};
use phongdich_app::audit_log::{AuditQuery, ACTIONS};
use phongdich_domain::Timestamp;
use serde::Deserialize;

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![Route::get("/audit", "/audit", Guard::SignedIn, audit_log)]
}

/// `k=v&` for every non-empty value, percent-encoded.
fn form_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push_str(k);
        out.push('=');
        out.extend(form_encode(v));
        out.push('&');
    }
    out
}

#[derive(Debug, Default, Deserialize)]
struct Filter {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: String,
}

async fn audit_log(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebQuery(f): WebQuery<Filter>,
) -> Result<Markup, WebError> {
    let some = |s: &str| Some(s.to_owned());
    let page = state
        .app()
        .audit_log(
            &user.actor,
            &AuditQuery {
                entity: some(&f.entity),
                id: some(&f.id),
                user: some(&f.user),
                action: some(&f.action),
                from: some(&f.from),
                to: some(&f.to),
                before: some(&f.before),
            },
        )
        .await?;
    let action = Some(f.action.trim()).filter(|a| !a.is_empty());
    let older = page.older.map(|last| {
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
                    option value=(a) selected[action == Some(a)] { (a) }
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
            tbody { @for e in &page.events { tr {
                td { (Timestamp(e.event.at)) }
                td { @if let Some(u) = e.event.user_id {
                    @match page.accounts.get(&u) { Some((name, display)) => { (display) " " span.muted { "(" (name) ")" } }, None => { "#" (u) } }
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
