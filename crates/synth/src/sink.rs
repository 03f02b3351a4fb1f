//! What the generator emits, and the [`Sink`] that receives it.
//!
//! Records are plain structs borrowed for the duration of one call: a sink that keeps
//! them copies what it needs. Every record carries the compact integer ids the
//! generator assigned (1-based, dense, in emission order) and the string references
//! used in the interchange files (`P0000123`, `H000017`, `V00042`...).
//!
//! Order of calls, which a database loader can rely on for foreign keys: all
//! [`Sink::unit`] calls, then every non-household [`Sink::place`], then for each
//! household [`Sink::household`], its household [`Sink::place`] and its members'
//! [`Sink::person`] calls; then presences and contacts (interleaved, day by day), then
//! cases, then tests, then [`Sink::finish`] once.

use chrono::NaiveDate;
use phongdich_domain::{
    CaseClassification, PlaceKind, Sex, TestKind, TestResult, Timestamp, UnitCode, VenueKind,
};

use crate::names::Ethnicity;

/// A village (thôn, bản) or residential group (tổ dân phố) of a real commune.
#[derive(Debug, Clone, Copy)]
pub struct Village<'a> {
    /// Dense id, 1-based.
    pub id: u32,
    /// Code under its commune ([`UnitCode::village`]).
    pub code: &'a UnitCode,
    /// Name ("Bản Nà Khum", "Thôn 3", "Tổ dân phố 2").
    pub name: &'a str,
    /// The commune's official code.
    pub commune: &'a UnitCode,
}

/// A household (hộ gia đình).
#[derive(Debug, Clone, Copy)]
pub struct Household<'a> {
    /// Dense id, 1-based.
    pub id: u32,
    /// Reference (`H000017`).
    pub reference: &'a str,
    /// The id of the household's place (kind household), emitted right after.
    pub place: u32,
    /// The village it lives in.
    pub unit_code: &'a UnitCode,
    /// Postal-style address.
    pub address: &'a str,
    /// Number of members, 1 to 8.
    pub size: u8,
}

/// A person.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    /// Dense id, 1-based.
    pub id: u32,
    /// Reference (`P0000123`).
    pub reference: &'a str,
    /// Full name.
    pub full_name: &'a str,
    /// Date of birth.
    pub birth: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// Ethnic group.
    pub ethnicity: Ethnicity,
    /// 12-digit CCCD number, unique.
    pub id_number: &'a str,
    /// ISO country code of nationality.
    pub nationality: &'static str,
    /// Mobile number, unique; `None` for children and some adults.
    pub phone: Option<&'a str>,
    /// Address (the household's).
    pub address: &'a str,
    /// The village lived in.
    pub unit_code: &'a UnitCode,
    /// Household id.
    pub household: u32,
    /// Household reference.
    pub household_ref: &'a str,
}

/// A place where people are together: a venue, a household, a hotel room or a trip.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// Dense id, 1-based, shared by all kinds.
    pub id: u32,
    /// Reference: `V00042` venue, `R00012` room, `T000123` trip, `H000017` household.
    pub reference: &'a str,
    /// Kind, as tracing sees it.
    pub kind: PlaceKind,
    /// What a venue is (none for other kinds).
    pub venue_kind: Option<VenueKind>,
    /// Name.
    pub name: &'a str,
    /// Unit where it is (village for a household, commune for a venue or room, origin
    /// commune for a trip).
    pub unit_code: Option<&'a UnitCode>,
    /// Address.
    pub address: &'a str,
    /// How many people it holds at once.
    pub capacity: Option<u32>,
    /// Operator (bus company), if any.
    pub operator: Option<&'a str>,
}

/// A presence: a person at a place over `[start, end]`, `end >= start`.
#[derive(Debug, Clone, Copy)]
pub struct Presence<'a> {
    /// Person id.
    pub person: u32,
    /// Person reference.
    pub person_ref: &'a str,
    /// Place id.
    pub place: u32,
    /// Place reference.
    pub place_ref: &'a str,
    /// Kind of the place.
    pub kind: PlaceKind,
    /// Arrival.
    pub start: Timestamp,
    /// Departure.
    pub end: Timestamp,
}

/// Where a direct contact happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactSetting {
    /// Within the household.
    Household,
    /// With a neighbour of the village.
    Village,
    /// With a colleague or classmate.
    Work,
}

impl ContactSetting {
    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Household => "household",
            Self::Village => "village",
            Self::Work => "work",
        }
    }
}

/// A direct contact between two people over `[start, end]`.
#[derive(Debug, Clone, Copy)]
pub struct Contact<'a> {
    /// One person's id.
    pub a: u32,
    /// Their reference.
    pub a_ref: &'a str,
    /// The other person's id.
    pub b: u32,
    /// Their reference.
    pub b_ref: &'a str,
    /// Start.
    pub start: Timestamp,
    /// End, `>= start`.
    pub end: Timestamp,
    /// Setting.
    pub setting: ContactSetting,
}

