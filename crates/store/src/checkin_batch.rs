//! Many check-ins in one go ([`Tx::record_check_ins`]): what [`Tx::record_check_in`]
//! does for one, for a whole batch of the app's group commit, in a handful of
//! multi-row statements instead of five statements per check-in.
//!
//! Through sqlx every statement is a round trip to the driver (on SQLite, a hand-over
//! to its worker thread and back); a batch of hundreds of check-ins written one by one
//! spent its time in those hand-overs, not in SQLite. Here a batch is planned, then
//! written. The plan ([`Tx::plan_check_ins`]) only reads: one look-up of the visitors
//! by ID number, one by phone, the ids of the new rows, and (SQLite) one look-up of
//! the idempotency keys among the visitors' check-ins. The write
//! ([`Tx::write_planned_check_ins`]) inserts the new persons, the presences, the
//! check-ins and the audit events, each in statements of up to [`ROWS_PER_STATEMENT`]
//! rows. Between the two the group commit hands the planned presences to the tracing
//! engine, which works on them while the rows are written.
//!
//! The semantics are [`Tx::record_check_in`]'s, applied in the batch's order: a
//! visitor is the person holding their ID number, else the first person with their
//! phone and folded name, else a new person; two check-ins of one new visitor in a
//! batch create one person. All or nothing: any failure (an idempotency key the
//! visitor used before, an ID number stored meanwhile) fails the call, and the caller
//! rolls the transaction back and writes the check-ins one by one to find the culprit.

use crate::audit::NewAuditEvent;
use crate::backend::{ArgSink, BulkRow, FieldSink};
use crate::checkins::{classify_key_conflict, key_used, CheckInRecorded, NewCheckIn};
use crate::error::{classify, Result, StoreError};
use crate::persons::NewPerson;
use crate::places::NewPresence;
use crate::tx::Tx;
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// Rows per multi-row statement (at most 13 values a row: 6,500 bound values, under
/// both backends' limits).
pub const ROWS_PER_STATEMENT: usize = 500;

/// How a backend numbers bound values. SQLite gets anonymous `?`: sqlx asks SQLite the
/// name of every parameter of a statement, a linear search each, so thousands of
/// `$N` in one statement cost a quadratic time that dominated a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marks {
    Anonymous,
    Numbered,
}

impl Marks {
    /// The marks of the backend named `backend` (sqlx's name: "SQLite", "PostgreSQL").
    pub(crate) fn of(backend: &str) -> Self {
        if backend.eq_ignore_ascii_case("sqlite") {
            Marks::Anonymous
        } else {
            Marks::Numbered
        }
    }
}

/// Who a visitor is, to find them or to create them once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum VisitorKey {
    IdNumber(String),
    PhoneName(String, String),
}

fn visitor_key(c: &NewCheckIn) -> Result<VisitorKey> {
    let v = &c.visitor;
    match (&v.identity, &v.phone) {
        (Some(doc), _) => Ok(VisitorKey::IdNumber(doc.number().to_owned())),
        (None, Some(phone)) => Ok(VisitorKey::PhoneName(
            phone.as_str().to_owned(),
            v.full_name.folded(),
        )),
        (None, None) => Err(StoreError::Invalid(
            "a visitor needs a phone or an identity document".into(),
        )),
    }
}

/// The `n`th placeholder (from 1): `$n`, or `?`.
fn mark(marks: Marks, n: usize) -> String {
    match marks {
        Marks::Anonymous => "?".to_owned(),
        Marks::Numbered => format!("${n}"),
    }
}

/// `($1, $2), ($3, $4)...` (or `(?, ?), (?, ?)...`): `rows` groups of `columns`
/// placeholders, numbered from `$first`.
pub(crate) fn placeholders(marks: Marks, rows: usize, columns: usize, first: usize) -> String {
    let mut s = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..columns {
            if c > 0 {
                s.push_str(", ");
            }
            s.push_str(&mark(marks, first + r * columns + c));
        }
        s.push(')');
    }
    s
}

/// `$1, $2...` or `?, ?...`: a list of `n` placeholders.
fn list(marks: Marks, n: usize) -> String {
    let one = placeholders(marks, n, 1, 1);
    // `($1), ($2)` -> `$1, $2`
    one.replace(['(', ')'], "")
}

