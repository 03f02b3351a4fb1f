//! API tokens (scope, expiry, list, revoke, password changes) and sessions, on a fresh
//! SQLite file and, when `PHONGDICH_TEST_PG` is set, on a fresh PostgreSQL database.

#![allow(clippy::unwrap_used)]

use phongdich_store::testing::all_backends;
use phongdich_store::{
    AuditFilter, NewApiToken, NewAuditEvent, NewUser, Store, StoreError, TokenScope,
    TOKEN_USE_RESOLUTION_SECONDS,
};

fn new_user(username: &str) -> NewUser {
    NewUser {
        username: username.to_owned(),
        display_name: username.to_owned(),
        password_hash: "$argon2id$stub".to_owned(),
        role: "commune_officer".to_owned(),
        jurisdiction_kind: "unit".to_owned(),
        jurisdiction_code: "12".to_owned(),
    }
}

async fn user(s: &Store, username: &str) -> i64 {
    s.insert_user(&new_user(username)).await.unwrap()
}

/// An audit event of an account change by `by`.
fn event(by: i64, action: &str, entity: &str, entity_id: i64) -> NewAuditEvent {
    NewAuditEvent {
        at: now(),
        user_id: Some(by),
        action: action.to_owned(),
        entity: entity.to_owned(),
        entity_id: entity_id.to_string(),
        before_json: None,
        after_json: None,
        ip: None,
    }
}

/// (entity, entity_id) of every audit event, oldest first.
async fn audited(s: &Store) -> Vec<(String, String)> {
    let mut events = s
        .audit_search(&AuditFilter {
            limit: 1000,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    events.reverse();
    events
        .into_iter()
        .map(|e| (e.event.entity, e.event.entity_id))
        .collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

fn token(hash: &str, user_id: i64, scope: TokenScope, expires_at: i64) -> NewApiToken {
    NewApiToken {
        token_hash: hash.to_owned(),
        user_id,
        name: format!("script {hash}"),
        scope,
        expires_at,
    }
}

#[test]
fn token_scopes_round_trip() {
    for scope in [TokenScope::Read, TokenScope::Write] {
        assert_eq!(TokenScope::parse(scope.as_str()), Some(scope));
    }
    assert_eq!(TokenScope::parse("admin"), None);
}

#[tokio::test]
async fn a_token_works_until_it_expires_and_keeps_its_scope() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let an = user(s, "an").await;
        let t = now();
        s.insert_api_token(&token("r", an, TokenScope::Read, t + 3_600))
            .await
            .unwrap();
        s.insert_api_token(&token("w", an, TokenScope::Write, t + 3_600))
            .await
            .unwrap();
        let (u, scope) = s.api_token_user("r", t).await.unwrap().unwrap();
        assert_eq!(
            (u.id, u.username.as_str(), scope),
            (an, "an", TokenScope::Read),
            "{name}"
        );
        let (_, scope) = s.api_token_user("w", t).await.unwrap().unwrap();
        assert_eq!(scope, TokenScope::Write, "{name}");
        assert!(
            s.api_token_user("r", t + 3_599).await.unwrap().is_some(),
            "{name}"
        );
        assert!(
            s.api_token_user("r", t + 3_600).await.unwrap().is_none(),
            "{name}"
        );
        assert!(
            s.api_token_user("nope", t).await.unwrap().is_none(),
            "{name}"
        );
        // The same digest twice is a conflict.
        let err = s
            .insert_api_token(&token("r", an, TokenScope::Read, t + 3_600))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{name}: {err:?}");
        // A disabled account's tokens do not work.
        s.set_user_disabled("an", true).await.unwrap();
        assert!(s.api_token_user("w", t).await.unwrap().is_none(), "{name}");
    }
}

#[tokio::test]
async fn a_token_use_is_recorded_at_most_once_per_resolution() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let an = user(s, "an").await;
        let t = now();
        let id = s
            .insert_api_token(&token("x", an, TokenScope::Read, t + 86_400))
            .await
            .unwrap();
        let last_used = || async {
            let tokens = s.api_tokens(Some("an")).await.unwrap();
            assert_eq!(tokens[0].id, id);
            tokens[0].last_used_at
        };
        assert_eq!(last_used().await, None, "{name}");
        s.api_token_user("x", t).await.unwrap().unwrap();
        assert_eq!(last_used().await, Some(t), "{name}");
        s.api_token_user("x", t + TOKEN_USE_RESOLUTION_SECONDS - 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last_used().await, Some(t), "{name}");
        s.api_token_user("x", t + TOKEN_USE_RESOLUTION_SECONDS)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            last_used().await,
            Some(t + TOKEN_USE_RESOLUTION_SECONDS),
            "{name}"
        );
    }
}

