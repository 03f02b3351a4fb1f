//! A [`Sink`] that keeps what the tracing engine needs (cases, contacts, presences as
//! dense indexes: the generator's 1-based ids minus one), so a generated province can
//! be traced without files or a database.

use phongdich_domain::PlaceKind;
use phongdich_synth::{
    CaseRecord, Contact, Household, Person, Place, Presence, Sink, TestRecord, Village,
};
use phongdich_trace::{Case, Engine, Kind, Params, TraceError};
use std::convert::Infallible;

/// The engine's input, as generated.
#[derive(Debug, Default)]
pub struct EngineInput {
    /// Cases.
    pub cases: Vec<phongdich_trace::Case>,
    /// Direct contacts.
    pub contacts: Vec<phongdich_trace::Contact>,
    /// Presences.
    pub presences: Vec<phongdich_trace::Presence>,
    /// Venue kinds by place index.
    pub venue_kinds: std::collections::HashMap<u32, String>,
    /// The cases' sample dates, in order.
    pub samples: Vec<chrono::NaiveDate>,
    /// When the cases were isolated, in order.
    pub isolated: Vec<phongdich_domain::Timestamp>,
}

impl EngineInput {
    /// Traces it with the default rule (F0..F4, 15 minutes at venues).
    pub fn trace(&self) -> Result<Engine, TraceError> {
        Engine::build(
            Params::default(),
            &self.cases,
            &self.contacts,
            &self.presences,
        )
    }
}

fn kind(kind: PlaceKind) -> Kind {
    match kind {
        PlaceKind::Household => Kind::Household,
        PlaceKind::Room => Kind::Room,
        PlaceKind::Vehicle => Kind::Vehicle,
        PlaceKind::Venue => Kind::Venue,
    }
}

impl Sink for EngineInput {
    type Error = Infallible;
    fn unit(&mut self, _: &Village<'_>) -> Result<(), Infallible> {
        Ok(())
    }
    fn household(&mut self, _: &Household<'_>) -> Result<(), Infallible> {
        Ok(())
    }
    fn person(&mut self, _: &Person<'_>) -> Result<(), Infallible> {
        Ok(())
    }
    fn place(&mut self, p: &Place<'_>) -> Result<(), Infallible> {
        if let Some(k) = p.venue_kind {
            self.venue_kinds.insert(p.id - 1, k.as_str().to_owned());
        }
        Ok(())
    }
    fn presence(&mut self, p: &Presence<'_>) -> Result<(), Infallible> {
        self.presences.push(phongdich_trace::Presence {
            person: p.person - 1,
            place: p.place - 1,
            kind: kind(p.kind),
            start: p.start.0,
            end: p.end.0,
        });
        Ok(())
    }
    fn contact(&mut self, c: &Contact<'_>) -> Result<(), Infallible> {
        self.contacts.push(phongdich_trace::Contact {
            a: c.a - 1,
            b: c.b - 1,
            start: c.start.0,
            end: c.end.0,
        });
        Ok(())
    }
    fn case(&mut self, c: &CaseRecord<'_>) -> Result<(), Infallible> {
        self.samples.push(c.sample_date);
        self.isolated.push(c.isolated_at);
        self.cases.push(Case {
            person: c.person - 1,
            infectious_from: c.infectious_from.0,
            isolated_at: Some(c.isolated_at.0),
        });
        Ok(())
    }
    fn test(&mut self, _: &TestRecord<'_>) -> Result<(), Infallible> {
        Ok(())
    }
}
