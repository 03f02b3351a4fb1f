//! The interchange files of `docs/tracing.md` (CSV, UTF-8, header row):
//!
//! - `contacts.csv`: `a,b,start,end`
//! - `presences.csv`: `person,place,kind,start,end`
//! - `cases.csv`: `person,infectious_from,isolated_at` (`isolated_at` may be empty)
//! - the result: `person,level,exposed_at,via_person,via_kind,via_place`, sorted by
//!   level then person.
//!
//! Columns are found by name (others are ignored). Times are RFC 3339 with an offset
//! or Unix seconds; results are written in RFC 3339 at +07:00 (Vietnam). Readers
//! stream: a file is never held as text. Every bad row is an error that names the
//! file, the line, the column and the reason.

use phongdich_domain::Timestamp;
use phongdich_trace::{Case, Contact, Engine, Ids, Kind, Presence, Time, Via};
use std::fmt;
use std::io::{Read, Write};
use std::path::Path;

/// An error reading or writing an interchange file.
#[derive(Debug, thiserror::Error)]
pub enum InterchangeError {
    /// The file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The header lacks a column.
    #[error("{file}, line 1: no column `{column}` in the header (expected {expected})")]
    MissingColumn {
        /// The file.
        file: String,
        /// The missing column.
        column: &'static str,
        /// Every column the file needs.
        expected: &'static str,
    },
    /// A bad row.
    #[error("{file}, line {line}, column {column}: {reason}")]
    Row {
        /// The file.
        file: String,
        /// 1-based line (the header is line 1).
        line: u64,
        /// The column at fault.
        column: &'static str,
        /// Why.
        reason: String,
    },
    /// Not CSV (unbalanced quotes, invalid UTF-8...).
    #[error("{file}, line {line}: {reason}")]
    Csv {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// Why.
        reason: String,
    },
}

/// Persons, places, cases and exposures read from interchange files, ready for
/// [`Engine::build`]. Persons and places are numbered in first-seen order.
#[derive(Debug, Default)]
pub struct TraceInput {
    /// Person ids as written in the files.
    pub persons: Ids<String>,
    /// Place ids as written in the files.
    pub places: Ids<String>,
    /// Cases.
    pub cases: Vec<Case>,
    /// Direct contacts.
    pub contacts: Vec<Contact>,
    /// Presences.
    pub presences: Vec<Presence>,
    place_kinds: Vec<Kind>,
}

/// A CSV reader over one file that reports errors with its name and lines.
struct Rows<R> {
    file: String,
    reader: csv::Reader<R>,
    record: csv::StringRecord,
}

impl<R: Read> Rows<R> {
    fn new(file: &str, input: R) -> Self {
        Self {
            file: file.to_owned(),
            reader: csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(false)
                .from_reader(input),
            record: csv::StringRecord::new(),
        }
    }

    fn csv_error(&self, e: &csv::Error) -> InterchangeError {
        if let csv::ErrorKind::Io(io) = e.kind() {
            return InterchangeError::Io {
                file: self.file.clone(),
                source: std::io::Error::new(io.kind(), io.to_string()),
            };
        }
        let line = e.position().map_or(0, |p| p.line());
        let reason = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("{len} fields where the header has {expected_len}"),
            csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_owned(),
            _ => e.to_string(),
        };
        InterchangeError::Csv {
            file: self.file.clone(),
            line,
            reason,
        }
    }

    /// Positions of `columns` in the header; `optional` ones may be missing.
    fn columns<const N: usize>(
        &mut self,
        columns: [&'static str; N],
        optional: &[&str],
        expected: &'static str,
    ) -> Result<[Option<usize>; N], InterchangeError> {
        let header = match self.reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err(self.csv_error(&e)),
        };
        let mut at = [None; N];
        for (slot, column) in at.iter_mut().zip(columns) {
            *slot = header.iter().position(|h| h.trim() == column);
            if slot.is_none() && !optional.contains(&column) {
                return Err(InterchangeError::MissingColumn {
                    file: self.file.clone(),
                    column,
                    expected,
                });
            }
        }
        Ok(at)
    }

    /// The next row, or `None` at the end.
    fn next(&mut self) -> Result<Option<u64>, InterchangeError> {
        match self.reader.read_record(&mut self.record) {
            Ok(true) => Ok(Some(self.record.position().map_or(0, |p| p.line()))),
            Ok(false) => Ok(None),
            Err(e) => Err(self.csv_error(&e)),
        }
    }

    fn bad(&self, line: u64, column: &'static str, reason: impl fmt::Display) -> InterchangeError {
        InterchangeError::Row {
            file: self.file.clone(),
            line,
            column,
            reason: reason.to_string(),
        }
    }

    fn field(&self, at: Option<usize>) -> &str {
        at.and_then(|i| self.record.get(i)).unwrap_or("").trim()
    }

    fn id(
        &self,
        line: u64,
        at: Option<usize>,
        column: &'static str,
    ) -> Result<String, InterchangeError> {
        let s = self.field(at);
        if s.is_empty() {
            return Err(self.bad(line, column, "empty id"));
        }
        Ok(s.to_owned())
    }

    fn time(
        &self,
        line: u64,
        at: Option<usize>,
        column: &'static str,
    ) -> Result<Time, InterchangeError> {
        parse_time(self.field(at)).map_err(|reason| self.bad(line, column, reason))
    }

    fn interval(
        &self,
        line: u64,
        start: Option<usize>,
        end: Option<usize>,
    ) -> Result<(Time, Time), InterchangeError> {
        let (s, e) = (
            self.time(line, start, "start")?,
            self.time(line, end, "end")?,
        );
        if e < s {
            return Err(self.bad(
                line,
                "end",
                format!(
                    "ends ({}) before it starts ({})",
                    format_time(e),
                    format_time(s)
                ),
            ));
        }
        Ok((s, e))
    }
}

