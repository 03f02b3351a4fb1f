//! Streaming readers of `contacts.csv`, `presences.csv` and `cases.csv` into the
//! engine's input ([`TraceInput`]): text ids numbered densely, every row checked.

use crate::time::{format_time, parse_time};
use crate::InterchangeError;
use phongdich_trace::{Case, Contact, Ids, Kind, Presence, Time};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// The most ids of one sort (persons or places) a file may hold: the engine keeps
/// the last indexes of `u32` for itself.
const MAX_IDS: usize = (u32::MAX - 2) as usize;

/// Persons, places, cases and exposures read from interchange files, ready for
/// [`phongdich_trace::Engine::build`]. Persons and places are numbered in first-seen order.
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

    /// The dense index of `id` in `ids`; an error once the engine's range is full.
    fn index(
        &self,
        line: u64,
        column: &'static str,
        ids: &mut Ids<String>,
        id: String,
    ) -> Result<u32, InterchangeError> {
        if ids.len() >= MAX_IDS && ids.get(&id).is_none() {
            return Err(self.bad(
                line,
                column,
                format!("more than {MAX_IDS} distinct ids in one file"),
            ));
        }
        Ok(ids.index(id))
    }
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
            let a = rows.index(line, "a", &mut self.persons, ida)?;
            let b = rows.index(line, "b", &mut self.persons, idb)?;
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
            let place = rows.index(line, "place", &mut self.places, place_id)?;
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
            let person = rows.index(line, "person", &mut self.persons, person)?;
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

    /// Reads `cases.csv` rows from `input`; `file` names it in errors. `isolated_at`
    /// may be empty (still circulating) or the column absent; a case isolated before it
    /// is infectious, or listed twice, is an error.
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
            if let Some(isolated_at) = isolated_at.filter(|&t| t < infectious_from) {
                return Err(rows.bad(
                    line,
                    "isolated_at",
                    format!(
                        "isolated ({}) before infectious ({})",
                        format_time(isolated_at),
                        format_time(infectious_from)
                    ),
                ));
            }
            let person = rows.index(line, "person", &mut self.persons, id)?;
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

    /// Reads the three files (contacts and presences optional), streaming each through
    /// a buffered reader. Presences are read first, so persons are numbered in the
    /// order of the presences, then of the contacts, then of the cases.
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

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[derive(Debug, Clone, Copy)]
    enum File {
        Contacts,
        Presences,
        Cases,
    }

    fn read(file: File, text: &[u8]) -> Result<TraceInput, InterchangeError> {
        let mut input = TraceInput::new();
        match file {
            File::Contacts => input.read_contacts("c.csv", text)?,
            File::Presences => input.read_presences("p.csv", text)?,
            File::Cases => input.read_cases("f.csv", text)?,
        }
        Ok(input)
    }

    #[test]
    fn reads_the_three_files_by_column_name() {
        let mut input = TraceInput::new();
        input
            .read_presences(
                "p.csv",
                "person,place,kind,start,end\n\
                 y,h1,household,0,1000\n\
                 z,h1,household,2021-05-12T08:00:00+07:00,2021-05-12T09:00:00+07:00\n"
                    .as_bytes(),
            )
            .unwrap();
        // Columns in another order, an extra one, spaces around fields.
        input
            .read_contacts("c.csv", "end,a,b,start,note\n200, x ,y,100,hi\n".as_bytes())
            .unwrap();
        input
            .read_cases(
                "f.csv",
                "person,infectious_from,isolated_at\nx,0,\nz,10,10\n".as_bytes(),
            )
            .unwrap();
        assert_eq!(input.persons.len(), 3);
        assert_eq!(input.persons.key(0), "y", "numbered in first-seen order");
        assert_eq!(input.places.len(), 1);
        let x = input.persons.get("x").unwrap();
        let y = input.persons.get("y").unwrap();
        assert_eq!(
            input.contacts,
            vec![Contact {
                a: x,
                b: y,
                start: 100,
                end: 200
            }]
        );
        assert_eq!(input.presences[1].start, 1_620_781_200);
        assert_eq!(input.presences[1].end, 1_620_784_800);
        assert_eq!(input.presences[1].kind, Kind::Household);
        assert_eq!(input.cases[0].isolated_at, None);
        assert_eq!(input.cases[1].isolated_at, Some(10));
    }

    #[test]
    fn a_cases_file_may_omit_isolated_at() {
        let input = read(File::Cases, b"person,infectious_from\nx,0\n").unwrap();
        assert_eq!(input.cases.len(), 1);
        assert_eq!(input.cases[0].isolated_at, None);
    }

    #[test]
    fn an_empty_file_after_its_header_is_no_rows() {
        let input = read(File::Contacts, b"a,b,start,end\n").unwrap();
        assert!(input.contacts.is_empty());
    }

    #[rstest]
    #[case::contact_ends_before_it_starts(
        File::Contacts,
        "a,b,start,end\nx,y,0,10\nx,y,10,5\n",
        "c.csv, line 3, column end: ends (1970-01-01T07:00:05+07:00) before it starts (1970-01-01T07:00:10+07:00)"
    )]
    #[case::empty_id(
        File::Contacts,
        "a,b,start,end\nx,,0,10\n",
        "c.csv, line 2, column b: empty id"
    )]
    #[case::contact_with_oneself(
        File::Contacts,
        "a,b,start,end\nx,x,0,10\n",
        "c.csv, line 2, column b: a contact of x with themselves"
    )]
    #[case::bad_time(
        File::Contacts,
        "a,b,start,end\nx,y,soon,10\n",
        "c.csv, line 2, column start: `soon` is not a time"
    )]
    #[case::empty_time(
        File::Contacts,
        "a,b,start,end\nx,y,0,\n",
        "c.csv, line 2, column end: empty time"
    )]
    #[case::missing_column(
        File::Contacts,
        "a,b,start\nx,y,0\n",
        "c.csv, line 1: no column `end` in the header (expected a,b,start,end)"
    )]
    #[case::short_row(
        File::Contacts,
        "a,b,start,end\nx,y,0\n",
        "c.csv, line 2: 3 fields where the header has 4"
    )]
    #[case::unknown_kind(
        File::Presences,
        "person,place,kind,start,end\nx,m,shop,0,10\n",
        "p.csv, line 2, column kind: `shop` is not household, room, vehicle or venue"
    )]
    #[case::a_place_with_two_kinds(
        File::Presences,
        "person,place,kind,start,end\nx,m,venue,0,10\ny,m,room,0,10\n",
        "p.csv, line 3, column kind: place m is a venue on an earlier line, not a room"
    )]
    #[case::empty_place(
        File::Presences,
        "person,place,kind,start,end\nx, ,venue,0,10\n",
        "p.csv, line 2, column place: empty id"
    )]
    #[case::time_without_offset(
        File::Presences,
        "person,place,kind,start,end\nx,m,venue,0,2021-05-12T08:00:00\n",
        "p.csv, line 2, column end: `2021-05-12T08:00:00` is not a time"
    )]
    #[case::presence_ends_before_it_starts(
        File::Presences,
        "person,place,kind,start,end\nx,m,venue,2021-05-12T08:00:00+07:00,2021-05-12T07:59:59+07:00\n",
        "p.csv, line 2, column end: ends (2021-05-12T07:59:59+07:00) before it starts (2021-05-12T08:00:00+07:00)"
    )]
    #[case::missing_kind(
        File::Presences,
        "person,place,start,end\nx,m,0,10\n",
        "p.csv, line 1: no column `kind` in the header (expected person,place,kind,start,end)"
    )]
    #[case::bad_infectious_from(
        File::Cases,
        "person,infectious_from,isolated_at\nx,12/05/2021,\n",
        "f.csv, line 2, column infectious_from: `12/05/2021` is not a time"
    )]
    #[case::bad_isolated_at(
        File::Cases,
        "person,infectious_from,isolated_at\nx,0,later\n",
        "f.csv, line 2, column isolated_at: `later` is not a time"
    )]
    #[case::isolated_before_infectious(
        File::Cases,
        "person,infectious_from,isolated_at\nx,100,50\n",
        "f.csv, line 2, column isolated_at: isolated (1970-01-01T07:00:50+07:00) before infectious (1970-01-01T07:01:40+07:00)"
    )]
    #[case::a_case_listed_twice(
        File::Cases,
        "person,infectious_from,isolated_at\nx,0,\nx,5,9\n",
        "f.csv, line 3, column person: case x is listed twice"
    )]
    #[case::empty_case(
        File::Cases,
        "person,infectious_from,isolated_at\n,0,\n",
        "f.csv, line 2, column person: empty id"
    )]
    #[case::missing_infectious_from(
        File::Cases,
        "person,isolated_at\nx,0\n",
        "f.csv, line 1: no column `infectious_from` in the header (expected person,infectious_from,isolated_at)"
    )]
    fn bad_rows_name_the_file_line_and_column(
        #[case] file: File,
        #[case] text: &str,
        #[case] expected: &str,
    ) {
        let e = read(file, text.as_bytes()).unwrap_err().to_string();
        assert!(e.starts_with(expected), "{e}");
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_with_its_line() {
        let e = read(File::Contacts, b"a,b,start,end\nx,y,0,1\nx,\xff,0,1\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "c.csv, line 3: not UTF-8 text");
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = TraceInput::read_files(None, None, Path::new("/nonexistent/f.csv")).unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/f.csv: "), "{e}");
    }

    #[test]
    fn read_files_reads_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let contacts = write("contacts.csv", "a,b,start,end\nx,y,0,10\n");
        let presences = write(
            "presences.csv",
            "person,place,kind,start,end\ny,h,room,0,10\n",
        );
        let cases = write("cases.csv", "person,infectious_from,isolated_at\nx,0,5\n");
        let input = TraceInput::read_files(Some(&contacts), Some(&presences), &cases).unwrap();
        assert_eq!(
            (
                input.contacts.len(),
                input.presences.len(),
                input.cases.len()
            ),
            (1, 1, 1)
        );
        // The file's own path is in its errors.
        let bad = write("bad.csv", "a,b,start,end\nx,y,9,1\n");
        let e = TraceInput::read_files(Some(&bad), None, &cases).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("{}, line 2, column end:", bad.display())),
            "{e}"
        );
    }
}
