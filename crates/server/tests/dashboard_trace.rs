//! The dashboard's F0..F4 by unit with drill-down, and the trace view of a case, over
//! levels computed by the engine from contacts and a case entered through the app.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{hidden_field, person, TestApp};
use phongdich_domain::{AdminLevel, Interval, Timestamp, UnitCode};
use phongdich_store::testing::all_backends;
use phongdich_store::NewContact;

const PW: &str = "mật khẩu đủ dài";

/// The number a dashboard card or the trace view shows for `data-level="L"`.
fn card(body: &str, level: u8) -> String {
    let marker = format!("data-level=\"{level}\">");
    let start = body.find(&marker).unwrap() + marker.len();
    body[start..start + body[start..].find('<').unwrap()].to_owned()
}

#[tokio::test]
async fn the_dashboard_drills_down_and_a_case_shows_its_tree() {
    for db in all_backends().await.unwrap() {
        // Everything stored before the server starts, as in a province already running:
        // the engine is built from it at start.
        let s = &db.store.clone();
        let communes = s
            .communes_of_province(&UnitCode::parse("12").unwrap())
            .await
            .unwrap();
        let a = communes
            .iter()
            .find(|c| {
                c.parent
                    .as_ref()
                    .is_some_and(|p| p.level() == AdminLevel::District)
            })
            .unwrap();
        let b = communes.iter().find(|c| c.parent != a.parent).unwrap();
        let (a, district_a, b, district_b) = (
            a.code.clone(),
            a.parent.clone().unwrap(),
            b.code.clone(),
            b.parent.clone().unwrap(),
        );
        let f0 = s
            .insert_person(&person("T0", "Giàng A Páo", &a))
            .await
            .unwrap();
        let f1 = s
            .insert_person(&person("T1", "Lò Thị Mai", &a))
            .await
            .unwrap();
        let f2 = s
            .insert_person(&person("T2", "Vàng A Sử", &b))
            .await
            .unwrap();
        let t = Timestamp::parse("2021-05-12T08:00:00+07:00").unwrap();
        for (x, y, from) in [(f0, f1, 0), (f1, f2, 7_200)] {
            s.insert_contact(&NewContact {
                a_id: x,
                b_id: y,
                interval: Interval::new(Timestamp(t.0 + from), Timestamp(t.0 + from + 1_800))
                    .unwrap(),
                setting: None,
            })
            .await
            .unwrap();
        }
        let app = TestApp::start(db).await;
        app.add_user("xa", PW, "commune_officer", a.as_str()).await;
        app.add_user("xa_b", PW, "commune_officer", b.as_str())
            .await;
        app.add_user("tinh", PW, "province_officer", "12").await;
        let xa = app.signed_in("xa", PW).await;
        let page = app.get("/dashboard", Some(&xa)).await.text().await.unwrap();
        let csrf = hidden_field(&page, "csrf").unwrap();
        let res = app
            .post_form(
                &format!("/persons/{f0}/case"),
                Some(&xa),
                &[("csrf", &csrf), ("sample_date", "2021-05-13")],
            )
            .await;
        assert_eq!(res.status(), 303, "{}", app.db.name());

        // The commune: its case (new today) and its F1; the F2 lives elsewhere.
        let page = app.get("/dashboard", Some(&xa)).await.text().await.unwrap();
        assert_eq!(card(&page, 0), "1", "{}: {page}", app.db.name());
        assert_eq!(card(&page, 1), "1");
        assert_eq!(card(&page, 2), "0");
        assert!(page.contains("data-new=\"0\">1<"), "{page}");
        assert_eq!(
            app.get(&format!("/dashboard?unit={b}"), Some(&xa))
                .await
                .status(),
            404
        );

        // The province: every level, a row per district, drilling down to the commune.
        let tinh = app.signed_in("tinh", PW).await;
        let page = app
            .get("/dashboard", Some(&tinh))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            (card(&page, 0), card(&page, 1), card(&page, 2)),
            ("1".into(), "1".into(), "1".into())
        );
        assert!(page.contains(&format!("data-unit=\"{district_a}\"")));
        assert!(page.contains(&format!("href=\"/dashboard?unit={district_b}\"")));
        let page = app
            .get(&format!("/dashboard?unit={district_b}"), Some(&tinh))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(card(&page, 2), "1", "{page}");
        assert!(page.contains(&format!("data-unit=\"{b}\"")));

        // The trace view (by case id): the commune sees its F1 by name, the F2 counted
        // but unnamed.
        let case = s.case_of_person(f0).await.unwrap().unwrap().id;
        let page = app
            .get(&format!("/cases/{case}/trace"), Some(&xa))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Lò Thị Mai") && !page.contains("Vàng A Sử"),
            "{page}"
        );
        assert!(page.contains(&format!("href=\"/persons/{f1}\"")));
        assert_eq!((card(&page, 1), card(&page, 2)), ("1".into(), "1".into()));
        assert!(page.contains(b.as_str()), "per commune, with the F2's");
        let page = app
            .get(&format!("/cases/{case}/trace"), Some(&tinh))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Vàng A Sử") && page.contains(&format!("href=\"/persons/{f2}\"")));
        // The case's page links to its trace; another commune cannot see it.
        let xa_b = app.signed_in("xa_b", PW).await;
        assert_eq!(
            app.get(&format!("/cases/{case}/trace"), Some(&xa_b))
                .await
                .status(),
            404
        );
        let page = app
            .get(&format!("/persons/{f0}"), Some(&xa))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!("href=\"/cases/{case}/trace\"")));

        // The case list: the case, filtered by sample date and classification, leads
        // to its trace; a bad filter is a 400.
        let list = |q: &'static str| {
            let xa = xa.clone();
            let app = &app;
            async move {
                let res = app.get(&format!("/cases{q}"), Some(&xa)).await;
                (res.status().as_u16(), res.text().await.unwrap())
            }
        };
        let (status, page) = list("").await;
        assert_eq!(status, 200);
        assert!(
            page.contains("Giàng A Páo") || page.contains(&format!("href=\"/persons/{f0}\"")),
            "{page}"
        );
        assert!(
            page.contains(&format!("href=\"/cases/{case}/trace\"")),
            "{page}"
        );
        let (_, page) = list("?from=2021-05-13&to=2021-05-13&classification=confirmed").await;
        assert!(page.contains(&format!("data-case=\"{case}\"")), "{page}");
        let (_, page) = list("?from=2021-05-14").await;
        assert!(!page.contains("data-case="), "{page}");
        let (_, page) = list("?classification=suspect").await;
        assert!(!page.contains("data-case="), "{page}");
        assert_eq!(list("?classification=bogus").await.0, 400);
        assert_eq!(list("?from=13/05/2021").await.0, 400);
        let xa_b_cases = app.get("/cases", Some(&xa_b)).await.text().await.unwrap();
        assert!(
            !xa_b_cases.contains("data-case="),
            "another commune sees none"
        );
    }
}
