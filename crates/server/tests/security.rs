//! The holes a review found, each closed: security headers, a cookie alone never writes
//! through the API, parallel wrong passwords stop at the limit, a double submit makes
//! one record, parallel registrations of one case give one success and one 409, and a
//! province account of another code sees nothing.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{hidden_field, person, TestApp};
use phongdich_domain::UnitCode;

const PASSWORD: &str = "mật khẩu thử nghiệm";

async fn commune(app: &TestApp) -> UnitCode {
    app.db
        .store
        .communes_of_province(&UnitCode::parse("12").unwrap())
        .await
        .unwrap()[0]
        .code
        .clone()
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::start(phongdich_store::testing::fresh_sqlite().await.unwrap()).await;
    app.add_user("xa", PASSWORD, "commune_officer", "03460")
        .await;
    let cookie = app.signed_in("xa", PASSWORD).await;
    for (path, cookie) in [
        ("/", None),
        ("/signin", None),
        ("/dashboard", Some(cookie.as_str())),
        ("/api/v1/contacts", Some(cookie.as_str())),
    ] {
        let res = app.get(path, cookie).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("script-src"), "{path}: no script at all");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
}

#[tokio::test]
async fn an_api_write_with_a_cookie_needs_the_csrf_token() {
    for app in TestApp::all().await {
        let unit = commune(&app).await;
        let id = app
            .db
            .store
            .insert_person(&person("P1", "Lò Văn Minh", &unit))
            .await
            .unwrap();
        app.add_user("xa", PASSWORD, "commune_officer", unit.as_str())
            .await;
        let cookie = app.signed_in("xa", PASSWORD).await;
        let body = serde_json::json!({"kind": "pcr", "result": "negative", "sampled_at": "2021-05-11T08:00:00+07:00"});
        let res = app
            .client
            .post(format!("{}/api/v1/persons/{id}/tests", app.base))
            .header("cookie", &cookie)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{}", app.db.name());
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["code"], "csrf");
        assert!(
            app.db.store.tests_of_person(id).await.unwrap().is_empty(),
            "nothing stored"
        );
    }
}

#[tokio::test]
async fn parallel_wrong_passwords_stop_at_the_limit() {
    let app = TestApp::start(phongdich_store::testing::fresh_sqlite().await.unwrap()).await;
    app.add_user("lan", PASSWORD, "commune_officer", "03460")
        .await;
    let tries = (0..12).map(|_| app.post_signin("lan", "sai mật khẩu"));
    let statuses: Vec<u16> = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(wrong, 5, "{statuses:?}");
    assert_eq!(throttled, 7, "{statuses:?}");
    // The right password is refused too while the window lasts.
    assert_eq!(app.post_signin("lan", PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn a_double_submitted_form_makes_one_test() {
    for app in TestApp::all().await {
        let unit = commune(&app).await;
        let id = app
            .db
            .store
            .insert_person(&person("P1", "Lò Văn Minh", &unit))
            .await
            .unwrap();
        app.add_user("xa", PASSWORD, "commune_officer", unit.as_str())
            .await;
        let cookie = app.signed_in("xa", PASSWORD).await;
        let page = app
            .get(&format!("/persons/{id}"), Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        let csrf = hidden_field(&page, "csrf").unwrap();
        let key = hidden_field(&page, "idempotency_key").unwrap();
        let form = [
            ("csrf", csrf.as_str()),
            ("idempotency_key", key.as_str()),
            ("kind", "pcr"),
            ("result", "negative"),
            ("sampled_at", "2021-05-10T08:00"),
        ];
        let path = format!("/persons/{id}/tests");
        let (a, b) = tokio::join!(
            app.post_form(&path, Some(&cookie), &form),
            app.post_form(&path, Some(&cookie), &form)
        );
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (303, 303));
        let again = app.post_form(&path, Some(&cookie), &form).await;
        assert_eq!(again.status(), 303);
        assert_eq!(
            app.db.store.tests_of_person(id).await.unwrap().len(),
            1,
            "{}",
            app.db.name()
        );
    }
}

#[tokio::test]
async fn parallel_registrations_of_one_case_give_one_success_and_one_conflict() {
    for app in TestApp::all().await {
        let unit = commune(&app).await;
        let id = app
            .db
            .store
            .insert_person(&person("P1", "Lò Văn Minh", &unit))
            .await
            .unwrap();
        app.add_user("xa", PASSWORD, "commune_officer", unit.as_str())
            .await;
        let token = app
            .api_token("xa", phongdich_store::TokenScope::Write)
            .await;
        app.engine_ready().await;
        let post = || {
            app.client
                .post(format!("{}/api/v1/persons/{id}/case", app.base))
                .header("authorization", format!("Bearer {token}"))
                .json(&serde_json::json!({"sample_date": "2021-05-12"}))
                .send()
        };
        let (a, b) = tokio::join!(post(), post());
        let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "{}", app.db.name());
        let cases = app.db.store.audit_events(None, 50).await.unwrap();
        assert_eq!(
            cases
                .iter()
                .filter(|e| e.event.entity == "case" && e.event.action == "create")
                .count(),
            1,
            "one case, one audit event"
        );
    }
}

#[tokio::test]
async fn a_read_only_token_cannot_write() {
    let app = TestApp::start(phongdich_store::testing::fresh_sqlite().await.unwrap()).await;
    let unit = commune(&app).await;
    let id = app
        .db
        .store
        .insert_person(&person("P1", "Lò Văn Minh", &unit))
        .await
        .unwrap();
    app.add_user("xa", PASSWORD, "commune_officer", unit.as_str())
        .await;
    let token = app.api_token("xa", phongdich_store::TokenScope::Read).await;
    let auth = format!("bearer {token}");
    let read = app
        .client
        .get(format!("{}/api/v1/persons/{id}", app.base))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200, "lower-case bearer works");
    let write = app
        .client
        .post(format!("{}/api/v1/persons/{id}/case", app.base))
        .header("authorization", &auth)
        .json(&serde_json::json!({"sample_date": "2021-05-12"}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 403);
    assert!(app.db.store.case_of_person(id).await.unwrap().is_none());
}

#[tokio::test]
async fn a_province_account_of_another_code_sees_nothing() {
    let app = TestApp::start(phongdich_store::testing::fresh_sqlite().await.unwrap()).await;
    let unit = commune(&app).await;
    let id = app
        .db
        .store
        .insert_person(&person("P1", "Lò Văn Minh", &unit))
        .await
        .unwrap();
    app.add_user("dienbien", PASSWORD, "province_officer", "11")
        .await;
    let cookie = app.signed_in("dienbien", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/persons/{id}"), Some(&cookie))
            .await
            .status(),
        404
    );
    let search = app
        .get("/persons?q=minh", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(!search.contains("Lò Văn Minh"), "{search}");
    let api = app
        .get("/api/v1/persons?q=minh", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(api.contains("\"total\":0"), "{api}");
}