#[tokio::test]
async fn tokens_are_listed_newest_first_and_revoked_by_id() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let an = user(s, "an").await;
        let binh = user(s, "binh").await;
        user(s, "chau").await;
        let t = now();
        let a1 = s
            .insert_api_token(&token("a1", an, TokenScope::Read, t + 100))
            .await
            .unwrap();
        let b1 = s
            .insert_api_token(&token("b1", binh, TokenScope::Write, t + 200))
            .await
            .unwrap();
        let a2 = s
            .insert_api_token(&token("a2", an, TokenScope::Write, t + 300))
            .await
            .unwrap();
        assert!(a1 != b1 && b1 != a2 && a1 != a2, "{name}");

        let all = s.api_tokens(None).await.unwrap();
        assert_eq!(
            all.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![a2, b1, a1],
            "{name}: newest first"
        );
        let first = &all[2];
        assert_eq!(
            (
                first.user_id,
                first.username.as_str(),
                first.name.as_str(),
                first.scope,
                first.expires_at,
                first.last_used_at,
                first.revoked_at,
            ),
            (
                an,
                "an",
                "script a1",
                TokenScope::Read,
                Some(t + 100),
                None,
                None
            ),
            "{name}"
        );
        assert!(first.created_at >= t - 5, "{name}");
        let of_an = s.api_tokens(Some("an")).await.unwrap();
        assert_eq!(
            of_an.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![a2, a1],
            "{name}"
        );
        assert!(
            s.api_tokens(Some("chau")).await.unwrap().is_empty(),
            "{name}"
        );
        assert!(
            matches!(
                s.api_tokens(Some("nobody")).await,
                Err(StoreError::NotFound { .. })
            ),
            "{name}"
        );

        s.revoke_api_token(a1, t + 10).await.unwrap();
        assert!(
            s.api_token_user("a1", t + 11).await.unwrap().is_none(),
            "{name}"
        );
        assert!(
            s.api_token_user("a2", t + 11).await.unwrap().is_some(),
            "{name}"
        );
        // Revoking again keeps the first time.
        s.revoke_api_token(a1, t + 20).await.unwrap();
        let revoked = s.api_tokens(Some("an")).await.unwrap();
        assert_eq!(revoked[1].revoked_at, Some(t + 10), "{name}");
        assert_eq!(revoked[0].revoked_at, None, "{name}");
        assert!(
            matches!(
                s.revoke_api_token(a2 + 1_000, t).await,
                Err(StoreError::NotFound { .. })
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_password_change_revokes_tokens_and_ends_sessions() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let an = user(s, "an").await;
        let binh = user(s, "binh").await;
        let t = now();
        s.insert_api_token(&token("old", an, TokenScope::Write, t + 3_600))
            .await
            .unwrap();
        s.insert_api_token(&token("other", binh, TokenScope::Write, t + 3_600))
            .await
            .unwrap();
        s.insert_session("sess", an, "csrf", t + 3_600)
            .await
            .unwrap();
        s.set_user_password("an", "$argon2id$new").await.unwrap();
        assert!(
            s.api_token_user("old", t).await.unwrap().is_none(),
            "{name}"
        );
        assert!(s.live_session("sess", t).await.unwrap().is_none(), "{name}");
        let tokens = s.api_tokens(Some("an")).await.unwrap();
        assert!(tokens[0].revoked_at.is_some(), "{name}");
        // Another account's tokens are untouched.
        assert!(
            s.api_token_user("other", t).await.unwrap().is_some(),
            "{name}"
        );
        // A token made after the change works, even within the same second.
        s.insert_api_token(&token("new", an, TokenScope::Read, t + 3_600))
            .await
            .unwrap();
        let (u, _) = s.api_token_user("new", t).await.unwrap().unwrap();
        assert_eq!(u.password_hash, "$argon2id$new", "{name}");
    }
}

