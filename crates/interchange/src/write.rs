//! Streaming writers of the interchange files: `contacts.csv`, `presences.csv` and
//! `cases.csv` one row at a time (what `phongdich demo --export` writes), and the
//! result file of a trace. A writer refuses a row its reader would refuse, so what is
//! written can always be read back.

use crate::time::Rfc3339;
use crate::InterchangeError;
use phongdich_trace::{Engine, Kind, Time, Via};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// One CSV file being written, with its name and the line about to be written.
struct Out<W: Write> {
    file: String,
    csv: csv::Writer<W>,
    line: u64,
}

impl<W: Write> Out<W> {
    fn new(file: &str, out: W, header: &[&str]) -> Result<Self, InterchangeError> {
        let mut out = Self {
            file: file.to_owned(),
            csv: csv::WriterBuilder::new()
                .buffer_capacity(1 << 16)
                .from_writer(out),
            line: 1,
        };
        out.row(header)?;
        Ok(out)
    }

    fn error(&self, e: csv::Error) -> InterchangeError {
        let source = match e.into_kind() {
            csv::ErrorKind::Io(e) => e,
            other => std::io::Error::other(format!("{other:?}")),
        };
        InterchangeError::Io {
            file: self.file.clone(),
            source,
        }
    }

    fn row<I, T>(&mut self, fields: I) -> Result<(), InterchangeError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.csv.write_record(fields).map_err(|e| self.error(e))?;
        self.line += 1;
        Ok(())
    }

    fn bad(&self, column: &'static str, reason: impl Into<String>) -> InterchangeError {
        InterchangeError::Row {
            file: self.file.clone(),
            line: self.line,
            column,
            reason: reason.into(),
        }
    }

    fn id(&self, column: &'static str, id: &str) -> Result<(), InterchangeError> {
        if id.trim().is_empty() {
            return Err(self.bad(column, "empty id"));
        }
        Ok(())
    }

    fn interval(&self, start: Time, end: Time) -> Result<(), InterchangeError> {
        if end < start {
            return Err(self.bad(
                "end",
                format!(
                    "ends ({}) before it starts ({})",
                    Rfc3339::new(end).as_str(),
                    Rfc3339::new(start).as_str()
                ),
            ));
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), InterchangeError> {
        // Flushes the CSV buffer and the writer under it.
        self.csv.flush().map_err(|source| InterchangeError::Io {
            file: self.file.clone(),
            source,
        })
    }

    fn finish(mut self) -> Result<W, InterchangeError> {
        self.flush()?;
        let file = self.file;
        self.csv.into_inner().map_err(|e| InterchangeError::Io {
            file,
            source: std::io::Error::new(e.error().kind(), e.error().to_string()),
        })
    }
}

fn create(path: &Path) -> Result<(String, BufWriter<File>), InterchangeError> {
    let file = path.display().to_string();
    match File::create(path) {
        Ok(f) => Ok((file, BufWriter::with_capacity(1 << 20, f))),
        Err(source) => Err(InterchangeError::Io { file, source }),
    }
}

macro_rules! file_writer {
    ($name:ident, $header:expr) => {
        impl $name<BufWriter<File>> {
            /// Creates (or truncates) the file at `path` and writes its header.
            pub fn create(path: &Path) -> Result<Self, InterchangeError> {
                let (file, out) = create(path)?;
                Self::new(&file, out)
            }
        }

        impl<W: Write> $name<W> {
            /// Writes the header to `out`; `file` names it in errors.
            pub fn new(file: &str, out: W) -> Result<Self, InterchangeError> {
                Ok(Self(Out::new(file, out, &$header)?))
            }

            /// Flushes everything written so far down to the file.
            pub fn flush(&mut self) -> Result<(), InterchangeError> {
                self.0.flush()
            }

            /// Flushes everything written and returns the writer.
            pub fn finish(self) -> Result<W, InterchangeError> {
                self.0.finish()
            }
        }

        impl<W: Write> std::fmt::Debug for $name<W> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("file", &self.0.file)
                    .field("line", &self.0.line)
                    .finish_non_exhaustive()
            }
        }
    };
}

/// Writes `contacts.csv`: `a,b,start,end`.
pub struct ContactWriter<W: Write>(Out<W>);
file_writer!(ContactWriter, ["a", "b", "start", "end"]);