/// A confirmed case (F0).
#[derive(Debug, Clone, Copy)]
pub struct CaseRecord<'a> {
    /// Person id.
    pub person: u32,
    /// Person reference.
    pub person_ref: &'a str,
    /// Symptom onset, if symptomatic.
    pub onset: Option<NaiveDate>,
    /// Date of the positive sample.
    pub sample_date: NaiveDate,
    /// Start of the infectious period (`case::default_infectious_from`).
    pub infectious_from: Timestamp,
    /// When isolated or hospitalised.
    pub isolated_at: Timestamp,
    /// Classification (always confirmed here).
    pub classification: CaseClassification,
    /// Who infected them along a generated contact (ground truth, not in the files).
    pub infected_by: Option<u32>,
}

/// A test (xét nghiệm).
#[derive(Debug, Clone, Copy)]
pub struct TestRecord<'a> {
    /// Person id.
    pub person: u32,
    /// Person reference.
    pub person_ref: &'a str,
    /// When the sample was taken.
    pub sampled_at: Timestamp,
    /// PCR or rapid antigen.
    pub kind: TestKind,
    /// Result.
    pub result: TestResult,
}

/// Receives the synthetic province as it is generated.
///
/// Every method may fail with the sink's own error, which stops the generator.
pub trait Sink {
    /// The sink's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// A village.
    fn unit(&mut self, village: &Village<'_>) -> Result<(), Self::Error>;
    /// A household.
    fn household(&mut self, household: &Household<'_>) -> Result<(), Self::Error>;
    /// A person.
    fn person(&mut self, person: &Person<'_>) -> Result<(), Self::Error>;
    /// A place.
    fn place(&mut self, place: &Place<'_>) -> Result<(), Self::Error>;
    /// A presence.
    fn presence(&mut self, presence: &Presence<'_>) -> Result<(), Self::Error>;
    /// A direct contact.
    fn contact(&mut self, contact: &Contact<'_>) -> Result<(), Self::Error>;
    /// A case.
    fn case(&mut self, case: &CaseRecord<'_>) -> Result<(), Self::Error>;
    /// A test.
    fn test(&mut self, test: &TestRecord<'_>) -> Result<(), Self::Error>;
    /// Called once after the last record: flush buffers here.
    fn finish(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Counts of what was generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Villages.
    pub villages: u64,
    /// Households.
    pub households: u64,
    /// Persons.
    pub persons: u64,
    /// Places of each kind, in [`PlaceKind::ALL`] order.
    pub places: [u64; 4],
    /// Presences at places of each kind, in [`PlaceKind::ALL`] order.
    pub presences: [u64; 4],
    /// Direct contacts.
    pub contacts: u64,
    /// Cases.
    pub cases: u64,
    /// Tests.
    pub tests: u64,
}

fn kind_index(kind: PlaceKind) -> usize {
    match kind {
        PlaceKind::Household => 0,
        PlaceKind::Room => 1,
        PlaceKind::Vehicle => 2,
        PlaceKind::Venue => 3,
    }
}

impl Counts {
    /// Places of `kind`.
    pub fn places_of(&self, kind: PlaceKind) -> u64 {
        self.places[kind_index(kind)]
    }

    /// Presences at places of `kind`.
    pub fn presences_of(&self, kind: PlaceKind) -> u64 {
        self.presences[kind_index(kind)]
    }

    /// All presences.
    pub fn total_presences(&self) -> u64 {
        self.presences.iter().sum()
    }

    /// All places.
    pub fn total_places(&self) -> u64 {
        self.places.iter().sum()
    }

    pub(crate) fn count_place(&mut self, kind: PlaceKind) {
        self.places[kind_index(kind)] += 1;
    }

    pub(crate) fn count_presence(&mut self, kind: PlaceKind) {
        self.presences[kind_index(kind)] += 1;
    }
}

/// A sink that only counts (for tests and dry runs).
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingSink {
    /// What was received so far.
    pub counts: Counts,
}

impl Sink for CountingSink {
    type Error = std::convert::Infallible;

    fn unit(&mut self, _: &Village<'_>) -> Result<(), Self::Error> {
        self.counts.villages += 1;
        Ok(())
    }
    fn household(&mut self, _: &Household<'_>) -> Result<(), Self::Error> {
        self.counts.households += 1;
        Ok(())
    }
    fn person(&mut self, _: &Person<'_>) -> Result<(), Self::Error> {
        self.counts.persons += 1;
        Ok(())
    }
    fn place(&mut self, place: &Place<'_>) -> Result<(), Self::Error> {
        self.counts.count_place(place.kind);
        Ok(())
    }
    fn presence(&mut self, presence: &Presence<'_>) -> Result<(), Self::Error> {
        self.counts.count_presence(presence.kind);
        Ok(())
    }
    fn contact(&mut self, _: &Contact<'_>) -> Result<(), Self::Error> {
        self.counts.contacts += 1;
        Ok(())
    }
    fn case(&mut self, _: &CaseRecord<'_>) -> Result<(), Self::Error> {
        self.counts.cases += 1;
        Ok(())
    }
    fn test(&mut self, _: &TestRecord<'_>) -> Result<(), Self::Error> {
        self.counts.tests += 1;
        Ok(())
    }
}
