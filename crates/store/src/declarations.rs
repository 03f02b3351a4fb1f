//! Health declarations (`declaration`, migration 0011): one row per person declared,
//! the persons of one submission sharing `submission`; the person each is matched to
//! by identity number or created for; the follow-up list of a jurisdiction; the
//! retention purge.

use crate::error::{classify, Result, StoreError};
use crate::persons::{person_conflict, NewPerson};
use crate::{corrupt, insert_row, Store, Tx};
use chrono::NaiveDate;
use phongdich_domain::declaration::Symptom;
use phongdich_domain::declaration::{Country, DeclarationCode, DeclarationKind, Flag, FollowUp};
use phongdich_domain::{BirthDate, FullName, IdentityDocument, Phone, Sex, Timestamp, UnitCode};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Persons created by a declaration have references starting with this (`KB-` and
/// the declaration's code): the purge deletes them with their last declaration when
/// nothing else refers to them.
pub const DECLARED_PERSON_PREFIX: &str = "KB-";

/// A declaration row to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeclaration {
    /// The row's code.
    pub code: DeclarationCode,
    /// The code of the submission's first row (the declarant's).
    pub submission: DeclarationCode,
    /// Which declaration.
    pub kind: DeclarationKind,
    /// The person who declared (the submission's first person).
    pub declarant_id: i64,
    /// The person declared.
    pub person_id: i64,
    /// As declared.
    pub full_name: FullName,
    /// As declared.
    pub identity: IdentityDocument,
    /// As declared.
    pub birth: BirthDate,
    /// As declared.
    pub sex: Sex,
    /// As declared.
    pub nationality: Country,
    /// As declared (required of the declarant, optional for the others).
    pub phone: Option<Phone>,
    /// The address's province.
    pub province_code: UnitCode,
    /// The address's commune.
    pub unit_code: UnitCode,
    /// Village or residential group, free text.
    pub village: Option<String>,
    /// House number and street, free text.
    pub address: Option<String>,
    /// Provinces visited in the last 14 days.
    pub visited_provinces: Vec<UnitCode>,
    /// Places visited in the last 14 days, free text.
    pub visited_places: Option<String>,
    /// Where a traveller comes from: a province's code (domestic) or a country's
    /// (entry).
    pub origin: Option<String>,
    /// When a traveller arrives or arrived (local date).
    pub arrival_date: Option<NaiveDate>,
    /// Symptoms in the last 14 days.
    pub symptoms: Vec<Symptom>,
    /// Close contact with a case or a suspected case.
    pub case_contact: bool,
    /// Presence in an epidemic zone.
    pub epidemic_zone: bool,
    /// What flags it (empty: nothing).
    pub flags: Vec<Flag>,
    /// SHA-256 (hex) of the declaring device's cookie.
    pub device_hash: Option<String>,
    /// The form's idempotency key (the submission's first row only).
    pub client_key: Option<String>,
    /// When (from the app's clock).
    pub created_at: Timestamp,
}

/// A stored declaration row: what was declared, its id and its follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// Id.
    pub id: i64,
    /// As stored (`client_key` is not read back).
    pub declared: NewDeclaration,
    /// Follow-up status.
    pub follow_up: FollowUp,
    /// The account that followed it up.
    pub followed_up_by: Option<i64>,
    /// When.
    pub followed_up_at: Option<Timestamp>,
    /// The officer's note.
    pub follow_up_note: Option<String>,
}

/// A page of the follow-up list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpQuery {
    /// Only declarations whose commune is this unit or under it; `None`: all.
    pub unit: Option<UnitCode>,
    /// `Open` or `Done` (`None` lists nothing: those need no follow-up).
    pub status: FollowUp,
    /// Only those flagged for this reason.
    pub flag: Option<Flag>,
    /// Declared at or after (Unix seconds).
    pub since: Option<i64>,
    /// Keyset cursor: rows with a smaller id.
    pub before_id: Option<i64>,
    /// Rows per page.
    pub limit: u64,
}

const COLUMNS: &str = "id, code, submission, kind, declarant_id, person_id, full_name, id_kind, \
     id_number, birth, sex, nationality, phone, province_code, unit_code, village, address, \
     visited_provinces, visited_places, origin, arrival_date, symptoms, \
     cast(case when case_contact then 1 else 0 end as bigint) as case_contact, \
     cast(case when epidemic_zone then 1 else 0 end as bigint) as epidemic_zone, \
     flags, follow_up, followed_up_by, followed_up_at, follow_up_note, device_hash, created_at";

fn join<T>(items: &[T], text: impl Fn(&T) -> &str) -> String {
    items.iter().map(text).collect::<Vec<_>>().join(",")
}

fn split<T>(column: &'static str, s: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| parse(p).ok_or_else(|| corrupt(column, p)))
        .collect()
}

