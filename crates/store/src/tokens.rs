//! API tokens (`api_token`): bearer tokens for scripts and other systems, acting as the
//! account that owns them (its role and jurisdiction), limited to reading or allowed to
//! write ([`TokenScope`]), expiring, and revocable. Stored only as SHA-256 digests.
//!
//! A token stops working when it expires, when it is revoked, when its account is
//! disabled, and when its account's password changes ([`Store::set_user_password`]
//! revokes the account's tokens; [`Store::api_token_user`] also refuses any token
//! created before the last change).

use crate::error::{classify, Result, StoreError};
use crate::users::{user_from_row, User, USER_COLUMNS};
use crate::{corrupt, now_seconds, Store};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// [`Store::api_token_user`] records a token's use (`last_used_at`) only when the last
/// recorded use is at least this many seconds old: a script polling every second does
/// not write a row every second, and "last used" stays right to five minutes.
pub const TOKEN_USE_RESOLUTION_SECONDS: i64 = 300;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenScope {
    /// Read only: the API's `GET` routes.
    Read,
    /// Read and write, within the account's role.
    Write,
}

impl TokenScope {
    /// Stable name: `read` or `write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// The scope named by [`TokenScope::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            _ => None,
        }
    }
}

/// A token to record.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApiToken {
    /// SHA-256 hex of the token (redacted in `Debug`).
    pub token_hash: String,
    /// The account it acts as.
    pub user_id: i64,
    /// A name for people (`lab-import`), not unique.
    pub name: String,
    /// What it may do.
    pub scope: TokenScope,
    /// When it stops working, Unix seconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiToken")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A recorded token, without its digest (for lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Id, to revoke it by.
    pub id: i64,
    /// The account it acts as.
    pub user_id: i64,
    /// That account's username.
    pub username: String,
    /// Its name.
    pub name: String,
    /// What it may do.
    pub scope: TokenScope,
    /// Created, Unix seconds.
    pub created_at: i64,
    /// When it stops working; `None` only for tokens made before expiry existed.
    pub expires_at: Option<i64>,
    /// Last use, to [`TOKEN_USE_RESOLUTION_SECONDS`]; `None` if never used.
    pub last_used_at: Option<i64>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
}

fn scope_from(column: &'static str, s: &str) -> Result<TokenScope> {
    TokenScope::parse(s).ok_or_else(|| corrupt(column, s))
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    let scope: String = row.try_get("scope")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        name: row.try_get("name")?,
        scope: scope_from("api_token.scope", &scope)?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// Records a token (its digest) on `conn` (a pooled connection or an open
/// [`crate::Tx`]); returns its id. A digest already recorded is a
/// [`StoreError::Conflict`]; an unknown account [`StoreError::Invalid`].
pub(crate) async fn insert_token(conn: &mut AnyConnection, t: &NewApiToken) -> Result<i64> {
    let now = now_seconds();
    sqlx::query_scalar(
        "insert into api_token (token_hash, user_id, name, scope, expires_at, created_at, \
         updated_at) values ($1, $2, $3, $4, $5, $6, $6) returning id",
    )
    .bind(t.token_hash.as_str())
    .bind(t.user_id)
    .bind(t.name.as_str())
    .bind(t.scope.as_str())
    .bind(t.expires_at)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| classify(e, |_| Some("this token already exists".to_owned())))
}

/// Revokes token `id` at `now` on `conn`, keeping the first revocation time of a revoked
/// one; an unknown id is [`StoreError::NotFound`].
pub(crate) async fn revoke_token(conn: &mut AnyConnection, id: i64, now: i64) -> Result<()> {
    let done = sqlx::query(
        "update api_token set revoked_at = coalesce(revoked_at, $1), updated_at = $1 \
         where id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            what: "API token",
            key: id.to_string(),
        });
    }
    Ok(())
}

impl Store {
    /// Records a token (its digest) for an account; returns its id. A digest already
    /// recorded is a [`StoreError::Conflict`]; an unknown account [`StoreError::Invalid`].
    /// To record it with its audit event, use [`crate::Tx::insert_api_token`].
    pub async fn insert_api_token(&self, t: &NewApiToken) -> Result<i64> {
        let mut conn = self.pool().acquire().await?;
        insert_token(&mut conn, t).await
    }

