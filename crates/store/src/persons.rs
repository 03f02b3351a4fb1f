//! Persons and households: insert, look up, search by name without diacritics, by
//! identity number or by phone.

use crate::backend::{BulkRow, FieldSink, Table};
use crate::error::{Result, StoreError};
use crate::{corrupt, Store};
use phongdich_domain::text::fold;
use phongdich_domain::{BirthDate, FullName, IdentityDocument, Phone, Sex, Timestamp, UnitCode};
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) static HOUSEHOLD: Table = Table {
    name: "household",
    columns: &["id", "ref", "unit_code", "address"],
    has_id: true,
    deferred_indexes: &[],
    foreign_keys: &[],
};

pub(crate) static PERSON: Table = Table {
    name: "person",
    columns: &[
        "id",
        "ref",
        "full_name",
        "name_folded",
        "birth",
        "sex",
        "id_kind",
        "id_number",
        "nationality",
        "phone",
        "address",
        "unit_code",
        "household_id",
    ],
    has_id: true,
    deferred_indexes: &[],
    foreign_keys: &[],
};

/// A household to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHousehold {
    /// Id to store it under; `None` lets the store choose.
    pub id: Option<i64>,
    /// Reference, unique (`H000017`).
    pub reference: String,
    /// The village (or commune) it lives in.
    pub unit_code: UnitCode,
    /// Address.
    pub address: Option<String>,
}

impl BulkRow for NewHousehold {
    const TABLE: &'static Table = &HOUSEHOLD;
    fn id(&self) -> Option<i64> {
        self.id
    }
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>) {
        out.text(&self.reference);
        out.text(self.unit_code.as_str());
        out.opt_text(self.address.as_deref());
    }
}

/// A stored household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    /// Id.
    pub id: i64,
    /// Reference.
    pub reference: String,
    /// Village or commune.
    pub unit_code: UnitCode,
    /// Address.
    pub address: Option<String>,
}

/// A person to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPerson {
    /// Id to store it under; `None` lets the store choose.
    pub id: Option<i64>,
    /// Reference, unique: the person's id in interchange files (`P0000123`).
    pub reference: String,
    /// Full name.
    pub full_name: FullName,
    /// Date or year of birth.
    pub birth: Option<BirthDate>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Identity document; its number is unique among persons.
    pub identity: Option<IdentityDocument>,
    /// ISO 3166 country code of nationality (`VN`).
    pub nationality: String,
    /// Phone.
    pub phone: Option<Phone>,
    /// Address.
    pub address: Option<String>,
    /// Village or commune of residence.
    pub unit_code: Option<UnitCode>,
    /// Household id.
    pub household_id: Option<i64>,
}

impl BulkRow for NewPerson {
    const TABLE: &'static Table = &PERSON;
    fn id(&self) -> Option<i64> {
        self.id
    }
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>) {
        out.text(&self.reference);
        out.text(self.full_name.as_str());
        out.owned_text(self.full_name.folded());
        match self.birth {
            Some(b) => out.owned_text(b.to_text()),
            None => out.opt_text(None),
        }
        out.opt_text(self.sex.map(Sex::as_str));
        out.opt_text(self.identity.as_ref().map(IdentityDocument::kind_str));
        out.opt_text(self.identity.as_ref().map(IdentityDocument::number));
        out.text(&self.nationality);
        out.opt_text(self.phone.as_ref().map(Phone::as_str));
        out.opt_text(self.address.as_deref());
        out.opt_text(self.unit_code.as_ref().map(UnitCode::as_str));
        out.opt_int(self.household_id);
    }
}

/// A stored person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Id.
    pub id: i64,
    /// Reference (interchange id).
    pub reference: String,
    /// Full name.
    pub full_name: FullName,
    /// Date or year of birth.
    pub birth: Option<BirthDate>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Identity document.
    pub identity: Option<IdentityDocument>,
    /// Nationality (ISO code).
    pub nationality: String,
    /// Phone.
    pub phone: Option<Phone>,
    /// Address.
    pub address: Option<String>,
    /// Village or commune of residence.
    pub unit_code: Option<UnitCode>,
    /// Household id.
    pub household_id: Option<i64>,
    /// When the record was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A search over persons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonQuery {
    /// A name (any case, with or without diacritics, prefix or part), an identity
    /// number or a phone number. Empty lists everyone.
    pub text: String,
    /// Only persons living in this unit or under it (a district finds its communes and
    /// their villages, a commune its villages).
    pub unit: Option<UnitCode>,
    /// Rows to skip. Past the last match the page is empty (with the true total); an
    /// offset past `i64::MAX` counts as `i64::MAX`.
    pub offset: u64,
    /// Rows to return (at most 500; 0 means 50).
    pub limit: u64,
}

/// One page of results and the total number that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows matched in all.
    pub total: u64,
}

