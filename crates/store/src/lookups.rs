//! Batched look-ups by key, for imports: which of these references, identity numbers
//! or unit codes already exist (and what they are), in a few queries for any number
//! of keys.

use crate::error::Result;
use crate::{corrupt, Store};
use phongdich_domain::{AdminUnit, PlaceKind};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// Keys per `in (...)` list: well under both backends' limits on bound values.
const KEYS_PER_QUERY: usize = 500;

impl Store {
    /// Rows of `select` (which ends with `where <column> in`) for every key, a chunk of
    /// keys per query.
    async fn fetch_in<K>(&self, select: &str, keys: &[K]) -> Result<Vec<AnyRow>>
    where
        K: for<'q> sqlx::Encode<'q, sqlx::Any>
            + sqlx::Type<sqlx::Any>
            + Clone
            + Send
            + Sync
            + 'static,
    {
        let mut out = Vec::new();
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("{select} ({})", placeholders.join(", "));
            let mut q = sqlx::query(&sql);
            for k in chunk {
                q = q.bind(k.clone());
            }
            out.extend(q.fetch_all(self.pool()).await?);
        }
        Ok(out)
    }

    /// Person ids by reference, for the references that exist.
    pub async fn person_ids_by_ref(&self, refs: &[String]) -> Result<HashMap<String, i64>> {
        let rows = self
            .fetch_in("select ref, id from person where ref in", refs)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("ref")?, r.try_get("id")?)))
            .collect()
    }

    /// The reference of the person holding each identity number that is taken.
    pub async fn holders_of_id_numbers(
        &self,
        numbers: &[String],
    ) -> Result<HashMap<String, String>> {
        let rows = self
            .fetch_in(
                "select id_number, ref from person where id_number in",
                numbers,
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id_number")?, r.try_get("ref")?)))
            .collect()
    }

    /// Household ids by reference, for the references that exist.
    pub async fn household_ids_by_ref(&self, refs: &[String]) -> Result<HashMap<String, i64>> {
        let rows = self
            .fetch_in("select ref, id from household where ref in", refs)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("ref")?, r.try_get("id")?)))
            .collect()
    }

    /// Place ids and kinds by reference, for the references that exist.
    pub async fn places_by_ref(
        &self,
        refs: &[String],
    ) -> Result<HashMap<String, (i64, PlaceKind)>> {
        let rows = self
            .fetch_in("select ref, id, kind from place where ref in", refs)
            .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                let kind = PlaceKind::parse(&kind).ok_or_else(|| corrupt("place.kind", &kind))?;
                Ok((r.try_get("ref")?, (r.try_get("id")?, kind)))
            })
            .collect()
    }

    /// The unit codes among `codes` that exist.
    pub async fn existing_units(&self, codes: &[String]) -> Result<HashSet<String>> {
        let rows = self
            .fetch_in("select code from admin_unit where code in", codes)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("code")?)).collect()
    }

    /// The units among `codes` that exist, by code.
    pub async fn units_by_code(&self, codes: &[String]) -> Result<HashMap<String, AdminUnit>> {
        let rows = self
            .fetch_in(
                "select code, name, level, parent_code from admin_unit where code in",
                codes,
            )
            .await?;
        rows.iter()
            .map(|r| {
                let unit = crate::admin::unit_from_row(r)?;
                Ok((unit.code.as_str().to_owned(), unit))
            })
            .collect()
    }

    /// The persons among `person_ids` that already have a case.
    pub async fn persons_with_case(&self, person_ids: &[i64]) -> Result<HashSet<i64>> {
        let rows = self
            .fetch_in(
                "select person_id from infection_case where person_id in",
                person_ids,
            )
            .await?;
        rows.iter().map(|r| Ok(r.try_get("person_id")?)).collect()
    }
}
