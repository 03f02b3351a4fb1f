//! `phongdich trace`, run as a user runs it: the built binary on files and on a
//! database.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn phongdich(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phongdich"))
        .args(args)
        .env("PHONGDICH_LOG", "warn")
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn testdata(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/contacts")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn traces_files_and_prints_levels_sorted_by_level_then_person() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = write(
        dir.path(),
        "contacts.csv",
        "a,b,start,end\n\
         f0,b,2021-05-12T08:00:00+07:00,2021-05-12T08:30:00+07:00\n\
         b,c,2021-05-12T07:00:00+07:00,2021-05-12T07:10:00+07:00\n",
    );
    let presences = write(
        dir.path(),
        "presences.csv",
        "person,place,kind,start,end\n\
         b,market,venue,1620790200,1620793800\n\
         a,market,venue,1620791100,1620795600\n\
         d,market,venue,1620792900,1620795600\n",
    );
    let cases = write(
        dir.path(),
        "cases.csv",
        "person,infectious_from,isolated_at\nf0,2021-05-10T00:00:00+07:00,\n",
    );
    let out = phongdich(&[
        "trace",
        "--contacts",
        &contacts,
        "--presences",
        &presences,
        "--cases",
        &cases,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // b meets f0 at 08:00 (F1); at the market from 10:30 b meets a from 10:45 (F2);
    // d arrives at 11:15, 15 minutes with a before 12:00... and 15 with b: F2 too.
    // c met b before b was exposed: not traced.
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "person,level,exposed_at,via_person,via_kind,via_place\n\
         f0,0,2021-05-10T00:00:00+07:00,,,\n\
         b,1,2021-05-12T08:00:00+07:00,f0,contact,\n\
         a,2,2021-05-12T10:45:00+07:00,b,venue,market\n\
         d,2,2021-05-12T11:15:00+07:00,b,venue,market\n"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("F0 1, F1 1, F2 2, F3 0, F4 0"), "{stderr}");

    // The same with --max-level 2, a one-hour venue threshold and an output file: b's
    // hour at the market overlaps nobody's for an hour.
    let result = dir.path().join("levels.csv");
    let out = phongdich(&[
        "trace",
        "--contacts",
        &contacts,
        "--presences",
        &presences,
        "--cases",
        &cases,
        "--max-level",
        "2",
        "--min-overlap",
        "venue=3600",
        "--out",
        &result.display().to_string(),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "the result went to --out");
    let text = std::fs::read_to_string(&result).unwrap();
    assert_eq!(
        text,
        "person,level,exposed_at,via_person,via_kind,via_place\n\
         f0,0,2021-05-10T00:00:00+07:00,,,\n\
         b,1,2021-05-12T08:00:00+07:00,f0,contact,\n"
    );

    // Seen as of 11:10: a's 25 minutes with b count, d (from 11:15) is not seen yet.
    let out = phongdich(&[
        "trace",
        "--contacts",
        &contacts,
        "--presences",
        &presences,
        "--cases",
        &cases,
        "--as-of",
        "2021-05-12T11:10:00+07:00",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let persons: Vec<&str> = text.lines().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(persons, ["person", "f0", "b", "a"], "{text}");
}

#[test]
fn a_bad_row_names_the_file_and_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = write(
        dir.path(),
        "contacts.csv",
        "a,b,start,end\nx,y,100,200\nx,z,300,250\n",
    );
    let cases = write(
        dir.path(),
        "cases.csv",
        "person,infectious_from,isolated_at\nx,0,\n",
    );
    let out = phongdich(&["trace", "--contacts", &contacts, "--cases", &cases]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("{contacts}, line 3, column end: ends")),
        "{stderr}"
    );
}

#[test]
fn bad_options_are_refused() {
    let out = phongdich(&["trace", "--cases", "f.csv", "--min-overlap", "shop=5"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("shop"));
    let out = phongdich(&["trace", "--contacts", "c.csv"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cases"));
}

#[test]
fn traces_the_hospital_ward() {
    let dir = tempfile::tempdir().unwrap();
    // A nurse of the measured ward, infectious from the first morning.
    let cases = write(
        dir.path(),
        "cases.csv",
        "person,infectious_from,isolated_at\nh1100,2021-05-12T00:00:00+07:00,2021-05-13T12:00:00+07:00\n",
    );
    let out = phongdich(&[
        "trace",
        "--contacts",
        &testdata("hospital_contacts.csv"),
        "--cases",
        &cases,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let levels: Vec<u8> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(levels[0], 0);
    assert!(levels.windows(2).all(|w| w[0] <= w[1]), "sorted by level");
    assert!(levels.contains(&1) && levels.contains(&2), "{text}");
}

#[test]
fn traces_the_database_and_stores_the_levels() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    // A small province in the database, then the database traced by the binary.
    use clap::Parser;
    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        demo: phongdich::commands::demo::DemoArgs,
    }
    let w = Wrapper::try_parse_from(["demo", "--people", "1500", "--days", "5"]).unwrap();
    phongdich::commands::demo::load(&w.demo, &url).unwrap();
    let out = phongdich(&["trace", "--database-url", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let counts = rt
        .block_on(async {
            let store = phongdich_store::Store::connect(&url).await?;
            store.trace_level_counts().await
        })
        .unwrap();
    assert!(counts.len() >= 2, "{counts:?}");
    let expected = counts
        .iter()
        .map(|(k, n)| format!("F{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    assert!(stderr.contains(&expected), "{stderr} vs {expected}");
}
