//! A venue's QR poster: the QR code of its check-in URL as SVG and PNG, and an A4
//! page to print (the QR 16 cm wide, above the 15 × 15 cm Hanoi required; the venue's
//! name; what to do, in Vietnamese and English).

use crate::state::AppState;
use crate::web::error::{WebError, WebPath};
use crate::web::i18n::Lang;
use crate::web::session::CurrentUser;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use maud::{html, DOCTYPE};
use phongdich_app::AppError;
use qrcode::{Color, EcLevel, QrCode};

/// Side of the PNG, at least: 16 cm at 200 dpi.
const PNG_MIN_PIXELS: usize = 1260;
/// Modules of white around the code (the QR standard's quiet zone).
const QUIET: usize = 4;

/// The absolute check-in URL of `path`, from the request's host (the poster must
/// carry a URL a phone can open); only a plain host name or address with a port is
/// believed, else the path alone.
pub fn check_in_url(state: &AppState, headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
    match host {
        Some(h) => {
            let scheme = if state.settings().secure_cookies {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{h}{path}")
        }
        None => path.to_owned(),
    }
}

fn code_of(url: &str) -> Result<QrCode, WebError> {
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| WebError::App(AppError::Internal(format!("QR code: {e}"))))
}

/// The QR code as SVG.
pub fn svg(url: &str) -> Result<String, WebError> {
    Ok(code_of(url)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(600, 600)
        .quiet_zone(true)
        .build())
}

/// The QR code as a grayscale PNG at least [`PNG_MIN_PIXELS`] wide.
pub fn png(url: &str) -> Result<Vec<u8>, WebError> {
    let code = code_of(url)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side_modules = modules + 2 * QUIET;
    let scale = PNG_MIN_PIXELS.div_ceil(side_modules);
    let side = side_modules * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
        for y in my * scale..(my + 1) * scale {
            pixels[y * side + mx * scale..y * side + (mx + 1) * scale].fill(0);
        }
    }
    let internal = |e: png::EncodingError| WebError::App(AppError::Internal(format!("PNG: {e}")));
    let mut out = Vec::new();
    {
        let side32 =
            u32::try_from(side).map_err(|e| WebError::App(AppError::Internal(e.to_string())))?;
        let mut enc = png::Encoder::new(&mut out, side32, side32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(internal)?;
        writer.write_image_data(&pixels).map_err(internal)?;
        writer.finish().map_err(internal)?;
    }
    Ok(out)
}

/// `GET /venues/{id}/poster.svg`.
pub(crate) async fn poster_svg(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
) -> Result<Response, WebError> {
    let v = state.app().view_venue(&user.actor, id).await?;
    let body = svg(&check_in_url(&state, &headers, &v.check_in_path()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"phongdich-qr.svg\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /venues/{id}/poster.png`.
pub(crate) async fn poster_png(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
) -> Result<Response, WebError> {
    let v = state.app().view_venue(&user.actor, id).await?;
    let url = check_in_url(&state, &headers, &v.check_in_path());
    let body = tokio::task::spawn_blocking(move || png(&url))
        .await
        .map_err(|e| WebError::App(AppError::Internal(e.to_string())))??;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"phongdich-qr.png\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /venues/{id}/poster`: the A4 page to print.
pub(crate) async fn poster_page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
) -> Result<Response, WebError> {
    let v = state.app().view_venue(&user.actor, id).await?;
    let url = check_in_url(&state, &headers, &v.check_in_path());
    let kind = v.venue.place.venue_kind.map(|k| k.label_vi());
    let body = html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (v.venue.place.name) " – " (lang.t("Áp phích mã QR", "QR poster")) }
                link rel="stylesheet" href=(crate::web::layout::CSS_PATH);
            }
            body.poster-body {
                p.no-print {
                    a href={ "/venues/" (id) } { (lang.t("← Về trang địa điểm", "← Back to the venue")) }
                    " · " (lang.t("In trang này trên khổ A4 (Ctrl+P).", "Print this page on A4 (Ctrl+P)."))
                }
                article.poster-sheet #poster {
                    p.poster-kicker { "QUÉT MÃ QR KHI VÀO ĐỊA ĐIỂM" }
                    p.poster-kicker-en lang="en" { "Scan this QR code when you enter" }
                    h1.poster-name { (v.venue.place.name) }
                    @if let Some(k) = kind { p.poster-meta { (k) @if let Some(a) = &v.venue.place.address { " · " (a) } } }
                    img.poster-qr #poster-qr src={ "/venues/" (id) "/poster.svg" } alt={ "Mã QR: " (url) };
                    ol.poster-steps {
                        li { "Mở camera hoặc ứng dụng quét mã QR trên điện thoại, quét mã trên." }
                        li { "Lần đầu: nhập số điện thoại và họ tên. Những lần sau chỉ cần bấm “Quét vào”." }
                        li { "Khi rời đi có thể bấm “Rời đi ngay”." }
                    }
                    ol.poster-steps.en lang="en" {
                        li { "Open your phone's camera or a QR scanner and scan the code above." }
                        li { "The first time, enter your phone number and name; after that, one tap on “Check in”." }
                        li { "Tap “Check out now” when you leave." }
                    }
                    p.poster-url { (url) }
                    p.poster-foot {
                        "Thông tin chỉ dùng để truy vết phòng, chống dịch và được xóa sau 30 ngày. "
                        span lang="en" { "Used only for contact tracing; deleted after 30 days." }
                        " · " (v.venue.place.reference) " · v" (v.venue.token_version)
                    }
                }
            }
        }
    };
    Ok(body.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_is_big_enough_to_print_and_the_svg_is_an_svg() {
        let url = "https://phongdich.example/c/12.1.0123456789abcdef0123";
        let bytes = png(url).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        assert!(width as usize >= PNG_MIN_PIXELS, "{width}");
        assert!(svg(url).unwrap().contains("<svg"));
    }
}
