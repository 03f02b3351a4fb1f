//! Persons: names, identity documents, phones, sex and birth dates, each parsed once.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a person's field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonFieldError {
    /// Empty or overlong name.
    #[error("full name must be 1 to 100 characters, not {0} characters")]
    Name(usize),
    /// Not a CCCD, CMND or passport number.
    #[error("`{0}` is not an identity number: a CCCD has 12 digits, a CMND 9, a passport 1-2 letters and 6-8 digits")]
    IdentityNumber(String),
    /// Not a Vietnamese phone number.
    #[error("`{0}` is not a Vietnamese phone number: expected a 10-digit mobile (09x, 03x...) or an 11-digit landline (02x...), optionally with +84")]
    Phone(String),
    /// Not a sex.
    #[error("`{0}` is not a sex: expected nam/nữ (male/female, M/F)")]
    Sex(String),
    /// Not a date or year of birth.
    #[error("`{0}` is not a date or year of birth: expected YYYY-MM-DD, DD/MM/YYYY or YYYY, not in the future")]
    Birth(String),
}

/// A full name, trimmed, whitespace collapsed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FullName(String);

impl FullName {
    /// Parses a name.
    pub fn parse(s: &str) -> Result<Self, PersonFieldError> {
        let name = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let n = name.chars().count();
        if n == 0 || n > 100 {
            return Err(PersonFieldError::Name(n));
        }
        Ok(Self(name))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name folded for search (see [`crate::text::fold`]).
    pub fn folded(&self) -> String {
        crate::text::fold(&self.0)
    }
}

impl TryFrom<String> for FullName {
    type Error = PersonFieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<FullName> for String {
    fn from(n: FullName) -> String {
        n.0
    }
}

impl fmt::Display for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An identity document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "number", rename_all = "snake_case")]
pub enum IdentityDocument {
    /// Căn cước công dân: 12 digits.
    Cccd(String),
    /// Chứng minh nhân dân: 9 digits.
    Cmnd(String),
    /// Passport (hộ chiếu): 1-2 letters and 6-8 digits, upper-cased.
    Passport(String),
}

impl IdentityDocument {
    /// Parses a number, telling the document from its shape. Spaces, dots and dashes
    /// between digits are dropped, as people write `001 203 004 567`.
    pub fn parse(s: &str) -> Result<Self, PersonFieldError> {
        let bad = || PersonFieldError::IdentityNumber(s.to_owned());
        let compact: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect::<String>()
            .to_ascii_uppercase();
        if compact.bytes().all(|b| b.is_ascii_digit()) {
            return match compact.len() {
                12 => Ok(Self::Cccd(compact)),
                9 => Ok(Self::Cmnd(compact)),
                _ => Err(bad()),
            };
        }
        let letters = compact.bytes().take_while(u8::is_ascii_uppercase).count();
        let digits = &compact[letters..];
        if (1..=2).contains(&letters)
            && (6..=8).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Ok(Self::Passport(compact));
        }
        Err(bad())
    }

    /// The number.
    pub fn number(&self) -> &str {
        match self {
            Self::Cccd(n) | Self::Cmnd(n) | Self::Passport(n) => n,
        }
    }

    /// Stable text form of the document kind.
    pub fn kind_str(&self) -> &'static str {
        match self {
            Self::Cccd(_) => "cccd",
            Self::Cmnd(_) => "cmnd",
            Self::Passport(_) => "passport",
        }
    }
}

/// A Vietnamese phone number, normalised to national digits starting with `0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses `0912 345 678`, `+84 912 345 678`, `84912345678` or `(091) 234-5678`.
    pub fn parse(s: &str) -> Result<Self, PersonFieldError> {
        let bad = || PersonFieldError::Phone(s.to_owned());
        let trimmed = s.trim();
        let international = trimmed.starts_with('+');
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if trimmed
            .chars()
            .any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')' | '+')))
        {
            return Err(bad());
        }
        let national = match digits.strip_prefix("84") {
            Some(rest) if matches!(rest.len(), 9 | 10) && !rest.starts_with('0') => {
                format!("0{rest}")
            }
            _ if international => return Err(bad()),
            _ => digits,
        };
        // Since the 2017-2018 renumbering mobiles have 10 digits (03, 05, 07, 08, 09) and
        // landlines 11 (02 and the area code).
        let valid = match national.len() {
            10 => matches!(
                national.as_bytes()[..2],
                [b'0', b'3' | b'5' | b'7' | b'8' | b'9']
            ),
            11 => national.starts_with("02"),
            _ => false,
        };
        if valid {
            Ok(Self(national))
        } else {
            Err(bad())
        }
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = PersonFieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

/// Sex as recorded on identity documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Nam.
    Male,
    /// Nữ.
    Female,
}

impl Sex {
    /// Parses `nam`/`nữ`, `male`/`female`, `M`/`F`, any case, with or without marks.
    pub fn parse(s: &str) -> Result<Self, PersonFieldError> {
        match crate::text::fold(s).as_str() {
            "nam" | "male" | "m" => Ok(Self::Male),
            "nu" | "female" | "f" => Ok(Self::Female),
            _ => Err(PersonFieldError::Sex(s.to_owned())),
        }
    }

    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Male => "Nam",
            Self::Female => "Nữ",
        }
    }
}

