//! Staff accounts and sessions in the store (migration 0002) on every backend.

#![allow(clippy::unwrap_used)]

use phongdich_store::testing::all_backends;
use phongdich_store::{NewUser, StoreError};

fn user(name: &str) -> NewUser {
    NewUser {
        username: name.to_owned(),
        display_name: format!("Cán bộ {name}"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        role: "commune_officer".to_owned(),
        jurisdiction_kind: "unit".to_owned(),
        jurisdiction_code: "03460".to_owned(),
    }
}

#[tokio::test]
async fn users_are_unique_and_sessions_end_on_disable_and_password_change() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let id = s.insert_user(&user("lan")).await.unwrap();
        assert!(
            matches!(
                s.insert_user(&user("lan")).await,
                Err(StoreError::Conflict(_))
            ),
            "{}",
            db.name()
        );
        s.insert_user(&user("an")).await.unwrap();
        let names: Vec<_> = s
            .users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert_eq!(names, ["an", "lan"]);

        s.insert_session("h1", id, "csrf1", 2_000).await.unwrap();
        let live = s.live_session("h1", 1_000).await.unwrap().unwrap();
        assert_eq!((live.user.id, live.csrf_token.as_str()), (id, "csrf1"));
        assert!(
            s.live_session("h1", 2_000).await.unwrap().is_none(),
            "expired"
        );
        s.set_user_password("lan", "new-hash").await.unwrap();
        assert!(
            s.live_session("h1", 1_000).await.unwrap().is_none(),
            "password change ends sessions"
        );
        assert_eq!(
            s.user_by_username("lan")
                .await
                .unwrap()
                .unwrap()
                .password_hash,
            "new-hash"
        );

        s.insert_session("h2", id, "csrf2", 2_000).await.unwrap();
        s.set_user_disabled("lan", true).await.unwrap();
        assert!(
            s.live_session("h2", 1_000).await.unwrap().is_none(),
            "disable ends sessions"
        );
        assert!(s.user_by_username("lan").await.unwrap().unwrap().disabled);
        s.insert_session("h3", id, "c", 2_000).await.unwrap();
        assert!(
            s.live_session("h3", 1_000).await.unwrap().is_none(),
            "disabled users have no session"
        );
        s.delete_session("h3").await.unwrap();
        assert!(matches!(
            s.set_user_disabled("nobody", true).await,
            Err(StoreError::NotFound { .. })
        ));
    }
}
