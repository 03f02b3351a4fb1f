//! The language of a page: Vietnamese first, English second.
//!
//! The language comes from `?lang=vi|en` on the request, else from the `lang` cookie
//! (set by `/lang/{code}`), else Vietnamese. Texts live beside the markup that uses them
//! as `lang.t("tiếng Việt", "English")`, so a page's two languages are reviewed together.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::convert::Infallible;

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "lang";

/// A language the app is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Tiếng Việt, the default.
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// Parses `vi` or `en`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "vi" => Some(Self::Vi),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The BCP 47 code, for `<html lang>` and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Self::Vi => "vi",
            Self::En => "en",
        }
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Self {
        match self {
            Self::Vi => Self::En,
            Self::En => Self::Vi,
        }
    }

    /// Picks the text in this language.
    pub fn t(self, vi: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Vi => vi,
            Self::En => en,
        }
    }

    /// Formats an integer with the thousands separator of the language (`1.234` / `1,234`).
    pub fn number(self, n: i64) -> String {
        let sep = match self {
            Self::Vi => '.',
            Self::En => ',',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    /// Reads the language of a request: query, then cookie, then the default.
    pub fn from_parts(parts: &Parts) -> Self {
        let from_query = parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "lang")
                .and_then(|(_, v)| Lang::parse(v))
        });
        from_query
            .or_else(|| crate::web::cookies::get(&parts.headers, LANG_COOKIE).and_then(Lang::parse))
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn numbers_use_the_language_separator() {
        assert_eq!(Lang::Vi.number(0), "0");
        assert_eq!(Lang::Vi.number(999), "999");
        assert_eq!(Lang::Vi.number(1000), "1.000");
        assert_eq!(Lang::En.number(460_000), "460,000");
        assert_eq!(Lang::Vi.number(-1_234_567), "-1.234.567");
    }
}
