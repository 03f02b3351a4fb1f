//! Dense `u32` indexes for external keys (text ids from a file, database ids).

use std::collections::HashMap;
use std::hash::Hash;

/// Maps external keys to dense indexes `0..len` in first-seen order, and back.
#[derive(Debug, Clone)]
pub struct Ids<K> {
    index: HashMap<K, u32>,
    keys: Vec<K>,
}

impl<K> Default for Ids<K> {
    fn default() -> Self {
        Self {
            index: HashMap::new(),
            keys: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> Ids<K> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The index of `key`, given the next free one if it is new.
    ///
    /// # Panics
    /// Past `u32::MAX - 2` keys, which no province reaches (the top values are
    /// reserved by the engine).
    pub fn index(&mut self, key: K) -> u32 {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = u32::try_from(self.keys.len())
            .ok()
            .filter(|&i| i < u32::MAX - 2)
            .unwrap_or_else(|| panic!("more than {} ids", u32::MAX - 2));
        self.keys.push(key.clone());
        self.index.insert(key, i);
        i
    }

    /// The index of `key`, if it has one.
    pub fn get<Q>(&self, key: &Q) -> Option<u32>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.index.get(key).copied()
    }

    /// The key of index `i`.
    ///
    /// # Panics
    /// If `i` was never given out.
    pub fn key(&self, i: u32) -> &K {
        &self.keys[i as usize]
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_are_dense_and_stable() {
        let mut ids = Ids::new();
        assert_eq!(ids.index("b".to_string()), 0);
        assert_eq!(ids.index("a".to_string()), 1);
        assert_eq!(ids.index("b".to_string()), 0);
        assert_eq!(ids.get("a"), Some(1));
        assert_eq!(ids.get("c"), None);
        assert_eq!(ids.key(1), "a");
        assert_eq!(ids.len(), 2);
    }
}
