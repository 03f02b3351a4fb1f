//! Health declarations (khai báo y tế): their kinds, the symptoms asked about, what
//! flags one for a commune officer's follow-up, the code shown at checkpoints, and
//! the checks on a declared person that go beyond the person's own fields
//! ([`crate::person`]): a plausible age, a passport for a foreigner, a country code,
//! an arrival date near today.

use crate::person::{BirthDate, IdentityDocument};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a declaration's field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeclarationFieldError {
    /// Not one of the three kinds.
    #[error("`{0}` is not a declaration kind: domestic, entry or voluntary")]
    Kind(String),
    /// Not a symptom of the list.
    #[error("`{0}` is not a symptom of the list")]
    Symptom(String),
    /// Not an ISO 3166 country code.
    #[error("`{0}` is not a country code: two letters, such as VN")]
    Country(String),
    /// A birth more than [`MAX_AGE_YEARS`] years ago.
    #[error("a birth in {0} is more than {MAX_AGE_YEARS} years ago")]
    TooOld(i32),
    /// A foreigner declared with a Vietnamese document.
    #[error("a person of nationality {0} declares with a passport number")]
    ForeignerNeedsPassport(String),
    /// An arrival date outside the window a declaration covers.
    #[error("arrival on {0} is outside the last {WINDOW_DAYS} days (or the next {AHEAD_DAYS})")]
    ArrivalDate(NaiveDate),
    /// Not a declaration code.
    #[error("`{0}` is not a declaration code: 10 letters and digits")]
    Code(String),
}

/// Nobody is declared older than this (a typo in the year, not a person).
pub const MAX_AGE_YEARS: i32 = 120;

/// A declaration covers the last 14 days: places visited, symptoms, contacts.
pub const WINDOW_DAYS: i64 = 14;

/// A traveller may declare up to this many days before arriving (at the border gate,
/// the bus station).
pub const AHEAD_DAYS: i64 = 3;

/// Which declaration, as the national forms had them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationKind {
    /// Khai báo di chuyển nội địa: moving between provinces.
    Domestic,
    /// Khai báo nhập cảnh: entering Vietnam from abroad.
    Entry,
    /// Khai báo toàn dân (tự nguyện): anyone, any time.
    Voluntary,
}

impl DeclarationKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [Self; 3] = [Self::Voluntary, Self::Domestic, Self::Entry];

    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domestic => "domestic",
            Self::Entry => "entry",
            Self::Voluntary => "voluntary",
        }
    }

    /// Parses the stable text form.
    pub fn parse(s: &str) -> Result<Self, DeclarationFieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| DeclarationFieldError::Kind(s.to_owned()))
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Domestic => "Khai báo di chuyển nội địa",
            Self::Entry => "Khai báo nhập cảnh",
            Self::Voluntary => "Khai báo toàn dân (tự nguyện)",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Domestic => "Domestic movement",
            Self::Entry => "Entry from abroad",
            Self::Voluntary => "Voluntary (whole population)",
        }
    }

    /// Whether the declaration says where the person came from and when they arrived.
    pub fn is_travel(self) -> bool {
        matches!(self, Self::Domestic | Self::Entry)
    }
}

/// A symptom asked about, for the last 14 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Symptom {
    /// Sốt.
    Fever,
    /// Ho.
    Cough,
    /// Khó thở.
    ShortnessOfBreath,
    /// Đau họng.
    SoreThroat,
    /// Mất vị giác hoặc khứu giác.
    LossOfTasteOrSmell,
    /// Mệt mỏi.
    Fatigue,
}