    /// The enabled account and scope of a live token: not expired at `now`, not revoked,
    /// and created after the account's last password change (the same second counts as
    /// after; a token made before the change in that second was revoked by it).
    ///
    /// Records the use in `last_used_at` at most once per
    /// [`TOKEN_USE_RESOLUTION_SECONDS`]: most calls only read.
    pub async fn api_token_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(User, TokenScope)>> {
        let row = sqlx::query(&format!(
            "select {USER_COLUMNS}, api_token.id as token_id, api_token.scope as token_scope, \
             api_token.last_used_at as token_last_used_at \
             from api_token join app_user on app_user.id = api_token.user_id \
             where api_token.token_hash = $1 and not app_user.disabled \
             and api_token.revoked_at is null \
             and (api_token.expires_at is null or api_token.expires_at > $2) \
             and (app_user.password_changed_at is null \
                  or api_token.created_at >= app_user.password_changed_at)"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::Database)?;
        let Some(row) = row else { return Ok(None) };
        let token_id: i64 = row.try_get("token_id")?;
        let scope: String = row.try_get("token_scope")?;
        let last_used: Option<i64> = row.try_get("token_last_used_at")?;
        if last_used.is_none_or(|t| now - t >= TOKEN_USE_RESOLUTION_SECONDS) {
            // The condition is repeated so that concurrent uses write once.
            sqlx::query(
                "update api_token set last_used_at = $1, updated_at = $1 \
                 where id = $2 and (last_used_at is null or last_used_at <= $3)",
            )
            .bind(now)
            .bind(token_id)
            .bind(now.saturating_sub(TOKEN_USE_RESOLUTION_SECONDS))
            .execute(self.pool())
            .await?;
        }
        Ok(Some((
            user_from_row(&row)?,
            scope_from("api_token.scope", &scope)?,
        )))
    }

    /// The tokens of the account `username` (every account's for `None`), newest
    /// first, revoked and expired ones included. An unknown username is
    /// [`StoreError::NotFound`].
    pub async fn api_tokens(&self, username: Option<&str>) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "select api_token.id, api_token.user_id, app_user.username, api_token.name, \
             api_token.scope, api_token.created_at, api_token.expires_at, \
             api_token.last_used_at, api_token.revoked_at \
             from api_token join app_user on app_user.id = api_token.user_id \
             where (cast($1 as text) is null or app_user.username = $1) \
             order by api_token.created_at desc, api_token.id desc",
        )
        .bind(username)
        .fetch_all(self.pool())
        .await?;
        if let (Some(name), true) = (username, rows.is_empty()) {
            // No tokens, or no such account: say which.
            self.user_id(name).await?;
        }
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a token at `now`: it stops working at once. Revoking a revoked token
    /// keeps the first revocation time; an unknown id is [`StoreError::NotFound`]. To
    /// record it with its audit event, use [`crate::Tx::revoke_api_token`].
    pub async fn revoke_api_token(&self, id: i64, now: i64) -> Result<()> {
        let mut conn = self.pool().acquire().await?;
        revoke_token(&mut conn, id, now).await
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::{all_backends, all_backends_unmigrated};
    use crate::BackendKind;
    use sqlx::migrate::Migrator;
    use std::borrow::Cow;

    #[tokio::test]
    async fn tokens_from_before_0007_get_ids_and_keep_writing() {
        for db in all_backends_unmigrated().await.unwrap() {
            let s = &db.store;
            let name = db.name();
            let all = match s.backend() {
                BackendKind::Sqlite => &crate::sqlite::MIGRATOR,
                BackendKind::Postgres => &crate::postgres::MIGRATOR,
            };
            let before = Migrator {
                migrations: Cow::Owned(
                    all.migrations
                        .iter()
                        .filter(|m| m.version < 7)
                        .cloned()
                        .collect(),
                ),
                ..Migrator::DEFAULT
            };
            before.run(s.pool()).await.unwrap();
            sqlx::query(
                "insert into app_user (username, display_name, password_hash, role, \
                 jurisdiction_kind, jurisdiction_code) \
                 values ('an', 'An', 'x', 'province_admin', 'unit', '12')",
            )
            .execute(s.pool())
            .await
            .unwrap();
            for hash in ["old-1", "old-2"] {
                sqlx::query(
                    "insert into api_token (token_hash, user_id, name, created_at, updated_at) \
                     select $1, id, 'script', 100, 100 from app_user",
                )
                .bind(hash)
                .execute(s.pool())
                .await
                .unwrap();
            }
            s.migrate().await.unwrap();

            let tokens = s.api_tokens(None).await.unwrap();
            assert_eq!(tokens.len(), 2, "{name}");
            assert!(tokens[0].id != tokens[1].id, "{name}");
            for t in &tokens {
                assert_eq!(t.scope, TokenScope::Write, "{name}");
                assert_eq!((t.expires_at, t.revoked_at), (None, None), "{name}");
            }
            let (_, scope) = s.api_token_user("old-1", 1_000).await.unwrap().unwrap();
            assert_eq!(scope, TokenScope::Write, "{name}");
            // New tokens are numbered after the old ones, and an unset scope is read.
            let new = s
                .insert_api_token(&NewApiToken {
                    token_hash: "new".to_owned(),
                    user_id: tokens[0].user_id,
                    name: "new".to_owned(),
                    scope: TokenScope::Read,
                    expires_at: 2_000,
                })
                .await
                .unwrap();
            assert!(tokens.iter().all(|t| t.id < new), "{name}");
            sqlx::query(
                "insert into api_token (token_hash, user_id, name) select 'bare', id, 'b' from app_user",
            )
            .execute(s.pool())
            .await
            .unwrap();
            let (_, scope) = s.api_token_user("bare", 1_000).await.unwrap().unwrap();
            assert_eq!(scope, TokenScope::Read, "{name}");
            revoke_and_check(s, name).await;
        }
    }

    /// Revoking by the new ids works on migrated rows.
    async fn revoke_and_check(s: &Store, name: &str) {
        for t in s.api_tokens(None).await.unwrap() {
            s.revoke_api_token(t.id, 5_000).await.unwrap();
        }
        assert!(
            s.api_token_user("old-2", 1_000).await.unwrap().is_none(),
            "{name}"
        );
    }

    #[tokio::test]
    async fn a_token_created_before_the_password_change_never_works_again() {
        for db in all_backends().await.unwrap() {
            let s = &db.store;
            let name = db.name();
            let id = s
                .insert_user(&crate::NewUser {
                    username: "an".to_owned(),
                    display_name: "An".to_owned(),
                    password_hash: "x".to_owned(),
                    role: "province_admin".to_owned(),
                    jurisdiction_kind: "unit".to_owned(),
                    jurisdiction_code: "12".to_owned(),
                })
                .await
                .unwrap();
            let now = now_seconds();
            s.insert_api_token(&NewApiToken {
                token_hash: "t".to_owned(),
                user_id: id,
                name: "t".to_owned(),
                scope: TokenScope::Write,
                expires_at: now + 3_600,
            })
            .await
            .unwrap();
            s.set_user_password("an", "y").await.unwrap();
            // Even un-revoked (say, restored from a backup), a token older than the
            // password is refused.
            sqlx::query("update api_token set revoked_at = null, created_at = created_at - 10")
                .execute(s.pool())
                .await
                .unwrap();
            assert!(
                s.api_token_user("t", now).await.unwrap().is_none(),
                "{name}"
            );
            // Created in the second of the change: after it.
            sqlx::query(
                "update api_token set created_at = \
                 (select password_changed_at from app_user where app_user.id = api_token.user_id)",
            )
            .execute(s.pool())
            .await
            .unwrap();
            assert!(
                s.api_token_user("t", now).await.unwrap().is_some(),
                "{name}"
            );
        }
    }
}
