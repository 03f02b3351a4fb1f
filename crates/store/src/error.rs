//! The store's error type: a few kinds that callers act on (not found, conflict,
//! invalid input), the rest is the database's.

use std::borrow::Cow;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{what} `{key}` not found")]
    NotFound {
        /// What was looked up ("person", "administrative unit"...).
        what: &'static str,
        /// The key it was looked up by.
        key: String,
    },
    /// A write would break a uniqueness rule (a duplicate identity number or ref).
    /// The message names the value and is fit to show a user.
    #[error("{0}")]
    Conflict(String),
    /// The input breaks a rule the store enforces (an unknown reference, a bad value).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The database URL names no backend this store knows.
    #[error("unsupported database URL `{0}`: expected sqlite:... or postgres://...")]
    UnsupportedUrl(String),
    /// A stored value does not parse back into its domain type (a corrupt row).
    #[error("corrupt stored value in {column}: `{value}`")]
    Corrupt {
        /// Table and column.
        column: &'static str,
        /// The stored text.
        value: String,
    },
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

/// Result with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        classify(err, |_| None)
    }
}

/// Turns constraint violations into [`StoreError::Conflict`] or
/// [`StoreError::Invalid`]; `describe` gets the constraint text (PostgreSQL's constraint
/// name or SQLite's message) and may say in words which value collided.
pub(crate) fn classify(err: sqlx::Error, describe: impl Fn(&str) -> Option<String>) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        let detail: Cow<'_, str> = match db.constraint() {
            Some(c) => Cow::Owned(format!("{c}: {}", db.message())),
            None => Cow::Borrowed(db.message()),
        };
        if db.is_unique_violation() {
            let msg = describe(&detail).unwrap_or_else(|| format!("duplicate value ({detail})"));
            return StoreError::Conflict(msg);
        }
        if db.is_foreign_key_violation() {
            return StoreError::Invalid(format!(
                "reference to something that does not exist ({detail})"
            ));
        }
        if db.is_check_violation() {
            return StoreError::Invalid(format!("value breaks a rule ({detail})"));
        }
    }
    StoreError::Database(err)
}
