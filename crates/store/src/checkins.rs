//! Check-ins at venues (migration 0010): the one write of a check-in
//! ([`Tx::record_check_in`]: the visitor found or created, the presence the tracing
//! engine reads, the check-in row and its audit event, in the caller's transaction),
//! check-out, and the reads of the venue page and of a repeated submission.

use crate::audit::{self, NewAuditEvent};
use crate::error::{classify, Result, StoreError};
use crate::persons::{person_conflict, NewPerson};
use crate::places::NewPresence;
use crate::tx::Tx;
use crate::{corrupt, insert_row, Store};
use phongdich_domain::{
    BirthDate, CheckInChannel, FullName, IdentityDocument, Interval, Phone, Sex, Timestamp,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Who checks in, and how to find them among the persons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    /// Full name.
    pub full_name: FullName,
    /// Phone. Without an identity document the person is the one with this phone and
    /// this name (folded); never by name alone.
    pub phone: Option<Phone>,
    /// Identity document: when given, the person is the one holding its number.
    pub identity: Option<IdentityDocument>,
    /// Date or year of birth (for a person created now).
    pub birth: Option<BirthDate>,
    /// Sex (likewise).
    pub sex: Option<Sex>,
    /// Address (likewise).
    pub address: Option<String>,
    /// The reference a person created now gets (unique, chosen by the caller).
    pub new_reference: String,
}

impl Visitor {
    /// The person this visitor becomes when no stored person is them.
    pub(crate) fn new_person(&self) -> NewPerson {
        NewPerson {
            id: None,
            reference: self.new_reference.clone(),
            full_name: self.full_name.clone(),
            birth: self.birth,
            sex: self.sex,
            identity: self.identity.clone(),
            nationality: "VN".to_owned(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            unit_code: None,
            household_id: None,
        }
    }
}

/// One check-in to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckIn {
    /// The venue (a place of kind venue).
    pub place_id: i64,
    /// Who.
    pub visitor: Visitor,
    /// From arrival to the end of the venue's default stay.
    pub interval: Interval,
    /// How it came in.
    pub channel: CheckInChannel,
    /// The staff account that checked the person in (`None`: the person themself).
    pub staff_user_id: Option<i64>,
    /// The client's idempotency key: unique among check-ins.
    pub idempotency_key: Option<String>,
}

/// What [`Tx::record_check_in`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInRecorded {
    /// The check-in.
    pub check_in_id: i64,
    /// The person (found or created).
    pub person_id: i64,
    /// Whether the person was created now.
    pub person_created: bool,
    /// The presence the engine reads.
    pub presence_id: i64,
}

/// A stored check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    /// Id.
    pub id: i64,
    /// The venue.
    pub place_id: i64,
    /// The person.
    pub person_id: i64,
    /// The presence.
    pub presence_id: i64,
    /// Arrival.
    pub arrived_at: Timestamp,
    /// Check-out, if the visitor checked out.
    pub left_at: Option<Timestamp>,
    /// The end of the presence: the check-out, or the end of the default stay.
    pub until: Timestamp,
    /// How it came in.
    pub channel: CheckInChannel,
    /// The phone given.
    pub phone: Option<String>,
    /// The staff account that checked the person in.
    pub staff_user_id: Option<i64>,
    /// The client's idempotency key.
    pub idempotency_key: Option<String>,
}

const CHECK_IN_SELECT: &str = "select c.id, c.place_id, c.person_id, c.presence_id, \
     c.arrived_at, c.left_at, pr.end_at, c.channel, c.phone, c.staff_user_id, \
     c.idempotency_key from check_in c join presence pr on pr.id = c.presence_id";

fn check_in_from_row(row: &AnyRow) -> Result<CheckIn> {
    let channel: String = row.try_get("channel")?;
    let left: Option<i64> = row.try_get("left_at")?;
    Ok(CheckIn {
        id: row.try_get("id")?,
        place_id: row.try_get("place_id")?,
        person_id: row.try_get("person_id")?,
        presence_id: row.try_get("presence_id")?,
        arrived_at: Timestamp(row.try_get("arrived_at")?),
        left_at: left.map(Timestamp),
        until: Timestamp(row.try_get("end_at")?),
        channel: CheckInChannel::parse(&channel)
            .ok_or_else(|| corrupt("check_in.channel", &channel))?,
        phone: row.try_get("phone")?,
        staff_user_id: row.try_get("staff_user_id")?,
        idempotency_key: row.try_get("idempotency_key")?,
    })
}

