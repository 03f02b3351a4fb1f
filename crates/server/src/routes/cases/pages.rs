//! The trace view of a case (`/cases/{person_id}/trace`): each person under the one
//! who exposed them; persons outside the user's jurisdiction are counted (per level and
//! per commune) but shown without name or link.

use crate::state::AppState;
use crate::web::error::{WebError, WebPath, WebQuery};
use crate::web::i18n::Lang;
use crate::web::layout::shell_signed_in;
use crate::web::session::CurrentUser;
use axum::extract::State;
use maud::{html, Markup};
use phongdich_app::cases::CaseFilter;
use phongdich_domain::CaseClassification;
use phongdich_store::TreeNode;
use std::collections::HashMap;

/// Persons drawn in the tree at most; the counts cover everyone.
pub const MAX_SHOWN: usize = 2_000;

struct Tree<'a> {
    nodes: &'a [TreeNode],
    visible: &'a [bool],
    children: HashMap<i64, Vec<usize>>,
    lang: Lang,
}

impl Tree<'_> {
    fn node(&self, i: usize, shown: &mut usize) -> Markup {
        let Some(n) = self.nodes.get(i) else {
            return html! {};
        };
        *shown += 1;
        let kids = self.children.get(&n.person_id);
        html! {
            li data-level=(n.level) {
                span class={ "level f" (n.level) } { "F" (n.level) } " "
                @if self.visible.get(i).copied().unwrap_or(false) {
                    a href={ "/persons/" (n.person_id) } { (n.full_name) }
                    @if let Some(u) = &n.unit_code { " " span.muted { (u.as_str()) } }
                } @else {
                    span.muted { (self.lang.t("(ngoài địa bàn)", "(outside the jurisdiction)")) }
                }
                @if let Some(kind) = n.via_kind {
                    " · " span.muted { (kind.as_str()) " " (n.exposed_at) }
                }
                @if let Some(kids) = kids {
                    ul.tree {
                        @for &k in kids {
                            @if *shown < MAX_SHOWN { (self.node(k, shown)) }
                        }
                    }
                }
            }
        }
    }
}

pub(super) async fn trace_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath(id): WebPath<i64>,
) -> Result<Markup, WebError> {
    let t = state.app().case_trace(&user.actor, id).await?;
    let person = &t.person;
    let nodes = &t.nodes;
    let per_level = t.per_level;
    let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate().skip(1) {
        if let Some(via) = n.via_person_id {
            children.entry(via).or_default().push(i);
        }
    }
    let tree = Tree {
        nodes,
        visible: &t.visible,
        children,
        lang,
    };
    let mut shown = 0;
    let drawn = if nodes.is_empty() {
        html! {}
    } else {
        tree.node(0, &mut shown)
    };
    let reached: u64 = per_level[1..].iter().sum();
    let content = html! {
        h1 { (lang.t("Truy vết ca bệnh ", "Trace of the case ")) a href={ "/persons/" (person.id) } { (person.full_name.as_str()) } }
        (crate::web::layout::engine_notice(lang, &state.app().engine().status()))
        @if nodes.is_empty() {
            p.muted { (lang.t("Người này chưa được truy vết.", "This person is not traced.")) }
        } @else {
            @if nodes[0].level != 0 {
                p.notice { (lang.t("Người này không phải ca bệnh (F0): đây là những người được truy vết qua họ.", "This person is not a case (F0): these are the persons traced through them.")) }
            }
            div.cards {
                @for (i, count) in per_level.iter().enumerate().skip(1) {
                    div.card {
                        div.n data-level=(i) { (lang.number(i64::try_from(*count).unwrap_or(i64::MAX))) }
                        div.l { span class={ "level f" (i) } { "F" (i) } }
                    }
                }
            }
            h2 { (lang.t("Theo xã", "By commune")) }
            div.table-wrap { table #by-commune {
                thead { tr { th { (lang.t("Xã", "Commune")) } @for i in 1..5 { th.num { "F" (i) } } } }
                tbody { @for (c, counts) in &t.per_commune { tr {
                    td { @match c {
                        Some((code, name)) => { a href={ "/dashboard?unit=" (code.as_str()) } { (name) } },
                        None => span.muted { (lang.t("(không rõ)", "(unknown)")) },
                    } }
                    @for i in 1..5 { td.num { (counts[i]) } }
                } } }
            } }
            h2 { (lang.t("Cây truy vết", "Tree")) }
            @if reached > MAX_SHOWN as u64 {
                p.muted { (lang.t("Chỉ hiển thị một phần cây: ", "Only part of the tree is drawn: ")) (MAX_SHOWN) " / " (reached + 1) }
            }
            ul.tree #trace-tree { (drawn) }
        }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Truy vết ca bệnh", "Trace of a case"),
        &format!("/cases/{id}/trace"),
        &user,
        content,
    ))
}

