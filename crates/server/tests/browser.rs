//! Browser tests in headless Chromium, driven over the W3C WebDriver protocol by
//! chromedriver (see `helpers::browser`).
//!
//! Locally, without chromedriver and outside CI, the tests say so and pass; in CI
//! (`CI=true`) a missing browser fails them.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::browser::{available, Browser, PHONE_HEIGHT, PHONE_WIDTH};
use helpers::{person, TestApp};
use phongdich_domain::{Interval, Timestamp, UnitCode};
use phongdich_store::NewContact;
use serde_json::{json, Value};

#[tokio::test]
async fn sign_in_search_without_diacritics_and_register_a_case_in_chromium() {
    if !available() {
        return;
    }
    let db = phongdich_store::testing::fresh_sqlite().await.unwrap();
    let s = db.store.clone();
    let communes = s
        .communes_of_province(&UnitCode::parse("12").unwrap())
        .await
        .unwrap();
    let unit = communes[0].code.clone();
    let f0 = s
        .insert_person(&person("P1", "Nguyễn Văn An", &unit))
        .await
        .unwrap();
    let f1 = s
        .insert_person(&person("P2", "Lò Thị Mai", &unit))
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
    app.add_user("xa", "mật khẩu đủ dài", "commune_officer", unit.as_str())
        .await;

    let browser = Browser::start().await;
    browser.sign_in(&app.base, "xa", "mật khẩu đủ dài").await;

    // Search without diacritics finds the name with them.
    browser
        .goto(&format!("{}/persons?q=nguyen", app.base))
        .await;
    let page = browser.source().await;
    assert!(page.contains("Nguyễn Văn An"), "{page}");

    // The contact is not traced yet; register the case from its positive test.
    browser.goto(&format!("{}/persons/{f1}", app.base)).await;
    assert!(browser.source().await.contains("Không thuộc diện truy vết"));
    browser.goto(&format!("{}/persons/{f0}", app.base)).await;
    browser
        .eval("document.querySelector('input[name=sample_date]').value = '2021-05-13';")
        .await;
    browser.click("#register-case").await;
    assert!(browser.wait_for_url(&format!("/persons/{f0}")).await);
    assert!(browser.source().await.contains("F0"));

    // Its F1 appears.
    browser.goto(&format!("{}/persons/{f1}", app.base)).await;
    let page = browser.source().await;
    assert!(page.contains("F1"), "{page}");
    assert!(
        page.contains(&format!("href=\"/persons/{f0}\"")),
        "the chain links the case"
    );
    browser.quit().await;
}

#[tokio::test]
async fn the_dashboard_shows_the_engine_building_then_the_levels() {
    if !available() {
        return;
    }
    let db = phongdich_store::testing::fresh_sqlite().await.unwrap();
    let s = db.store.clone();
    let unit = s
        .communes_of_province(&UnitCode::parse("12").unwrap())
        .await
        .unwrap()[0]
        .code
        .clone();
    let f0 = s
        .insert_person(&person("P1", "Nguyễn Văn An", &unit))
        .await
        .unwrap();
    let f1 = s
        .insert_person(&person("P2", "Lò Thị Mai", &unit))
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
    s.insert_case(&phongdich_store::NewCase {
        person_id: f0,
        recorded_at: t,
        case: phongdich_domain::Case::confirmed(None, t.local_date().succ_opt(), None).unwrap(),
    })
    .await
    .unwrap();
    let (app, release) = TestApp::start_building(db).await;
    app.add_user("xa", "mật khẩu đủ dài", "commune_officer", unit.as_str())
        .await;

    let browser = Browser::start().await;
    browser.sign_in(&app.base, "xa", "mật khẩu đủ dài").await;
    let page = browser.source().await;
    assert!(
        page.contains("data-engine=\"building\"") && page.contains("Đang truy vết"),
        "{page}"
    );
    // While it builds, F1..F4 are not shown as zeros.
    assert!(page.contains("data-level=\"1\">…"), "{page}");

    release.send(()).unwrap();
    app.engine_ready().await;
    browser.goto(&format!("{}/dashboard", app.base)).await;
    let page = browser.source().await;
    assert!(!page.contains("data-engine="), "{page}");
    assert!(page.contains("data-level=\"1\">1<"), "one F1: {page}");
    browser.quit().await;
}

#[tokio::test]
async fn a_phone_opens_a_venue_poster_link_and_checks_in_in_chromium() {
    if !available() {
        return;
    }
    let app = TestApp::start(phongdich_store::testing::fresh_sqlite().await.unwrap()).await;
    let unit = app
        .db
        .store
        .communes_of_province(&UnitCode::parse("12").unwrap())
        .await
        .unwrap()[0]
        .code
        .clone();
    app.add_user("xa", "mật khẩu đủ dài", "commune_officer", unit.as_str())
        .await;
    let token = app
        .api_token("xa", phongdich_store::TokenScope::Write)
        .await;
    let venue: Value = app
        .client
        .post(format!("{}/api/v1/venues", app.base))
        .bearer_auth(&token)
        .json(&json!({ "name": "Chợ Tam Đường", "venue_kind": "market", "unit": unit.as_str() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = venue["id"].as_i64().unwrap();

    let browser = Browser::start().await;
    // A phone-sized window.
    browser.set_window_size(PHONE_WIDTH, PHONE_HEIGHT).await;
    browser.sign_in(&app.base, "xa", "mật khẩu đủ dài").await;

    // The venue page links its poster; the poster carries the check-in URL.
    browser.goto(&format!("{}/venues/{id}", app.base)).await;
    browser.click("#poster-link").await;
    assert!(browser.wait_for_url(&format!("/venues/{id}/poster")).await);
    let poster = browser.source().await;
    assert!(poster.contains("poster-qr"), "{poster}");
    let url = poster
        .split("class=\"poster-url\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(url.starts_with(&app.base) && url.contains("/c/"), "{url}");

    // Scanned on a phone: the check-in page, phone and name once.
    browser.goto(&url).await;
    let page = browser.source().await;
    assert!(page.contains("Chợ Tam Đường"), "{page}");
    browser.type_into("#phone", "0912 345 678").await;
    browser.type_into("#full_name", "Lò Thị Mai").await;
    browser.click("#check-in").await;
    assert!(
        browser.wait_for_text("id=\"checked-in\"").await,
        "{}",
        browser.source().await
    );

    // Next time: remembered on the phone, one tap.
    browser.goto(&url).await;
    let again = browser.source().await;
    assert!(again.contains("id=\"known\""), "{again}");
    browser.click("#check-in").await;
    assert!(browser.wait_for_text("id=\"checked-in\"").await);
    let n: i64 = app
        .db
        .store
        .check_ins_at_venue(id, 10)
        .await
        .unwrap()
        .len()
        .try_into()
        .unwrap();
    assert_eq!(n, 2);

    // The whole page weighs under 100 KB: the document and every resource it loaded.
    browser.goto(&url).await;
    let bytes = browser.weight().await;
    assert!(bytes > 1000 && bytes < 100_000, "{bytes} bytes");
    // The same from outside: HTML plus stylesheet.
    let html = app.get(token_path(&url), None).await.text().await.unwrap();
    let css = app
        .get(phongdich_server::web::layout::CSS_PATH, None)
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        html.len() + css.len() < 100_000,
        "{}",
        html.len() + css.len()
    );
    assert!(!html.contains("<script"), "no script");
    browser.quit().await;
}

fn token_path(url: &str) -> &str {
    &url[url.find("/c/").unwrap()..]
}
