//! The tracing engine's state over the database: built once from every case, contact and
//! presence stored, kept in memory by the server and updated incrementally as cases
//! and contacts are entered; its levels are written to `trace_level` for the pages.

use phongdich_domain::{Interval, PlaceKind, Timestamp};
use phongdich_store::{Exposure, ExposureKind, Store, StoreError, TraceLevel};
use phongdich_trace::{Case, Contact, Engine, Ids, Kind, Params, Presence, TraceError, Via};
use std::time::{Duration, Instant};

/// Why the engine could not be built or changed.
#[derive(Debug, thiserror::Error)]
pub enum TraceStateError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine refused a row (bad data in the database).
    #[error("tracing: {0}")]
    Trace(#[from] TraceError),
    /// The build task died.
    #[error("the tracing task failed: {0}")]
    Task(String),
}

/// How far a build is: rows read of about how many, then tracing, then writing.
/// Shared between the build and whoever shows its progress.
#[derive(Debug, Default)]
pub struct BuildProgress {
    read: std::sync::atomic::AtomicU64,
    total: std::sync::atomic::AtomicU64,
    /// 0 reading, 1 tracing, 2 writing the levels.
    phase: std::sync::atomic::AtomicU8,
}

impl BuildProgress {
    /// Starts over: `total` exposure rows expected (an estimate).
    pub fn reset(&self, total: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.read.store(0, Relaxed);
        self.total.store(total.max(1), Relaxed);
        self.phase.store(0, Relaxed);
    }

    fn add_read(&self, n: u64) {
        self.read.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    fn set_phase(&self, phase: u8) {
        self.phase
            .store(phase, std::sync::atomic::Ordering::Relaxed);
    }

    /// Percent done: reading is the first 80 %, tracing to 95 %, writing the rest.
    pub fn percent(&self) -> u8 {
        use std::sync::atomic::Ordering::Relaxed;
        match self.phase.load(Relaxed) {
            0 => {
                let (read, total) = (self.read.load(Relaxed), self.total.load(Relaxed).max(1));
                (read.min(total) * 80 / total) as u8
            }
            1 => 80,
            _ => 95,
        }
    }
}

/// The engine with the database ids of its persons and places.
#[derive(Debug)]
pub struct TraceState {
    engine: Engine,
    persons: Ids<i64>,
    places: Ids<i64>,
}

fn kind(k: PlaceKind) -> Kind {
    match k {
        PlaceKind::Household => Kind::Household,
        PlaceKind::Room => Kind::Room,
        PlaceKind::Vehicle => Kind::Vehicle,
        PlaceKind::Venue => Kind::Venue,
    }
}

fn place_kind(k: Kind) -> PlaceKind {
    match k {
        Kind::Household => PlaceKind::Household,
        Kind::Room => PlaceKind::Room,
        Kind::Vehicle => PlaceKind::Vehicle,
        Kind::Venue => PlaceKind::Venue,
    }
}

/// [`Ids`] with a table by database id in front: `Ids::index` hashes, which costs more
/// than reading the row itself over the tens of millions of rows of a build, while
/// database ids are small dense integers. Indexes are still handed out by `Ids`, in the
/// order ids are first seen, so the engine is the same.
struct IdTable {
    ids: Ids<i64>,
    /// Engine index by database id; [`IdTable::UNSEEN`] where not seen yet.
    table: Vec<u32>,
}

impl IdTable {
    const UNSEEN: u32 = u32::MAX;
    /// Ids from this one up go straight to the hash map (a table of 128 MiB at most).
    const TABLE_LIMIT: usize = 1 << 25;

    fn new(ids: Ids<i64>) -> Self {
        Self {
            ids,
            table: Vec::new(),
        }
    }

    fn index(&mut self, id: i64) -> u32 {
        let Some(slot) = usize::try_from(id).ok().filter(|&s| s < Self::TABLE_LIMIT) else {
            return self.ids.index(id);
        };
        if slot >= self.table.len() {
            let len = (slot + 1).max(self.table.len() * 2).min(Self::TABLE_LIMIT);
            self.table.resize(len, Self::UNSEEN);
        }
        match self.table[slot] {
            Self::UNSEEN => {
                let index = self.ids.index(id);
                self.table[slot] = index;
                index
            }
            index => index,
        }
    }

