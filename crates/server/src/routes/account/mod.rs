//! `/account/password`: a signed-in user changes their own password (current password,
//! new password twice, the session's CSRF token). Every session of the account ends,
//! so the user signs in again with the new password.

use super::{Guard, Route};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::error::WebError;
use crate::web::i18n::Lang;
use crate::web::layout::shell_signed_in;
use crate::web::session::CurrentUser;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use phongdich_app::AppError;
use serde::Deserialize;

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/account/password",
            "/account/password",
            Guard::SignedIn,
            form,
        ),
        Route::post(
            "/account/password",
            "/account/password",
            Guard::SignedIn,
            change,
        ),
    ]
}

fn page(lang: Lang, user: &CurrentUser, message: Option<&str>) -> Markup {
    let content = html! {
        h1 { (lang.t("Đổi mật khẩu", "Change password")) }
        @if let Some(m) = message { p.notice.error role="alert" { (m) } }
        form.stack method="post" action="/account/password" {
            input type="hidden" name="csrf" value=(user.csrf_token);
            label { (lang.t("Mật khẩu hiện tại", "Current password"))
                input type="password" name="current" autocomplete="current-password" required; }
            label { (lang.t("Mật khẩu mới (ít nhất 10 ký tự)", "New password (at least 10 characters)"))
                input type="password" name="new" autocomplete="new-password" required minlength="10"; }
            label { (lang.t("Nhập lại mật khẩu mới", "New password again"))
                input type="password" name="again" autocomplete="new-password" required minlength="10"; }
            button type="submit" { (lang.t("Đổi mật khẩu", "Change password")) }
        }
    };
    shell_signed_in(
        lang,
        lang.t("Đổi mật khẩu", "Change password"),
        "/account/password",
        user,
        content,
    )
}

async fn form(user: CurrentUser, lang: Lang) -> Markup {
    page(lang, &user, None)
}

#[derive(Debug, Deserialize)]
struct ChangeForm {
    current: String,
    new: String,
    again: String,
}

/// A refused change re-renders the form (422) with the reason in the user's language.
async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    CsrfForm(f): CsrfForm<ChangeForm>,
) -> Result<Response, WebError> {
    match state
        .app()
        .change_password(&user.actor, &f.current, &f.new, &f.again)
        .await
    {
        Ok(()) => Ok(Redirect::to("/signin").into_response()),
        Err(AppError::Invalid { message, .. }) => {
            let text = match lang {
                Lang::Vi => message.vi,
                Lang::En => message.en,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(lang, &user, Some(&text)),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
