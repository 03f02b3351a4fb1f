//! [`TtlCache`]: results of expensive aggregate queries (a district's contact total,
//! the province's levels by unit), kept for a fixed time. In memory: one server
//! process per province. The lock is a std mutex held only to read or write the map,
//! never across an `.await`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values by key, each kept `ttl` after it was stored.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// An empty cache keeping values `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<K, (V, Instant)>) -> R) -> R {
        // A poisoned lock only means a request panicked mid-update; the map is usable.
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut map)
    }

    /// The value of `key` if stored less than `ttl` ago.
    pub fn get(&self, key: &K) -> Option<V> {
        self.with(|m| {
            m.get(key)
                .filter(|(_, at)| at.elapsed() < self.ttl)
                .map(|(v, _)| v.clone())
        })
    }

    /// Stores `value` under `key` (and drops expired entries).
    pub fn put(&self, key: K, value: V) {
        let ttl = self.ttl;
        self.with(|m| {
            m.retain(|_, (_, at)| at.elapsed() < ttl);
            m.insert(key, (value, Instant::now()));
        });
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.with(HashMap::clear);
    }
}

#[cfg(test)]
mod tests {
    use super::TtlCache;
    use std::time::Duration;

    #[test]
    fn values_expire_and_clear() {
        let c = TtlCache::new(Duration::from_secs(60));
        c.put("a", 1);
        assert_eq!(c.get(&"a"), Some(1));
        c.clear();
        assert_eq!(c.get(&"a"), None);
        let gone = TtlCache::new(Duration::ZERO);
        gone.put("a", 1);
        assert_eq!(gone.get(&"a"), None);
    }
}
