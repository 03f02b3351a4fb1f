//! A [`Sink`] that writes the interchange files of `tracing.md` to a directory.
//!
//! Files (UTF-8, header row, buffered): `contacts.csv` (`a,b,start,end`),
//! `presences.csv` (`person,place,kind,start,end`), `cases.csv`
//! (`person,infectious_from,isolated_at`), `persons.csv`
//! (`ref,full_name,birth,sex,id_number,nationality,phone,address,unit_code,household`),
//! and, for a loader that wants the whole province, `units.csv`
//! (`code,name,level,parent`), `places.csv`
//! (`ref,kind,venue_kind,name,unit_code,address,capacity,operator`) and `tests.csv`
//! (`person,sampled_at,kind,result`). Instants are RFC 3339 in +07:00.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use phongdich_domain::time::VIETNAM_OFFSET_SECONDS;

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
    presences: Out,
    contacts: Out,
    cases: Out,
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
            units: Out::create(&dir, FILES[0], &["code", "name", "level", "parent"])?,
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
            presences: Out::create(&dir, FILES[3], &["person", "place", "kind", "start", "end"])?,
            contacts: Out::create(&dir, FILES[4], &["a", "b", "start", "end"])?,
            cases: Out::create(
                &dir,
                FILES[5],
                &["person", "infectious_from", "isolated_at"],
            )?,
            tests: Out::create(&dir, FILES[6], &["person", "sampled_at", "kind", "result"])?,
            dir,
        })
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// An instant as RFC 3339 in +07:00 (`2021-05-12T08:30:00+07:00`), formatted without
/// allocation: the exporter writes tens of millions of them.
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339([u8; 25]);

impl Rfc3339 {
    /// Formats Unix seconds.
    pub fn new(unix: i64) -> Self {
        let local = unix + i64::from(VIETNAM_OFFSET_SECONDS);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut b = *b"0000-00-00T00:00:00+07:00";
        let mut put = |at: usize, v: i64, width: usize| {
            let mut v = v;
            for k in (0..width).rev() {
                b[at + k] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, y.rem_euclid(10_000), 4);
        put(5, m, 2);
        put(8, d, 2);
        put(11, secs / 3600, 2);
        put(14, secs / 60 % 60, 2);
        put(17, secs % 60, 2);
        Self(b)
    }

    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Sink for CsvExport {
    type Error = ExportError;

    fn unit(&mut self, v: &Village<'_>) -> Result<(), ExportError> {
        self.units
            .row([v.code.as_str(), v.name, "village", v.commune.as_str()])
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
        let (start, end) = (Rfc3339::new(p.start.0), Rfc3339::new(p.end.0));
        self.presences.row([
            p.person_ref.as_bytes(),
            p.place_ref.as_bytes(),
            p.kind.as_str().as_bytes(),
            start.as_bytes(),
            end.as_bytes(),
        ])
    }

    fn contact(&mut self, c: &Contact<'_>) -> Result<(), ExportError> {
        let (start, end) = (Rfc3339::new(c.start.0), Rfc3339::new(c.end.0));
        self.contacts.row([
            c.a_ref.as_bytes(),
            c.b_ref.as_bytes(),
            start.as_bytes(),
            end.as_bytes(),
        ])
    }

    fn case(&mut self, c: &CaseRecord<'_>) -> Result<(), ExportError> {
        let (from, isolated) = (
            Rfc3339::new(c.infectious_from.0),
            Rfc3339::new(c.isolated_at.0),
        );
        self.cases.row([
            c.person_ref.as_bytes(),
            from.as_bytes(),
            isolated.as_bytes(),
        ])
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
            &mut self.presences,
            &mut self.contacts,
            &mut self.cases,
            &mut self.tests,
        ] {
            out.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phongdich_domain::Timestamp;

    #[test]
    fn rfc3339_matches_chrono() {
        for t in [
            0,
            1_620_806_400,
            1_619_802_000,
            1_619_801_999,
            -86_401,
            4_102_444_799,
        ] {
            let ours = Rfc3339::new(t);
            assert_eq!(
                std::str::from_utf8(ours.as_bytes()).expect("ASCII"),
                Timestamp(t).to_rfc3339(),
                "{t}"
            );
        }
    }
}
