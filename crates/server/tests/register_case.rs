//! Registering a case from the person page: the case is stored and audited, and the
//! levels of everyone it reaches are updated at once by the engine (incrementally),
//! so the contact's page shows F1 with the chain back to the case.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{person, TestApp};
use phongdich_domain::{Interval, PlaceKind, Timestamp, UnitCode, VenueKind};
use phongdich_store::{NewContact, NewPlace, NewPresence};

#[tokio::test]
async fn a_registered_case_makes_its_contacts_f1_and_theirs_f2() {
    // The data is in the database before the server starts (the engine is built from
    // it at start); the case then comes through the page.
    for db in phongdich_store::testing::all_backends().await.unwrap() {
        let s = &db.store.clone();
        let communes = s
            .communes_of_province(&UnitCode::parse("12").unwrap())
            .await
            .unwrap();
        let unit = communes[0].code.clone();
        let f0 = s
            .insert_person(&person("P1", "Giàng A Páo", &unit))
            .await
            .unwrap();
        let f1 = s
            .insert_person(&person("P2", "Lò Thị Mai", &unit))
            .await
            .unwrap();
        let f2 = s
            .insert_person(&person("P3", "Nguyễn Văn Hùng", &unit))
            .await
            .unwrap();
        let t = Timestamp::parse("2021-05-12T08:00:00+07:00").unwrap();
        s.insert_contact(&NewContact {
            a_id: f0,
            b_id: f1,
            interval: Interval::new(t, Timestamp(t.0 + 1800)).unwrap(),
            setting: Some("bữa cơm".to_owned()),
        })
        .await
        .unwrap();
        let market = s
            .insert_place(&NewPlace {
                id: None,
                reference: "CHO1".into(),
                kind: PlaceKind::Venue,
                venue_kind: Some(VenueKind::Market),
                name: "Chợ Tam Đường".into(),
                unit_code: Some(unit.clone()),
                address: None,
                capacity: None,
                operator: None,
            })
            .await
            .unwrap();
        for (who, from) in [(f1, 3_600), (f2, 4_500)] {
            s.insert_presence(&NewPresence {
                person_id: who,
                place_id: market,
                interval: Interval::new(Timestamp(t.0 + from), Timestamp(t.0 + 7_200)).unwrap(),
            })
            .await
            .unwrap();
        }
        let app = TestApp::start(db).await;
        let pw = "mật khẩu đủ dài";
        app.add_user("xa", pw, "commune_officer", unit.as_str())
            .await;
        let cookie = app.signed_in("xa", pw).await;
        let page = app
            .get(&format!("/persons/{f1}"), Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Không thuộc diện truy vết"),
            "{}",
            app.db.name()
        );
        let csrf = helpers::hidden_field(&page, "csrf").unwrap();

        let res = app
            .post_form(
                &format!("/persons/{f0}/case"),
                Some(&cookie),
                &[
                    ("csrf", &csrf),
                    ("sample_date", "2021-05-13"),
                    ("onset", ""),
                    ("isolated_at", "2021-05-13T10:00"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "{}", app.db.name());

        // Stored at once, without a re-trace.
        let level = s.trace_level(f1).await.unwrap().unwrap();
        assert_eq!((level.level, level.exposed_at), (1, t), "{}", app.db.name());
        let level = s.trace_level(f2).await.unwrap().unwrap();
        assert_eq!(level.level, 2);
        assert_eq!(s.trace_level(f0).await.unwrap().unwrap().level, 0);

        let page = app
            .get(&format!("/persons/{f2}"), Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("F2"), "{page}");
        let chain = &page[page.find("<ol class=\"chain\">").unwrap()..];
        assert!(chain.contains(&format!("href=\"/persons/{f1}\"")));
        assert!(chain.contains(&format!("href=\"/persons/{f0}\"")));
        assert!(!page.contains("name=\"sample_date\"") || page.contains("register-case"));

        // Audited; and a second registration is refused.
        let events = s.audit_events(None, 100).await.unwrap();
        assert!(events.iter().any(|e| e.event.entity == "case"
            && e.event.action == "create"
            && e.event.after_json.is_some()));
        let res = app
            .post_form(
                &format!("/persons/{f0}/case"),
                Some(&cookie),
                &[("csrf", &csrf), ("sample_date", "2021-05-13")],
            )
            .await;
        assert_eq!(
            res.status(),
            409,
            "already a case: a conflict, shown on the form"
        );
    }
}

#[tokio::test]
async fn only_writers_inside_the_jurisdiction_register_cases() {
    for app in TestApp::all().await {
        let s = &app.db.store;
        let communes = s
            .communes_of_province(&UnitCode::parse("12").unwrap())
            .await
            .unwrap();
        let (a, b) = (communes[0].code.clone(), communes[1].code.clone());
        let id = s
            .insert_person(&person("P1", "Mùa Thị Dợ", &a))
            .await
            .unwrap();
        let pw = "mật khẩu đủ dài";
        app.add_user("xa_b", pw, "commune_officer", b.as_str())
            .await;
        app.add_user("leader", pw, "leader", "12").await;
        for (user, expected) in [("xa_b", 404), ("leader", 403)] {
            let cookie = app.signed_in(user, pw).await;
            let page = app
                .get("/dashboard", Some(&cookie))
                .await
                .text()
                .await
                .unwrap();
            let csrf = helpers::hidden_field(&page, "csrf").unwrap();
            let res = app
                .post_form(
                    &format!("/persons/{id}/case"),
                    Some(&cookie),
                    &[("csrf", &csrf), ("sample_date", "2021-05-13")],
                )
                .await;
            assert_eq!(res.status(), expected, "{user}");
        }
        assert!(s.case_of_person(id).await.unwrap().is_none());
    }
}
