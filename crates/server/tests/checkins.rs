//! Venues and QR check-ins over a real socket, on SQLite and (with `PHONGDICH_TEST_PG`)
//! PostgreSQL: the poster and the public check-in page, every validation rule with its
//! message next to the field and the form kept, forged, rotated and expired tokens,
//! double submissions, rate limits, body limits, staff check-ins (by CCCD QR and ID
//! number), venue jurisdictions, and a check-in next to an F0 that makes an F1.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{hidden_field, set_cookie, two_communes, TestApp};
use phongdich_store::TokenScope;
use serde_json::{json, Value};

const PASSWORD: &str = "mật khẩu thử nghiệm";

/// A commune officer of commune `a` with a write token, a province officer with a
/// write token, and a venue of commune `a`: (commune token, province token, venue).
async fn setup(app: &TestApp) -> (String, String, Value) {
    let (a, _, _) = two_communes(&app.db.store).await;
    app.add_user("xa", PASSWORD, "commune_officer", a.as_str())
        .await;
    app.add_user("tinh", PASSWORD, "province_officer", "12")
        .await;
    let xa = app.api_token("xa", TokenScope::Write).await;
    let tinh = app.api_token("tinh", TokenScope::Write).await;
    let venue = create_venue(app, &xa, a.as_str(), "Chợ Tam Đường", None).await;
    (xa, tinh, venue)
}

