//! [`AppState`]: everything a handler needs, shared by all requests.

use phongdich_app::App;
use std::net::IpAddr;
use std::sync::Arc;

/// Settings of the web app that do not come from the database.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The app is served over HTTPS (directly or behind a TLS proxy): cookies get the
    /// `Secure` attribute. From `PHONGDICH_TLS` in `phongdich serve`.
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`PHONGDICH_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpAddr>,
    /// How long check-ins and declarations are kept before the hourly purge deletes
    /// them (`PHONGDICH_RETENTION_DAYS`, 30 days by default).
    pub retention: phongdich_app::retention::Retention,
}

/// The state shared by every request: cheap to clone (one `Arc` inside).
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The application: every use case, the store, the tracing engine.
    app: App,
    /// Settings fixed at start.
    settings: Settings,
}

impl AppState {
    /// The state over an application.
    pub fn new(app: App, settings: Settings) -> Self {
        Self {
            inner: Arc::new(Inner { app, settings }),
        }
    }

    /// The application.
    pub fn app(&self) -> &App {
        &self.inner.app
    }

    /// Settings fixed at start.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }
}
