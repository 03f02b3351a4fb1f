//! Staff pages of declarations: the follow-up list of the jurisdiction with its
//! filters and the "done" action, and the look-up of a declaration by its code
//! (checkpoints: the URL in each declaration's QR code).

use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::error::{WebError, WebPath, WebQuery};
use crate::web::i18n::Lang;
use crate::web::layout::shell_signed_in;
use crate::web::session::{may_write, CurrentUser};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use phongdich_app::declarations::FollowUpFilter;
use phongdich_app::AppError;
use phongdich_domain::declaration::{DeclarationCode, Flag, FollowUp};
use phongdich_domain::UnitCode;
use phongdich_store::Declaration;
use serde::Deserialize;
use std::collections::HashMap;

fn flags_markup(lang: Lang, flags: &[Flag]) -> Markup {
    html! {
        @for f in flags {
            span.flag data-flag=(f.as_str()) { (lang.t(f.label_vi(), f.label_en())) } " "
        }
    }
}

fn symptoms_text(lang: Lang, r: &Declaration) -> String {
    r.declared
        .symptoms
        .iter()
        .map(|s| lang.t(s.label_vi(), s.label_en()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn done_form(lang: Lang, user: &CurrentUser, r: &Declaration, back: &str) -> Markup {
    html! {
        form.inline.done method="post" action={ "/declarations/" (r.id) "/done" } {
            input type="hidden" name="csrf" value=(user.csrf_token);
            input type="hidden" name="next" value=(back);
            input type="text" name="note" maxlength="500"
                placeholder=(lang.t("Ghi chú (đã gọi, đã lấy mẫu...)", "Note (called, sampled...)"));
            button type="submit" { (lang.t("Đã theo dõi", "Done")) }
        }
    }
}

/// `GET /declarations`: the follow-up list.
pub(super) async fn follow_up_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebQuery(filter): WebQuery<FollowUpFilter>,
) -> Result<Markup, WebError> {
    let app = state.app();
    let page = app.follow_up_list(&user.actor, &filter).await?;
    let units = app
        .scope(&user.actor)
        .await?
        .filter_units(app.store())
        .await?;
    let chosen = page.unit.as_ref().map(UnitCode::as_str).unwrap_or_default();
    let flag = page.flag.map(Flag::as_str).unwrap_or_default();
    let status = page.status.as_str();
    let here = format!("/declarations?unit={chosen}&status={status}&flag={flag}");
    let writer = may_write(&user);
    let content = html! {
        h1 { (lang.t("Khai báo y tế cần theo dõi", "Health declarations to follow up")) }
        form.inline method="get" action="/declarations/find" role="search" {
            input type="search" name="code" maxlength="20"
                placeholder=(lang.t("Tra mã tờ khai (chốt kiểm soát)", "Look a code up (checkpoint)"));
            button type="submit" { (lang.t("Tra", "Look up")) }
        }
        form.inline method="get" action="/declarations" {
            label { (lang.t("Địa bàn", "Unit"))
                select name="unit" {
                    option value="" { (lang.t("Toàn bộ địa bàn", "The whole jurisdiction")) }
                    @for u in &units {
                        option value=(u.code.as_str()) selected[u.code.as_str() == chosen] { (u.name) }
                    }
                }
            }
            label { (lang.t("Lý do", "Reason"))
                select name="flag" {
                    option value="" { (lang.t("Tất cả", "All")) }
                    @for f in Flag::ALL {
                        option value=(f.as_str()) selected[f.as_str() == flag] { (lang.t(f.label_vi(), f.label_en())) }
                    }
                }
            }
            label { (lang.t("Trạng thái", "Status"))
                select name="status" {
                    option value="open" selected[page.status == FollowUp::Open] { (lang.t("Chưa theo dõi", "Open")) }
                    option value="done" selected[page.status == FollowUp::Done] { (lang.t("Đã theo dõi", "Done")) }
                }
            }
            button type="submit" { (lang.t("Lọc", "Filter")) }
        }
        @if page.items.is_empty() {
            p.muted #follow-up-empty { (lang.t("Không có tờ khai nào.", "No declaration.")) }
        } @else {
            div.table-wrap { table #follow-up {
                thead { tr {
                    th { (lang.t("Khai lúc", "Declared")) }
                    th { (lang.t("Người", "Person")) }
                    th { (lang.t("Điện thoại", "Phone")) }
                    th { (lang.t("Nơi ở", "Lives in")) }
                    th { (lang.t("Lý do", "Flagged for")) }
                    th { (lang.t("Triệu chứng", "Symptoms")) }
                    th { (lang.t("Theo dõi", "Follow-up")) }
                } }
                tbody { @for item in &page.items {
                    @let r = &item.row;
                    tr.declaration data-code=(r.declared.code) {
                        td { (r.declared.created_at) }
                        td {
                            a href={ "/d/" (r.declared.code) } { (r.declared.full_name.as_str()) }
                            br; span.muted { (r.declared.birth) " · " (r.declared.code.grouped()) }
                        }
                        td { @if let Some(p) = &r.declared.phone { a href={ "tel:" (p.as_str()) } { (p.as_str()) } } }
                        td {
                            @if let Some(v) = &r.declared.village { (v) ", " }
                            (item.unit_name.as_deref().unwrap_or(r.declared.unit_code.as_str()))
                        }
                        td { (flags_markup(lang, &r.declared.flags)) }
                        td { (symptoms_text(lang, r)) }
                        td {
                            @match r.follow_up {
                                FollowUp::Open if writer => (done_form(lang, &user, r, &here)),
                                FollowUp::Open => (lang.t("Chưa", "Open")),
                                _ => {
                                    (lang.t("Đã theo dõi ", "Done "))
                                    @if let Some(at) = r.followed_up_at { (at) }
                                    @if let Some(n) = &r.follow_up_note { br; span.muted { (n) } }
                                }
                            }
                        }
                    }
                } }
            } }
        }
        @if let Some(next) = page.next {
            p { a rel="next" href={ (here) "&cursor=" (next) } { (lang.t("Trang sau →", "Next page →")) } }
        }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Khai báo y tế", "Health declarations"),
        "/declarations",
        &user,
        content,
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct DoneForm {
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /declarations/{id}/done`: marks it followed up, back to the list.
pub(super) async fn mark_done(
    State(state): State<AppState>,
    user: CurrentUser,
    WebPath(id): WebPath<i64>,
    CsrfForm(f): CsrfForm<DoneForm>,
) -> Result<Response, WebError> {
    state
        .app()
        .mark_followed_up(&user.actor, id, f.note.as_deref())
        .await?;
    let back = f
        .next
        .as_deref()
        .and_then(crate::web::layout::local_path)
        .filter(|p| p.starts_with("/declarations") || p.starts_with("/d/"))
        .unwrap_or("/declarations");
    Ok(Redirect::to(back).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct FindQuery {
    #[serde(default)]
    code: String,
}

/// `GET /declarations/find?code=`: to the code's page, or back with a message.
pub(super) async fn find(
    user: CurrentUser,
    lang: Lang,
    WebQuery(q): WebQuery<FindQuery>,
) -> Result<Response, WebError> {
    match DeclarationCode::parse(&q.code) {
        Ok(code) => Ok(Redirect::to(&format!("/d/{code}")).into_response()),
        Err(_) => {
            let content = html! {
                h1 { (lang.t("Tra mã tờ khai", "Look a code up")) }
                p.notice.error role="alert" {
                    (lang.t("Mã tờ khai gồm 10 chữ và số (ví dụ 7KQ2M-X9D4R).", "A declaration code has 10 letters and digits (such as 7KQ2M-X9D4R)."))
                }
                p { a href="/declarations" { (lang.t("← Danh sách", "← The list")) } }
            };
            let mut res = shell_signed_in(
                lang,
                lang.t("Tra mã", "Look up"),
                "/declarations",
                &user,
                content,
            )
            .into_response();
            *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
    }
}

fn detail(lang: Lang, r: &Declaration, names: &HashMap<UnitCode, String>) -> Markup {
    let name = |c: &UnitCode| names.get(c).cloned().unwrap_or_else(|| c.to_string());
    html! {
        dl.facts #declaration {
            dt { (lang.t("Mã", "Code")) } dd.code { (r.declared.code.grouped()) }
            dt { (lang.t("Loại", "Kind")) } dd { (lang.t(r.declared.kind.label_vi(), r.declared.kind.label_en())) }
            dt { (lang.t("Khai lúc", "Declared at")) } dd { (r.declared.created_at) }
            dt { (lang.t("Họ và tên", "Full name")) } dd { a href={ "/persons/" (r.declared.person_id) } { (r.declared.full_name.as_str()) } }
            dt { (lang.t("Giấy tờ", "Document")) } dd { (r.declared.identity.kind_str().to_uppercase()) " " (r.declared.identity.number()) }
            dt { (lang.t("Sinh", "Born")) } dd { (r.declared.birth) " · " (lang.t(r.declared.sex.label_vi(), if r.declared.sex == phongdich_domain::Sex::Male { "Male" } else { "Female" })) }
            dt { (lang.t("Quốc tịch", "Nationality")) } dd { (r.declared.nationality.as_str()) }
            dt { (lang.t("Điện thoại", "Phone")) } dd { @if let Some(p) = &r.declared.phone { (p.as_str()) } }
            dt { (lang.t("Nơi ở", "Lives in")) } dd {
                @if let Some(a) = &r.declared.address { (a) ", " }
                @if let Some(v) = &r.declared.village { (v) ", " }
                (name(&r.declared.unit_code)) ", " (name(&r.declared.province_code))
            }
            dt { (lang.t("Tỉnh đã đến", "Provinces visited")) }
            dd { (r.declared.visited_provinces.iter().map(&name).collect::<Vec<_>>().join(", ")) }
            dt { (lang.t("Nơi đã đến", "Places visited")) } dd { @if let Some(p) = &r.declared.visited_places { (p) } }
            @if let Some(o) = &r.declared.origin {
                dt { (lang.t("Đi từ", "From")) }
                dd { @match UnitCode::parse(o) { Ok(c) => (name(&c)), Err(_) => (o) } }
            }
            @if let Some(a) = r.declared.arrival_date {
                dt { (lang.t("Ngày đến", "Arrival")) } dd { (a.format("%d/%m/%Y")) }
            }
            dt { (lang.t("Triệu chứng", "Symptoms")) } dd { (symptoms_text(lang, r)) }
            dt { (lang.t("Tiếp xúc ca bệnh", "Case contact")) } dd { (if r.declared.case_contact { lang.t("Có", "Yes") } else { lang.t("Không", "No") }) }
            dt { (lang.t("Ở vùng dịch", "Epidemic zone")) } dd { (if r.declared.epidemic_zone { lang.t("Có", "Yes") } else { lang.t("Không", "No") }) }
            dt { (lang.t("Cần theo dõi", "Flagged")) } dd { (flags_markup(lang, &r.declared.flags)) }
        }
    }
}

/// `GET /d/{code}`: a declaration by its code, for staff allowed to see it (audited).
pub(super) async fn lookup_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    WebPath(code): WebPath<String>,
) -> Result<Markup, WebError> {
    let view = match state.app().declaration(&user.actor, &code, None).await {
        Ok(v) => v,
        Err(AppError::NotFound) => return Err(WebError::App(AppError::NotFound)),
        Err(e) => return Err(e.into()),
    };
    let path = format!("/d/{code}");
    let writer = may_write(&user);
    let content = html! {
        h1 { (lang.t("Tờ khai y tế", "Health declaration")) }
        @for r in &view.rows {
            (detail(lang, r, &view.unit_names))
            @match r.follow_up {
                FollowUp::Open if writer => (done_form(lang, &user, r, &path)),
                FollowUp::Done => p.muted { (lang.t("Đã theo dõi", "Followed up")) @if let Some(at) = r.followed_up_at { " " (at) } },
                _ => {},
            }
        }
        p { a href="/declarations" { (lang.t("← Danh sách cần theo dõi", "← Follow-up list")) } }
    };
    Ok(shell_signed_in(
        lang,
        lang.t("Tờ khai y tế", "Health declaration"),
        &path,
        &user,
        content,
    ))
}
