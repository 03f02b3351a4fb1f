//! `phongdich import units|places|persons|contacts|presences|cases FILE`: the import
//! use case (`phongdich_app::imports`), run by the operator at the server's console and
//! audited as `cli:USER` (or as the account given with `--as`). A server running over
//! the same database sees the new data within seconds: the import moves the data
//! version, and the server's tracing engine rebuilds when it moves. A province's own
//! lists go first: villages (`units`) before the persons living in them, places before
//! the presences naming them.

use crate::settings::Settings;
use anyhow::Context;
use phongdich_app::imports::{ImportError, ImportKind, ImportProgress};
use phongdich_app::App;
use phongdich_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    /// `code,name,parent_code`: villages (thôn, bản, tổ dân phố) under communes of the
    /// province, coded `COMMUNE-NN` (03460-07).
    Units,
    /// `ref,kind,venue_kind,name,unit_code,address,capacity,operator`: venues,
    /// facilities, checkpoints, rooms, trips, homes.
    Places,
    /// `ref,full_name,birth,sex,id_number,nationality,phone,address,unit_code,household`
    Persons,
    /// `a,b,start,end` (person references).
    Contacts,
    /// `person,place,kind,start,end`; an unknown place reference creates the place.
    Presences,
    /// `person,infectious_from,isolated_at`.
    Cases,
}

impl From<KindArg> for ImportKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Units => Self::Units,
            KindArg::Places => Self::Places,
            KindArg::Persons => Self::Persons,
            KindArg::Contacts => Self::Contacts,
            KindArg::Presences => Self::Presences,
            KindArg::Cases => Self::Cases,
        }
    }
}

/// Options of `phongdich import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: KindArg,
    /// CSV (UTF-8, header row) or Excel workbook (.xlsx; first sheet, same columns).
    pub file: PathBuf,
    /// Database URL [default: PHONGDICH_DATABASE_URL, else sqlite://phongdich.db].
    #[arg(long)]
    pub database_url: Option<String>,
    /// Audit the import as this staff account (a province-wide writer) instead of the
    /// console operator.
    #[arg(long = "as", value_name = "USERNAME")]
    pub as_user: Option<String>,
}

/// Runs `phongdich import`.
pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?.with_database_url(args.database_url.clone());
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        let store = Store::connect(&settings.database_url)
            .await
            .with_context(|| {
                format!(
                    "connecting to {}",
                    phongdich_store::redact_url(&settings.database_url)
                )
            })?;
        store.migrate().await.context("migrating the database")?;
        let actor = super::cli_actor(&store, &settings, args.as_user.as_deref()).await?;
        let app = App::offline(store.clone(), settings.province.clone());
        let kind = ImportKind::from(args.kind);
        // Drawn only when stderr is a terminal; a big file takes a while to read,
        // check, write and index: the spinner says which.
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {prefix}: {msg} {elapsed_precise}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        spinner.set_prefix(format!(
            "đang nhập (importing) {} from {}",
            kind.noun(),
            args.file.display()
        ));
        spinner.enable_steady_tick(std::time::Duration::from_millis(120));
        let on_progress = |p: ImportProgress| spinner.set_message(p.to_string());
        let result = app
            .import_with_progress(&actor, kind, &args.file, &on_progress)
            .await;
        spinner.finish_and_clear();
        store.close().await;
        let done = match result {
            Ok(done) => done,
            Err(ImportError::App(phongdich_app::AppError::Forbidden)) => anyhow::bail!(
                "`{}` may not import: imports need a writer of the whole province",
                actor.username
            ),
            Err(e) => return Err(e.into()),
        };
        println!(
            "imported {} {} from {}",
            done.rows,
            kind.noun(),
            args.file.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}
