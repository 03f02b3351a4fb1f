//! Use cases on both databases, without HTTP: an audited write is atomic (a failing
//! audit insert leaves no case), an import lands with its audit event and moves the
//! data version, only province-wide writers import, and a running engine rebuilds when
//! another process imported.

#![allow(clippy::unwrap_used)]

use phongdich_app::cases::CaseInput;
use phongdich_app::imports::{ImportError, ImportKind};
use phongdich_app::{Actor, App, AppError, Channel, Engine, EngineStatus, FixedClock};
use phongdich_domain::{FullName, Jurisdiction, Role, Timestamp, UnitCode};
use phongdich_store::testing::{all_backends, TestDb};
use phongdich_store::{NewPerson, Store};
use std::sync::Arc;

fn province() -> UnitCode {
    UnitCode::parse("12").unwrap()
}

fn app(store: &Store, engine: Engine) -> App {
    let clock = Arc::new(FixedClock::at(
        Timestamp::parse("2021-05-20T09:00:00+07:00").unwrap(),
    ));
    App::new(store.clone(), province(), clock, engine)
}

fn officer(unit: &UnitCode, role: Role) -> Actor {
    Actor {
        user_id: None,
        username: "tester".into(),
        role,
        jurisdiction: Jurisdiction::Unit(unit.clone()),
        client: Some("cli:tester".into()),
        channel: Channel::Cli,
    }
}

async fn commune(store: &Store) -> UnitCode {
    store.communes_of_province(&province()).await.unwrap()[0]
        .code
        .clone()
}

async fn person(store: &Store, reference: &str, unit: &UnitCode) -> i64 {
    store
        .insert_person(&NewPerson {
            id: None,
            reference: reference.into(),
            full_name: FullName::parse("Lò Văn Minh").unwrap(),
            birth: None,
            sex: None,
            identity: None,
            nationality: "VN".into(),
            phone: None,
            address: None,
            unit_code: Some(unit.clone()),
            household_id: None,
        })
        .await
        .unwrap()
}

/// Makes every insert into `audit_event` fail, behind the store's back.
async fn break_the_audit_log(db: &TestDb) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let sql = match db.name() {
        "sqlite" => {
            "create trigger audit_fails before insert on audit_event \
                     begin select raise(abort, 'the audit log is down'); end;"
        }
        _ => {
            "create function audit_fails() returns trigger language plpgsql as \
              $$ begin raise exception 'the audit log is down'; end $$; \
              create trigger audit_fails before insert on audit_event \
              for each row execute function audit_fails();"
        }
    };
    sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test]
async fn a_case_whose_audit_event_fails_is_not_stored() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let unit = commune(s).await;
        let id = person(s, "P1", &unit).await;
        let app = app(s, Engine::none());
        break_the_audit_log(&db).await;
        let input = CaseInput {
            sample_date: "2021-05-12".into(),
            ..CaseInput::default()
        };
        let err = app
            .register_case(&officer(&unit, Role::CommuneOfficer), id, &input, None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppError::Internal(_)),
            "{}: {err:?}",
            db.name()
        );
        assert!(
            s.case_of_person(id).await.unwrap().is_none(),
            "{}: a case without its audit event was stored",
            db.name()
        );
    }
}

const PERSONS: &str = "ref,full_name,unit_code\nP1,Lò Văn Minh,UNIT\nP2,Giàng A Páo,UNIT\n";

