//! Health declarations over HTTP, on SQLite and (with `PHONGDICH_TEST_PG`) PostgreSQL:
//! every validation rule with its message next to the field and the form kept, the
//! idempotency key, matching by identity number (never by name), flags and the
//! follow-up list scoped by jurisdiction and audited, the declarant's view on its own
//! device only, staff look-up by code, the API, rate limits, the body limit and the
//! retention purge (audited) on a fixed clock.

#![allow(clippy::unwrap_used)]

mod helpers;

use helpers::{hidden_field, person, set_cookie, two_communes, TestApp};
use phongdich_app::retention::Retention;
use phongdich_app::{Actor, Channel, FixedClock};
use phongdich_domain::{IdentityDocument, Timestamp, UnitCode};
use phongdich_store::testing::all_backends;
use phongdich_store::{AuditFilter, TokenScope};
use serde_json::{json, Value};
use std::sync::Arc;

const PASSWORD: &str = "mật khẩu thử nghiệm";

type Form = Vec<(String, String)>;

/// A validation case: the fields changed, the id of the field at fault, a word of its
/// message.
type Rule<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

/// A valid one-person voluntary declaration living in `commune` (province 12).
fn form(commune: &UnitCode, id_number: &str, key: &str) -> Form {
    [
        ("idempotency_key", key),
        ("persons", "1"),
        ("kind", "voluntary"),
        ("p0.full_name", "Lò Văn Pọm"),
        ("p0.id_number", id_number),
        ("p0.birth", "14/02/1990"),
        ("p0.sex", "male"),
        ("p0.nationality", "VN"),
        ("p0.phone", "0912345678"),
        ("province", "12"),
        ("commune", commune.as_str()),
        ("village", "Bản Nà Cà"),
        ("action", "submit"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Sets field `k` (replacing its first value) or adds it.
fn set(f: &mut Form, k: &str, v: &str) {
    match f.iter_mut().find(|(name, _)| name == k) {
        Some(pair) => pair.1 = v.to_owned(),
        None => f.push((k.to_owned(), v.to_owned())),
    }
}

/// Today in Vietnam, `days` from now, as `YYYY-MM-DD`.
fn local_day(days: i64) -> String {
    Timestamp(chrono::Utc::now().timestamp() + days * 86_400)
        .local_date()
        .format("%Y-%m-%d")
        .to_string()
}

impl TestApp {
    /// A phone's first visit to the form: its device cookie (`pd_device=...`) and the
    /// form's idempotency key.
    async fn device(&self) -> (String, String) {
        let res = self.get("/khai-bao", None).await;
        assert_eq!(res.status(), 200);
        let cookie = set_cookie(&res, "pd_device").unwrap();
        let key = hidden_field(&res.text().await.unwrap(), "idempotency_key").unwrap();
        (cookie, key)
    }

    async fn post_declaration(&self, cookie: &str, f: &Form) -> reqwest::Response {
        self.client
            .post(format!("{}/khai-bao", self.base))
            .header("cookie", cookie)
            .form(f)
            .send()
            .await
            .unwrap()
    }

    /// Declares `f` from a new device; returns (device cookie, submission code).
    async fn declared(&self, f: &Form) -> (String, String) {
        let (cookie, _) = self.device().await;
        let res = self.post_declaration(&cookie, f).await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let code = location.strip_prefix("/khai-bao/").unwrap().to_owned();
        (cookie, code)
    }

    async fn count(&self) -> u64 {
        self.db.store.declaration_count().await.unwrap()
    }

    /// The newest audit events of `entity` with `action`.
    async fn audits(&self, entity: &str, action: &str) -> Vec<phongdich_store::NewAuditEvent> {
        self.db
            .store
            .audit_search(&AuditFilter {
                entity: Some(entity.to_owned()),
                action: Some(action.to_owned()),
                limit: 100,
                ..AuditFilter::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect()
    }
}

#[tokio::test]
async fn every_field_is_checked_with_its_message_next_to_it_and_the_form_kept() {
    for app in TestApp::all().await {
        let (a, _, b) = two_communes(&app.db.store).await;
        let (cookie, key) = app.device().await;
        let arrival = local_day(-2);
        let long_name = "A".repeat(101);
        // (changes, the field's id, a word of its message)
        let cases: Vec<Rule> = vec![
            (vec![("kind", "tourism")], "kind", "Loại tờ khai"),
            (vec![("p0.full_name", "  ")], "p0-full_name", "họ và tên"),
            (
                vec![("p0.full_name", &long_name)],
                "p0-full_name",
                "100 ký tự",
            ),
            (
                vec![("p0.id_number", "")],
                "p0-id_number",
                "Cần nhập số CCCD",
            ),
            (
                vec![("p0.id_number", "12345")],
                "p0-id_number",
                "CCCD gồm 12 chữ số",
            ),
            (
                vec![("p0.id_number", "0123456789012")],
                "p0-id_number",
                "CMND 9 chữ số",
            ),
            (vec![("p0.id_number", "AB12")], "p0-id_number", "hộ chiếu"),
            (vec![("p0.nationality", "LA")], "p0-id_number", "hộ chiếu"),
            (
                vec![("p0.nationality", "Lào")],
                "p0-nationality",
                "mã 2 chữ cái",
            ),
            (vec![("p0.birth", "")], "p0-birth", "Cần nhập ngày sinh"),
            (
                vec![("p0.birth", "31/02/1990")],
                "p0-birth",
                "không sau hôm nay",
            ),
            (vec![("p0.birth", "2999")], "p0-birth", "không sau hôm nay"),
            (vec![("p0.birth", "1901")], "p0-birth", "quá 120 tuổi"),
            (vec![("p0.sex", "")], "p0-sex", "giới tính"),
            (vec![("p0.phone", "")], "p0-phone", "Cần nhập số điện thoại"),
            (vec![("p0.phone", "0123")], "p0-phone", "di động 10 số"),
            (vec![("p0.symptom", "headache")], "p0-symptoms", "danh sách"),
            (vec![("province", "99")], "province", "danh mục"),
            (vec![("commune", "")], "commune", "Chọn xã"),
            (vec![("commune", "99999")], "commune", "danh mục"),
            (vec![("province", "01")], "commune", "không thuộc tỉnh"),
            (
                vec![("visited_province", "999")],
                "visited_provinces",
                "danh mục",
            ),
            (vec![("kind", "entry")], "origin", "nước khởi hành"),
            (
                vec![
                    ("kind", "entry"),
                    ("origin_country", "VN"),
                    ("arrival_date", &arrival),
                ],
                "origin",
                "khác Việt Nam",
            ),
            (
                vec![("kind", "domestic"), ("origin_province", "01")],
                "arrival_date",
                "Cần nhập ngày đến",
            ),
            (
                vec![
                    ("kind", "domestic"),
                    ("origin_province", "01"),
                    ("arrival_date", "15/09/2021"),
                ],
                "arrival_date",
                "NNNN-TT-NN",
            ),
            (
                vec![
                    ("kind", "domestic"),
                    ("origin_province", "01"),
                    ("arrival_date", "2020-01-01"),
                ],
                "arrival_date",
                "14 ngày qua",
            ),
            (
                vec![
                    ("persons", "2"),
                    ("p1.full_name", "Lò Thị Con"),
                    ("p1.id_number", "012345678901"),
                    ("p1.birth", "2015"),
                    ("p1.sex", "female"),
                ],
                "p1-id_number",
                "người khác trong tờ khai",
            ),
            (
                vec![
                    ("persons", "2"),
                    ("p1.full_name", "Lò Thị Con"),
                    ("p1.id_number", "012345678902"),
                    ("p1.birth", "2015"),
                    ("p1.sex", "female"),
                    ("p1.phone", "12"),
                ],
                "p1-phone",
                "di động 10 số",
            ),
        ];
        for (changes, field, words) in &cases {
            let mut f = form(&a, "012345678901", &key);
            for (k, v) in changes {
                set(&mut f, k, v);
            }
            let res = app.post_declaration(&cookie, &f).await;
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            assert_eq!(status, 422, "{changes:?}: {body}");
            let marker = format!("id=\"error-{field}\"");
            let at = body
                .find(&marker)
                .unwrap_or_else(|| panic!("{changes:?}: no error for {field}"));
            let message = &body[at..at + body[at..].find("</span>").unwrap()];
            assert!(message.contains(words), "{changes:?}: {message}");
            // The field is marked, and what was typed is kept.
            if !matches!(*field, "p0-symptoms" | "origin" | "kind") {
                assert!(body.contains("aria-invalid=\"true\""), "{field} is marked");
            }
            assert!(body.contains("Bản Nà Cà"), "the village typed is kept");
            assert!(
                body.contains(&format!("value=\"{key}\"")),
                "the key is kept"
            );
        }
        assert_eq!(
            app.count().await,
            0,
            "nothing is stored from a refused form"
        );
        // A commune of another province with that province is fine.
        let mut f = form(&b, "012345678901", &key);
        set(&mut f, "p0.symptom", "fever");
        app.post_declaration(&cookie, &f).await;
        assert_eq!(app.count().await, 1);
        // Bad input in the API names the field.
        app.add_user("api", PASSWORD, "commune_officer", a.as_str())
            .await;
        let token = app.api_token("api", TokenScope::Write).await;
        let res = app
            .client
            .post(format!("{}/api/v1/declarations", app.base))
            .bearer_auth(&token)
            .json(&json!({ "kind": "voluntary", "persons": [{ "full_name": "A", "id_number": "1", "birth": "1990", "sex": "nam", "phone": "0912345678" }], "province": "12", "commune": a.as_str() }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["field"], "id_number", "{v}");
        assert!(v["message_vi"].as_str().unwrap().contains("CCCD"));
    }
}

#[tokio::test]
async fn a_double_submission_makes_one_declaration() {
    for app in TestApp::all().await {
        let (a, _, _) = two_communes(&app.db.store).await;
        let (cookie, key) = app.device().await;
        let f = form(&a, "012345678901", &key);
        let first = app.post_declaration(&cookie, &f).await;
        let second = app.post_declaration(&cookie, &f).await;
        assert_eq!(first.status(), 303);
        assert_eq!(first.headers()["location"], second.headers()["location"]);
        assert_eq!(app.count().await, 1);
        // Sent twice at once: still one.
        let (cookie, key) = app.device().await;
        let f = form(&a, "012345678902", &key);
        let (x, y) = tokio::join!(
            app.post_declaration(&cookie, &f),
            app.post_declaration(&cookie, &f)
        );
        assert_eq!(
            (x.status(), y.status()),
            (303.try_into().unwrap(), 303.try_into().unwrap())
        );
        assert_eq!(x.headers()["location"], y.headers()["location"]);
        assert_eq!(app.count().await, 2, "{}", app.db.name());
        // Another device's form with the same key is its own declaration.
        let (other, _) = app.device().await;
        let f = form(&a, "012345678903", &key);
        let res = app.post_declaration(&other, &f).await;
        assert_ne!(res.headers()["location"], x.headers()["location"]);
        assert_eq!(app.count().await, 3);
    }
}

#[tokio::test]
async fn a_declaration_matches_a_person_by_id_number_never_by_name() {
    for app in TestApp::all().await {
        let store = &app.db.store;
        let (a, _, _) = two_communes(store).await;
        let mut known = person("P1", "Nguyễn Văn An", &a);
        known.identity = Some(IdentityDocument::Cccd("001203004567".into()));
        let known_id = store.insert_person(&known).await.unwrap();
        let persons_before = store.counts().await.unwrap().persons;

        // The same number under another name: the recorded person, unchanged.
        let (_, key) = app.device().await;
        let mut f = form(&a, "001 203 004 567", &key);
        set(&mut f, "p0.full_name", "Nguyen Van Anh");
        let (_, code) = app.declared(&f).await;
        let d = store
            .declaration_by_code(&code.parse_code())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d.declared.person_id, known_id);
        assert_eq!(
            d.declared.full_name.as_str(),
            "Nguyen Van Anh",
            "kept as declared"
        );
        let p = store.person(known_id).await.unwrap();
        assert_eq!(
            p.full_name.as_str(),
            "Nguyễn Văn An",
            "the record is not rewritten"
        );
        assert_eq!(p.phone, None);
        assert_eq!(store.counts().await.unwrap().persons, persons_before);

        // The same name under another number: a new person.
        let (_, key) = app.device().await;
        let mut f = form(&a, "001203004568", &key);
        set(&mut f, "p0.full_name", "Nguyễn Văn An");
        let (_, code) = app.declared(&f).await;
        let d = store
            .declaration_by_code(&code.parse_code())
            .await
            .unwrap()
            .unwrap();
        assert_ne!(d.declared.person_id, known_id);
        let created = store.person(d.declared.person_id).await.unwrap();
        assert!(
            created.reference.starts_with("KB-"),
            "{}",
            created.reference
        );
        assert_eq!(created.unit_code.as_ref(), Some(&a));
        assert_eq!(store.counts().await.unwrap().persons, persons_before + 1);
        let audits = app.audits("person", "create").await;
        assert!(audits
            .iter()
            .any(|e| e.entity_id == d.declared.person_id.to_string() && e.user_id.is_none()));
    }
}

trait ParseCode {
    fn parse_code(&self) -> phongdich_domain::declaration::DeclarationCode;
}

impl ParseCode for String {
    fn parse_code(&self) -> phongdich_domain::declaration::DeclarationCode {
        phongdich_domain::declaration::DeclarationCode::parse(self).unwrap()
    }
}

#[tokio::test]
async fn flags_land_on_the_follow_up_list_of_the_commune_audited_and_scoped() {
    for app in TestApp::all().await {
        let store = &app.db.store;
        let (a, district_a, b) = two_communes(store).await;
        // A: a family, the mother with a fever, the child with nothing; B: a case contact.
        let (_, key) = app.device().await;
        let mut f = form(&a, "012345678901", &key);
        set(&mut f, "p0.full_name", "Lò Thị Sốt");
        set(&mut f, "p0.symptom", "fever");
        set(&mut f, "persons", "2");
        for (k, v) in [
            ("p1.full_name", "Lò Văn Khỏe"),
            ("p1.id_number", "012345678902"),
            ("p1.birth", "2015"),
            ("p1.sex", "male"),
        ] {
            set(&mut f, k, v);
        }
        let (_, family) = app.declared(&f).await;
        let (_, key) = app.device().await;
        let mut f = form(&b, "012345678903", &key);
        set(&mut f, "p0.full_name", "Quàng Văn Tiếp");
        set(&mut f, "p0.case_contact", "1");
        set(&mut f, "p0.phone", "0987654321");
        app.declared(&f).await;
        let (_, key) = app.device().await;
        let mut f = form(&a, "012345678904", &key);
        set(&mut f, "p0.full_name", "Tòng Thị Vùng");
        set(&mut f, "p0.epidemic_zone", "1");
        set(&mut f, "p0.phone", "0987654322");
        app.declared(&f).await;

        let users = helpers::matrix_users(&a, &district_a, &b);
        for u in &users {
            app.add_user_in(u.username, PASSWORD, u.role, u.kind, &u.code)
                .await;
            let cookie = app.signed_in(u.username, PASSWORD).await;
            let res = app.get("/declarations", Some(&cookie)).await;
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            if u.kind == "place" {
                assert_eq!(status, 403, "{}", u.username);
                assert!(!body.contains("Lò Thị Sốt"));
                continue;
            }
            assert_eq!(status, 200, "{}", u.username);
            assert_eq!(body.contains("Lò Thị Sốt"), u.sees_a, "{}", u.username);
            assert_eq!(body.contains("Tòng Thị Vùng"), u.sees_a, "{}", u.username);
            assert_eq!(body.contains("Quàng Văn Tiếp"), u.sees_b, "{}", u.username);
            assert!(!body.contains("Lò Văn Khỏe"), "nothing flagged the child");
            if u.sees_a {
                assert!(body.contains("data-flag=\"symptoms\""));
                assert!(body.contains("data-flag=\"epidemic_zone\""));
            }
            // The API says the same.
            let res = app
                .get("/api/v1/declarations/follow-up", Some(&cookie))
                .await;
            assert_eq!(res.status(), 200);
            let v: Value = res.json().await.unwrap();
            let names: Vec<&str> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["full_name"].as_str().unwrap())
                .collect();
            assert_eq!(names.contains(&"Lò Thị Sốt"), u.sees_a, "{names:?}");
            assert_eq!(names.contains(&"Quàng Văn Tiếp"), u.sees_b, "{names:?}");
            // Filtered by flag.
            let body = app
                .get("/declarations?flag=case_contact", Some(&cookie))
                .await
                .text()
                .await
                .unwrap();
            assert!(!body.contains("Lò Thị Sốt"));
        }
        // Every list read is audited with the declarations shown.
        let reads = app.audits("declaration_list", "view").await;
        assert_eq!(reads.len(), 6 * 3, "three reads by each unit account");
        let officer_a = store.user_by_username("cofficer_a").await.unwrap().unwrap();
        let mine = reads
            .iter()
            .find(|e| {
                e.user_id == Some(officer_a.id)
                    && e.after_json.as_deref().unwrap().contains("\"flag\":null")
            })
            .unwrap();
        let shown: Value = serde_json::from_str(mine.after_json.as_deref().unwrap()).unwrap();
        assert_eq!(
            shown["declarations"].as_array().unwrap().len(),
            2,
            "{shown}"
        );

        // The commune officer of A marks the mother done; B's officer cannot.
        let mother = store
            .declaration_by_code(&family.parse_code())
            .await
            .unwrap()
            .unwrap();
        let cookie_b = app.signed_in("cofficer_b", PASSWORD).await;
        let page = app
            .get("/declarations", Some(&cookie_b))
            .await
            .text()
            .await
            .unwrap();
        let csrf_b = hidden_field(&page, "csrf").unwrap();
        let res = app
            .post_form(
                &format!("/declarations/{}/done", mother.id),
                Some(&cookie_b),
                &[("csrf", &csrf_b), ("note", "x")],
            )
            .await;
        assert_eq!(res.status(), 404);
        let cookie_a = app.signed_in("cofficer_a", PASSWORD).await;
        let page = app
            .get("/declarations", Some(&cookie_a))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!("/declarations/{}/done", mother.id)));
        let csrf = hidden_field(&page, "csrf").unwrap();
        let res = app
            .post_form(
                &format!("/declarations/{}/done", mother.id),
                Some(&cookie_a),
                &[("note", "đã gọi")],
            )
            .await;
        assert_eq!(res.status(), 403, "no CSRF token, no change");
        let res = app
            .post_form(
                &format!("/declarations/{}/done", mother.id),
                Some(&cookie_a),
                &[("csrf", &csrf), ("note", "đã gọi, hẹn lấy mẫu")],
            )
            .await;
        assert_eq!(res.status(), 303);
        let after = store
            .declaration_by_code(&family.parse_code())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.follow_up.as_str(), "done");
        assert_eq!(after.followed_up_by, Some(officer_a.id));
        let updates = app.audits("declaration", "update").await;
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].user_id, Some(officer_a.id));
        let open = app
            .get("/declarations", Some(&cookie_a))
            .await
            .text()
            .await
            .unwrap();
        assert!(!open.contains("Lò Thị Sốt"));
        let done = app
            .get("/declarations?status=done", Some(&cookie_a))
            .await
            .text()
            .await
            .unwrap();
        assert!(done.contains("Lò Thị Sốt") && done.contains("hẹn lấy mẫu"));
        // A read-only leader sees no "done" form; bad filters are a 400.
        let leader = app.signed_in("leader", PASSWORD).await;
        let page = app
            .get("/declarations", Some(&leader))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Tòng Thị Vùng") && !page.contains("/done\""));
        for q in ["?flag=cough", "?status=none", "?cursor=x"] {
            let res = app.get(&format!("/declarations{q}"), Some(&cookie_a)).await;
            assert_eq!(res.status(), 400, "{q}");
        }
    }
}

