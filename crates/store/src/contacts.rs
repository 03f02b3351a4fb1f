//! Direct contacts between two persons over an interval.

use crate::backend::{BulkRow, FieldSink, Table};
use crate::error::Result;
use crate::places::interval_from_row;
use crate::Store;
use futures_util::stream::{BoxStream, StreamExt};
use phongdich_domain::Interval;
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) static CONTACT: Table = Table {
    name: "contact",
    columns: &["id", "a_id", "b_id", "start_at", "end_at", "setting"],
    has_id: true,
    deferred_indexes: &[
        (
            "contact_a_idx",
            "create index contact_a_idx on contact (a_id, start_at)",
        ),
        (
            "contact_b_idx",
            "create index contact_b_idx on contact (b_id, start_at)",
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

/// The full contact scan, ordered by id.
const CONTACT_SCAN: &str =
    "select id, a_id, b_id, start_at, end_at, setting from contact order by id";

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

    /// Every contact, in id order, as a stream.
    pub fn stream_contacts(&self) -> BoxStream<'_, Result<Contact>> {
        sqlx::query(CONTACT_SCAN)
            .fetch(self.pool())
            .map(|row| contact_from_row(&row?))
            .boxed()
    }
}
