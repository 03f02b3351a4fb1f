//! Trace levels read by administrative unit and by case: the dashboard's counts per
//! unit (F0 new and total, F1..F4) and a case's tree of persons reached through it.
//!
//! Both read `trace_level` as the engine last wrote it; neither recomputes anything.

use crate::error::Result;
use crate::trace::ExposureKind;
use crate::{corrupt, Store};
use phongdich_domain::{Timestamp, UnitCode};
use sqlx::Row;

/// How many persons living directly in one unit are at one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLevelCount {
    /// The unit the persons live in (a village or a commune, as recorded); `None` for
    /// persons without one.
    pub unit_code: Option<UnitCode>,
    /// 0 for F0...
    pub level: u8,
    /// How many.
    pub persons: u64,
}

/// One person of a case's tree: reached from the case through `via_person_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode {
    /// Person id.
    pub person_id: i64,
    /// Their stored level (0 for the case itself).
    pub level: u8,
    /// When they were reached.
    pub exposed_at: Timestamp,
    /// The person one level up; `None` for the case.
    pub via_person_id: Option<i64>,
    /// How they were exposed; `None` for the case.
    pub via_kind: Option<ExposureKind>,
    /// Their full name.
    pub full_name: String,
    /// Where they live.
    pub unit_code: Option<UnitCode>,
}

fn unit(code: Option<String>, column: &'static str) -> Result<Option<UnitCode>> {
    code.map(|c| UnitCode::parse(&c).map_err(|_| corrupt(column, &c)))
        .transpose()
}

fn level(v: i64) -> Result<u8> {
    u8::try_from(v).map_err(|_| corrupt("trace_level.level", &v.to_string()))
}

impl Store {
    /// Traced persons per unit of residence and level, for persons living in `under`
    /// or below it (`None`: everyone). One row per (unit, level) that has anyone; the
    /// caller rolls villages up into communes, communes into districts.
    pub async fn trace_counts_by_unit(
        &self,
        under: Option<&UnitCode>,
    ) -> Result<Vec<UnitLevelCount>> {
        let filter = match under {
            Some(u) => format!(
                "where p.unit_code in ({}) and $1 is not null",
                self.units_in(u).await?
            ),
            None => "where $1 is null".to_owned(),
        };
        let rows = sqlx::query(&format!(
            "select p.unit_code, t.level, cast(count(*) as bigint) as n \
             from trace_level t join person p on p.id = t.person_id {filter} \
             group by p.unit_code, t.level order by p.unit_code, t.level"
        ))
        .bind(under.map(|u| u.as_str().to_owned()))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let n: i64 = row.try_get("n")?;
                Ok(UnitLevelCount {
                    unit_code: unit(row.try_get("unit_code")?, "person.unit_code")?,
                    level: level(row.try_get("level")?)?,
                    persons: u64::try_from(n).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Cases recorded at or after `since`, per unit of residence, for persons living in
    /// `under` or below it (`None`: everyone): the "new F0" of a dashboard.
    pub async fn new_cases_by_unit(
        &self,
        under: Option<&UnitCode>,
        since: Timestamp,
    ) -> Result<Vec<(Option<UnitCode>, u64)>> {
        let filter = match under {
            Some(u) => format!(
                "and p.unit_code in ({}) and $2 is not null",
                self.units_in(u).await?
            ),
            None => "and $2 is null".to_owned(),
        };
        let rows = sqlx::query(&format!(
            "select p.unit_code, cast(count(*) as bigint) as n \
             from infection_case c join person p on p.id = c.person_id \
             where c.created_at >= $1 {filter} group by p.unit_code order by p.unit_code"
        ))
        .bind(since.0)
        .bind(under.map(|u| u.as_str().to_owned()))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let n: i64 = row.try_get("n")?;
                Ok((
                    unit(row.try_get("unit_code")?, "person.unit_code")?,
                    u64::try_from(n).unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// The persons whose stored chain leads to `person_id` (followed through
    /// `via_person_id`, at most `max_depth` links), the person first, then by depth,
    /// level and exposure time. Empty when the person is not traced.
    pub async fn trace_tree(&self, person_id: i64, max_depth: u8) -> Result<Vec<TreeNode>> {
        let rows = sqlx::query(
            "with recursive tree (person_id, depth) as ( \
                 select person_id, 0 from trace_level where person_id = $1 \
                 union all \
                 select t.person_id, tree.depth + 1 from trace_level t \
                 join tree on t.via_person_id = tree.person_id \
                 where tree.depth < $2 and t.person_id <> $1) \
             select t.person_id, t.level, t.exposed_at, t.via_person_id, t.via_kind, \
                    p.full_name, p.unit_code \
             from tree join trace_level t on t.person_id = tree.person_id \
             join person p on p.id = t.person_id \
             order by tree.depth, t.level, t.exposed_at, t.person_id",
        )
        .bind(person_id)
        .bind(i64::from(max_depth))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let kind: Option<String> = row.try_get("via_kind")?;
                Ok(TreeNode {
                    person_id: row.try_get("person_id")?,
                    level: level(row.try_get("level")?)?,
                    exposed_at: Timestamp(row.try_get("exposed_at")?),
                    via_person_id: row.try_get("via_person_id")?,
                    via_kind: kind
                        .map(|k| {
                            ExposureKind::parse(&k)
                                .ok_or_else(|| corrupt("trace_level.via_kind", &k))
                        })
                        .transpose()?,
                    full_name: row.try_get("full_name")?,
                    unit_code: unit(row.try_get("unit_code")?, "person.unit_code")?,
                })
            })
            .collect()
    }
}
