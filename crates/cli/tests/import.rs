//! `phongdich migrate` and `phongdich import`, run as the built binary against a
//! temporary SQLite file and, when `PHONGDICH_TEST_PG` is set (required under
//! `CI=true`), a fresh PostgreSQL database.

#![allow(clippy::unwrap_used)]

use phongdich_store::{PersonQuery, Store};
use std::path::{Path, PathBuf};
use std::process::Output;

const PERSONS_HEADER: &str =
    "ref,full_name,birth,sex,id_number,nationality,phone,address,unit_code,household";

/// A temporary directory for input files and a fresh database.
struct Env {
    dir: tempfile::TempDir,
    url: String,
    /// Keeps the PostgreSQL database until the test ends.
    _pg: Option<phongdich_store::testing::TestDb>,
}

impl Env {
    /// A SQLite file, and a PostgreSQL database when configured.
    fn all() -> Vec<Self> {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let mut envs = vec![Self {
            dir,
            url,
            _pg: None,
        }];
        let rt = tokio::runtime::Runtime::new().unwrap();
        if let Some(db) = rt
            .block_on(phongdich_store::testing::fresh_postgres())
            .unwrap()
        {
            envs.push(Self {
                dir: tempfile::tempdir().unwrap(),
                url: db.url.clone(),
                _pg: Some(db),
            });
        }
        envs
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn phongdich(&self, args: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_phongdich"))
            .args(args)
            .args(["--database-url", &self.url()])
            .env_remove("PHONGDICH_DATABASE_URL")
            .env("PHONGDICH_LOG", "warn")
            .output()
            .unwrap()
    }

    fn import(&self, kind: &str, path: &Path) -> Output {
        self.phongdich(&["import", kind, path.to_str().unwrap()])
    }

    fn store<T>(&self, f: impl AsyncFnOnce(&Store) -> T) -> T {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = Store::connect(&self.url()).await.unwrap();
            let out = f(&store).await;
            store.close().await;
            out
        })
    }

    fn persons(&self) -> u64 {
        self.store(async |s| s.counts().await.unwrap().persons)
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn good_persons() -> String {
    format!(
        "{PERSONS_HEADER}\n\
         P1,Nguyễn Văn An,1987-03-04,nam,001203004567,VN,0912345678,Bản Nà Khum,03460,H1\n\
         P2,Lò Thị Bình,1990,nữ,,,,,03460,H1\n\
         P3,Giàng A Páo,04/05/2001,M,040123456,,+84 912 345 679,,,\n"
    )
}

#[test]
fn migrate_runs_twice() {
    for env in Env::all() {
        for _ in 0..2 {
            let out = env.phongdich(&["migrate"]);
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let communes = env.store(async |s| {
            let lai_chau = phongdich_domain::UnitCode::parse("12").unwrap();
            s.communes_of_province(&lai_chau).await.unwrap().len()
        });
        assert_eq!(communes, 106);
    }
}

#[test]
fn a_good_persons_file_is_imported() {
    for env in Env::all() {
        let file = env.file("persons.csv", &good_persons());
        let out = env.import("persons", &file);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("imported 3 persons"));
        let (total, household_members) = env.store(async |s| {
            let found = s
                .search_persons(&PersonQuery {
                    text: "nguyen van an".into(),
                    ..PersonQuery::default()
                })
                .await
                .unwrap();
            let an = &found.items[0];
            let members = s.household_members(an.household_id.unwrap()).await.unwrap();
            (found.total, members.len())
        });
        assert_eq!((total, household_members), (1, 2));
    }
}

#[test]
fn an_import_is_audited_as_the_operator_or_the_account_given() {
    for env in Env::all() {
        let file = env.file("persons.csv", &good_persons());
        let out = env.import("persons", &file);
        assert!(out.status.success(), "{}", stderr(&out));
        let events = env.store(async |s| {
            s.audit_events(Some(("import", "persons:persons.csv")), 5)
                .await
                .unwrap()
        });
        assert_eq!(events.len(), 1);
        let e = &events[0].event;
        assert_eq!(e.user_id, None, "the console operator has no account");
        assert!(e.ip.as_deref().unwrap().starts_with("cli:"), "{e:?}");
        assert!(e.after_json.as_deref().unwrap().contains("\"rows\":3"));

        // --as a commune officer: refused, nothing written.
        let mut add = std::process::Command::new(env!("CARGO_BIN_EXE_phongdich"))
            .args(["user", "add", "xa", "--display-name", "Cán bộ xã", "--role"])
            .args(["commune_officer", "--unit", "03460", "--password-stdin"])
            .args(["--database-url", &env.url()])
            .env("PHONGDICH_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        add.stdin
            .take()
            .unwrap()
            .write_all(b"mat khau du dai\n")
            .unwrap();
        assert!(add.wait().unwrap().success());
        let contacts = env.file(
            "contacts.csv",
            "a,b,start,end\nP1,P2,2021-05-12T08:00:00+07:00,2021-05-12T08:30:00+07:00\n",
        );
        let out = env.phongdich(&[
            "import",
            "contacts",
            contacts.to_str().unwrap(),
            "--as",
            "xa",
        ]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("may not import"), "{}", stderr(&out));
        assert_eq!(env.store(async |s| s.counts().await.unwrap().contacts), 0);
    }
}

#[test]
fn one_bad_row_changes_nothing_and_names_the_line() {
    for env in Env::all() {
        let file = env.file(
            "persons.csv",
            &format!(
                "{PERSONS_HEADER}\n\
                 P1,Nguyễn Văn An,1987-03-04,nam,001203004567,VN,0912345678,,03460,\n\
                 P2,Lò Thị Bình,1990,nữ,12345,,,,03460,\n\
                 P3,Giàng A Páo,2001,nam,,,,,03460,\n"
            ),
        );
        let out = env.import("persons", &file);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains("line 3, column id_number:"), "{err}");
        assert!(err.contains("nothing was imported"), "{err}");
        assert_eq!(env.persons(), 0);
    }
}

#[test]
fn duplicate_identity_numbers_are_reported_not_merged() {
    for env in Env::all() {
        let out = env.import("persons", &env.file("a.csv", &good_persons()));
        assert!(out.status.success(), "{}", stderr(&out));
        let file = env.file(
            "b.csv",
            &format!(
                "{PERSONS_HEADER}\n\
                 P10,Nguyễn Văn Anh,,,001203004567,,123,,99999,\n\
                 P11,Lò Văn C,,,079123456789,,,,,\n\
                 P12,Lò Văn D,,,079 123 456 789,,,,,\n"
            ),
        );
        let out = env.import("persons", &file);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains("line 2, column id_number: identity number 001203004567 is already registered to person P1"), "{err}");
        assert!(
            err.contains(
                "line 4, column id_number: identity number 079123456789 is already on line 3"
            ),
            "{err}"
        );
        // A row's other problems do not hide its duplicate (and vice versa).
        assert!(err.contains("line 2, column phone:"), "{err}");
        assert!(
            err.contains("line 2, column unit_code: unknown administrative unit 99999"),
            "{err}"
        );
        assert_eq!(env.persons(), 3);
    }
}