pub(crate) const PERSON_COLUMNS: &str =
    "id, ref, full_name, birth, sex, id_kind, id_number, nationality, \
     phone, address, unit_code, household_id, created_at, updated_at";

/// Parses a stored birth: `YYYY-MM-DD` or `YYYY`.
fn parse_birth(s: &str) -> Option<BirthDate> {
    if s.len() == 4 {
        return s.parse().ok().map(BirthDate::Year);
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(BirthDate::Date)
}

pub(crate) fn person_from_row(row: &AnyRow) -> Result<Person> {
    let full_name: String = row.try_get("full_name")?;
    let birth: Option<String> = row.try_get("birth")?;
    let sex: Option<String> = row.try_get("sex")?;
    let id_kind: Option<String> = row.try_get("id_kind")?;
    let id_number: Option<String> = row.try_get("id_number")?;
    let phone: Option<String> = row.try_get("phone")?;
    let unit: Option<String> = row.try_get("unit_code")?;
    let identity = match (id_kind.as_deref(), id_number) {
        (Some("cccd"), Some(n)) => Some(IdentityDocument::Cccd(n)),
        (Some("cmnd"), Some(n)) => Some(IdentityDocument::Cmnd(n)),
        (Some("passport"), Some(n)) => Some(IdentityDocument::Passport(n)),
        (None, None) => None,
        (k, _) => return Err(corrupt("person.id_kind", k.unwrap_or_default())),
    };
    Ok(Person {
        id: row.try_get("id")?,
        reference: row.try_get("ref")?,
        full_name: FullName::parse(&full_name)
            .map_err(|_| corrupt("person.full_name", &full_name))?,
        birth: birth
            .map(|b| parse_birth(&b).ok_or_else(|| corrupt("person.birth", &b)))
            .transpose()?,
        sex: sex
            .map(|s| Sex::parse(&s).map_err(|_| corrupt("person.sex", &s)))
            .transpose()?,
        identity,
        nationality: row.try_get("nationality")?,
        phone: phone
            .map(|p| Phone::parse(&p).map_err(|_| corrupt("person.phone", &p)))
            .transpose()?,
        address: row.try_get("address")?,
        unit_code: unit
            .map(|u| UnitCode::parse(&u).map_err(|_| corrupt("person.unit_code", &u)))
            .transpose()?,
        household_id: row.try_get("household_id")?,
        created_at: Timestamp(row.try_get("created_at")?),
        updated_at: Timestamp(row.try_get("updated_at")?),
    })
}

/// Says in words which unique value of a person collided.
pub(crate) fn person_conflict(person: &NewPerson) -> impl Fn(&str) -> Option<String> + '_ {
    move |detail: &str| {
        if detail.contains("id_number") {
            let number = person
                .identity
                .as_ref()
                .map(IdentityDocument::number)
                .unwrap_or_default();
            Some(format!(
                "identity number {number} is already registered to another person"
            ))
        } else if detail.contains("ref") {
            Some(format!(
                "person reference {} already exists",
                person.reference
            ))
        } else {
            None
        }
    }
}

/// Escapes `%`, `_` and `\` for a `like ... escape '\'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What a search text is.
enum SearchKey {
    All,
    IdNumber(String),
    Phone(String),
    Name(String),
}

fn search_key(text: &str) -> SearchKey {
    let t = text.trim();
    if t.is_empty() {
        return SearchKey::All;
    }
    if t.chars().any(|c| c.is_ascii_digit()) {
        if let Ok(doc) = IdentityDocument::parse(t) {
            return SearchKey::IdNumber(doc.number().to_owned());
        }
        if let Ok(phone) = Phone::parse(t) {
            return SearchKey::Phone(phone.as_str().to_owned());
        }
    }
    SearchKey::Name(fold(t))
}

impl Store {
    /// Stores a household; returns its id.
    pub async fn insert_household(&self, household: &NewHousehold) -> Result<i64> {
        self.insert_one(household, |d| {
            d.contains("ref")
                .then(|| format!("household reference {} already exists", household.reference))
        })
        .await
    }

