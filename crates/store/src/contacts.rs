//! Direct contacts between two persons over an interval.

use crate::backend::{BulkRow, FieldSink, Table};
use crate::error::{Result, StoreError};
use crate::places::interval_from_row;
use crate::{corrupt, Store};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use phongdich_domain::{AdminLevel, Interval, Timestamp, UnitCode};
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) static CONTACT: Table = Table {
    name: "contact",
    columns: &["id", "a_id", "b_id", "start_at", "end_at", "setting"],
    has_id: true,
    deferred_indexes: &[
        (
            "contact_a_idx",
            "create index contact_a_idx on contact (a_id, start_at, b_id)",
        ),
        (
            "contact_b_idx",
            "create index contact_b_idx on contact (b_id, start_at, a_id)",
        ),
        (
            "contact_start_idx",
            "create index contact_start_idx on contact (start_at, id, a_id, b_id)",
        ),
    ],
    foreign_keys: &[
        (
            "contact_a_id_fkey",
            "foreign key (a_id) references person (id)",
        ),
        (
            "contact_b_id_fkey",
            "foreign key (b_id) references person (id)",
        ),
    ],
};

/// A contact to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    /// One person's id.
    pub a_id: i64,
    /// The other's.
    pub b_id: i64,
    /// When.
    pub interval: Interval,
    /// Where or how (household, village, work...), free text.
    pub setting: Option<String>,
}

impl BulkRow for NewContact {
    const TABLE: &'static Table = &CONTACT;
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>) {
        out.int(self.a_id);
        out.int(self.b_id);
        out.int(self.interval.start().0);
        out.int(self.interval.end().0);
        out.opt_text(self.setting.as_deref());
    }
}

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Id.
    pub id: i64,
    /// One person's id.
    pub a_id: i64,
    /// The other's.
    pub b_id: i64,
    /// When.
    pub interval: Interval,
    /// Setting.
    pub setting: Option<String>,
}

/// A contact as the tracing engine reads it: who met whom, when (without the
/// setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactSpan {
    /// Id.
    pub id: i64,
    /// One person's id.
    pub a_id: i64,
    /// The other's.
    pub b_id: i64,
    /// When.
    pub interval: Interval,
}

/// The full contact scan of [`Store::contact_batches`], in id order.
const CONTACT_SCAN: &str = "select id, a_id, b_id, start_at, end_at from contact order by id";
/// Columns of [`CONTACT_SCAN`].
const CONTACT_SCAN_COLUMNS: usize = 5;

/// A page of the contact list of a jurisdiction: newest first, continued after the
/// last row of the previous page (keyset pagination: every page costs the same).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactQuery {
    /// Only contacts where at least one of the two lives in this unit or under it;
    /// `None`: every contact.
    pub unit: Option<UnitCode>,
    /// Continue after this `(start, id)`: the last row of the previous page.
    pub after: Option<(Timestamp, i64)>,
    /// Rows to return (at most 500; 0 means 50).
    pub limit: u64,
}

/// A unit's contact list walks every contact newest first when at least one contact in
/// this many is its own (see [`Store::contact_list`]).
pub const WALK_DENSITY: i64 = 1_000;

/// The contacts of the persons living in the units `under` (a literal list from
/// [`Store::units_in`]; the unit stays bound to `$1`), each once: `select {columns}`
/// (of `contact c`) through the first person, `union all` through the second when the
/// first is not under the unit; `extra` is added to both filters.
fn contacts_under(under: &str, columns: &str, extra: &str) -> String {
    format!(
        "select {columns} from person p join contact c on c.a_id = p.id \
         where p.unit_code in ({under}) and $1 is not null {extra} \
         union all \
         select {columns} from person p join contact c on c.b_id = p.id \
         where p.unit_code in ({under}) {extra} \
         and c.a_id not in (select id from person where unit_code in ({under}))"
    )
}

/// One page of the full contact scan: the contacts after id `$1`, in id order.
const CONTACT_SCAN_PAGE: &str = "select id, a_id, b_id, start_at, end_at, setting from contact \
     where id > $1 order by id limit 10000";
/// Rows per page of [`CONTACT_SCAN_PAGE`].
const CONTACT_SCAN_PAGE_ROWS: usize = 10_000;