#[tokio::test]
async fn expired_sessions_are_deleted() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let an = user(s, "an").await;
        s.insert_session("gone", an, "c1", 1_000).await.unwrap();
        s.insert_session("edge", an, "c2", 2_000).await.unwrap();
        s.insert_session("live", an, "c3", 3_000).await.unwrap();
        assert_eq!(s.delete_expired_sessions(2_000).await.unwrap(), 2, "{name}");
        assert_eq!(s.delete_expired_sessions(2_000).await.unwrap(), 0, "{name}");
        assert!(
            s.live_session("live", 2_000).await.unwrap().is_some(),
            "{name}"
        );
        assert!(
            s.live_session("edge", 1_999).await.unwrap().is_none(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn tx_account_writes_commit_with_their_audit_events_or_not_at_all() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let admin = user(s, "admin").await;
        let an = user(s, "an").await;
        let t = now();
        let an_token = s
            .insert_api_token(&token("an-t", an, TokenScope::Write, t + 3_600))
            .await
            .unwrap();
        s.insert_session("an-sess", an, "csrf", t + 3_600)
            .await
            .unwrap();

        // Dropped: every write and its event are gone.
        let mut tx = s.begin().await.unwrap();
        let binh = tx.insert_user(&new_user("binh")).await.unwrap();
        tx.insert_audit_event(&event(admin, "create", "user", binh))
            .await
            .unwrap();
        let bt = tx
            .insert_api_token(&token("binh-t", binh, TokenScope::Read, t + 3_600))
            .await
            .unwrap();
        tx.insert_audit_event(&event(admin, "create", "api_token", bt))
            .await
            .unwrap();
        tx.revoke_api_token(an_token, t).await.unwrap();
        tx.insert_audit_event(&event(admin, "update", "api_token", an_token))
            .await
            .unwrap();
        assert_eq!(
            tx.set_user_password("an", "$argon2id$dropped")
                .await
                .unwrap(),
            an,
            "{name}"
        );
        tx.insert_audit_event(&event(admin, "update", "user", an))
            .await
            .unwrap();
        assert_eq!(
            tx.set_user_disabled("an", true).await.unwrap(),
            an,
            "{name}"
        );
        tx.insert_audit_event(&event(admin, "update", "user", an))
            .await
            .unwrap();
        drop(tx);
        assert!(
            s.user_by_username("binh").await.unwrap().is_none(),
            "{name}"
        );
        let an_now = s.user_by_username("an").await.unwrap().unwrap();
        assert_eq!(an_now.password_hash, "$argon2id$stub", "{name}");
        assert!(!an_now.disabled, "{name}");
        assert!(
            s.live_session("an-sess", t).await.unwrap().is_some(),
            "{name}: the session is kept"
        );
        assert!(
            s.api_token_user("an-t", t).await.unwrap().is_some(),
            "{name}: the token is not revoked"
        );
        assert!(
            s.api_tokens(Some("an")).await.unwrap()[0]
                .revoked_at
                .is_none(),
            "{name}"
        );
        assert_eq!(s.api_tokens(None).await.unwrap().len(), 1, "{name}");
        assert!(audited(s).await.is_empty(), "{name}");

        // Committed: every write with its event.
        let mut tx = s.begin().await.unwrap();
        let binh = tx.insert_user(&new_user("binh")).await.unwrap();
        tx.insert_audit_event(&event(admin, "create", "user", binh))
            .await
            .unwrap();
        let bt = tx
            .insert_api_token(&token("binh-t", binh, TokenScope::Read, t + 3_600))
            .await
            .unwrap();
        tx.insert_audit_event(&event(admin, "create", "api_token", bt))
            .await
            .unwrap();
        tx.revoke_api_token(an_token, t).await.unwrap();
        tx.insert_audit_event(&event(admin, "update", "api_token", an_token))
            .await
            .unwrap();
        assert_eq!(
            tx.set_user_disabled("binh", true).await.unwrap(),
            binh,
            "{name}"
        );
        tx.insert_audit_event(&event(admin, "update", "user", binh))
            .await
            .unwrap();
        assert_eq!(
            tx.set_user_password("an", "$argon2id$new").await.unwrap(),
            an,
            "{name}"
        );
        tx.insert_audit_event(&event(admin, "update", "user", an))
            .await
            .unwrap();
        // Not yet visible to others.
        assert!(
            s.user_by_username("binh").await.unwrap().is_none(),
            "{name}"
        );
        tx.commit().await.unwrap();

        let binh_now = s.user_by_username("binh").await.unwrap().unwrap();
        assert_eq!(binh_now.id, binh, "{name}");
        assert!(binh_now.disabled, "{name}");
        let an_now = s.user_by_username("an").await.unwrap().unwrap();
        assert_eq!(an_now.password_hash, "$argon2id$new", "{name}");
        assert!(!an_now.disabled, "{name}");
        assert!(
            s.live_session("an-sess", t).await.unwrap().is_none(),
            "{name}: the password change ended the session"
        );
        let an_tokens = s.api_tokens(Some("an")).await.unwrap();
        assert_eq!(an_tokens[0].revoked_at, Some(t), "{name}");
        let binh_tokens = s.api_tokens(Some("binh")).await.unwrap();
        assert_eq!(
            (
                binh_tokens.len(),
                binh_tokens[0].id,
                binh_tokens[0].revoked_at
            ),
            (1, bt, None),
            "{name}"
        );
        let ids = |entity: &str, id: i64| (entity.to_owned(), id.to_string());
        assert_eq!(
            audited(s).await,
            vec![
                ids("user", binh),
                ids("api_token", bt),
                ids("api_token", an_token),
                ids("user", binh),
                ids("user", an),
            ],
            "{name}"
        );
    }
}

