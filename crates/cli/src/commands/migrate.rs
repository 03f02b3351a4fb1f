//! `phongdich migrate`: creates or upgrades the database schema and loads the official
//! administrative units.

use crate::settings::Settings;
use anyhow::Context;
use phongdich_store::Store;
use std::process::ExitCode;

/// Options of `phongdich migrate`.
#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {
    /// Database URL [default: PHONGDICH_DATABASE_URL, else sqlite://phongdich.db].
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Runs `phongdich migrate`.
pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?.with_database_url(args.database_url);
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let url = phongdich_store::redact_url(&settings.database_url);
        let store = Store::connect(&settings.database_url)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        store
            .migrate()
            .await
            .with_context(|| format!("migrating {url}"))?;
        store.close().await;
        tracing::info!(database = %url, "database schema is up to date");
        Ok(ExitCode::SUCCESS)
    })
}
