//! Many check-ins in one go ([`Tx::record_check_ins`]): what [`Tx::record_check_in`]
//! does for one, for a whole batch of the app's group commit, in a handful of
//! multi-row statements instead of five statements per check-in.
//!
//! Through sqlx every statement is a round trip to the driver (on SQLite, a hand-over
//! to its worker thread and back); a batch of hundreds of check-ins written one by one
//! spent its time in those hand-overs, not in SQLite. Here a batch is: one look-up of
//! the visitors by ID number, one by phone, one insert of the new persons, then the
//! presences, the check-ins and the audit events, each in statements of up to
//! [`ROWS_PER_STATEMENT`] rows.
//!
//! The semantics are [`Tx::record_check_in`]'s, applied in the batch's order: a
//! visitor is the person holding their ID number, else the first person with their
//! phone and folded name, else a new person; two check-ins of one new visitor in a
//! batch create one person. All or nothing: any failure (an idempotency key used
//! before, an ID number stored meanwhile) fails the call, and the caller rolls the
//! transaction back and writes the check-ins one by one to find the culprit.

use crate::audit::NewAuditEvent;
use crate::backend::{ArgSink, BulkRow};
use crate::checkins::{CheckInRecorded, NewCheckIn};
use crate::error::{classify, Result, StoreError};
use crate::persons::NewPerson;
use crate::places::NewPresence;
use crate::tx::Tx;
use sqlx::Row;
use std::collections::HashMap;