#[tokio::test]
async fn the_declarant_sees_the_codes_on_the_declaring_phone_only_and_staff_by_code() {
    for app in TestApp::all().await {
        let store = &app.db.store;
        let (a, district_a, b) = two_communes(store).await;
        let (_, key) = app.device().await;
        let mut f = form(&a, "012345678901", &key);
        set(&mut f, "p0.symptom", "cough");
        let (cookie, code) = app.declared(&f).await;

        let res = app.get(&format!("/khai-bao/{code}"), Some(&cookie)).await;
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        assert!(body.contains("Lò Văn Pọm"));
        assert!(body.contains(&format!("{}-{}", &code[..5], &code[5..])));
        assert!(body.contains("<svg") && body.contains("Có triệu chứng"));
        assert!(
            body.contains("href=\"/privacy\""),
            "the footer links the privacy notice"
        );
        // Another phone, or none: nothing.
        let (other, _) = app.device().await;
        for c in [None, Some(other.as_str())] {
            let res = app.get(&format!("/khai-bao/{code}"), c).await;
            assert_eq!(res.status(), 404);
            assert!(!res.text().await.unwrap().contains("Lò Văn Pọm"));
        }
        assert_eq!(
            app.get("/khai-bao/not-a-code", Some(&cookie))
                .await
                .status(),
            404
        );

        // Staff by code: inside the jurisdiction, and checkpoints; audited.
        let users = helpers::matrix_users(&a, &district_a, &b);
        for u in &users {
            app.add_user_in(u.username, PASSWORD, u.role, u.kind, &u.code)
                .await;
            let staff = app.signed_in(u.username, PASSWORD).await;
            let sees = u.sees_a || u.role == "checkpoint_officer";
            for path in [
                format!("/d/{code}"),
                format!("/d/{}", code.to_lowercase()),
                format!("/api/v1/declarations/{code}"),
            ] {
                let res = app.get(&path, Some(&staff)).await;
                let status = res.status().as_u16();
                let body = res.text().await.unwrap();
                assert_eq!(
                    (status == 200, body.contains("Lò Văn Pọm")),
                    (sees, sees),
                    "{} {path}: {status}",
                    u.username
                );
            }
            let res = app
                .get(
                    &format!("/declarations/find?code={}", code.to_lowercase()),
                    Some(&staff),
                )
                .await;
            assert_eq!(res.status(), 303);
            assert_eq!(res.headers()["location"], format!("/d/{code}").as_str());
        }
        let views = app.audits("declaration", "view").await;
        // The declarant once, and three reads by each of the six who see it.
        assert_eq!(views.len(), 1 + 3 * 6, "{}", views.len());
        assert!(
            views
                .iter()
                .any(|v| v.user_id.is_none()
                    && v.after_json.as_deref().unwrap().contains("declarant"))
        );
    }
}