async fn create_venue(
    app: &TestApp,
    token: &str,
    unit: &str,
    name: &str,
    valid_until: Option<&str>,
) -> Value {
    let res = app
        .client
        .post(format!("{}/api/v1/venues", app.base))
        .bearer_auth(token)
        .json(&json!({
            "name": name, "venue_kind": "market", "unit": unit,
            "address": "Thị trấn Tam Đường", "stay_minutes": 90, "valid_until": valid_until,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", app.db.name());
    res.json().await.unwrap()
}

fn path_of(venue: &Value) -> String {
    venue["check_in_path"].as_str().unwrap().to_owned()
}

async fn api_check_in(
    app: &TestApp,
    token: &str,
    phone: &str,
    name: &str,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}/api/v1/checkins", app.base))
        .json(&json!({ "token": token, "phone": phone, "full_name": name }));
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.send().await.unwrap()
}

fn token_of(path: &str) -> &str {
    path.trim_start_matches("/c/")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    let pool = sqlx::AnyPool::connect(&app.db.url).await.unwrap();
    let row = sqlx::query(sql).fetch_one(&pool).await.unwrap();
    row.try_get::<i64, _>(0).unwrap()
}

#[tokio::test]
async fn a_visitor_scans_the_poster_checks_in_and_is_remembered() {
    for app in TestApp::all().await {
        let (xa, _, venue) = setup(&app).await;
        let id = venue["id"].as_i64().unwrap();
        let path = path_of(&venue);

        // The poster, for staff: the A4 page, SVG and PNG.
        let cookie = app.signed_in("xa", PASSWORD).await;
        let list = app
            .get("/venues", Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        assert!(list.contains("Chợ Tam Đường"), "{list}");
        let poster = app
            .get(&format!("/venues/{id}/poster"), Some(&cookie))
            .await;
        assert_eq!(poster.status(), 200);
        let poster = poster.text().await.unwrap();
        assert!(
            poster.contains("poster-qr") && poster.contains(&path),
            "{poster}"
        );
        let svg = app
            .get(&format!("/venues/{id}/poster.svg"), Some(&cookie))
            .await;
        assert_eq!(svg.headers()["content-type"], "image/svg+xml");
        assert!(svg.text().await.unwrap().contains("<svg"));
        let png = app
            .get(&format!("/venues/{id}/poster.png"), Some(&cookie))
            .await;
        assert_eq!(png.headers()["content-type"], "image/png");
        assert_eq!(&png.bytes().await.unwrap()[1..4], b"PNG");

        // The check-in page, with no sign-in.
        let page = app.get(&path, None).await;
        assert_eq!(page.status(), 200);
        let body = page.text().await.unwrap();
        assert!(body.contains("Chợ Tam Đường") && body.contains("name=\"phone\""));
        let key = hidden_field(&body, "idempotency_key").unwrap();
        let res = app
            .post_form(
                &path,
                None,
                &[
                    ("phone", "0912 345 678"),
                    ("full_name", "Lò Thị  Mai"),
                    ("remember", "1"),
                    ("idempotency_key", &key),
                ],
            )
            .await;
        assert_eq!(res.status(), 200, "{}", app.db.name());
        let raw: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let remember = raw.iter().find(|c| c.starts_with("pd_visitor=")).unwrap();
        assert!(
            remember.contains("HttpOnly") && remember.contains("SameSite=Lax"),
            "{remember}"
        );
        let cookie_pair = set_cookie(&res, "pd_visitor").unwrap();
        let done = res.text().await.unwrap();
        assert!(done.contains("id=\"checked-in\""), "{done}");
        assert!(done.contains("check-out"), "a check-out button");

        // One check-in, one presence at the venue, audited, the person created with
        // the phone and the name as typed (whitespace collapsed).
        assert_eq!(
            count(&app, "select cast(count(*) as bigint) from check_in").await,
            1
        );
        assert_eq!(
            count(
                &app,
                &format!("select cast(count(*) as bigint) from presence where place_id = {id}")
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "select cast(count(*) as bigint) from audit_event where entity = 'check_in' \
                 and action = 'create' and user_id is null"
            )
            .await,
            1
        );
        let found = app
            .db
            .store
            .search_persons(&phongdich_store::PersonQuery {
                text: "0912345678".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(found.items.len(), 1);
        assert_eq!(found.items[0].full_name.as_str(), "Lò Thị Mai");

        // Next time: one tap, the same person.
        let again = app
            .get(&path, Some(&cookie_pair))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            again.contains("id=\"known\"") && again.contains("Lò Thị Mai"),
            "{again}"
        );
        let key = hidden_field(&again, "idempotency_key").unwrap();
        let phone = hidden_field(&again, "phone").unwrap();
        let name = hidden_field(&again, "full_name").unwrap();
        let res = app
            .post_form(
                &path,
                Some(&cookie_pair),
                &[
                    ("phone", &phone),
                    ("full_name", &name),
                    ("idempotency_key", &key),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        let done = res.text().await.unwrap();
        assert_eq!(
            count(&app, "select cast(count(*) as bigint) from check_in").await,
            2
        );
        assert_eq!(
            count(
                &app,
                "select cast(count(distinct person_id) as bigint) from check_in"
            )
            .await,
            1
        );

        // Check out now: the presence ends now (before the 90-minute default stay).
        let code = hidden_field(&done, "code").unwrap();
        let check_in: i64 = done
            .split("data-check-in=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        let res = app
            .post_form(
                &format!("/checkins/{check_in}/out"),
                None,
                &[("code", "0000")],
            )
            .await;
        assert_eq!(res.status(), 404, "a wrong code");
        let res = app
            .post_form(
                &format!("/checkins/{check_in}/out"),
                None,
                &[("code", &code)],
            )
            .await;
        assert_eq!(res.status(), 200);
        let c = app.db.store.check_in(check_in).await.unwrap();
        assert!(c.left_at.is_some() && c.until.0 - c.arrived_at.0 < 90 * 60);

        // The venue page lists it for its commune's staff.
        let page = app
            .get(&format!("/venues/{id}"), Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("recent-check-ins"), "{page}");
        drop(xa);
    }
}

#[tokio::test]
async fn every_field_is_checked_with_its_message_next_to_it_and_the_form_kept() {
    for app in TestApp::all().await {
        let (_, _, venue) = setup(&app).await;
        let path = path_of(&venue);
        let long_name = "a".repeat(101);
        let cases: &[(&str, &str, &str, &str)] = &[
            ("", "Lò Thị Mai", "phone", "Cần nhập số điện thoại"),
            ("12345", "Lò Thị Mai", "phone", "Số điện thoại không đúng"),
            (
                "+1 555 0100",
                "Lò Thị Mai",
                "phone",
                "Số điện thoại không đúng",
            ),
            ("0912345678", "", "full_name", "Cần nhập họ và tên"),
            ("0912345678", "Mai 123", "full_name", "chỉ gồm chữ cái"),
            ("0912345678", "<b>Mai</b>", "full_name", "chỉ gồm chữ cái"),
            ("0912345678", &long_name, "full_name", "tối đa 100 ký tự"),
        ];
        for (phone, name, field, message) in cases {
            let res = app
                .post_form(
                    &path,
                    None,
                    &[
                        ("phone", phone),
                        ("full_name", name),
                        ("idempotency_key", "k"),
                    ],
                )
                .await;
            assert_eq!(res.status(), 422, "{phone:?} {name:?}");
            let body = res.text().await.unwrap();
            assert!(
                body.contains(&format!("id=\"error-{field}\"")) && body.contains(message),
                "{field}: {body}"
            );
            // The form is kept: what was typed is in it again (escaped).
            if name.len() <= 100 && !name.contains('<') {
                assert!(
                    body.contains(&format!("value=\"{name}\"")),
                    "{name}: {body}"
                );
            }
            assert!(body.contains(&format!("value=\"{phone}\"")), "{phone}");
            // The same over JSON: 400 with the field.
            let res = api_check_in(&app, token_of(&path), phone, name, None).await;
            assert_eq!(res.status(), 400);
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["field"], *field, "{v}");
            assert!(v["message_vi"].as_str().unwrap().contains(message), "{v}");
        }
        assert_eq!(
            count(&app, "select cast(count(*) as bigint) from check_in").await,
            0
        );

        // Malformed JSON and bodies.
        let res = app
            .client
            .post(format!("{}/api/v1/checkins", app.base))
            .json(&json!({ "token": token_of(&path) }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "missing fields");
        let res = app
            .client
            .post(format!("{}/api/v1/checkins", app.base))
            .body("phone=1")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415);
        let big = "x".repeat(10_000);
        let res = api_check_in(&app, token_of(&path), "0912345678", &big, None).await;
        assert_eq!(res.status(), 413, "API body limit");
        let res = app
            .post_form(&path, None, &[("phone", "0912345678"), ("full_name", &big)])
            .await;
        assert_eq!(res.status(), 413, "form body limit");
        assert!(res.text().await.unwrap().contains("quá lớn"));
    }
}

#[tokio::test]
async fn forged_rotated_and_expired_tokens_are_refused() {
    for app in TestApp::all().await {
        let (xa, _, venue) = setup(&app).await;
        let id = venue["id"].as_i64().unwrap();
        let path = path_of(&venue);
        let token = token_of(&path).to_owned();

        // Forged: another MAC, another venue id or version, or not a token at all.
        let mut forged = token.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == '0' { '1' } else { '0' });
        let (rest, mac) = token.rsplit_once('.').unwrap();
        let (_, version) = rest.split_once('.').unwrap();
        for bad in [
            forged.clone(),
            format!("{}.{version}.{mac}", id + 1),
            format!("{id}.{}.{mac}", version.parse::<i64>().unwrap() + 1),
            "hello".to_owned(),
        ] {
            let res = app.get(&format!("/c/{bad}"), None).await;
            assert_eq!(res.status(), 404, "{bad}");
            let body = res.text().await.unwrap();
            assert!(
                body.contains("token-refused") && body.contains("Mã QR không hợp lệ"),
                "{body}"
            );
            let res = api_check_in(&app, &bad, "0912345678", "Lò Thị Mai", None).await;
            assert_eq!(res.status(), 400);
            assert_eq!(res.json::<Value>().await.unwrap()["field"], "token");
        }

        // Rotated: the old poster answers 410, the new one works.
        let res = app
            .client
            .post(format!("{}/api/v1/venues/{id}/rotate", app.base))
            .bearer_auth(&xa)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let rotated: Value = res.json().await.unwrap();
        assert_eq!(rotated["token_version"], 2);
        let res = app.get(&path, None).await;
        assert_eq!(res.status(), 410);
        assert!(res.text().await.unwrap().contains("đã được thay"));
        let res = app
            .post_form(
                &path,
                None,
                &[("phone", "0912345678"), ("full_name", "Lò Thị Mai")],
            )
            .await;
        assert_eq!(res.status(), 410);
        let res = api_check_in(&app, &token, "0912345678", "Lò Thị Mai", None).await;
        assert_eq!(res.status(), 400);
        let new_path = path_of(&rotated);
        assert_eq!(app.get(&new_path, None).await.status(), 200);
        let res = api_check_in(&app, token_of(&new_path), "0912345678", "Lò Thị Mai", None).await;
        assert_eq!(res.status(), 201);

        // Rotating from the page needs the session's CSRF token, and is audited.
        let cookie = app.signed_in("xa", PASSWORD).await;
        let res = app
            .post_form(
                &format!("/venues/{id}/rotate"),
                Some(&cookie),
                &[("csrf", "x")],
            )
            .await;
        assert_eq!(res.status(), 403);
        assert_eq!(
            count(
                &app,
                "select cast(count(*) as bigint) from audit_event where entity = 'venue_token'"
            )
            .await,
            1
        );

        // Expired: a poster valid until yesterday.
        let (a, _, _) = two_communes(&app.db.store).await;
        let yesterday = (chrono::Utc::now() - chrono::Duration::days(2))
            .format("%Y-%m-%d")
            .to_string();
        let old = create_venue(&app, &xa, a.as_str(), "Hội chợ", Some(&yesterday)).await;
        let res = app.get(&path_of(&old), None).await;
        assert_eq!(res.status(), 410);
        assert!(res.text().await.unwrap().contains("hết hạn"));
    }
}

#[tokio::test]
async fn a_double_submission_makes_one_check_in() {
    for app in TestApp::all().await {
        let (xa, _, venue) = setup(&app).await;
        let path = path_of(&venue);
        let form = [
            ("phone", "0987654321"),
            ("full_name", "Giàng A Páo"),
            ("idempotency_key", "form-key-1"),
        ];
        let (a, b) = tokio::join!(
            app.post_form(&path, None, &form),
            app.post_form(&path, None, &form)
        );
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
        let ids: Vec<String> = [a.text().await.unwrap(), b.text().await.unwrap()]
            .iter()
            .map(|t| t.split("data-check-in=\"").nth(1).unwrap()[..5].to_owned())
            .collect();
        assert_eq!(ids[0], ids[1]);
        assert_eq!(
            count(&app, "select cast(count(*) as bigint) from check_in").await,
            1
        );

        let t = token_of(&path);
        let first = api_check_in(&app, t, "0987654322", "Lò Văn Xuân", Some("api-1")).await;
        assert_eq!(first.status(), 201);
        let first: Value = first.json().await.unwrap();
        let again = api_check_in(&app, t, "0987654322", "Lò Văn Xuân", Some("api-1")).await;
        assert_eq!(again.status(), 200);
        let again: Value = again.json().await.unwrap();
        assert_eq!(first["check_in_id"], again["check_in_id"]);
        assert_eq!(again["replayed"], true);
        // A key names one visitor's submission: the same key at another venue is a
        // conflict; with someone else's phone it is their own check-in.
        let other = api_check_in(&app, t, "0987654323", "Lò Văn Xuân", Some("api-1")).await;
        assert_eq!(other.status(), 201);
        let other: Value = other.json().await.unwrap();
        assert_ne!(other["check_in_id"], first["check_in_id"]);
        assert_eq!(other["replayed"], false);
        let unit = venue["unit"].as_str().unwrap();
        let second = create_venue(&app, &xa, unit, "Bến xe Tam Đường", None).await;
        let second = path_of(&second);
        let elsewhere = api_check_in(
            &app,
            token_of(&second),
            "0987654322",
            "Lò Văn Xuân",
            Some("api-1"),
        )
        .await;
        assert_eq!(elsewhere.status(), 409);
        assert!(elsewhere.text().await.unwrap().contains("đã được dùng"));
        assert_eq!(
            count(&app, "select cast(count(*) as bigint) from check_in").await,
            3
        );
    }
}

#[tokio::test]
async fn rate_limits_answer_429_per_phone_and_per_address() {
    for app in TestApp::all().await {
        let (_, _, venue) = setup(&app).await;
        let t = path_of(&venue);
        let t = token_of(&t);
        let limits = app.state.app().public_limits();
        limits.per_address.set(0, 60);
        limits.per_phone.set(2, 600);
        for _ in 0..2 {
            let res = api_check_in(&app, t, "0911111111", "Lò Văn Xuân", None).await;
            assert_eq!(res.status(), 201);
        }
        let res = api_check_in(&app, t, "0911111111", "Lò Văn Xuân", None).await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], "too_many_requests");
        assert!(v["message_vi"]
            .as_str()
            .unwrap()
            .contains("Số điện thoại này"));

        limits.per_phone.set(0, 600);
        limits.per_address.set(3, 60);
        let mut statuses = Vec::new();
        for i in 0..4 {
            let res = api_check_in(&app, t, &format!("091222222{i}"), "Lò Văn Xuân", None).await;
            statuses.push(res.status().as_u16());
        }
        assert_eq!(statuses, [201, 201, 201, 429]);
        // The page says it in Vietnamese, with the form kept.
        let res = app
            .post_form(
                &format!("/c/{t}"),
                None,
                &[("phone", "0913333333"), ("full_name", "Lò Văn Xuân")],
            )
            .await;
        assert_eq!(res.status(), 429);
        let body = res.text().await.unwrap();
        assert!(
            body.contains("Quá nhiều yêu cầu") && body.contains("0913333333"),
            "{body}"
        );
        assert_eq!(
            count(&app, "select cast(count(*) as bigint) from check_in").await,
            5
        );
    }
}

#[tokio::test]
async fn a_check_in_next_to_an_f0_makes_an_f1_and_an_early_check_out_undoes_it() {
    for app in TestApp::all().await {
        app.engine_ready().await;
        let (_, tinh, venue) = setup(&app).await;
        let t = path_of(&venue);
        let t = token_of(&t);
        // The future F0 checks in; then the case is registered.
        let res = api_check_in(&app, t, "0930000001", "Giàng A Páo", None).await;
        assert_eq!(res.status(), 201);
        let c: Value = res.json().await.unwrap();
        let f0 = app
            .db
            .store
            .check_in(c["check_in_id"].as_i64().unwrap())
            .await
            .unwrap()
            .person_id;
        let today = chrono::Utc::now()
            .with_timezone(&phongdich_domain::time::vietnam())
            .format("%Y-%m-%d")
            .to_string();
        let res = app
            .client
            .post(format!("{}/api/v1/persons/{f0}/case", app.base))
            .bearer_auth(&tinh)
            .json(&json!({ "sample_date": today }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

        // A visitor checks in while the F0 is there: F1 before the answer.
        let res = api_check_in(&app, t, "0930000002", "Lò Thị Mai", None).await;
        assert_eq!(res.status(), 201);
        let c: Value = res.json().await.unwrap();
        assert_eq!(c["traced"], true, "{c}");
        assert!(c["levels_changed"].as_u64().unwrap() >= 1, "{c}");
        let visitor = app
            .db
            .store
            .check_in(c["check_in_id"].as_i64().unwrap())
            .await
            .unwrap()
            .person_id;
        let res = app
            .client
            .get(format!("{}/api/v1/persons/{visitor}/level", app.base))
            .bearer_auth(&tinh)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let level: Value = res.json().await.unwrap();
        assert_eq!(level["level"], 1, "{level}");

        // The visitor leaves at once: under the venue's 15 minutes together, no F1
        // any more, before the answer.
        let res = app
            .client
            .post(format!(
                "{}/api/v1/checkins/{}/checkout",
                app.base, c["check_in_id"]
            ))
            .json(&json!({ "code": c["checkout_code"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let out: Value = res.json().await.unwrap();
        assert!(out["levels_changed"].as_u64().unwrap() >= 1, "{out}");
        let res = app
            .client
            .get(format!("{}/api/v1/persons/{visitor}/level", app.base))
            .bearer_auth(&tinh)
            .send()
            .await
            .unwrap();
        let level: Value = res.json().await.unwrap();
        assert_eq!(level["level"], Value::Null, "{level}");
    }
}

#[tokio::test]
async fn staff_check_in_by_chip_id_card_and_id_number() {
    for app in TestApp::all().await {
        let (xa, _, venue) = setup(&app).await;
        let id = venue["id"].as_i64().unwrap();
        let url = format!("{}/api/v1/venues/{id}/checkins", app.base);
        let card = "001098012345|123456789|Nguyễn Văn An|01021998|Nam|Tam Đường, Lai Châu|15082021";
        let res = app
            .client
            .post(&url)
            .bearer_auth(&xa)
            .json(&json!({ "cccd_qr": card }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let p = app
            .db
            .store
            .person_by_id_number("001098012345")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.full_name.as_str(), "Nguyễn Văn An");
        // The same person again, by ID number alone: found, not created.
        let res = app
            .client
            .post(&url)
            .bearer_auth(&xa)
            .json(&json!({ "id_number": "001 098 012 345" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(
            count(
                &app,
                "select cast(count(distinct person_id) as bigint) from check_in"
            )
            .await,
            1
        );
        for (body, field) in [
            (json!({ "cccd_qr": "001098012345|x|An" }), "cccd_qr"),
            (json!({ "id_number": "12" }), "id_number"),
            (json!({ "id_number": "079203004567" }), "full_name"),
            (json!({}), "phone"),
            (json!({ "phone": "0912345678" }), "full_name"),
        ] {
            let res = app
                .client
                .post(&url)
                .bearer_auth(&xa)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 400, "{body}");
            assert_eq!(res.json::<Value>().await.unwrap()["field"], field, "{body}");
        }
        // From the page, with the error next to its field and the form kept.
        let cookie = app.signed_in("xa", PASSWORD).await;
        let page = app
            .get(&format!("/venues/{id}"), Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        let csrf = hidden_field(&page, "csrf").unwrap();
        let res = app
            .post_form(
                &format!("/venues/{id}/checkins"),
                Some(&cookie),
                &[("csrf", &csrf), ("cccd_qr", "001098012345|x")],
            )
            .await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.unwrap();
        assert!(body.contains("id=\"error-cccd_qr\"") && body.contains("001098012345|x"));
        let res = app
            .post_form(
                &format!("/venues/{id}/checkins"),
                Some(&cookie),
                &[
                    ("csrf", &csrf),
                    ("phone", "0945678901"),
                    ("full_name", "Lò Văn Xuân"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("id=\"notice\""));
        assert_eq!(
            count(
                &app,
                "select cast(count(*) as bigint) from check_in where channel = 'staff' \
                 and staff_user_id is not null"
            )
            .await,
            2
        );
    }
}

#[tokio::test]
async fn venues_stay_inside_their_jurisdiction() {
    for app in TestApp::all().await {
        let (xa, tinh, venue) = setup(&app).await;
        let id = venue["id"].as_i64().unwrap();
        let reference = venue["reference"].as_str().unwrap().to_owned();
        let (_, _, b) = two_communes(&app.db.store).await;
        app.add_user("xa_b", PASSWORD, "commune_officer", b.as_str())
            .await;
        app.add_user_in("cho", PASSWORD, "venue_operator", "place", &reference)
            .await;
        app.add_user("lanhdao", PASSWORD, "leader", "12").await;
        let other = create_venue(&app, &tinh, b.as_str(), "Chợ Phong Thổ", None).await;
        let other_id = other["id"].as_i64().unwrap();
        let xa_b = app.api_token("xa_b", TokenScope::Write).await;
        let cho = app.api_token("cho", TokenScope::Write).await;
        let lanhdao = app.api_token("lanhdao", TokenScope::Read).await;
        let get = |token: String, path: String| {
            let app = &app;
            async move {
                app.client
                    .get(format!("{}{path}", app.base))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let post = |token: String, path: String| {
            let app = &app;
            async move {
                app.client
                    .post(format!("{}{path}", app.base))
                    .bearer_auth(token)
                    .json(&json!({ "phone": "0912345678", "full_name": "Lò Văn Xuân" }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        let mine = format!("/api/v1/venues/{id}");
        let theirs = format!("/api/v1/venues/{other_id}");
        // Commune A sees its venue, not B's; B the other way round.
        assert_eq!(get(xa.clone(), mine.clone()).await.status(), 200);
        assert_eq!(get(xa.clone(), theirs.clone()).await.status(), 404);
        assert_eq!(get(xa_b.clone(), mine.clone()).await.status(), 404);
        let list: Value = get(xa.clone(), "/api/v1/venues".into())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        // The venue's operator: its venue only; checks in and rotates, edits nothing.
        let list: Value = get(cho.clone(), "/api/v1/venues".into())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        assert_eq!(get(cho.clone(), theirs.clone()).await.status(), 404);
        assert_eq!(post(cho.clone(), format!("{mine}/checkins")).await, 201);
        assert_eq!(post(cho.clone(), format!("{theirs}/checkins")).await, 404);
        assert_eq!(post(cho.clone(), format!("{mine}/rotate")).await, 200);
        // Checking a visit out: the venue's operator and its unit's staff, no one else.
        let visit = count(&app, "select max(id) from check_in").await;
        let out = |venue: &str| format!("{venue}/checkins/{visit}/checkout");
        assert_eq!(post(cho.clone(), out(&theirs)).await, 404);
        assert_eq!(post(xa_b.clone(), out(&mine)).await, 404);
        assert_eq!(post(lanhdao.clone(), out(&mine)).await, 403);
        assert_eq!(post(cho.clone(), out(&mine)).await, 200);
        assert_eq!(post(xa.clone(), out(&mine)).await, 200);
        let res = app
            .client
            .post(format!("{}/api/v1/venues", app.base))
            .bearer_auth(&cho)
            .json(&json!({ "name": "X", "venue_kind": "market", "unit": "12" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "an operator creates no venue");
        // The leader reads and writes nothing.
        assert_eq!(get(lanhdao.clone(), mine.clone()).await.status(), 200);
        assert_eq!(post(lanhdao.clone(), format!("{mine}/checkins")).await, 403);
        assert_eq!(post(lanhdao, format!("{mine}/rotate")).await, 403);
        // A venue in a unit outside the jurisdiction cannot be created.
        let res = app
            .client
            .post(format!("{}/api/v1/venues", app.base))
            .bearer_auth(&xa)
            .json(&json!({ "name": "X", "venue_kind": "market", "unit": b.as_str() }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["field"], "unit");
    }
}

#[tokio::test]
async fn staff_check_a_visitor_out_from_the_venue_page_and_the_api() {
    for app in TestApp::all().await {
        let (xa, tinh, venue) = setup(&app).await;
        let id = venue["id"].as_i64().unwrap();
        let t = path_of(&venue);
        let res = api_check_in(&app, token_of(&t), "0930000003", "Vàng Thị Dua", None).await;
        assert_eq!(res.status(), 201);
        let first: Value = res.json().await.unwrap();
        let res = api_check_in(&app, token_of(&t), "0930000004", "Lò Văn Pâng", None).await;
        let second: Value = res.json().await.unwrap();

        // On the page: a check-out button for each visit still open.
        let cookie = app.signed_in("xa", PASSWORD).await;
        let page = app
            .get(&format!("/venues/{id}"), Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        let button = |c: &Value| format!("id=\"check-out-{}\"", c["check_in_id"]);
        assert!(page.contains(&button(&first)) && page.contains(&button(&second)));
        let csrf = hidden_field(&page, "csrf").unwrap();
        let res = app
            .post_form(
                &format!("/venues/{id}/checkins/{}/checkout", first["check_in_id"]),
                Some(&cookie),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(res.status(), 200);
        let page = res.text().await.unwrap();
        assert!(page.contains("id=\"notice\"") && page.contains("Đã cho ra"));
        assert!(!page.contains(&button(&first)) && page.contains(&button(&second)));

        // Through the API, audited; twice answers the same; another venue's is 404.
        let url = |venue: i64, c: &Value| {
            format!(
                "{}/api/v1/venues/{venue}/checkins/{}/checkout",
                app.base, c["check_in_id"]
            )
        };
        for _ in 0..2 {
            let res = app
                .client
                .post(url(id, &second))
                .bearer_auth(&xa)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let out: Value = res.json().await.unwrap();
            assert_eq!(out["check_in_id"], second["check_in_id"]);
        }
        let other = create_venue(&app, &tinh, "12", "Bến xe Lai Châu", None).await;
        let res = app
            .client
            .post(url(other["id"].as_i64().unwrap(), &first))
            .bearer_auth(&tinh)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(
            count(
                &app,
                "select cast(count(*) as bigint) from check_in where left_at is not null"
            )
            .await,
            2
        );
        assert_eq!(
            count(
                &app,
                "select cast(count(*) as bigint) from audit_event \
                 where entity = 'check_in' and action = 'update'"
            )
            .await,
            2
        );
    }
}