#[tokio::test]
async fn tx_account_writes_fail_as_the_store_ones_do() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let name = db.name();
        let an = user(s, "an").await;
        let t = now();

        // Unknown names and ids: nothing written, the transaction goes on.
        let mut tx = s.begin().await.unwrap();
        for err in [
            tx.set_user_password("nobody", "x").await.unwrap_err(),
            tx.set_user_disabled("nobody", true).await.unwrap_err(),
            tx.revoke_api_token(9_999, t).await.unwrap_err(),
        ] {
            assert!(
                matches!(err, StoreError::NotFound { .. }),
                "{name}: {err:?}"
            );
        }
        let id = tx
            .insert_api_token(&token("t", an, TokenScope::Read, t + 60))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(s.api_tokens(Some("an")).await.unwrap()[0].id, id, "{name}");

        // The Store versions say the same.
        for err in [
            s.set_user_password("nobody", "x").await.unwrap_err(),
            s.set_user_disabled("nobody", true).await.unwrap_err(),
            s.revoke_api_token(9_999, t).await.unwrap_err(),
        ] {
            assert!(
                matches!(err, StoreError::NotFound { .. }),
                "{name}: {err:?}"
            );
        }

        // A taken username: the same words as Store::insert_user; then drop the Tx.
        let mut tx = s.begin().await.unwrap();
        let err = tx.insert_user(&new_user("an")).await.unwrap_err();
        assert_eq!(err.to_string(), "username an is already taken", "{name}");
        drop(tx);
        let err = s.insert_user(&new_user("an")).await.unwrap_err();
        assert_eq!(err.to_string(), "username an is already taken", "{name}");

        // A token of an unknown account is invalid, a digest already recorded a conflict.
        let mut tx = s.begin().await.unwrap();
        let err = tx
            .insert_api_token(&token("u", an + 1_000, TokenScope::Read, t + 60))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{name}: {err:?}");
        drop(tx);
        let mut tx = s.begin().await.unwrap();
        let err = tx
            .insert_api_token(&token("t", an, TokenScope::Read, t + 60))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "this token already exists", "{name}");
    }
}