/// The conflict of a key the visitor used before.
pub(crate) fn key_used() -> StoreError {
    StoreError::Conflict("this idempotency key was already used".into())
}

/// A failed insert of check-ins: PostgreSQL's unique index on (person, key) refused a
/// key that a concurrent transaction used first; anything else as it is.
pub(crate) fn classify_key_conflict(e: sqlx::Error) -> StoreError {
    classify(e, |d| {
        (d.contains("idempotency_key") || d.contains("check_in_person_key"))
            .then(|| "this idempotency key was already used".to_owned())
    })
}

/// The person a visitor is: the one holding their identity number, else the first
/// (lowest id) with their phone and folded name; never by name alone.
pub(crate) async fn find_visitor(conn: &mut AnyConnection, v: &Visitor) -> Result<Option<i64>> {
    match (&v.identity, &v.phone) {
        (Some(doc), _) => Ok(
            sqlx::query_scalar("select id from person where id_number = $1")
                .bind(doc.number())
                .fetch_optional(conn)
                .await?,
        ),
        (None, Some(phone)) => Ok(sqlx::query_scalar(
            "select id from person where phone = $1 and name_folded = $2 \
             order by id limit 1",
        )
        .bind(phone.as_str())
        .bind(v.full_name.folded())
        .fetch_optional(conn)
        .await?),
        (None, None) => Err(StoreError::Invalid(
            "a visitor needs a phone or an identity document".into(),
        )),
    }
}

/// The check-in that person `person_id` made with idempotency key `key`, if any
/// (check_in_person_key_idx: a key names one visitor's submission).
async fn check_in_of_key(
    conn: &mut AnyConnection,
    person_id: i64,
    key: &str,
) -> Result<Option<CheckIn>> {
    let row = sqlx::query(&format!(
        "{CHECK_IN_SELECT} where c.person_id = $1 and c.idempotency_key = $2 \
         order by c.id limit 1"
    ))
    .bind(person_id)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(check_in_from_row).transpose()
}

/// Whether a conflict came from the idempotency key (a repeated submission) rather
/// than from the person (an identity number stored meanwhile by another transaction).
pub fn is_key_conflict(e: &StoreError) -> bool {
    matches!(e, StoreError::Conflict(m) if m.contains("idempotency key"))
}

impl Tx {
    /// Records one check-in: finds the visitor (by identity number, else by phone and
    /// name) or creates them, stores the presence `[arrival, end of the default
    /// stay]`, the check-in and the audit event that `audit` makes of what was
    /// written, all in this transaction. The caller commits and then tells the engine
    /// about the presence.
    ///
    /// A key the visitor used before is a [`StoreError::Conflict`] for which
    /// [`is_key_conflict`] holds (drop the transaction and read
    /// [`Store::check_in_by_key`]): found by a look-up among the visitor's check-ins,
    /// which no other write can overtake on SQLite (`begin immediate`), and on
    /// PostgreSQL also by the unique index on (person, key); another
    /// conflict means the visitor's identity number was stored by a transaction that
    /// committed meanwhile (PostgreSQL): drop the transaction and try again.
    pub async fn record_check_in(
        &mut self,
        c: &NewCheckIn,
        audit: impl FnOnce(&CheckInRecorded) -> NewAuditEvent,
    ) -> Result<CheckInRecorded> {
        let v = &c.visitor;
        let found = find_visitor(&mut self.tx, v).await?;
        if let (Some(person_id), Some(key)) = (found, c.idempotency_key.as_deref()) {
            if check_in_of_key(&mut self.tx, person_id, key)
                .await?
                .is_some()
            {
                return Err(key_used());
            }
        }
        let (person_id, person_created) = match found {
            Some(id) => (id, false),
            None => {
                let person = v.new_person();
                (
                    insert_row(&mut self.tx, &person, person_conflict(&person)).await?,
                    true,
                )
            }
        };
        let presence_id = insert_row(
            &mut self.tx,
            &NewPresence {
                person_id,
                place_id: c.place_id,
                interval: c.interval,
            },
            |_| None,
        )
        .await?;
        let now = crate::now_seconds();
        let check_in_id: i64 = sqlx::query_scalar(
            "insert into check_in (place_id, person_id, presence_id, arrived_at, channel, \
             phone, staff_user_id, idempotency_key, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) returning id",
        )
        .bind(c.place_id)
        .bind(person_id)
        .bind(presence_id)
        .bind(c.interval.start().0)
        .bind(c.channel.as_str())
        .bind(v.phone.as_ref().map(|p| p.as_str().to_owned()))
        .bind(c.staff_user_id)
        .bind(c.idempotency_key.clone())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(classify_key_conflict)?;
        let recorded = CheckInRecorded {
            check_in_id,
            person_id,
            person_created,
            presence_id,
        };
        audit::insert_event(&mut self.tx, &audit(&recorded)).await?;
        Ok(recorded)
    }