impl Symptom {
    /// Every symptom, in the order forms list them.
    pub const ALL: [Self; 6] = [
        Self::Fever,
        Self::Cough,
        Self::ShortnessOfBreath,
        Self::SoreThroat,
        Self::LossOfTasteOrSmell,
        Self::Fatigue,
    ];

    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fever => "fever",
            Self::Cough => "cough",
            Self::ShortnessOfBreath => "shortness_of_breath",
            Self::SoreThroat => "sore_throat",
            Self::LossOfTasteOrSmell => "loss_of_taste_or_smell",
            Self::Fatigue => "fatigue",
        }
    }

    /// Parses the stable text form.
    pub fn parse(s: &str) -> Result<Self, DeclarationFieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| DeclarationFieldError::Symptom(s.to_owned()))
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Fever => "Sốt",
            Self::Cough => "Ho",
            Self::ShortnessOfBreath => "Khó thở",
            Self::SoreThroat => "Đau họng",
            Self::LossOfTasteOrSmell => "Mất vị giác hoặc khứu giác",
            Self::Fatigue => "Mệt mỏi",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Fever => "Fever",
            Self::Cough => "Cough",
            Self::ShortnessOfBreath => "Shortness of breath",
            Self::SoreThroat => "Sore throat",
            Self::LossOfTasteOrSmell => "Loss of taste or smell",
            Self::Fatigue => "Fatigue",
        }
    }
}

/// Why a declaration lands on the commune officer's follow-up list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// At least one symptom in the last 14 days.
    Symptoms,
    /// Close contact with a case or a suspected case.
    CaseContact,
    /// Was in an epidemic zone (a locked-down or high-level area).
    EpidemicZone,
}

impl Flag {
    /// Every flag.
    pub const ALL: [Self; 3] = [Self::Symptoms, Self::CaseContact, Self::EpidemicZone];

    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Symptoms => "symptoms",
            Self::CaseContact => "case_contact",
            Self::EpidemicZone => "epidemic_zone",
        }
    }

    /// Parses the stable text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s.trim())
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Symptoms => "Có triệu chứng",
            Self::CaseContact => "Tiếp xúc ca bệnh/nghi ngờ",
            Self::EpidemicZone => "Ở vùng dịch",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Symptoms => "Symptoms",
            Self::CaseContact => "Contact with a case or suspect",
            Self::EpidemicZone => "In an epidemic zone",
        }
    }
}

/// What flags a declared person, in a fixed order; empty when nothing does.
pub fn flags(symptoms: &[Symptom], case_contact: bool, epidemic_zone: bool) -> Vec<Flag> {
    let mut out = Vec::new();
    if !symptoms.is_empty() {
        out.push(Flag::Symptoms);
    }
    if case_contact {
        out.push(Flag::CaseContact);
    }
    if epidemic_zone {
        out.push(Flag::EpidemicZone);
    }
    out
}

/// Where a flagged declaration stands with the commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    /// Nothing flagged it: no follow-up needed.
    None,
    /// Flagged, waiting for an officer.
    Open,
    /// An officer followed it up.
    Done,
}

impl FollowUp {
    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Open => "open",
            Self::Done => "done",
        }
    }

    /// Parses the stable text form.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::None, Self::Open, Self::Done]
            .into_iter()
            .find(|f| f.as_str() == s.trim())
    }
}

/// Crockford's base 32: digits and letters without I, L, O and U, so that a code read
/// aloud or copied by hand at a checkpoint has no look-alikes.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The code of a declared person: 10 characters of Crockford base 32 (50 random bits),
/// printed with its QR code and shown at checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeclarationCode(String);

impl DeclarationCode {
    /// Characters in a code.
    pub const LEN: usize = 10;

    /// A code from 50 random bits (the low 50 of `bits`; the caller draws them).
    pub fn from_bits(bits: u64) -> Self {
        let code = (0..Self::LEN)
            .rev()
            .map(|i| char::from(ALPHABET[((bits >> (5 * i)) & 31) as usize]))
            .collect();
        Self(code)
    }

