//! Venue check-ins: how a check-in came in ([`CheckInChannel`]), a venue's default
//! stay ([`StayMinutes`]), and the QR code printed on the chip ID card
//! ([`CccdQr`], `id|old id|name|ddmmyyyy|sex|address|issue date`), which staff scan to
//! check in a person without a smartphone.

use crate::person::{FullName, IdentityDocument, Sex};
use chrono::NaiveDate;
use std::fmt;

/// How a check-in came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckInChannel {
    /// The person scanned the venue's poster with their own phone.
    SelfScan,
    /// Staff (or the venue's operator) typed the person's phone or ID number.
    Staff,
    /// Staff scanned the QR code of the person's chip ID card.
    Cccd,
}

impl CheckInChannel {
    /// Every channel.
    pub const ALL: [CheckInChannel; 3] = [Self::SelfScan, Self::Staff, Self::Cccd];

    /// The stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfScan => "self",
            Self::Staff => "staff",
            Self::Cccd => "cccd",
        }
    }

    /// Parses the stored text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::SelfScan => "Tự quét mã",
            Self::Staff => "Cán bộ nhập",
            Self::Cccd => "Quét CCCD",
        }
    }
}

impl fmt::Display for CheckInChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a visit lasts when the visitor does not check out: 5 minutes to 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StayMinutes(u32);

impl StayMinutes {
    /// The shortest default stay.
    pub const MIN: u32 = 5;
    /// The longest (a whole day: a factory shift, a hospital visit).
    pub const MAX: u32 = 24 * 60;
    /// What a venue gets when nothing is said (one hour).
    pub const DEFAULT: StayMinutes = StayMinutes(60);

    /// A stay of `minutes`, or `None` outside 5..=1440.
    pub fn new(minutes: i64) -> Option<Self> {
        u32::try_from(minutes)
            .ok()
            .filter(|m| (Self::MIN..=Self::MAX).contains(m))
            .map(Self)
    }

    /// Minutes.
    pub fn minutes(self) -> u32 {
        self.0
    }

    /// Seconds.
    pub fn seconds(self) -> i64 {
        i64::from(self.0) * 60
    }
}

/// Why the text of a chip ID card's QR code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CccdQrError {
    /// Not `id|old id|name|ddmmyyyy|sex|address|issue date`.
    #[error("expected 7 fields separated by `|` (id|old id|name|ddmmyyyy|sex|address|issue date), found {0}")]
    Fields(usize),
    /// The first field is not a 12-digit CCCD number.
    #[error("`{0}` is not a 12-digit CCCD number")]
    Number(String),
    /// The old number is neither empty nor a 9- or 12-digit number.
    #[error("`{0}` is not an old ID (CMND) number")]
    OldNumber(String),
    /// The name is empty or too long.
    #[error("the name must be 1 to 100 characters")]
    Name,
    /// The date of birth is not `ddmmyyyy`.
    #[error("`{0}` is not a date of birth as ddmmyyyy")]
    Birth(String),
    /// The sex is neither Nam nor Nữ.
    #[error("`{0}` is not a sex (Nam/Nữ)")]
    Sex(String),
    /// The issue date is neither empty nor `ddmmyyyy`.
    #[error("`{0}` is not an issue date as ddmmyyyy")]
    Issued(String),
}

/// What the QR code on a chip ID card (CCCD) says:
/// `id|old id|name|ddmmyyyy|sex|address|issue date`, e.g.
/// `001098012345|123456789|Nguyễn Văn An|01021998|Nam|Phường X, Hà Nội|15082021`.
/// The old number and the address may be empty; fields after the seventh (later
/// cards add some) are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CccdQr {
    /// The CCCD.
    pub number: IdentityDocument,
    /// The old CMND number, if printed.
    pub old_number: Option<String>,
    /// Full name.
    pub full_name: FullName,
    /// Date of birth.
    pub birth: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// Permanent address, as printed.
    pub address: Option<String>,
    /// Date of issue.
    pub issued: Option<NaiveDate>,
}

fn ddmmyyyy(s: &str) -> Option<NaiveDate> {
    (s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| NaiveDate::parse_from_str(s, "%d%m%Y").ok())
        .flatten()
}

