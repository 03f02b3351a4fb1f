//! API tokens (`api_token`): long-lived bearer tokens for scripts and other systems,
//! scoped like the account that owns them. Stored only as SHA-256 digests.

use crate::error::{classify, Result, StoreError};
use crate::users::{user_from_row, User, USER_COLUMNS};
use crate::{now_seconds, Store};

impl Store {
    /// Records a token (its digest) for an account.
    pub async fn insert_api_token(&self, token_hash: &str, user_id: i64, name: &str) -> Result<()> {
        let now = now_seconds();
        sqlx::query(
            "insert into api_token (token_hash, user_id, name, created_at, updated_at) \
             values ($1, $2, $3, $4, $4)",
        )
        .bind(token_hash.to_owned())
        .bind(user_id)
        .bind(name.to_owned())
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(|e| classify(e, |_| Some("this token already exists".to_owned())))?;
        Ok(())
    }

    /// The enabled account owning the token with this digest, if any; records the use.
    pub async fn api_token_user(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "select {USER_COLUMNS} from api_token join app_user on app_user.id = api_token.user_id \
             where api_token.token_hash = $1 and not app_user.disabled"
        ))
        .bind(token_hash.to_owned())
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::Database)?;
        let Some(row) = row else { return Ok(None) };
        sqlx::query(
            "update api_token set last_used_at = $1, updated_at = $1 where token_hash = $2",
        )
        .bind(now)
        .bind(token_hash.to_owned())
        .execute(self.pool())
        .await
        .map_err(StoreError::Database)?;
        user_from_row(&row).map(Some)
    }
}
