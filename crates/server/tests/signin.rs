//! Sign-in, sign-out, CSRF and throttling over a real socket; and the route
//! enumeration test: every route that needs a session refuses an anonymous request.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{hidden_field, set_cookie, TestApp};
use phongdich_server::Guard;
use phongdich_store::testing::fresh_sqlite;

#[tokio::test]
async fn every_signed_in_route_refuses_anonymous_requests() {
    let app = TestApp::start(fresh_sqlite().await.unwrap()).await;
    for (method, path) in helpers::routes(Guard::SignedIn) {
        let req = match method.as_str() {
            "GET" => app.client.get(format!("{}{path}", app.base)),
            "POST" => app
                .client
                .post(format!("{}{path}", app.base))
                .form(&[("csrf", "x")]),
            m => panic!("add method {m} to this test"),
        };
        let res = req
            .header("cookie", "pd_session=forged")
            .send()
            .await
            .unwrap();
        if path.starts_with("/api/") {
            assert_eq!(res.status(), 401, "{method} {path}");
        } else {
            assert_eq!(res.status(), 303, "{method} {path}");
            let to = res.headers()["location"].to_str().unwrap();
            assert!(to.starts_with("/signin?next="), "{method} {path} -> {to}");
        }
    }
    for (method, path) in helpers::routes(Guard::Public)
        .into_iter()
        .filter(|(m, _)| m == "GET")
    {
        let res = app.get(path, None).await;
        // A venue's check-in page answers 404 for a token of no venue (the sample).
        let no_venue = path.starts_with("/c/") && res.status() == 404;
        // A declaration's result answers 404 on a device that did not make it.
        let not_this_device = path.starts_with("/khai-bao/") && res.status() == 404;
        assert!(
            res.status().is_success() || res.status() == 303 || no_venue || not_this_device,
            "{method} {path}: {}",
            res.status()
        );
    }
}

#[tokio::test]
async fn staff_sign_in_see_the_dashboard_and_sign_out() {
    for app in TestApp::all().await {
        app.add_user("lan", "mật khẩu đủ dài", "commune_officer", "03460")
            .await;
        let res = app.post_signin("lan", "mật khẩu đủ dài").await;
        assert_eq!(res.status(), 303, "{}", app.db.name());
        assert_eq!(res.headers()["location"], "/dashboard");
        let raw = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>();
        let session_header = raw.iter().find(|c| c.starts_with("pd_session=")).unwrap();
        assert!(
            session_header.contains("HttpOnly") && session_header.contains("SameSite=Lax"),
            "{session_header}"
        );
        let cookie = set_cookie(&res, "pd_session").unwrap();

        let page = app.get("/dashboard", Some(&cookie)).await;
        assert_eq!(page.status(), 200);
        let body = page.text().await.unwrap();
        assert!(body.contains("Cán bộ lan"), "{body}");
        let csrf = hidden_field(&body, "csrf").unwrap();

        // Sign-out without the session's CSRF token is refused and the session lives on.
        let res = app
            .post_form("/signout", Some(&cookie), &[("csrf", "wrong")])
            .await;
        assert_eq!(res.status(), 403);
        assert_eq!(app.get("/dashboard", Some(&cookie)).await.status(), 200);

        let res = app
            .post_form("/signout", Some(&cookie), &[("csrf", &csrf)])
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            app.get("/dashboard", Some(&cookie)).await.status(),
            303,
            "session ended"
        );
    }
}

#[tokio::test]
async fn wrong_passwords_disabled_users_and_forged_forms_are_refused() {
    let app = TestApp::start(fresh_sqlite().await.unwrap()).await;
    app.add_user("an", "đúng mật khẩu", "leader", "12").await;
    assert_eq!(app.post_signin("an", "sai").await.status(), 401);
    assert_eq!(app.post_signin("nobody", "sai").await.status(), 401);
    // A form posted without the sign-in cookie (from another site) is refused.
    let res = app
        .post_form(
            "/signin",
            None,
            &[
                ("username", "an"),
                ("password", "đúng mật khẩu"),
                ("csrf", "x"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    app.db.store.set_user_disabled("an", true).await.unwrap();
    assert_eq!(app.post_signin("an", "đúng mật khẩu").await.status(), 401);
}

#[tokio::test]
async fn five_failures_block_the_username_from_that_address() {
    let app = TestApp::start(fresh_sqlite().await.unwrap()).await;
    app.add_user("binh", "mật khẩu của Bình", "district_officer", "105")
        .await;
    for _ in 0..5 {
        assert_eq!(app.post_signin("binh", "đoán").await.status(), 401);
    }
    let res = app.post_signin("binh", "mật khẩu của Bình").await;
    assert_eq!(
        res.status(),
        429,
        "even the right password waits out the window"
    );
    assert!(res.text().await.unwrap().contains("15"));
}

#[tokio::test]
async fn sign_in_redirects_only_to_local_paths() {
    let app = TestApp::start(fresh_sqlite().await.unwrap()).await;
    let res = app.get("/dashboard?x=1", None).await;
    assert_eq!(res.headers()["location"], "/signin?next=/dashboard%3Fx%3D1");
    for next in [
        "//evil.example",
        "/%09/evil.example",
        "/%5C/evil.example",
        "/%0A",
    ] {
        let res = app.get(&format!("/signin?next={next}"), None).await;
        assert_eq!(res.status(), 400, "{next}");
    }
    let form = app.get("/signin", None).await.text().await.unwrap();
    assert_eq!(hidden_field(&form, "next").unwrap(), "/dashboard");
}
