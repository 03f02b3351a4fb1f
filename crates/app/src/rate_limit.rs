//! Rate limits of the public pages (check-ins, health declarations): a small keyed
//! limiter with bounded memory, [`RateLimiter`], and the two the public use cases share,
//! [`PublicLimits`] (per client address, per phone number).
//!
//! A limiter counts events per key in fixed windows (`limit` events per `window`
//! seconds). It holds at most `max_keys` keys: when full, windows that have ended are
//! dropped first, then, if it is still full of live windows, the half that started
//! earliest (so a flood of new keys can cost old keys their count, never memory). In
//! memory: one server process per province. Limits can be changed while the server
//! runs ([`RateLimiter::set`]), by tests and by load benchmarks.

use crate::error::{AppError, Text};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::Mutex;

/// Counts events per key in fixed windows, with bounded memory.
#[derive(Debug)]
pub struct RateLimiter<K> {
    /// Events allowed per window; 0 turns the limiter off.
    limit: AtomicU32,
    /// The window, seconds.
    window: AtomicI64,
    max_keys: usize,
    /// Key -> (start of its window, events in it).
    windows: Mutex<HashMap<K, (i64, u32)>>,
}

/// The limit was reached: try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Seconds until the key's window ends.
    pub retry_after: i64,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter allowing `limit` events per `window_seconds` per key (0: no limit),
    /// holding at most `max_keys` keys.
    pub fn new(limit: u32, window_seconds: i64, max_keys: usize) -> Self {
        Self {
            limit: AtomicU32::new(limit),
            window: AtomicI64::new(window_seconds.max(1)),
            max_keys: max_keys.max(2),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Changes the limit (0: no limit) and the window; counts so far are kept.
    pub fn set(&self, limit: u32, window_seconds: i64) {
        self.limit.store(limit, Ordering::Relaxed);
        self.window.store(window_seconds.max(1), Ordering::Relaxed);
    }

    /// The limit and window now.
    pub fn settings(&self) -> (u32, i64) {
        (
            self.limit.load(Ordering::Relaxed),
            self.window.load(Ordering::Relaxed),
        )
    }

    /// Counts one event for `key` at `now` (Unix seconds); [`Limited`] when the key
    /// already had `limit` events in its window (the refused event is not counted).
    pub fn hit(&self, key: &K, now: i64) -> Result<(), Limited> {
        let (limit, window) = self.settings();
        if limit == 0 {
            return Ok(());
        }
        // A poisoned lock only means another request panicked mid-update; the map is
        // still usable.
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if !map.contains_key(key) && map.len() >= self.max_keys {
            map.retain(|_, (start, _)| now - *start < window);
            if map.len() >= self.max_keys {
                let mut starts: Vec<i64> = map.values().map(|(s, _)| *s).collect();
                starts.sort_unstable();
                let cut = starts[starts.len() / 2];
                map.retain(|_, (start, _)| *start > cut);
            }
        }
        let entry = map.entry(key.clone()).or_insert((now, 0));
        if now - entry.0 >= window || now < entry.0 {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            return Err(Limited {
                retry_after: (entry.0 + window - now).max(1),
            });
        }
        entry.1 += 1;
        Ok(())
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.windows.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The limits of the public pages, shared by check-ins and health declarations.
#[derive(Debug)]
pub struct PublicLimits {
    /// Per client address. Generous: a carrier-grade NAT puts a whole town behind a
    /// few addresses.
    pub per_address: RateLimiter<String>,
    /// Per phone number: a person checks in a few times an hour, not dozens.
    pub per_phone: RateLimiter<String>,
}

impl PublicLimits {
    /// Default events per address per minute.
    pub const ADDRESS_PER_MINUTE: u32 = 600;
    /// Default events per phone per 10 minutes.
    pub const PHONE_PER_10_MINUTES: u32 = 20;
    /// Keys each limiter holds at most (about 100 bytes each).
    pub const MAX_KEYS: usize = 200_000;
}

impl Default for PublicLimits {
    fn default() -> Self {
        Self {
            per_address: RateLimiter::new(Self::ADDRESS_PER_MINUTE, 60, Self::MAX_KEYS),
            per_phone: RateLimiter::new(Self::PHONE_PER_10_MINUTES, 600, Self::MAX_KEYS),
        }
    }
}

impl PublicLimits {
    /// Counts a public request from `client` (empty: unknown, not limited).
    pub fn address(&self, client: Option<&str>, now: i64) -> Result<(), AppError> {
        match client.filter(|c| !c.is_empty()) {
            Some(c) => self
                .per_address
                .hit(&c.to_owned(), now)
                .map_err(|l| too_many(l, false)),
            None => Ok(()),
        }
    }

    /// Counts a public request for phone number `phone` (normalised).
    pub fn phone(&self, phone: &str, now: i64) -> Result<(), AppError> {
        self.per_phone
            .hit(&phone.to_owned(), now)
            .map_err(|l| too_many(l, true))
    }
}

fn too_many(l: Limited, phone: bool) -> AppError {
    let (vi, en) = if phone {
        (
            "Số điện thoại này đã gửi quá nhiều lần. Xin thử lại sau",
            "Too many requests for this phone number. Try again in",
        )
    } else {
        (
            "Quá nhiều yêu cầu từ mạng của bạn. Xin thử lại sau",
            "Too many requests from your network. Try again in",
        )
    };
    AppError::TooManyRequests {
        retry_after: l.retry_after,
        message: Text {
            vi: format!("{vi} {} giây.", l.retry_after).into(),
            en: format!("{en} {} seconds.", l.retry_after).into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_limit_events_per_window() {
        let l = RateLimiter::new(3, 60, 100);
        let k = "a".to_owned();
        for _ in 0..3 {
            assert!(l.hit(&k, 1000).is_ok());
        }
        assert_eq!(l.hit(&k, 1030), Err(Limited { retry_after: 30 }));
        assert!(l.hit(&"b".to_owned(), 1030).is_ok(), "other keys are apart");
        assert!(l.hit(&k, 1060).is_ok(), "a new window");
    }

    #[test]
    fn zero_turns_it_off_and_settings_change_live() {
        let l = RateLimiter::new(0, 60, 10);
        let k = 1u32;
        for _ in 0..100 {
            assert!(l.hit(&k, 5).is_ok());
        }
        assert!(l.is_empty(), "nothing is held when off");
        l.set(1, 10);
        assert!(l.hit(&k, 5).is_ok());
        assert!(l.hit(&k, 6).is_err());
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_keys() {
        let l = RateLimiter::new(5, 60, 1000);
        for i in 0..100_000u32 {
            let _ = l.hit(&i, i64::from(i / 1000));
            assert!(l.len() <= 1000);
        }
        // Old windows are dropped before live ones.
        let l = RateLimiter::new(5, 10, 4);
        for (k, t) in [(1u8, 0), (2, 1), (3, 20), (4, 21)] {
            l.hit(&k, t).unwrap();
        }
        l.hit(&5, 22).unwrap();
        assert_eq!(l.len(), 3, "1 and 2 ended and were dropped");
    }

    #[test]
    fn public_limits_answer_too_many_requests_in_both_languages() {
        let p = PublicLimits::default();
        p.per_phone.set(1, 600);
        p.phone("0912345678", 0).unwrap();
        match p.phone("0912345678", 1) {
            Err(AppError::TooManyRequests {
                retry_after,
                message,
            }) => {
                assert_eq!(retry_after, 599);
                assert!(message.vi.contains("599 giây"));
            }
            other => panic!("{other:?}"),
        }
        assert!(p.address(None, 0).is_ok());
    }
}
