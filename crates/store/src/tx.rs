//! Write transactions ([`Tx`]): a change to personal data and its audit event commit
//! together or not at all; idempotency keys, so that a retried write answers with what
//! its first try made instead of writing twice.
//!
//! The single-row writes of a [`Tx`] are the same functions as the [`Store`] methods of
//! the same name (`insert_row`, `audit::insert_event`, `users::insert_user`,
//! `tokens::insert_token`...), run on the transaction's connection instead of a pooled
//! one; the account changes of several statements (`users::set_password`,
//! `users::set_disabled`) are [`Tx`] methods that the [`Store`] ones wrap in a
//! transaction of their own.

use crate::audit::{self, NewAuditEvent};
use crate::cases::{case_conflict, NewCase, NewTest};
use crate::contacts::NewContact;
use crate::error::{classify, Result};
use crate::tokens::{self, NewApiToken};
use crate::users::{self, NewUser};
use crate::{insert_row, Store};
use sqlx::{Any, AnyConnection, Executor, Transaction};
use std::fmt;
use std::ops::{Deref, DerefMut};
use tokio::sync::OwnedMutexGuard;

/// One write transaction: a change and its audit event commit together or not at all.
///
/// Started by [`Store::begin`]; nothing it writes is visible to others until
/// [`Tx::commit`]. Dropping it without committing rolls everything back.
///
/// After a write fails (a [`crate::StoreError::Conflict`], say), drop the transaction:
/// PostgreSQL refuses every later statement of a transaction in which one failed.
pub struct Tx {
    pub(crate) tx: TxConn,
    /// The process's turn to write on SQLite ([`Store::write_gate`]), held to the end.
    _gate: Option<OwnedMutexGuard<WriteTurn>>,
}

/// The connection of a [`Tx`], which it derefs to.
pub(crate) enum TxConn {
    /// A transaction on a pooled connection.
    Pooled(Transaction<'static, Any>),
    /// The group commit's writer connection on SQLite ([`Store::begin_batch`]),
    /// inside `begin immediate`; it goes back to `turn` at commit (the turn, held
    /// meanwhile, is the process's turn to write). Dropped without a commit, the
    /// connection closes, which rolls the transaction back, and the next batch opens
    /// another.
    Held {
        conn: AnyConnection,
        turn: OwnedMutexGuard<WriteTurn>,
    },
}

impl Deref for TxConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            TxConn::Pooled(tx) => tx,
            TxConn::Held { conn, .. } => conn,
        }
    }
}

impl DerefMut for TxConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            TxConn::Pooled(tx) => tx,
            TxConn::Held { conn, .. } => conn,
        }
    }
}

/// What the process's turn to write on SQLite guards ([`Store::write_gate`]): the
/// group commit's writer connection between its transactions.
///
/// sqlx returns a pooled connection to its pool through a task of its own that pings
/// it first; the writer's next batch waited for that, about a millisecond of every
/// 6.5 ms batch cycle under a load of check-ins (docs/benchmarks.md, section 9). Kept
/// here, out of the pool, the connection is ready for the next batch at once, with its
/// page cache.
#[derive(Default)]
pub(crate) struct WriteTurn {
    batch: Option<AnyConnection>,
}

impl fmt::Debug for Tx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}

impl Store {
    /// Starts a write transaction.
    ///
    /// On SQLite it takes the database's write lock at once (`begin immediate`),
    /// waiting for another writer to finish (up to the busy timeout, 10 s): a deferred
    /// transaction that read first and wrote later would fail with "database is locked"
    /// whenever another writer committed in between. So a [`Tx`] holds off every other
    /// writer (not readers) until it ends: keep it short, and do the reads a write
    /// depends on before `begin` or inside the transaction, not between its statements
    /// and a slow computation. On PostgreSQL it is a plain `begin` (read committed).
    pub async fn begin(&self) -> Result<Tx> {
        let gate = self.write_gate().await;
        let tx = match self.inner.backend.begin_write_sql() {
            Some(sql) => self.pool().begin_with(sql).await?,
            None => self.pool().begin().await?,
        };
        Ok(Tx {
            tx: TxConn::Pooled(tx),
            _gate: gate,
        })
    }