/// `k=v&` for every non-empty value, percent-encoded.
fn query_pairs(pairs: &[(&str, Option<&String>)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            out.push_str(k);
            out.push('=');
            out.extend(crate::web::session::form_encode(v.trim()));
            out.push('&');
        }
    }
    out
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebQuery(filter): WebQuery<CaseFilter>,
) -> Result<Markup, WebError> {
    let app = state.app();
    let page = app.list_cases(&user.actor, &filter).await?;
    let units = app
        .scope(&user.actor)
        .await?
        .filter_units(app.store())
        .await?;
    let chosen = filter.unit.as_deref().unwrap_or_default();
    let class = filter.classification.as_deref().unwrap_or_default();
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let content = html! {
        h1 { (lang.t("Ca bệnh (F0)", "Cases (F0)")) }
        form.inline method="get" action="/cases" {
            label { (lang.t("Địa bàn", "Unit"))
                select name="unit" {
                    option value="" { (lang.t("Toàn bộ địa bàn", "The whole jurisdiction")) }
                    @for u in &units {
                        option value=(u.code.as_str()) selected[u.code.as_str() == chosen] { (u.name) }
                    }
                }
            }
            label { (lang.t("Lấy mẫu từ ngày", "Sampled from"))
                input type="date" name="from" value=(text(&filter.from)); }
            label { (lang.t("đến ngày", "to"))
                input type="date" name="to" value=(text(&filter.to)); }
            label { (lang.t("Phân loại", "Classification"))
                select name="classification" {
                    option value="" { (lang.t("Tất cả", "All")) }
                    @for c in CaseClassification::ALL {
                        option value=(c.as_str()) selected[c.as_str() == class] {
                            (match lang { Lang::Vi => c.label_vi(), Lang::En => c.as_str() })
                        }
                    }
                }
            }
            button type="submit" { (lang.t("Lọc", "Filter")) }
        }
        @if page.items.is_empty() {
            p.muted { (lang.t("Không có ca bệnh nào khớp.", "No case matches.")) }
        } @else {
            div.table-wrap { table #cases {
                thead { tr {
                    th { (lang.t("Họ tên", "Name")) }
                    th { (lang.t("Nơi ở", "Lives in")) }
                    th { (lang.t("Khởi phát", "Onset")) }
                    th { (lang.t("Lấy mẫu dương tính", "Positive sample")) }
                    th { (lang.t("Cách ly từ", "Isolated")) }
                    th { (lang.t("Phân loại", "Classification")) }
                    th { (lang.t("Truy vết", "Trace")) }
                } }
                tbody { @for item in &page.items {
                    @let c = &item.row.case;
                    tr data-case=(c.id) {
                        td { a href={ "/persons/" (c.person_id) } { (item.row.full_name) } }
                        td { @if let Some(u) = &item.unit_name { (u) } }
                        td { @if let Some(d) = c.case.onset { (d.format("%d/%m/%Y")) } }
                        td { @if let Some(d) = c.case.sample_date { (d.format("%d/%m/%Y")) } }
                        td { @if let Some(t) = c.case.isolated_at { (t) } }
                        td { (match lang { Lang::Vi => c.case.classification.label_vi(), Lang::En => c.case.classification.as_str() }) }
                        td { a href={ "/cases/" (c.id) "/trace" } { "F1–F4" } }
                    }
                } }
            } }
        }
        @if let Some(next) = page.next {
            p { a rel="next" href={ "/cases?" (query_pairs(&[
                ("unit", filter.unit.as_ref()),
                ("from", filter.from.as_ref()),
                ("to", filter.to.as_ref()),
                ("classification", filter.classification.as_ref()),
            ])) "before=" (next) } { (lang.t("Trang sau →", "Next page →")) } }
        }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Ca bệnh", "Cases"),
        "/cases",
        &user,
        content,
    ))
}