fn parse_stored_birth(s: &str) -> Option<BirthDate> {
    if s.len() == 4 {
        return s.parse().ok().map(BirthDate::Year);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(BirthDate::Date)
}

fn declaration_from_row(row: &AnyRow) -> Result<Declaration> {
    let text = |c: &'static str| -> Result<String> { Ok(row.try_get::<String, _>(c)?) };
    let opt = |c: &'static str| -> Result<Option<String>> { Ok(row.try_get(c)?) };
    let code = |c: &'static str| -> Result<DeclarationCode> {
        let v = text(c)?;
        DeclarationCode::parse(&v).map_err(|_| corrupt("declaration.code", &v))
    };
    let unit = |c: &'static str| -> Result<UnitCode> {
        let v = text(c)?;
        UnitCode::parse(&v).map_err(|_| corrupt("declaration.unit_code", &v))
    };
    let kind = text("kind")?;
    let name = text("full_name")?;
    let id_kind = text("id_kind")?;
    let id_number = text("id_number")?;
    let birth = text("birth")?;
    let sex = text("sex")?;
    let nationality = text("nationality")?;
    let follow_up = text("follow_up")?;
    let declared = NewDeclaration {
        code: code("code")?,
        submission: code("submission")?,
        kind: DeclarationKind::parse(&kind).map_err(|_| corrupt("declaration.kind", &kind))?,
        declarant_id: row.try_get("declarant_id")?,
        person_id: row.try_get("person_id")?,
        full_name: FullName::parse(&name).map_err(|_| corrupt("declaration.full_name", &name))?,
        identity: match id_kind.as_str() {
            "cccd" => IdentityDocument::Cccd(id_number),
            "cmnd" => IdentityDocument::Cmnd(id_number),
            "passport" => IdentityDocument::Passport(id_number),
            _ => return Err(corrupt("declaration.id_kind", &id_kind)),
        },
        birth: parse_stored_birth(&birth).ok_or_else(|| corrupt("declaration.birth", &birth))?,
        sex: Sex::parse(&sex).map_err(|_| corrupt("declaration.sex", &sex))?,
        nationality: Country::parse(&nationality)
            .map_err(|_| corrupt("declaration.nationality", &nationality))?,
        phone: opt("phone")?
            .map(|p| Phone::parse(&p).map_err(|_| corrupt("declaration.phone", &p)))
            .transpose()?,
        province_code: unit("province_code")?,
        unit_code: unit("unit_code")?,
        village: opt("village")?,
        address: opt("address")?,
        visited_provinces: split(
            "declaration.visited_provinces",
            &text("visited_provinces")?,
            |p| UnitCode::parse(p).ok(),
        )?,
        visited_places: opt("visited_places")?,
        origin: opt("origin")?,
        arrival_date: opt("arrival_date")?
            .map(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| corrupt("declaration.arrival_date", &d))
            })
            .transpose()?,
        symptoms: split("declaration.symptoms", &text("symptoms")?, |s| {
            Symptom::parse(s).ok()
        })?,
        case_contact: row.try_get::<i64, _>("case_contact")? != 0,
        epidemic_zone: row.try_get::<i64, _>("epidemic_zone")? != 0,
        flags: split("declaration.flags", &text("flags")?, Flag::parse)?,
        device_hash: opt("device_hash")?,
        client_key: None,
        created_at: Timestamp(row.try_get("created_at")?),
    };
    Ok(Declaration {
        id: row.try_get("id")?,
        declared,
        follow_up: FollowUp::parse(&follow_up)
            .ok_or_else(|| corrupt("declaration.follow_up", &follow_up))?,
        followed_up_by: row.try_get("followed_up_by")?,
        followed_up_at: row
            .try_get::<Option<i64>, _>("followed_up_at")?
            .map(Timestamp),
        follow_up_note: opt("follow_up_note")?,
    })
}

impl Tx {
    /// The person holding `person`'s identity number, or `person` stored now: returns
    /// (id, created). Matching is by identity number only, never by name; a matched
    /// person is not changed (a public form may not rewrite a record).
    ///
    /// Another transaction that stored the same number and committed meanwhile makes
    /// this a [`StoreError::Conflict`]: drop the transaction and try again.
    pub async fn declared_person(&mut self, person: &NewPerson) -> Result<(i64, bool)> {
        let Some(doc) = &person.identity else {
            return Err(StoreError::Invalid(
                "a declared person has an identity number".into(),
            ));
        };
        let found: Option<i64> = sqlx::query_scalar("select id from person where id_number = $1")
            .bind(doc.number())
            .fetch_optional(&mut *self.tx)
            .await?;
        match found {
            Some(id) => Ok((id, false)),
            None => Ok((
                insert_row(&mut self.tx, person, person_conflict(person)).await?,
                true,
            )),
        }
    }

