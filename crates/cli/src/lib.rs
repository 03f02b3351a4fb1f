//! The `phongdich` command line: one subcommand per module in [`commands`], each a thin
//! layer over the library crates.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub mod commands;
pub mod settings;

/// phongdich: hệ thống chỉ huy phòng, chống dịch của tỉnh.
#[derive(Debug, Parser)]
#[command(name = "phongdich", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands. Only commands that work are listed.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a synthetic province (Lai Châu) and load it, or export it with --export.
    Demo(commands::demo::DemoArgs),
    /// Create or upgrade the database schema and load the official administrative units.
    Migrate(commands::migrate::MigrateArgs),
    /// Import villages, places, persons, contacts, presences or cases from a CSV or
    /// Excel file, whole or not at all.
    Import(commands::import::ImportArgs),
    /// Delete the check-ins and health declarations older than the retention period
    /// now (a server does it every hour); audited.
    Purge(commands::purge::PurgeArgs),
    /// Serve the web app and the JSON API (migrates the database first).
    Serve(commands::serve::ServeArgs),
    /// Compute F0..F4 levels (docs/tracing.md) from interchange files, or over the
    /// database when no file is given.
    Trace(commands::trace::TraceArgs),
    /// Manage staff accounts: add, list, disable, set-password.
    User(commands::user::UserArgs),
}

/// Runs the command line and turns errors into a message and a non-zero exit code.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PHONGDICH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("lỗi (error): {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