/// Rows per multi-row statement (at most 10 values a row: 5,000 bound values, under
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
            match marks {
                Marks::Anonymous => s.push('?'),
                Marks::Numbered => {
                    s.push('$');
                    s.push_str(&(first + r * columns + c).to_string());
                }
            }
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
    /// was written, in the order of `rows`. No commit inside; any error leaves the
    /// transaction to be rolled back.
    pub async fn record_check_ins(
        &mut self,
        rows: &[&NewCheckIn],
        audit: impl Fn(usize, &CheckInRecorded) -> NewAuditEvent,
    ) -> Result<Vec<CheckInRecorded>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let keys = rows
            .iter()
            .map(|c| visitor_key(c))
            .collect::<Result<Vec<_>>>()?;
        let marks = Marks::of(self.tx.backend_name());
        let mut persons = self.find_visitors(marks, &keys).await?;
        let created = self
            .create_visitors(marks, rows, &keys, &mut persons)
            .await?;
        let person_of = |i: usize| persons.get(&keys[i]).copied();
        let mut person_ids = Vec::with_capacity(rows.len());
        for i in 0..rows.len() {
            person_ids.push(person_of(i).ok_or_else(|| {
                StoreError::Invalid("a visitor was neither found nor created".into())
            })?);
        }
        let presence_ids = self.insert_presences(marks, rows, &person_ids).await?;
        let check_in_ids = self
            .insert_check_ins(marks, rows, &person_ids, &presence_ids)
            .await?;
        let recorded: Vec<CheckInRecorded> = (0..rows.len())
            .map(|i| CheckInRecorded {
                check_in_id: check_in_ids[i],
                person_id: person_ids[i],
                person_created: created.get(&keys[i]) == Some(&i),
                presence_id: presence_ids[i],
            })
            .collect();
        let events: Vec<NewAuditEvent> = recorded
            .iter()
            .enumerate()
            .map(|(i, r)| audit(i, r))
            .collect();
        let columns = NewAuditEvent::TABLE.data_columns();
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            let mut sink = ArgSink::with_capacity(chunk.len() * columns.len());
            for e in chunk {
                e.write(&mut sink);
            }
            let sql = format!(
                "insert into audit_event ({}) values {}",
                columns.join(", "),
                placeholders(marks, chunk.len(), columns.len(), 1)
            );
            sqlx::query_with(&sql, sink.finish()?)
                .execute(&mut *self.tx)
                .await
                .map_err(|e| classify(e, |_| None))?;
        }
        Ok(recorded)
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

    /// Creates the visitors not found (once each, from their first check-in of the
    /// batch); adds them to `persons`; returns, for each, the index of the check-in
    /// that created it.
    async fn create_visitors(
        &mut self,
        marks: Marks,
        rows: &[&NewCheckIn],
        keys: &[VisitorKey],
        persons: &mut HashMap<VisitorKey, i64>,
    ) -> Result<HashMap<VisitorKey, usize>> {
        let mut creators: HashMap<VisitorKey, usize> = HashMap::new();
        let mut new: Vec<(usize, NewPerson)> = Vec::new();
        for (i, (c, k)) in rows.iter().zip(keys).enumerate() {
            if persons.contains_key(k) || creators.contains_key(k) {
                continue;
            }
            creators.insert(k.clone(), i);
            let v = &c.visitor;
            new.push((
                i,
                NewPerson {
                    id: None,
                    reference: v.new_reference.clone(),
                    full_name: v.full_name.clone(),
                    birth: v.birth,
                    sex: v.sex,
                    identity: v.identity.clone(),
                    nationality: "VN".to_owned(),
                    phone: v.phone.clone(),
                    address: v.address.clone(),
                    unit_code: None,
                    household_id: None,
                },
            ));
        }
        let columns = NewPerson::TABLE.data_columns();
        for chunk in new.chunks(ROWS_PER_STATEMENT) {
            let mut sink = ArgSink::with_capacity(chunk.len() * columns.len());
            for (_, p) in chunk {
                p.write(&mut sink);
            }
            let sql = format!(
                "insert into person ({}) values {} returning id, ref",
                columns.join(", "),
                placeholders(marks, chunk.len(), columns.len(), 1)
            );
            let returned = sqlx::query_with(&sql, sink.finish()?)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(|e| classify(e, |_| None))?;
            let by_ref: HashMap<String, i64> = returned
                .iter()
                .map(|r| Ok((r.try_get::<String, _>(1)?, r.try_get::<i64, _>(0)?)))
                .collect::<std::result::Result<_, sqlx::Error>>()?;
            for (i, p) in chunk {
                let id = by_ref.get(&p.reference).copied().ok_or_else(|| {
                    StoreError::Invalid(format!("person {} was not returned", p.reference))
                })?;
                persons.insert(keys[*i].clone(), id);
            }
        }
        Ok(creators)
    }

    /// The presences of `rows`; their ids in the order of `rows`. Identical rows
    /// (same person, place and interval) are interchangeable, so the ids returned are
    /// matched to the rows by those values.
    async fn insert_presences(
        &mut self,
        marks: Marks,
        rows: &[&NewCheckIn],
        person_ids: &[i64],
    ) -> Result<Vec<i64>> {
        let columns = NewPresence::TABLE.data_columns();
        let mut ids = Vec::with_capacity(rows.len());
        for (chunk_no, chunk) in rows.chunks(ROWS_PER_STATEMENT).enumerate() {
            let base = chunk_no * ROWS_PER_STATEMENT;
            let presences: Vec<NewPresence> = chunk
                .iter()
                .enumerate()
                .map(|(j, c)| NewPresence {
                    person_id: person_ids[base + j],
                    place_id: c.place_id,
                    interval: c.interval,
                })
                .collect();
            let mut sink = ArgSink::with_capacity(chunk.len() * columns.len());
            for p in &presences {
                p.write(&mut sink);
            }
            let sql = format!(
                "insert into presence ({}) values {} \
                 returning id, person_id, place_id, start_at, end_at",
                columns.join(", "),
                placeholders(marks, chunk.len(), columns.len(), 1)
            );
            let returned = sqlx::query_with(&sql, sink.finish()?)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(|e| classify(e, |_| None))?;
            let mut by_row: HashMap<(i64, i64, i64, i64), Vec<i64>> = HashMap::new();
            for r in &returned {
                by_row
                    .entry((r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?))
                    .or_default()
                    .push(r.try_get(0)?);
            }
            for p in &presences {
                let key = (
                    p.person_id,
                    p.place_id,
                    p.interval.start().0,
                    p.interval.end().0,
                );
                let id = by_row
                    .get_mut(&key)
                    .and_then(Vec::pop)
                    .ok_or_else(|| StoreError::Invalid("a presence was not returned".into()))?;
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// The check-in rows; their ids in the order of `rows` (matched by presence, one
    /// each).
    async fn insert_check_ins(
        &mut self,
        marks: Marks,
        rows: &[&NewCheckIn],
        person_ids: &[i64],
        presence_ids: &[i64],
    ) -> Result<Vec<i64>> {
        const COLUMNS: usize = 10;
        let now = crate::now_seconds();
        let mut ids = Vec::with_capacity(rows.len());
        for (chunk_no, chunk) in rows.chunks(ROWS_PER_STATEMENT).enumerate() {
            let base = chunk_no * ROWS_PER_STATEMENT;
            let sql = format!(
                "insert into check_in (place_id, person_id, presence_id, arrived_at, channel, \
                 phone, staff_user_id, idempotency_key, created_at, updated_at) values {} \
                 returning id, presence_id",
                placeholders(marks, chunk.len(), COLUMNS, 1)
            );
            let mut q = sqlx::query(&sql);
            for (j, c) in chunk.iter().enumerate() {
                q = q
                    .bind(c.place_id)
                    .bind(person_ids[base + j])
                    .bind(presence_ids[base + j])
                    .bind(c.interval.start().0)
                    .bind(c.channel.as_str())
                    .bind(c.visitor.phone.as_ref().map(|p| p.as_str().to_owned()))
                    .bind(c.staff_user_id)
                    .bind(c.idempotency_key.clone())
                    .bind(now)
                    .bind(now);
            }
            let returned = q.fetch_all(&mut *self.tx).await.map_err(|e| {
                classify(e, |d| {
                    (d.contains("idempotency_key") || d.contains("check_in_key"))
                        .then(|| "this idempotency key was already used".to_owned())
                })
            })?;
            let mut by_presence: HashMap<i64, i64> = HashMap::with_capacity(returned.len());
            for r in &returned {
                by_presence.insert(r.try_get(1)?, r.try_get(0)?);
            }
            for j in 0..chunk.len() {
                let id = by_presence
                    .get(&presence_ids[base + j])
                    .copied()
                    .ok_or_else(|| StoreError::Invalid("a check-in was not returned".into()))?;
                ids.push(id);
            }
        }
        Ok(ids)
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
