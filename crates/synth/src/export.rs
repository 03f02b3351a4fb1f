//! A [`Sink`] that writes the interchange files of `tracing.md` to a directory.
//!
//! Files (UTF-8, header row, buffered): `contacts.csv` (`a,b,start,end`),
//! `presences.csv` (`person,place,kind,start,end`), `cases.csv`
//! (`person,infectious_from,isolated_at`), `persons.csv`
//! (`ref,full_name,birth,sex,id_number,nationality,phone,address,unit_code,household`),
//! and, for a loader that wants the whole province, `units.csv` (`code,name,parent_code`:
//! the villages, under their communes), `places.csv`
//! (`ref,kind,venue_kind,name,unit_code,address,capacity,operator`: every place the
//! presences name, households' homes included) and `tests.csv`
//! (`person,sampled_at,kind,result`). Instants are RFC 3339 in +07:00.
//!
//! `units.csv`, `places.csv`, `persons.csv`, `contacts.csv`, `presences.csv` and
//! `cases.csv` are also the formats of `phongdich import`: imported in that order into
//! an empty database, they give the province back (`crates/cli/tests/round_trip.rs`).
//!
//! The three files the tracer reads (`contacts.csv`, `presences.csv`, `cases.csv`) are
//! written by `phongdich-interchange`'s writers, so their format is defined in one
//! place and every row is checked as its reader would check it.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use phongdich_domain::PlaceKind;
use phongdich_interchange::{CaseWriter, ContactWriter, InterchangeError, Kind, PresenceWriter};

pub use phongdich_interchange::Rfc3339;

use crate::sink::{
    CaseRecord, Contact, Household, Person, Place, Presence, Sink, TestRecord, Village,
};

/// Why the export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file could not be created or written.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The CSV writer failed.
    #[error("writing {path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The CSV error.
        source: csv::Error,
    },
    /// An interchange file (contacts, presences, cases) could not be written, or the
    /// generator made a row its reader would refuse.
    #[error(transparent)]
    Interchange(#[from] InterchangeError),
}

struct Out {
    path: PathBuf,
    csv: csv::Writer<BufWriter<File>>,
}

