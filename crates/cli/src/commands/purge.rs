//! `phongdich purge`: deletes the check-ins and health declarations older than the
//! retention period now, as a serving process does every hour; the run is audited.

use crate::settings::Settings;
use anyhow::Context;
use phongdich_app::retention::Retention;
use phongdich_store::Store;
use std::process::ExitCode;

/// Options of `phongdich purge`.
#[derive(Debug, Clone, clap::Args)]
pub struct PurgeArgs {
    /// Database URL [default: PHONGDICH_DATABASE_URL, else sqlite://phongdich.db].
    #[arg(long)]
    pub database_url: Option<String>,
    /// Keep this many days [default: PHONGDICH_RETENTION_DAYS, else 30].
    #[arg(long, value_parser = crate::settings::parse_retention_days)]
    pub retention_days: Option<u32>,
}

/// Runs `phongdich purge`.
pub fn run(args: PurgeArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?.with_database_url(args.database_url);
    let days = args.retention_days.unwrap_or(settings.retention_days);
    let retention = Retention::days(days).context("the retention period")?;
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
        let actor = super::cli_actor(&store, &settings, None).await?;
        let app = phongdich_app::App::offline(store.clone(), settings.province.clone());
        let report = app
            .purge_retention(&actor, retention)
            .await
            .context("purging")?;
        store.close().await;
        eprintln!(
            "đã xóa (deleted) trước (before) {}: {} tờ khai (declarations), {} lượt quét mã (check-ins), {} hồ sơ người (persons)",
            report.cutoff.to_rfc3339(),
            report.declarations.rows,
            report.check_ins.rows,
            report.declarations.persons + report.check_ins.persons,
        );
        Ok(ExitCode::SUCCESS)
    })
}
