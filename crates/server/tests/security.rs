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

/// `GET`/`POST` JSON with a token; returns status and body.
async fn json_call(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/json"), "{path}: {ct}");
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn bad_input_is_a_4xx_with_the_field_and_nothing_is_stored() {
    for app in TestApp::all().await {
        let name = app.db.name();
        let unit = commune(&app).await;
        let s = &app.db.store;
        let id = s
            .insert_person(&person("P1", "Lò Văn Minh", &unit))
            .await
            .unwrap();
        app.add_user("xa", PASSWORD, "commune_officer", unit.as_str())
            .await;
        let token = app
            .api_token("xa", phongdich_store::TokenScope::Write)
            .await;
        let get = reqwest::Method::GET;
        let post = reqwest::Method::POST;
        for (path, field) in [
            (
                "/api/v1/persons?q=minh&cursor=9223372036854775808",
                "cursor",
            ),
            ("/api/v1/persons?q=minh&cursor=-1", "cursor"),
            ("/api/v1/persons?q=%00", "q"),
            ("/api/v1/persons?q=%20%20", "q"),
            ("/api/v1/persons", "q"),
        ] {
            let (status, body) = json_call(&app, &token, get.clone(), path, None).await;
            assert_eq!(
                (status, body["field"].as_str()),
                (400, Some(field)),
                "{name} {path}: {body}"
            );
        }
        let tests = format!("/api/v1/persons/{id}/tests");
        for sampled_at in [
            "9223372036854775807",
            "+99999-01-01T00:00:00Z",
            "1970-01-01T00:00",
            "-5",
        ] {
            let body =
                serde_json::json!({"kind": "pcr", "result": "negative", "sampled_at": sampled_at});
            let (status, err) = json_call(&app, &token, post.clone(), &tests, Some(body)).await;
            assert_eq!(
                (status, err["field"].as_str()),
                (400, Some("sampled_at")),
                "{sampled_at}: {err}"
            );
        }
        let case = format!("/api/v1/persons/{id}/case");
        for (input, field) in [
            (
                serde_json::json!({"sample_date": "0000-01-01"}),
                "sample_date",
            ),
            (
                serde_json::json!({"sample_date": "2021-05-12", "onset": "2021-05-14"}),
                "onset",
            ),
            (
                serde_json::json!({"sample_date": "2021-05-12", "onset": "2021-05-10", "isolated_at": "2021-05-09T08:00"}),
                "isolated_at",
            ),
        ] {
            let (status, err) = json_call(&app, &token, post.clone(), &case, Some(input)).await;
            assert_eq!(
                (status, err["field"].as_str()),
                (400, Some(field)),
                "{name}: {err}"
            );
            assert!(
                err["message_vi"].as_str().unwrap().len() > 10,
                "a Vietnamese reason"
            );
        }
        // Framework rejections in the documented shape.
        let res = app
            .client
            .post(format!("{}{case}", app.base))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["code"],
            "bad_request"
        );
        let res = app
            .client
            .post(format!("{}{case}", app.base))
            .header("authorization", format!("Bearer {token}"))
            .body("sample_date=2021-05-12")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415);
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["code"],
            "unsupported_media_type"
        );
        let (status, body) =
            json_call(&app, &token, get.clone(), "/api/v1/persons/abc", None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
        assert!(s.tests_of_person(id).await.unwrap().is_empty(), "{name}");
        assert!(s.case_of_person(id).await.unwrap().is_none(), "{name}");
    }
}

#[tokio::test]
async fn a_control_character_in_next_opens_no_session() {
    let app = TestApp::start(phongdich_store::testing::fresh_sqlite().await.unwrap()).await;
    app.add_user("lan", PASSWORD, "commune_officer", "03460")
        .await;
    let form = app.get("/signin", None).await;
    let cookie = helpers::set_cookie(&form, "pd_signin").unwrap();
    let csrf = hidden_field(&form.text().await.unwrap(), "csrf").unwrap();
    let res = app
        .client
        .post(format!("{}/signin", app.base))
        .header("cookie", cookie)
        .form(&[
            ("username", "lan"),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
            ("next", "/\n"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        helpers::set_cookie(&res, "pd_session").is_none(),
        "no session"
    );
}

#[tokio::test]
async fn list_reads_are_audited_and_carry_no_id_numbers_or_phones() {
    for app in TestApp::all().await {
        let unit = commune(&app).await;
        let s = &app.db.store;
        let mut p = person("P1", "Lò Văn Minh", &unit);
        p.phone = Some(phongdich_domain::Phone::parse("0912345678").unwrap());
        p.identity = Some(phongdich_domain::IdentityDocument::parse("001203004567").unwrap());
        let id = s.insert_person(&p).await.unwrap();
        app.add_user("xa", PASSWORD, "commune_officer", unit.as_str())
            .await;
        let token = app.api_token("xa", phongdich_store::TokenScope::Read).await;
        let (status, body) = json_call(
            &app,
            &token,
            reqwest::Method::GET,
            "/api/v1/persons?q=0912345678",
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let text = body.to_string();
        assert_eq!(body["items"][0]["id"], id);
        assert!(
            !text.contains("0912345678") && !text.contains("001203004567"),
            "{text}"
        );
        let events = s
            .audit_events(Some(("person_list", "search")), 5)
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "{}", app.db.name());
        let after: serde_json::Value =
            serde_json::from_str(events[0].event.after_json.as_deref().unwrap()).unwrap();
        assert_eq!(after["ids"], serde_json::json!([id]));
        assert_eq!(after["q"], "0912345678");
        let (status, _) =
            json_call(&app, &token, reqwest::Method::GET, "/api/v1/contacts", None).await;
        assert_eq!(status, 200);
        let lists = s
            .audit_events(Some(("contact_list", unit.as_str())), 5)
            .await
            .unwrap();
        assert_eq!(lists.len(), 1, "the contact list read is audited");
    }
}