/// A date of birth, or only the year when that is all that is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BirthDate {
    /// Full date.
    Date(NaiveDate),
    /// Year only.
    Year(i32),
}

impl BirthDate {
    /// Parses `YYYY-MM-DD`, `DD/MM/YYYY` or `YYYY`; `today` bounds it (no births in
    /// the future, none before 1900).
    pub fn parse(s: &str, today: NaiveDate) -> Result<Self, PersonFieldError> {
        let t = s.trim();
        let bad = || PersonFieldError::Birth(s.to_owned());
        let parsed = if t.len() == 4 {
            t.parse::<i32>().map(Self::Year).map_err(|_| bad())?
        } else {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
                .map(Self::Date)
                .map_err(|_| bad())?
        };
        let year = parsed.year();
        if !(1900..=today.year()).contains(&year) {
            return Err(bad());
        }
        if let Self::Date(d) = parsed {
            if d > today {
                return Err(bad());
            }
        }
        Ok(parsed)
    }

    /// The year.
    pub fn year(self) -> i32 {
        match self {
            Self::Date(d) => d.year(),
            Self::Year(y) => y,
        }
    }

    /// Stable text form: `YYYY-MM-DD` or `YYYY`.
    pub fn to_text(self) -> String {
        match self {
            Self::Date(d) => d.format("%Y-%m-%d").to_string(),
            Self::Year(y) => format!("{y:04}"),
        }
    }
}

impl std::fmt::Display for BirthDate {
    /// As officials write it: `22/07/2018`, or the year alone.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Date(d) => write!(f, "{}", d.format("%d/%m/%Y")),
            Self::Year(y) => write!(f, "{y:04}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates_show_as_officials_write_them() {
        let d = BirthDate::Date(NaiveDate::from_ymd_opt(2018, 7, 22).unwrap());
        assert_eq!(d.to_string(), "22/07/2018");
        assert_eq!(BirthDate::Year(1990).to_string(), "1990");
    }
    use rstest::rstest;

    #[rstest]
    #[case("001203004567", IdentityDocument::Cccd("001203004567".into()))]
    #[case("001 203 004 567", IdentityDocument::Cccd("001203004567".into()))]
    #[case("040123456", IdentityDocument::Cmnd("040123456".into()))]
    #[case("b1234567", IdentityDocument::Passport("B1234567".into()))]
    #[case("E12345678", IdentityDocument::Passport("E12345678".into()))]
    fn parses_identity_numbers(#[case] input: &str, #[case] doc: IdentityDocument) {
        assert_eq!(IdentityDocument::parse(input), Ok(doc));
    }

    #[rstest]
    #[case("")]
    #[case("12345")]
    #[case("0012030045678")]
    #[case("0400123456")]
    #[case("ABC123456")]
    #[case("B12")]
    #[case("B12345678901")]
    fn rejects_bad_identity_numbers(#[case] input: &str) {
        assert!(IdentityDocument::parse(input).is_err());
    }

    #[rstest]
    #[case("0912345678", "0912345678")]
    #[case("0912 345 678", "0912345678")]
    #[case("+84 912 345 678", "0912345678")]
    #[case("84912345678", "0912345678")]
    #[case("(0213) 387-6543", "02133876543")]
    #[case("+84 213 387 6543", "02133876543")]
    fn normalises_phones(#[case] input: &str, #[case] normal: &str) {
        assert_eq!(Phone::parse(input).map(|p| p.0), Ok(normal.to_owned()));
    }

    #[rstest]
    #[case("")]
    #[case("912345678")]
    #[case("09123456789")]
    #[case("+1 202 555 0100")]
    #[case("0912a45678")]
    #[case("0012345678")]
    #[case("0112345678")]
    #[case("+84 0912 345 678")]
    fn rejects_bad_phones(#[case] input: &str) {
        assert!(Phone::parse(input).is_err());
    }

    #[rstest]
    #[case("Nam", Sex::Male)]
    #[case("nữ", Sex::Female)]
    #[case("NU", Sex::Female)]
    #[case("F", Sex::Female)]
    #[case("male", Sex::Male)]
    fn parses_sex(#[case] input: &str, #[case] sex: Sex) {
        assert_eq!(Sex::parse(input), Ok(sex));
    }

    #[test]
    fn parses_birth_dates() {
        let today = NaiveDate::from_ymd_opt(2021, 5, 12).unwrap();
        let d = NaiveDate::from_ymd_opt(1987, 3, 4).unwrap();
        assert_eq!(
            BirthDate::parse("1987-03-04", today),
            Ok(BirthDate::Date(d))
        );
        assert_eq!(
            BirthDate::parse("04/03/1987", today),
            Ok(BirthDate::Date(d))
        );
        assert_eq!(BirthDate::parse("1987", today), Ok(BirthDate::Year(1987)));
        for bad in ["", "2022", "1899", "2021-05-13", "31/02/1990", "87"] {
            assert!(BirthDate::parse(bad, today).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            FullName::parse("  Nguyễn   Văn An ").unwrap().as_str(),
            "Nguyễn Văn An"
        );
        assert!(FullName::parse("   ").is_err());
        assert!(FullName::parse(&"a".repeat(101)).is_err());
    }
}
