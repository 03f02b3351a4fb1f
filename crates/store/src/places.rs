//! Places (households' homes, rooms, trips, venues) and presences: who was where, when.

use crate::backend::{BulkRow, FieldSink, Table};
use crate::error::{Result, StoreError};
use crate::{corrupt, Store};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use phongdich_domain::{Interval, PlaceKind, Timestamp, UnitCode, VenueKind};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

pub(crate) static PLACE: Table = Table {
    name: "place",
    columns: &[
        "id",
        "ref",
        "kind",
        "venue_kind",
        "name",
        "unit_code",
        "address",
        "capacity",
        "operator",
    ],
    has_id: true,
    deferred_indexes: &[],
    foreign_keys: &[],
};

pub(crate) static PRESENCE: Table = Table {
    name: "presence",
    columns: &["id", "person_id", "place_id", "start_at", "end_at"],
    has_id: true,
    deferred_indexes: &[
        (
            "presence_place_start_idx",
            "create index presence_place_start_idx on presence (place_id, start_at)",
        ),
        (
            "presence_person_idx",
            "create index presence_person_idx on presence (person_id, start_at)",
        ),
    ],
    foreign_keys: &[
        (
            "presence_person_id_fkey",
            "foreign key (person_id) references person (id)",
        ),
        (
            "presence_place_id_fkey",
            "foreign key (place_id) references place (id)",
        ),
    ],
};

/// A place to store. A bus trip is a place of kind vehicle, with its operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlace {
    /// Id to store it under; `None` lets the store choose.
    pub id: Option<i64>,
    /// Reference, unique (`V00042`, `T000123`...).
    pub reference: String,
    /// Kind, as tracing sees it.
    pub kind: PlaceKind,
    /// What a venue is.
    pub venue_kind: Option<VenueKind>,
    /// Name.
    pub name: String,
    /// Unit where it is.
    pub unit_code: Option<UnitCode>,
    /// Address.
    pub address: Option<String>,
    /// How many people it holds at once.
    pub capacity: Option<i64>,
    /// Operator (a bus company), if any.
    pub operator: Option<String>,
}

impl BulkRow for NewPlace {
    const TABLE: &'static Table = &PLACE;
    fn id(&self) -> Option<i64> {
        self.id
    }
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>) {
        out.text(&self.reference);
        out.text(self.kind.as_str());
        out.opt_text(self.venue_kind.map(VenueKind::as_str));
        out.text(&self.name);
        out.opt_text(self.unit_code.as_ref().map(UnitCode::as_str));
        out.opt_text(self.address.as_deref());
        out.opt_int(self.capacity);
        out.opt_text(self.operator.as_deref());
    }
}

/// A stored place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Id.
    pub id: i64,
    /// Reference.
    pub reference: String,
    /// Kind.
    pub kind: PlaceKind,
    /// What a venue is.
    pub venue_kind: Option<VenueKind>,
    /// Name.
    pub name: String,
    /// Unit where it is.
    pub unit_code: Option<UnitCode>,
    /// Address.
    pub address: Option<String>,
    /// Capacity.
    pub capacity: Option<i64>,
    /// Operator.
    pub operator: Option<String>,
}

/// A presence to store: a person at a place over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewPresence {
    /// Person id.
    pub person_id: i64,
    /// Place id.
    pub place_id: i64,
    /// When.
    pub interval: Interval,
}

impl BulkRow for NewPresence {
    const TABLE: &'static Table = &PRESENCE;
    fn write<'a>(&'a self, out: &mut dyn FieldSink<'a>) {
        out.int(self.person_id);
        out.int(self.place_id);
        out.int(self.interval.start().0);
        out.int(self.interval.end().0);
    }
}

/// A stored presence, with the kind of its place (what tracing needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    /// Id.
    pub id: i64,
    /// Person id.
    pub person_id: i64,
    /// Place id.
    pub place_id: i64,
    /// The place's kind.
    pub kind: PlaceKind,
    /// When.
    pub interval: Interval,
}

/// The full presence scan, ordered by id: the table alone, read in its own order (the
/// places' kinds are read once, [`PLACE_KIND_SCAN`], and looked up in memory rather
/// than joined row by row).
const PRESENCE_SCAN: &str =
    "select id, person_id, place_id, start_at, end_at from presence order by id";
