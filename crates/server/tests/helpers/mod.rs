//! Test helpers: the real server on 127.0.0.1:0 over a fresh database, one helper per
//! endpoint.

#![allow(dead_code, clippy::unwrap_used)]

pub mod browser;

use phongdich_server::{AppState, Settings};
use phongdich_store::testing::{all_backends, TestDb};
use tokio::sync::oneshot;

/// A running server and its database; the server stops when this is dropped.
pub struct TestApp {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub base: String,
    /// The database (kept alive for the server's lifetime).
    pub db: TestDb,
    /// An HTTP client that does not follow redirects.
    pub client: reqwest::Client,
    /// The app's state (shared with the running server).
    pub state: AppState,
    _stop: oneshot::Sender<()>,
}

impl TestApp {
    /// Starts the app on a random port over `db`.
    pub async fn start(db: TestDb) -> Self {
        Self::start_with(db, None).await
    }

    /// Starts the app with its engine's first build held until the returned sender
    /// fires (or is dropped).
    pub async fn start_building(db: TestDb) -> (Self, oneshot::Sender<()>) {
        let (release, gate) = oneshot::channel();
        (Self::start_with(db, Some(gate)).await, release)
    }

    /// Starts the app on a random port over `db`, reading the time from `clock` (a
    /// `FixedClock` for what depends on dates: retention, plausible ranges).
    pub async fn start_at(db: TestDb, clock: std::sync::Arc<dyn phongdich_app::Clock>) -> Self {
        Self::start_clocked(db, None, clock).await
    }

    async fn start_with(db: TestDb, gate: Option<oneshot::Receiver<()>>) -> Self {
        Self::start_clocked(db, gate, std::sync::Arc::new(phongdich_app::SystemClock)).await
    }

    async fn start_clocked(
        db: TestDb,
        gate: Option<oneshot::Receiver<()>>,
        clock: std::sync::Arc<dyn phongdich_app::Clock>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        // As `serve` does (`App::serving`): the engine's task starts building at once.
        let engine = phongdich_app::Engine::start_after(
            db.store.clone(),
            clock.clone(),
            phongdich_trace::Params::default(),
            gate,
        );
        let app = phongdich_app::App::new(
            db.store.clone(),
            phongdich_domain::UnitCode::parse("12").unwrap(),
            clock,
            engine,
        );
        let state = AppState::new(app, Settings::default());
        tokio::spawn(phongdich_server::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base,
            db,
            client,
            state,
            _stop: stop,
        }
    }

    /// One started app per backend (SQLite always; PostgreSQL when `PHONGDICH_TEST_PG` is set).
    pub async fn all() -> Vec<Self> {
        let mut apps = Vec::new();
        for db in all_backends().await.unwrap() {
            apps.push(Self::start(db).await);
        }
        apps
    }

    /// Waits until the tracing engine, built from the database in the background when
    /// the server starts, is ready (and has stored its levels).
    pub async fn engine_ready(&self) {
        let status = self.state.app().engine().settled().await;
        assert!(
            matches!(status, phongdich_app::EngineStatus::Ready { .. }),
            "the tracing engine could not be built: {status:?}"
        );
    }

    /// `GET path`, with an optional `Cookie` header.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(format!("{}{}", self.base, path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    /// `GET /`.
    pub async fn get_landing(&self, cookie: Option<&str>) -> reqwest::Response {
        self.get("/", cookie).await
    }

    /// `GET /healthz`.
    pub async fn get_health(&self) -> reqwest::Response {
        self.get("/healthz", None).await
    }
}

/// Extracts `name=value` of cookie `name` from a response's `Set-Cookie` headers.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// The value of hidden field `name` in a page.
pub fn hidden_field(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    Some(body[start..start + body[start..].find('"')?].to_owned())
}

impl TestApp {
    /// Creates an account with this role and jurisdiction (`unit`, code).
    pub async fn add_user(&self, username: &str, password: &str, role: &str, unit: &str) {
        self.add_user_in(username, password, role, "unit", unit)
            .await;
    }

    /// Creates an account with this role and jurisdiction (`kind`, code).
    pub async fn add_user_in(
        &self,
        username: &str,
        password: &str,
        role: &str,
        kind: &str,
        code: &str,
    ) {
        let hash = phongdich_app::accounts::hash_password(password).unwrap();
        self.db
            .store
            .insert_user(&phongdich_store::NewUser {
                username: username.to_owned(),
                display_name: format!("Cán bộ {username}"),
                password_hash: hash,
                role: role.to_owned(),
                jurisdiction_kind: kind.to_owned(),
                jurisdiction_code: code.to_owned(),
            })
            .await
            .unwrap();
    }

