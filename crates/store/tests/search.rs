//! Person search contract (migration 0009, `Store::search_persons`): name words and
//! prefixes with or without diacritics, identity number and phone, ranking, the capped
//! total of a province-wide search, and the jurisdiction filter; on SQLite and, when
//! `PHONGDICH_TEST_PG` is set, on PostgreSQL. Every name case runs both province-wide
//! (the name-word index) and inside a commune (the commune's names): they agree.

#![allow(clippy::unwrap_used)]

use phongdich_domain::{FullName, IdentityDocument, Phone, UnitCode};
use phongdich_store::persons::SEARCH_TOTAL_CAP;
use phongdich_store::testing::all_backends;
use phongdich_store::{NewPerson, PersonQuery, Store};

const COMMUNE: &str = "03460";
const OTHER_COMMUNE: &str = "03386";

fn person(reference: &str, name: &str, unit: &str) -> NewPerson {
    NewPerson {
        id: None,
        reference: reference.to_owned(),
        full_name: FullName::parse(name).unwrap(),
        birth: None,
        sex: None,
        identity: None,
        nationality: "VN".to_owned(),
        phone: None,
        address: None,
        unit_code: Some(UnitCode::parse(unit).unwrap()),
        household_id: None,
    }
}

/// The names found, in order, province-wide and inside [`COMMUNE`] (which must agree),
/// and the total.
async fn names(s: &Store, text: &str) -> (Vec<String>, u64) {
    let mut out = Vec::new();
    for unit in [None, Some(UnitCode::parse(COMMUNE).unwrap())] {
        let page = s
            .search_persons(&PersonQuery {
                text: text.to_owned(),
                unit,
                ..PersonQuery::default()
            })
            .await
            .unwrap();
        assert!(!page.total_capped);
        let found: Vec<String> = page
            .items
            .iter()
            .map(|p| p.full_name.as_str().to_owned())
            .collect();
        assert_eq!(found.len() as u64, page.total, "{text}");
        out.push((found, page.total));
    }
    assert_eq!(out[0], out[1], "province-wide and in the commune: {text}");
    out.swap_remove(0)
}

async fn five_persons(s: &Store) {
    for (i, name) in [
        "Nguyễn Văn Anh",
        "Trần An",
        "Lò Thị Ánh",
        "Nguyễn Văn An",
        "Đặng Thị Mai",
    ]
    .iter()
    .enumerate()
    {
        s.insert_person(&person(&format!("P{i}"), name, COMMUNE))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn names_match_by_word_and_prefix_with_or_without_diacritics() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        five_persons(s).await;
        let cases: &[(&str, &[&str])] = &[
            // Whole words first (name order), then words the text starts.
            (
                "an",
                &["Nguyễn Văn An", "Trần An", "Lò Thị Ánh", "Nguyễn Văn Anh"],
            ),
            (
                "AN",
                &["Nguyễn Văn An", "Trần An", "Lò Thị Ánh", "Nguyễn Văn Anh"],
            ),
            ("Ánh", &["Lò Thị Ánh", "Nguyễn Văn Anh"]),
            ("nguyen van a", &["Nguyễn Văn An", "Nguyễn Văn Anh"]),
            ("Nguyễn văn", &["Nguyễn Văn An", "Nguyễn Văn Anh"]),
            // Words in any order.
            ("van nguyen", &["Nguyễn Văn An", "Nguyễn Văn Anh"]),
            ("an nguyen", &["Nguyễn Văn An"]),
            ("dang", &["Đặng Thị Mai"]),
            ("Đặng Thị M", &["Đặng Thị Mai"]),
            ("ngu", &["Nguyễn Văn An", "Nguyễn Văn Anh"]),
            // Inside a word is not a match; every word must match.
            ("guyen", &[]),
            ("nguyen mai", &[]),
            ("khong co ai", &[]),
            ("50%_", &[]),
        ];
        for (text, want) in cases {
            let (found, total) = names(s, text).await;
            assert_eq!(found, *want, "{text} on {}", db.name());
            assert_eq!(total, want.len() as u64, "{text}");
        }
    }
}

#[tokio::test]
async fn pages_of_a_ranked_search_add_up() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        five_persons(s).await;
        for unit in [None, Some(UnitCode::parse(COMMUNE).unwrap())] {
            let mut paged = Vec::new();
            for offset in 0..5 {
                let page = s
                    .search_persons(&PersonQuery {
                        text: "an".to_owned(),
                        unit: unit.clone(),
                        offset,
                        limit: 1,
                    })
                    .await
                    .unwrap();
                assert_eq!((page.total, page.total_capped), (4, false), "{}", db.name());
                paged.extend(
                    page.items
                        .into_iter()
                        .map(|p| p.full_name.as_str().to_owned()),
                );
            }
            assert_eq!(
                paged,
                ["Nguyễn Văn An", "Trần An", "Lò Thị Ánh", "Nguyễn Văn Anh"],
                "{}",
                db.name()
            );
        }
    }
}