impl Out {
    fn create(dir: &Path, name: &str, header: &[&str]) -> Result<Self, ExportError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|source| ExportError::Io {
            path: path.clone(),
            source,
        })?;
        let mut csv = csv::WriterBuilder::new()
            .buffer_capacity(1 << 16)
            .from_writer(BufWriter::with_capacity(1 << 20, file));
        csv.write_record(header)
            .map_err(|source| ExportError::Csv {
                path: path.clone(),
                source,
            })?;
        Ok(Self { path, csv })
    }

    fn row<I, T>(&mut self, fields: I) -> Result<(), ExportError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.csv
            .write_record(fields)
            .map_err(|source| ExportError::Csv {
                path: self.path.clone(),
                source,
            })
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        // Flushes the CSV buffer and the file's buffer under it.
        self.csv.flush().map_err(|source| ExportError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Writes the generated province as CSV files in one directory.
pub struct CsvExport {
    dir: PathBuf,
    units: Out,
    places: Out,
    persons: Out,
    presences: PresenceWriter<BufWriter<File>>,
    contacts: ContactWriter<BufWriter<File>>,
    cases: CaseWriter<BufWriter<File>>,
    tests: Out,
}

impl std::fmt::Debug for CsvExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvExport")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// The files [`CsvExport`] writes, in a fixed order.
pub const FILES: [&str; 7] = [
    "units.csv",
    "places.csv",
    "persons.csv",
    "presences.csv",
    "contacts.csv",
    "cases.csv",
    "tests.csv",
];

impl CsvExport {
    /// Creates (or truncates) the files in `dir`, which must exist.
    pub fn create(dir: impl Into<PathBuf>) -> Result<Self, ExportError> {
        let dir = dir.into();
        Ok(Self {
            units: Out::create(&dir, FILES[0], &["code", "name", "parent_code"])?,
            places: Out::create(
                &dir,
                FILES[1],
                &[
                    "ref",
                    "kind",
                    "venue_kind",
                    "name",
                    "unit_code",
                    "address",
                    "capacity",
                    "operator",
                ],
            )?,
            persons: Out::create(
                &dir,
                FILES[2],
                &[
                    "ref",
                    "full_name",
                    "birth",
                    "sex",
                    "id_number",
                    "nationality",
                    "phone",
                    "address",
                    "unit_code",
                    "household",
                ],
            )?,
            presences: PresenceWriter::create(&dir.join(FILES[3]))?,
            contacts: ContactWriter::create(&dir.join(FILES[4]))?,
            cases: CaseWriter::create(&dir.join(FILES[5]))?,
            tests: Out::create(&dir, FILES[6], &["person", "sampled_at", "kind", "result"])?,
            dir,
        })
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The tracer's kind of a place of the domain.
fn kind(k: PlaceKind) -> Kind {
    match k {
        PlaceKind::Household => Kind::Household,
        PlaceKind::Room => Kind::Room,
        PlaceKind::Vehicle => Kind::Vehicle,
        PlaceKind::Venue => Kind::Venue,
    }
}

impl Sink for CsvExport {
    type Error = ExportError;

    fn unit(&mut self, v: &Village<'_>) -> Result<(), ExportError> {
        self.units
            .row([v.code.as_str(), v.name, v.commune.as_str()])
    }

    fn household(&mut self, _: &Household<'_>) -> Result<(), ExportError> {
        // A household is its place (kind household) and its members' `household` column.
        Ok(())
    }

    fn person(&mut self, p: &Person<'_>) -> Result<(), ExportError> {
        let birth = p.birth.format("%Y-%m-%d").to_string();
        self.persons.row([
            p.reference,
            p.full_name,
            &birth,
            p.sex.as_str(),
            p.id_number,
            p.nationality,
            p.phone.unwrap_or(""),
            p.address,
            p.unit_code.as_str(),
            p.household_ref,
        ])
    }

    fn place(&mut self, p: &Place<'_>) -> Result<(), ExportError> {
        let capacity = p.capacity.map(|c| c.to_string()).unwrap_or_default();
        self.places.row([
            p.reference,
            p.kind.as_str(),
            p.venue_kind.map_or("", |k| k.as_str()),
            p.name,
            p.unit_code.map_or("", |c| c.as_str()),
            p.address,
            &capacity,
            p.operator.unwrap_or(""),
        ])
    }

    fn presence(&mut self, p: &Presence<'_>) -> Result<(), ExportError> {
        self.presences
            .write(p.person_ref, p.place_ref, kind(p.kind), p.start.0, p.end.0)?;
        Ok(())
    }

    fn contact(&mut self, c: &Contact<'_>) -> Result<(), ExportError> {
        self.contacts.write(c.a_ref, c.b_ref, c.start.0, c.end.0)?;
        Ok(())
    }

    fn case(&mut self, c: &CaseRecord<'_>) -> Result<(), ExportError> {
        self.cases
            .write(c.person_ref, c.infectious_from.0, Some(c.isolated_at.0))?;
        Ok(())
    }

    fn test(&mut self, t: &TestRecord<'_>) -> Result<(), ExportError> {
        let at = Rfc3339::new(t.sampled_at.0);
        self.tests.row([
            t.person_ref.as_bytes(),
            at.as_bytes(),
            t.kind.as_str().as_bytes(),
            t.result.as_str().as_bytes(),
        ])
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        for out in [
            &mut self.units,
            &mut self.places,
            &mut self.persons,
            &mut self.tests,
        ] {
            out.flush()?;
        }
        self.presences.flush()?;
        self.contacts.flush()?;
        self.cases.flush()?;
        Ok(())
    }
}