#[tokio::test]
async fn staff_declare_through_the_api_with_an_idempotency_key() {
    for app in TestApp::all().await {
        let (a, _, _) = two_communes(&app.db.store).await;
        app.add_user_in("chot2", PASSWORD, "checkpoint_officer", "place", "CHK-1")
            .await;
        app.add_user("xa", PASSWORD, "commune_officer", a.as_str())
            .await;
        app.add_user("lanhdao", PASSWORD, "leader", "12").await;
        let body = json!({
            "kind": "entry",
            "persons": [
                { "full_name": "Vang Pao", "id_number": "P1234567", "nationality": "LA", "birth": "1985", "sex": "male", "phone": "0912000111", "symptoms": ["fever", "cough"] },
                { "full_name": "Vang Mai", "id_number": "P1234568", "nationality": "LA", "birth": "2012-06-01", "sex": "female" }
            ],
            "province": "12", "commune": a.as_str(),
            "origin": "la", "arrival_date": local_day(0)
        });
        let token = app.api_token("chot2", TokenScope::Write).await;
        let post = |token: String, key: &'static str| {
            app.client
                .post(format!("{}/api/v1/declarations", app.base))
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&body)
                .send()
        };
        let res = post(token.clone(), "k1").await.unwrap();
        assert_eq!(res.status(), 201);
        let first: Value = res.json().await.unwrap();
        assert_eq!(first["codes"].as_array().unwrap().len(), 2);
        assert_eq!(first["codes"][0]["flags"], json!(["symptoms"]));
        assert_eq!(first["codes"][1]["flags"], json!([]));
        assert_eq!(first["replayed"], false);
        let again: Value = post(token.clone(), "k1")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(again["submission"], first["submission"]);
        assert_eq!(again["replayed"], true);
        assert_eq!(app.count().await, 2);
        let read_only = app.api_token("xa", TokenScope::Read).await;
        assert_eq!(post(read_only, "k2").await.unwrap().status(), 403);
        let leader = app.api_token("lanhdao", TokenScope::Write).await;
        assert_eq!(post(leader, "k3").await.unwrap().status(), 403);
        assert_eq!(app.count().await, 2);
        // The commune's officer sees the flagged father, marks him done through the API.
        let xa = app.api_token("xa", TokenScope::Write).await;
        let list: Value = app
            .client
            .get(format!("{}/api/v1/declarations/follow-up", app.base))
            .bearer_auth(&xa)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{list}");
        assert_eq!(items[0]["symptoms"], json!(["fever", "cough"]));
        assert_eq!(items[0]["origin"], "LA");
        let id = items[0]["id"].as_i64().unwrap();
        let done = app
            .client
            .post(format!("{}/api/v1/declarations/{id}/done", app.base))
            .bearer_auth(&xa)
            .json(&json!({ "note": "đã gọi" }))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 204);
        let unflagged = first["codes"][1]["code"].as_str().unwrap();
        let v: Value = app
            .client
            .get(format!("{}/api/v1/declarations/{unflagged}", app.base))
            .bearer_auth(&xa)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let child_id = v["id"].as_i64().unwrap();
        let res = app
            .client
            .post(format!("{}/api/v1/declarations/{child_id}/done", app.base))
            .bearer_auth(&xa)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 409, "nothing flagged the child");
    }
}