#[tokio::test]
async fn identity_number_and_phone_are_found() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let mut p = person("P1", "Nguyễn Văn An", COMMUNE);
        p.identity = Some(IdentityDocument::parse("001203004567").unwrap());
        p.phone = Some(Phone::parse("0912345678").unwrap());
        let id = s.insert_person(&p).await.unwrap();
        s.insert_person(&person("P2", "Nguyễn Văn Anh", COMMUNE))
            .await
            .unwrap();
        for text in ["001 203 004 567", "+84 912 345 678", "0912345678"] {
            for unit in [None, Some(UnitCode::parse(COMMUNE).unwrap())] {
                let page = s
                    .search_persons(&PersonQuery {
                        text: text.to_owned(),
                        unit,
                        ..PersonQuery::default()
                    })
                    .await
                    .unwrap();
                let ids: Vec<i64> = page.items.iter().map(|p| p.id).collect();
                assert_eq!((ids, page.total), (vec![id], 1), "{text} on {}", db.name());
            }
        }
    }
}

/// 1,205 Nguyễn, bulk-loaded (the name-word indexes built at commit), then one more
/// inserted row by row and a second load into the non-empty table.
#[tokio::test]
async fn a_province_wide_total_stops_at_the_cap() {
    let given = ["An", "Bình", "Cường", "Dũng", "Hà", "Lan", "Mai"];
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let rows: Vec<NewPerson> = (0..1_200)
            .map(|i| {
                let name = format!("Nguyễn Văn {}", given[i % given.len()]);
                person(&format!("P{i}"), &name, COMMUNE)
            })
            .collect();
        let mut bulk = s.bulk().await.unwrap();
        bulk.persons(&rows).await.unwrap();
        bulk.commit().await.unwrap();
        s.insert_person(&person("Q1", "Nguyễn Thị Hoa", COMMUNE))
            .await
            .unwrap();
        let more: Vec<NewPerson> = (0..4)
            .map(|i| person(&format!("R{i}"), "Nguyễn Thị Hồng", COMMUNE))
            .collect();
        let mut bulk = s.bulk().await.unwrap();
        bulk.persons(&more).await.unwrap();
        bulk.commit().await.unwrap();

        let search = |text: &str, unit: Option<&str>, offset: u64, limit: u64| PersonQuery {
            text: text.to_owned(),
            unit: unit.map(|u| UnitCode::parse(u).unwrap()),
            offset,
            limit,
        };
        let page = s
            .search_persons(&search("nguyen", None, 0, 50))
            .await
            .unwrap();
        assert_eq!(
            (page.total, page.total_capped, page.items.len()),
            (SEARCH_TOTAL_CAP, true, 50),
            "{}",
            db.name()
        );
        // Name order: Nguyễn Thị before Nguyễn Văn.
        assert_eq!(page.items[0].full_name.as_str(), "Nguyễn Thị Hoa");
        // A page past the cap is served, and its total counted past it.
        let page = s
            .search_persons(&search("nguyen", None, 1_150, 100))
            .await
            .unwrap();
        assert_eq!(
            (page.total, page.total_capped, page.items.len()),
            (1_205, false, 55),
            "{}",
            db.name()
        );
        // Inside a commune every match is counted.
        let page = s
            .search_persons(&search("nguyen", Some(COMMUNE), 0, 50))
            .await
            .unwrap();
        assert_eq!(
            (page.total, page.total_capped),
            (1_205, false),
            "{}",
            db.name()
        );
        // Under the cap the total is exact, from the rows inserted one way or the other.
        let page = s
            .search_persons(&search("Hồng", None, 0, 50))
            .await
            .unwrap();
        assert_eq!((page.total, page.total_capped), (4, false), "{}", db.name());
        let page = s.search_persons(&search("ho", None, 0, 50)).await.unwrap();
        assert_eq!((page.total, page.total_capped), (5, false), "{}", db.name());
        assert_eq!(page.items[0].full_name.as_str(), "Nguyễn Thị Hoa");
        let page = s
            .search_persons(&search("nguyen van c", None, 0, 500))
            .await
            .unwrap();
        assert_eq!((page.total, page.items.len()), (172, 172), "{}", db.name());
    }
}

#[tokio::test]
async fn the_jurisdiction_filter_still_holds() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let inside = s
            .insert_person(&person("P1", "Nguyễn Văn An", COMMUNE))
            .await
            .unwrap();
        let outside = s
            .insert_person(&person("P2", "Nguyễn Văn An", OTHER_COMMUNE))
            .await
            .unwrap();
        for (unit, want) in [
            (Some(COMMUNE), vec![inside]),
            (Some(OTHER_COMMUNE), vec![outside]),
            (None, vec![inside, outside]),
        ] {
            let page = s
                .search_persons(&PersonQuery {
                    text: "nguyen van an".to_owned(),
                    unit: unit.map(|u| UnitCode::parse(u).unwrap()),
                    ..PersonQuery::default()
                })
                .await
                .unwrap();
            let ids: Vec<i64> = page.items.iter().map(|p| p.id).collect();
            assert_eq!(ids, want, "{unit:?} on {}", db.name());
            assert_eq!(page.total, want.len() as u64);
        }
    }
}
