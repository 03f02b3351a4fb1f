//! Persons and households: insert, look up, search by name without diacritics, by
//! identity number or by phone.

use crate::backend::{BackendKind, BulkRow, FieldSink, Table};
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
    // Indexes of the name-word table the person triggers fill (migration 0009): a load
    // into an empty `person` builds them once at commit.
    deferred_indexes: &[
        (
            "person_name_word_idx",
            "create index person_name_word_idx on person_name_word (word, name_folded, person_id)",
        ),
        (
            "person_name_word_person_idx",
            "create index person_name_word_person_idx on person_name_word (person_id, word)",
        ),
    ],
    foreign_keys: &[],
};

/// The tables that triggers write when rows go into `table`: a bulk load refreshes
/// their statistics with its own tables'.
pub(crate) fn derived_tables(table: &Table) -> &'static [&'static str] {
    if table.name == PERSON.name {
        &["person_name_word"]
    } else {
        &[]
    }
}

/// A name search counts its matches up to this many; beyond, the total says "more
/// than" ([`Page::total_capped`]).
pub const SEARCH_TOTAL_CAP: u64 = 1_000;

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
///
/// A name matches when each of its words but the last is a word of the person's name
/// and the last is a word or the start of one ("nguyen van a" finds "Nguyễn Văn An"
/// and "Nguyễn Văn Anh"); names where the last is a whole word too come first, then
/// the rest; each group in name order (a prefix-only group, province-wide, by the
/// word matched, then name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonQuery {
    /// Words of a name (any case, with or without diacritics, the last one whole or
    /// its start), an identity number or a phone number. Empty lists everyone.
    pub text: String,
    /// Only persons living in this unit or under it (a district finds its communes and
    /// their villages, a commune its villages).
    pub unit: Option<UnitCode>,
    /// Rows to skip. Past the last match the page is empty (with the total); an
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
    /// How many rows matched in all; with [`Page::total_capped`], a lower bound.
    pub total: u64,
    /// The count stopped: more than `total` rows matched. A province-wide name search
    /// counts up to [`SEARCH_TOTAL_CAP`] (or just past the page asked for, if deeper).
    pub total_capped: bool,
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

    /// Searches persons: by identity number or phone when the text is one, else by the
    /// words of the name folded without diacritics (see [`PersonQuery`]).
    ///
    /// A name searched province-wide (no unit) goes through the name-word index and
    /// counts up to [`SEARCH_TOTAL_CAP`]; inside a unit it reads the unit's names
    /// (`person_unit_idx`) and counts them all.
    pub async fn search_persons(&self, query: &PersonQuery) -> Result<Page<Person>> {
        let limit = match query.limit {
            0 => 50,
            n => n.min(500),
        };
        let (key, condition) = match search_key(&query.text) {
            SearchKey::All => (None, "$1 is null"),
            SearchKey::IdNumber(n) => (Some(n), "id_number = $1"),
            SearchKey::Phone(p) => (Some(p), "phone = $1"),
            SearchKey::Name(name) => {
                let terms = NameTerms::parse(&name);
                return match &query.unit {
                    None => self.search_name_words(&terms, query.offset, limit).await,
                    Some(unit) => {
                        let units = self.units_in(unit).await?;
                        self.search_names_in(&terms, &units, query.offset, limit)
                            .await
                    }
                };
            }
        };
        let filter = match &query.unit {
            Some(unit) => format!(
                "{condition} and unit_code in ({})",
                self.units_in(unit).await?
            ),
            None => condition.to_owned(),
        };
        // The page and the total in one pass over the matches.
        let sql = format!(
            "select {PERSON_COLUMNS}, cast(count(*) over () as bigint) as total_matches \
             from person where {filter} order by name_folded, id limit {limit} offset {}",
            crate::sql_offset(query.offset)
        );
        let rows = sqlx::query(&sql)
            .bind(key.clone())
            .fetch_all(self.pool())
            .await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total_matches")?,
            None if query.offset == 0 => 0,
            None => {
                let count_sql =
                    format!("select cast(count(*) as bigint) from person where {filter}");
                sqlx::query_scalar(&count_sql)
                    .bind(key)
                    .fetch_one(self.pool())
                    .await?
            }
        };
        Ok(Page {
            items: rows.iter().map(person_from_row).collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or_default(),
            total_capped: false,
        })
    }

    /// A name search inside a jurisdiction (`units`, a literal list): the unit's names
    /// are few enough (a commune's thousands) to filter and rank them all, with the
    /// exact total in the same pass.
    async fn search_names_in(
        &self,
        terms: &NameTerms,
        units: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Page<Person>> {
        let kind = self.backend();
        let mut binds = Binds::default();
        let mut filter = vec![format!("unit_code in ({units})")];
        for word in &terms.whole {
            filter.push(has_word(
                kind,
                "name_folded",
                &binds.push(word_needle(word)),
            ));
        }
        filter.push(has_prefix(
            kind,
            "name_folded",
            &binds.push(prefix_needle(&terms.last)),
        ));
        let rank = has_word(kind, "name_folded", &binds.push(word_needle(&terms.last)));
        let filter = filter.join(" and ");
        let sql = format!(
            "select {PERSON_COLUMNS}, cast(count(*) over () as bigint) as total_matches \
             from person where {filter} \
             order by case when {rank} then 0 else 1 end, name_folded, id \
             limit {limit} offset {}",
            crate::sql_offset(offset)
        );
        let rows = binds.bind(sqlx::query(&sql)).fetch_all(self.pool()).await?;
        let total: i64 = match rows.first() {
            Some(row) => row.try_get("total_matches")?,
            None if offset == 0 => 0,
            None => {
                let sql = format!("select cast(count(*) as bigint) from person where {filter}");
                binds
                    .bind_scalar(sqlx::query_scalar(&sql))
                    .fetch_one(self.pool())
                    .await?
            }
        };
        Ok(Page {
            items: rows.iter().map(person_from_row).collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or_default(),
            total_capped: false,
        })
    }

    /// A name search over everyone, through `person_name_word`: the whole-word matches
    /// (one pass), then the prefix-only ones (another), each driven by its rarest word
    /// and read in index order, so a page costs about its rows and a count at most the
    /// cap, however common the name.
    async fn search_name_words(
        &self,
        terms: &NameTerms,
        offset: u64,
        limit: u64,
    ) -> Result<Page<Person>> {
        let empty = Page {
            items: Vec::new(),
            total: 0,
            total_capped: false,
        };
        let kind = self.backend();
        let (exact_pass, prefix_pass) = if terms.whole.is_empty() {
            // One word: it drives both passes, whose counts say if either is empty.
            (
                Some(WordPass::whole(kind, terms, &terms.last)),
                Some(WordPass::prefix_by_range(kind, terms)),
            )
        } else {
            // How common each word is, counted up to a bound: the rarest drives a pass.
            let mut exact = Vec::with_capacity(terms.whole.len() + 1);
            for word in terms.whole.iter().chain(std::iter::once(&terms.last)) {
                let n = self
                    .count_capped(
                        "select 1 from person_name_word where word = $1",
                        std::slice::from_ref(word),
                        ESTIMATE_BOUND,
                    )
                    .await?;
                if n == 0 && word != &terms.last {
                    return Ok(empty);
                }
                exact.push((n, word.clone()));
            }
            let last_exact = exact.pop().map(|(n, _)| n).unwrap_or_default();
            let prefix_n = self
                .count_capped(
                    "select 1 from person_name_word where word > $1 and word < $2",
                    &[terms.last.clone(), successor(&terms.last)],
                    ESTIMATE_BOUND,
                )
                .await?;
            let rarest_whole = exact.iter().min_by_key(|(n, _)| *n).cloned();
            let whole_driver = match &rarest_whole {
                Some((n, w)) if *n <= last_exact => w.clone(),
                _ => terms.last.clone(),
            };
            let exact_pass = (last_exact > 0).then(|| WordPass::whole(kind, terms, &whole_driver));
            let prefix_pass = match &rarest_whole {
                Some((n, w)) if *n <= prefix_n => Some(WordPass::prefix_by_word(kind, terms, w)),
                _ if prefix_n > 0 => Some(WordPass::prefix_by_range(kind, terms)),
                _ => None,
            };
            (exact_pass, prefix_pass)
        };

        // Counted exactly up to the cap, or just past the page asked for if deeper.
        let bound = offset
            .saturating_add(limit)
            .max(SEARCH_TOTAL_CAP)
            .saturating_add(1)
            .min(i64::MAX as u64);
        let mut counted = 0;
        let mut items = Vec::new();
        let mut offset_left = offset;
        for pass in [exact_pass, prefix_pass].into_iter().flatten() {
            let n = self
                .count_capped(&pass.sql_from(false), &pass.binds.0, bound - counted)
                .await?;
            counted += n;
            let wanted = limit - items.len() as u64;
            if wanted > 0 && offset_left < n {
                let sql = format!(
                    "select {} {} order by {} limit {wanted} offset {}",
                    PERSON_COLUMNS_OF_P,
                    pass.sql_from(true),
                    pass.order,
                    crate::sql_offset(offset_left)
                );
                let rows = pass
                    .binds
                    .bind(sqlx::query(&sql))
                    .fetch_all(self.pool())
                    .await?;
                for row in &rows {
                    items.push(person_from_row(row)?);
                }
            }
            offset_left = offset_left.saturating_sub(n);
            if counted >= bound {
                break;
            }
        }
        let total_capped = counted >= bound;
        Ok(Page {
            items,
            total: if total_capped { bound - 1 } else { counted },
            total_capped,
        })
    }

    /// `count(*)` of the rows `select` returns, stopping at `bound`.
    async fn count_capped(&self, select: &str, binds: &[String], bound: u64) -> Result<u64> {
        let sql = format!(
            "select cast(count(*) as bigint) from ({select} limit {}) t",
            i64::try_from(bound).unwrap_or(i64::MAX)
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for b in binds {
            q = q.bind(b.clone());
        }
        let n = q.fetch_one(self.pool()).await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }
}

/// Words counted beyond this are "common": enough to choose which word drives a pass.
const ESTIMATE_BOUND: u64 = 5_000;

/// The person columns, read from `person p` joined to the word table.
const PERSON_COLUMNS_OF_P: &str =
    "p.id, p.ref, p.full_name, p.birth, p.sex, p.id_kind, p.id_number, p.nationality, \
     p.phone, p.address, p.unit_code, p.household_id, p.created_at, p.updated_at";

/// A folded name search split into words: all but the last must be whole words of the
/// name, the last a word or the start of one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NameTerms {
    whole: Vec<String>,
    last: String,
}

