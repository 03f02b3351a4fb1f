//! The person page: search without diacritics finds the person, whose page shows a
//! timeline of contacts and tests with links to the other person.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::TestApp;
use phongdich_domain::{FullName, Interval, TestKind, TestResult, Timestamp};
use phongdich_store::{NewContact, NewPerson, NewTest};

fn person(reference: &str, name: &str) -> NewPerson {
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
        unit_code: None,
        household_id: None,
    }
}

#[tokio::test]
async fn search_without_diacritics_then_the_timeline() {
    for app in TestApp::all().await {
        let s = &app.db.store;
        let nguyen = s
            .insert_person(&person("P1", "Nguyễn Thị Hoà"))
            .await
            .unwrap();
        let lo = s
            .insert_person(&person("P2", "Lò Văn Thắng"))
            .await
            .unwrap();
        let t = Timestamp::parse("2021-05-12T08:00:00+07:00").unwrap();
        s.insert_contact(&NewContact {
            a_id: lo,
            b_id: nguyen,
            interval: Interval::new(t, Timestamp(t.0 + 1800)).unwrap(),
            setting: Some("bữa cơm".to_owned()),
        })
        .await
        .unwrap();
        s.insert_test(&NewTest {
            person_id: nguyen,
            sampled_at: Timestamp(t.0 + 86_400),
            kind: TestKind::Pcr,
            result: TestResult::Positive,
            laboratory: None,
        })
        .await
        .unwrap();
        app.add_user("pho", "mật khẩu tỉnh dài", "province_officer", "12")
            .await;
        let cookie = app.signed_in("pho", "mật khẩu tỉnh dài").await;

        let found = app
            .get("/persons?q=nguyen", Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            found.contains("Nguyễn Thị Hoà") && !found.contains("Lò Văn"),
            "{}: {found}",
            app.db.name()
        );
        assert!(found.contains(&format!("href=\"/persons/{nguyen}\"")));

        let page = app
            .get(&format!("/persons/{nguyen}"), Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        let timeline = &page[page.find("<ul class=\"timeline\">").unwrap()..];
        let contact = timeline.find("Tiếp xúc gần với").unwrap();
        let test = timeline.find("Dương tính").unwrap();
        assert!(contact < test, "oldest first");
        assert!(page.contains(&format!("href=\"/persons/{lo}\"")) && page.contains("bữa cơm"));
    }
}

#[tokio::test]
async fn test_results_are_entered_in_the_jurisdiction_by_writers_and_audited() {
    for app in TestApp::all().await {
        let s = &app.db.store;
        let communes = s
            .communes_of_province(&phongdich_domain::UnitCode::parse("12").unwrap())
            .await
            .unwrap();
        let (a, b) = (communes[0].code.clone(), communes[1].code.clone());
        let mut p = person("P1", "Mùa Thị Dợ");
        p.unit_code = Some(a.clone());
        let id = s.insert_person(&p).await.unwrap();
        let pw = "mật khẩu đủ dài";
        app.add_user("xa_a", pw, "commune_officer", a.as_str())
            .await;
        app.add_user("xa_b", pw, "commune_officer", b.as_str())
            .await;
        app.add_user("leader", pw, "leader", "12").await;
        let path = format!("/persons/{id}/tests");
        let form = |csrf: String| {
            vec![
                ("csrf".to_owned(), csrf),
                ("kind".to_owned(), "pcr".to_owned()),
                ("result".to_owned(), "positive".to_owned()),
                ("sampled_at".to_owned(), "2021-05-12T15:00".to_owned()),
            ]
        };
        let post = |cookie: String, fields: Vec<(String, String)>| {
            let app = &app;
            let path = path.clone();
            async move {
                let f: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                app.post_form(&path, Some(&cookie), &f)
                    .await
                    .status()
                    .as_u16()
            }
        };
        let csrf_of = |body: &str| helpers::hidden_field(body, "csrf").unwrap();

        let leader = app.signed_in("leader", pw).await;
        let page = app
            .get(&format!("/persons/{id}"), Some(&leader))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !page.contains("name=\"sampled_at\""),
            "no form for the read-only leader"
        );
        assert_eq!(post(leader, form(csrf_of(&page))).await, 403);

        let xa_b = app.signed_in("xa_b", pw).await;
        let other = app
            .get("/dashboard", Some(&xa_b))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            post(xa_b, form(csrf_of(&other))).await,
            404,
            "outside the jurisdiction"
        );

        let xa_a = app.signed_in("xa_a", pw).await;
        let page = app
            .get(&format!("/persons/{id}"), Some(&xa_a))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(post(xa_a.clone(), form("forged".to_owned())).await, 403);
        assert_eq!(
            post(xa_a.clone(), form(csrf_of(&page))).await,
            303,
            "{}",
            app.db.name()
        );
        let page = app
            .get(&format!("/persons/{id}"), Some(&xa_a))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Dương tính") && page.contains("12/05/2021 15:00"),
            "{page}"
        );
        assert_eq!(s.tests_of_person(id).await.unwrap().len(), 1);
        let created = s.audit_events(Some(("test", "")), 10).await.unwrap();
        let all = s.audit_events(None, 100).await.unwrap();
        let create = all.iter().find(|e| e.event.action == "create").unwrap();
        assert_eq!(create.event.entity, "test");
        assert!(create
            .event
            .after_json
            .as_deref()
            .unwrap()
            .contains("\"result\":\"positive\""));
        assert!(
            created.is_empty(),
            "an exact id filter finds no test with id ''"
        );
    }
}

