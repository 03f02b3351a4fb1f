//! [`AppState`]: everything a handler needs, shared by all requests.

use crate::auth::Throttle;
use phongdich_store::Store;
use std::sync::Arc;

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
}

impl AppState {
    /// Builds the state over a connected, migrated store.
    pub fn new(store: Store, settings: Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                settings,
                throttle: Throttle::default(),
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
}