#[test]
fn an_xlsx_file_is_imported() {
    for env in Env::all() {
        let path = env.dir.path().join("persons.xlsx");
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        let rows = [
            PERSONS_HEADER.split(',').collect::<Vec<_>>(),
            vec![
                "P1",
                "Nguyễn Văn An",
                "1987-03-04",
                "nam",
                "001203004567",
                "VN",
                "0912345678",
                "",
                "03460",
                "",
            ],
            vec!["P2", "Lò Thị Bình", "", "nữ", "", "", "", "", "03460", ""],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
        // A year typed as a number reads as the text a CSV would hold.
        sheet.write_number(2, 2, 1990).unwrap();
        workbook.save(&path).unwrap();
        let out = env.import("persons", &path);
        assert!(out.status.success(), "{}", stderr(&out));
        let birth = env.store(async |s| s.person_by_ref("P2").await.unwrap().birth);
        assert_eq!(birth, Some(phongdich_domain::BirthDate::Year(1990)));
    }
}

#[test]
fn tracing_files_are_imported_against_known_persons() {
    for env in Env::all() {
        let out = env.import("persons", &env.file("persons.csv", &good_persons()));
        assert!(out.status.success(), "{}", stderr(&out));
        let presences = env.file(
            "presences.csv",
            "person,place,kind,start,end\n\
             P1,V1,venue,2021-05-12T08:00:00+07:00,2021-05-12T09:00:00+07:00\n\
             P2,V1,venue,1620781200,1620784800\n",
        );
        let out = env.import("presences", &presences);
        assert!(out.status.success(), "{}", stderr(&out));
        let contacts = env.file(
            "contacts.csv",
            "a,b,start,end\nP1,P2,1620781200,1620784800\n",
        );
        let out = env.import("contacts", &contacts);
        assert!(out.status.success(), "{}", stderr(&out));
        let cases = env.file(
            "cases.csv",
            "person,infectious_from,isolated_at\nP1,2021-05-10T00:00:00+07:00,\n",
        );
        let out = env.import("cases", &cases);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = env.import("cases", &cases);
        assert!(stderr(&out).contains("line 2, column person: person P1 already has a case"));

        let bad = env.file(
            "bad.csv",
            "person,place,kind,start,end\n\
             P9,V1,venue,1,2\n\
             P1,V1,room,1,2\n\
             P1,V2,boat,3,1\n",
        );
        let out = env.import("presences", &bad);
        assert!(!out.status.success());
        let err = stderr(&out);
        for expected in [
            "line 2, column person: unknown person P9",
            "line 3, column kind: place V1 is a venue, not a room",
            "line 4, column kind:",
            "line 4, column end:",
        ] {
            assert!(err.contains(expected), "{expected} not in {err}");
        }
        let counts = env.store(async |s| s.counts().await.unwrap());
        assert_eq!(
            (
                counts.presences,
                counts.places,
                counts.contacts,
                counts.cases
            ),
            (2, 1, 1, 1)
        );
    }
}

#[test]
fn villages_and_places_are_imported_then_used_by_persons_and_presences() {
    for env in Env::all() {
        // The second village leaves parent_code out: it is the commune its code names.
        let units = env.file(
            "units.csv",
            "code,name,parent_code\n03460-01,Bản Nà Khum,03460\n03460-02,Bản Hon,\n",
        );
        let out = env.import("units", &units);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("imported 2 units"));

        // Places from a workbook: capacity typed as a number.
        let path = env.dir.path().join("places.xlsx");
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        let rows = [
            vec![
                "ref",
                "kind",
                "venue_kind",
                "name",
                "unit_code",
                "address",
                "capacity",
            ],
            vec![
                "V1",
                "venue",
                "market",
                "Chợ Bản Hon",
                "03460-02",
                "Bản Hon",
                "",
            ],
            vec![
                "C1",
                "venue",
                "checkpoint",
                "Chốt kiểm soát Km 5",
                "03460",
                "",
                "",
            ],
            vec!["R1", "room", "", "Phòng 101", "03460", "", ""],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
        sheet.write_number(1, 6, 500).unwrap();
        sheet.write_number(3, 6, 2).unwrap();
        workbook.save(&path).unwrap();
        let out = env.import("places", &path);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("imported 3 places"));

        let persons = env.file(
            "persons.csv",
            &format!(
                "{PERSONS_HEADER}\n\
                 P1,Lò Văn Minh,1980,nam,,,,,03460-01,H1\n\
                 P2,Lò Thị Hoa,1982,nữ,,,,,03460-02,\n"
            ),
        );
        let out = env.import("persons", &persons);
        assert!(out.status.success(), "{}", stderr(&out));
        let presences = env.file(
            "presences.csv",
            "person,place,kind,start,end\n\
             P1,V1,venue,2021-05-04T08:08:00+07:00,2021-05-04T11:01:00+07:00\n\
             P2,V1,venue,2021-05-04T09:00:00+07:00,2021-05-04T09:30:00+07:00\n",
        );
        let out = env.import("presences", &presences);
        assert!(out.status.success(), "{}", stderr(&out));

        let (village, market, room, counts, events) = env.store(async |s| {
            let village = s
                .unit(&phongdich_domain::UnitCode::parse("03460-02").unwrap())
                .await
                .unwrap();
            let market = s.place_by_ref("V1").await.unwrap();
            let room = s.place_by_ref("R1").await.unwrap();
            let counts = s.counts().await.unwrap();
            let events = s
                .audit_events(Some(("import", "places:places.xlsx")), 5)
                .await
                .unwrap();
            (village, market, room, counts, events)
        });
        assert_eq!(village.name, "Bản Hon");
        assert_eq!(village.level, phongdich_domain::AdminLevel::Village);
        assert_eq!(village.parent.unwrap().as_str(), "03460");
        assert_eq!(market.venue_kind, Some(phongdich_domain::VenueKind::Market));
        assert_eq!(market.unit_code.unwrap().as_str(), "03460-02");
        assert_eq!((market.capacity, room.capacity), (Some(500), Some(2)));
        // The presences named the imported place rather than creating one.
        assert_eq!((counts.places, counts.presences), (3, 2));
        assert_eq!(events.len(), 1);
        assert!(events[0]
            .event
            .after_json
            .as_deref()
            .unwrap()
            .contains("\"rows\":3"));
    }
}

