//! Staff accounts, sessions and API tokens: password hashing (argon2), signing in
//! (with the throttle), the actor of a session or a token, changing a password, and
//! the administration that `phongdich user` does (add, list, disable, set a password,
//! create, list and revoke tokens). Every change to an account is audited.
//!
//! A session or token is a random 256-bit value; the database holds only its SHA-256
//! digest.

use crate::actor::{Actor, Channel};
use crate::error::{AppError, AppResult};
use crate::App;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use phongdich_domain::{AdminLevel, Jurisdiction, Role, UnitCode};
use phongdich_store::{ApiToken, NewApiToken, NewUser, StoreError, TokenScope, User};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a session lasts without signing in again (12 hours: one working shift).
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// Least password length accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Default lifetime of an API token, in days.
pub const TOKEN_DAYS: i64 = 90;

/// Hashes a password with argon2 (default parameters). CPU-heavy: call it from
/// `spawn_blocking` in async code.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored argon2 hash; a malformed hash never matches.
/// CPU-heavy: call it from `spawn_blocking` in async code.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A fresh random token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The SHA-256 digest (hex) under which a token is stored.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Compares two secrets in time independent of where they differ; an empty secret
/// never matches.
pub fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty()
        && a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A hash of a random password, to verify against when the username is unknown, so
/// that the answer takes as long and does not tell which usernames exist.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&new_token()).unwrap_or_default());

/// Sign-in throttle: at most [`Throttle::MAX_FAILURES`] attempts that failed or are in
/// flight per username and client within [`Throttle::WINDOW_SECONDS`]. An attempt is
/// *reserved* before the password is checked (so parallel guesses count at once) and
/// forgotten only when it succeeds. The map holds at most [`Throttle::MAX_KEYS`] keys:
/// when full, the oldest windows are dropped first. In memory: one server process per
/// province.
#[derive(Debug, Default)]
pub struct Throttle {
    attempts: Mutex<HashMap<(String, String), Vec<i64>>>,
}

impl Throttle {
    /// Attempts allowed in the window.
    pub const MAX_FAILURES: usize = 5;
    /// The window, in seconds (15 minutes).
    pub const WINDOW_SECONDS: i64 = 15 * 60;
    /// Keys kept at most (about 10 MB).
    pub const MAX_KEYS: usize = 50_000;

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<(String, String), Vec<i64>>) -> R) -> R {
        // A poisoned lock only means another request panicked mid-update; the map is
        // still usable.
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut map)
    }

    /// Reserves an attempt for `username` from `client` at `now`; `false` when the
    /// limit is reached (nothing is recorded then).
    pub fn reserve(&self, username: &str, client: &str, now: i64) -> bool {
        self.with(|m| {
            let key = (username.to_lowercase(), client.to_owned());
            if !m.contains_key(&key) && m.len() >= Self::MAX_KEYS {
                m.retain(|_, v| {
                    v.retain(|t| now - t < Self::WINDOW_SECONDS);
                    !v.is_empty()
                });
                if m.len() >= Self::MAX_KEYS {
                    // Still full of live windows: drop the half that started earliest.
                    let mut starts: Vec<i64> =
                        m.values().filter_map(|v| v.first().copied()).collect();
                    starts.sort_unstable();
                    let cut = starts[starts.len() / 2];
                    m.retain(|_, v| v.first().is_some_and(|t| *t > cut));
                }
            }
            let recent = m.entry(key).or_default();
            recent.retain(|t| now - t < Self::WINDOW_SECONDS);
            if recent.len() >= Self::MAX_FAILURES {
                return false;
            }
            recent.push(now);
            true
        })
    }

    /// Forgets the attempts after a successful sign-in.
    pub fn succeeded(&self, username: &str, client: &str) {
        self.with(|m| m.remove(&(username.to_lowercase(), client.to_owned())));
    }

    /// Keys held (tests).
    pub fn len(&self) -> usize {
        self.with(|m| m.len())
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why signing in failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefused {
    /// Wrong username or password (or a disabled account).
    Wrong,
    /// Too many attempts from this client for this username.
    Throttled,
}

/// A new session: the token for the cookie (shown once) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The session token (only its digest is stored).
    pub token: String,
    /// The account.
    pub user_id: i64,
}

/// The actor of a parsed account, or `None` if its stored role or jurisdiction does
/// not parse.
fn actor_of(user: &User, client: Option<String>, channel: Channel) -> Option<Actor> {
    Some(Actor {
        user_id: Some(user.id),
        username: user.username.clone(),
        role: Role::parse(&user.role)?,
        jurisdiction: Jurisdiction::parse(&user.jurisdiction_kind, &user.jurisdiction_code)?,
        client,
        channel,
    })
}