    /// One household.
    pub async fn household(&self, id: i64) -> Result<Household> {
        let row = sqlx::query("select id, ref, unit_code, address from household where id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "household",
                key: id.to_string(),
            })?;
        let unit: String = row.try_get("unit_code")?;
        Ok(Household {
            id: row.try_get("id")?,
            reference: row.try_get("ref")?,
            unit_code: UnitCode::parse(&unit).map_err(|_| corrupt("household.unit_code", &unit))?,
            address: row.try_get("address")?,
        })
    }

    /// The members of a household, by name.
    pub async fn household_members(&self, household_id: i64) -> Result<Vec<Person>> {
        let rows = sqlx::query(&format!(
            "select {PERSON_COLUMNS} from person where household_id = $1 order by name_folded, id"
        ))
        .bind(household_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(person_from_row).collect()
    }

    /// Stores a person; returns the id. A duplicate identity number or reference is a
    /// [`StoreError::Conflict`] naming it.
    pub async fn insert_person(&self, person: &NewPerson) -> Result<i64> {
        self.insert_one(person, person_conflict(person)).await
    }

    /// One person by id.
    pub async fn person(&self, id: i64) -> Result<Person> {
        self.person_where("id = $1", id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "person",
                key: id.to_string(),
            })
    }

    /// The persons with these ids (those that exist), in id order.
    pub async fn persons_by_ids(&self, ids: &[i64]) -> Result<Vec<Person>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "select {PERSON_COLUMNS} from person where id in ({}) order by id",
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(self.pool()).await? {
                out.push(person_from_row(&row)?);
            }
        }
        out.sort_by_key(|p| p.id);
        Ok(out)
    }

    /// One person by reference.
    pub async fn person_by_ref(&self, reference: &str) -> Result<Person> {
        self.person_where("ref = $1", reference.to_owned())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "person",
                key: reference.to_owned(),
            })
    }

    /// The person holding an identity number, if any.
    pub async fn person_by_id_number(&self, number: &str) -> Result<Option<Person>> {
        self.person_where("id_number = $1", number.to_owned()).await
    }

    async fn person_where<T>(&self, condition: &str, value: T) -> Result<Option<Person>>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
    {
        let row = sqlx::query(&format!(
            "select {PERSON_COLUMNS} from person where {condition}"
        ))
        .bind(value)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(person_from_row).transpose()
    }

    /// Searches persons: by identity number or phone when the text is one, else by
    /// name folded without diacritics ("nguyen van an" finds "Nguyễn Văn An"), names
    /// that start with the text first, then names that contain it.
    pub async fn search_persons(&self, query: &PersonQuery) -> Result<Page<Person>> {
        let limit = match query.limit {
            0 => 50,
            n => n.min(500),
        };
        let mut conditions = Vec::new();
        let mut order = "name_folded, id";
        let (key, prefix) = match search_key(&query.text) {
            SearchKey::All => (None, None),
            SearchKey::IdNumber(n) => {
                conditions.push("id_number = $1");
                (Some(n), None)
            }
            SearchKey::Phone(p) => {
                conditions.push("phone = $1");
                (Some(p), None)
            }
            SearchKey::Name(name) => {
                conditions.push("name_folded like $1 escape '\\'");
                order =
                    "case when name_folded like $2 escape '\\' then 0 else 1 end, name_folded, id";
                let escaped = like_escape(&name);
                (Some(format!("%{escaped}%")), Some(format!("{escaped}%")))
            }
        };
        // Placeholders: $1 key, $2 prefix, $3 unit; unused ones are still bound (as
        // null) so the numbering stays fixed.
        let under;
        if let Some(unit) = &query.unit {
            under = format!(
                "unit_code in ({}) and $3 is not null",
                self.units_in(unit).await?
            );
            conditions.push(&under);
        }
        if key.is_none() {
            conditions.push("$1 is null");
        }
        if prefix.is_none() {
            conditions.push("$2 is null");
        }
        if query.unit.is_none() {
            conditions.push("$3 is null");
        }
        let filter = conditions.join(" and ");
        let unit = query.unit.as_ref().map(|u| u.as_str().to_owned());
        // The page and the total in one pass over the matches: a name search that
        // cannot use an index (a substring, province-wide) scans the names once, not
        // twice.
        let sql = format!(
            "select {PERSON_COLUMNS}, cast(count(*) over () as bigint) as total_matches \
             from person where {filter} order by {order} limit {limit} offset {}",
            crate::sql_offset(query.offset)
        );
        let rows = sqlx::query(&sql)
            .bind(key.clone())
            .bind(prefix.clone())
            .bind(unit.clone())
            .fetch_all(self.pool())
            .await?;
        let total: i64 = match rows.first() {
            Some(row) => row.try_get("total_matches")?,
            // Past the last page (or nothing matches): the window saw no row.
            None if query.offset == 0 => 0,
            None => {
                let count_sql =
                    format!("select cast(count(*) as bigint) from person where {filter}");
                sqlx::query_scalar(&count_sql)
                    .bind(key)
                    .bind(prefix)
                    .bind(unit)
                    .fetch_one(self.pool())
                    .await?
            }
        };
        Ok(Page {
            items: rows.iter().map(person_from_row).collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_classified() {
        assert!(
            matches!(search_key("001 203 004 567"), SearchKey::IdNumber(n) if n == "001203004567")
        );
        assert!(matches!(search_key("+84 912 345 678"), SearchKey::Phone(p) if p == "0912345678"));
        assert!(matches!(search_key("Nguyễn Văn An"), SearchKey::Name(n) if n == "nguyen van an"));
        assert!(matches!(search_key("  "), SearchKey::All));
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("a%b_c\\"), "a\\%b\\_c\\\\");
    }
}
