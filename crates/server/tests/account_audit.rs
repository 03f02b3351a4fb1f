//! Changing one's password, and the audit log page (province administrators only).

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{hidden_field, TestApp};
use phongdich_store::testing::fresh_sqlite;

#[tokio::test]
async fn changing_the_password_ends_sessions_and_needs_the_current_one() {
    for app in TestApp::all().await {
        app.add_user("lan", "mật khẩu cũ dài", "commune_officer", "12")
            .await;
        let cookie = app.signed_in("lan", "mật khẩu cũ dài").await;
        let form = app
            .get("/account/password", Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        let csrf = hidden_field(&form, "csrf").unwrap();
        let post = |csrf: &str, current: &str, new: &str, again: &str| {
            let fields = [
                ("csrf", csrf),
                ("current", current),
                ("new", new),
                ("again", again),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
            let cookie = cookie.clone();
            let app = &app;
            async move {
                let f: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                app.post_form("/account/password", Some(&cookie), &f)
                    .await
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(
            post(
                "forged",
                "mật khẩu cũ dài",
                "mật khẩu mới dài",
                "mật khẩu mới dài"
            )
            .await,
            403
        );
        assert_eq!(
            post(&csrf, "sai", "mật khẩu mới dài", "mật khẩu mới dài").await,
            422
        );
        assert_eq!(post(&csrf, "mật khẩu cũ dài", "ngắn", "ngắn").await, 422);
        assert_eq!(
            post(
                &csrf,
                "mật khẩu cũ dài",
                "mật khẩu mới dài",
                "khác hẳn rồi nhé"
            )
            .await,
            422
        );
        assert_eq!(
            post(
                &csrf,
                "mật khẩu cũ dài",
                "mật khẩu mới dài",
                "mật khẩu mới dài"
            )
            .await,
            303
        );
        assert_eq!(
            app.get("/dashboard", Some(&cookie)).await.status(),
            303,
            "{}: session ended",
            app.db.name()
        );
        assert_eq!(
            app.post_signin("lan", "mật khẩu cũ dài").await.status(),
            401
        );
        assert_eq!(
            app.post_signin("lan", "mật khẩu mới dài").await.status(),
            303
        );
    }
}

#[tokio::test]
async fn only_province_admins_read_the_audit_log() {
    let app = TestApp::start(fresh_sqlite().await.unwrap()).await;
    app.add_user("admin", "mật khẩu quản trị", "province_admin", "12")
        .await;
    app.add_user("officer", "mật khẩu cán bộ", "province_officer", "12")
        .await;
    app.add_user("leader", "mật khẩu lãnh đạo", "leader", "12")
        .await;
    let person = app
        .db
        .store
        .insert_person(&phongdich_store::NewPerson {
            id: None,
            reference: "P1".into(),
            full_name: phongdich_domain::FullName::parse("Lò Văn Thắng").unwrap(),
            birth: None,
            sex: None,
            identity: None,
            nationality: "VN".into(),
            phone: None,
            address: None,
            unit_code: None,
            household_id: None,
        })
        .await
        .unwrap();
    let officer = app.signed_in("officer", "mật khẩu cán bộ").await;
    assert_eq!(
        app.get(&format!("/persons/{person}"), Some(&officer))
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/audit", Some(&officer)).await.status(), 403);
    let leader = app.signed_in("leader", "mật khẩu lãnh đạo").await;
    assert_eq!(app.get("/audit", Some(&leader)).await.status(), 403);

    let admin = app.signed_in("admin", "mật khẩu quản trị").await;
    let res = app
        .get(&format!("/audit?entity=person&id={person}"), Some(&admin))
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("<td>view</td>") && body.contains(&format!("person {person}")),
        "{body}"
    );
    let other = app
        .get("/audit?entity=case", Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    assert!(!other.contains("<td>view</td>"), "filter by entity");

    // By account, shown by name; by action; by local date; a bad date is a 400.
    let by_officer = app
        .get("/audit?user=officer&action=view", Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        by_officer.contains("Cán bộ officer") && by_officer.contains("(officer)"),
        "accounts are shown by display name and sign-in name: {by_officer}"
    );
    let by_display_name = app
        .get(
            "/audit?user=c%C3%A1n+b%E1%BB%99+officer&action=view",
            Some(&admin),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        by_display_name.contains("(officer)"),
        "filter by display name"
    );
    let by_leader = app
        .get("/audit?user=leader", Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !by_leader.contains("<td>view</td>"),
        "the leader viewed nothing"
    );
    let nobody = app
        .get("/audit?user=no-such-account", Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    assert!(!nobody.contains("<td>view</td>"));
    let today = chrono::Utc::now()
        .with_timezone(&phongdich_domain::time::vietnam())
        .date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let within = app
        .get(
            &format!("/audit?from={}&to={}", day(today), day(today)),
            Some(&admin),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(within.contains("<td>view</td>"));
    let yesterday = today.pred_opt().unwrap();
    let before = app
        .get(&format!("/audit?to={}", day(yesterday)), Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    assert!(!before.contains("<td>view</td>"));
    assert_eq!(
        app.get("/audit?from=02/12/2026", Some(&admin))
            .await
            .status(),
        400
    );
    assert_eq!(
        app.get("/audit?action=read", Some(&admin)).await.status(),
        400
    );
}
