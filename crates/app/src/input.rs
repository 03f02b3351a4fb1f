//! Reading what people type into forms and JSON bodies: every failure names the field
//! and says why in both languages ([`AppError::Invalid`]); every instant is bounded to
//! the plausible range of [`Timestamp::plausible`].

use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, NaiveDateTime};
use phongdich_domain::Timestamp;

/// The trimmed text, or `None` when blank.
pub fn optional(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Free text cut to `max` characters, `None` when blank.
pub fn short_text(s: Option<&str>, max: usize) -> Option<String> {
    optional(s).map(|s| s.chars().filter(|c| !c.is_control()).take(max).collect())
}

/// Parses the `datetime-local` value of a form (`2021-05-12T08:30`) as Vietnam time.
pub fn parse_local(s: &str) -> Option<Timestamp> {
    let t = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M").ok()?;
    let secs = t.and_utc().timestamp() - i64::from(phongdich_domain::time::VIETNAM_OFFSET_SECONDS);
    Some(Timestamp(secs))
}

/// A time as forms and the API give it: local `YYYY-MM-DDTHH:MM`, RFC 3339 with an
/// offset, or Unix seconds.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return Some(Timestamp(secs));
    }
    parse_local(s).or_else(|| Timestamp::parse(s).ok())
}

fn out_of_range(field: &'static str) -> AppError {
    AppError::invalid(
        field,
        "Thời gian phải từ 01/01/2019 đến không quá một năm sau hôm nay.",
        "The time must lie between 2019-01-01 and a year from today.",
    )
}

/// A required instant (any form of [`parse_time`]) in the plausible range.
pub fn instant(field: &'static str, s: &str, now: Timestamp) -> AppResult<Timestamp> {
    if s.trim().is_empty() {
        return Err(AppError::invalid(
            field,
            "Cần nhập thời gian.",
            "A time is needed.",
        ));
    }
    let t = parse_time(s).ok_or_else(|| {
        AppError::invalid(
            field,
            "Thời gian không đúng dạng: ngày giờ (2021-05-12T08:30), RFC 3339 hoặc giây Unix.",
            "Not a time: expected YYYY-MM-DDTHH:MM, RFC 3339 or Unix seconds.",
        )
    })?;
    t.plausible(now).map_err(|_| out_of_range(field))
}

/// An optional instant: blank is `None`.
pub fn optional_instant(
    field: &'static str,
    s: Option<&str>,
    now: Timestamp,
) -> AppResult<Option<Timestamp>> {
    optional(s).map(|s| instant(field, s, now)).transpose()
}

/// A required local date `YYYY-MM-DD` in the plausible range.
pub fn date(field: &'static str, s: &str, now: Timestamp) -> AppResult<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return Err(AppError::invalid(
            field,
            "Cần nhập ngày.",
            "A date is needed.",
        ));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        AppError::invalid(
            field,
            "Ngày không đúng dạng NNNN-TT-NN (2021-05-12).",
            "Not a date: expected YYYY-MM-DD.",
        )
    })?;
    Timestamp::plausible_date(d, now).map_err(|_| out_of_range(field))
}

/// An optional local date: blank is `None`.
pub fn optional_date(
    field: &'static str,
    s: Option<&str>,
    now: Timestamp,
) -> AppResult<Option<NaiveDate>> {
    optional(s).map(|s| date(field, s, now)).transpose()
}

/// A search text: trimmed, without control characters (a `%00` is not a query), at
/// most 100 characters.
pub fn search_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A page cursor this app gave: a non-negative offset below 10 million.
pub fn offset_cursor(field: &'static str, s: Option<&str>) -> AppResult<u64> {
    match optional(s) {
        None => Ok(0),
        Some(c) => c
            .parse::<u64>()
            .ok()
            .filter(|n| *n < 10_000_000)
            .ok_or_else(|| {
                AppError::invalid(
                    field,
                    "Con trỏ trang không hợp lệ.",
                    "Not a cursor this API gave.",
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("2026-12-02T10:00:00Z").unwrap()
    }

    #[test]
    fn form_times_are_vietnam_local() {
        let t = parse_local("2021-05-12T15:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-05-12T15:00:00+07:00");
        assert!(parse_local("12/05/2021").is_none());
    }

    #[test]
    fn api_times_take_three_forms() {
        let want = "2021-05-12T15:00:00+07:00";
        for s in ["2021-05-12T15:00", "2021-05-12T08:00:00Z", "1620806400"] {
            assert_eq!(instant("t", s, now()).unwrap().to_rfc3339(), want, "{s}");
        }
        assert!(parse_time("tomorrow").is_none());
    }

    #[test]
    fn implausible_times_and_dates_are_refused_with_their_field() {
        for s in [
            "9223372036854775807",
            "+99999-01-01T00:00:00Z",
            "0",
            "1970-01-01T00:00",
        ] {
            match instant("sampled_at", s, now()) {
                Err(AppError::Invalid { field, .. }) => assert_eq!(field, "sampled_at"),
                other => panic!("{s}: {other:?}"),
            }
        }
        assert!(date("sample_date", "0000-01-01", now()).is_err());
        assert!(date("sample_date", "2021-05-12", now()).is_ok());
        assert_eq!(optional_date("onset", Some("  "), now()).unwrap(), None);
    }

    #[test]
    fn cursors_and_queries_are_bounded() {
        assert_eq!(offset_cursor("cursor", None).unwrap(), 0);
        assert_eq!(offset_cursor("cursor", Some("50")).unwrap(), 50);
        assert!(offset_cursor("cursor", Some("9223372036854775808")).is_err());
        assert!(offset_cursor("cursor", Some("-1")).is_err());
        assert_eq!(search_text(" \0 "), "");
        assert_eq!(search_text("nguyen\u{0}"), "nguyen");
    }
}