fn contact_from_row(row: &AnyRow) -> Result<Contact> {
    Ok(Contact {
        id: row.try_get("id")?,
        a_id: row.try_get("a_id")?,
        b_id: row.try_get("b_id")?,
        interval: interval_from_row(row, "contact.start_at/end_at")?,
        setting: row.try_get("setting")?,
    })
}

impl Store {
    /// Stores a contact; returns its id.
    pub async fn insert_contact(&self, contact: &NewContact) -> Result<i64> {
        self.insert_one(contact, |_| None).await
    }

    /// A person's contacts, from either side, in time order.
    pub async fn contacts_of_person(&self, person_id: i64) -> Result<Vec<Contact>> {
        let rows = sqlx::query(
            "select id, a_id, b_id, start_at, end_at, setting from contact where a_id = $1 \
             union all \
             select id, a_id, b_id, start_at, end_at, setting from contact where b_id = $1 and a_id <> $1 \
             order by start_at, id",
        )
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(contact_from_row).collect()
    }

    /// Every contact, in id order, as a stream. It reads pages of 10,000 contacts by
    /// id, each its own short statement, so it is not one snapshot: a contact added
    /// while it runs is seen if its id comes after the page being read. The pages run
    /// on the backend's scan pool (statements logged at debug level, no statement
    /// timeout), not on the shared pool.
    pub fn stream_contacts(&self) -> BoxStream<'_, Result<Contact>> {
        stream::try_unfold(Some(i64::MIN), move |after| async move {
            let Some(after) = after else { return Ok(None) };
            let rows = sqlx::query(CONTACT_SCAN_PAGE)
                .bind(after)
                .fetch_all(self.inner.backend.scan_pool())
                .await?;
            let page = rows
                .iter()
                .map(contact_from_row)
                .collect::<Result<Vec<_>>>()?;
            if page.is_empty() {
                return Ok(None);
            }
            let next = match page.last() {
                Some(last) if page.len() == CONTACT_SCAN_PAGE_ROWS => Some(last.id),
                _ => None,
            };
            Ok::<_, StoreError>(Some((
                stream::iter(page.into_iter().map(Ok::<_, StoreError>)),
                next,
            )))
        })
        .try_flatten()
        .boxed()
    }

    /// Every contact, in id order, in batches of thousands, without their settings:
    /// the tracing engine's read at start, by the backend's fastest path
    /// (`Backend::scan_i64`), one statement (one snapshot). The same contacts as
    /// [`Store::stream_contacts`] (`tests/contract.rs`,
    /// `fast_scans_return_the_rows_of_the_paged_reads`).
    pub fn contact_batches(&self) -> BoxStream<'_, Result<Vec<ContactSpan>>> {
        self.inner
            .backend
            .scan_i64(CONTACT_SCAN, CONTACT_SCAN_COLUMNS)
            .map(|values| {
                values?
                    .chunks_exact(CONTACT_SCAN_COLUMNS)
                    .map(|row| {
                        let (start, end) = (row[3], row[4]);
                        Ok(ContactSpan {
                            id: row[0],
                            a_id: row[1],
                            b_id: row[2],
                            interval: Interval::new(Timestamp(start), Timestamp(end)).map_err(
                                |_| corrupt("contact.start_at/end_at", &format!("{start}..{end}")),
                            )?,
                        })
                    })
                    .collect()
            })
            .boxed()
    }

    /// One page of the contact list of a jurisdiction, newest first (by start, then
    /// id), read from indexes alone until the page's rows, in one of two ways:
    ///
    /// - a unit holding at least one contact in [`WALK_DENSITY`] walks all contacts
    ///   newest first (`contact_start_idx` holds both persons) and keeps those with a
    ///   person under the unit: a page costs about `limit * WALK_DENSITY` index entries
    ///   at worst, however many contacts the unit has (a district, a busy commune);
    /// - a sparser unit reads its persons' contacts from the per-person indexes
    ///   (`contact_a_idx`, `contact_b_idx` hold start, id and the other person): those
    ///   whose first person lives under it, then those found through the second person
    ///   whose first person does not, so none comes twice and only they are sorted.
    pub async fn contact_list(&self, query: &ContactQuery) -> Result<Vec<Contact>> {
        let limit = match query.limit {
            0 => 50,
            n => n.min(500),
        };
        // $1 unit, $2 and $3 the cursor; unused ones are bound as null.
        let cursor = match query.after {
            Some(_) => "and (c.start_at < $2 or (c.start_at = $2 and c.id < $3))",
            None => "and $2 is null and $3 is null",
        };
        let under = match &query.unit {
            Some(unit) => self.units_in(unit).await?,
            None => String::new(),
        };
        let sql = match &query.unit {
            Some(unit) if self.dense(unit, &under).await? => {
                // SQLite's planner would rather use the per-person indexes and sort.
                let hint = match self.backend() {
                    crate::BackendKind::Sqlite => "indexed by contact_start_idx",
                    crate::BackendKind::Postgres => "",
                };
                // A district's or province's persons are looked up by key as the walk
                // goes (it needs a few hundred contacts): gathering its tens of
                // thousands of persons first is 20 times slower. A commune's few
                // thousand are gathered once: the walk passes thousands of contacts
                // before it finds a page of the commune's, too many look-ups.
                let by_key = matches!(unit.level(), AdminLevel::Province | AdminLevel::District);
                let filter = if by_key {
                    format!(
                        "((select p.unit_code from person p where p.id = c.a_id) in ({under}) \
                          or (select p.unit_code from person p where p.id = c.b_id) in ({under}))"
                    )
                } else {
                    format!(
                        "(c.a_id in (select id from person where unit_code in ({under})) \
                          or c.b_id in (select id from person where unit_code in ({under})))"
                    )
                };
                format!(
                    "select c.id, c.a_id, c.b_id, c.start_at, c.end_at, c.setting from ( \
                       select c.start_at, c.id from contact c {hint} \
                       where {filter} \
                       and $1 is not null \
                       {cursor} order by c.start_at desc, c.id desc limit {limit}) top \
                     join contact c on c.id = top.id \
                     order by c.start_at desc, c.id desc"
                )
            }
            Some(_) => format!(
                "select c.id, c.a_id, c.b_id, c.start_at, c.end_at, c.setting from ( \
                   select start_at, id from ({}) u \
                   order by start_at desc, id desc limit {limit}) top \
                 join contact c on c.id = top.id \
                 order by c.start_at desc, c.id desc",
                contacts_under(&under, "c.start_at, c.id", cursor)
            ),
            None => format!(
                "select id, a_id, b_id, start_at, end_at, setting from contact c \
                 where $1 is null {cursor} order by start_at desc, id desc limit {limit}"
            ),
        };
        let rows = sqlx::query(&sql)
            .bind(query.unit.as_ref().map(|u| u.as_str().to_owned()))
            .bind(query.after.map(|a| a.0 .0))
            .bind(query.after.map(|a| a.1))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(contact_from_row).collect()
    }

    /// Whether at least one contact in [`WALK_DENSITY`] has its first person under
    /// `unit` (counted only that far: a district answers as fast as a village).
    async fn dense(&self, unit: &UnitCode, under: &str) -> Result<bool> {
        let size: Option<i64> = sqlx::query_scalar("select max(id) from contact")
            .fetch_one(self.pool())
            .await?;
        let enough = size.unwrap_or(0) / WALK_DENSITY + 1;
        let found: i64 = sqlx::query_scalar(&format!(
            "select cast(count(*) as bigint) from ( \
               select c.id from person p join contact c on c.a_id = p.id \
               where p.unit_code in ({under}) and $1 is not null limit {enough}) x"
        ))
        .bind(unit.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(found >= enough)
    }

    /// How many contacts the list of [`ContactQuery::unit`] holds.
    pub async fn contact_list_count(&self, unit: Option<&UnitCode>) -> Result<u64> {
        let n: i64 = match unit {
            Some(u) => {
                sqlx::query_scalar(&format!(
                    "select cast(count(*) as bigint) from ({}) u",
                    contacts_under(&self.units_in(u).await?, "c.id", "")
                ))
                .bind(u.as_str())
                .fetch_one(self.pool())
                .await?
            }
            None => {
                sqlx::query_scalar("select cast(count(*) as bigint) from contact")
                    .fetch_one(self.pool())
                    .await?
            }
        };
        Ok(u64::try_from(n).unwrap_or_default())
    }
}
