//! Administrative units: the statistics office's official list (embedded, loaded at
//! migrate) and the villages communes define themselves.

use crate::error::{Result, StoreError};
use crate::Store;
use phongdich_domain::text::fold;
use phongdich_domain::{AdminLevel, AdminUnit, UnitCode};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;

/// The official list of 2025-01-04: 63 provinces, their districts and communes
/// (`data/admin-units/README.md`).
const COMMUNES_CSV: &str = include_str!("../../../data/admin-units/communes_2025-01-04.csv");

/// The province a deployment serves unless configured otherwise: Lai Châu.
pub const DEFAULT_PROVINCE: &str = "12";

pub(crate) static ADMIN_UNIT: crate::backend::Table = crate::backend::Table {
    name: "admin_unit",
    columns: &["code", "name", "name_folded", "level", "parent_code"],
    has_id: false,
    deferred_indexes: &[],
    foreign_keys: &[],
};

/// Rows per upsert statement when loading official units (5 values each).
const UNITS_PER_STATEMENT: usize = 500;

/// Parses the embedded official list into provinces, then districts, then communes
/// (parents before children), each in code order.
///
/// Five island districts have no communes; they appear as districts only.
pub fn official_units() -> Result<Vec<AdminUnit>> {
    let bad = |line: u64, what: String| {
        StoreError::Invalid(format!("embedded admin-unit list, line {line}: {what}"))
    };
    let mut provinces = BTreeMap::new();
    let mut districts = BTreeMap::new();
    let mut communes = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(COMMUNES_CSV.as_bytes());
    for record in reader.records() {
        let record = record.map_err(|e| bad(0, e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or_default().trim();
        let code = |i: usize| UnitCode::parse(field(i)).map_err(|e| bad(line, e.to_string()));
        let province = code(1)?;
        let district = code(3)?;
        provinces
            .entry(province.clone())
            .or_insert_with(|| AdminUnit {
                code: province.clone(),
                name: field(0).to_owned(),
                level: AdminLevel::Province,
                parent: None,
            });
        districts
            .entry(district.clone())
            .or_insert_with(|| AdminUnit {
                code: district.clone(),
                name: field(2).to_owned(),
                level: AdminLevel::District,
                parent: Some(province),
            });
        if !field(5).is_empty() {
            let commune = code(5)?;
            communes.insert(
                commune.clone(),
                AdminUnit {
                    code: commune,
                    name: field(4).to_owned(),
                    level: AdminLevel::Commune,
                    parent: Some(district),
                },
            );
        }
    }
    Ok(provinces
        .into_values()
        .chain(districts.into_values())
        .chain(communes.into_values())
        .collect())
}

/// Builds an [`AdminUnit`] from a row of `code, name, level, parent_code`.
pub(crate) fn unit_from_row(row: &AnyRow) -> Result<AdminUnit> {
    let code: String = row.try_get("code")?;
    let level: String = row.try_get("level")?;
    let parent: Option<String> = row.try_get("parent_code")?;
    Ok(AdminUnit {
        code: UnitCode::parse(&code).map_err(|_| StoreError::Corrupt {
            column: "admin_unit.code",
            value: code.clone(),
        })?,
        name: row.try_get("name")?,
        level: AdminLevel::parse(&level).ok_or(StoreError::Corrupt {
            column: "admin_unit.level",
            value: level.clone(),
        })?,
        parent: parent
            .map(|p| {
                UnitCode::parse(&p).map_err(|_| StoreError::Corrupt {
                    column: "admin_unit.parent_code",
                    value: p.clone(),
                })
            })
            .transpose()?,
    })
}

const UNIT_COLUMNS: &str = "code, name, level, parent_code";

impl Store {
    /// Loads (or refreshes) the official units; idempotent. Returns how many rows were
    /// written: 0 when the database already holds the whole list.
    pub async fn load_official_units(&self) -> Result<u64> {
        let units = official_units()?;
        let present: i64 = sqlx::query_scalar(
            "select cast(count(*) as bigint) from admin_unit where level <> 'village'",
        )
        .fetch_one(self.pool())
        .await?;
        if usize::try_from(present).ok() == Some(units.len()) {
            return Ok(0);
        }
        self.units_changed();
        let now = crate::now_seconds();
        let mut tx = self.pool().begin().await?;
        let mut written = 0;
        for chunk in units.chunks(UNITS_PER_STATEMENT) {
            let mut sql = String::from(
                "insert into admin_unit (code, name, name_folded, level, parent_code, created_at, updated_at) values ",
            );
            for i in 0..chunk.len() {
                let b = i * 5;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, $1, $1)",
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                ));
            }
            sql.push_str(
                " on conflict (code) do update set name = excluded.name, name_folded = excluded.name_folded, \
                 level = excluded.level, parent_code = excluded.parent_code, updated_at = excluded.updated_at",
            );
            let mut q = sqlx::query(&sql).bind(now);
            for u in chunk {
                q = q
                    .bind(u.code.as_str())
                    .bind(u.name.as_str())
                    .bind(fold(&u.name))
                    .bind(u.level.as_str())
                    .bind(u.parent.as_ref().map(|p| p.as_str()));
            }
            written += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        tracing::info!(units = units.len(), "official administrative units loaded");
        Ok(written)
    }

    /// One unit by code.
    pub async fn unit(&self, code: &UnitCode) -> Result<AdminUnit> {
        self.fresh_units().await?;
        if let Some(unit) = self.inner.units.unit(code.as_str()) {
            return Ok(unit);
        }
        let row = sqlx::query(&format!(
            "select {UNIT_COLUMNS} from admin_unit where code = $1"
        ))
        .bind(code.as_str())
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "administrative unit",
            key: code.to_string(),
        })?;
        let unit = unit_from_row(&row)?;
        self.inner.units.put_unit(&unit);
        Ok(unit)
    }

    /// Drops the units read before if the data moved since (read at most once a
    /// second; see `unit_cache`).
    async fn fresh_units(&self) -> Result<()> {
        if self.inner.units.stale() {
            let version = self.data_version().await?;
            self.inner.units.checked(version);
        }
        Ok(())
    }

    /// Forgets the units read (this process wrote some).
    pub(crate) fn units_changed(&self) {
        self.inner.units.clear();
    }

    /// The units directly under `parent`, in code order.
    pub async fn children(&self, parent: &UnitCode) -> Result<Vec<AdminUnit>> {
        let rows = sqlx::query(&format!(
            "select {UNIT_COLUMNS} from admin_unit where parent_code = $1 order by code"
        ))
        .bind(parent.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(unit_from_row).collect()
    }

    /// A unit and every unit under it (districts, communes, villages), in code order.
    pub async fn units_under(&self, code: &UnitCode) -> Result<Vec<AdminUnit>> {
        Ok(self.units_under_shared(code).await?.as_ref().clone())
    }

    /// [`Store::units_under`], shared with the cache.
    pub(crate) async fn units_under_shared(
        &self,
        code: &UnitCode,
    ) -> Result<std::sync::Arc<Vec<AdminUnit>>> {
        self.fresh_units().await?;
        if let Some(units) = self.inner.units.under(code.as_str()) {
            return Ok(units);
        }
        let rows = sqlx::query(&format!(
            "select {UNIT_COLUMNS} from admin_unit where code in ({}) order by code",
            crate::scope::units_under("$1")
        ))
        .bind(code.as_str())
        .fetch_all(self.pool())
        .await?;
        let units =
            std::sync::Arc::new(rows.iter().map(unit_from_row).collect::<Result<Vec<_>>>()?);
        self.inner.units.put_under(code.as_str(), units.clone());
        Ok(units)
    }

    /// Every unit of `level` (all provinces, all communes...), in code order.
    pub async fn units_at_level(&self, level: AdminLevel) -> Result<Vec<AdminUnit>> {
        let rows = sqlx::query(&format!(
            "select {UNIT_COLUMNS} from admin_unit where level = $1 order by code"
        ))
        .bind(level.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(unit_from_row).collect()
    }

    /// The communes of a province, in code order, whether they sit under a district
    /// (the list of 2025-01-04) or directly under the province (after the reform).
    pub async fn communes_of_province(&self, province: &UnitCode) -> Result<Vec<AdminUnit>> {
        let rows = sqlx::query(
            "select c.code, c.name, c.level, c.parent_code from admin_unit c \
             left join admin_unit d on d.code = c.parent_code \
             where c.level = 'commune' and (c.parent_code = $1 or d.parent_code = $1) \
             order by c.code",
        )
        .bind(province.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(unit_from_row).collect()
    }

    /// Adds a unit (a village, usually) under an existing parent.
    pub async fn insert_unit(&self, unit: &AdminUnit) -> Result<()> {
        self.units_changed();
        let now = crate::now_seconds();
        sqlx::query(
            "insert into admin_unit (code, name, name_folded, level, parent_code, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(unit.code.as_str())
        .bind(unit.name.as_str())
        .bind(fold(&unit.name))
        .bind(unit.level.as_str())
        .bind(unit.parent.as_ref().map(|p| p.as_str()))
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(|e| {
            crate::error::classify(e, |_| Some(format!("administrative unit {} already exists", unit.code)))
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_list_has_every_province_and_lai_chau_communes() {
        let units = official_units().unwrap();
        let count = |level| units.iter().filter(|u| u.level == level).count();
        assert_eq!(count(AdminLevel::Province), 63);
        assert_eq!(count(AdminLevel::District), 696);
        assert_eq!(count(AdminLevel::Commune), 10_051);
        let lai_chau_districts: Vec<_> = units
            .iter()
            .filter(|u| u.parent.as_ref().map(UnitCode::as_str) == Some(DEFAULT_PROVINCE))
            .collect();
        assert_eq!(lai_chau_districts.len(), 8);
        assert_eq!(units[0].code.as_str(), "01");
    }
}
