//! One module per subcommand.

pub mod demo;
pub mod demo_citizens;
pub mod demo_users;
pub mod import;
pub mod migrate;
pub mod purge;
pub mod serve;
pub mod trace;
pub mod user;

use crate::settings::Settings;
use crate::Command;
use anyhow::Context;
use phongdich_app::{Actor, Channel};
use phongdich_store::Store;
use std::process::ExitCode;

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo(args) => demo::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Purge(args) => purge::run(args),
        Command::Import(args) => import::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Trace(args) => trace::run(args),
        Command::User(args) => user::run(args),
    }
}

/// The actor of a command-line run: the account of `--as`, else the system as the
/// console's user (`cli:USER` in the audit log).
pub async fn cli_actor(
    store: &Store,
    settings: &Settings,
    as_user: Option<&str>,
) -> anyhow::Result<Actor> {
    let who = std::env::var("USER").unwrap_or_else(|_| "operator".to_owned());
    let client = format!("cli:{who}");
    let Some(name) = as_user else {
        return Ok(Actor::system(
            settings.province.clone(),
            Channel::Cli,
            client,
        ));
    };
    let user = store
        .user_by_username(name)
        .await?
        .filter(|u| !u.disabled)
        .with_context(|| format!("no enabled account `{name}`"))?;
    Ok(Actor {
        user_id: Some(user.id),
        username: user.username.clone(),
        role: phongdich_domain::Role::parse(&user.role).context("the account's role")?,
        jurisdiction: phongdich_domain::Jurisdiction::parse(
            &user.jurisdiction_kind,
            &user.jurisdiction_code,
        )
        .context("the account's jurisdiction")?,
        client: Some(client),
        channel: Channel::Cli,
    })
}
