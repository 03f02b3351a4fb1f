//! Identity numbers, phone numbers and short references, unique by construction.
//!
//! A CCCD number is `PPP` (province of birth), one digit for century and sex, two
//! digits of the year of birth, then six serial digits. The serial of the k-th person
//! in a `(province, century-sex, year)` bucket is `k * 618031 + start` modulo 10^6 (the
//! multiplier is prime to 10^6, so this is a bijection and numbers never collide
//! without a set of used numbers). Phones work the
//! same way with a three-digit mobile prefix and seven digits.

use rand::Rng;
use std::collections::HashMap;

/// Provinces of birth besides Lai Châu (CCCD province codes), for people born
/// elsewhere: Hà Nội, Lào Cai, Điện Biên, Sơn La, Yên Bái, Thái Bình, Nam Định,
/// Thanh Hóa, Nghệ An.
const OTHER_BIRTH_PROVINCES: &[u16] = &[1, 10, 11, 14, 15, 34, 36, 38, 40];

/// Lai Châu's code in CCCD numbers.
pub const LAI_CHAU_CCCD_PROVINCE: u16 = 12;

/// Hands out unique CCCD numbers.
#[derive(Debug, Default)]
pub(crate) struct CccdIssuer {
    issued: HashMap<u32, u32>,
    offset: u32,
}

impl CccdIssuer {
    pub(crate) fn new(rng: &mut impl Rng) -> Self {
        Self {
            issued: HashMap::new(),
            offset: rng.random_range(0..1_000_000),
        }
    }

    /// A new number for someone born in `year`, male or not, in Lai Châu or (with
    /// `born_elsewhere`) in another province drawn from `rng`.
    pub(crate) fn issue(
        &mut self,
        rng: &mut impl Rng,
        year: i32,
        male: bool,
        born_elsewhere: bool,
        out: &mut String,
    ) {
        let province = if born_elsewhere {
            OTHER_BIRTH_PROVINCES[rng.random_range(0..OTHER_BIRTH_PROVINCES.len())]
        } else {
            LAI_CHAU_CCCD_PROVINCE
        };
        // Century-and-sex digit: 0/1 for 1900-1999, 2/3 for 2000-2099 (male/female).
        let century = if year >= 2000 { 2 } else { 0 } + u32::from(!male);
        let yy = year.rem_euclid(100) as u32;
        let prefix = u32::from(province) * 1000 + century * 100 + yy;
        let k = self.issued.entry(prefix).or_insert(0);
        // Each bucket starts somewhere else, so relatives do not share serials.
        let start = u64::from(prefix) * 104_729 + u64::from(self.offset);
        let serial = (u64::from(*k) * 618_031 + start) % 1_000_000;
        *k += 1;
        out.clear();
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(out, "{province:03}{century}{yy:02}{serial:06}");
    }
}

/// Mobile prefixes of the networks, weighted by how often they appear (Viettel leads
/// in the mountains).
const MOBILE_PREFIXES: &[&str] = &[
    "096", "097", "098", "086", "032", "033", "034", "035", "036", "037", "038", "039", "096",
    "097", "098", "091", "094", "088", "081", "082", "083", "084", "085", "090", "093", "089",
    "070", "076", "077", "078", "079", "092", "056", "058", "099", "059",
];

/// Hands out unique mobile numbers.
#[derive(Debug)]
pub(crate) struct PhoneIssuer {
    issued: Vec<u32>,
    offset: u32,
}

impl PhoneIssuer {
    pub(crate) fn new(rng: &mut impl Rng) -> Self {
        Self {
            issued: vec![0; MOBILE_PREFIXES.len()],
            offset: rng.random_range(0..10_000_000),
        }
    }

    /// A new number.
    pub(crate) fn issue(&mut self, rng: &mut impl Rng, out: &mut String) {
        let i = rng.random_range(0..MOBILE_PREFIXES.len());
        let prefix = MOBILE_PREFIXES[i];
        // A prefix listed twice (for weight) shares one counter.
        let first = MOBILE_PREFIXES
            .iter()
            .position(|p| *p == prefix)
            .unwrap_or(i);
        let k = &mut self.issued[first];
        let start = first as u64 * 1_299_709 + u64::from(self.offset);
        let serial = (u64::from(*k) * 4_194_301 + start) % 10_000_000;
        *k += 1;
        out.clear();
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(out, "{prefix}{serial:07}");
    }
}

/// A table of short references (`P0000123`) stored end to end in one string, indexed
/// by a 1-based id.
#[derive(Debug, Default)]
pub(crate) struct RefTable {
    text: String,
    ends: Vec<u32>,
}

impl RefTable {
    /// Appends a reference made of `prefix` and `n` zero-padded to `width`; returns
    /// its 1-based id.
    pub(crate) fn push(&mut self, prefix: char, n: u32, width: usize) -> u32 {
        use std::fmt::Write;
        self.text.push(prefix);
        // Writing to a String cannot fail.
        let _ = write!(self.text, "{n:0width$}");
        self.ends.push(self.text.len() as u32);
        self.ends.len() as u32
    }

    /// The reference with 1-based `id`.
    pub(crate) fn get(&self, id: u32) -> &str {
        let i = id as usize - 1;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// How many references.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phongdich_domain::{IdentityDocument, Phone};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use std::collections::HashSet;

    #[test]
    fn cccd_numbers_are_unique_and_parse() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut issuer = CccdIssuer::new(&mut rng);
        let mut seen = HashSet::new();
        let mut out = String::new();
        for i in 0..50_000 {
            issuer.issue(&mut rng, 1990 + (i % 3), i % 2 == 0, false, &mut out);
            assert!(out.starts_with("012"));
            assert!(matches!(
                IdentityDocument::parse(&out),
                Ok(IdentityDocument::Cccd(_))
            ));
            assert!(seen.insert(out.clone()), "duplicate {out}");
        }
        issuer.issue(&mut rng, 2005, false, false, &mut out);
        assert_eq!(&out[3..6], "305");
    }

    #[test]
    fn phones_are_unique_and_parse() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut issuer = PhoneIssuer::new(&mut rng);
        let mut seen = HashSet::new();
        let mut out = String::new();
        for _ in 0..50_000 {
            issuer.issue(&mut rng, &mut out);
            assert_eq!(
                Phone::parse(&out).map(|p| p.as_str().to_owned()),
                Ok(out.clone())
            );
            assert!(seen.insert(out.clone()), "duplicate {out}");
        }
    }

    #[test]
    fn ref_table_returns_what_was_pushed() {
        let mut t = RefTable::default();
        assert_eq!(t.push('P', 1, 7), 1);
        assert_eq!(t.push('V', 42, 5), 2);
        assert_eq!(t.get(1), "P0000001");
        assert_eq!(t.get(2), "V00042");
        assert_eq!(t.len(), 2);
    }
}