#[tokio::test]
async fn rate_limits_and_the_body_limit_keep_the_form() {
    for app in TestApp::all().await {
        let (a, _, _) = two_communes(&app.db.store).await;
        app.state.app().public_limits().per_phone.set(1, 600);
        let (cookie, key) = app.device().await;
        let res = app
            .post_declaration(&cookie, &form(&a, "012345678901", &key))
            .await;
        assert_eq!(res.status(), 303);
        let (cookie, key) = app.device().await;
        let res = app
            .post_declaration(&cookie, &form(&a, "012345678902", &key))
            .await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        let body = res.text().await.unwrap();
        assert!(body.contains("Số điện thoại này") && body.contains("Bản Nà Cà"));
        assert_eq!(app.count().await, 1);
        app.state.app().public_limits().per_phone.set(0, 600);
        // Per address (the test client is 127.0.0.1).
        app.state.app().public_limits().per_address.set(1, 60);
        let (cookie, key) = app.device().await;
        let res = app
            .post_declaration(&cookie, &form(&a, "012345678903", &key))
            .await;
        assert_eq!(res.status(), 429);
        app.state.app().public_limits().per_address.set(0, 60);
        // An oversized body is refused before it is read.
        let mut f = form(&a, "012345678904", &key);
        set(&mut f, "visited_places", &"x".repeat(40_000));
        let res = app.post_declaration(&cookie, &f).await;
        assert_eq!(res.status(), 413);
        assert_eq!(app.count().await, 1);
    }
}