    fn into_ids(self) -> Ids<i64> {
        self.ids
    }
}

/// What a full re-trace did.
#[derive(Debug, Clone)]
pub struct RetraceStats {
    /// Cases, contacts and presences read.
    pub cases: usize,
    /// Contacts read.
    pub contacts: usize,
    /// Presences read.
    pub presences: usize,
    /// Persons at each level, F0 first.
    pub levels: Vec<u64>,
    /// Reading the database.
    pub read: Duration,
    /// Tracing.
    pub trace: Duration,
    /// Writing the levels.
    pub write: Duration,
}

impl TraceState {
    /// Reads every case, contact and presence of `store` and traces them.
    pub async fn load(
        store: &Store,
        params: Params,
        progress: &BuildProgress,
    ) -> Result<(Self, RetraceStats), TraceStateError> {
        use futures_util::StreamExt;
        let started = Instant::now();
        let mut persons = IdTable::new(Ids::new());
        let mut places = IdTable::new(Ids::new());
        progress.reset(store.exposure_rows_estimate().await?);
        // Batches of thousands of rows, read by each backend's fastest path
        // (`Store::presence_batches`, `Store::contact_batches`), both at once (two
        // connections, or two SQLite threads); persons and places get their engine
        // indexes in id order, presences first, as they always have.
        let read_presences = async {
            let mut presences = Vec::new();
            let mut batches = store.presence_batches();
            while let Some(batch) = batches.next().await {
                let batch = batch?;
                progress.add_read(batch.len() as u64);
                presences.reserve(batch.len());
                presences.extend(batch.into_iter().map(|p| Presence {
                    person: persons.index(p.person_id),
                    place: places.index(p.place_id),
                    kind: kind(p.kind),
                    start: p.interval.start().0,
                    end: p.interval.end().0,
                }));
            }
            Ok::<_, TraceStateError>(presences)
        };
        let read_contacts = async {
            let mut read = Vec::new();
            let mut batches = store.contact_batches();
            while let Some(batch) = batches.next().await {
                let batch = batch?;
                progress.add_read(batch.len() as u64);
                read.push(batch);
            }
            Ok::<_, TraceStateError>(read)
        };
        let (presences, contact_batches) =
            futures_util::future::try_join(read_presences, read_contacts).await?;
        let mut contacts = Vec::with_capacity(contact_batches.iter().map(Vec::len).sum());
        for batch in contact_batches {
            contacts.extend(batch.into_iter().map(|c| Contact {
                a: persons.index(c.a_id),
                b: persons.index(c.b_id),
                start: c.interval.start().0,
                end: c.interval.end().0,
            }));
        }
        let (mut persons, places) = (persons.into_ids(), places.into_ids());
        let cases: Vec<Case> = store
            .all_cases()
            .await?
            .into_iter()
            .map(|c| Case {
                person: persons.index(c.person_id),
                infectious_from: c.case.infectious_from.0,
                isolated_at: c.case.isolated_at.map(|t| t.0),
            })
            .collect();
        let read = started.elapsed();
        let counts = (cases.len(), contacts.len(), presences.len());
        let started = Instant::now();
        progress.set_phase(1);
        let engine = tokio::task::spawn_blocking(move || {
            Engine::build(params, &cases, &contacts, &presences)
        })
        .await
        .map_err(|e| TraceStateError::Task(e.to_string()))??;
        let stats = RetraceStats {
            cases: counts.0,
            contacts: counts.1,
            presences: counts.2,
            levels: engine.level_counts(),
            read,
            trace: started.elapsed(),
            write: Duration::ZERO,
        };
        Ok((
            Self {
                engine,
                persons,
                places,
            },
            stats,
        ))
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The stored row of engine person `v`, if traced.
    fn row(&self, v: u32, computed_at: Timestamp) -> Option<TraceLevel> {
        let r = self.engine.reached(v)?;
        let via = self.engine.link(v).and_then(|l| {
            Some(Exposure {
                person_id: *self.persons.key(l.from),
                kind: match l.via {
                    Via::Contact => ExposureKind::Contact,
                    Via::Place(k) => ExposureKind::Place(place_kind(k)),
                },
                place_id: l.place.map(|p| *self.places.key(p)),
                interval: Interval::new(Timestamp(l.start), Timestamp(l.end)).ok()?,
            })
        });
        Some(TraceLevel {
            person_id: *self.persons.key(v),
            level: r.level,
            exposed_at: Timestamp(r.exposed_at),
            via,
            computed_at,
        })
    }

    /// The chain that realises a person's level, from the case (F0) down to them:
    /// `(person reached, its level on this chain, the exposure)`. `None` when the
    /// person is not traced; empty for a case.
    pub fn chain_of(&self, person_id: i64) -> Option<Vec<(i64, u8, Exposure)>> {
        let v = self.persons.get(&person_id)?;
        self.engine.reached(v)?;
        let links = self.engine.chain(v);
        Some(
            links
                .iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    Some((
                        *self.persons.key(l.to),
                        (i + 1) as u8,
                        Exposure {
                            person_id: *self.persons.key(l.from),
                            kind: match l.via {
                                Via::Contact => ExposureKind::Contact,
                                Via::Place(k) => ExposureKind::Place(place_kind(k)),
                            },
                            place_id: l.place.map(|p| *self.places.key(p)),
                            interval: Interval::new(Timestamp(l.start), Timestamp(l.end)).ok()?,
                        },
                    ))
                })
                .collect(),
        )
    }