    /// A live API token of account `username` with `scope`; returns the token.
    pub async fn api_token(&self, username: &str, scope: phongdich_store::TokenScope) -> String {
        let user = self
            .db
            .store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap();
        let token = phongdich_app::accounts::new_token();
        self.db
            .store
            .insert_api_token(&phongdich_store::NewApiToken {
                token_hash: phongdich_app::accounts::token_hash(&token),
                user_id: user.id,
                name: "test".to_owned(),
                scope,
                expires_at: i64::MAX,
            })
            .await
            .unwrap();
        token
    }

    /// `POST /signin` after `GET /signin`, as a browser does; returns the response.
    pub async fn post_signin(&self, username: &str, password: &str) -> reqwest::Response {
        let form = self.get("/signin", None).await;
        let cookie = set_cookie(&form, "pd_signin").unwrap();
        let csrf = hidden_field(&form.text().await.unwrap(), "csrf").unwrap();
        self.client
            .post(format!("{}/signin", self.base))
            .header("cookie", cookie)
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/dashboard"),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Signs in and returns the session cookie (`pd_session=...`).
    pub async fn signed_in(&self, username: &str, password: &str) -> String {
        let res = self.post_signin(username, password).await;
        assert_eq!(res.status(), 303, "sign-in of {username} failed");
        set_cookie(&res, "pd_session").unwrap()
    }

    /// `POST path` with a form and an optional cookie.
    pub async fn post_form(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}{}", self.base, path))
            .form(form);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }
}

/// A person named `name` living in `unit`, with nothing else known.
pub fn person(
    reference: &str,
    name: &str,
    unit: &phongdich_domain::UnitCode,
) -> phongdich_store::NewPerson {
    phongdich_store::NewPerson {
        id: None,
        reference: reference.to_owned(),
        full_name: phongdich_domain::FullName::parse(name).unwrap(),
        birth: None,
        sex: None,
        identity: None,
        nationality: "VN".to_owned(),
        phone: None,
        address: None,
        unit_code: Some(unit.clone()),
        household_id: None,
    }
}

/// Two communes of province 12 in different districts: (a, its district, b).
pub async fn two_communes(
    store: &phongdich_store::Store,
) -> (
    phongdich_domain::UnitCode,
    phongdich_domain::UnitCode,
    phongdich_domain::UnitCode,
) {
    use phongdich_domain::{AdminLevel, UnitCode};
    let communes = store
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
    (a.code.clone(), a.parent.clone().unwrap(), b.code.clone())
}

/// One account of the jurisdiction matrix: a user of each role, over two communes in
/// different districts (A and B, from [`two_communes`]).
#[derive(Debug, Clone)]
pub struct MatrixUser {
    pub username: &'static str,
    pub role: &'static str,
    /// `unit` or `place`.
    pub kind: &'static str,
    pub code: String,
    /// Whether it may see the persons of commune A, and of commune B.
    pub sees_a: bool,
    pub sees_b: bool,
}

/// Every role, each with the jurisdiction and what it must see: the province's
/// accounts see both communes, A's district and commune accounts only A, B's commune
/// account only B, and place-bound accounts neither.
pub fn matrix_users(
    a: &phongdich_domain::UnitCode,
    district_a: &phongdich_domain::UnitCode,
    b: &phongdich_domain::UnitCode,
) -> Vec<MatrixUser> {
    let row = |username, role, kind, code: String, sees_a, sees_b| MatrixUser {
        username,
        role,
        kind,
        code,
        sees_a,
        sees_b,
    };
    vec![
        row("padmin", "province_admin", "unit", "12".into(), true, true),
        row(
            "pofficer",
            "province_officer",
            "unit",
            "12".into(),
            true,
            true,
        ),
        row("leader", "leader", "unit", "12".into(), true, true),
        row(
            "dofficer",
            "district_officer",
            "unit",
            district_a.to_string(),
            true,
            false,
        ),
        row(
            "cofficer_a",
            "commune_officer",
            "unit",
            a.to_string(),
            true,
            false,
        ),
        row(
            "cofficer_b",
            "commune_officer",
            "unit",
            b.to_string(),
            false,
            true,
        ),
        row(
            "facility",
            "facility_manager",
            "place",
            "FAC-1".into(),
            false,
            false,
        ),
        row(
            "checkpoint",
            "checkpoint_officer",
            "place",
            "CHK-1".into(),
            false,
            false,
        ),
        row(
            "transport",
            "transport_operator",
            "place",
            "BUS-1".into(),
            false,
            false,
        ),
        row(
            "hotel",
            "accommodation_operator",
            "place",
            "HOTEL-1".into(),
            false,
            false,
        ),
    ]
}

/// The routes of the route table behind `guard`, as `(method, sample path)`.
pub fn routes(guard: phongdich_server::Guard) -> Vec<(String, &'static str)> {
    phongdich_server::route_table()
        .into_iter()
        .filter(|r| r.3 == guard)
        .map(|(m, _, sample, _)| (m, sample))
        .collect()
}