#[tokio::test]
async fn the_form_adds_family_members_and_lists_a_provinces_communes_without_script() {
    for app in TestApp::all().await {
        let (a, _, _) = two_communes(&app.db.store).await;
        let (cookie, key) = app.device().await;
        let mut f = form(&a, "012345678901", &key);
        set(&mut f, "action", "add");
        let res = app.post_declaration(&cookie, &f).await;
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        assert!(body.contains("id=\"person-1\"") && body.contains("Lò Văn Pọm"));
        assert!(body.contains("name=\"persons\" value=\"2\""));
        set(&mut f, "persons", "2");
        set(&mut f, "action", "remove-1");
        let body = app
            .post_declaration(&cookie, &f)
            .await
            .text()
            .await
            .unwrap();
        assert!(!body.contains("id=\"person-1\""));
        // Another province: its communes, grouped by district.
        set(&mut f, "province", "01");
        set(&mut f, "action", "refresh");
        let body = app
            .post_declaration(&cookie, &f)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            body.contains("<optgroup label=\"Quận Ba Đình\">"),
            "Hà Nội's districts"
        );
        assert!(body.contains("Phường Phúc Xá"));
        assert_eq!(app.count().await, 0);
        // In English, with the switch.
        let body = app
            .get("/khai-bao?lang=en", None)
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains("Health declaration") && body.contains("Tiếng Việt"));
        let privacy = app.get("/privacy", None).await.text().await.unwrap();
        assert!(privacy.contains("13/2023/NĐ-CP") && privacy.contains("id=\"retention-days\">30<"));
    }
}

