//! Cases (F0) and laboratory tests, and the counts the front page shows.

use crate::backend::{BulkRow, FieldSink, Table};
use crate::error::{Result, StoreError};
use crate::{corrupt, Store};
use chrono::NaiveDate;
use phongdich_domain::{
    Case, CaseClassification, CaseOutcome, TestKind, TestResult, Timestamp, UnitCode,
};
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) static INFECTION_CASE: Table = Table {
    name: "infection_case",
    columns: &[
        "id",
        "person_id",
        "onset",
        "sample_date",
        "infectious_from",
        "isolated_at",
        "classification",
        "outcome",
        "created_at",
        "updated_at",
    ],
    has_id: true,
    deferred_indexes: &[],
    foreign_keys: &[],
};

pub(crate) static LAB_TEST: Table = Table {
    name: "lab_test",
    columns: &[
        "id",
        "person_id",
        "sampled_at",
        "kind",
        "result",
        "laboratory",
    ],
    has_id: true,
    deferred_indexes: &[],
    foreign_keys: &[],
};

/// A case to store: a person (at most one case each) and the case's dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// Person id.
    pub person_id: i64,
    /// The case.
    pub case: Case,
    /// When it was recorded (the application's clock; the dashboard's "new today"
    /// counts by it).
    pub recorded_at: Timestamp,
}

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

impl BulkRow for NewCase {
    const TABLE: &'static Table = &INFECTION_CASE;
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>) {
        out.int(self.person_id);
        match date_text(self.case.onset) {
            Some(d) => out.owned_text(d),
            None => out.opt_text(None),
        }
        match date_text(self.case.sample_date) {
            Some(d) => out.owned_text(d),
            None => out.opt_text(None),
        }
        out.int(self.case.infectious_from.0);
        out.opt_int(self.case.isolated_at.map(|t| t.0));
        out.text(self.case.classification.as_str());
        out.text(self.case.outcome.as_str());
        out.int(self.recorded_at.0);
        out.int(self.recorded_at.0);
    }
}

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// Id.
    pub id: i64,
    /// Person id.
    pub person_id: i64,
    /// The case.
    pub case: Case,
}

/// A test to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTest {
    /// Person id.
    pub person_id: i64,
    /// When the sample was taken.
    pub sampled_at: Timestamp,
    /// Kind.
    pub kind: TestKind,
    /// Result.
    pub result: TestResult,
    /// Laboratory.
    pub laboratory: Option<String>,
}

impl BulkRow for NewTest {
    const TABLE: &'static Table = &LAB_TEST;
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>) {
        out.int(self.person_id);
        out.int(self.sampled_at.0);
        out.text(self.kind.as_str());
        out.text(self.result.as_str());
        out.opt_text(self.laboratory.as_deref());
    }
}

/// A stored test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRecord {
    /// Id.
    pub id: i64,
    /// The test.
    pub test: NewTest,
}

/// Which cases to list: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseQuery {
    /// Only cases living in this unit or under it (`None`: everyone).
    pub unit: Option<UnitCode>,
    /// Positive sample on or after this local date.
    pub from: Option<NaiveDate>,
    /// Positive sample on or before this local date.
    pub to: Option<NaiveDate>,
    /// Only this classification.
    pub classification: Option<CaseClassification>,
    /// Only cases with an id below this (the cursor of the next page).
    pub before_id: Option<i64>,
    /// At most this many (1 to 500).
    pub limit: u64,
}

/// A row of the case list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    /// The case.
    pub case: CaseRecord,
    /// The person's full name.
    pub full_name: String,
    /// Where they live.
    pub unit_code: Option<UnitCode>,
    /// When the case was recorded.
    pub recorded_at: Timestamp,
}

/// Cases among the residents of one commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneCount {
    /// The commune.
    pub commune: UnitCode,
    /// Its name.
    pub name: String,
    /// Number of cases.
    pub cases: u64,
}

/// Says in words that a case's person already is one (the only unique column).
pub(crate) fn case_conflict(detail: &str) -> Option<String> {
    detail
        .contains("person_id")
        .then(|| "this person is already a case".to_owned())
}

const CASE_COLUMNS: &str =
    "id, person_id, onset, sample_date, infectious_from, isolated_at, classification, outcome";

fn parse_date(column: &'static str, s: Option<String>) -> Result<Option<NaiveDate>> {
    s.map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| corrupt(column, &s)))
        .transpose()
}

fn case_from_row(row: &AnyRow) -> Result<CaseRecord> {
    let classification: String = row.try_get("classification")?;
    let outcome: String = row.try_get("outcome")?;
    let isolated: Option<i64> = row.try_get("isolated_at")?;
    Ok(CaseRecord {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        case: Case {
            onset: parse_date("infection_case.onset", row.try_get("onset")?)?,
            sample_date: parse_date("infection_case.sample_date", row.try_get("sample_date")?)?,
            infectious_from: Timestamp(row.try_get("infectious_from")?),
            isolated_at: isolated.map(Timestamp),
            classification: CaseClassification::parse(&classification)
                .ok_or_else(|| corrupt("infection_case.classification", &classification))?,
            outcome: CaseOutcome::parse(&outcome)
                .ok_or_else(|| corrupt("infection_case.outcome", &outcome))?,
        },
    })
}

