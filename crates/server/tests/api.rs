//! The JSON API: authentication (cookie or Bearer token), JSON errors with stable
//! codes, jurisdiction, cursor pagination.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::TestApp;
use phongdich_domain::{FullName, UnitCode};
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

/// `GET path` (or `POST` with a JSON `body`) with a Bearer token: the status and the
/// JSON answer (`null` if none).
async fn bearer_call(app: &TestApp, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", app.base);
    let req = match body {
        Some(body) => app.client.post(url).json(&body),
        None => app.client.get(url),
    };
    let res = req.bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn bearer(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    bearer_call(app, path, token, None).await
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
        let token = app
            .api_token("xa", phongdich_store::TokenScope::Write)
            .await;

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

async fn bearer_post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    bearer_call(app, path, token, Some(body)).await
}

#[tokio::test]
async fn a_partner_system_enters_a_test_registers_a_case_and_reads_the_levels() {
    use phongdich_domain::{Interval, Timestamp};
    use phongdich_store::NewContact;
    for db in phongdich_store::testing::all_backends().await.unwrap() {
        // The contact is in the database before the server starts; the engine is
        // built from it, and the case then comes through the API.
        let s = db.store.clone();
        let communes = s
            .communes_of_province(&UnitCode::parse("12").unwrap())
            .await
            .unwrap();
        let unit = &communes[0].code;
        let f0 = s
            .insert_person(&person("P1", "Giàng A Páo", Some(unit)))
            .await
            .unwrap();
        let f1 = s
            .insert_person(&person("P2", "Lò Thị Mai", Some(unit)))
            .await
            .unwrap();
        let t = Timestamp::parse("2021-05-12T08:00:00+07:00").unwrap();
        s.insert_contact(&NewContact {
            a_id: f0,
            b_id: f1,
            interval: Interval::new(t, Timestamp(t.0 + 1800)).unwrap(),
            setting: None,
        })
        .await
        .unwrap();
        let app = TestApp::start(db).await;
        app.add_user("xa", "mật khẩu xã dài", "commune_officer", unit.as_str())
            .await;
        let token = app
            .api_token("xa", phongdich_store::TokenScope::Write)
            .await;
        let name = app.db.name();

        let (status, body) = bearer(&app, &format!("/api/v1/persons/{f1}/level"), &token).await;
        assert_eq!((status, &body["level"]), (200, &Value::Null), "{name}");

        // The engine has traced the database as it was at start (no case yet), so the
        // case below is news to it.
        app.engine_ready().await;

        // A positive PCR from the laboratory's system, then the case.
        let (status, body) = bearer_post(
            &app,
            &format!("/api/v1/persons/{f0}/tests"),
            &token,
            serde_json::json!({"kind": "pcr", "result": "positive",
                "sampled_at": "2021-05-13T07:30:00+07:00", "laboratory": "CDC Lai Châu"}),
        )
        .await;
        assert_eq!(status, 201, "{name}: {body}");
        assert!(body["test_id"].as_i64().is_some());
        let tests = s.tests_of_person(f0).await.unwrap();
        assert_eq!(tests.len(), 1);
        assert_eq!(tests[0].test.laboratory.as_deref(), Some("CDC Lai Châu"));

        let (status, body) = bearer_post(
            &app,
            &format!("/api/v1/persons/{f0}/case"),
            &token,
            serde_json::json!({"sample_date": "2021-05-13"}),
        )
        .await;
        assert_eq!(status, 201, "{name}: {body}");
        assert_eq!(
            body["traced"], true,
            "{name}: the engine was built at start"
        );
        assert!(body["levels_changed"].as_u64().unwrap() >= 2);

        let (status, body) = bearer(&app, &format!("/api/v1/persons/{f1}/level"), &token).await;
        assert_eq!(status, 200);
        assert_eq!(body["level"], 1, "{name}: {body}");
        assert_eq!(body["exposed_at"], "2021-05-12T08:00:00+07:00");
        assert_eq!(body["via"]["from"]["person_id"], f0);
        assert_eq!(body["via"]["kind"], "contact");

        // Bad input is a JSON error with a stable code; nothing is stored twice.
        let (status, body) = bearer_post(
            &app,
            &format!("/api/v1/persons/{f0}/case"),
            &token,
            serde_json::json!({"sample_date": "2021-05-13"}),
        )
        .await;
        assert_eq!((status, &body["code"]), (409, &Value::from("conflict")));
        let (status, body) = bearer_post(
            &app,
            &format!("/api/v1/persons/{f1}/tests"),
            &token,
            serde_json::json!({"kind": "elisa", "result": "positive", "sampled_at": "2021-05-13T07:30"}),
        )
        .await;
        assert_eq!((status, &body["code"]), (400, &Value::from("bad_request")));
        assert!(s.tests_of_person(f1).await.unwrap().is_empty());

        // Audited as the token's account.
        let user = s.user_by_username("xa").await.unwrap().unwrap();
        let events = s.audit_events(None, 100).await.unwrap();
        for entity in ["test", "case"] {
            assert!(
                events.iter().any(|e| e.event.entity == entity
                    && e.event.action == "create"
                    && e.event.user_id == Some(user.id)),
                "{name}: {entity} audited"
            );
        }

        // The OpenAPI document describes the new routes.
        let (_, doc) = bearer(&app, "/api/openapi.json", &token).await;
        for path in [
            "/api/v1/persons/{id}/level",
            "/api/v1/persons/{id}/case",
            "/api/v1/persons/{id}/tests",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} in openapi.json");
        }
    }
}

#[tokio::test]
async fn a_province_wide_search_says_more_than_a_thousand() {
    let app = TestApp::start(fresh_sqlite().await.unwrap()).await;
    let rows: Vec<_> = (0..1_010)
        .map(|i| person(&format!("P{i:04}"), &format!("Nguyễn Văn {i:04}"), None))
        .collect();
    let mut bulk = app.db.store.bulk().await.unwrap();
    bulk.persons(&rows).await.unwrap();
    bulk.commit().await.unwrap();
    app.add_user("tinh", "mật khẩu tỉnh dài", "province_officer", "12")
        .await;
    let cookie = app.signed_in("tinh", "mật khẩu tỉnh dài").await;
    let res = app.get("/api/v1/persons?q=nguyen", Some(&cookie)).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["total"], 1000);
    assert_eq!(body["total_capped"], true);
    assert!(body["next_cursor"].is_string());
    let res = app
        .get("/api/v1/persons?q=nguyen+van+0007", Some(&cookie))
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (&body["total"], &body["total_capped"]),
        (&1.into(), &false.into())
    );
    let html = app
        .get("/persons?q=nguyen", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("hơn 1.000 kết quả"), "{html}");
}