impl NameTerms {
    /// `folded` is non-empty and [`fold`]ed: single spaces, none at either end.
    fn parse(folded: &str) -> Self {
        let mut words: Vec<String> = folded.split(' ').map(str::to_owned).collect();
        let last = words.pop().unwrap_or_default();
        Self { whole: words, last }
    }
}

/// Text placeholders numbered in the order they are pushed.
#[derive(Debug, Default, Clone)]
struct Binds(Vec<String>);

impl Binds {
    /// Adds a value; returns its placeholder (`$3`).
    fn push(&mut self, value: String) -> String {
        self.0.push(value);
        format!("${}", self.0.len())
    }

    fn bind<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for b in &self.0 {
            q = q.bind(b.as_str());
        }
        q
    }

    fn bind_scalar<'q>(
        &'q self,
        mut q: sqlx::query::QueryScalar<'q, sqlx::Any, i64, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryScalar<'q, sqlx::Any, i64, sqlx::any::AnyArguments<'q>> {
        for b in &self.0 {
            q = q.bind(b.as_str());
        }
        q
    }
}

/// One pass of a province-wide name search over `person_name_word w`.
struct WordPass {
    /// Conditions on `w`.
    filter: Vec<String>,
    binds: Binds,
    order: &'static str,
}

impl WordPass {
    /// Every word whole, driven by `driver` (one of them).
    fn whole(kind: BackendKind, terms: &NameTerms, driver: &str) -> Self {
        let mut pass = Self::driven_by(driver);
        for word in terms.whole.iter().chain(std::iter::once(&terms.last)) {
            if word != driver {
                let p = pass.binds.push(word_needle(word));
                pass.filter.push(has_word(kind, "w.name_folded", &p));
            }
        }
        pass
    }

