//! [`TtlCache`]: results of expensive aggregate queries (a district's contact total,
//! the province's levels by unit), kept for a fixed time. In memory: one server
//! process per province. The map's lock is a std mutex held only to read or write it,
//! never across an `.await`; a separate async lock lets one request recompute an
//! expired value while the others wait for it instead of all recomputing at once.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values by key, each kept `ttl` after it was stored.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (V, Instant)>>,
    /// Held while a value is computed.
    computing: tokio::sync::Mutex<()>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// An empty cache keeping values `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
            computing: tokio::sync::Mutex::new(()),
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

    /// The value of `key`, computed by `compute` and stored if missing or expired;
    /// one computation at a time, the other callers wait and take its result.
    pub async fn get_or_compute<E, F, Fut>(&self, key: K, compute: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let _computing = self.computing.lock().await;
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let v = compute().await?;
        self.put(key, v.clone());
        Ok(v)
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

    #[tokio::test]
    async fn a_value_is_computed_once_while_fresh() {
        let c = TtlCache::new(Duration::from_secs(60));
        let first: Result<i32, ()> = c.get_or_compute("a", || async { Ok(1) }).await;
        let second: Result<i32, ()> = c.get_or_compute("a", || async { Ok(2) }).await;
        assert_eq!((first, second), (Ok(1), Ok(1)));
        let failed: Result<i32, &str> = c.get_or_compute("b", || async { Err("no") }).await;
        assert_eq!(failed, Err("no"));
        assert_eq!(c.get(&"b"), None);
    }
}
