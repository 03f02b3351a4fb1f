//! `phongdich user add|list|disable|set-password|token`: staff accounts and their API
//! tokens.
//!
//! Passwords never appear on the command line (where `ps` would show them): they are
//! read from a prompt that does not echo, or from standard input with
//! `--password-stdin` (for scripts).

use crate::settings::Settings;
use anyhow::{bail, Context};
use phongdich_server::auth::{hash_password, Jurisdiction, Role};
use phongdich_store::{NewUser, Store};
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
    /// Create an API token for an account (for `Authorization: Bearer`); it is printed
    /// once and stored only as a digest.
    Token {
        /// Sign-in name of the account whose rights the token carries.
        username: String,
        /// What the token is for (shown to administrators).
        #[arg(long)]
        name: String,
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

/// Least password length accepted.
const MIN_PASSWORD_CHARS: usize = 10;

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
    let hash = password
        .map(|p| hash_password(&p).map_err(|e| anyhow::anyhow!("hashing the password: {e}")))
        .transpose()?;
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
                let (kind, code) = jurisdiction.parts();
                let username = username.trim().to_owned();
                if username.is_empty() {
                    bail!("the username is empty");
                }
                let id = store
                    .insert_user(&NewUser {
                        username: username.clone(),
                        display_name,
                        password_hash: hash.context("no password")?,
                        role: role.as_str().to_owned(),
                        jurisdiction_kind: kind.to_owned(),
                        jurisdiction_code: code.to_owned(),
                    })
                    .await?;
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
                for u in store.users().await? {
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
            UserAction::Token { username, name } => {
                let user = store
                    .user_by_username(&username)
                    .await?
                    .with_context(|| format!("no account `{username}`"))?;
                let token = phongdich_server::auth::new_token();
                store
                    .insert_api_token(&phongdich_server::auth::token_hash(&token), user.id, &name)
                    .await?;
                println!("{token}");
            }
            UserAction::Disable { username } => {
                store.set_user_disabled(&username, true).await?;
                tracing::info!(user.name = %username, "account disabled");
            }
            UserAction::SetPassword { username, .. } => {
                store
                    .set_user_password(&username, &hash.context("no password")?)
                    .await?;
                tracing::info!(user.name = %username, "password changed");
            }
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