    /// Checks a visitor out at `at`: the check-in's `left_at`, and its presence now
    /// ends then (not before it began). Returns the check-in as it is now;
    /// [`StoreError::NotFound`] when there is no such check-in.
    pub async fn check_out(&mut self, check_in_id: i64, at: Timestamp) -> Result<CheckIn> {
        let row = sqlx::query(&format!("{CHECK_IN_SELECT} where c.id = $1"))
            .bind(check_in_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let c = row
            .as_ref()
            .map(check_in_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound {
                what: "check-in",
                key: check_in_id.to_string(),
            })?;
        let left = Timestamp(at.0.max(c.arrived_at.0));
        let now = crate::now_seconds();
        sqlx::query("update check_in set left_at = $2, updated_at = $3 where id = $1")
            .bind(c.id)
            .bind(left.0)
            .bind(now)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("update presence set end_at = $2, updated_at = $3 where id = $1")
            .bind(c.presence_id)
            .bind(left.0)
            .bind(now)
            .execute(&mut *self.tx)
            .await?;
        Ok(CheckIn {
            left_at: Some(left),
            until: left,
            ..c
        })
    }
}

impl Store {
    /// One check-in.
    pub async fn check_in(&self, id: i64) -> Result<CheckIn> {
        let row = sqlx::query(&format!("{CHECK_IN_SELECT} where c.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(check_in_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound {
                what: "check-in",
                key: id.to_string(),
            })
    }

    /// The check-in that `visitor` made with idempotency key `key`, if any: a key
    /// names a submission of one visitor, so the same key from someone else is not
    /// theirs.
    pub async fn check_in_by_key(&self, visitor: &Visitor, key: &str) -> Result<Option<CheckIn>> {
        let mut conn = self.pool().acquire().await?;
        let Some(person_id) = find_visitor(&mut conn, visitor).await? else {
            return Ok(None);
        };
        check_in_of_key(&mut conn, person_id, key).await
    }

    /// A venue's latest check-ins, newest first.
    pub async fn check_ins_at_venue(&self, place_id: i64, limit: u32) -> Result<Vec<CheckIn>> {
        let rows = sqlx::query(&format!(
            "{CHECK_IN_SELECT} where pr.place_id = $1 order by pr.start_at desc, pr.id desc \
             limit {}",
            limit.min(500)
        ))
        .bind(place_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(check_in_from_row).collect()
    }

    /// How many check-ins a venue had since `since`.
    pub async fn check_in_count_at_venue(&self, place_id: i64, since: Timestamp) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "select cast(count(*) as bigint) from presence pr \
             join check_in c on c.presence_id = pr.id \
             where pr.place_id = $1 and pr.start_at >= $2",
        )
        .bind(place_id)
        .bind(since.0)
        .fetch_one(self.pool())
        .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }
}