/// Columns of [`PRESENCE_SCAN`].
const PRESENCE_SCAN_COLUMNS: usize = 5;
/// Every place's kind, as its position in [`PlaceKind::ALL`] (-1 for a kind this
/// version does not know).
const PLACE_KIND_SCAN: &str = "select id, cast(case kind when 'household' then 0 \
     when 'room' then 1 when 'vehicle' then 2 when 'venue' then 3 else -1 end as bigint) \
     from place";
const PLACE_COLUMNS: &str =
    "id, ref, kind, venue_kind, name, unit_code, address, capacity, operator";
const PRESENCE_SELECT: &str =
    "select pr.id, pr.person_id, pr.place_id, pl.kind, pr.start_at, pr.end_at \
     from presence pr join place pl on pl.id = pr.place_id";

pub(crate) fn interval_from_row(row: &AnyRow, table: &'static str) -> Result<Interval> {
    let start: i64 = row.try_get("start_at")?;
    let end: i64 = row.try_get("end_at")?;
    Interval::new(Timestamp(start), Timestamp(end))
        .map_err(|_| corrupt(table, &format!("{start}..{end}")))
}

pub(crate) fn place_from_row(row: &AnyRow) -> Result<Place> {
    let kind: String = row.try_get("kind")?;
    let venue: Option<String> = row.try_get("venue_kind")?;
    let unit: Option<String> = row.try_get("unit_code")?;
    Ok(Place {
        id: row.try_get("id")?,
        reference: row.try_get("ref")?,
        kind: PlaceKind::parse(&kind).ok_or_else(|| corrupt("place.kind", &kind))?,
        venue_kind: venue
            .map(|v| VenueKind::parse(&v).ok_or_else(|| corrupt("place.venue_kind", &v)))
            .transpose()?,
        name: row.try_get("name")?,
        unit_code: unit
            .map(|u| UnitCode::parse(&u).map_err(|_| corrupt("place.unit_code", &u)))
            .transpose()?,
        address: row.try_get("address")?,
        capacity: row.try_get("capacity")?,
        operator: row.try_get("operator")?,
    })
}

fn presence_from_row(row: &AnyRow) -> Result<Presence> {
    let kind: String = row.try_get("kind")?;
    Ok(Presence {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        place_id: row.try_get("place_id")?,
        kind: PlaceKind::parse(&kind).ok_or_else(|| corrupt("place.kind", &kind))?,
        interval: interval_from_row(row, "presence.start_at/end_at")?,
    })
}

impl Store {
    /// Stores a place; returns its id.
    pub async fn insert_place(&self, place: &NewPlace) -> Result<i64> {
        self.insert_one(place, |d| {
            d.contains("ref")
                .then(|| format!("place reference {} already exists", place.reference))
        })
        .await
    }

    /// One place by id.
    pub async fn place(&self, id: i64) -> Result<Place> {
        let row = sqlx::query(&format!("select {PLACE_COLUMNS} from place where id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(place_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound {
                what: "place",
                key: id.to_string(),
            })
    }

    /// One place by reference.
    pub async fn place_by_ref(&self, reference: &str) -> Result<Place> {
        let row = sqlx::query(&format!("select {PLACE_COLUMNS} from place where ref = $1"))
            .bind(reference)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(place_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound {
                what: "place",
                key: reference.to_owned(),
            })
    }

    /// Stores a presence; returns its id.
    pub async fn insert_presence(&self, presence: &NewPresence) -> Result<i64> {
        self.insert_one(presence, |_| None).await
    }

    /// A person's presences, in time order.
    pub async fn presences_of_person(&self, person_id: i64) -> Result<Vec<Presence>> {
        let rows = sqlx::query(&format!(
            "{PRESENCE_SELECT} where pr.person_id = $1 order by pr.start_at, pr.id"
        ))
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(presence_from_row).collect()
    }

    /// The presences at a place that overlap `during`, in time order.
    pub async fn presences_at_place(
        &self,
        place_id: i64,
        during: Interval,
    ) -> Result<Vec<Presence>> {
        let rows = sqlx::query(&format!(
            "{PRESENCE_SELECT} where pr.place_id = $1 and pr.start_at <= $2 and pr.end_at >= $3 \
             order by pr.start_at, pr.id"
        ))
        .bind(place_id)
        .bind(during.end().0)
        .bind(during.start().0)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(presence_from_row).collect()
    }