/// A signed-in session: its actor and the CSRF token its forms must carry.
#[derive(Debug, Clone)]
pub struct SessionActor {
    /// Who.
    pub actor: Actor,
    /// The name shown.
    pub display_name: String,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The session's token digest (for signing out).
    pub token_hash: String,
}

/// A new account as `phongdich user add` gives it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Sign-in name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// The password (hashed here).
    pub password: String,
    /// Role.
    pub role: Role,
    /// Jurisdiction.
    pub jurisdiction: Jurisdiction,
}

fn password_rule(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            "Mật khẩu phải có ít nhất 10 ký tự.",
            "The password needs at least 10 characters.",
        ));
    }
    Ok(())
}

async fn hash_blocking(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

fn admin_only(actor: &Actor) -> AppResult<()> {
    if actor.role != Role::ProvinceAdmin || matches!(actor.channel, Channel::Token { .. }) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

impl App {
    /// Checks a username and password from `client`, throttled, and opens a session.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: &str,
    ) -> AppResult<Result<NewSession, SignInRefused>> {
        let username = username.trim();
        let now = self.now().0;
        if !self.inner.throttle.reserve(username, client, now) {
            tracing::warn!(user.name = %username, client.ip = %client, "sign-in throttled");
            return Ok(Err(SignInRefused::Throttled));
        }
        let user = self.store().user_by_username(username).await?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let password = password.to_owned();
        // argon2 is deliberately slow: off the async workers.
        let ok = tokio::task::spawn_blocking(move || {
            verify_password(&password, hash.as_deref().unwrap_or(DUMMY_HASH.as_str()))
        })
        .await
        .unwrap_or(false);
        let user = match user {
            Some(u) if ok && !u.disabled => u,
            _ => {
                tracing::info!(user.name = %username, client.ip = %client, "sign-in failed");
                return Ok(Err(SignInRefused::Wrong));
            }
        };
        self.inner.throttle.succeeded(username, client);
        let token = new_token();
        self.store()
            .insert_session(
                &token_hash(&token),
                user.id,
                &new_token(),
                now + SESSION_SECONDS,
            )
            .await?;
        tracing::info!(user.id = user.id, client.ip = %client, "signed in");
        Ok(Ok(NewSession {
            token,
            user_id: user.id,
        }))
    }

    /// The actor of a live session cookie, if any.
    pub async fn session_actor(
        &self,
        token: &str,
        client: Option<String>,
    ) -> AppResult<Option<SessionActor>> {
        let hash = token_hash(token);
        let Some(session) = self.store().live_session(&hash, self.now().0).await? else {
            return Ok(None);
        };
        Ok(
            actor_of(&session.user, client, Channel::Session).map(|actor| SessionActor {
                actor,
                display_name: session.user.display_name.clone(),
                csrf_token: session.csrf_token,
                token_hash: session.token_hash,
            }),
        )
    }

    /// The actor of a live API token, if any, with its display name.
    pub async fn token_actor(
        &self,
        token: &str,
        client: Option<String>,
    ) -> AppResult<Option<(Actor, String)>> {
        let Some((user, scope)) = self
            .store()
            .api_token_user(&token_hash(token.trim()), self.now().0)
            .await?
        else {
            return Ok(None);
        };
        let channel = Channel::Token {
            write: scope == TokenScope::Write,
        };
        Ok(actor_of(&user, client, channel).map(|a| (a, user.display_name)))
    }

    /// Ends a session (sign-out).
    pub async fn sign_out(&self, token_hash: &str) -> AppResult<()> {
        Ok(self.store().delete_session(token_hash).await?)
    }

    /// Deletes expired sessions and idempotency keys older than a day (an hourly
    /// job); returns how many of each.
    pub async fn purge_expired(&self) -> AppResult<(u64, u64)> {
        let now = self.now().0;
        let sessions = self.store().delete_expired_sessions(now).await?;
        let keys = self
            .store()
            .delete_idempotency_keys_before(now - 86_400)
            .await?;
        Ok((sessions, keys))
    }

    /// The actor changes their own password: every session and token of the account
    /// ends. `Invalid` names the field that is wrong.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
        again: &str,
    ) -> AppResult<()> {
        let user = self
            .store()
            .user_by_username(&actor.username)
            .await?
            .ok_or(AppError::NotFound)?;
        if new != again {
            return Err(AppError::invalid(
                "again",
                "Hai mật khẩu mới không giống nhau.",
                "The two new passwords differ.",
            ));
        }
        password_rule(new).map_err(|_| {
            AppError::invalid(
                "new",
                "Mật khẩu mới phải có ít nhất 10 ký tự.",
                "The new password needs at least 10 characters.",
            )
        })?;
        let (stored, current, new) = (
            user.password_hash.clone(),
            current.to_owned(),
            new.to_owned(),
        );
        let hashed = tokio::task::spawn_blocking(move || {
            verify_password(&current, &stored).then(|| hash_password(&new))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let hash = match hashed {
            None => {
                return Err(AppError::invalid(
                    "current",
                    "Mật khẩu hiện tại không đúng.",
                    "The current password is wrong.",
                ))
            }
            Some(Ok(h)) => h,
            Some(Err(e)) => return Err(AppError::Internal(format!("hashing a password: {e}"))),
        };
        let mut tx = self.store().begin().await?;
        let id = tx.set_user_password(&user.username, &hash).await?;
        tx.insert_audit_event(&self.event(
            actor,
            "update",
            "user",
            id,
            Some(serde_json::json!({"password": "changed"})),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(
            user.id = user.id,
            "password changed; sessions and tokens ended"
        );
        Ok(())
    }

    /// Creates an account (province administrators and the command line). The unit
    /// must exist and lie in the province this deployment serves.
    pub async fn add_account(&self, actor: &Actor, account: &NewAccount) -> AppResult<i64> {
        admin_only(actor)?;
        let username = account.username.trim();
        if username.is_empty() || username.len() > 64 || username.chars().any(char::is_whitespace) {
            return Err(AppError::invalid(
                "username",
                "Tên đăng nhập phải có từ 1 đến 64 ký tự, không có khoảng trắng.",
                "The username needs 1 to 64 characters without spaces.",
            ));
        }
        if account.display_name.trim().is_empty() {
            return Err(AppError::invalid(
                "display_name",
                "Cần tên hiển thị.",
                "A display name is needed.",
            ));
        }
        password_rule(&account.password)?;
        if let Jurisdiction::Unit(unit) = &account.jurisdiction {
            self.check_unit_served(unit).await?;
        }
        let hash = hash_blocking(account.password.clone()).await?;
        let (kind, code) = account.jurisdiction.parts();
        let mut tx = self.store().begin().await?;
        let id = tx
            .insert_user(&NewUser {
                username: username.to_owned(),
                display_name: account.display_name.trim().to_owned(),
                password_hash: hash,
                role: account.role.as_str().to_owned(),
                jurisdiction_kind: kind.to_owned(),
                jurisdiction_code: code.to_owned(),
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    AppError::conflict("Tên đăng nhập này đã có.", "This username is taken.")
                }
                other => other.into(),
            })?;
        tx.insert_audit_event(&self.event(
            actor,
            "create",
            "user",
            id,
            Some(serde_json::json!({
                "username": username, "role": account.role.as_str(),
                "jurisdiction": format!("{kind}:{code}"),
            })),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Refuses a unit that does not exist or lies outside the province served.
    async fn check_unit_served(&self, unit: &UnitCode) -> AppResult<()> {
        let outside = || {
            AppError::invalid(
                "unit",
                "Đơn vị này không thuộc tỉnh mà hệ thống phục vụ.",
                "This unit is not in the province this deployment serves.",
            )
        };
        let mut current = match self.store().unit(unit).await {
            Ok(u) => u,
            Err(StoreError::NotFound { .. }) => {
                return Err(AppError::invalid(
                    "unit",
                    "Không có đơn vị hành chính mang mã này.",
                    "No administrative unit has this code.",
                ))
            }
            Err(e) => return Err(e.into()),
        };
        for _ in 0..4 {
            if current.code == *self.province() {
                return Ok(());
            }
            if current.level == AdminLevel::Province {
                return Err(outside());
            }
            current = match &current.parent {
                Some(p) => self.store().unit(p).await?,
                None => return Err(outside()),
            };
        }
        Err(outside())
    }

    /// Every account.
    pub async fn accounts(&self, actor: &Actor) -> AppResult<Vec<User>> {
        admin_only(actor)?;
        Ok(self.store().users().await?)
    }

    /// Disables an account: it can no longer sign in; its sessions end.
    pub async fn disable_account(&self, actor: &Actor, username: &str) -> AppResult<()> {
        admin_only(actor)?;
        let mut tx = self.store().begin().await?;
        let id = tx.set_user_disabled(username, true).await?;
        tx.insert_audit_event(&self.event(
            actor,
            "update",
            "user",
            id,
            Some(serde_json::json!({"disabled": true})),
        ))
        .await?;
        Ok(tx.commit().await?)
    }

    /// Sets an account's password (its sessions and tokens end).
    pub async fn set_password(
        &self,
        actor: &Actor,
        username: &str,
        password: &str,
    ) -> AppResult<()> {
        admin_only(actor)?;
        password_rule(password)?;
        let hash = hash_blocking(password.to_owned()).await?;
        let mut tx = self.store().begin().await?;
        let id = tx.set_user_password(username, &hash).await?;
        tx.insert_audit_event(&self.event(
            actor,
            "update",
            "user",
            id,
            Some(serde_json::json!({"password": "set"})),
        ))
        .await?;
        Ok(tx.commit().await?)
    }

    /// Creates an API token for an account, with a scope and a lifetime in days
    /// (1 to 366); returns the token, shown once.
    pub async fn create_token(
        &self,
        actor: &Actor,
        username: &str,
        name: &str,
        scope: TokenScope,
        days: i64,
    ) -> AppResult<String> {
        admin_only(actor)?;
        if !(1..=366).contains(&days) {
            return Err(AppError::invalid(
                "days",
                "Thời hạn phải từ 1 đến 366 ngày.",
                "The lifetime must be 1 to 366 days.",
            ));
        }
        let user = self
            .store()
            .user_by_username(username)
            .await?
            .ok_or(AppError::NotFound)?;
        let token = new_token();
        let mut tx = self.store().begin().await?;
        let id = tx
            .insert_api_token(&NewApiToken {
                token_hash: token_hash(&token),
                user_id: user.id,
                name: name.trim().to_owned(),
                scope,
                expires_at: self.now().0 + days * 86_400,
            })
            .await?;
        tx.insert_audit_event(&self.event(
            actor,
            "create",
            "api_token",
            id,
            Some(serde_json::json!({"user": username, "name": name, "scope": scope.as_str(), "days": days})),
        ))
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// API tokens, of one account or all, newest first.
    pub async fn tokens(&self, actor: &Actor, username: Option<&str>) -> AppResult<Vec<ApiToken>> {
        admin_only(actor)?;
        Ok(self.store().api_tokens(username).await?)
    }

    /// Revokes an API token by id.
    pub async fn revoke_token(&self, actor: &Actor, id: i64) -> AppResult<()> {
        admin_only(actor)?;
        let mut tx = self.store().begin().await?;
        tx.revoke_api_token(id, self.now().0).await?;
        tx.insert_audit_event(&self.event(
            actor,
            "update",
            "api_token",
            id,
            Some(serde_json::json!({"revoked": true})),
        ))
        .await?;
        Ok(tx.commit().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("mật khẩu dài 123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu dài 123", &h));
        assert!(!verify_password("sai", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(same_secret(&a, &a.clone()) && !same_secret(&a, &b) && !same_secret("a", "ab"));
    }

    #[test]
    fn the_throttle_reserves_five_attempts_per_fifteen_minutes() {
        let t = Throttle::default();
        for i in 0..5 {
            assert!(t.reserve("Lan", "1.2.3.4", 1000 + i));
        }
        assert!(
            !t.reserve("lan", "1.2.3.4", 1010),
            "the sixth attempt is refused"
        );
        assert!(
            t.reserve("lan", "5.6.7.8", 1010),
            "another client is not blocked"
        );
        assert!(
            t.reserve("an", "1.2.3.4", 1010),
            "another user is not blocked"
        );
        assert!(t.reserve("lan", "1.2.3.4", 1000 + 900), "the window slides");
        t.succeeded("an", "1.2.3.4");
        assert!(t.reserve("an", "1.2.3.4", 1011));
    }

    #[test]
    fn the_throttle_map_is_bounded() {
        let t = Throttle::default();
        for i in 0..(Throttle::MAX_KEYS + 10) {
            t.reserve(&format!("u{i}"), "1.2.3.4", i as i64);
        }
        assert!(t.len() <= Throttle::MAX_KEYS);
        // The most recent clients are still counted.
        let last = format!("u{}", Throttle::MAX_KEYS + 9);
        for _ in 0..4 {
            assert!(t.reserve(&last, "1.2.3.4", (Throttle::MAX_KEYS + 9) as i64));
        }
        assert!(!t.reserve(&last, "1.2.3.4", (Throttle::MAX_KEYS + 9) as i64));
    }
}
