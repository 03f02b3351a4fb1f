//! phongdich's synthetic province: a seeded, deterministic generator of villages,
//! households, persons, venues, daily QR check-ins, bus trips, hotel stays, direct
//! contacts, cases and tests, built on real administrative units (Lai Châu by default).
//!
//! Output streams into a [`Sink`], so memory stays small however many presences are
//! made: [`CountingSink`] counts, [`export::CsvExport`] writes the interchange files of
//! `tracing.md`. Same seed and parameters, same output, byte for byte.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use phongdich_synth::{generate, units_from_gso_csv, CountingSink, Params, LAI_CHAU};
//! let csv = std::fs::File::open("data/admin-units/communes_2025-01-04.csv")?;
//! let units = units_from_gso_csv(csv, LAI_CHAU)?;
//! let mut sink = CountingSink::default();
//! let counts = generate(&units, &Params::scaled(1, 10_000, 7), &mut sink, &mut |_| {})?;
//! assert_eq!(counts.persons, 10_000);
//! # Ok(()) }
//! ```

pub mod export;
pub mod generate;
mod ids;
pub mod names;
pub mod sink;
pub mod units;

pub use export::{CsvExport, ExportError};
pub use generate::{generate, GenerateError, Params, Phase, Progress, Scenario};
pub use names::Ethnicity;
pub use sink::{
    CaseRecord, Contact, ContactSetting, CountingSink, Counts, Household, Person, Place, Presence,
    Sink, TestRecord, Village,
};
pub use units::{units_from_gso_csv, UnitsError, LAI_CHAU};