#[test]
fn bad_villages_are_all_reported_and_nothing_is_imported() {
    for env in Env::all() {
        let file = env.file(
            "units.csv",
            "code,name,parent_code\n\
             03460,Xã Bản Giang,12\n\
             03460-01,,03460\n\
             03460-02,Bản A,03463\n\
             99999-01,Bản B,\n\
             03460-03,Bản C,03460\n\
             03460-03,Bản C mới,03460\n\
             00001-01,Tổ dân phố 1,00001\n\
             03460-04,Bản D,105\n",
        );
        let out = env.import("units", &file);
        assert!(!out.status.success());
        let err = stderr(&out);
        for expected in [
            "line 2, column code: 03460 is an official commune code",
            "line 3, column name: a name is required",
            "line 4, column parent_code: village 03460-02 belongs under commune 03460, the code it starts with, not 03463",
            "line 5, column parent_code: unknown commune 99999",
            "line 7, column code: village 03460-03 is already on line 6",
            "line 8, column parent_code: commune 00001 (Phường Phúc Xá) is not in province 12",
            "line 9, column parent_code: village 03460-04 belongs under commune 03460",
            "nothing was imported",
        ] {
            assert!(err.contains(expected), "{expected} not in {err}");
        }
        let villages = env.store(async |s| {
            s.units_at_level(phongdich_domain::AdminLevel::Village)
                .await
                .unwrap()
                .len()
        });
        assert_eq!(villages, 0);

        // A village already in the database.
        let good = env.file("good.csv", "code,name\n03460-01,Bản Nà Khum\n");
        let out = env.import("units", &good);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = env.import("units", &good);
        assert!(
            stderr(&out).contains("line 2, column code: village 03460-01 already exists"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn bad_places_are_all_reported_and_nothing_is_imported() {
    for env in Env::all() {
        let file = env.file(
            "places.csv",
            "ref,kind,venue_kind,name,unit_code,address,capacity\n\
             ,venue,market,Chợ,03460,,\n\
             V1,boat,,Thuyền,,,\n\
             V2,room,market,Phòng 1,03460,,2\n\
             V3,venue,stadium,Sân vận động,03460,,\n\
             V4,venue,market,Chợ Km 5,99999,,\n\
             V5,venue,market,Chợ Km 6,03460,,-3\n\
             V6,venue,market,Chợ Km 7,03460,,10\n\
             V6,venue,market,Chợ Km 8,03460,,10\n\
             V7,venue,market,,03460,,\n",
        );
        let out = env.import("places", &file);
        assert!(!out.status.success());
        let err = stderr(&out);
        for expected in [
            "line 2, column ref: a place reference is required",
            "line 3, column kind: `boat` is not a place kind",
            "line 4, column venue_kind: only a venue has a venue_kind, not a room",
            "line 5, column venue_kind: `stadium` is not a venue kind",
            "line 6, column unit_code: unknown administrative unit 99999",
            "line 7, column capacity: `-3` is not a number of people",
            "line 9, column ref: place V6 is already on line 8",
            "line 10, column name: a name is required",
        ] {
            assert!(err.contains(expected), "{expected} not in {err}");
        }
        assert_eq!(env.store(async |s| s.counts().await.unwrap().places), 0);

        let good = env.file(
            "good.csv",
            "ref,kind,name,unit_code\nQ1,venue,Khu cách ly Tam Đường,03460\n",
        );
        let out = env.import("places", &good);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = env.import("places", &good);
        assert!(
            stderr(&out).contains("line 2, column ref: place Q1 already exists in the database"),
            "{}",
            stderr(&out)
        );
    }
}
