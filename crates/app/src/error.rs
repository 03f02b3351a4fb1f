//! [`AppError`]: the one error type of every use case. The web layer maps it to status
//! codes once (`NotFound` 404, `Forbidden` 403, `Conflict` 409, `Invalid` 400 or 422
//! with the field, `TooManyRequests` 429, `Internal` 500); texts meant for people come in Vietnamese and
//! English.

use phongdich_store::StoreError;
use std::borrow::Cow;

/// A message in both languages of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// Tiếng Việt.
    pub vi: Cow<'static, str>,
    /// English.
    pub en: Cow<'static, str>,
}

impl Text {
    /// A fixed text.
    pub const fn new(vi: &'static str, en: &'static str) -> Self {
        Self {
            vi: Cow::Borrowed(vi),
            en: Cow::Borrowed(en),
        }
    }
}

/// Why a use case did not happen. Nothing was written when it returns an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The record does not exist, or is outside the actor's jurisdiction (the same
    /// answer, so that nobody learns who is in the database).
    #[error("not found")]
    NotFound,
    /// The actor's role or token may not do this.
    #[error("forbidden")]
    Forbidden,
    /// The change collides with what is stored (a second case for one person).
    #[error("conflict: {}", .0.en)]
    Conflict(Text),
    /// A field of the input is wrong; `field` is its name in the form or JSON body.
    #[error("invalid {field}: {}", message.en)]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why, in both languages.
        message: Text,
    },
    /// Too many requests from one client address or for one phone number (the public
    /// pages' rate limits, [`crate::rate_limit`]); answered 429 with `Retry-After`.
    #[error("too many requests: {}", message.en)]
    TooManyRequests {
        /// Seconds until the limit's window ends.
        retry_after: i64,
        /// What to do, in both languages.
        message: Text,
    },
    /// Something failed that the actor cannot fix (logged once by the web layer).
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    /// An invalid field.
    pub fn invalid(field: &'static str, vi: &'static str, en: &'static str) -> Self {
        Self::Invalid {
            field,
            message: Text::new(vi, en),
        }
    }

    /// A conflict with a fixed text.
    pub fn conflict(vi: &'static str, en: &'static str) -> Self {
        Self::Conflict(Text::new(vi, en))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => Self::NotFound,
            StoreError::Conflict(m) => Self::Conflict(Text {
                vi: Cow::Owned(format!("Trùng với dữ liệu đã có ({m}).")),
                en: Cow::Owned(m),
            }),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;
