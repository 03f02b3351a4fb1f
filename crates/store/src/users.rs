//! Staff accounts (`app_user`). The store keeps roles and jurisdictions as their text
//! forms; the web app parses them into its own types and hashes passwords (argon2)
//! before they reach here.

use crate::error::{classify, Result, StoreError};
use crate::{now_seconds, Store};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A staff account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Sign-in name, unique.
    pub username: String,
    /// Name shown in the app and the audit log.
    pub display_name: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Role (`province_admin`, `commune_officer`...).
    pub role: String,
    /// `unit` (an administrative unit code) or `place` (a facility, checkpoint or operator).
    pub jurisdiction_kind: String,
    /// The unit code or place reference.
    pub jurisdiction_code: String,
}

/// A stored staff account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// argon2 PHC string (redacted in `Debug`).
    pub password_hash: String,
    /// Role text.
    pub role: String,
    /// `unit` or `place`.
    pub jurisdiction_kind: String,
    /// Unit code or place reference.
    pub jurisdiction_code: String,
    /// A disabled account cannot sign in and its sessions are gone.
    pub disabled: bool,
    /// Created, Unix seconds.
    pub created_at: i64,
    /// Last changed, Unix seconds.
    pub updated_at: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("jurisdiction_kind", &self.jurisdiction_kind)
            .field("jurisdiction_code", &self.jurisdiction_code)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

pub(crate) const USER_COLUMNS: &str = "app_user.id, app_user.username, app_user.display_name, \
     app_user.password_hash, app_user.role, app_user.jurisdiction_kind, \
     app_user.jurisdiction_code, \
     cast(case when app_user.disabled then 1 else 0 end as bigint) as disabled, app_user.created_at, app_user.updated_at";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id").map_err(StoreError::Database)?,
        username: row.try_get("username").map_err(StoreError::Database)?,
        display_name: row.try_get("display_name").map_err(StoreError::Database)?,
        password_hash: row.try_get("password_hash").map_err(StoreError::Database)?,
        role: row.try_get("role").map_err(StoreError::Database)?,
        jurisdiction_kind: row
            .try_get("jurisdiction_kind")
            .map_err(StoreError::Database)?,
        jurisdiction_code: row
            .try_get("jurisdiction_code")
            .map_err(StoreError::Database)?,
        disabled: row
            .try_get::<i64, _>("disabled")
            .map_err(StoreError::Database)?
            != 0,
        created_at: row.try_get("created_at").map_err(StoreError::Database)?,
        updated_at: row.try_get("updated_at").map_err(StoreError::Database)?,
    })
}

/// Creates an account on `conn` (a pooled connection or an open [`crate::Tx`]); a taken
/// username is a [`StoreError::Conflict`] ("username ... is already taken").
pub(crate) async fn insert_user(conn: &mut AnyConnection, user: &NewUser) -> Result<i64> {
    let now = now_seconds();
    let row = sqlx::query(
        "insert into app_user (username, display_name, password_hash, role, \
         jurisdiction_kind, jurisdiction_code, disabled, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, false, $7, $7) returning id",
    )
    .bind(user.username.as_str())
    .bind(user.display_name.as_str())
    .bind(user.password_hash.as_str())
    .bind(user.role.as_str())
    .bind(user.jurisdiction_kind.as_str())
    .bind(user.jurisdiction_code.as_str())
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| {
        classify(e, |_| {
            Some(format!("username {} is already taken", user.username))
        })
    })?;
    row.try_get("id").map_err(StoreError::Database)
}

/// Replaces the password hash of `username` on `conn`, records when
/// (`password_changed_at`), ends its sessions and revokes its API tokens; returns its id.
/// Three statements: `conn` must be in a transaction. An unknown username is
/// [`StoreError::NotFound`], before anything is written.
pub(crate) async fn set_password(
    conn: &mut AnyConnection,
    username: &str,
    password_hash: &str,
) -> Result<i64> {
    let now = now_seconds();
    // The lookup is the update's `returning`: one statement finds and changes the row.
    let id: Option<i64> = sqlx::query_scalar(
        "update app_user set password_hash = $1, password_changed_at = $2, updated_at = $2 \
         where username = $3 returning id",
    )
    .bind(password_hash)
    .bind(now)
    .bind(username)
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::Database)?;
    let id = id.ok_or_else(|| user_not_found(username))?;
    sqlx::query("delete from session where user_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::Database)?;
    sqlx::query(
        "update api_token set revoked_at = $1, updated_at = $1 \
         where user_id = $2 and revoked_at is null",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::Database)?;
    Ok(id)
}

/// Disables (or re-enables) `username` on `conn`; disabling ends its sessions (a second
/// statement: `conn` must be in a transaction). Returns its id; an unknown username is
/// [`StoreError::NotFound`], before anything is written.
pub(crate) async fn set_disabled(
    conn: &mut AnyConnection,
    username: &str,
    disabled: bool,
) -> Result<i64> {
    let id: Option<i64> = sqlx::query_scalar(
        "update app_user set disabled = $1, updated_at = $2 where username = $3 returning id",
    )
    .bind(disabled)
    .bind(now_seconds())
    .bind(username)
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::Database)?;
    let id = id.ok_or_else(|| user_not_found(username))?;
    if disabled {
        sqlx::query("delete from session where user_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(StoreError::Database)?;
    }
    Ok(id)
}

fn user_not_found(username: &str) -> StoreError {
    StoreError::NotFound {
        what: "user",
        key: username.to_owned(),
    }
}

impl Store {
    /// Creates an account; a taken username is a [`StoreError::Conflict`]. To record it
    /// with its audit event, use [`crate::Tx::insert_user`].
    pub async fn insert_user(&self, user: &NewUser) -> Result<i64> {
        let mut conn = self.pool().acquire().await?;
        insert_user(&mut conn, user).await
    }

    /// The account with this username, if any.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "select {USER_COLUMNS} from app_user where username = $1"
        ))
        .bind(username.to_owned())
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::Database)?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Every account, by username.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "select {USER_COLUMNS} from app_user order by username"
        ))
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(user_from_row).collect()
    }

    /// Replaces an account's password hash, ends its sessions and revokes its API
    /// tokens, in one transaction; records when (`password_changed_at`), so that a
    /// token created before it never works again (see [`Store::api_token_user`]). An
    /// unknown username is [`StoreError::NotFound`]. To record it with its audit event,
    /// use [`crate::Tx::set_user_password`].
    pub async fn set_user_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.set_user_password(username, password_hash).await?;
        tx.commit().await
    }

    /// Disables (or re-enables) an account; disabling ends its sessions. An unknown
    /// username is [`StoreError::NotFound`]. To record it with its audit event, use
    /// [`crate::Tx::set_user_disabled`].
    pub async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.set_user_disabled(username, disabled).await?;
        tx.commit().await
    }

    /// The id of the account `username`; [`StoreError::NotFound`] if there is none.
    pub(crate) async fn user_id(&self, username: &str) -> Result<i64> {
        self.user_by_username(username)
            .await?
            .map(|u| u.id)
            .ok_or_else(|| user_not_found(username))
    }
}
