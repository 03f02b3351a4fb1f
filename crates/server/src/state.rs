//! [`AppState`]: everything a handler needs, shared by all requests.

use crate::auth::Throttle;
use crate::trace_state::{retrace_database, TraceState};
use phongdich_store::Store;
use std::sync::Arc;
use tokio::sync::RwLock;

/// Settings of the web app that do not come from the database.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The app is served over HTTPS (directly or behind a TLS proxy): cookies get the
    /// `Secure` attribute. From `PHONGDICH_TLS` in `phongdich serve`.
    pub secure_cookies: bool,
}

/// The state shared by every request: cheap to clone (one `Arc` inside).
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The database: persons, places, cases, levels and (later) users and sessions.
    store: Store,
    /// Settings fixed at start.
    settings: Settings,
    /// Failed sign-ins per username and IP, to slow down password guessing.
    throttle: Throttle,
    /// The tracing engine over the database; `None` until [`AppState::start_tracing`]
    /// has built it (its write lock is held while it builds, so updates wait).
    trace: Arc<RwLock<Option<TraceState>>>,
    /// Totals of contact lists, kept a minute (counting a district's contacts reads
    /// hundreds of thousands of index entries); dropped when a contact is entered.
    contact_counts: crate::contacts::CountCache,
    /// Levels by unit of residence under a district or the province, kept 30 seconds
    /// (the province's are half a million rows to group); communes are counted live.
    dashboard_counts: crate::dashboard::CountsCache,
}

impl AppState {
    /// Builds the state over a connected, migrated store.
    pub fn new(store: Store, settings: Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                settings,
                throttle: Throttle::default(),
                trace: Arc::new(RwLock::new(None)),
                contact_counts: crate::contacts::CountCache::new(std::time::Duration::from_secs(
                    60,
                )),
                dashboard_counts: crate::dashboard::CountsCache::new(
                    std::time::Duration::from_secs(30),
                ),
            }),
        }
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The sign-in throttle.
    pub fn throttle(&self) -> &Throttle {
        &self.inner.throttle
    }

    /// Settings fixed at start.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Totals of contact lists.
    pub fn contact_counts(&self) -> &crate::contacts::CountCache {
        &self.inner.contact_counts
    }

    /// Levels by unit for the dashboards of districts and the province.
    pub fn dashboard_counts(&self) -> &crate::dashboard::CountsCache {
        &self.inner.dashboard_counts
    }

    /// The tracing engine (`None` until built).
    pub fn trace(&self) -> &RwLock<Option<TraceState>> {
        &self.inner.trace
    }

    /// Builds the tracing engine from the database in the background and stores every
    /// level it computes; requests that change levels wait for it. Does nothing if it
    /// is built or building.
    pub fn start_tracing(&self) {
        let Ok(mut slot) = self.inner.trace.clone().try_write_owned() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let store = self.store().clone();
        tokio::spawn(async move {
            match retrace_database(&store, phongdich_trace::Params::default()).await {
                Ok((state, stats)) => {
                    tracing::info!(
                        cases = stats.cases,
                        contacts = stats.contacts,
                        presences = stats.presences,
                        levels = ?stats.levels,
                        read_s = stats.read.as_secs_f64(),
                        trace_s = stats.trace.as_secs_f64(),
                        write_s = stats.write.as_secs_f64(),
                        "tracing engine ready"
                    );
                    *slot = Some(state);
                }
                Err(e) => tracing::error!(error = %e, "the tracing engine could not be built"),
            }
        });
    }
}
