//! Administrative units: official province (2 digits), district (3) and commune (5)
//! codes from the statistics office, and villages or residential groups that a commune
//! defines itself.
//!
//! Nothing here assumes a district exists: since the 2025-07-01 reform a commune sits
//! directly under its province, so a unit's parent is whatever unit holds it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The level of an administrative unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminLevel {
    /// Tỉnh / thành phố trực thuộc trung ương.
    Province,
    /// Huyện / quận / thị xã / thành phố thuộc tỉnh (abolished 2025-07-01).
    District,
    /// Xã / phường / thị trấn.
    Commune,
    /// Thôn, bản, tổ dân phố: defined locally, no official code.
    Village,
}

impl AdminLevel {
    /// Stable text form, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::District => "district",
            Self::Commune => "commune",
            Self::Village => "village",
        }
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Province => "Tỉnh",
            Self::District => "Huyện",
            Self::Commune => "Xã",
            Self::Village => "Thôn, bản",
        }
    }

    /// Parses the stored text form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "province" => Self::Province,
            "district" => Self::District,
            "commune" => Self::Commune,
            "village" => Self::Village,
            _ => return None,
        })
    }
}

/// The code of an administrative unit.
///
/// Official codes are all digits: 2 for a province, 3 for a district, 5 for a commune.
/// A village's code is its commune's code, a dash and a local number (`03460-07`), so
/// it never collides with an official code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

/// Why a text is not a unit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an administrative unit code: expected 2 digits (province), 3 (district), 5 (commune) or a commune code, a dash and a village number (03460-07)")]
pub struct UnitCodeError(pub String);

impl UnitCode {
    /// Parses an official code or a village code.
    pub fn parse(s: &str) -> Result<Self, UnitCodeError> {
        let t = s.trim();
        let all_digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        let ok = match t.split_once('-') {
            None => all_digits(t) && matches!(t.len(), 2 | 3 | 5),
            Some((commune, village)) => {
                all_digits(commune)
                    && commune.len() == 5
                    && all_digits(village)
                    && village.len() <= 4
            }
        };
        if ok {
            Ok(Self(t.to_owned()))
        } else {
            Err(UnitCodeError(s.to_owned()))
        }
    }

    /// The code of village number `n` of `commune`.
    pub fn village(commune: &UnitCode, n: u32) -> Result<Self, UnitCodeError> {
        Self::parse(&format!("{}-{:02}", commune.0, n))
    }

    /// The level this code names.
    pub fn level(&self) -> AdminLevel {
        if self.0.contains('-') {
            return AdminLevel::Village;
        }
        match self.0.len() {
            2 => AdminLevel::Province,
            3 => AdminLevel::District,
            _ => AdminLevel::Commune,
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UnitCode {
    type Error = UnitCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<UnitCode> for String {
    fn from(c: UnitCode) -> String {
        c.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One administrative unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUnit {
    /// Official or village code.
    pub code: UnitCode,
    /// Vietnamese name with its type, as the statistics office writes it
    /// ("Xã Bản Giang", "Huyện Tam Đường").
    pub name: String,
    /// Level.
    pub level: AdminLevel,
    /// The unit that holds this one (none for a province).
    pub parent: Option<UnitCode>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("12", AdminLevel::Province)]
    #[case("105", AdminLevel::District)]
    #[case("03460", AdminLevel::Commune)]
    #[case(" 03460 ", AdminLevel::Commune)]
    #[case("03460-07", AdminLevel::Village)]
    fn parses_unit_codes(#[case] input: &str, #[case] level: AdminLevel) {
        assert_eq!(UnitCode::parse(input).map(|c| c.level()), Ok(level));
    }

    #[rstest]
    #[case("")]
    #[case("1")]
    #[case("1234")]
    #[case("123456")]
    #[case("12a")]
    #[case("0346-07")]
    #[case("03460-")]
    #[case("03460-x")]
    fn rejects_bad_unit_codes(#[case] input: &str) {
        assert!(UnitCode::parse(input).is_err());
    }

    #[test]
    fn village_codes_sit_under_their_commune() {
        let commune = UnitCode::parse("03460").unwrap();
        assert_eq!(UnitCode::village(&commune, 7).unwrap().as_str(), "03460-07");
    }
}