#[tokio::test]
async fn an_import_lands_with_its_audit_event_and_moves_the_data_version() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let unit = commune(s).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("persons.csv");
        std::fs::write(&file, PERSONS.replace("UNIT", unit.as_str())).unwrap();
        let app = app(s, Engine::none());

        // A commune officer may not import; nothing is written.
        let refused = app
            .import(
                &officer(&unit, Role::CommuneOfficer),
                ImportKind::Persons,
                &file,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(refused, ImportError::App(AppError::Forbidden)),
            "{refused:?}"
        );

        let system = Actor::system(province(), Channel::Cli, "cli:tester".into());
        let done = app
            .import(&system, ImportKind::Persons, &file)
            .await
            .unwrap();
        assert_eq!(done.rows, 2, "{}", db.name());
        assert_eq!(s.data_version().await.unwrap(), 1);
        let events = s
            .audit_events(Some(("import", "persons:persons.csv")), 5)
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "{}", db.name());
        let e = &events[0].event;
        assert_eq!(
            (e.action.as_str(), e.ip.as_deref()),
            ("create", Some("cli:tester"))
        );
        let after: serde_json::Value =
            serde_json::from_str(e.after_json.as_deref().unwrap()).unwrap();
        assert_eq!(after["rows"], 2);
        assert!(after["first_id"].as_i64().unwrap() < after["last_id"].as_i64().unwrap());

        // A refused file writes neither rows nor an audit event.
        std::fs::write(&file, "ref,full_name\nP3,\n").unwrap();
        let bad = app
            .import(&system, ImportKind::Persons, &file)
            .await
            .unwrap_err();
        assert!(
            matches!(bad, ImportError::Refused { count: 1, .. }),
            "{bad:?}"
        );
        assert_eq!(s.data_version().await.unwrap(), 1);
        assert_eq!(
            s.audit_events(Some(("import", "persons:persons.csv")), 5)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

/// Waits for the next change of the engine's state after `rx` was taken, then for
/// that build to settle.
async fn rebuilt(
    engine: &Engine,
    mut rx: tokio::sync::watch::Receiver<EngineStatus>,
) -> EngineStatus {
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        rx.changed().await.unwrap();
        engine.settled().await
    })
    .await
    .expect("the engine did not rebuild within a minute")
}

#[tokio::test]
async fn a_running_engine_rebuilds_after_an_import_from_another_process() {
    let db = phongdich_store::testing::fresh_sqlite().await.unwrap();
    let s = &db.store;
    let unit = commune(s).await;
    let f0 = person(s, "P1", &unit).await;
    let f1 = person(s, "P2", &unit).await;
    let server = App::serving(s.clone(), province());
    assert!(matches!(
        server.engine().settled().await,
        EngineStatus::Ready { .. }
    ));
    let input = CaseInput {
        sample_date: "2021-05-12".into(),
        ..CaseInput::default()
    };
    let registered = server
        .register_case(&officer(&unit, Role::CommuneOfficer), f0, &input, None)
        .await
        .unwrap();
    assert!(registered.traced);
    assert!(s.trace_level(f1).await.unwrap().is_none());

    // Another process (the command line) imports a contact between them.
    let watch = server.engine().watch();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("contacts.csv");
    std::fs::write(
        &file,
        "a,b,start,end\nP1,P2,2021-05-12T08:00:00+07:00,2021-05-12T08:30:00+07:00\n",
    )
    .unwrap();
    let cli = App::new(
        s.clone(),
        province(),
        Arc::new(phongdich_app::SystemClock),
        Engine::none(),
    );
    let system = Actor::system(province(), Channel::Cli, "cli:tester".into());
    cli.import(&system, ImportKind::Contacts, &file)
        .await
        .unwrap();

    assert!(matches!(
        rebuilt(server.engine(), watch).await,
        EngineStatus::Ready { .. }
    ));
    let level = s
        .trace_level(f1)
        .await
        .unwrap()
        .expect("F1 after the rebuild");
    assert_eq!(level.level, 1);
}

#[tokio::test]
async fn accounts_are_refused_for_units_outside_the_province_served() {
    let db = phongdich_store::testing::fresh_sqlite().await.unwrap();
    let app = app(&db.store, Engine::none());
    let system = Actor::system(province(), Channel::Cli, "cli:tester".into());
    let account = |unit: &str| phongdich_app::accounts::NewAccount {
        username: format!("u{unit}"),
        display_name: "Cán bộ".into(),
        password: "mật khẩu đủ dài".into(),
        role: Role::CommuneOfficer,
        jurisdiction: Jurisdiction::Unit(UnitCode::parse(unit).unwrap()),
    };
    for unit in ["11", "99999", "03158"] {
        let err = app.add_account(&system, &account(unit)).await.unwrap_err();
        assert!(
            matches!(err, AppError::Invalid { field: "unit", .. }),
            "{unit}: {err:?}"
        );
    }
    let commune = commune(&db.store).await;
    assert!(app
        .add_account(&system, &account(commune.as_str()))
        .await
        .is_ok());
    assert!(app.add_account(&system, &account("12")).await.is_ok());
    let officer = officer(&commune, Role::CommuneOfficer);
    let refused = app
        .add_account(&officer, &account("105"))
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden));
    let created = db.store.audit_events(None, 10).await.unwrap();
    assert_eq!(
        created.iter().filter(|e| e.event.entity == "user").count(),
        2
    );
}