fn test_from_row(row: &AnyRow) -> Result<TestRecord> {
    let kind: String = row.try_get("kind")?;
    let result: String = row.try_get("result")?;
    Ok(TestRecord {
        id: row.try_get("id")?,
        test: NewTest {
            person_id: row.try_get("person_id")?,
            sampled_at: Timestamp(row.try_get("sampled_at")?),
            kind: TestKind::parse(&kind).ok_or_else(|| corrupt("lab_test.kind", &kind))?,
            result: TestResult::parse(&result)
                .ok_or_else(|| corrupt("lab_test.result", &result))?,
            laboratory: row.try_get("laboratory")?,
        },
    })
}

impl Store {
    /// Stores a case; a person has at most one (a second is a [`StoreError::Conflict`]
    /// saying "this person is already a case").
    pub async fn insert_case(&self, case: &NewCase) -> Result<i64> {
        self.insert_one(case, case_conflict).await
    }

    /// The case of a person, if any.
    pub async fn case_of_person(&self, person_id: i64) -> Result<Option<CaseRecord>> {
        let row = sqlx::query(&format!(
            "select {CASE_COLUMNS} from infection_case where person_id = $1"
        ))
        .bind(person_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(case_from_row).transpose()
    }

    /// One case by id.
    pub async fn case(&self, id: i64) -> Result<CaseRecord> {
        let row = sqlx::query(&format!(
            "select {CASE_COLUMNS} from infection_case where id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref()
            .map(case_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound {
                what: "case",
                key: id.to_string(),
            })
    }

    /// Every case, by infectious start (cases are few: the tracing engine loads them
    /// whole).
    pub async fn all_cases(&self) -> Result<Vec<CaseRecord>> {
        let rows = sqlx::query(&format!(
            "select {CASE_COLUMNS} from infection_case order by infectious_from, id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(case_from_row).collect()
    }

    /// Cases by commune of residence (a village counts for its commune), most cases
    /// first. Persons without a unit are left out.
    pub async fn cases_by_commune(&self) -> Result<Vec<CommuneCount>> {
        let rows = sqlx::query(
            "select u.code, u.name, cast(count(*) as bigint) as cases \
             from infection_case c \
             join person p on p.id = c.person_id \
             join admin_unit u on u.code = substr(p.unit_code, 1, 5) \
             where u.level = 'commune' \
             group by u.code, u.name \
             order by cases desc, u.code",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let code: String = row.try_get("code")?;
                let cases: i64 = row.try_get("cases")?;
                Ok(CommuneCount {
                    commune: UnitCode::parse(&code)
                        .map_err(|_| corrupt("admin_unit.code", &code))?,
                    name: row.try_get("name")?,
                    cases: u64::try_from(cases).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The case list, newest recorded first (by id), narrowed by `query`.
    pub async fn case_list(&self, query: &CaseQuery) -> Result<Vec<CaseRow>> {
        let unit_filter = match &query.unit {
            Some(unit) => format!("and p.unit_code in ({})", self.units_in(unit).await?),
            None => String::new(),
        };
        let limit = i64::try_from(query.limit.clamp(1, 500)).unwrap_or(500);
        let rows = sqlx::query(&format!(
            "select c.id, c.person_id, c.onset, c.sample_date, c.infectious_from, c.isolated_at, \
             c.classification, c.outcome, c.created_at as recorded_at, p.full_name, p.unit_code \
             from infection_case c join person p on p.id = c.person_id \
             where (cast($1 as text) is null or c.sample_date >= $1) \
             and (cast($2 as text) is null or c.sample_date <= $2) \
             and (cast($3 as text) is null or c.classification = $3) \
             and (cast($4 as bigint) is null or c.id < $4) {unit_filter} \
             order by c.id desc limit $5"
        ))
        .bind(date_text(query.from))
        .bind(date_text(query.to))
        .bind(query.classification.map(|c| c.as_str()))
        .bind(query.before_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let unit: Option<String> = row.try_get("unit_code")?;
                Ok(CaseRow {
                    case: case_from_row(row)?,
                    full_name: row.try_get("full_name")?,
                    unit_code: unit
                        .map(|u| UnitCode::parse(&u).map_err(|_| corrupt("person.unit_code", &u)))
                        .transpose()?,
                    recorded_at: Timestamp(row.try_get("recorded_at")?),
                })
            })
            .collect()
    }

    /// Stores a test; returns its id.
    pub async fn insert_test(&self, test: &NewTest) -> Result<i64> {
        self.insert_one(test, |_| None).await
    }

    /// A person's tests, newest first.
    pub async fn tests_of_person(&self, person_id: i64) -> Result<Vec<TestRecord>> {
        let rows = sqlx::query(
            "select id, person_id, sampled_at, kind, result, laboratory from lab_test \
             where person_id = $1 order by sampled_at desc, id desc",
        )
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(test_from_row).collect()
    }
}
