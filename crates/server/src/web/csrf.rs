//! [`CsrfForm`]: a form body whose `csrf` field must equal the session's CSRF token;
//! every signed-in form handler takes its fields through it, so none can forget the
//! check. A form without the token answers 403 and changes nothing.

use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::session::CurrentUser;
use axum::extract::{FromRequest, Request};
use axum::Form;
use phongdich_app::accounts::same_secret;
use serde::de::DeserializeOwned;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: T,
}

/// The fields of a signed-in form, after its CSRF token was checked.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let expected = req
            .extensions()
            .get::<CurrentUser>()
            .map(|u| u.csrf_token.clone())
            .unwrap_or_default();
        let Form(envelope) = Form::<Envelope<T>>::from_request(req, state).await?;
        if !same_secret(&expected, &envelope.csrf) {
            return Err(WebError::Csrf);
        }
        Ok(Self(envelope.fields))
    }
}

/// The fields of a form that has nothing but its CSRF token (sign-out).
#[derive(Debug, Deserialize)]
pub struct NoFields {}