#[tokio::test]
async fn the_person_page_explains_the_level_link_by_link() {
    use phongdich_domain::{Case, CaseClassification, CaseOutcome};
    use phongdich_store::NewCase;
    // A case and two contacts in a row, in the database before the server starts: the
    // engine it builds at start traces them and stores the levels and links.
    let db = phongdich_store::testing::fresh_sqlite().await.unwrap();
    let s = db.store.clone();
    let f0 = s.insert_person(&person("P0", "Giàng A Páo")).await.unwrap();
    let f1 = s.insert_person(&person("P1", "Lò Thị Một")).await.unwrap();
    let f2 = s.insert_person(&person("P2", "Lò Văn Hai")).await.unwrap();
    let t = Timestamp(1_620_000_000);
    s.insert_case(&NewCase {
        person_id: f0,
        recorded_at: phongdich_domain::Timestamp(1_620_000_000),
        case: Case {
            onset: None,
            sample_date: None,
            infectious_from: Timestamp(t.0 - 86_400),
            isolated_at: None,
            classification: CaseClassification::Confirmed,
            outcome: CaseOutcome::UnderTreatment,
        },
    })
    .await
    .unwrap();
    for (a, b, from) in [(f0, f1, t.0), (f1, f2, t.0 + 3_600)] {
        s.insert_contact(&NewContact {
            a_id: a,
            b_id: b,
            interval: Interval::new(Timestamp(from), Timestamp(from + 600)).unwrap(),
            setting: None,
        })
        .await
        .unwrap();
    }
    let app = TestApp::start(db).await;
    app.engine_ready().await;
    assert!(s.trace_level(f2).await.unwrap().is_some(), "F2 is traced");
    app.add_user("tinh", "mật khẩu tỉnh dài", "province_officer", "12")
        .await;
    let cookie = app.signed_in("tinh", "mật khẩu tỉnh dài").await;
    let page = app
        .get(&format!("/persons/{f2}"), Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    let chain = &page[page.find("<ol class=\"chain\">").unwrap()..];
    let chain = &chain[..chain.find("</ol>").unwrap()];
    let links: Vec<_> = [f2, f1, f0]
        .iter()
        .map(|id| chain.find(&format!("href=\"/persons/{id}\"")).unwrap())
        .collect();
    assert!(
        links.windows(2).all(|w| w[0] < w[1]),
        "F2 -> F1 -> F0: {chain}"
    );
    assert!(chain.contains(">F0<") && chain.contains("tiếp xúc gần"));
}