    /// Every traced person's row.
    pub fn rows(&self, computed_at: Timestamp) -> Vec<TraceLevel> {
        self.engine
            .iter_reached()
            .filter_map(|(v, _)| self.row(v, computed_at))
            .collect()
    }

    /// The rows to write after a change to `changed` (engine persons): upserts, and
    /// the database ids of persons no longer traced.
    fn changes(&self, changed: &[u32], computed_at: Timestamp) -> (Vec<TraceLevel>, Vec<i64>) {
        let mut upserts = Vec::new();
        let mut gone = Vec::new();
        for &v in changed {
            match self.row(v, computed_at) {
                Some(row) => upserts.push(row),
                None => gone.push(*self.persons.key(v)),
            }
        }
        (upserts, gone)
    }

    /// Adds a case (or changes its dates); returns the rows to write.
    pub fn add_case(
        &mut self,
        person_id: i64,
        infectious_from: Timestamp,
        isolated_at: Option<Timestamp>,
        computed_at: Timestamp,
    ) -> Result<(Vec<TraceLevel>, Vec<i64>), TraceStateError> {
        let person = self.persons.index(person_id);
        let update = self.engine.add_case(Case {
            person,
            infectious_from: infectious_from.0,
            isolated_at: isolated_at.map(|t| t.0),
        })?;
        Ok(self.changes(&update.changed, computed_at))
    }

    /// Adds a direct contact; returns the rows to write.
    pub fn add_contact(
        &mut self,
        a_id: i64,
        b_id: i64,
        interval: Interval,
        computed_at: Timestamp,
    ) -> Result<(Vec<TraceLevel>, Vec<i64>), TraceStateError> {
        let (a, b) = (self.persons.index(a_id), self.persons.index(b_id));
        let update = self.engine.add_contact(Contact {
            a,
            b,
            start: interval.start().0,
            end: interval.end().0,
        })?;
        Ok(self.changes(&update.changed, computed_at))
    }

    /// Adds a presence; returns the rows to write.
    pub fn add_presence(
        &mut self,
        person_id: i64,
        place_id: i64,
        place: PlaceKind,
        interval: Interval,
        computed_at: Timestamp,
    ) -> Result<(Vec<TraceLevel>, Vec<i64>), TraceStateError> {
        let person = self.persons.index(person_id);
        let place_index = self.places.index(place_id);
        let update = self.engine.add_presence(Presence {
            person,
            place: place_index,
            kind: kind(place),
            start: interval.start().0,
            end: interval.end().0,
        })?;
        Ok(self.changes(&update.changed, computed_at))
    }

