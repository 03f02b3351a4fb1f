//! The jurisdiction matrix: two communes in different districts, a person named Nguyễn
//! in each, and a user of every role; each user sees exactly its own jurisdiction on
//! every person page and in search (0 leaks). Also: search without diacritics, and
//! viewing a person is audited.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{person, two_communes, TestApp};

const PASSWORD: &str = "mật khẩu thử nghiệm";

#[tokio::test]
async fn every_role_sees_only_its_jurisdiction() {
    for app in TestApp::all().await {
        let store = &app.db.store;
        let (a, district_a, b) = two_communes(store).await;
        let id_a = store
            .insert_person(&person("PA", "Nguyễn Văn Ánh", &a))
            .await
            .unwrap();
        let id_b = store
            .insert_person(&person("PB", "Nguyễn Thị Bích", &b))
            .await
            .unwrap();

        let users = helpers::matrix_users(&a, &district_a, &b);
        let mut leaks = Vec::new();
        for u in &users {
            let (name, role, kind, code) = (&u.username, &u.role, &u.kind, &u.code);
            let (sees_a, sees_b) = (&u.sees_a, &u.sees_b);
            app.add_user_in(name, PASSWORD, role, kind, code).await;
            let cookie = app.signed_in(name, PASSWORD).await;
            for (id, sees, who) in [(id_a, *sees_a, "Ánh"), (id_b, *sees_b, "Bích")] {
                let res = app.get(&format!("/persons/{id}"), Some(&cookie)).await;
                let status = res.status().as_u16();
                let body = res.text().await.unwrap();
                if sees != (status == 200 && body.contains(who)) {
                    leaks.push(format!("{name}: /persons/{id} -> {status}"));
                }
                let res = app
                    .get(&format!("/api/v1/persons/{id}"), Some(&cookie))
                    .await;
                let status = res.status().as_u16();
                let body = res.text().await.unwrap();
                if sees != (status == 200 && body.contains(who)) {
                    leaks.push(format!("{name}: /api/v1/persons/{id} -> {status}"));
                }
            }
            let res = app.get("/persons?q=nguyen", Some(&cookie)).await;
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            if *kind == "place" {
                if status != 403 || body.contains("Nguyễn") {
                    leaks.push(format!("{name}: search -> {status}"));
                }
                let api = app.get("/api/v1/persons?q=nguyen", Some(&cookie)).await;
                if api.status() != 403 {
                    leaks.push(format!("{name}: API search -> {}", api.status()));
                }
                continue;
            }
            if body.contains("Ánh") != *sees_a || body.contains("Bích") != *sees_b {
                leaks.push(format!("{name}: search shows the wrong people"));
            }
            let api = app
                .get("/api/v1/persons?q=nguyen", Some(&cookie))
                .await
                .text()
                .await
                .unwrap();
            if api.contains("Ánh") != *sees_a || api.contains("Bích") != *sees_b {
                leaks.push(format!("{name}: API search shows the wrong people"));
            }
        }
        assert!(leaks.is_empty(), "{}: {leaks:#?}", app.db.name());

        // Viewing is audited: one event per successful view of A above (5 users may see A,
        // on the page and through the API).
        let events = store
            .audit_events(Some(("person", &id_a.to_string())), 100)
            .await
            .unwrap();
        assert_eq!(events.len(), 10, "{}: pages and API", app.db.name());
        assert!(events
            .iter()
            .all(|e| e.event.action == "view" && e.event.user_id.is_some()));
    }
}

#[tokio::test]
async fn the_dashboard_shows_cases_of_the_own_communes_only() {
    use phongdich_domain::{Case, CaseClassification, CaseOutcome, Timestamp};
    use phongdich_store::NewCase;
    for app in TestApp::all().await {
        let store = &app.db.store;
        let (a, _district_a, b) = two_communes(store).await;
        for (r, unit) in [("CA", &a), ("CB", &b)] {
            let id = store
                .insert_person(&person(r, "Lò Văn Ca", unit))
                .await
                .unwrap();
            store
                .insert_case(&NewCase {
                    person_id: id,
                    recorded_at: phongdich_domain::Timestamp(1_620_000_000),
                    case: Case {
                        onset: None,
                        sample_date: None,
                        infectious_from: Timestamp(1_620_000_000),
                        isolated_at: None,
                        classification: CaseClassification::Confirmed,
                        outcome: CaseOutcome::UnderTreatment,
                    },
                })
                .await
                .unwrap();
        }
        let name_a = store.unit(&a).await.unwrap().name;
        let name_b = store.unit(&b).await.unwrap().name;
        app.add_user("xa_a", PASSWORD, "commune_officer", a.as_str())
            .await;
        app.add_user("tinh", PASSWORD, "leader", "12").await;
        let xa = app.signed_in("xa_a", PASSWORD).await;
        let body = app.get("/dashboard", Some(&xa)).await.text().await.unwrap();
        assert!(
            body.contains(&name_a) && !body.contains(&name_b),
            "{}: {body}",
            app.db.name()
        );
        assert!(
            body.contains("data-level=\"4\""),
            "every unit account sees the totals of its own jurisdiction"
        );
        let tinh = app.signed_in("tinh", PASSWORD).await;
        let body = app
            .get("/dashboard", Some(&tinh))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            body.contains(&name_a) && body.contains(&name_b) && body.contains("data-level=\"4\"")
        );
    }
}
