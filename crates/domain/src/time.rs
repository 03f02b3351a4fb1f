//! Instants and intervals.
//!
//! Every instant is a [`Timestamp`]: whole seconds since the Unix epoch, UTC. It is
//! shown in Asia/Ho_Chi_Minh, which has been UTC+07:00 without daylight saving since
//! 1975, so a fixed offset is exact for every date the system handles. Local calendar
//! dates are explicit `NaiveDate`s, never instants at some implied midnight.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Seconds east of UTC of Asia/Ho_Chi_Minh.
pub const VIETNAM_OFFSET_SECONDS: i32 = 7 * 3600;

/// The Asia/Ho_Chi_Minh offset.
pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(VIETNAM_OFFSET_SECONDS).expect("+07:00 is a valid offset")
}

/// An instant: whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// Why a text is not an instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time: expected RFC 3339 with an offset (2021-05-12T08:30:00+07:00) or Unix seconds")]
pub struct TimestampError(pub String);

impl Timestamp {
    /// Parses RFC 3339 with an offset, or integer Unix seconds.
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        let t = s.trim();
        if let Ok(secs) = t.parse::<i64>() {
            return Ok(Self(secs));
        }
        DateTime::parse_from_rfc3339(t)
            .map(|d| Self(d.timestamp()))
            .map_err(|_| TimestampError(s.to_owned()))
    }

    /// The instant of local midnight (Asia/Ho_Chi_Minh) starting `date`.
    pub fn local_midnight(date: NaiveDate) -> Self {
        let local = date.and_time(NaiveTime::MIN);
        Self(local.and_utc().timestamp() - i64::from(VIETNAM_OFFSET_SECONDS))
    }

    /// This instant in Asia/Ho_Chi_Minh.
    pub fn to_vietnam(self) -> DateTime<FixedOffset> {
        vietnam()
            .timestamp_opt(self.0, 0)
            .single()
            .unwrap_or_else(|| vietnam().timestamp_opt(0, 0).single().expect("epoch"))
    }

    /// The local calendar date (Asia/Ho_Chi_Minh) this instant falls on.
    pub fn local_date(self) -> NaiveDate {
        self.to_vietnam().date_naive()
    }

    /// RFC 3339 in Asia/Ho_Chi_Minh, e.g. `2021-05-12T08:30:00+07:00`.
    pub fn to_rfc3339(self) -> String {
        self.to_vietnam().to_rfc3339()
    }
}

/// The earliest instant the system accepts from a user: 2019-01-01T00:00+07:00, before
/// the first case of COVID-19 anywhere. Older data is a typing error.
pub const EARLIEST: Timestamp = Timestamp(1_546_275_600);

/// How far past `now` an instant may lie (a year): appointments and quarantine ends are
/// planned ahead, nothing further.
pub const LATEST_AHEAD_SECONDS: i64 = 366 * 86_400;

/// Why an instant is outside the range the system accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the time is outside 2019-01-01 .. one year from now")]
pub struct OutOfRange;

impl Timestamp {
    /// This instant if it lies between [`EARLIEST`] and a year after `now` (both
    /// inclusive): the plausible range of anything a user enters.
    pub fn plausible(self, now: Timestamp) -> Result<Self, OutOfRange> {
        if self < EARLIEST || self.0 > now.0.saturating_add(LATEST_AHEAD_SECONDS) {
            return Err(OutOfRange);
        }
        Ok(self)
    }

    /// A local date is plausible when its midnight is.
    pub fn plausible_date(date: NaiveDate, now: Timestamp) -> Result<NaiveDate, OutOfRange> {
        Self::local_midnight(date).plausible(now).map(|_| date)
    }
}

impl fmt::Display for Timestamp {
    /// Local time as officials read it: `12/05/2021 08:30`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_vietnam().format("%d/%m/%Y %H:%M"))
    }
}

/// A closed interval `[start, end]` with `end >= start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Interval {
    start: Timestamp,
    end: Timestamp,
}