/// Parses RFC 3339 with an offset, or Unix seconds.
pub fn parse_time(s: &str) -> Result<Time, String> {
    if s.is_empty() {
        return Err("empty time".to_owned());
    }
    Timestamp::parse(s).map(|t| t.0).map_err(|e| e.to_string())
}

/// RFC 3339 at +07:00 (Vietnam).
pub fn format_time(t: Time) -> String {
    Timestamp(t).to_rfc3339()
}

/// A person index; errors past the engine's range.
fn person_index(ids: &mut Ids<String>, id: String) -> u32 {
    ids.index(id)
}

impl TraceInput {
    /// An empty input.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `contacts.csv` rows from `input`; `file` names it in errors.
    pub fn read_contacts(&mut self, file: &str, input: impl Read) -> Result<(), InterchangeError> {
        let mut rows = Rows::new(file, input);
        let [a, b, start, end] = rows.columns(["a", "b", "start", "end"], &[], "a,b,start,end")?;
        while let Some(line) = rows.next()? {
            let (ida, idb) = (rows.id(line, a, "a")?, rows.id(line, b, "b")?);
            if ida == idb {
                return Err(rows.bad(line, "b", format!("a contact of {ida} with themselves")));
            }
            let (start, end) = rows.interval(line, start, end)?;
            let a = person_index(&mut self.persons, ida);
            let b = person_index(&mut self.persons, idb);
            self.contacts.push(Contact { a, b, start, end });
        }
        Ok(())
    }

    /// Reads `presences.csv` rows from `input`; `file` names it in errors.
    pub fn read_presences(&mut self, file: &str, input: impl Read) -> Result<(), InterchangeError> {
        let mut rows = Rows::new(file, input);
        let [person, place, kind, start, end] = rows.columns(
            ["person", "place", "kind", "start", "end"],
            &[],
            "person,place,kind,start,end",
        )?;
        while let Some(line) = rows.next()? {
            let person = rows.id(line, person, "person")?;
            let place_id = rows.id(line, place, "place")?;
            let kind_text = rows.field(kind);
            let Some(k) = Kind::parse(kind_text) else {
                return Err(rows.bad(
                    line,
                    "kind",
                    format!("`{kind_text}` is not household, room, vehicle or venue"),
                ));
            };
            let (start, end) = rows.interval(line, start, end)?;
            let place = self.places.index(place_id);
            match self.place_kinds.get(place as usize) {
                Some(&existing) if existing != k => {
                    return Err(rows.bad(
                        line,
                        "kind",
                        format!(
                            "place {} is a {existing} on an earlier line, not a {k}",
                            self.places.key(place)
                        ),
                    ))
                }
                Some(_) => {}
                None => self.place_kinds.push(k),
            }
            let person = person_index(&mut self.persons, person);
            self.presences.push(Presence {
                person,
                place,
                kind: k,
                start,
                end,
            });
        }
        Ok(())
    }

