//! phongdich's domain model: pure types and rules, with no I/O, no HTTP and no SQL.
//!
//! Input becomes these types through `parse`/`TryFrom` at the edge (parse, don't
//! validate), so code that holds a [`person::CitizenId`] or a [`time::Interval`] never
//! checks it again.

pub mod access;
pub mod admin;
pub mod case;
pub mod checkin;
pub mod declaration;
pub mod person;
pub mod place;
pub mod text;
pub mod time;

pub use access::{Jurisdiction, Role};
pub use admin::{AdminLevel, AdminUnit, UnitCode};
pub use case::{Case, CaseClassification, CaseDatesError, CaseOutcome, TestKind, TestResult};
pub use checkin::{CccdQr, CccdQrError, CheckInChannel, StayMinutes};
pub use person::{BirthDate, FullName, IdentityDocument, Phone, Sex};
pub use place::{PlaceKind, VenueKind};
pub use time::{Interval, Timestamp};
