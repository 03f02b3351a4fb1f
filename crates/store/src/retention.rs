//! The retention purge: check-ins and health declarations are kept for a set period
//! (issue 10, Decree 13/2023/NĐ-CP's storage limitation), then deleted with what only
//! they had made: a check-in's presence, and the persons that a declaration or a
//! check-in created and that nothing else refers to. The application layer runs these
//! in one [`Tx`] with the audit events that record each run.

use crate::declarations::DECLARED_PERSON_PREFIX;
use crate::error::Result;
use crate::Tx;

/// What one purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Rows of the purged table.
    pub rows: u64,
    /// Rows that went with them (a check-in's presences).
    pub presences: u64,
    /// Persons that only those rows had created and that nothing else refers to.
    pub persons: u64,
}

/// Presences are deleted by id in statements of this many.
const IDS_PER_STATEMENT: usize = 500;

impl Tx {
    /// Deletes the declarations made before `cutoff` (Unix seconds), then the persons
    /// that declarations created ([`DECLARED_PERSON_PREFIX`]) and that nothing refers
    /// to any more.
    pub async fn purge_declarations(&mut self, cutoff: i64) -> Result<Purged> {
        let rows = sqlx::query("delete from declaration where created_at < $1")
            .bind(cutoff)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        let persons = if rows == 0 {
            0
        } else {
            self.purge_orphans(DECLARED_PERSON_PREFIX).await?
        };
        Ok(Purged {
            rows,
            presences: 0,
            persons,
        })
    }

    /// Deletes the check-ins that began before `cutoff` (Unix seconds) and their
    /// presences, then the persons whose reference starts with `created_prefix` (the
    /// ones check-ins create) and that nothing refers to any more. A running tracing
    /// engine keeps the deleted presences in memory until its next build; a presence
    /// older than the retention period no longer changes a level.
    pub async fn purge_check_ins(
        &mut self,
        cutoff: i64,
        created_prefix: Option<&str>,
    ) -> Result<Purged> {
        let presence_ids: Vec<i64> =
            sqlx::query_scalar("delete from check_in where arrived_at < $1 returning presence_id")
                .bind(cutoff)
                .fetch_all(&mut *self.tx)
                .await?;
        let mut presences = 0;
        for chunk in presence_ids.chunks(IDS_PER_STATEMENT) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "delete from presence where id in ({})",
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            presences += q.execute(&mut *self.tx).await?.rows_affected();
        }
        let persons = match created_prefix {
            Some(prefix) if !presence_ids.is_empty() => self.purge_orphans(prefix).await?,
            _ => 0,
        };
        Ok(Purged {
            rows: presence_ids.len() as u64,
            presences,
            persons,
        })
    }

    /// Deletes the persons whose reference starts with `prefix` and that nothing
    /// refers to.
    async fn purge_orphans(&mut self, prefix: &str) -> Result<u64> {
        Ok(sqlx::query(
            "delete from person where substr(ref, 1, cast($2 as integer)) = $1 \
             and not exists (select 1 from declaration x where x.person_id = person.id) \
             and not exists (select 1 from declaration x where x.declarant_id = person.id) \
             and not exists (select 1 from check_in x where x.person_id = person.id) \
             and not exists (select 1 from presence x where x.person_id = person.id) \
             and not exists (select 1 from contact x where x.a_id = person.id) \
             and not exists (select 1 from contact x where x.b_id = person.id) \
             and not exists (select 1 from infection_case x where x.person_id = person.id) \
             and not exists (select 1 from lab_test x where x.person_id = person.id) \
             and not exists (select 1 from trace_level x where x.person_id = person.id) \
             and not exists (select 1 from trace_level x where x.via_person_id = person.id)",
        )
        .bind(prefix)
        .bind(i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX))
        .execute(&mut *self.tx)
        .await?
        .rows_affected())
    }
}
