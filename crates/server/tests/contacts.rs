//! Entering direct contacts from a case interview (page and API), and the contact list
//! of a jurisdiction: CSRF, roles and jurisdictions, the audit event, the engine's
//! levels updated at once, and no name from outside the jurisdiction in the list.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{hidden_field, person, two_communes, TestApp};

const PW: &str = "mật khẩu đủ dài";

#[tokio::test]
async fn a_contact_entered_in_an_interview_is_stored_audited_traced_and_listed() {
    for app in TestApp::all().await {
        let s = &app.db.store;
        let (a, district_a, b) = two_communes(s).await;
        let f0 = s
            .insert_person(&person("C1", "Giàng A Páo", &a))
            .await
            .unwrap();
        let f1 = s
            .insert_person(&person("C2", "Lò Thị Mai", &a))
            .await
            .unwrap();
        let far = s
            .insert_person(&person("C3", "Vàng Thị Xa", &b))
            .await
            .unwrap();
        app.add_user("xa", PW, "commune_officer", a.as_str()).await;
        app.add_user("tinh", PW, "province_officer", "12").await;
        app.add_user("lanhdao", PW, "leader", "12").await;
        let xa = app.signed_in("xa", PW).await;

        // The page finds the other person by name without diacritics.
        let page = app
            .get(&format!("/persons/{f0}/contacts?q=lo thi mai"), Some(&xa))
            .await;
        assert_eq!(page.status(), 200, "{}", app.db.name());
        let page = page.text().await.unwrap();
        assert!(page.contains(&format!("?other={f1}")), "{page}");
        let csrf = hidden_field(&page, "csrf").unwrap();

        let form = |other: String, csrf: String| {
            vec![
                ("csrf".to_owned(), csrf),
                ("other".to_owned(), other),
                ("start".to_owned(), "2021-05-12T08:00".to_owned()),
                ("end".to_owned(), "2021-05-12T08:30".to_owned()),
                ("setting".to_owned(), "ăn cơm chung".to_owned()),
            ]
        };
        let post = |path: String, cookie: String, fields: Vec<(String, String)>| {
            let app = &app;
            async move {
                let fields: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                app.post_form(&path, Some(&cookie), &fields).await
            }
        };
        let path = format!("/persons/{f0}/contacts");
        // Without the session's CSRF token: refused, nothing stored.
        let res = post(path.clone(), xa.clone(), form(f1.to_string(), "x".into())).await;
        assert_eq!(res.status(), 403);
        // A person outside the jurisdiction: as if they did not exist.
        let res = post(
            path.clone(),
            xa.clone(),
            form(far.to_string(), csrf.clone()),
        )
        .await;
        assert_eq!(res.status(), 404);
        // The end before the start.
        let mut bad = form(f1.to_string(), csrf.clone());
        bad[3].1 = "2021-05-12T07:00".into();
        // Refused forms come back (422) with the reason next to the form.
        let res = post(path.clone(), xa.clone(), bad).await;
        assert_eq!(res.status(), 422);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("Thời điểm kết thúc trước thời điểm bắt đầu"));
        assert!(s.contacts_of_person(f0).await.unwrap().is_empty());

        // The case first, then the contact: the contact becomes F1 at once.
        let res = app
            .post_form(
                &format!("/persons/{f0}/case"),
                Some(&xa),
                &[("csrf", &csrf), ("sample_date", "2021-05-13")],
            )
            .await;
        assert_eq!(res.status(), 303, "{}", app.db.name());
        let res = post(
            path.clone(),
            xa.clone(),
            form(format!("#{f1}"), csrf.clone()),
        )
        .await;
        assert_eq!(res.status(), 303, "{}", app.db.name());
        let stored = s.contacts_of_person(f0).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].setting.as_deref(), Some("ăn cơm chung"));
        assert_eq!(
            stored[0].interval.start().to_rfc3339(),
            "2021-05-12T08:00:00+07:00",
            "times are Vietnam local"
        );
        let level = s.trace_level(f1).await.unwrap().unwrap();
        assert_eq!(level.level, 1, "{}", app.db.name());
        let events = s
            .audit_events(Some(("contact", &stored[0].id.to_string())), 10)
            .await
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event.action, "create");
        assert!(events[0]
            .event
            .after_json
            .as_deref()
            .unwrap()
            .contains("ăn cơm chung"));

        // The leader reads but does not write; a reference works as the other person.
        let leader = app.signed_in("lanhdao", PW).await;
        let csrf_l = hidden_field(
            &app.get("/dashboard", Some(&leader))
                .await
                .text()
                .await
                .unwrap(),
            "csrf",
        )
        .unwrap();
        let res = post(path.clone(), leader.clone(), form("C2".into(), csrf_l)).await;
        assert_eq!(res.status(), 403);

        // The province enters a contact across communes through the API.
        let tinh = app.signed_in("tinh", PW).await;
        let page = app
            .get("/account/password", Some(&tinh))
            .await
            .text()
            .await
            .unwrap();
        let tinh_csrf = helpers::hidden_field(&page, "csrf").unwrap();
        let res = app
            .client
            .post(format!("{}/api/v1/contacts", app.base))
            .header("cookie", &tinh)
            .header("x-csrf-token", &tinh_csrf)
            .json(&serde_json::json!({
                "a_id": f1, "b_id": far,
                "start": "2021-05-12T10:00:00+07:00", "end": "2021-05-12T10:20:00+07:00",
                "setting": "chợ"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", app.db.name());
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["traced"], true);
        assert_eq!(s.trace_level(far).await.unwrap().unwrap().level, 2);
        let res = app
            .client
            .post(format!("{}/api/v1/contacts", app.base))
            .header("cookie", &xa)
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"a_id": f1, "b_id": far, "start": "2021-05-12T10:00:00+07:00", "end": "2021-05-12T10:20:00+07:00"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "outside the commune");

        // The commune's list: both of its contacts, the outsider without a name.
        let list = app.get("/contacts", Some(&xa)).await.text().await.unwrap();
        assert!(
            list.contains("Lò Thị Mai") && list.contains("Giàng A Páo"),
            "{list}"
        );
        assert!(
            !list.contains("Vàng Thị Xa"),
            "a name from outside the commune"
        );
        assert!(list.contains("id=\"contact-total\">2<"), "{list}");
        let api: serde_json::Value = app
            .get("/api/v1/contacts", Some(&xa))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(api["total"], 2);
        assert_eq!(api["items"][0]["b_id"], serde_json::Value::Null);
        // Another commune's list is not reachable; the province narrows to b.
        let res = app.get(&format!("/contacts?unit={b}"), Some(&xa)).await;
        assert_eq!(res.status(), 404);
        let list = app
            .get(&format!("/contacts?unit={b}"), Some(&tinh))
            .await
            .text()
            .await
            .unwrap();
        assert!(list.contains("Vàng Thị Xa") && !list.contains("Giàng A Páo"));
        let list = app
            .get(&format!("/contacts?unit={district_a}"), Some(&tinh))
            .await
            .text()
            .await
            .unwrap();
        assert!(list.contains("id=\"contact-total\">2<"), "{list}");
        // Place-bound accounts have no contact list.
        app.add_user_in("cachly", PW, "facility_manager", "place", "FAC-1")
            .await;
        let fac = app.signed_in("cachly", PW).await;
        assert_eq!(app.get("/contacts", Some(&fac)).await.status(), 403);
        assert_eq!(app.get("/api/v1/contacts", Some(&fac)).await.status(), 403);
        assert_eq!(
            app.get(&format!("/persons/{f0}/contacts"), Some(&fac))
                .await
                .status(),
            404
        );
    }
}