    /// Up to `limit` presences with ids above `after_id`, in id order: a keyset page for
    /// callers that read the table in steps (start with 0, continue after the last id).
    pub async fn presences_after(&self, after_id: i64, limit: u32) -> Result<Vec<Presence>> {
        let rows = sqlx::query(&format!(
            "{PRESENCE_SELECT} where pr.id > $1 order by pr.id limit {limit}"
        ))
        .bind(after_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(presence_from_row).collect()
    }

    /// Every presence, in id order, as a stream (for the tracing engine: millions of
    /// rows, never all in memory at once here). See [`Store::presence_batches`].
    pub fn stream_presences(&self) -> BoxStream<'_, Result<Presence>> {
        self.presence_batches()
            .map_ok(|batch| stream::iter(batch.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Every presence, in id order, in batches of thousands: the tracing engine's
    /// read at start, by the backend's fastest path (`Backend::scan_i64`). The places'
    /// kinds are read first; a presence at a place created since is looked up alone.
    /// The same rows as [`Store::presences_after`] page by page
    /// (`tests/contract.rs`, `fast_scans_return_the_rows_of_the_paged_reads`).
    pub fn presence_batches(&self) -> BoxStream<'_, Result<Vec<Presence>>> {
        stream::once(async move {
            let kinds = self.place_kinds().await;
            let rows = self
                .inner
                .backend
                .scan_i64(PRESENCE_SCAN, PRESENCE_SCAN_COLUMNS);
            match kinds {
                Err(e) => stream::iter([Err(e)]).boxed(),
                Ok(kinds) => stream::unfold(Some((rows, kinds)), move |state| async move {
                    let (mut rows, mut kinds) = state?;
                    let values = match rows.next().await? {
                        Ok(values) => values,
                        Err(e) => return Some((Err(e), None)),
                    };
                    match self.presences_of_batch(&values, &mut kinds).await {
                        Ok(batch) => Some((Ok(batch), Some((rows, kinds)))),
                        Err(e) => Some((Err(e), None)),
                    }
                })
                .boxed(),
            }
        })
        .flatten()
        .boxed()
    }

    /// Every place's kind, by id.
    async fn place_kinds(&self) -> Result<HashMap<i64, PlaceKind>> {
        let mut kinds = HashMap::new();
        let mut rows = self.inner.backend.scan_i64(PLACE_KIND_SCAN, 2);
        while let Some(values) = rows.next().await {
            for row in values?.chunks_exact(2) {
                kinds.insert(row[0], place_kind_at(row[1])?);
            }
        }
        Ok(kinds)
    }

    /// The presences of a batch of [`PRESENCE_SCAN`] values; a place missing from
    /// `kinds` (created after they were read) is read and added.
    async fn presences_of_batch(
        &self,
        values: &[i64],
        kinds: &mut HashMap<i64, PlaceKind>,
    ) -> Result<Vec<Presence>> {
        let mut out = Vec::with_capacity(values.len() / PRESENCE_SCAN_COLUMNS);
        for row in values.chunks_exact(PRESENCE_SCAN_COLUMNS) {
            let (id, person_id, place_id, start, end) = (row[0], row[1], row[2], row[3], row[4]);
            let kind = match kinds.get(&place_id) {
                Some(&kind) => kind,
                None => {
                    let kind = self.place(place_id).await?.kind;
                    kinds.insert(place_id, kind);
                    kind
                }
            };
            out.push(Presence {
                id,
                person_id,
                place_id,
                kind,
                interval: Interval::new(Timestamp(start), Timestamp(end))
                    .map_err(|_| corrupt("presence.start_at/end_at", &format!("{start}..{end}")))?,
            });
        }
        Ok(out)
    }
}

/// The kind at position `k` of [`PlaceKind::ALL`] ([`PLACE_KIND_SCAN`]).
fn place_kind_at(k: i64) -> Result<PlaceKind> {
    usize::try_from(k)
        .ok()
        .and_then(|i| PlaceKind::ALL.get(i).copied())
        .ok_or_else(|| corrupt("place.kind", &k.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_scan_numbers_kinds_as_place_kind_all() {
        for (i, kind) in PlaceKind::ALL.iter().enumerate() {
            let when = format!("when '{}' then {i} ", kind.as_str());
            assert!(PLACE_KIND_SCAN.contains(&when), "{when}");
            assert_eq!(place_kind_at(i as i64).ok(), Some(*kind));
        }
        assert!(place_kind_at(-1).is_err());
    }
}
