//! `phongdich user add|list|disable|set-password|token`: staff accounts and their API
//! tokens.
//!
//! Passwords never appear on the command line (where `ps` would show them): they are
//! read from a prompt that does not echo, or from standard input with
//! `--password-stdin` (for scripts).

use crate::settings::Settings;
use anyhow::{bail, Context};
use phongdich_app::accounts::NewAccount;
use phongdich_app::{App, AppError};
use phongdich_domain::{Jurisdiction, Role};
use phongdich_store::{Store, TokenScope};
use std::io::BufRead;
use std::process::ExitCode;

/// Options of `phongdich user`.
#[derive(Debug, Clone, clap::Args)]
pub struct UserArgs {
    /// Database URL [default: PHONGDICH_DATABASE_URL, else sqlite://phongdich.db].
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub action: UserAction,
}

/// `phongdich user` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum UserAction {
    /// Create an account.
    Add {
        /// Sign-in name.
        username: String,
        /// Name shown in the app and the audit log.
        #[arg(long)]
        display_name: String,
        /// province_admin, province_officer, district_officer, commune_officer,
        /// facility_manager, checkpoint_officer, transport_operator,
        /// accommodation_operator or leader (read-only).
        #[arg(long)]
        role: String,
        /// Administrative unit code the account sees (12 = the province, 105 a
        /// district, 03460 a commune)...
        #[arg(long, conflicts_with = "place", required_unless_present = "place")]
        unit: Option<String>,
        /// ...or the reference of its facility, checkpoint or operator.
        #[arg(long)]
        place: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Disable an account (it can no longer sign in; its sessions end).
    Disable {
        /// Sign-in name.
        username: String,
    },
    /// API tokens: `token USERNAME --name WHAT` creates one (printed once, stored only
    /// as a digest), `token list`, `token revoke ID`.
    #[command(args_conflicts_with_subcommands = true)]
    Token {
        /// list or revoke.
        #[command(subcommand)]
        action: Option<TokenAction>,
        /// Sign-in name of the account whose rights the token carries.
        username: Option<String>,
        /// What the token is for (shown to administrators).
        #[arg(long)]
        name: Option<String>,
        /// `read` (GET only) or `write`.
        #[arg(long, default_value = "read")]
        scope: String,
        /// Days until it expires (1 to 366).
        #[arg(long, default_value_t = phongdich_app::accounts::TOKEN_DAYS)]
        days: i64,
    },
    /// Set a new password (the account's sessions end).
    SetPassword {
        /// Sign-in name.
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `phongdich user token` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum TokenAction {
    /// List tokens (of one account with --user), newest first.
    List {
        /// Only this account's.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token by its id (from `token list`).
    Revoke {
        /// The token's id.
        id: i64,
    },
}

/// Least password length accepted.
const MIN_PASSWORD_CHARS: usize = phongdich_app::accounts::MIN_PASSWORD_CHARS;

/// A use case's refusal in words for the terminal.
fn refused(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid { field, message } => {
            anyhow::anyhow!("{field}: {} ({})", message.vi, message.en)
        }
        AppError::Conflict(t) => anyhow::anyhow!("{} ({})", t.vi, t.en),
        AppError::NotFound => anyhow::anyhow!("không tìm thấy (not found)"),
        other => anyhow::anyhow!("{other}"),
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first =
            rpassword::prompt_password("Mật khẩu (password): ").context("reading the password")?;
        let again =
            rpassword::prompt_password("Nhập lại (again): ").context("reading the password")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password must have at least {MIN_PASSWORD_CHARS} characters");
    }
    Ok(password)
}

/// Runs `phongdich user`.
pub fn run(args: UserArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?.with_database_url(args.database_url);
    // Read the password before connecting, so a prompt is not interleaved with logs.
    let password = match &args.action {
        UserAction::Add { password_stdin, .. } | UserAction::SetPassword { password_stdin, .. } => {
            Some(read_password(*password_stdin)?)
        }
        _ => None,
    };
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
        let app = App::offline(store.clone(), settings.province.clone());
        let me = super::cli_actor(&store, &settings, None).await?;
        match args.action {
            UserAction::Add {
                username,
                display_name,
                role,
                unit,
                place,
                ..
            } => {
                let Some(role) = Role::parse(&role) else {
                    bail!(
                        "`{role}` is not a role: expected one of {}",
                        Role::ALL.map(Role::as_str).join(", ")
                    );
                };
                let jurisdiction = match (unit, place) {
                    (Some(u), _) => Jurisdiction::parse("unit", &u)
                        .with_context(|| format!("`{u}` is not an administrative unit code"))?,
                    (None, Some(p)) => Jurisdiction::parse("place", &p)
                        .with_context(|| format!("`{p}` is not a place reference"))?,
                    (None, None) => bail!("give --unit or --place"),
                };
                let id = app
                    .add_account(
                        &me,
                        &NewAccount {
                            username: username.trim().to_owned(),
                            display_name,
                            password: password.context("no password")?,
                            role,
                            jurisdiction,
                        },
                    )
                    .await
                    .map_err(refused)?;
                tracing::info!(user.id = id, user.name = %username, "account created");
            }
            UserAction::List => {
                let mut out = csv::Writer::from_writer(std::io::stdout());
                out.write_record([
                    "username",
                    "display_name",
                    "role",
                    "jurisdiction",
                    "disabled",
                ])?;
                for u in app.accounts(&me).await.map_err(refused)? {
                    out.write_record([
                        u.username.as_str(),
                        &u.display_name,
                        &u.role,
                        &format!("{}:{}", u.jurisdiction_kind, u.jurisdiction_code),
                        if u.disabled { "yes" } else { "no" },
                    ])?;
                }
                out.flush()?;
            }
            UserAction::Token {
                action: Some(TokenAction::List { user }),
                ..
            } => {
                let mut out = csv::Writer::from_writer(std::io::stdout());
                out.write_record([
                    "id",
                    "username",
                    "name",
                    "scope",
                    "created_at",
                    "expires_at",
                    "last_used_at",
                    "revoked_at",
                ])?;
                let time = |t: Option<i64>| {
                    t.map(|t| phongdich_domain::Timestamp(t).to_rfc3339())
                        .unwrap_or_default()
                };
                for t in app.tokens(&me, user.as_deref()).await.map_err(refused)? {
                    out.write_record([
                        t.id.to_string(),
                        t.username.clone(),
                        t.name.clone(),
                        t.scope.as_str().to_owned(),
                        time(Some(t.created_at)),
                        time(t.expires_at),
                        time(t.last_used_at),
                        time(t.revoked_at),
                    ])?;
                }
                out.flush()?;
            }
            UserAction::Token {
                action: Some(TokenAction::Revoke { id }),
                ..
            } => {
                app.revoke_token(&me, id).await.map_err(refused)?;
                tracing::info!(token.id = id, "API token revoked");
            }
            UserAction::Token {
                action: None,
                username,
                name,
                scope,
                days,
            } => {
                let username = username
                    .context("give the account: phongdich user token USERNAME --name WHAT")?;
                let name = name.context("give --name: what the token is for")?;
                let scope = TokenScope::parse(&scope)
                    .with_context(|| format!("`{scope}` is not a scope: read or write"))?;
                let token = app
                    .create_token(&me, &username, &name, scope, days)
                    .await
                    .map_err(refused)?;
                println!("{token}");
            }
            UserAction::Disable { username } => {
                app.disable_account(&me, &username).await.map_err(refused)?;
                tracing::info!(user.name = %username, "account disabled");
            }
            UserAction::SetPassword { username, .. } => {
                app.set_password(&me, &username, &password.context("no password")?)
                    .await
                    .map_err(refused)?;
                tracing::info!(user.name = %username, "password changed");
            }
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