    /// The last word as a prefix only, driven by `driver`, one of the whole words.
    fn prefix_by_word(kind: BackendKind, terms: &NameTerms, driver: &str) -> Self {
        let mut pass = Self::driven_by(driver);
        pass.add_whole_except(kind, terms, Some(driver));
        let p = pass.binds.push(prefix_needle(&terms.last));
        pass.filter.push(has_prefix(kind, "w.name_folded", &p));
        let p = pass.binds.push(word_needle(&terms.last));
        pass.filter
            .push(format!("not {}", has_word(kind, "w.name_folded", &p)));
        pass
    }

    /// The last word as a prefix only, driven by the range of words it starts: each
    /// person once, under the first of its words in the range, and none that has the
    /// word itself; ordered by the word matched, then name.
    fn prefix_by_range(kind: BackendKind, terms: &NameTerms) -> Self {
        let mut binds = Binds::default();
        let lo = binds.push(terms.last.clone());
        let hi = binds.push(successor(&terms.last));
        let mut pass = Self {
            filter: vec![
                format!("w.word > {lo} and w.word < {hi}"),
                format!(
                    "not exists (select 1 from person_name_word o \
                     where o.person_id = w.person_id and o.word >= {lo} and o.word < w.word)"
                ),
            ],
            binds,
            order: "w.word, w.name_folded, w.person_id",
        };
        pass.add_whole_except(kind, terms, None);
        pass
    }