    /// Moves the end of a presence added before (`interval` as it was given) to `end`;
    /// returns the rows to write.
    pub fn set_presence_end(
        &mut self,
        person_id: i64,
        place_id: i64,
        place: PlaceKind,
        interval: Interval,
        end: Timestamp,
        computed_at: Timestamp,
    ) -> Result<(Vec<TraceLevel>, Vec<i64>), TraceStateError> {
        let person = self.persons.index(person_id);
        let place_index = self.places.index(place_id);
        let update = self.engine.set_presence_end(
            Presence {
                person,
                place: place_index,
                kind: kind(place),
                start: interval.start().0,
                end: interval.end().0,
            },
            end.0,
        )?;
        Ok(self.changes(&update.changed, computed_at))
    }
}

/// Re-traces the whole database and replaces every stored level (what `phongdich
/// trace` does without files).
pub async fn retrace_database(
    store: &Store,
    params: Params,
    now: Timestamp,
    progress: &BuildProgress,
) -> Result<(TraceState, RetraceStats), TraceStateError> {
    let (state, mut stats) = TraceState::load(store, params, progress).await?;
    let started = Instant::now();
    progress.set_phase(2);
    write_levels(store, state.rows(now)).await?;
    stats.write = started.elapsed();
    Ok((state, stats))
}

/// Stores `rows` as every person's level: only the differences with what is stored
/// when they are few (a restart over unchanged data writes nothing), else a
/// replacement of the whole table. A row whose level, time and link are unchanged
/// keeps its stored `computed_at`: the level has held since then.
async fn write_levels(store: &Store, mut rows: Vec<TraceLevel>) -> Result<(), TraceStateError> {
    let mut stored = store.trace_levels().await?;
    let (upserts, gone) = level_changes(&mut stored, &mut rows);
    if stored.is_empty() || upserts.len() + gone.len() > stored.len() / 4 {
        store.replace_trace_levels(&rows).await?;
    } else if !upserts.is_empty() || !gone.is_empty() {
        store.upsert_trace_levels(&upserts, &gone).await?;
    }
    Ok(())
}

/// What turns `stored` into `rows` (both sorted here by person): the rows that are
/// new or differ other than by `computed_at`, and the persons no longer traced.
fn level_changes(
    stored: &mut [TraceLevel],
    rows: &mut [TraceLevel],
) -> (Vec<TraceLevel>, Vec<i64>) {
    stored.sort_unstable_by_key(|l| l.person_id);
    rows.sort_unstable_by_key(|l| l.person_id);
    let same = |a: &TraceLevel, b: &TraceLevel| {
        (a.level, a.exposed_at, a.via) == (b.level, b.exposed_at, b.via)
    };
    let (mut upserts, mut gone) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < stored.len() || j < rows.len() {
        match (stored.get(i), rows.get(j)) {
            (Some(s), Some(r)) if s.person_id == r.person_id => {
                if !same(s, r) {
                    upserts.push(*r);
                }
                i += 1;
                j += 1;
            }
            (Some(s), Some(r)) if s.person_id < r.person_id => {
                gone.push(s.person_id);
                i += 1;
            }
            (Some(s), None) => {
                gone.push(s.person_id);
                i += 1;
            }
            (_, Some(r)) => {
                upserts.push(*r);
                j += 1;
            }
            (None, None) => break,
        }
    }
    (upserts, gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(person_id: i64, level: u8, exposed_at: i64, computed_at: i64) -> TraceLevel {
        TraceLevel {
            person_id,
            level,
            exposed_at: Timestamp(exposed_at),
            via: None,
            computed_at: Timestamp(computed_at),
        }
    }

    #[test]
    fn only_changed_levels_are_written() {
        let mut stored = vec![level(3, 1, 10, 1), level(1, 0, 5, 1), level(2, 2, 20, 1)];
        let mut rows = vec![level(4, 3, 30, 9), level(1, 0, 5, 9), level(3, 2, 10, 9)];
        let (upserts, gone) = level_changes(&mut stored, &mut rows);
        assert_eq!(upserts, [level(3, 2, 10, 9), level(4, 3, 30, 9)]);
        assert_eq!(gone, [2]);
        let mut again = rows.clone();
        assert_eq!(level_changes(&mut rows, &mut again), (vec![], vec![]));
    }
}
