//! Instants in the interchange files: read as RFC 3339 with an offset or Unix seconds
//! (through `phongdich_domain::Timestamp`), written as RFC 3339 at +07:00 (Vietnam).

use phongdich_domain::time::VIETNAM_OFFSET_SECONDS;
use phongdich_domain::Timestamp;
use phongdich_trace::Time;

/// Parses RFC 3339 with an offset, or Unix seconds.
pub fn parse_time(s: &str) -> Result<Time, String> {
    if s.is_empty() {
        return Err("empty time".to_owned());
    }
    Timestamp::parse(s).map(|t| t.0).map_err(|e| e.to_string())
}

/// RFC 3339 at +07:00 (Vietnam), as `Timestamp::to_rfc3339` writes it.
pub fn format_time(t: Time) -> String {
    Rfc3339::new(t).as_str().to_owned()
}

/// An instant as RFC 3339 at +07:00 (`2021-05-12T08:30:00+07:00`), formatted without
/// allocation: an export writes tens of millions of them, and chrono's formatter
/// allocates a `String` for each. Years outside 0000..=9999 wrap (no file holds them).
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339([u8; 25]);

impl Rfc3339 {
    /// Formats Unix seconds.
    pub fn new(unix: Time) -> Self {
        let local = unix + i64::from(VIETNAM_OFFSET_SECONDS);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut b = *b"0000-00-00T00:00:00+07:00";
        let mut put = |at: usize, v: i64, width: usize| {
            let mut v = v;
            for k in (0..width).rev() {
                // `v % 10` is a digit: the cast cannot truncate.
                b[at + k] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, y.rem_euclid(10_000), 4);
        put(5, m, 2);
        put(8, d, 2);
        put(11, secs / 3600, 2);
        put(14, secs / 60 % 60, 2);
        put(17, secs % 60, 2);
        Self(b)
    }

    /// The text, as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are ever written into the buffer.
        std::str::from_utf8(&self.0).unwrap_or("0000-00-00T00:00:00+07:00")
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_with_an_offset_or_unix_seconds() {
        assert_eq!(parse_time("2021-05-12T08:00:00+07:00"), Ok(1_620_781_200));
        assert_eq!(parse_time("2021-05-12T01:00:00Z"), Ok(1_620_781_200));
        assert_eq!(parse_time("1620781200"), Ok(1_620_781_200));
        assert!(parse_time("12/05/2021").is_err());
        assert!(parse_time("2021-05-12T08:00:00").is_err(), "no offset");
        assert!(parse_time("").is_err());
        assert_eq!(format_time(1_620_781_200), "2021-05-12T08:00:00+07:00");
    }

    #[test]
    fn the_fast_formatter_matches_the_domain_one() {
        for t in [
            0,
            1_620_806_400,
            1_619_802_000,
            1_619_801_999,
            -86_401,
            951_782_400, // 2000-02-29 07:00 local
            4_102_444_799,
        ] {
            assert_eq!(Rfc3339::new(t).as_str(), Timestamp(t).to_rfc3339(), "{t}");
        }
    }
}
