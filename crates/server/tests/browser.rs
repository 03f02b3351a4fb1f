//! Browser tests in headless Chromium, driven over the W3C WebDriver protocol by
//! chromedriver (Debian's `chromium` and `chromium-driver`, installed by `.ci/run`).
//! The protocol is a handful of JSON calls, spoken here with reqwest (already a test
//! dependency) rather than a WebDriver client crate.
//!
//! Locally, without chromedriver and outside CI, the tests say so and pass; in CI
//! (`CI=true`) a missing browser fails them.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{person, TestApp};
use phongdich_domain::{Interval, Timestamp, UnitCode};
use phongdich_store::NewContact;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn available() -> bool {
    let present =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !present {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true but {CHROMEDRIVER} or {CHROMIUM} is missing (.ci/run installs them)"
        );
        eprintln!("skipping the browser test: no {CHROMEDRIVER} (not in CI)");
    }
    present
}

impl Browser {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let res: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {res}"))
            .to_owned();
        Self {
            driver,
            base,
            session,
            http,
            _profile: profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if !body.is_null() {
            req = req.json(&body);
        }
        let res: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(res["value"]["error"].is_null(), "WebDriver {path}: {res}");
        res["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        v.as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    async fn script(&self, script: &str) {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
        .await;
    }

    async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits (up to 20 s) until the page after a click has loaded at a URL ending
    /// with `suffix`: a click returns before the navigation it starts is done.
    async fn wait_for_url(&self, suffix: &str) -> bool {
        for _ in 0..200 {
            let ready = self
                .call(
                    reqwest::Method::POST,
                    "/execute/sync",
                    json!({ "script": "return document.readyState;", "args": [] }),
                )
                .await;
            if self.url().await.ends_with(suffix) && ready == "complete" {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

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
    browser.goto(&format!("{}/signin", app.base)).await;
    browser.type_into("input[name=username]", "xa").await;
    browser
        .type_into("input[name=password]", "mật khẩu đủ dài")
        .await;
    browser.click("form button[type=submit]").await;
    assert!(
        browser.wait_for_url("/dashboard").await,
        "{}",
        browser.source().await
    );

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
        .script("document.querySelector('input[name=sample_date]').value = '2021-05-13';")
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
    browser.goto(&format!("{}/signin", app.base)).await;
    browser.type_into("input[name=username]", "xa").await;
    browser
        .type_into("input[name=password]", "mật khẩu đủ dài")
        .await;
    browser.click("form button[type=submit]").await;
    assert!(browser.wait_for_url("/dashboard").await);
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
