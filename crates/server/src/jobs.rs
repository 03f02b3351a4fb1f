//! Background jobs of a serving process: the hourly retention purge of check-ins and
//! health declarations ([`retention`]).

use phongdich_app::retention::Retention;
use phongdich_app::{Actor, App, Channel};
use std::time::Duration;

/// How often the retention purge runs.
pub const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// Runs the retention purge at once, then every [`RETENTION_EVERY`], as the system
/// (audited as `job:retention`); a failed run is logged and the next one tries again.
pub async fn retention(app: App, retention: Retention) {
    let actor = Actor::system(
        app.province().clone(),
        Channel::Job,
        "job:retention".to_owned(),
    );
    let mut every = tokio::time::interval(RETENTION_EVERY);
    loop {
        every.tick().await;
        if let Err(e) = app.purge_retention(&actor, retention).await {
            tracing::warn!(error = %e, "the retention purge failed");
        }
    }
}
