//! The one settings struct: defaults, then `PHONGDICH_*` environment variables, then
//! command-line flags. Every variable:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PHONGDICH_DATABASE_URL` | `sqlite://phongdich.db` | `sqlite:` file or `postgres://` URL (`--database-url` overrides) |
//! | `PHONGDICH_PROVINCE` | `12` (Lai Châu) | official code of the province this deployment serves |
//! | `PHONGDICH_LISTEN` | `127.0.0.1:8080` | address the web app listens on |
//! | `PHONGDICH_TRUSTED_PROXIES` | none | comma-separated IP addresses of reverse proxies whose `X-Forwarded-For` is believed |
//! | `PHONGDICH_LOG` | `info` | log filter (`tracing` env-filter syntax, e.g. `phongdich_store=debug`) |
//! | `PHONGDICH_RETENTION_DAYS` | `30` | days check-ins and health declarations are kept before the hourly purge deletes them (1 to 366; `--retention-days` overrides) |
//! | `PHONGDICH_GROUP_COMMIT` | `on` | `off`: one transaction (one sync) per check-in instead of the group commit (the benchmark's baseline) |
//! | `PHONGDICH_GROUP_COMMIT_LEVELS` | `batch` on SQLite, `engine` on PostgreSQL | where a group commit's levels are written: `batch` in the batch's own transaction (the engine held), `engine` by the engine in a transaction of its own while the next batch is written |

use anyhow::{bail, Context};
use phongdich_domain::{AdminLevel, UnitCode};
use std::fmt;
use std::net::SocketAddr;

/// Settings of a `phongdich` process.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// Database URL; may hold a password, so `Debug` masks it.
    pub database_url: String,
    /// The province served.
    pub province: UnitCode,
    /// Address the web app listens on.
    pub listen: SocketAddr,
    /// Log filter.
    pub log: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Days check-ins and declarations are kept.
    pub retention_days: u32,
    /// Check-ins share transactions (`phongdich_app::commit_queue`); off only to
    /// measure the baseline.
    pub group_commit: bool,
    /// Where a group commit's levels are written: `Some(true)` in the batch's
    /// transaction, `Some(false)` by the engine after it, `None` the backend's default.
    pub levels_in_batch: Option<bool>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field(
                "database_url",
                &phongdich_store::redact_url(&self.database_url),
            )
            .field("province", &self.province)
            .field("listen", &self.listen)
            .field("log", &self.log)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("retention_days", &self.retention_days)
            .field("group_commit", &self.group_commit)
            .field("levels_in_batch", &self.levels_in_batch)
            .finish()
    }
}

impl Settings {
    /// Defaults overridden by the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Defaults overridden by whatever `lookup` returns for each `PHONGDICH_*` name
    /// (empty values count as unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let province_text = get("PHONGDICH_PROVINCE")
            .unwrap_or_else(|| phongdich_store::admin::DEFAULT_PROVINCE.to_owned());
        let province = UnitCode::parse(&province_text).context("PHONGDICH_PROVINCE")?;
        if province.level() != AdminLevel::Province {
            bail!("PHONGDICH_PROVINCE: `{province_text}` is not a province code (2 digits, e.g. 12 for Lai Châu)");
        }
        let listen_text = get("PHONGDICH_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen = listen_text.parse().with_context(|| {
            format!("PHONGDICH_LISTEN: `{listen_text}` is not an address like 127.0.0.1:8080")
        })?;
        let proxies_text = get("PHONGDICH_TRUSTED_PROXIES").unwrap_or_default();
        let trusted_proxies = proxies_text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse().with_context(|| {
                    format!("PHONGDICH_TRUSTED_PROXIES: `{p}` is not an IP address like 10.0.0.1")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let group_commit = match get("PHONGDICH_GROUP_COMMIT")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("on" | "true" | "1") => true,
            Some("off" | "false" | "0") => false,
            Some(other) => bail!("PHONGDICH_GROUP_COMMIT: `{other}` is neither on nor off"),
        };
        let levels_in_batch = match get("PHONGDICH_GROUP_COMMIT_LEVELS")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("") => None,
            Some("batch") => Some(true),
            Some("engine") => Some(false),
            Some(other) => {
                bail!("PHONGDICH_GROUP_COMMIT_LEVELS: `{other}` is neither batch nor engine")
            }
        };
        let retention_days = match get("PHONGDICH_RETENTION_DAYS") {
            None => phongdich_app::retention::Retention::DEFAULT_DAYS,
            Some(v) => parse_retention_days(&v).context("PHONGDICH_RETENTION_DAYS")?,
        };
        Ok(Self {
            retention_days,
            trusted_proxies,
            group_commit,
            levels_in_batch,
            database_url: get("PHONGDICH_DATABASE_URL")
                .unwrap_or_else(|| phongdich_store::DEFAULT_DATABASE_URL.to_owned()),
            province,
            listen,
            log: get("PHONGDICH_LOG").unwrap_or_else(|| "info".to_owned()),
        })
    }

    /// These settings with the database URL a `--database-url` flag gave, if any.
    pub fn with_database_url(mut self, flag: Option<String>) -> Self {
        if let Some(url) = flag.filter(|u| !u.trim().is_empty()) {
            self.database_url = url;
        }
        self
    }
}

