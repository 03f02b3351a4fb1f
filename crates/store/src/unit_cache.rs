//! Administrative units kept in memory: every list of a district or commune resolves
//! "this unit and every unit under it" ([`Store::units_in`]) and names its rows' units
//! ([`Store::unit`]); on PostgreSQL the first took 5 ms a time on the 500,000-person
//! demo (the planner hashes the whole `admin_unit` table for the nested steps) and a
//! list page asked it three times, the second 30 times a page.
//!
//! Units change only when a province adds its own (villages: `import units`, or the
//! official list at migration). Writes of this process clear the cache at once; writes
//! of another process (an import run beside the server) move `data_version`, which is
//! read at most once a second: their units are seen within a second.

use phongdich_domain::AdminUnit;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the data version read last is trusted.
const CHECK_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub(crate) struct UnitCache {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The data version the entries were read at, and when it was read.
    version: Option<(i64, Instant)>,
    /// A unit and every unit under it, by the unit's code.
    under: HashMap<String, Arc<Vec<AdminUnit>>>,
    /// Units by code.
    units: HashMap<String, AdminUnit>,
}

impl UnitCache {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding it leaves maps that are still valid.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the data version must be read again before trusting the entries.
    pub(crate) fn stale(&self) -> bool {
        self.state()
            .version
            .is_none_or(|(_, at)| at.elapsed() >= CHECK_EVERY)
    }

    /// The data version just read: entries read at another version are dropped.
    pub(crate) fn checked(&self, version: i64) {
        let mut s = self.state();
        if s.version.is_some_and(|(v, _)| v != version) {
            s.under.clear();
            s.units.clear();
        }
        s.version = Some((version, Instant::now()));
    }

    /// Drops every entry (this process wrote units).
    pub(crate) fn clear(&self) {
        let mut s = self.state();
        s.under.clear();
        s.units.clear();
        s.version = None;
    }

    pub(crate) fn under(&self, code: &str) -> Option<Arc<Vec<AdminUnit>>> {
        self.state().under.get(code).cloned()
    }

    pub(crate) fn put_under(&self, code: &str, units: Arc<Vec<AdminUnit>>) {
        let mut s = self.state();
        for u in units.iter() {
            s.units.insert(u.code.as_str().to_owned(), u.clone());
        }
        s.under.insert(code.to_owned(), units);
    }

    pub(crate) fn unit(&self, code: &str) -> Option<AdminUnit> {
        self.state().units.get(code).cloned()
    }

    pub(crate) fn put_unit(&self, unit: &AdminUnit) {
        self.state()
            .units
            .insert(unit.code.as_str().to_owned(), unit.clone());
    }
}