    /// On SQLite, this process's turn to write: the writes of its tasks queue here, in
    /// order, rather than in SQLite's busy handler, which sleeps 1, 2, 5... up to
    /// 100 ms between tries and so gave a write behind a few others a wait of tens of
    /// milliseconds (the write p95 of docs/benchmarks.md, section 8). Held by every
    /// [`Tx`] and by [`Store::insert_audit_event`]; never taken twice by one task (a
    /// second write while a [`Tx`] is open would have waited for SQLite's lock anyway).
    /// Other processes (an import) still meet SQLite's lock. `None` on PostgreSQL.
    pub(crate) async fn write_gate(&self) -> Option<OwnedMutexGuard<WriteTurn>> {
        match &self.inner.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        }
    }

    /// Starts a write transaction of the group commit's writer (`phongdich_app`'s
    /// `commit_queue`), as [`Store::begin`] does, on a connection of its own on SQLite
    /// (whose page cache then survives from one batch to the next, kept in the
    /// process's turn to write: [`WriteTurn`]); on PostgreSQL on the shared pool.
    pub async fn begin_batch(&self) -> Result<Tx> {
        let (Some(pool), Some(mut turn)) =
            (self.inner.backend.batch_pool(), self.write_gate().await)
        else {
            return self.begin().await;
        };
        let mut conn = match turn.batch.take() {
            Some(conn) => conn,
            None => pool.acquire().await?.detach(),
        };
        let sql = self
            .inner
            .backend
            .begin_write_sql()
            .unwrap_or("begin immediate");
        conn.execute(sql).await?;
        Ok(Tx {
            tx: TxConn::Held { conn, turn },
            _gate: None,
        })
    }

    /// Closes the group commit's SQLite connection kept between batches, once the
    /// batch writing now (if any) has ended; the next batch opens another.
    pub(crate) async fn close_batch_connection(&self) {
        if let Some(mut turn) = self.write_gate().await {
            if let Some(conn) = turn.batch.take() {
                if let Err(e) = sqlx::Connection::close(conn).await {
                    tracing::debug!(error = %e, "closing the writer's connection");
                }
            }
        }
    }

    /// What the first use of an idempotency key made: (action, entity_id); `None` if
    /// `user_id` never used `key` (or the transaction that used it rolled back).
    pub async fn idempotent_result(
        &self,
        user_id: i64,
        key: &str,
    ) -> Result<Option<(String, String)>> {
        Ok(sqlx::query_as(
            "select action, entity_id from idempotency_key where user_id = $1 and client_key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Deletes the idempotency keys first used before `before` (Unix seconds); returns
    /// how many. A retry arrives within minutes: keys a day old only take room.
    pub async fn delete_idempotency_keys_before(&self, before: i64) -> Result<u64> {
        Ok(
            sqlx::query("delete from idempotency_key where created_at < $1")
                .bind(before)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}

impl Tx {
    /// Stores a case; a person has at most one: a second is a
    /// [`crate::StoreError::Conflict`] saying "this person is already a case" (also when
    /// another transaction stored it first and committed while this one waited).
    pub async fn insert_case(&mut self, case: &NewCase) -> Result<i64> {
        insert_row(&mut self.tx, case, case_conflict).await
    }

    /// Stores a test; returns its id.
    pub async fn insert_test(&mut self, test: &NewTest) -> Result<i64> {
        insert_row(&mut self.tx, test, |_| None).await
    }

    /// Stores a contact; returns its id.
    pub async fn insert_contact(&mut self, c: &NewContact) -> Result<i64> {
        insert_row(&mut self.tx, c, |_| None).await
    }

    /// Records an audit event; returns its id. An unknown action is
    /// [`crate::StoreError::Invalid`].
    pub async fn insert_audit_event(&mut self, e: &NewAuditEvent) -> Result<i64> {
        audit::insert_event(&mut self.tx, e).await
    }

    /// Records many audit events, in multi-row statements of 200.
    pub async fn insert_audit_events(&mut self, events: &[NewAuditEvent]) -> Result<()> {
        audit::insert_events(&mut self.tx, events).await
    }

    /// Creates an account; returns its id. A taken username is a
    /// [`crate::StoreError::Conflict`] saying "username ... is already taken".
    pub async fn insert_user(&mut self, user: &NewUser) -> Result<i64> {
        users::insert_user(&mut self.tx, user).await
    }

    /// Replaces the password hash of `username`, records when (`password_changed_at`),
    /// ends its sessions and revokes its API tokens, as [`Store::set_user_password`]
    /// does; returns the account's id (for the audit event). An unknown username is
    /// [`crate::StoreError::NotFound`]; nothing is written then, so the transaction can
    /// go on.
    pub async fn set_user_password(&mut self, username: &str, password_hash: &str) -> Result<i64> {
        users::set_password(&mut self.tx, username, password_hash).await
    }

    /// Disables (or re-enables) `username`; disabling ends its sessions. Returns the
    /// account's id; an unknown username is [`crate::StoreError::NotFound`] (nothing
    /// written, the transaction can go on).
    pub async fn set_user_disabled(&mut self, username: &str, disabled: bool) -> Result<i64> {
        users::set_disabled(&mut self.tx, username, disabled).await
    }

    /// Records an API token (its digest); returns its id. A digest already recorded is a
    /// [`crate::StoreError::Conflict`]; an unknown account [`crate::StoreError::Invalid`].
    pub async fn insert_api_token(&mut self, t: &NewApiToken) -> Result<i64> {
        tokens::insert_token(&mut self.tx, t).await
    }

    /// Revokes API token `id` at `now`, keeping the first revocation time of a revoked
    /// one; an unknown id is [`crate::StoreError::NotFound`] (nothing written, the
    /// transaction can go on).
    pub async fn revoke_api_token(&mut self, id: i64, now: i64) -> Result<()> {
        tokens::revoke_token(&mut self.tx, id, now).await
    }

    /// Records that `user_id` used idempotency `key` for `action`, which made
    /// `entity_id`, at `at` (Unix seconds).
    ///
    /// A key already used by the same user is a [`crate::StoreError::Conflict`]: the
    /// caller drops this transaction (rolling back what it wrote) and answers with what
    /// the first use made, from [`Store::idempotent_result`]. When two tries race, the
    /// second waits here until the first commits (then conflicts) or rolls back (then
    /// goes on). Another user may use the same key.
    pub async fn insert_idempotency_key(
        &mut self,
        user_id: i64,
        key: &str,
        action: &str,
        entity_id: &str,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "insert into idempotency_key (user_id, client_key, action, entity_id, created_at, \
             updated_at) values ($1, $2, $3, $4, $5, $5)",
        )
        .bind(user_id)
        .bind(key)
        .bind(action)
        .bind(entity_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| {
            classify(e, |d| {
                (d.contains("idempotency_key") || d.contains("client_key"))
                    .then(|| "this idempotency key was already used".to_owned())
            })
        })?;
        Ok(())
    }

    /// Marks a point this transaction can roll back to without ending
    /// ([`Tx::rollback_to_savepoint`]): a group commit wraps each of its jobs in one,
    /// so that a failing job undoes only its own writes. Not nested: one at a time.
    pub async fn savepoint(&mut self) -> Result<()> {
        sqlx::query("savepoint job").execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Keeps what was written since [`Tx::savepoint`] (it commits with the rest).
    pub async fn release_savepoint(&mut self) -> Result<()> {
        sqlx::query("release savepoint job")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Undoes what was written since [`Tx::savepoint`] and ends it; the transaction
    /// goes on (also on PostgreSQL after a failed statement).
    pub async fn rollback_to_savepoint(&mut self) -> Result<()> {
        sqlx::query("rollback to savepoint job")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("release savepoint job")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Makes everything written visible at once.
    pub async fn commit(self) -> Result<()> {
        self.end(true).await
    }

    /// Rolls back now (dropping the transaction does too, later on PostgreSQL's
    /// pooled connections; on the writer's SQLite connection by closing it).
    pub async fn rollback(self) -> Result<()> {
        self.end(false).await
    }

    /// Commits or rolls back; the writer's SQLite connection goes back to its turn.
    async fn end(self, commit: bool) -> Result<()> {
        match self.tx {
            TxConn::Pooled(tx) if commit => tx.commit().await?,
            TxConn::Pooled(tx) => tx.rollback().await?,
            TxConn::Held { mut conn, mut turn } => {
                conn.execute(if commit { "commit" } else { "rollback" })
                    .await?;
                turn.batch = Some(conn);
            }
        }
        Ok(())
    }
}