impl<W: Write> ContactWriter<W> {
    /// One contact of `a` and `b` over `[start, end]`.
    pub fn write(
        &mut self,
        a: &str,
        b: &str,
        start: Time,
        end: Time,
    ) -> Result<(), InterchangeError> {
        self.0.id("a", a)?;
        self.0.id("b", b)?;
        if a.trim() == b.trim() {
            return Err(self.0.bad("b", format!("a contact of {a} with themselves")));
        }
        self.0.interval(start, end)?;
        let (start, end) = (Rfc3339::new(start), Rfc3339::new(end));
        self.0
            .row([a.as_bytes(), b.as_bytes(), start.as_bytes(), end.as_bytes()])
    }
}

/// Writes `presences.csv`: `person,place,kind,start,end`.
pub struct PresenceWriter<W: Write>(Out<W>);
file_writer!(PresenceWriter, ["person", "place", "kind", "start", "end"]);

impl<W: Write> PresenceWriter<W> {
    /// `person` at `place` (of `kind`) over `[start, end]`. That a place keeps one kind
    /// is not checked here (it would take a map of every place); the reader checks it.
    pub fn write(
        &mut self,
        person: &str,
        place: &str,
        kind: Kind,
        start: Time,
        end: Time,
    ) -> Result<(), InterchangeError> {
        self.0.id("person", person)?;
        self.0.id("place", place)?;
        self.0.interval(start, end)?;
        let (start, end) = (Rfc3339::new(start), Rfc3339::new(end));
        self.0.row([
            person.as_bytes(),
            place.as_bytes(),
            kind.as_str().as_bytes(),
            start.as_bytes(),
            end.as_bytes(),
        ])
    }
}

/// Writes `cases.csv`: `person,infectious_from,isolated_at`.
pub struct CaseWriter<W: Write>(Out<W>);
file_writer!(CaseWriter, ["person", "infectious_from", "isolated_at"]);

