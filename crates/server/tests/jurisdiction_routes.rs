//! The jurisdiction matrix over every signed-in route: for each role, each route of
//! [`SIGNED_IN_ROUTES`] is called for a person inside the account's jurisdiction and
//! one outside it, and the test counts leaks: a page or answer that shows the other
//! person, or a write that lands for them. Writes that an account may not make must
//! change nothing. A route added to the app without a row here fails
//! `every_signed_in_route_is_in_the_matrix`.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{hidden_field, person, two_communes, TestApp};
use phongdich_domain::{Case, CaseClassification, CaseOutcome, Interval, Timestamp, UnitCode};
use phongdich_server::Guard;
use phongdich_store::{NewCase, NewContact, Store};
use serde_json::Value;
use std::collections::BTreeSet;

const PASSWORD: &str = "mật khẩu thử nghiệm";

/// The routes this matrix exercises, as `(method, template)`; the templates of
/// [`SIGNED_IN_ROUTES`] must all be here.
const MATRIX: &[(&str, &str)] = &[
    ("GET", "/dashboard"),
    ("GET", "/persons"),
    ("GET", "/persons/{id}"),
    ("POST", "/signout"),
    ("GET", "/audit"),
    ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("GET", "/api/v1/persons"),
    ("GET", "/api/v1/persons/{id}"),
    ("GET", "/api/openapi.json"),
    ("POST", "/persons/{id}/tests"),
    ("POST", "/persons/{id}/case"),
    ("GET", "/contacts"),
    ("GET", "/persons/{id}/contacts"),
    ("POST", "/persons/{id}/contacts"),
    ("GET", "/api/v1/contacts"),
    ("POST", "/api/v1/contacts"),
    ("GET", "/cases/{id}/trace"),
    ("GET", "/cases"),
    ("GET", "/api/v1/persons/{id}/level"),
    ("POST", "/api/v1/persons/{id}/case"),
    ("POST", "/api/v1/persons/{id}/tests"),
    // Declarations: the follow-up list, the look-up by code and "done" are played for
    // every role of this matrix, inside and outside, in tests/declarations.rs
    // (`flags_land_on_the_follow_up_list_of_the_commune_audited_and_scoped`,
    // `the_declarant_sees_the_codes_on_the_declaring_phone_only_and_staff_by_code`).
    ("GET", "/declarations"),
    ("POST", "/declarations/{id}/done"),
    ("GET", "/declarations/find"),
    ("GET", "/d/{code}"),
    ("POST", "/api/v1/declarations"),
    ("GET", "/api/v1/declarations/follow-up"),
    ("GET", "/api/v1/declarations/{code}"),
    ("POST", "/api/v1/declarations/{id}/done"),
    // Venues: each checks `phongdich_app::access::check_venue`; the venue matrix
    // (unit staff inside and outside, the venue's operator, another venue's) is in
    // tests/checkins.rs (`venues_stay_inside_their_jurisdiction`).
    ("GET", "/venues"),
    ("GET", "/venues/new"),
    ("POST", "/venues"),
    ("GET", "/venues/{id}"),
    ("POST", "/venues/{id}"),
    ("POST", "/venues/{id}/rotate"),
    ("POST", "/venues/{id}/checkins"),
    ("POST", "/venues/{id}/checkins/{check_in}/checkout"),
    ("GET", "/venues/{id}/poster"),
    ("GET", "/venues/{id}/poster.svg"),
    ("GET", "/venues/{id}/poster.png"),
    ("GET", "/api/v1/venues"),
    ("POST", "/api/v1/venues"),
    ("GET", "/api/v1/venues/{id}"),
    ("POST", "/api/v1/venues/{id}/rotate"),
    ("POST", "/api/v1/venues/{id}/checkins"),
    ("POST", "/api/v1/venues/{id}/checkins/{check_in}/checkout"),
];