    /// Parses a code as people type it: any case, with spaces or dashes, `O` for `0`
    /// and `I`/`L` for `1`.
    pub fn parse(s: &str) -> Result<Self, DeclarationFieldError> {
        let bad = || DeclarationFieldError::Code(s.to_owned());
        let mut code = String::with_capacity(Self::LEN);
        for c in s.chars().filter(|c| !matches!(c, ' ' | '-')) {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return Err(bad());
            }
            code.push(c);
        }
        if code.len() == Self::LEN {
            Ok(Self(code))
        } else {
            Err(bad())
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As printed for people: two groups of five (`7KQ2M-X9D4R`).
    pub fn grouped(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }
}

impl TryFrom<String> for DeclarationCode {
    type Error = DeclarationFieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<DeclarationCode> for String {
    fn from(c: DeclarationCode) -> String {
        c.0
    }
}

impl fmt::Display for DeclarationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 3166-1 alpha-2 country code (`VN`), for a nationality or the country a
/// traveller comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country(String);

impl Country {
    /// Vietnam.
    pub fn vietnam() -> Self {
        Self("VN".to_owned())
    }

    /// Parses two letters, any case; `Việt Nam` and `Vietnam` are `VN`.
    pub fn parse(s: &str) -> Result<Self, DeclarationFieldError> {
        let t = s.trim();
        if matches!(
            crate::text::fold(t).replace(' ', "").as_str(),
            "vietnam" | "vn"
        ) {
            return Ok(Self::vietnam());
        }
        if t.len() == 2 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(t.to_ascii_uppercase()))
        } else {
            Err(DeclarationFieldError::Country(s.to_owned()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is Vietnam.
    pub fn is_vietnam(&self) -> bool {
        self.0 == "VN"
    }
}

impl TryFrom<String> for Country {
    type Error = DeclarationFieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.0
    }
}

/// A birth is plausible for a living person: at most [`MAX_AGE_YEARS`] years ago
/// ([`BirthDate::parse`] already refuses the future).
pub fn plausible_birth(birth: BirthDate, today: NaiveDate) -> Result<(), DeclarationFieldError> {
    if birth.year() < today.year() - MAX_AGE_YEARS {
        return Err(DeclarationFieldError::TooOld(birth.year()));
    }
    Ok(())
}

/// A foreigner (nationality other than Vietnam) declares with a passport: CCCD and
/// CMND are Vietnamese citizens' cards.
pub fn document_fits_nationality(
    document: &IdentityDocument,
    nationality: &Country,
) -> Result<(), DeclarationFieldError> {
    match document {
        IdentityDocument::Passport(_) => Ok(()),
        _ if nationality.is_vietnam() => Ok(()),
        _ => Err(DeclarationFieldError::ForeignerNeedsPassport(
            nationality.as_str().to_owned(),
        )),
    }
}

/// An arrival date a declaration can cover: within the last [`WINDOW_DAYS`] days, or
/// up to [`AHEAD_DAYS`] ahead (declared before the journey's end).
pub fn plausible_arrival(date: NaiveDate, today: NaiveDate) -> Result<(), DeclarationFieldError> {
    let days = (date - today).num_days();
    if (-WINDOW_DAYS..=AHEAD_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(DeclarationFieldError::ArrivalDate(date))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn kinds_symptoms_and_flags_round_trip() {
        for k in DeclarationKind::ALL {
            assert_eq!(DeclarationKind::parse(k.as_str()), Ok(k));
        }
        assert!(DeclarationKind::parse("tourism").is_err());
        for s in Symptom::ALL {
            assert_eq!(Symptom::parse(s.as_str()), Ok(s));
        }
        assert!(Symptom::parse("headache").is_err());
        for f in Flag::ALL {
            assert_eq!(Flag::parse(f.as_str()), Some(f));
        }
        for f in [FollowUp::None, FollowUp::Open, FollowUp::Done] {
            assert_eq!(FollowUp::parse(f.as_str()), Some(f));
        }
        assert!(DeclarationKind::Entry.is_travel() && !DeclarationKind::Voluntary.is_travel());
    }

    #[test]
    fn symptoms_contacts_and_zones_flag_a_declaration() {
        assert!(flags(&[], false, false).is_empty());
        assert_eq!(flags(&[Symptom::Cough], false, false), vec![Flag::Symptoms]);
        assert_eq!(
            flags(&[Symptom::Fever], true, true),
            vec![Flag::Symptoms, Flag::CaseContact, Flag::EpidemicZone]
        );
        assert_eq!(flags(&[], false, true), vec![Flag::EpidemicZone]);
    }

    #[test]
    fn codes_are_ten_crockford_characters() {
        let c = DeclarationCode::from_bits(0);
        assert_eq!(c.as_str(), "0000000000");
        let c = DeclarationCode::from_bits((1 << 50) - 1);
        assert_eq!(c.as_str(), "ZZZZZZZZZZ");
        let c = DeclarationCode::from_bits(0x3_1234_5678_9ABC);
        assert_eq!(c.as_str().len(), 10);
        assert_eq!(DeclarationCode::parse(c.as_str()), Ok(c.clone()));
        assert_eq!(DeclarationCode::parse(&c.grouped()), Ok(c.clone()));
        assert_eq!(
            DeclarationCode::parse(&c.as_str().to_ascii_lowercase()),
            Ok(c)
        );
    }

    #[rstest]
    #[case("7kq2m-x9d4r", "7KQ2MX9D4R")]
    #[case("OOOOO IIIII", "0000011111")]
    #[case("lllll00000", "1111100000")]
    fn codes_are_read_as_people_type_them(#[case] input: &str, #[case] code: &str) {
        assert_eq!(DeclarationCode::parse(input).unwrap().as_str(), code);
    }

    #[rstest]
    #[case("")]
    #[case("7KQ2M")]
    #[case("7KQ2MX9D4RR")]
    #[case("7KQ2MX9D4U")]
    #[case("7KQ2MX9D4Đ")]
    #[case("7KQ2M/X9D4")]
    fn bad_codes_are_refused(#[case] input: &str) {
        assert!(DeclarationCode::parse(input).is_err());
    }

    #[rstest]
    #[case("VN", "VN")]
    #[case("vn", "VN")]
    #[case(" Việt Nam ", "VN")]
    #[case("Vietnam", "VN")]
    #[case("la", "LA")]
    fn countries_are_two_letters(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Country::parse(input).unwrap().as_str(), code);
    }

    #[rstest]
    #[case("")]
    #[case("V")]
    #[case("VNM")]
    #[case("V1")]
    #[case("Lào")]
    fn bad_countries_are_refused(#[case] input: &str) {
        assert!(Country::parse(input).is_err());
    }

    #[test]
    fn births_are_those_of_the_living() {
        let today = day(2021, 9, 1);
        assert!(plausible_birth(BirthDate::Year(1950), today).is_ok());
        assert!(plausible_birth(BirthDate::Year(1901), today).is_ok());
        assert_eq!(
            plausible_birth(BirthDate::Year(1900), today),
            Err(DeclarationFieldError::TooOld(1900))
        );
        assert!(plausible_birth(BirthDate::Date(day(2021, 8, 31)), today).is_ok());
    }

    #[test]
    fn foreigners_declare_with_a_passport() {
        let cccd = IdentityDocument::Cccd("001203004567".into());
        let passport = IdentityDocument::Passport("B1234567".into());
        let lao = Country::parse("LA").unwrap();
        assert!(document_fits_nationality(&cccd, &Country::vietnam()).is_ok());
        assert!(document_fits_nationality(&passport, &Country::vietnam()).is_ok());
        assert!(document_fits_nationality(&passport, &lao).is_ok());
        assert!(document_fits_nationality(&cccd, &lao).is_err());
    }

    #[test]
    fn arrivals_lie_in_the_declared_window() {
        let today = day(2021, 9, 15);
        assert!(plausible_arrival(day(2021, 9, 1), today).is_ok());
        assert!(plausible_arrival(day(2021, 9, 18), today).is_ok());
        assert!(plausible_arrival(day(2021, 8, 31), today).is_err());
        assert!(plausible_arrival(day(2021, 9, 19), today).is_err());
    }
}