/// Why two instants are not an interval.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("interval ends ({end}) before it starts ({start})")]
pub struct IntervalError {
    /// The start given.
    pub start: i64,
    /// The end given.
    pub end: i64,
}

impl Interval {
    /// `[start, end]`, or an error when `end < start`.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, IntervalError> {
        if end < start {
            return Err(IntervalError {
                start: start.0,
                end: end.0,
            });
        }
        Ok(Self { start, end })
    }

    /// The first instant.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The last instant.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// Length in seconds.
    pub fn seconds(&self) -> i64 {
        self.end.0 - self.start.0
    }

    /// The overlap of two intervals, if they share at least one instant.
    pub fn intersect(&self, other: &Interval) -> Option<Interval> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start <= end).then_some(Interval { start, end })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("1620806400", 1_620_806_400)]
    #[case("2021-05-12T15:00:00+07:00", 1_620_806_400)]
    #[case("2021-05-12T08:00:00Z", 1_620_806_400)]
    #[case(" -5 ", -5)]
    fn parses_times(#[case] input: &str, #[case] secs: i64) {
        assert_eq!(Timestamp::parse(input), Ok(Timestamp(secs)));
    }

    #[rstest]
    #[case("")]
    #[case("2021-05-12")]
    #[case("2021-05-12T15:00:00")]
    #[case("yesterday")]
    fn rejects_bad_times(#[case] input: &str) {
        assert!(Timestamp::parse(input).is_err());
    }

    #[test]
    fn interval_with_end_before_start_is_rejected() {
        let err = Interval::new(Timestamp(10), Timestamp(9)).unwrap_err();
        assert_eq!(err, IntervalError { start: 10, end: 9 });
        assert!(Interval::new(Timestamp(10), Timestamp(10)).is_ok());
    }

    #[test]
    fn intersections_are_closed() {
        let a = Interval::new(Timestamp(0), Timestamp(10)).unwrap();
        let b = Interval::new(Timestamp(10), Timestamp(20)).unwrap();
        let c = Interval::new(Timestamp(11), Timestamp(20)).unwrap();
        assert_eq!(a.intersect(&b).map(|o| o.seconds()), Some(0));
        assert_eq!(a.intersect(&c), None);
    }

    #[test]
    fn plausible_instants_lie_between_2019_and_a_year_ahead() {
        let now = Timestamp::parse("2026-12-02T10:00:00Z").unwrap();
        assert!(Timestamp::parse("2021-05-12T08:00:00+07:00")
            .unwrap()
            .plausible(now)
            .is_ok());
        assert_eq!(EARLIEST.to_rfc3339(), "2019-01-01T00:00:00+07:00");
        assert!(EARLIEST.plausible(now).is_ok());
        assert_eq!(Timestamp(EARLIEST.0 - 1).plausible(now), Err(OutOfRange));
        assert_eq!(Timestamp(0).plausible(now), Err(OutOfRange));
        assert_eq!(Timestamp(i64::MAX).plausible(now), Err(OutOfRange));
        assert_eq!(Timestamp(i64::MIN).plausible(now), Err(OutOfRange));
        let next_year = Timestamp(now.0 + 300 * 86_400);
        assert!(next_year.plausible(now).is_ok());
        assert!(Timestamp(now.0 + 400 * 86_400).plausible(now).is_err());
        let year_zero = NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
        assert!(Timestamp::plausible_date(year_zero, now).is_err());
    }

    #[test]
    fn local_dates_are_in_vietnam() {
        // 2021-05-12T17:30Z is 2021-05-13T00:30+07:00.
        let t = Timestamp::parse("2021-05-12T17:30:00Z").unwrap();
        assert_eq!(
            t.local_date(),
            NaiveDate::from_ymd_opt(2021, 5, 13).unwrap()
        );
        assert_eq!(t.to_string(), "13/05/2021 00:30");
        let midnight = Timestamp::local_midnight(NaiveDate::from_ymd_opt(2021, 5, 13).unwrap());
        assert_eq!(midnight.to_rfc3339(), "2021-05-13T00:00:00+07:00");
    }
}
