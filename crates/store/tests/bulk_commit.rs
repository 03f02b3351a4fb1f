//! A bulk load's commit, step by step: what `BulkLoader::commit_with_progress` reports
//! (the command line draws it as a bar), on SQLite and, when `PHONGDICH_TEST_PG` is
//! set, PostgreSQL.

#![allow(clippy::unwrap_used)]

use futures_util::TryStreamExt;
use phongdich_domain::{FullName, Interval, Timestamp, UnitCode};
use phongdich_store::testing::all_backends;
use phongdich_store::{BackendKind, CommitProgress, CommitStep, NewContact, NewPerson};

fn person(i: i64) -> NewPerson {
    NewPerson {
        id: Some(i),
        reference: format!("P{i}"),
        full_name: FullName::parse("Lò Văn Minh").unwrap(),
        birth: None,
        sex: None,
        identity: None,
        nationality: "VN".into(),
        phone: None,
        address: None,
        unit_code: Some(UnitCode::parse("03460").unwrap()),
        household_id: None,
    }
}

#[tokio::test]
async fn a_load_into_empty_tables_reports_each_index_then_the_commit() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let mut bulk = s.bulk().await.unwrap();
        bulk.persons(&[person(1), person(2)]).await.unwrap();
        let contacts: Vec<NewContact> = (0..10)
            .map(|i| NewContact {
                a_id: 1,
                b_id: 2,
                interval: Interval::new(Timestamp(i), Timestamp(i + 60)).unwrap(),
                setting: None,
            })
            .collect();
        bulk.contacts(&contacts).await.unwrap();
        let mut seen: Vec<CommitProgress> = Vec::new();
        bulk.commit_with_progress(|p| seen.push(p)).await.unwrap();

        let steps: Vec<CommitStep> = seen.iter().map(|p| p.step).collect();
        let indexes: Vec<&str> = steps
            .iter()
            .filter_map(|s| match s {
                CommitStep::BuildIndex { table, index } => {
                    // A person's rows fill the name-word table (its indexes are
                    // deferred with the person table's load).
                    assert!(["person", "contact"].contains(table), "{table}");
                    Some(*index)
                }
                _ => None,
            })
            .collect();
        assert!(indexes.contains(&"contact_a_idx"), "{steps:?}");
        assert!(indexes.contains(&"person_name_word_idx"), "{steps:?}");
        let commit = steps.iter().position(|s| *s == CommitStep::Commit).unwrap();
        assert_eq!(commit, indexes.len(), "indexes first, then the commit");
        let analyzed: Vec<&str> = steps[commit + 1..]
            .iter()
            .map(|s| match s {
                CommitStep::Analyze { table } => *table,
                other => panic!("{other:?} after the commit"),
            })
            .collect();
        match s.backend() {
            BackendKind::Postgres => {
                assert_eq!(analyzed, ["person", "person_name_word", "contact"])
            }
            BackendKind::Sqlite => assert!(analyzed.is_empty()),
        }
        for (i, p) in seen.iter().enumerate() {
            assert_eq!((p.done, p.total), (i, seen.len()), "{}", db.name());
        }
        // The rebuilt indexes serve the reads, and the rows are there.
        assert_eq!(s.contacts_of_person(2).await.unwrap().len(), 10);
        let all: Vec<_> = s.stream_contacts().try_collect().await.unwrap();
        assert_eq!(all.len(), 10, "{}", db.name());
    }
}
