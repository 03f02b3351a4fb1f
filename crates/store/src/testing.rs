//! Fresh databases for tests (feature `testing`): a new SQLite file in a temporary
//! directory, or a new, uniquely named PostgreSQL database created on the server that
//! `PHONGDICH_TEST_PG` names and dropped when the test is done.
//!
//! Without `PHONGDICH_TEST_PG` the PostgreSQL half is skipped, except under `CI=true`,
//! where [`all_backends`] and [`fresh_postgres`] fail: CI must test both databases.

use crate::{Store, StoreError};
use std::sync::atomic::{AtomicU32, Ordering};

/// The variable holding the URL of a PostgreSQL server for tests
/// (`postgres://postgres@127.0.0.1:5432/test`); any database on it works, tests create
/// their own next to it.
pub const TEST_PG_VAR: &str = "PHONGDICH_TEST_PG";

/// A migrated store on a database of its own, removed on drop.
#[derive(Debug)]
pub struct TestDb {
    /// The store, migrated.
    pub store: Store,
    /// Its URL (pass it to the `phongdich` binary in CLI tests).
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// The backend, for messages in assertions.
    pub fn name(&self) -> &'static str {
        self.store.backend().as_str()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; a thread with its own runtime can block.
            let dropped = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async {
                    let admin = Store::connect(&admin_url)
                        .await
                        .map_err(std::io::Error::other)?;
                    sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(admin.pool())
                        .await
                        .map_err(std::io::Error::other)?;
                    admin.close().await;
                    Ok::<_, std::io::Error>(())
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                tracing::warn!(database = %self.cleanup_name(), "could not drop test database");
            }
        }
    }
}

impl TestDb {
    fn cleanup_name(&self) -> &str {
        match &self.cleanup {
            Cleanup::Postgres { name, .. } => name,
            Cleanup::Sqlite(_) => "",
        }
    }
}

/// A migrated store on a new SQLite file.
pub async fn fresh_sqlite() -> Result<TestDb, StoreError> {
    let db = sqlite_unmigrated().await?;
    db.store.migrate().await?;
    Ok(db)
}

/// A store on a new, empty SQLite file.
pub(crate) async fn sqlite_unmigrated() -> Result<TestDb, StoreError> {
    let dir = tempfile::tempdir()
        .map_err(|e| StoreError::Invalid(format!("temporary directory: {e}")))?;
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::connect(&url).await?;
    Ok(TestDb {
        store,
        url,
        cleanup: Cleanup::Sqlite(dir),
    })
}

/// A migrated store on a new PostgreSQL database, or `None` when `PHONGDICH_TEST_PG`
/// is unset (an error under `CI=true`).
pub async fn fresh_postgres() -> Result<Option<TestDb>, StoreError> {
    let Some(db) = postgres_unmigrated().await? else {
        return Ok(None);
    };
    db.store.migrate().await?;
    Ok(Some(db))
}

/// A store on a new, empty PostgreSQL database, as [`fresh_postgres`].
pub(crate) async fn postgres_unmigrated() -> Result<Option<TestDb>, StoreError> {
    let Some(admin_url) = std::env::var(TEST_PG_VAR).ok().filter(|u| !u.is_empty()) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(StoreError::Invalid(format!(
                "CI=true but {TEST_PG_VAR} is unset: the PostgreSQL tests must run in CI"
            )));
        }
        return Ok(None);
    };
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "phongdich_test_{}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        nanos
    );
    let admin = Store::connect(&admin_url).await?;
    sqlx::query(&format!("create database {name}"))
        .execute(admin.pool())
        .await?;
    admin.close().await;
    let url = replace_database(&admin_url, &name);
    let db = TestDb {
        store: Store::connect(&url).await?,
        url,
        cleanup: Cleanup::Postgres { admin_url, name },
    };
    Ok(Some(db))
}

/// A fresh SQLite store, and a fresh PostgreSQL one when configured: run the same
/// assertions on each.
pub async fn all_backends() -> Result<Vec<TestDb>, StoreError> {
    let mut dbs = vec![fresh_sqlite().await?];
    dbs.extend(fresh_postgres().await?);
    Ok(dbs)
}

/// Empty databases on each backend, as [`all_backends`], for tests of migrations.
#[cfg(test)]
pub(crate) async fn all_backends_unmigrated() -> Result<Vec<TestDb>, StoreError> {
    let mut dbs = vec![sqlite_unmigrated().await?];
    dbs.extend(postgres_unmigrated().await?);
    Ok(dbs)
}

/// `url` with its database name replaced by `name`, keeping any query string.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(replace_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(
            replace_database("postgres://u@h/t?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