    /// Reads `cases.csv` rows from `input`; `file` names it in errors. A person listed
    /// twice is an error.
    pub fn read_cases(&mut self, file: &str, input: impl Read) -> Result<(), InterchangeError> {
        let mut rows = Rows::new(file, input);
        let [person, from, isolated] = rows.columns(
            ["person", "infectious_from", "isolated_at"],
            &["isolated_at"],
            "person,infectious_from,isolated_at",
        )?;
        let mut seen = std::collections::HashSet::new();
        while let Some(line) = rows.next()? {
            let id = rows.id(line, person, "person")?;
            let infectious_from = rows.time(line, from, "infectious_from")?;
            let isolated_at = match rows.field(isolated) {
                "" => None,
                _ => Some(rows.time(line, isolated, "isolated_at")?),
            };
            let person = person_index(&mut self.persons, id);
            if !seen.insert(person) {
                return Err(rows.bad(
                    line,
                    "person",
                    format!("case {} is listed twice", self.persons.key(person)),
                ));
            }
            self.cases.push(Case {
                person,
                infectious_from,
                isolated_at,
            });
        }
        Ok(())
    }

    /// Reads the three files (contacts and presences optional).
    pub fn read_files(
        contacts: Option<&Path>,
        presences: Option<&Path>,
        cases: &Path,
    ) -> Result<Self, InterchangeError> {
        let mut input = Self::new();
        let open = |path: &Path| {
            std::fs::File::open(path)
                .map(std::io::BufReader::new)
                .map_err(|source| InterchangeError::Io {
                    file: path.display().to_string(),
                    source,
                })
        };
        if let Some(path) = presences {
            input.read_presences(&path.display().to_string(), open(path)?)?;
        }
        if let Some(path) = contacts {
            input.read_contacts(&path.display().to_string(), open(path)?)?;
        }
        input.read_cases(&cases.display().to_string(), open(cases)?)?;
        Ok(input)
    }
}

/// One row of the result file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRow {
    /// Person id.
    pub person: String,
    /// 0 for F0, 1 for F1...
    pub level: u8,
    /// Earliest arrival at that level.
    pub exposed_at: Time,
    /// The person one level up (empty for a case).
    pub via_person: Option<String>,
    /// How (`contact`, `household`...).
    pub via_kind: Option<Via>,
    /// The place, for co-presence.
    pub via_place: Option<String>,
}

/// The engine's result over `input`'s ids, sorted by level then person.
pub fn result_rows(engine: &Engine, input: &TraceInput) -> Vec<ResultRow> {
    let mut rows: Vec<ResultRow> = engine
        .iter_reached()
        .map(|(v, r)| {
            let link = engine.link(v);
            ResultRow {
                person: input.persons.key(v).clone(),
                level: r.level,
                exposed_at: r.exposed_at,
                via_person: link.map(|l| input.persons.key(l.from).clone()),
                via_kind: link.map(|l| l.via),
                via_place: link.and_then(|l| l.place.map(|p| input.places.key(p).clone())),
            }
        })
        .collect();
    rows.sort_by(|x, y| (x.level, &x.person).cmp(&(y.level, &y.person)));
    rows
}

