//! `phongdich serve`: migrates the database, then serves the web app and the JSON API
//! until Ctrl-C (requests in flight finish first).

use crate::settings::Settings;
use anyhow::Context;
use phongdich_store::Store;
use std::process::ExitCode;

/// Options of `phongdich serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: PHONGDICH_LISTEN, else 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<String>,
    /// Database URL [default: PHONGDICH_DATABASE_URL, else sqlite://phongdich.db].
    #[arg(long)]
    pub database_url: Option<String>,
    /// The app is reached over HTTPS (directly or through a TLS proxy): cookies are
    /// marked `Secure`.
    #[arg(long, env = "PHONGDICH_TLS")]
    pub tls: bool,
    /// Days check-ins and health declarations are kept; the hourly purge deletes what
    /// is older [default: PHONGDICH_RETENTION_DAYS, else 30].
    #[arg(long, value_parser = crate::settings::parse_retention_days)]
    pub retention_days: Option<u32>,
}

/// Runs `phongdich serve`.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?.with_database_url(args.database_url);
    let listen = args
        .listen
        .filter(|l| !l.trim().is_empty())
        .unwrap_or_else(|| settings.listen.to_string());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let url = phongdich_store::redact_url(&settings.database_url);
        let store = Store::connect(&settings.database_url)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        store
            .migrate()
            .await
            .with_context(|| format!("migrating {url}"))?;
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let address = listener
            .local_addr()
            .context("reading the listening address")?;
        tracing::info!(%address, database = %url, "serving on http://{address}/ (Ctrl-C stops)");
        let app = phongdich_app::App::serving(store.clone(), settings.province.clone());
        app.commit_queue().set_grouped(settings.group_commit);
        if let Some(in_batch) = settings.levels_in_batch {
            app.commit_queue().set_levels_in_batch(in_batch);
        }
        if !settings.group_commit {
            tracing::warn!("group commit off (PHONGDICH_GROUP_COMMIT=off): one sync per check-in");
        }
        let state = phongdich_server::AppState::new(
            app,
            phongdich_server::Settings {
                secure_cookies: args.tls,
                trusted_proxies: settings.trusted_proxies.clone(),
                retention: phongdich_app::retention::Retention::days(
                    args.retention_days.unwrap_or(settings.retention_days),
                )
                .unwrap_or_default(),
            },
        );
        let shutdown = async {
            // If the signal cannot be watched the app runs until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            tracing::info!("shutting down: finishing requests in flight");
        };
        phongdich_server::serve(listener, state, shutdown)
            .await
            .context("serving the web app")?;
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
