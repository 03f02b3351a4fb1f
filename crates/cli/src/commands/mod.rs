//! One module per subcommand.

pub mod demo;
pub mod demo_users;
pub mod import;
pub mod migrate;
pub mod serve;
pub mod trace;
pub mod user;

use crate::Command;
use std::process::ExitCode;

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo(args) => demo::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Import(args) => import::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Trace(args) => trace::run(args),
        Command::User(args) => user::run(args),
    }
}