impl Tx {
    /// Records `rows` as [`Tx::record_check_in`] would one after the other, with the
    /// audit event `audit(i, recorded)` of each (`i` its index in `rows`); returns what
    /// was written, in the order of `rows`: [`Tx::plan_check_ins`] then
    /// [`Tx::write_planned_check_ins`]. No commit inside; any error leaves the
    /// transaction to be rolled back.
    pub async fn record_check_ins(
        &mut self,
        rows: &[&NewCheckIn],
        audit: impl Fn(usize, &CheckInRecorded) -> NewAuditEvent,
    ) -> Result<Vec<CheckInRecorded>> {
        let planned = self.plan_check_ins(rows).await?;
        self.write_planned_check_ins(rows, &planned, audit).await?;
        Ok(planned)
    }

    /// What [`Tx::record_check_ins`] will write for `rows`, decided before anything is
    /// written: the visitors found (by ID number, else phone and folded name) or to be
    /// created (once each, at their first check-in of the batch), and the ids of the
    /// new persons, presences and check-ins. On SQLite it fails with the key conflict
    /// ([`crate::checkins::is_key_conflict`]) when a row's visitor used its
    /// idempotency key before; on PostgreSQL the write does, from the unique index on
    /// (person, key).
    ///
    /// Only reads: the group commit gives the tracing engine the planned presences
    /// while [`Tx::write_planned_check_ins`] writes them. The ids are taken past the
    /// tables' largest on SQLite, whose `begin immediate` keeps every other writer out
    /// until commit, and from the identity sequences on PostgreSQL.
    pub async fn plan_check_ins(&mut self, rows: &[&NewCheckIn]) -> Result<Vec<CheckInRecorded>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let keys = rows
            .iter()
            .map(|c| visitor_key(c))
            .collect::<Result<Vec<_>>>()?;
        let marks = Marks::of(self.tx.backend_name());
        let mut persons = self.find_visitors(marks, &keys).await?;
        let new_count = {
            let mut new: HashSet<&VisitorKey> = HashSet::new();
            keys.iter()
                .filter(|k| !persons.contains_key(*k) && new.insert(*k))
                .count()
        };
        let [person_ids, presence_ids, check_in_ids] = self
            .new_ids(
                marks,
                [
                    ("person", new_count),
                    ("presence", rows.len()),
                    ("check_in", rows.len()),
                ],
            )
            .await?;
        let mut person_ids = person_ids.into_iter();
        let mut created: HashSet<&VisitorKey> = HashSet::new();
        let mut planned = Vec::with_capacity(rows.len());
        for (i, k) in keys.iter().enumerate() {
            let (person_id, person_created) = match persons.get(k) {
                Some(&id) => (id, false),
                None => {
                    let id = person_ids.next().ok_or_else(|| {
                        StoreError::Invalid("fewer person ids than new visitors".into())
                    })?;
                    persons.insert(k.clone(), id);
                    created.insert(k);
                    (id, true)
                }
            };
            planned.push(CheckInRecorded {
                check_in_id: check_in_ids[i],
                person_id,
                person_created,
                presence_id: presence_ids[i],
            });
        }
        // On PostgreSQL the unique index on (person, key) refuses a used key at the
        // insert (one look-up of a few hundred OR-ed pairs took milliseconds to plan).
        if marks == Marks::Anonymous {
            let person_ids: Vec<i64> = planned.iter().map(|r| r.person_id).collect();
            self.refuse_used_keys(marks, rows, &person_ids, |i| created.contains(&keys[i]))
                .await?;
        }
        Ok(planned)
    }

    /// Writes what [`Tx::plan_check_ins`] planned for the same `rows`: the new persons,
    /// the presences, the check-ins and the audit event `audit(i, recorded)` of each,
    /// in multi-row statements.
    pub async fn write_planned_check_ins(
        &mut self,
        rows: &[&NewCheckIn],
        planned: &[CheckInRecorded],
        audit: impl Fn(usize, &CheckInRecorded) -> NewAuditEvent,
    ) -> Result<()> {
        if rows.len() != planned.len() {
            return Err(StoreError::Invalid(
                "a plan of check-ins for other rows".into(),
            ));
        }
        let marks = Marks::of(self.tx.backend_name());
        let (person_ids, persons): (Vec<i64>, Vec<NewPerson>) = rows
            .iter()
            .zip(planned)
            .filter(|(_, r)| r.person_created)
            .map(|(c, r)| (r.person_id, c.visitor.new_person()))
            .unzip();
        self.insert_rows(marks, &persons, Some(&person_ids)).await?;
        let (presence_ids, presences): (Vec<i64>, Vec<NewPresence>) = rows
            .iter()
            .zip(planned)
            .map(|(c, r)| {
                let presence = NewPresence {
                    person_id: r.person_id,
                    place_id: c.place_id,
                    interval: c.interval,
                };
                (r.presence_id, presence)
            })
            .unzip();
        self.insert_rows(marks, &presences, Some(&presence_ids))
            .await?;
        self.insert_check_ins(marks, rows, planned).await?;
        let events: Vec<NewAuditEvent> = planned
            .iter()
            .enumerate()
            .map(|(i, r)| audit(i, r))
            .collect();
        self.insert_rows(marks, &events, None).await?;
        Ok(())
    }

    /// For each (table, n), `n` ids for new rows of the table, in increasing order:
    /// past the largest stored on SQLite (no other writer until commit; one statement
    /// for all the tables), from the identity sequences on PostgreSQL.
    async fn new_ids<const N: usize>(
        &mut self,
        marks: Marks,
        wanted: [(&str, usize); N],
    ) -> Result<[Vec<i64>; N]> {
        let mut ids: [Vec<i64>; N] = std::array::from_fn(|_| Vec::new());
        match marks {
            Marks::Anonymous => {
                let largest = wanted
                    .iter()
                    .map(|(table, _)| format!("(select coalesce(max(id), 0) from {table})"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let row = sqlx::query(&format!("select {largest}"))
                    .fetch_one(&mut *self.tx)
                    .await?;
                for (i, (_, n)) in wanted.iter().enumerate() {
                    let largest: i64 = row.try_get(i)?;
                    ids[i] = (1..=*n as i64).map(|k| largest + k).collect();
                }
            }
            Marks::Numbered => {
                for (i, (table, n)) in wanted.iter().enumerate() {
                    if *n == 0 {
                        continue;
                    }
                    let count = i64::try_from(*n)
                        .map_err(|_| StoreError::Invalid("too many rows".into()))?;
                    let mut got: Vec<i64> = sqlx::query_scalar(&format!(
                        "select nextval(pg_get_serial_sequence('{table}', 'id')) \
                         from generate_series(1, $1)"
                    ))
                    .bind(count)
                    .fetch_all(&mut *self.tx)
                    .await?;
                    got.sort_unstable();
                    ids[i] = got;
                }
            }
        }
        Ok(ids)
    }

    /// Inserts `rows` of `R`'s table, with the ids `ids` gives them (in order), or
    /// with the ones the database chooses.
    async fn insert_rows<R: BulkRow>(
        &mut self,
        marks: Marks,
        rows: &[R],
        ids: Option<&[i64]>,
    ) -> Result<()> {
        if ids.is_some_and(|ids| ids.len() != rows.len()) {
            return Err(StoreError::Invalid("as many ids as rows are needed".into()));
        }
        let columns = match ids {
            Some(_) => R::TABLE.columns,
            None => R::TABLE.data_columns(),
        };
        for (start, chunk) in (0..)
            .step_by(ROWS_PER_STATEMENT)
            .zip(rows.chunks(ROWS_PER_STATEMENT))
        {
            let mut sink = ArgSink::with_capacity(chunk.len() * columns.len());
            for (j, row) in chunk.iter().enumerate() {
                if let Some(ids) = ids {
                    sink.int(ids[start + j]);
                }
                row.write(&mut sink);
            }
            let sql = format!(
                "insert into {} ({}) values {}",
                R::TABLE.name,
                columns.join(", "),
                placeholders(marks, chunk.len(), columns.len(), 1)
            );
            sqlx::query_with(&sql, sink.finish()?)
                .execute(&mut *self.tx)
                .await
                .map_err(|e| classify(e, |_| None))?;
        }
        Ok(())
    }

    /// The persons already stored for `keys`: by ID number, else the first (lowest
    /// id) with the phone and the folded name.
    async fn find_visitors(
        &mut self,
        marks: Marks,
        keys: &[VisitorKey],
    ) -> Result<HashMap<VisitorKey, i64>> {
        let mut found = HashMap::new();
        let mut numbers: Vec<&str> = Vec::new();
        let mut phones: Vec<&str> = Vec::new();
        for k in keys {
            match k {
                VisitorKey::IdNumber(n) => numbers.push(n),
                VisitorKey::PhoneName(p, _) => phones.push(p),
            }
        }
        numbers.sort_unstable();
        numbers.dedup();
        phones.sort_unstable();
        phones.dedup();
        for chunk in numbers.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "select id, id_number from person where id_number in ({})",
                list(marks, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for n in chunk {
                q = q.bind(*n);
            }
            for row in q.fetch_all(&mut *self.tx).await? {
                let id: i64 = row.try_get(0)?;
                let number: String = row.try_get(1)?;
                found.insert(VisitorKey::IdNumber(number), id);
            }
        }
        for chunk in phones.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "select id, phone, name_folded from person where phone in ({}) order by id",
                list(marks, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q.bind(*p);
            }
            for row in q.fetch_all(&mut *self.tx).await? {
                let id: i64 = row.try_get(0)?;
                let phone: String = row.try_get(1)?;
                let folded: String = row.try_get(2)?;
                // Ordered by id: the first one stays.
                found
                    .entry(VisitorKey::PhoneName(phone, folded))
                    .or_insert(id);
            }
        }
        Ok(found)
    }

    /// Fails with the key conflict ([`crate::checkins::is_key_conflict`]) when a row's
    /// visitor used its idempotency key before: in a committed check-in (looked up
    /// among the visitors' check-ins, skipping the visitors this batch created) or
    /// earlier in this batch.
    async fn refuse_used_keys(
        &mut self,
        marks: Marks,
        rows: &[&NewCheckIn],
        person_ids: &[i64],
        new_visitor: impl Fn(usize) -> bool,
    ) -> Result<()> {
        let mut seen = HashSet::new();
        let mut stored: Vec<(i64, &str)> = Vec::new();
        for (i, (c, &person)) in rows.iter().zip(person_ids).enumerate() {
            let Some(key) = c.idempotency_key.as_deref() else {
                continue;
            };
            if !seen.insert((person, key)) {
                return Err(key_used());
            }
            if !new_visitor(i) {
                stored.push((person, key));
            }
        }
        for chunk in stored.chunks(ROWS_PER_STATEMENT) {
            let condition = (0..chunk.len())
                .map(|j| {
                    format!(
                        "(person_id = {} and idempotency_key = {})",
                        mark(marks, 2 * j + 1),
                        mark(marks, 2 * j + 2)
                    )
                })
                .collect::<Vec<_>>()
                .join(" or ");
            let sql = format!("select 1 from check_in where {condition} limit 1");
            let mut q = sqlx::query(&sql);
            for (person, key) in chunk {
                q = q.bind(*person).bind(*key);
            }
            if q.fetch_optional(&mut *self.tx).await?.is_some() {
                return Err(key_used());
            }
        }
        Ok(())
    }

    /// The check-in rows, with their planned ids.
    async fn insert_check_ins(
        &mut self,
        marks: Marks,
        rows: &[&NewCheckIn],
        planned: &[CheckInRecorded],
    ) -> Result<()> {
        const COLUMNS: usize = 11;
        let now = crate::now_seconds();
        for (chunk, plan) in rows
            .chunks(ROWS_PER_STATEMENT)
            .zip(planned.chunks(ROWS_PER_STATEMENT))
        {
            let sql = format!(
                "insert into check_in (id, place_id, person_id, presence_id, arrived_at, \
                 channel, phone, staff_user_id, idempotency_key, created_at, updated_at) \
                 values {}",
                placeholders(marks, chunk.len(), COLUMNS, 1)
            );
            let mut q = sqlx::query(&sql);
            for (c, r) in chunk.iter().zip(plan) {
                q = q
                    .bind(r.check_in_id)
                    .bind(c.place_id)
                    .bind(r.person_id)
                    .bind(r.presence_id)
                    .bind(c.interval.start().0)
                    .bind(c.channel.as_str())
                    .bind(c.visitor.phone.as_ref().map(|p| p.as_str().to_owned()))
                    .bind(c.staff_user_id)
                    .bind(c.idempotency_key.clone())
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *self.tx)
                .await
                .map_err(classify_key_conflict)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_and_columns() {
        let n = Marks::Numbered;
        assert_eq!(placeholders(n, 2, 3, 1), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholders(n, 1, 1, 4), "($4)");
        assert_eq!(placeholders(Marks::Anonymous, 2, 2, 1), "(?, ?), (?, ?)");
        assert_eq!(list(n, 3), "$1, $2, $3");
        assert_eq!(list(Marks::Anonymous, 2), "?, ?");
    }
}