/// A retention period in days, 1 to a year.
pub fn parse_retention_days(v: &str) -> anyhow::Result<u32> {
    v.trim()
        .parse::<u32>()
        .ok()
        .and_then(phongdich_app::retention::Retention::days)
        .map(|r| r.days)
        .with_context(|| format!("`{v}` is not a number of days from 1 to 366"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn defaults_apply() -> anyhow::Result<()> {
        let s = settings(&[])?;
        assert_eq!(s.database_url, "sqlite://phongdich.db");
        assert_eq!(s.province.as_str(), "12");
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.log, "info");
        assert_eq!(s.retention_days, 30);
        assert!(s.group_commit);
        Ok(())
    }

    #[test]
    fn environment_then_flag_override() -> anyhow::Result<()> {
        let s = settings(&[
            ("PHONGDICH_DATABASE_URL", "postgres://u:secret@h/db"),
            ("PHONGDICH_PROVINCE", "11"),
            ("PHONGDICH_LISTEN", "0.0.0.0:80"),
        ])?;
        assert_eq!(s.province.as_str(), "11");
        assert_eq!(s.listen.port(), 80);
        assert!(!format!("{s:?}").contains("secret"));
        let s = s.with_database_url(Some("sqlite://other.db".into()));
        assert_eq!(s.database_url, "sqlite://other.db");
        Ok(())
    }

    #[test]
    fn bad_values_are_rejected() {
        assert!(settings(&[("PHONGDICH_PROVINCE", "03460")]).is_err());
        assert!(settings(&[("PHONGDICH_PROVINCE", "x")]).is_err());
        assert!(settings(&[("PHONGDICH_LISTEN", "localhost")]).is_err());
        assert!(settings(&[("PHONGDICH_TRUSTED_PROXIES", "10.0.0.1, x")]).is_err());
        assert!(settings(&[("PHONGDICH_RETENTION_DAYS", "0")]).is_err());
        assert!(settings(&[("PHONGDICH_RETENTION_DAYS", "thirty")]).is_err());
        assert_eq!(
            settings(&[("PHONGDICH_RETENTION_DAYS", "28")])
                .unwrap()
                .retention_days,
            28
        );
        let s = settings(&[("PHONGDICH_TRUSTED_PROXIES", "10.0.0.1, ::1")]).unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        assert!(settings(&[("PHONGDICH_GROUP_COMMIT", "sometimes")]).is_err());
        assert!(
            !settings(&[("PHONGDICH_GROUP_COMMIT", "off")])
                .unwrap()
                .group_commit
        );
        assert!(settings(&[("PHONGDICH_GROUP_COMMIT_LEVELS", "later")]).is_err());
        assert_eq!(
            settings(&[("PHONGDICH_GROUP_COMMIT_LEVELS", "Engine")])
                .unwrap()
                .levels_in_batch,
            Some(false)
        );
        assert_eq!(settings(&[]).unwrap().levels_in_batch, None);
    }
}