    /// Stores one declaration row; returns its id. A code already taken, or a form
    /// key already used by the device, is a [`StoreError::Conflict`] (drop the
    /// transaction; see [`Store::submission_by_client_key`]).
    pub async fn insert_declaration(&mut self, d: &NewDeclaration) -> Result<i64> {
        sqlx::query_scalar(
            "insert into declaration (code, submission, kind, declarant_id, person_id, \
             full_name, id_kind, id_number, birth, sex, nationality, phone, province_code, \
             unit_code, village, address, visited_provinces, visited_places, origin, \
             arrival_date, symptoms, case_contact, epidemic_zone, flags, follow_up, \
             device_hash, client_key, created_at, updated_at) values ($1, $2, $3, $4, $5, \
             $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
             $22, $23, $24, $25, $26, $27, $28, $28) returning id",
        )
        .bind(d.code.as_str())
        .bind(d.submission.as_str())
        .bind(d.kind.as_str())
        .bind(d.declarant_id)
        .bind(d.person_id)
        .bind(d.full_name.as_str())
        .bind(d.identity.kind_str())
        .bind(d.identity.number())
        .bind(d.birth.to_text())
        .bind(d.sex.as_str())
        .bind(d.nationality.as_str())
        .bind(d.phone.as_ref().map(|p| p.as_str().to_owned()))
        .bind(d.province_code.as_str())
        .bind(d.unit_code.as_str())
        .bind(d.village.clone())
        .bind(d.address.clone())
        .bind(join(&d.visited_provinces, UnitCode::as_str))
        .bind(d.visited_places.clone())
        .bind(d.origin.clone())
        .bind(d.arrival_date.map(|a| a.format("%Y-%m-%d").to_string()))
        .bind(join(&d.symptoms, |s| s.as_str()))
        .bind(d.case_contact)
        .bind(d.epidemic_zone)
        .bind(join(&d.flags, |f| f.as_str()))
        .bind(if d.flags.is_empty() {
            FollowUp::None.as_str()
        } else {
            FollowUp::Open.as_str()
        })
        .bind(d.device_hash.clone())
        .bind(d.client_key.clone())
        .bind(d.created_at.0)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(|e| {
            classify(e, |detail| {
                if detail.contains("client_key") || detail.contains("device_hash") {
                    Some("this form was already submitted".to_owned())
                } else if detail.contains("code") {
                    Some("this declaration code is taken".to_owned())
                } else {
                    None
                }
            })
        })
    }

    /// Marks declaration `id` followed up by `user_id` at `at` with `note`; returns
    /// the row as it was. An unknown id is [`StoreError::NotFound`].
    pub async fn follow_up_declaration(
        &mut self,
        id: i64,
        user_id: Option<i64>,
        at: i64,
        note: Option<&str>,
    ) -> Result<Declaration> {
        let before = sqlx::query(&format!("select {COLUMNS} from declaration where id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "declaration",
                key: id.to_string(),
            })?;
        let before = declaration_from_row(&before)?;
        sqlx::query(
            "update declaration set follow_up = 'done', followed_up_by = $1, \
             followed_up_at = $2, follow_up_note = $3, updated_at = $2 where id = $4",
        )
        .bind(user_id)
        .bind(at)
        .bind(note.map(str::to_owned))
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(before)
    }
}

impl Store {
    /// The declaration row of `code`, if any.
    pub async fn declaration_by_code(&self, code: &DeclarationCode) -> Result<Option<Declaration>> {
        let row = sqlx::query(&format!(
            "select {COLUMNS} from declaration where code = $1"
        ))
        .bind(code.as_str())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(declaration_from_row).transpose()
    }

    /// The rows of a submission, the declarant's first.
    pub async fn declarations_of_submission(
        &self,
        submission: &DeclarationCode,
    ) -> Result<Vec<Declaration>> {
        let rows = sqlx::query(&format!(
            "select {COLUMNS} from declaration where submission = $1 order by id"
        ))
        .bind(submission.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(declaration_from_row).collect()
    }

    /// The submission a device made with form key `key`, if any.
    pub async fn submission_by_client_key(
        &self,
        device_hash: &str,
        key: &str,
    ) -> Result<Option<DeclarationCode>> {
        let code: Option<String> = sqlx::query_scalar(
            "select submission from declaration where device_hash = $1 and client_key = $2",
        )
        .bind(device_hash)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        code.map(|c| DeclarationCode::parse(&c).map_err(|_| corrupt("declaration.submission", &c)))
            .transpose()
    }

    /// A page of the follow-up list, newest first.
    pub async fn follow_up_list(&self, q: &FollowUpQuery) -> Result<Vec<Declaration>> {
        let mut sql = format!("select {COLUMNS} from declaration where follow_up = $1");
        if let Some(unit) = &q.unit {
            sql.push_str(&format!(
                " and unit_code in ({})",
                self.units_in(unit).await?
            ));
        }
        if let Some(flag) = q.flag {
            // Flags are stable identifiers without commas or quotes.
            sql.push_str(&format!(
                " and (',' || flags || ',') like '%,{},%'",
                flag.as_str()
            ));
        }
        sql.push_str(" and id < $2 and created_at >= $3 order by id desc limit $4");
        let rows = sqlx::query(&sql)
            .bind(q.status.as_str())
            .bind(q.before_id.unwrap_or(i64::MAX))
            .bind(q.since.unwrap_or(i64::MIN))
            .bind(i64::try_from(q.limit).unwrap_or(i64::MAX))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(declaration_from_row).collect()
    }

    /// How many declaration rows there are (for tests and the purge's report).
    pub async fn declaration_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("select cast(count(*) as bigint) from declaration")
            .fetch_one(self.pool())
            .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }
}
