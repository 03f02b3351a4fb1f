//! The public pages over a real socket, on SQLite and (with `PHONGDICH_TEST_PG`)
//! PostgreSQL: health check, landing page with the province's totals, language switch,
//! stylesheet.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::TestApp;
use phongdich_domain::FullName;
use phongdich_store::NewPerson;

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
async fn health_check_answers_ok() {
    for app in TestApp::all().await {
        let res = app.get_health().await;
        assert_eq!(res.status(), 200, "{}", app.db.name());
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], "ok");
        assert!(
            ["building", "ready"].contains(&body["engine"]["state"].as_str().unwrap()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn landing_page_shows_the_counts_in_vietnamese_then_english() {
    for app in TestApp::all().await {
        let store = &app.db.store;
        for (i, name) in ["Nguyễn Văn An", "Lò Thị Bình", "Giàng A Páo"]
            .iter()
            .enumerate()
        {
            store
                .insert_person(&person(&format!("P{i}"), name))
                .await
                .unwrap();
        }
        let res = app.get_landing(None).await;
        assert_eq!(res.status(), 200, "{}", app.db.name());
        let body = res.text().await.unwrap();
        assert!(body.contains("<html lang=\"vi\">"), "{body}");
        assert!(body.contains("Người dân"), "{body}");
        assert!(
            body.contains("data-count=\"3\""),
            "{}: {body}",
            app.db.name()
        );
        assert!(body.contains("Ca bệnh (F0)"));
        assert!(
            !body.contains("<script"),
            "no scripts needed on the landing page"
        );

        let en = app.get("/?lang=en", None).await.text().await.unwrap();
        assert!(
            en.contains("<html lang=\"en\">") && en.contains("People"),
            "{en}"
        );
        let by_cookie = app.get_landing(Some("lang=en")).await.text().await.unwrap();
        assert!(by_cookie.contains("Households"), "{by_cookie}");
    }
}

#[tokio::test]
async fn language_switch_sets_a_cookie_and_refuses_open_redirects() {
    let app = TestApp::start(phongdich_store::testing::fresh_sqlite().await.unwrap()).await;
    let res = app.get("/lang/en?next=/", None).await;
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("lang=en;") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    for next in [
        "//evil.example",
        "/%09/evil.example",
        "/%0A",
        "/%5Cevil.example",
    ] {
        let res = app.get(&format!("/lang/vi?next={next}"), None).await;
        assert_eq!(res.status(), 400, "{next}");
        assert!(
            res.headers().get("set-cookie").is_none(),
            "{next}: nothing changed"
        );
    }
    assert_eq!(app.get("/lang/xx", None).await.status(), 404);
}

#[tokio::test]
async fn stylesheet_is_served_from_the_binary() {
    let app = TestApp::start(phongdich_store::testing::fresh_sqlite().await.unwrap()).await;
    let body = app.get_landing(None).await.text().await.unwrap();
    let href = body.split("rel=\"stylesheet\" href=\"").nth(1).unwrap();
    let href = &href[..href.find('"').unwrap()];
    let res = app.get(href, None).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let css = res.text().await.unwrap();
    assert!(css.contains("system-ui") && !css.contains("@import") && !css.contains("url(http"));
}
