//! `/cases/{person_id}/trace`: the trace view of a case, the F1..F4 reached from it as
//! a tree (each person under the one who exposed them, as stored in `trace_level`),
//! with counts per level and per commune; each person inside the jurisdiction links to
//! their page. Persons outside the user's jurisdiction are counted (per level and per
//! commune) but shown without name or link.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::shell_signed_in;
use crate::persons::within;
use crate::scope::Scope;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Router};
use maud::{html, Markup};
use phongdich_domain::{AdminLevel, UnitCode};
use phongdich_store::{StoreError, TreeNode};
use std::collections::{BTreeMap, HashMap};

/// Routes of this module (signed in).
pub fn router() -> Router<AppState> {
    Router::new().route("/cases/{id}/trace", get(trace_page))
}

/// Persons drawn in the tree at most; the counts cover everyone.
pub const MAX_SHOWN: usize = 2_000;

/// The commune a unit of residence belongs to (a village's commune, or the commune).
pub fn commune_of(unit: &UnitCode) -> Option<UnitCode> {
    match unit.level() {
        AdminLevel::Commune => Some(unit.clone()),
        AdminLevel::Village => unit
            .as_str()
            .split_once('-')
            .and_then(|(c, _)| UnitCode::parse(c).ok()),
        _ => None,
    }
}

struct Tree<'a> {
    nodes: &'a [TreeNode],
    children: HashMap<i64, Vec<usize>>,
    scope: &'a Scope,
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
                @if self.scope.contains(n.unit_code.as_ref()) {
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

async fn trace_page(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    lang: Lang,
    Path(id): Path<i64>,
) -> Result<Markup, AppError> {
    let store = state.store();
    let person = match store.person(id).await {
        Ok(p) => p,
        Err(StoreError::NotFound { .. }) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if !within(store, person.unit_code.as_ref(), &user.jurisdiction).await? {
        return Err(AppError::NotFound);
    }
    let scope = Scope::of(store, &user.jurisdiction)
        .await?
        .ok_or(AppError::NotFound)?;
    let nodes = store.trace_tree(id, 4).await?;
    let mut per_level = [0u64; 5];
    let mut per_commune: BTreeMap<Option<UnitCode>, [u64; 5]> = BTreeMap::new();
    let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate().skip(1) {
        let l = usize::from(n.level).min(4);
        per_level[l] += 1;
        per_commune
            .entry(n.unit_code.as_ref().and_then(commune_of))
            .or_default()[l] += 1;
        if let Some(via) = n.via_person_id {
            children.entry(via).or_default().push(i);
        }
    }
    let mut commune_names = HashMap::new();
    for c in per_commune.keys().flatten() {
        match store.unit(c).await {
            Ok(u) => {
                commune_names.insert(c.clone(), u.name);
            }
            Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let tree = Tree {
        nodes: &nodes,
        children,
        scope: &scope,
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
                tbody { @for (c, counts) in &per_commune { tr {
                    td { @match c {
                        Some(c) => { (commune_names.get(c).map(String::as_str).unwrap_or_default()) " " span.muted { (c.as_str()) } },
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

#[cfg(test)]
mod tests {
    use super::commune_of;
    use phongdich_domain::UnitCode;

    #[test]
    fn a_village_belongs_to_its_commune() {
        let c = UnitCode::parse("03386").unwrap();
        assert_eq!(
            commune_of(&UnitCode::parse("03386-07").unwrap()),
            Some(c.clone())
        );
        assert_eq!(commune_of(&c), Some(c));
        assert_eq!(commune_of(&UnitCode::parse("105").unwrap()), None);
    }
}