#[test]
fn every_signed_in_route_is_in_the_matrix() {
    let covered: BTreeSet<(&str, String)> =
        MATRIX.iter().map(|(m, p)| (*m, (*p).to_owned())).collect();
    let missing: Vec<_> = phongdich_server::route_table()
        .into_iter()
        .filter(|r| r.3 == Guard::SignedIn)
        .map(|(m, p, _, _)| (m, p.to_owned()))
        .filter(|r| !covered.contains(&(r.0.as_str(), r.1.clone())))
        .collect();
    assert!(
        missing.is_empty(),
        "routes with no row in the matrix: {missing:?}"
    );
}

/// One side of the matrix: a commune with a case, the case's contact, and the names
/// that must show only to accounts that see this commune.
struct Side {
    unit: UnitCode,
    unit_name: String,
    case_id: i64,
    /// The id of its case record.
    case: i64,
    contact_id: i64,
    /// Name of the case (shown on its pages).
    name: &'static str,
}

async fn side(store: &Store, unit: &UnitCode, tag: &str, name: &'static str) -> Side {
    let case_id = store
        .insert_person(&person(&format!("{tag}1"), name, unit))
        .await
        .unwrap();
    let contact_id = store
        .insert_person(&person(&format!("{tag}2"), "Lò Văn Tiếp", unit))
        .await
        .unwrap();
    let case = store
        .insert_case(&NewCase {
            person_id: case_id,
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
    store
        .insert_contact(&NewContact {
            a_id: case_id,
            b_id: contact_id,
            interval: Interval::new(Timestamp(1_620_010_000), Timestamp(1_620_013_600)).unwrap(),
            setting: Some("bữa cơm".to_owned()),
        })
        .await
        .unwrap();
    Side {
        unit: unit.clone(),
        unit_name: store.unit(unit).await.unwrap().name,
        case_id,
        case,
        contact_id,
        name,
    }
}

/// What one person's records hold, to see that a refused write changed nothing.
async fn footprint(store: &Store, id: i64) -> (usize, usize, bool) {
    (
        store.tests_of_person(id).await.unwrap().len(),
        store.contacts_of_person(id).await.unwrap().len(),
        store.case_of_person(id).await.unwrap().is_some(),
    )
}

/// The ids of persons a JSON answer names: `a_id` and `b_id` of a contact, `id` of a
/// person (a contact's own `id` is not a person's).
fn ids_in(v: &Value) -> BTreeSet<i64> {
    let mut out = BTreeSet::new();
    let items = v["items"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![v.clone()]);
    for item in items {
        let keys: &[&str] = if item.get("a_id").is_some() {
            &["a_id", "b_id"]
        } else {
            &["id"]
        };
        out.extend(keys.iter().filter_map(|k| item[*k].as_i64()));
    }
    out
}

#[tokio::test]
async fn every_route_keeps_every_role_inside_its_jurisdiction() {
    for app in TestApp::all().await {
        let store = &app.db.store;
        let (a, district_a, b) = two_communes(store).await;
        let side_a = side(store, &a, "A", "Nguyễn Văn Ánh").await;
        let side_b = side(store, &b, "B", "Nguyễn Thị Bích").await;

        let users = helpers::matrix_users(&a, &district_a, &b);
        let mut leaks: Vec<String> = Vec::new();
        let mut checks = 0usize;
        for u in &users {
            let (name, role, kind, code) = (&u.username, &u.role, &u.kind, &u.code);
            let (sees_a, sees_b) = (&u.sees_a, &u.sees_b);
            app.add_user_in(name, PASSWORD, role, kind, code).await;
            let cookie = app.signed_in(name, PASSWORD).await;
            let form = app.get("/account/password", Some(&cookie)).await;
            assert_eq!(form.status(), 200, "{name}: own account page");
            let csrf = hidden_field(&form.text().await.unwrap(), "csrf").unwrap();
            let writer = *kind == "unit" && *role != "leader";

            for (side, sees) in [(&side_a, *sees_a), (&side_b, *sees_b)] {
                let (id, other) = (side.case_id, side.contact_id);
                let mut leak = |what: String| leaks.push(format!("{name}: {what}"));

                // Reads of one person: shown exactly when inside.
                for path in [
                    format!("/persons/{id}"),
                    format!("/persons/{id}/contacts"),
                    format!("/cases/{}/trace", side.case),
                    format!("/api/v1/persons/{id}"),
                ] {
                    let res = app.get(&path, Some(&cookie)).await;
                    let status = res.status().as_u16();
                    let body = res.text().await.unwrap();
                    let shown = status == 200 && body.contains(side.name);
                    checks += 1;
                    if shown != sees || (!sees && body.contains(side.name)) {
                        leak(format!("GET {path} -> {status}, shown {shown}"));
                    }
                }
                // The level answer names no one: it must exist exactly when inside.
                let path = format!("/api/v1/persons/{id}/level");
                let status = app.get(&path, Some(&cookie)).await.status().as_u16();
                checks += 1;
                if (status == 200) != sees || !matches!(status, 200 | 403 | 404) {
                    leak(format!("GET {path} -> {status}"));
                }

                // Writes for one person: land only when inside and writable; a refused
                // write changes nothing.
                let before = footprint(store, id).await;
                let tests = app
                    .post_form(
                        &format!("/persons/{id}/tests"),
                        Some(&cookie),
                        &[
                            ("csrf", &csrf),
                            ("kind", "rapid_antigen"),
                            ("result", "negative"),
                            ("sampled_at", "2021-05-10T08:00"),
                        ],
                    )
                    .await
                    .status()
                    .as_u16();
                // An impossible date: a write that gets past the guards answers 400 and
                // stores nothing, so the case of the fixture stays as it is.
                let case = app
                    .post_form(
                        &format!("/persons/{id}/case"),
                        Some(&cookie),
                        &[("csrf", &csrf), ("sample_date", "2021-13-40")],
                    )
                    .await
                    .status()
                    .as_u16();
                let contact = app
                    .post_form(
                        &format!("/persons/{id}/contacts"),
                        Some(&cookie),
                        &[
                            ("csrf", &csrf),
                            ("other", &other.to_string()),
                            ("start", "2021-05-10T12:00"),
                            ("end", "2021-05-10T12:30"),
                        ],
                    )
                    .await
                    .status()
                    .as_u16();
                let mut req = app
                    .client
                    .post(format!("{}/api/v1/contacts", app.base))
                    .header("cookie", &cookie)
                    .header("x-csrf-token", &csrf)
                    .json(&serde_json::json!({
                        "a_id": id, "b_id": other,
                        "start": "2021-05-10T13:00:00+07:00", "end": "2021-05-10T13:20:00+07:00"
                    }));
                req = req.header("accept", "application/json");
                let api_contact = req.send().await.unwrap().status().as_u16();
                let post_json = |path: String, body: Value| {
                    app.client
                        .post(format!("{}{path}", app.base))
                        .header("cookie", &cookie)
                        .header("x-csrf-token", &csrf)
                        .json(&body)
                        .send()
                };
                let api_tests = post_json(
                    format!("/api/v1/persons/{id}/tests"),
                    serde_json::json!({
                        "kind": "pcr", "result": "negative", "sampled_at": "2021-05-11T08:00:00+07:00"
                    }),
                )
                .await
                .unwrap()
                .status()
                .as_u16();
                let api_case = post_json(
                    format!("/api/v1/persons/{id}/case"),
                    serde_json::json!({ "sample_date": "11/05/2021" }),
                )
                .await
                .unwrap()
                .status()
                .as_u16();
                let after = footprint(store, id).await;
                checks += 6;
                let statuses = (tests, case, contact, api_contact, api_tests, api_case);
                if writer && sees {
                    if statuses != (303, 422, 303, 201, 201, 400) {
                        leak(format!(
                            "writes inside refused: (tests, case, contact, API contact, API tests, API case) = {statuses:?}"
                        ));
                    }
                    if (after.0, after.1, after.2) != (before.0 + 2, before.1 + 2, before.2) {
                        leak(format!("writes inside: {before:?} -> {after:?}"));
                    }
                } else {
                    for (what, status) in [
                        ("tests", tests),
                        ("case", case),
                        ("contact", contact),
                        ("API contact", api_contact),
                        ("API tests", api_tests),
                        ("API case", api_case),
                    ] {
                        if !matches!(status, 403 | 404) {
                            leak(format!("POST {what} for {} -> {status}", side.name));
                        }
                    }
                    if after != before {
                        leak(format!("a refused write changed {before:?} -> {after:?}"));
                    }
                }

                // Lists narrowed to the side's commune: only when inside.
                for path in [
                    format!("/contacts?unit={}", side.unit),
                    format!("/cases?unit={}", side.unit),
                    format!("/dashboard?unit={}", side.unit),
                    format!("/api/v1/contacts?unit={}", side.unit),
                ] {
                    let res = app.get(&path, Some(&cookie)).await;
                    let status = res.status().as_u16();
                    let body = res.text().await.unwrap();
                    checks += 1;
                    let shown = status == 200
                        && (body.contains(side.name)
                            || body.contains(&side.unit_name)
                            || body.contains(&format!("\"a_id\":{id}")));
                    if sees != shown {
                        leak(format!("GET {path} -> {status}, shown {shown}"));
                    }
                }
            }

            // Whole lists: exactly the own side(s).
            let unit_account = *kind == "unit";
            for path in ["/persons?q=nguyen", "/contacts", "/dashboard"] {
                let res = app.get(path, Some(&cookie)).await;
                let status = res.status().as_u16();
                let body = res.text().await.unwrap();
                checks += 1;
                if !unit_account {
                    if status == 200 && (body.contains("Ánh") || body.contains("Bích")) {
                        leaks.push(format!("{name}: GET {path} shows persons"));
                    }
                    continue;
                }
                if status != 200
                    || (path != "/dashboard"
                        && (body.contains("Ánh") != *sees_a || body.contains("Bích") != *sees_b))
                {
                    leaks.push(format!("{name}: GET {path} -> {status}, wrong persons"));
                }
            }
            for path in ["/api/v1/persons?q=nguyen", "/api/v1/contacts"] {
                let res = app.get(path, Some(&cookie)).await;
                let status = res.status().as_u16();
                checks += 1;
                if !unit_account {
                    if status != 403 {
                        leaks.push(format!("{name}: GET {path} -> {status}"));
                    }
                    continue;
                }
                let ids = ids_in(&res.json::<Value>().await.unwrap());
                let want_a = ids.contains(&side_a.case_id);
                let want_b = ids.contains(&side_b.case_id);
                if status != 200 || want_a != *sees_a || want_b != *sees_b {
                    leaks.push(format!("{name}: GET {path} -> {status}, ids {ids:?}"));
                }
            }

            // The audit log: province administrators only.
            let audit = app.get("/audit", Some(&cookie)).await.status().as_u16();
            checks += 1;
            if (audit == 200) != (*role == "province_admin") {
                leaks.push(format!("{name}: GET /audit -> {audit}"));
            }
            // Own things: the API description, the password form, signing out.
            let openapi = app.get("/api/openapi.json", Some(&cookie)).await.status();
            let wrong_password = app
                .post_form(
                    "/account/password",
                    Some(&cookie),
                    &[
                        ("csrf", &csrf),
                        ("current", "not the password"),
                        ("new", "a new password 123"),
                        ("again", "a new password 123"),
                    ],
                )
                .await
                .status()
                .as_u16();
            let signout = app
                .post_form("/signout", Some(&cookie), &[("csrf", &csrf)])
                .await
                .status()
                .as_u16();
            let after_signout = app.get("/dashboard", Some(&cookie)).await.status().as_u16();
            checks += 3;
            if openapi != 200 || wrong_password != 422 || signout != 303 || after_signout != 303 {
                leaks.push(format!(
                    "{name}: openapi {openapi}, wrong password {wrong_password}, signout {signout}, then {after_signout}"
                ));
            }
        }
        assert!(
            leaks.is_empty(),
            "{}: {} leaks in {checks} checks: {leaks:#?}",
            app.db.name(),
            leaks.len()
        );
        assert!(checks > 300, "the matrix ran {checks} checks");
    }
}
