//! [`AppError`]: the one error type of the HTTP edge.
//!
//! Internal failures (storage, bugs) answer a generic 500 in both languages and are
//! logged once here with their detail; the user never sees SQL or a stack of causes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, DOCTYPE};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The resource does not exist (or is outside the user's jurisdiction).
    #[error("not found")]
    NotFound,
    /// The user's role or jurisdiction does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// The request is malformed; the text says how, in English, for API clients.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// A form came without the CSRF token of the session.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// Something failed that the user cannot fix (logged with its detail).
    #[error("internal: {0}")]
    Internal(String),
    /// The database failed.
    #[error("storage: {0}")]
    Store(#[from] phongdich_store::StoreError),
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Csrf | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> (&'static str, &'static str) {
        match self {
            Self::NotFound => ("Không tìm thấy trang này.", "This page was not found."),
            Self::BadRequest(_) => ("Yêu cầu không hợp lệ.", "Bad request."),
            Self::Forbidden => (
                "Tài khoản của bạn không có quyền xem trang này.",
                "Your account may not see this page.",
            ),
            Self::Csrf => (
                "Biểu mẫu đã hết hạn. Xin tải lại trang và thử lại.",
                "The form has expired. Reload the page and try again.",
            ),
            Self::Store(_) | Self::Internal(_) => (
                "Lỗi hệ thống, xin thử lại sau. Lỗi đã được ghi lại.",
                "Internal error; please try again later. It has been logged.",
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let (vi, en) = self.message();
        // The language of the request is not known here; both are shown, Vietnamese first.
        let body = html! {
            (DOCTYPE)
            html lang="vi" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (status.as_u16()) " – phongdich" }
                    link rel="stylesheet" href=(crate::pages::CSS_PATH);
                }
                body { main {
                    h1 { (status.as_u16()) }
                    p { (vi) }
                    p lang="en" class="muted" { (en) }
                    p { a href="/" { "Trang chủ (Home)" } }
                } }
            }
        };
        (status, body).into_response()
    }
}