/// Writes the result file.
pub fn write_result(out: impl Write, rows: &[ResultRow]) -> Result<(), InterchangeError> {
    let io = |e: std::io::Error| InterchangeError::Io {
        file: "result".to_owned(),
        source: e,
    };
    let err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(e) => io(e),
        other => io(std::io::Error::other(format!("{other:?}"))),
    };
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "person",
        "level",
        "exposed_at",
        "via_person",
        "via_kind",
        "via_place",
    ])
    .map_err(err)?;
    for r in rows {
        w.write_record([
            r.person.as_str(),
            &r.level.to_string(),
            &format_time(r.exposed_at),
            r.via_person.as_deref().unwrap_or(""),
            r.via_kind.map_or("", Via::as_str),
            r.via_place.as_deref().unwrap_or(""),
        ])
        .map_err(err)?;
    }
    w.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use phongdich_trace::Params;

    fn err_text(e: InterchangeError) -> String {
        e.to_string()
    }

    #[test]
    fn times_are_rfc3339_with_an_offset_or_unix_seconds() {
        assert_eq!(parse_time("2021-05-12T08:00:00+07:00"), Ok(1_620_781_200));
        assert_eq!(parse_time("2021-05-12T01:00:00Z"), Ok(1_620_781_200));
        assert_eq!(parse_time("1620781200"), Ok(1_620_781_200));
        assert!(parse_time("12/05/2021").is_err());
        assert!(parse_time("2021-05-12T08:00:00").is_err(), "no offset");
        assert!(parse_time("").is_err());
        assert_eq!(format_time(1_620_781_200), "2021-05-12T08:00:00+07:00");
    }

    #[test]
    fn reads_contacts_presences_and_cases_by_column_name() {
        let mut input = TraceInput::new();
        input
            .read_contacts("c.csv", "end,a,b,start,note\n200,x,y,100,hi\n".as_bytes())
            .unwrap();
        input
            .read_presences(
                "p.csv",
                "person,place,kind,start,end\ny,h1,household,0,1000\nz,h1,household,0,1000\n"
                    .as_bytes(),
            )
            .unwrap();
        input
            .read_cases(
                "f.csv",
                "person,infectious_from,isolated_at\nx,0,\n".as_bytes(),
            )
            .unwrap();
        assert_eq!(input.contacts.len(), 1);
        assert_eq!(input.presences.len(), 2);
        assert_eq!(input.cases[0].isolated_at, None);
        let engine = Engine::build(
            Params::default(),
            &input.cases,
            &input.contacts,
            &input.presences,
        )
        .unwrap();
        let rows = result_rows(&engine, &input);
        let mut out = Vec::new();
        write_result(&mut out, &rows).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "person,level,exposed_at,via_person,via_kind,via_place\n\
             x,0,1970-01-01T07:00:00+07:00,,,\n\
             y,1,1970-01-01T07:01:40+07:00,x,contact,\n\
             z,2,1970-01-01T07:01:40+07:00,y,household,h1\n"
        );
    }

    #[test]
    fn a_cases_file_may_omit_isolated_at() {
        let mut input = TraceInput::new();
        input
            .read_cases("f.csv", "person,infectious_from\nx,0\n".as_bytes())
            .unwrap();
        assert_eq!(input.cases.len(), 1);
    }

    #[test]
    fn bad_rows_name_the_file_line_and_column() {
        let cases = [
            (
                "a,b,start,end\nx,y,0,10\nx,y,10,5\n",
                "c.csv, line 3, column end: ends (1970-01-01T07:00:05+07:00) before it starts (1970-01-01T07:00:10+07:00)",
            ),
            ("a,b,start,end\nx,,0,10\n", "c.csv, line 2, column b: empty id"),
            ("a,b,start,end\nx,x,0,10\n", "c.csv, line 2, column b: a contact of x with themselves"),
            ("a,b,start,end\nx,y,soon,10\n", "c.csv, line 2, column start: `soon` is not a time"),
            ("a,b,start\nx,y,0\n", "c.csv, line 1: no column `end` in the header (expected a,b,start,end)"),
            ("a,b,start,end\nx,y,0\n", "c.csv, line 2: 3 fields where the header has 4"),
        ];
        for (text, expected) in cases {
            let e = TraceInput::new()
                .read_contacts("c.csv", text.as_bytes())
                .unwrap_err();
            assert!(err_text(e).starts_with(expected), "{text:?}");
        }
    }

    #[test]
    fn a_place_has_one_kind_and_kinds_are_known() {
        let e = TraceInput::new()
            .read_presences(
                "p.csv",
                "person,place,kind,start,end\nx,m,venue,0,10\ny,m,room,0,10\n".as_bytes(),
            )
            .unwrap_err();
        assert_eq!(
            err_text(e),
            "p.csv, line 3, column kind: place m is a venue on an earlier line, not a room"
        );
        let e = TraceInput::new()
            .read_presences(
                "p.csv",
                "person,place,kind,start,end\nx,m,shop,0,10\n".as_bytes(),
            )
            .unwrap_err();
        assert_eq!(
            err_text(e),
            "p.csv, line 2, column kind: `shop` is not household, room, vehicle or venue"
        );
    }

    #[test]
    fn a_case_listed_twice_is_an_error() {
        let e = TraceInput::new()
            .read_cases(
                "f.csv",
                "person,infectious_from,isolated_at\nx,0,\nx,5,9\n".as_bytes(),
            )
            .unwrap_err();
        assert_eq!(
            err_text(e),
            "f.csv, line 3, column person: case x is listed twice"
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = TraceInput::read_files(None, None, Path::new("/nonexistent/f.csv")).unwrap_err();
        assert!(err_text(e).starts_with("/nonexistent/f.csv: "));
    }
}
