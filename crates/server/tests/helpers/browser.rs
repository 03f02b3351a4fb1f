//! Headless Chromium for the browser tests, driven over the W3C WebDriver protocol by
//! chromedriver (Debian's `chromium` and `chromium-driver`, installed by `.ci/run`).
//! The protocol is a handful of JSON calls, spoken here with reqwest (already a test
//! dependency) rather than a WebDriver client crate.
//!
//! Locally, without chromedriver and outside CI, [`available`] says so and the tests
//! pass; in CI (`CI=true`) a missing browser fails them.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The phone every phone test emulates: its screen, in CSS pixels.
pub const PHONE_WIDTH: u32 = 390;
pub const PHONE_HEIGHT: u32 = 844;

/// Whether chromedriver and Chromium are installed; outside CI, says so when they are
/// not (the test then returns), and in CI fails.
pub fn available() -> bool {
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

/// A chromedriver process and one WebDriver session in it, with its own fresh
/// profile; the driver is killed when this is dropped.
pub struct Browser {
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

impl Browser {
    /// Headless Chromium with its default (desktop) window.
    pub async fn start() -> Self {
        Self::start_with(&[], None).await
    }

    /// Headless Chromium emulating a [`PHONE_WIDTH`] × [`PHONE_HEIGHT`] phone (touch,
    /// pixel ratio 3).
    pub async fn phone() -> Self {
        let window = format!("--window-size={PHONE_WIDTH},{PHONE_HEIGHT}");
        let emulation = json!({
            "deviceMetrics": {
                "width": PHONE_WIDTH, "height": PHONE_HEIGHT, "pixelRatio": 3.0, "touch": true
            }
        });
        Self::start_with(&[window], Some(emulation)).await
    }

    /// Starts chromedriver on a free port, waits for it, and opens a session with
    /// these Chromium arguments (after the usual ones) and `mobileEmulation`.
    async fn start_with(extra_args: &[String], mobile_emulation: Option<Value>) -> Self {
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
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ]
        .iter()
        .map(|&a| a.to_owned())
        .collect();
        args.extend(extra_args.iter().cloned());
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut options = json!({ "binary": CHROMIUM, "args": args });
        if let Some(emulation) = mobile_emulation {
            options["mobileEmulation"] = emulation;
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
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

    /// One WebDriver command of the session (`path` after `/session/{id}`); fails the
    /// test on a WebDriver error, and returns the `value`.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if !body.is_null() {
            req = req.json(&body);
        }
        let res: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(res["value"]["error"].is_null(), "WebDriver {path}: {res}");
        res["value"].clone()
    }

    /// Navigates to `url` (returns once it has loaded).
    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    /// Sets the window's outer size, in CSS pixels.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            json!({ "width": width, "height": height }),
        )
        .await;
    }

    /// The WebDriver id of the first element matching `css`.
    pub async fn find(&self, css: &str) -> String {
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

    /// Types `text` into the first element matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    /// Clicks the first element matching `css` (returns before a navigation it starts
    /// is done: see [`Browser::wait_for_url`]).
    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    /// Runs `script` (a function body, without arguments) in the page; returns what it
    /// returns.
    pub async fn eval(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    /// The page's current HTML.
    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The page's current URL.
    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits (up to 20 s) until the page after a click has loaded at a URL ending
    /// with `suffix`: a click returns before the navigation it starts is done.
    pub async fn wait_for_url(&self, suffix: &str) -> bool {
        self.wait_for_page(|url| url.ends_with(suffix)).await
    }

    /// Waits (up to 20 s) until a page whose URL contains `part` has loaded.
    pub async fn wait_for_url_containing(&self, part: &str) -> bool {
        self.wait_for_page(|url| url.contains(part)).await
    }

    /// Waits (up to 20 s) until a page whose URL satisfies `wanted` has loaded.
    async fn wait_for_page(&self, wanted: impl Fn(&str) -> bool) -> bool {
        for _ in 0..200 {
            let ready = self.eval("return document.readyState;").await;
            if wanted(&self.url().await) && ready == "complete" {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Signs in on the app at `app_base` through its sign-in form, and fails the test
    /// unless the dashboard has loaded.
    pub async fn sign_in(&self, app_base: &str, username: &str, password: &str) {
        self.goto(&format!("{app_base}/signin")).await;
        self.type_into("input[name=username]", username).await;
        self.type_into("input[name=password]", password).await;
        self.click("form button[type=submit]").await;
        assert!(
            self.wait_for_url("/dashboard").await,
            "sign-in of {username} did not reach the dashboard: {}",
            self.source().await
        );
    }

    /// Waits (up to 10 s) until the page's HTML contains `text` (what a script on it
    /// writes after a click, say).
    pub async fn wait_for_text(&self, text: &str) -> bool {
        for _ in 0..100 {
            if self.source().await.contains(text) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Bytes of the page and everything it loaded (decoded sizes: the most a phone
    /// receives, uncompressed), from the Resource Timing API.
    pub async fn weight(&self) -> u64 {
        self.eval(
            "const n = performance.getEntriesByType('navigation')[0];
             return performance.getEntriesByType('resource')
                 .reduce((s, r) => s + r.decodedBodySize, n.decodedBodySize);",
        )
        .await
        .as_u64()
        .unwrap()
    }

    /// Whether the page scrolls sideways (it must fit a phone's width).
    pub async fn scrolls_sideways(&self) -> bool {
        self.eval("return document.documentElement.scrollWidth > window.innerWidth + 1;")
            .await
            .as_bool()
            .unwrap()
    }

    /// Ends the session (the driver itself stops when this is dropped).
    pub async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}