impl<W: Write> CaseWriter<W> {
    /// A case of `person`, infectious from `infectious_from` until `isolated_at`
    /// (`None`: still circulating, written as an empty field). A person written twice
    /// is not checked here; the reader checks it.
    pub fn write(
        &mut self,
        person: &str,
        infectious_from: Time,
        isolated_at: Option<Time>,
    ) -> Result<(), InterchangeError> {
        self.0.id("person", person)?;
        if let Some(isolated_at) = isolated_at.filter(|&t| t < infectious_from) {
            return Err(self.0.bad(
                "isolated_at",
                format!(
                    "isolated ({}) before infectious ({})",
                    Rfc3339::new(isolated_at).as_str(),
                    Rfc3339::new(infectious_from).as_str()
                ),
            ));
        }
        let from = Rfc3339::new(infectious_from);
        let isolated = isolated_at.map(Rfc3339::new);
        self.0.row([
            person.as_bytes(),
            from.as_bytes(),
            isolated.as_ref().map_or(&b""[..], Rfc3339::as_bytes),
        ])
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
pub fn result_rows(engine: &Engine, input: &crate::TraceInput) -> Vec<ResultRow> {
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

/// Writes the result file: `person,level,exposed_at,via_person,via_kind,via_place`.
pub fn write_result(out: impl Write, rows: &[ResultRow]) -> Result<(), InterchangeError> {
    let mut out = Out::new(
        "result",
        out,
        &[
            "person",
            "level",
            "exposed_at",
            "via_person",
            "via_kind",
            "via_place",
        ],
    )?;
    for r in rows {
        out.row([
            r.person.as_bytes(),
            r.level.to_string().as_bytes(),
            Rfc3339::new(r.exposed_at).as_bytes(),
            r.via_person.as_deref().unwrap_or("").as_bytes(),
            r.via_kind.map_or("", Via::as_str).as_bytes(),
            r.via_place.as_deref().unwrap_or("").as_bytes(),
        ])?;
    }
    out.finish().map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TraceInput;
    use phongdich_trace::{Case, Contact, Params, Presence};

    const T: Time = 1_620_781_200; // 2021-05-12T08:00:00+07:00

    #[test]
    fn written_files_read_back_the_same() {
        let mut contacts = ContactWriter::new("c.csv", Vec::new()).unwrap();
        contacts.write("x", "y", T, T + 600).unwrap();
        let contacts = contacts.finish().unwrap();
        assert_eq!(
            String::from_utf8(contacts.clone()).unwrap(),
            "a,b,start,end\nx,y,2021-05-12T08:00:00+07:00,2021-05-12T08:10:00+07:00\n"
        );
        let mut presences = PresenceWriter::new("p.csv", Vec::new()).unwrap();
        presences
            .write("y", "chợ Tân Uyên", Kind::Venue, T + 300, T + 3600)
            .unwrap();
        presences
            .write("z", "chợ Tân Uyên", Kind::Venue, T, T)
            .unwrap();
        let presences = presences.finish().unwrap();
        let mut cases = CaseWriter::new("f.csv", Vec::new()).unwrap();
        cases.write("x", T - 86_400, None).unwrap();
        cases.write("w, \"the driver\"", T, Some(T + 1)).unwrap();
        let cases = cases.finish().unwrap();
        assert_eq!(
            String::from_utf8(cases.clone()).unwrap(),
            "person,infectious_from,isolated_at\n\
             x,2021-05-11T08:00:00+07:00,\n\
             \"w, \"\"the driver\"\"\",2021-05-12T08:00:00+07:00,2021-05-12T08:00:01+07:00\n"
        );

        let mut input = TraceInput::new();
        input.read_contacts("c.csv", &contacts[..]).unwrap();
        input.read_presences("p.csv", &presences[..]).unwrap();
        input.read_cases("f.csv", &cases[..]).unwrap();
        let id = |s: &str| input.persons.get(s).unwrap();
        assert_eq!(
            input.contacts,
            vec![Contact {
                a: id("x"),
                b: id("y"),
                start: T,
                end: T + 600
            }]
        );
        assert_eq!(
            input.presences[0],
            Presence {
                person: id("y"),
                place: 0,
                kind: Kind::Venue,
                start: T + 300,
                end: T + 3600
            }
        );
        assert_eq!(input.places.key(0), "chợ Tân Uyên");
        assert_eq!(
            input.cases,
            vec![
                Case {
                    person: id("x"),
                    infectious_from: T - 86_400,
                    isolated_at: None
                },
                Case {
                    person: id("w, \"the driver\""),
                    infectious_from: T,
                    isolated_at: Some(T + 1)
                }
            ]
        );
    }

    #[test]
    fn writers_refuse_what_readers_refuse() {
        let mut c = ContactWriter::new("c.csv", Vec::new()).unwrap();
        c.write("x", "y", 0, 1).unwrap();
        assert_eq!(
            c.write("x", "y", 10, 5).unwrap_err().to_string(),
            "c.csv, line 3, column end: ends (1970-01-01T07:00:05+07:00) before it starts (1970-01-01T07:00:10+07:00)"
        );
        assert_eq!(
            c.write("x", "x", 0, 5).unwrap_err().to_string(),
            "c.csv, line 3, column b: a contact of x with themselves"
        );
        assert_eq!(
            c.write("", "x", 0, 5).unwrap_err().to_string(),
            "c.csv, line 3, column a: empty id"
        );
        let mut p = PresenceWriter::new("p.csv", Vec::new()).unwrap();
        assert_eq!(
            p.write("x", " ", Kind::Room, 0, 5).unwrap_err().to_string(),
            "p.csv, line 2, column place: empty id"
        );
        let mut f = CaseWriter::new("f.csv", Vec::new()).unwrap();
        assert_eq!(
            f.write("x", 100, Some(50)).unwrap_err().to_string(),
            "f.csv, line 2, column isolated_at: isolated (1970-01-01T07:00:50+07:00) before infectious (1970-01-01T07:01:40+07:00)"
        );
        // Nothing refused was written.
        assert_eq!(
            c.finish().unwrap().iter().filter(|&&b| b == b'\n').count(),
            2
        );
    }

    #[test]
    fn create_names_the_file_it_cannot_create() {
        let e = ContactWriter::create(Path::new("/nonexistent/dir/contacts.csv")).unwrap_err();
        assert!(
            e.to_string().starts_with("/nonexistent/dir/contacts.csv: "),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases.csv");
        let mut w = CaseWriter::create(&path).unwrap();
        w.write("x", 0, None).unwrap();
        w.finish().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "person,infectious_from,isolated_at\nx,1970-01-01T07:00:00+07:00,\n"
        );
    }

    #[test]
    fn the_result_is_sorted_by_level_then_person_with_its_links() {
        let mut input = TraceInput::new();
        input
            .read_contacts("c.csv", "a,b,start,end\nx,y,100,200\n".as_bytes())
            .unwrap();
        input
            .read_presences(
                "p.csv",
                "person,place,kind,start,end\nz,h1,household,0,1000\ny,h1,household,0,1000\nb,h1,household,0,1000\n"
                    .as_bytes(),
            )
            .unwrap();
        input
            .read_cases(
                "f.csv",
                "person,infectious_from,isolated_at\nx,0,\n".as_bytes(),
            )
            .unwrap();
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
             b,2,1970-01-01T07:01:40+07:00,y,household,h1\n\
             z,2,1970-01-01T07:01:40+07:00,y,household,h1\n"
        );
    }
}