#[tokio::test]
async fn the_retention_purge_deletes_old_declarations_in_one_audited_run() {
    for db in all_backends().await.unwrap() {
        let t0 = Timestamp::parse("2021-09-01T09:00:00+07:00").unwrap();
        let clock = Arc::new(FixedClock::at(t0));
        let app = TestApp::start_at(db, clock.clone()).await;
        let store = &app.db.store;
        let (a, _, _) = two_communes(store).await;
        // The server's job runs at start: an audited run that deletes nothing.
        let mut started = Vec::new();
        for _ in 0..100 {
            started = app.audits("declaration", "delete").await;
            if !started.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(started.len(), 1, "the job's first run");
        assert_eq!(started[0].ip.as_deref(), Some("job:retention"));
        assert!(started[0]
            .after_json
            .as_deref()
            .unwrap()
            .contains("\"rows\":0"));

        // Day 0: two declarations; one person becomes a case meanwhile.
        let (_, key) = app.device().await;
        let (old_cookie, old) = app.declared(&form(&a, "012345678901", &key)).await;
        let (_, key) = app.device().await;
        let mut f = form(&a, "012345678902", &key);
        set(&mut f, "p0.phone", "0912345679");
        let (_, kept_person_code) = app.declared(&f).await;
        let case_person = store
            .declaration_by_code(&kept_person_code.parse_code())
            .await
            .unwrap()
            .unwrap()
            .declared
            .person_id;
        store
            .insert_case(&phongdich_store::NewCase {
                person_id: case_person,
                recorded_at: t0,
                case: phongdich_domain::Case::confirmed(None, Some(t0.local_date()), None).unwrap(),
            })
            .await
            .unwrap();
        // A check-in on day 0 by someone first met there.
        let venue = store
            .insert_place(&phongdich_store::NewPlace {
                id: None,
                reference: "V-CHO".into(),
                kind: phongdich_domain::PlaceKind::Venue,
                venue_kind: Some(phongdich_domain::VenueKind::Market),
                name: "Chợ Tam Đường".into(),
                unit_code: Some(a.clone()),
                address: None,
                capacity: None,
                operator: None,
            })
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        let checked_in = tx
            .record_check_in(
                &phongdich_store::NewCheckIn {
                    place_id: venue,
                    visitor: phongdich_store::Visitor {
                        full_name: phongdich_domain::FullName::parse("Vàng A Chợ").unwrap(),
                        phone: Some(phongdich_domain::Phone::parse("0977000111").unwrap()),
                        identity: None,
                        birth: None,
                        sex: None,
                        address: None,
                        new_reference: "CK-0123456789ab".into(),
                    },
                    interval: phongdich_domain::Interval::new(t0, Timestamp(t0.0 + 3600)).unwrap(),
                    channel: phongdich_domain::CheckInChannel::SelfScan,
                    staff_user_id: None,
                    idempotency_key: None,
                },
                |r| phongdich_store::NewAuditEvent {
                    at: t0.0,
                    user_id: None,
                    action: "create".into(),
                    entity: "check_in".into(),
                    entity_id: r.check_in_id.to_string(),
                    before_json: None,
                    after_json: None,
                    ip: None,
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();

        // Day 20: another declaration.
        clock.set(Timestamp(t0.0 + 20 * 86_400));
        let (_, key) = app.device().await;
        let mut f = form(&a, "012345678903", &key);
        set(&mut f, "p0.phone", "0912345670");
        let (_, recent) = app.declared(&f).await;
        let old_person = store
            .declaration_by_code(&old.parse_code())
            .await
            .unwrap()
            .unwrap()
            .declared
            .person_id;

        // Day 31: the two of day 0 go, with the person only a declaration had made.
        clock.set(Timestamp(t0.0 + 31 * 86_400));
        let job = Actor::system(
            UnitCode::parse("12").unwrap(),
            Channel::Job,
            "job:retention".into(),
        );
        let report = app
            .state
            .app()
            .purge_retention(&job, Retention::default())
            .await
            .unwrap();
        assert_eq!(report.declarations.rows, 2);
        assert_eq!(report.declarations.persons, 1);
        assert_eq!(report.cutoff, Timestamp(t0.0 + 86_400));
        assert_eq!(app.count().await, 1);
        assert!(store
            .declaration_by_code(&recent.parse_code())
            .await
            .unwrap()
            .is_some());
        assert!(
            store.person(old_person).await.is_err(),
            "made only by the declaration"
        );
        assert!(
            store.person(case_person).await.is_ok(),
            "a case keeps its person"
        );
        assert_eq!(
            app.get(&format!("/khai-bao/{old}"), Some(&old_cookie))
                .await
                .status(),
            404
        );
        let runs = app.audits("declaration", "delete").await;
        assert_eq!(runs.len(), 2);
        let last: Value = serde_json::from_str(runs[0].after_json.as_deref().unwrap()).unwrap();
        assert_eq!(last["rows"], 2);
        assert_eq!(last["persons"], 1);
        assert_eq!(last["retention_days"], 30);
        assert_eq!(last["cutoff"], Timestamp(t0.0 + 86_400).to_rfc3339());
        assert_eq!(report.check_ins.rows, 1);
        assert_eq!(report.check_ins.presences, 1);
        assert_eq!(report.check_ins.persons, 1);
        assert!(store.person(checked_in.person_id).await.is_err());
        let check_in_runs = app.audits("check_in", "delete").await;
        assert_eq!(check_in_runs.len(), 2, "check-ins too, each run");
        assert!(check_in_runs[0]
            .after_json
            .as_deref()
            .unwrap()
            .contains("\"rows\":1"));
        // Staff may not run it; a shorter period takes the recent one as well.
        app.add_user("xa", PASSWORD, "commune_officer", a.as_str())
            .await;
        let officer = store.user_by_username("xa").await.unwrap().unwrap();
        let not_system = Actor {
            user_id: Some(officer.id),
            username: "xa".into(),
            role: phongdich_domain::Role::CommuneOfficer,
            jurisdiction: phongdich_domain::Jurisdiction::Unit(a.clone()),
            client: None,
            channel: Channel::Session,
        };
        assert!(app
            .state
            .app()
            .purge_retention(&not_system, Retention::default())
            .await
            .is_err());
        let report = app
            .state
            .app()
            .purge_retention(&job, Retention::days(7).unwrap())
            .await
            .unwrap();
        assert_eq!(report.declarations.rows, 1);
        assert_eq!(app.count().await, 0);
    }
}
