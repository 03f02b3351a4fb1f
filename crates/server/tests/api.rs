//! The JSON API: authentication (cookie or Bearer token), JSON errors with stable
//! codes, jurisdiction, cursor pagination.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::TestApp;
use phongdich_domain::{FullName, UnitCode};
use phongdich_server::auth::{new_token, token_hash};
use phongdich_store::testing::fresh_sqlite;
use phongdich_store::NewPerson;
use serde_json::Value;

fn person(reference: &str, name: &str, unit: Option<&UnitCode>) -> NewPerson {
    NewPerson {
        id: None,
        reference: reference.to_owned(),
        full_name: FullName::parse(name).unwrap(),
        birth: None,
        sex: None,
        identity: None,
        nationality: "VN".to_owned(),
        phone: None,
        address: None,
        unit_code: unit.cloned(),
        household_id: None,
    }
}

async fn bearer(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn api_tokens_are_scoped_like_their_account() {
    for app in TestApp::all().await {
        let s = &app.db.store;
        let communes = s
            .communes_of_province(&UnitCode::parse("12").unwrap())
            .await
            .unwrap();
        let (a, b) = (&communes[0].code, &communes[1].code);
        let in_a = s
            .insert_person(&person("PA", "Nguyễn Văn A", Some(a)))
            .await
            .unwrap();
        let in_b = s
            .insert_person(&person("PB", "Nguyễn Văn B", Some(b)))
            .await
            .unwrap();
        app.add_user("xa", "mật khẩu xã dài", "commune_officer", a.as_str())
            .await;
        let user = s.user_by_username("xa").await.unwrap().unwrap();
        let token = new_token();
        s.insert_api_token(&token_hash(&token), user.id, "script")
            .await
            .unwrap();

        let (status, body) = bearer(&app, "/api/v1/persons?q=nguyen", &token).await;
        assert_eq!(status, 200, "{}: {body}", app.db.name());
        let names: Vec<_> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["full_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Nguyễn Văn A"]);
        assert_eq!(
            bearer(&app, &format!("/api/v1/persons/{in_a}"), &token)
                .await
                .0,
            200
        );
        let (status, body) = bearer(&app, &format!("/api/v1/persons/{in_b}"), &token).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));

        let (status, body) = bearer(&app, "/api/v1/persons?q=nguyen", "forged").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("unauthenticated"))
        );
        let (status, body) = bearer(&app, "/api/v1/persons?cursor=zz", &token).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
        // A token opens the API only, never the pages.
        let res = app
            .client
            .get(format!("{}/dashboard", app.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        s.set_user_disabled("xa", true).await.unwrap();
        assert_eq!(
            bearer(&app, "/api/v1/persons?q=nguyen", &token).await.0,
            401
        );
    }
}

#[tokio::test]
async fn person_search_pages_with_a_cursor() {
    let app = TestApp::start(fresh_sqlite().await.unwrap()).await;
    for i in 0..120 {
        app.db
            .store
            .insert_person(&person(
                &format!("P{i:03}"),
                &format!("Nguyễn Văn {i:03}"),
                None,
            ))
            .await
            .unwrap();
    }
    app.add_user("tinh", "mật khẩu tỉnh dài", "province_officer", "12")
        .await;
    let cookie = app.signed_in("tinh", "mật khẩu tỉnh dài").await;
    let mut seen = std::collections::HashSet::new();
    let mut cursor = String::new();
    for _ in 0..10 {
        let res = app
            .get(
                &format!("/api/v1/persons?q=nguyen&cursor={cursor}"),
                Some(&cookie),
            )
            .await;
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["total"], 120);
        for p in body["items"].as_array().unwrap() {
            assert!(seen.insert(p["id"].as_i64().unwrap()), "no person twice");
        }
        match body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 120);
}

#[tokio::test]
async fn the_openapi_document_lists_the_routes() {
    let app = TestApp::start(fresh_sqlite().await.unwrap()).await;
    app.add_user("tinh", "mật khẩu tỉnh dài", "leader", "12")
        .await;
    let cookie = app.signed_in("tinh", "mật khẩu tỉnh dài").await;
    let res = app.get("/api/openapi.json", Some(&cookie)).await;
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/persons"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/persons/{id}"]["get"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}
