//! Sign-in sessions (`session`): the cookie's token is stored only as its SHA-256
//! digest, with the session's CSRF token and expiry.

use crate::error::{Result, StoreError};
use crate::users::{user_from_row, User, USER_COLUMNS};
use crate::{now_seconds, Store};
use sqlx::Row;

/// A live session and its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 hex of the cookie's token.
    pub token_hash: String,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// The signed-in account.
    pub user: User,
}

impl Store {
    /// Records a new session.
    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: i64,
    ) -> Result<()> {
        let now = now_seconds();
        sqlx::query(
            "insert into session (token_hash, user_id, csrf_token, expires_at, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $5)",
        )
        .bind(token_hash.to_owned())
        .bind(user_id)
        .bind(csrf_token.to_owned())
        .bind(expires_at)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(StoreError::Database)?;
        Ok(())
    }

    /// The session with this token digest, if it exists, has not expired at `now` and
    /// its account is enabled.
    pub async fn live_session(&self, token_hash: &str, now: i64) -> Result<Option<Session>> {
        let row = sqlx::query(&format!(
            "select session.token_hash, session.csrf_token, session.expires_at, {USER_COLUMNS} \
             from session join app_user on app_user.id = session.user_id \
             where session.token_hash = $1 and session.expires_at > $2 and not app_user.disabled"
        ))
        .bind(token_hash.to_owned())
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::Database)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Session {
            token_hash: row.try_get("token_hash").map_err(StoreError::Database)?,
            csrf_token: row.try_get("csrf_token").map_err(StoreError::Database)?,
            expires_at: row.try_get("expires_at").map_err(StoreError::Database)?,
            user: user_from_row(&row)?,
        }))
    }

    /// Deletes the sessions expired at `now` (those [`Store::live_session`] no longer
    /// returns); returns how many. Run it now and then: expired sessions are refused
    /// anyway, deleting them only keeps the table small.
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
        Ok(sqlx::query("delete from session where expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?
            .rows_affected())
    }

    /// Ends a session (sign-out); ending a session that is gone is not an error.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("delete from session where token_hash = $1")
            .bind(token_hash.to_owned())
            .execute(self.pool())
            .await
            .map_err(StoreError::Database)?;
        Ok(())
    }
}
