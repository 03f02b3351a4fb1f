//! How application errors are answered, once for every route: pages get an HTML page
//! in both languages ([`WebError`]), the API the documented `{code, message}` JSON
//! ([`ApiError`]). `NotFound` is 404, `Forbidden` 403, `Conflict` 409, `Invalid` 400
//! with the field, `Internal` 500 (logged once here with its detail; the user never
//! sees SQL). Framework rejections (malformed JSON, a wrong content type, a bad path
//! or query parameter) go through the same mapping: [`ApiJson`], [`ApiPath`],
//! [`ApiQuery`], [`WebPath`] and [`WebQuery`] are the extractors to use.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use maud::{html, DOCTYPE};
use phongdich_app::{AppError, Text};
use serde::Serialize;
use std::borrow::Cow;

/// An application error answered as a page.
#[derive(Debug)]
pub enum WebError {
    /// From a use case.
    App(AppError),
    /// A form came without the CSRF token of the session.
    Csrf,
    /// The request itself is malformed (a bad path or query parameter).
    BadRequest(String),
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

/// The status of an application error.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
        AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message of an application error for people.
pub fn message_of(e: &AppError) -> Text {
    match e {
        AppError::NotFound => Text::new("Không tìm thấy.", "Not found."),
        AppError::Forbidden => Text::new(
            "Tài khoản của bạn không được làm việc này.",
            "Your account may not do this.",
        ),
        AppError::Conflict(t) => t.clone(),
        AppError::Invalid { field, message } => Text {
            vi: Cow::Owned(format!("{field}: {}", message.vi)),
            en: Cow::Owned(format!("{field}: {}", message.en)),
        },
        AppError::TooManyRequests { message, .. } => message.clone(),
        AppError::Internal(_) => Text::new(
            "Lỗi hệ thống, xin thử lại sau. Lỗi đã được ghi lại.",
            "Internal error; please try again later. It has been logged.",
        ),
    }
}

fn log(e: &AppError) {
    if let AppError::Internal(detail) = e {
        tracing::error!(error = %detail, "request failed");
    }
}

/// Answers `e` as JSON under `/api/`, else as a page.
pub fn respond(is_api: bool, e: AppError) -> Response {
    if is_api {
        ApiError::from(e).into_response()
    } else {
        WebError::App(e).into_response()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, text) = match &self {
            Self::App(e) => {
                log(e);
                (status_of(e), message_of(e))
            }
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                Text::new(
                    "Biểu mẫu đã hết hạn. Xin tải lại trang và thử lại.",
                    "The form has expired. Reload the page and try again.",
                ),
            ),
            Self::BadRequest(detail) => (
                StatusCode::BAD_REQUEST,
                Text {
                    vi: Cow::Owned(format!("Yêu cầu không hợp lệ: {detail}")),
                    en: Cow::Owned(format!("Bad request: {detail}")),
                },
            ),
        };
        // The language of the request is not known here; both are shown, Vietnamese first.
        let body = html! {
            (DOCTYPE)
            html lang="vi" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (status.as_u16()) " – phongdich" }
                    link rel="stylesheet" href=(crate::web::layout::CSS_PATH);
                }
                body { main {
                    h1 { (status.as_u16()) }
                    p role="alert" { (text.vi) }
                    p lang="en" class="muted" { (text.en) }
                    p { a href="/" { "Trang chủ (Home)" } }
                } }
            }
        };
        let mut res = (status, body).into_response();
        if let Self::App(AppError::TooManyRequests { retry_after, .. }) = &self {
            retry_after_header(&mut res, *retry_after);
        }
        res
    }
}

/// Adds `Retry-After` to a 429.
fn retry_after_header(res: &mut Response, seconds: i64) {
    if let Ok(v) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
}

/// Every API error: a stable `code` to branch on, an English `message`, and the field
/// for invalid input.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// `bad_request`, `not_found`, `forbidden`, `conflict`, `unauthenticated`, `csrf`,
    /// `unsupported_media_type`, `unprocessable`, `payload_too_large`,
    /// `too_many_requests` or `internal`.
    pub code: &'static str,
    /// What went wrong, in English.
    pub message: String,
    /// The field at fault, for `bad_request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// The message in Vietnamese.
    pub message_vi: String,
}

/// An error answered as JSON.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<i64>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: &'static str,
        en: impl Into<String>,
        vi: impl Into<String>,
    ) -> Self {
        Self {
            status,
            body: ErrorBody {
                code,
                message: en.into(),
                field: None,
                message_vi: vi.into(),
            },
            retry_after: None,
        }
    }

    /// No session and no valid token.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in or send an API token (Authorization: Bearer ...)",
            "cần đăng nhập hoặc gửi mã API (Authorization: Bearer ...)",
        )
    }

    /// A write with a session cookie but without its CSRF token.
    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "a write with a session cookie needs the X-CSRF-Token header",
            "ghi dữ liệu bằng phiên đăng nhập cần tiêu đề X-CSRF-Token",
        )
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        log(&e);
        let status = status_of(&e);
        let text = message_of(&e);
        let code = match &e {
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid { .. } => "bad_request",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Internal(_) => "internal",
        };
        let mut err = Self::new(status, code, text.en, text.vi);
        match e {
            AppError::Invalid { field, .. } => err.body.field = Some(field),
            AppError::TooManyRequests { retry_after, .. } => err.retry_after = Some(retry_after),
            _ => {}
        }
        err
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body)).into_response();
        if let Some(s) = self.retry_after {
            retry_after_header(&mut res, s);
        }
        res
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
                "gửi nội dung dạng application/json",
            ),
            JsonRejection::JsonDataError(e) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable",
                e.body_text(),
                "nội dung JSON thiếu trường hoặc sai kiểu",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the body is too large",
                "nội dung gửi lên quá lớn",
            ),
            other => Self::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                other.body_text(),
                "nội dung JSON không đọc được",
            ),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            r.body_text(),
            "tham số đường dẫn không hợp lệ",
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            r.body_text(),
            "tham số truy vấn không hợp lệ",
        )
    }
}

impl From<PathRejection> for WebError {
    fn from(r: PathRejection) -> Self {
        Self::BadRequest(r.body_text())
    }
}

impl From<QueryRejection> for WebError {
    fn from(r: QueryRejection) -> Self {
        Self::BadRequest(r.body_text())
    }
}

impl From<FormRejection> for WebError {
    fn from(r: FormRejection) -> Self {
        Self::BadRequest(r.body_text())
    }
}

/// A JSON body, rejected as [`ApiError`].
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Path parameters of an API route, rejected as [`ApiError`].
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Query parameters of an API route, rejected as [`ApiError`].
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters of a page, rejected as [`WebError`].
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(WebError))]
pub struct WebPath<T>(pub T);

/// Query parameters of a page, rejected as [`WebError`].
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(WebError))]
pub struct WebQuery<T>(pub T);