    fn driven_by(word: &str) -> Self {
        let mut binds = Binds::default();
        let p = binds.push(word.to_owned());
        Self {
            filter: vec![format!("w.word = {p}")],
            binds,
            order: "w.name_folded, w.person_id",
        }
    }

    fn add_whole_except(&mut self, kind: BackendKind, terms: &NameTerms, driver: Option<&str>) {
        for word in &terms.whole {
            if Some(word.as_str()) != driver {
                let p = self.binds.push(word_needle(word));
                self.filter.push(has_word(kind, "w.name_folded", &p));
            }
        }
    }

    /// `from ... where ...`, with the persons joined for their columns or not (a count
    /// needs only the word table: every row has its person).
    fn sql_from(&self, with_person: bool) -> String {
        let join = if with_person {
            " join person p on p.id = w.person_id"
        } else {
            ""
        };
        let select = if with_person { "" } else { "select 1 " };
        format!(
            "{select}from person_name_word w{join} where {}",
            self.filter.join(" and ")
        )
    }
}

/// `needle` (a parameter) occurs in `haystack` (an SQL expression). A plain substring
/// test, not `like`: nothing to escape, and PostgreSQL does not take it for a rare
/// condition (it estimates `like` on an expression at a few rows, then reads every
/// row of a common word and sorts them instead of walking the index in name order
/// and stopping at the page: 80 ms instead of 1 ms for "lo van").
fn contains(kind: BackendKind, haystack: &str, needle: &str) -> String {
    match kind {
        BackendKind::Sqlite => format!("instr({haystack}, {needle}) > 0"),
        BackendKind::Postgres => format!("strpos({haystack}, {needle}) > 0"),
    }
}

/// The folded name in `column` has the whole word whose [`word_needle`] is bound to
/// `param`.
fn has_word(kind: BackendKind, column: &str, param: &str) -> String {
    contains(kind, &format!("' ' || {column} || ' '"), param)
}

/// The folded name in `column` has a word starting with the [`prefix_needle`] bound to
/// `param`.
fn has_prefix(kind: BackendKind, column: &str, param: &str) -> String {
    contains(kind, &format!("' ' || {column}"), param)
}

/// ` word `: a whole word inside a name padded with a space on each side.
fn word_needle(word: &str) -> String {
    format!(" {word} ")
}

/// ` word`: the start of a word inside a name padded with a space in front.
fn prefix_needle(word: &str) -> String {
    format!(" {word}")
}

/// The least string greater than every string starting with `s` (in code point order,
/// which both backends use for these words: SQLite's binary collation, PostgreSQL's
/// `C.UTF-8` or any collation on plain ASCII letters).
fn successor(s: &str) -> String {
    let mut out = s.to_owned();
    match out.pop() {
        Some(c) => out.push(char::from_u32(u32::from(c) + 1).unwrap_or(char::MAX)),
        None => out.push(char::MAX),
    }
    out
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
}