impl CccdQr {
    /// Parses the text a scanner reads from the card (surrounding whitespace and a
    /// trailing newline are ignored).
    pub fn parse(text: &str) -> Result<Self, CccdQrError> {
        let fields: Vec<&str> = text.trim().split('|').map(str::trim).collect();
        if fields.len() < 7 {
            return Err(CccdQrError::Fields(fields.len()));
        }
        let number = match IdentityDocument::parse(fields[0]) {
            Ok(doc @ IdentityDocument::Cccd(_)) => doc,
            _ => return Err(CccdQrError::Number(fields[0].to_owned())),
        };
        let old = fields[1];
        let old_number = if old.is_empty() {
            None
        } else if matches!(old.len(), 9 | 12) && old.bytes().all(|b| b.is_ascii_digit()) {
            Some(old.to_owned())
        } else {
            return Err(CccdQrError::OldNumber(old.to_owned()));
        };
        let full_name = FullName::parse(fields[2]).map_err(|_| CccdQrError::Name)?;
        let birth = ddmmyyyy(fields[3]).ok_or_else(|| CccdQrError::Birth(fields[3].to_owned()))?;
        let sex = Sex::parse(fields[4]).map_err(|_| CccdQrError::Sex(fields[4].to_owned()))?;
        let address = Some(fields[5])
            .filter(|a| !a.is_empty())
            .map(|a| a.chars().filter(|c| !c.is_control()).take(300).collect());
        let issued = match fields[6] {
            "" => None,
            s => Some(ddmmyyyy(s).ok_or_else(|| CccdQrError::Issued(s.to_owned()))?),
        };
        Ok(Self {
            number,
            old_number,
            full_name,
            birth,
            sex,
            address,
            issued,
        })
    }

    /// Whether a scanned text looks like a card's QR code rather than a typed number
    /// (it has the `|` separators).
    pub fn looks_like(text: &str) -> bool {
        text.matches('|').count() >= 6
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const CARD: &str =
        "001098012345|123456789|Nguyễn  Văn An|01021998|Nam|Số 1 phố Huế, Hà Nội|15082021";

    #[test]
    fn a_card_parses_into_its_fields() {
        let c = CccdQr::parse(CARD).unwrap();
        assert_eq!(c.number, IdentityDocument::Cccd("001098012345".into()));
        assert_eq!(c.old_number.as_deref(), Some("123456789"));
        assert_eq!(c.full_name.as_str(), "Nguyễn Văn An");
        assert_eq!(c.birth, NaiveDate::from_ymd_opt(1998, 2, 1).unwrap());
        assert_eq!(c.sex, Sex::Male);
        assert_eq!(c.address.as_deref(), Some("Số 1 phố Huế, Hà Nội"));
        assert_eq!(c.issued, NaiveDate::from_ymd_opt(2021, 8, 15));
        assert!(CccdQr::looks_like(CARD));
        assert!(!CccdQr::looks_like("001098012345"));
    }

    #[test]
    fn empty_old_number_and_address_and_extra_fields_are_accepted() {
        let c = CccdQr::parse(" 001098012345||Lò Thị Mai|31121960|Nữ||15082021|x|y\n").unwrap();
        assert_eq!(c.old_number, None);
        assert_eq!(c.address, None);
        assert_eq!(c.sex, Sex::Female);
    }

    #[rstest]
    #[case("001098012345|123456789|An|01021998|Nam|HN", CccdQrError::Fields(6))]
    #[case("12345|123456789|An|01021998|Nam|HN|15082021", CccdQrError::Number("12345".into()))]
    #[case("123456789|123456789|An|01021998|Nam|HN|15082021", CccdQrError::Number("123456789".into()))]
    #[case("001098012345|12ab|An|01021998|Nam|HN|15082021", CccdQrError::OldNumber("12ab".into()))]
    #[case("001098012345||   |01021998|Nam|HN|15082021", CccdQrError::Name)]
    #[case("001098012345||An|1998-02-01|Nam|HN|15082021", CccdQrError::Birth("1998-02-01".into()))]
    #[case("001098012345||An|31021998|Nam|HN|15082021", CccdQrError::Birth("31021998".into()))]
    #[case("001098012345||An|01021998|X|HN|15082021", CccdQrError::Sex("X".into()))]
    #[case("001098012345||An|01021998|Nam|HN|2021", CccdQrError::Issued("2021".into()))]
    fn bad_cards_say_which_field(#[case] text: &str, #[case] want: CccdQrError) {
        assert_eq!(CccdQr::parse(text), Err(want));
    }

    #[test]
    fn stays_are_bounded_and_channels_round_trip() {
        assert_eq!(StayMinutes::new(4), None);
        assert_eq!(StayMinutes::new(1441), None);
        assert_eq!(StayMinutes::new(-1), None);
        assert_eq!(StayMinutes::new(90).unwrap().seconds(), 5400);
        for c in CheckInChannel::ALL {
            assert_eq!(CheckInChannel::parse(c.as_str()), Some(c));
        }
    }
}
