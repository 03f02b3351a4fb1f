//! The F-level rule of `docs/tracing.md`, exactly: hop-bounded earliest arrival over
//! time-respecting exposures, from direct contacts and from co-presence at households,
//! rooms, vehicles and venues.
//!
//! This crate does no I/O. Callers give persons and places as dense `u32` indexes
//! ([`Ids`] maps their own keys to them) and times as Unix seconds.
//!
//! ```
//! use phongdich_trace::{Case, Contact, Engine, Params};
//!
//! let mut engine = Engine::new(Params::default());
//! engine.add_contact(Contact { a: 0, b: 1, start: 100, end: 200 })?;
//! engine.add_contact(Contact { a: 1, b: 2, start: 300, end: 400 })?;
//! engine.add_case(Case { person: 0, infectious_from: 0, isolated_at: None })?;
//! assert_eq!(engine.reached(2).map(|r| r.level), Some(2));
//! assert_eq!(engine.chain(2).len(), 2);
//! # Ok::<(), phongdich_trace::TraceError>(())
//! ```
//!
//! # How it scales
//!
//! Pairwise co-presence is never materialised. Each place keeps its presences sorted
//! by start together with the longest presence it has seen, so the presences that
//! overlap an interval are one binary search away. A round of the rule groups the
//! persons reached in the previous round by place and answers every presence at that
//! place with two binary searches over the sources (see [`engine`]). Storage is
//! columnar: a presence costs its four columns plus one index in its place's list and
//! one in its person's list.

pub mod engine;
mod ids;

pub use engine::Engine;
pub use ids::Ids;

use std::fmt;

/// An instant, in Unix seconds.
pub type Time = i64;

/// The kind of a place, which sets the overlap threshold of presences there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A household.
    Household,
    /// A room of a hotel or a quarantine facility.
    Room,
    /// One trip of a bus, car or boat (its passenger manifest).
    Vehicle,
    /// A market, office, school, clinic, checkpoint... (QR check-ins).
    Venue,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [Kind::Household, Kind::Room, Kind::Vehicle, Kind::Venue];

    /// The name used in interchange files.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Household => "household",
            Kind::Room => "room",
            Kind::Vehicle => "vehicle",
            Kind::Venue => "venue",
        }
    }

    /// Parses the name used in interchange files.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn from_code(code: u8) -> Option<Kind> {
        Kind::ALL.get(usize::from(code)).copied()
    }

    fn code(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an exposure happened: a direct contact, or presence at a place of some kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    /// A direct contact.
    Contact,
    /// Co-presence at a place of this kind.
    Place(Kind),
}

impl Via {
    /// `contact`, or the place kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Contact => "contact",
            Via::Place(k) => k.as_str(),
        }
    }

    /// Parses `contact` or a place kind's name.
    pub fn parse(s: &str) -> Option<Via> {
        if s == "contact" {
            Some(Via::Contact)
        } else {
            Kind::parse(s).map(Via::Place)
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The least overlap, in seconds, that counts as an exposure, per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Direct contacts (default 0).
    pub contact: i64,
    /// Households (default 0).
    pub household: i64,
    /// Rooms (default 0).
    pub room: i64,
    /// Vehicles (default 0).
    pub vehicle: i64,
    /// Venues (default 900 s, 15 minutes).
    pub venue: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            contact: 0,
            household: 0,
            room: 0,
            vehicle: 0,
            venue: 900,
        }
    }
}

impl Thresholds {
    /// The threshold for `via`.
    pub fn get(&self, via: Via) -> i64 {
        match via {
            Via::Contact => self.contact,
            Via::Place(Kind::Household) => self.household,
            Via::Place(Kind::Room) => self.room,
            Via::Place(Kind::Vehicle) => self.vehicle,
            Via::Place(Kind::Venue) => self.venue,
        }
    }

    /// Sets the threshold for `via`.
    pub fn set(&mut self, via: Via, seconds: i64) {
        let slot = match via {
            Via::Contact => &mut self.contact,
            Via::Place(Kind::Household) => &mut self.household,
            Via::Place(Kind::Room) => &mut self.room,
            Via::Place(Kind::Vehicle) => &mut self.vehicle,
            Via::Place(Kind::Venue) => &mut self.venue,
        };
        *slot = seconds;
    }
}

/// What to trace: how deep, up to when, and the overlap thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The deepest level traced (default 4: F4).
    pub max_level: u8,
    /// Nothing after this instant is seen (default: everything).
    pub as_of: Option<Time>,
    /// Overlap thresholds.
    pub thresholds: Thresholds,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            max_level: 4,
            as_of: None,
            thresholds: Thresholds::default(),
        }
    }
}

/// The deepest `max_level` the engine accepts.
pub const MAX_LEVEL: u8 = 32;

/// A case (F0): transmits inside `[infectious_from, isolated_at]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// The person.
    pub person: u32,
    /// Start of the infectious period.
    pub infectious_from: Time,
    /// When isolated or hospitalised; `None` while still circulating.
    pub isolated_at: Option<Time>,
}

/// A direct contact between `a` and `b` during `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contact {
    /// One person.
    pub a: u32,
    /// The other.
    pub b: u32,
    /// Start.
    pub start: Time,
    /// End (`>= start`).
    pub end: Time,
}

/// A person at a place during `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    /// The person.
    pub person: u32,
    /// The place.
    pub place: u32,
    /// The place's kind (one per place).
    pub kind: Kind,
    /// Start.
    pub start: Time,
    /// End (`>= start`).
    pub end: Time,
}

/// A traced person's level (0 for a case) and the earliest arrival at that level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reached {
    /// 0 for F0, 1 for F1...
    pub level: u8,
    /// `A_level`, the earliest instant at which the level was reached.
    pub exposed_at: Time,
}

/// One link of a chain: `from` (one level up) exposed `to` over `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Link {
    /// The person one level up.
    pub from: u32,
    /// The person reached.
    pub to: u32,
    /// How.
    pub via: Via,
    /// The place, for co-presence.
    pub place: Option<u32>,
    /// Start of the overlap that transmitted (`to`'s `exposed_at`).
    pub start: Time,
    /// End of that overlap.
    pub end: Time,
}

/// What an incremental change did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    /// Persons whose level, `exposed_at` or link changed (including persons no longer
    /// traced), in no particular order.
    pub changed: Vec<u32>,
}

/// Bad input to the engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    /// `end < start`.
    #[error("the interval ends ({end}) before it starts ({start})")]
    EndBeforeStart {
        /// Start.
        start: Time,
        /// End.
        end: Time,
    },
    /// A place given with two kinds.
    #[error("place {place} is a {existing} and cannot also be a {given}")]
    KindMismatch {
        /// The place.
        place: u32,
        /// The kind it has.
        existing: Kind,
        /// The kind given now.
        given: Kind,
    },
    /// A contact of a person with themselves.
    #[error("a contact needs two different persons (both are {person})")]
    SelfContact {
        /// The person.
        person: u32,
    },
    /// An index the engine reserves.
    #[error("index {index} is out of range")]
    IndexOutOfRange {
        /// The index.
        index: u32,
    },
    /// `max_level` above [`MAX_LEVEL`].
    #[error("max_level {0} is above {MAX_LEVEL}")]
    MaxLevel(u8),
    /// A negative threshold.
    #[error("a threshold cannot be negative ({0} s)")]
    NegativeThreshold(i64),
}
