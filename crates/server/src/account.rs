//! `/account/password`: a signed-in user changes their own password (current password,
//! new password twice, the session's CSRF token). Every session of the account ends,
//! so the user signs in again with the new password.

use crate::auth::{self, CurrentUser};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::shell_signed_in;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

/// Least password length accepted (the same as `phongdich user`).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Routes of this module (signed in).
pub fn router() -> Router<AppState> {
    Router::new().route("/account/password", get(form).post(change))
}

fn page(lang: Lang, user: &CurrentUser, message: Option<&str>) -> Markup {
    let content = html! {
        h1 { (lang.t("Đổi mật khẩu", "Change password")) }
        @if let Some(m) = message { p.notice.error role="alert" { (m) } }
        form.stack method="post" action="/account/password" {
            input type="hidden" name="csrf" value=(user.session.csrf_token);
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

async fn form(Extension(user): Extension<CurrentUser>, lang: Lang) -> Markup {
    page(lang, &user, None)
}

#[derive(Debug, Deserialize)]
struct ChangeForm {
    csrf: String,
    current: String,
    new: String,
    again: String,
}

async fn change(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    lang: Lang,
    Form(f): Form<ChangeForm>,
) -> Result<Response, AppError> {
    if !auth::same_secret(&user.session.csrf_token, &f.csrf) {
        return Err(AppError::Csrf);
    }
    let refuse = |msg: &'static str| {
        Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(lang, &user, Some(msg)),
        )
            .into_response())
    };
    if f.new != f.again {
        return refuse(lang.t(
            "Hai mật khẩu mới không giống nhau.",
            "The two new passwords differ.",
        ));
    }
    if f.new.chars().count() < MIN_PASSWORD_CHARS {
        return refuse(lang.t(
            "Mật khẩu mới phải có ít nhất 10 ký tự.",
            "The new password needs at least 10 characters.",
        ));
    }
    let stored = user.session.user.password_hash.clone();
    let (current, new) = (f.current, f.new);
    // argon2 twice: off the async workers.
    let hashed = tokio::task::spawn_blocking(move || {
        auth::verify_password(&current, &stored).then(|| auth::hash_password(&new))
    })
    .await
    .ok()
    .flatten();
    let hash = match hashed {
        None => {
            return refuse(lang.t(
                "Mật khẩu hiện tại không đúng.",
                "The current password is wrong.",
            ))
        }
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(AppError::Internal(format!("hashing a password: {e}"))),
    };
    state
        .store()
        .set_user_password(&user.session.user.username, &hash)
        .await?;
    tracing::info!(
        user.id = user.session.user.id,
        "password changed; sessions ended"
    );
    Ok(Redirect::to("/signin").into_response())
}
