//! Imports: a CSV (UTF-8, header row) or Excel (.xlsx, first sheet, same columns) file
//! of villages, places, persons, contacts, presences or cases loaded into the database
//! (`phongdich import`, [`App::import`]).
//!
//! Villages and residential groups (thôn, bản, tổ dân phố) have no official codes: a
//! province keeps its own list, `COMMUNE-NN` under each commune of the province
//! ([`UnitCode::village`]), and imports it before the persons who live there. Places
//! (venues, facilities, checkpoints, rooms, trips, households' homes) come with their
//! unit, before the presences that name them.
//!
//! An import lands whole or not at all: every row is checked first (fields, references
//! to persons and places, duplicates within the file and against the database), every
//! problem is reported as `line N, column C: reason`, and only a clean file is written,
//! in one transaction through the store's bulk loader, together with the audit event
//! (who imported which file, how many rows, the ids given) and a step of the data
//! version that tells a running server to rebuild its tracing engine. Duplicate
//! identity numbers are reported, never merged. Only writers of the whole province
//! may import (an import is not checked against a smaller jurisdiction).
//!
//! The contacts, presences and cases formats are the interchange files of
//! `docs/tracing.md`. Their field parsing lives here until `phongdich-interchange` has
//! readers for them; each `parse_*` function below is the seam to switch.

use crate::access::{check_role, Action};
use crate::actor::Actor;
use crate::error::AppError;
use crate::App;
use phongdich_domain::{
    AdminLevel, AdminUnit, BirthDate, Case, CaseClassification, CaseOutcome, FullName,
    IdentityDocument, Interval, Phone, PlaceKind, Sex, Timestamp, UnitCode, VenueKind,
};
use phongdich_store::{
    BulkLoader, CommitProgress, IdTable, NewAuditEvent, NewCase, NewContact, NewHousehold,
    NewPerson, NewPlace, NewPresence, Store, StoreError,
};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

/// Problems listed in full before the rest are only counted.
const MAX_LISTED: usize = 100;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// `code,name,parent_code`: villages under communes of the province (`parent_code`
    /// may be left out: it is the commune the code starts with).
    Units,
    /// `ref,kind,venue_kind,name,unit_code,address,capacity,operator`.
    Places,
    /// `ref,full_name,birth,sex,id_number,nationality,phone,address,unit_code,household`
    Persons,
    /// `a,b,start,end` (person references).
    Contacts,
    /// `person,place,kind,start,end`; an unknown place reference creates the place.
    Presences,
    /// `person,infectious_from,isolated_at`.
    Cases,
}

impl ImportKind {
    /// The columns of the file, in the documented order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            // `level` is accepted (it can only be `village`) for lists that carry it.
            Self::Units => &["code", "name", "parent_code", "level"],
            Self::Places => &[
                "ref",
                "kind",
                "venue_kind",
                "name",
                "unit_code",
                "address",
                "capacity",
                "operator",
            ],
            Self::Persons => &[
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
            Self::Contacts => &["a", "b", "start", "end"],
            Self::Presences => &["person", "place", "kind", "start", "end"],
            Self::Cases => &["person", "infectious_from", "isolated_at"],
        }
    }

    /// The columns a file must have (the others may be left out).
    fn required(self) -> &'static [&'static str] {
        match self {
            Self::Units => &["code", "name"],
            Self::Places => &["ref", "kind", "name"],
            Self::Persons => &["ref", "full_name"],
            Self::Contacts => &["a", "b", "start", "end"],
            Self::Presences => &["person", "place", "kind", "start", "end"],
            Self::Cases => &["person", "infectious_from"],
        }
    }

    /// The plural noun (`persons`).
    pub fn noun(self) -> &'static str {
        match self {
            Self::Units => "units",
            Self::Places => "places",
            Self::Persons => "persons",
            Self::Contacts => "contacts",
            Self::Presences => "presences",
            Self::Cases => "cases",
        }
    }
}

/// Why an import did not land. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Read(String),
    /// Rows are wrong; every problem is listed.
    #[error("{path} has {count} problem(s); nothing was imported:\n{report}")]
    Refused {
        /// The file.
        path: String,
        /// How many problems.
        count: usize,
        /// The report, a line per problem (at most 100).
        report: String,
    },
    /// The actor may not import, or the database failed.
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        Self::App(e.into())
    }
}

type ImportResult<T> = Result<T, ImportError>;

fn read_error(path: &Path, what: &str, e: impl fmt::Display) -> ImportError {
    ImportError::Read(format!("{what} {}: {e}", path.display()))
}

/// One problem with the input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// Line of the CSV file, or row of the sheet (the header is line 1).
    pub line: u64,
    /// Column name.
    pub column: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.reason
        )
    }
}

/// Every problem found, listed (up to [`MAX_LISTED`]) in line order.
#[derive(Debug, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, line: u64, column: &str, reason: impl Into<String>) {
        self.0.push(Problem {
            line,
            column: column.to_owned(),
            reason: reason.into(),
        });
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The report shown to the user.
    pub fn report(&self) -> String {
        let mut sorted = self.0.clone();
        sorted.sort();
        let mut out: Vec<String> = sorted
            .iter()
            .take(MAX_LISTED)
            .map(Problem::to_string)
            .collect();
        if sorted.len() > MAX_LISTED {
            out.push(format!(
                "... and {} more problems",
                sorted.len() - MAX_LISTED
            ));
        }
        out.join("\n")
    }
}

/// A file read as text cells.
#[derive(Debug, Default)]
pub struct Sheet {
    /// Column names, trimmed and lowercased.
    pub header: Vec<String>,
    /// Rows after the header; empty rows are dropped.
    pub rows: Vec<SheetRow>,
}

/// One row of a [`Sheet`].
#[derive(Debug)]
pub struct SheetRow {
    /// Line (CSV) or row number (sheet), 1 being the header.
    pub line: u64,
    /// Cells, trimmed.
    pub cells: Vec<String>,
}

/// Reads a CSV file or the first sheet of a workbook; rows that cannot be read are
/// added to `problems`.
pub fn read_sheet(path: &Path, problems: &mut Problems) -> ImportResult<Sheet> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods") {
        read_workbook(path)
    } else {
        read_csv(path, problems)
    }
}

fn read_csv(path: &Path, problems: &mut Problems) -> ImportResult<Sheet> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| read_error(path, "opening", e))?;
    let header = reader
        .headers()
        .map_err(|e| read_error(path, "reading the header of", e))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                let cells: Vec<String> = r.iter().map(|c| c.trim().to_owned()).collect();
                if cells.iter().any(|c| !c.is_empty()) {
                    rows.push(SheetRow { line, cells });
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(line, "-", format!("unreadable row: {e}"));
            }
        }
    }
    Ok(Sheet { header, rows })
}

fn read_workbook(path: &Path) -> ImportResult<Sheet> {
    use calamine::Reader;
    let mut workbook =
        calamine::open_workbook_auto(path).map_err(|e| read_error(path, "opening", e))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| ImportError::Read(format!("{} has no sheet", path.display())))?
        .map_err(|e| read_error(path, "reading the first sheet of", e))?;
    let first_row = u64::from(range.start().map_or(0, |(r, _)| r));
    let mut sheet = Sheet::default();
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        let line = first_row + i as u64 + 1;
        if i == 0 {
            sheet.header = cells.iter().map(|c| c.to_lowercase()).collect();
        } else if cells.iter().any(|c| !c.is_empty()) {
            sheet.rows.push(SheetRow { line, cells });
        }
    }
    Ok(sheet)
}

/// A cell as the text a CSV file would hold: whole numbers without `.0`, dates as
/// `YYYY-MM-DD`, date-times as local time with the Vietnam offset.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    let text = match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.format("%Y-%m-%d").to_string(),
            Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S+07:00").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::Error(e) => format!("#{e}"),
    };
    text.trim().to_owned()
}

/// Column positions of a sheet for one kind of file.
struct Columns(HashMap<&'static str, usize>);

impl Columns {
    fn new(kind: ImportKind, header: &[String], problems: &mut Problems) -> Self {
        let mut map = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            match kind.columns().iter().find(|c| **c == name) {
                Some(c) => {
                    if map.insert(*c, i).is_some() {
                        problems.push(1, name, "column appears twice");
                    }
                }
                None if name.is_empty() => {}
                None => problems.push(
                    1,
                    name,
                    format!("unknown column; expected {}", kind.columns().join(",")),
                ),
            }
        }
        for required in kind.required() {
            if !map.contains_key(required) {
                problems.push(1, required, "required column is missing");
            }
        }
        Self(map)
    }

    /// The trimmed cell of `column` in `row`, empty when absent.
    fn get<'r>(&self, row: &'r SheetRow, column: &str) -> &'r str {
        self.0
            .get(column)
            .and_then(|&i| row.cells.get(i))
            .map_or("", String::as_str)
    }
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// Rows written.
    pub rows: u64,
}

/// Where an import is, for a progress display ([`App::import_with_progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportProgress {
    /// Reading the file.
    Reading,
    /// Checking the rows against each other and the database.
    Checking {
        /// Rows read.
        rows: usize,
    },
    /// Writing the rows (one transaction).
    Writing {
        /// Rows read.
        rows: usize,
    },
    /// Committing: index builds, the commit, statistics.
    Committing(CommitProgress),
}

impl fmt::Display for ImportProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reading => f.write_str("đọc tệp (reading the file)"),
            Self::Checking { rows } => write!(f, "kiểm tra {rows} dòng (checking {rows} rows)"),
            Self::Writing { rows } => write!(f, "ghi {rows} dòng (writing {rows} rows)"),
            Self::Committing(p) => write!(f, "{} ({}/{})", p.step, p.done + 1, p.total),
        }
    }
}

/// A progress callback.
type OnProgress<'p> = &'p (dyn Fn(ImportProgress) + Send + Sync);

/// What a clean import lands with: its audit event, and whom to tell how it goes.
struct Landing<'p> {
    event: NewAuditEvent,
    rows: usize,
    progress: OnProgress<'p>,
}

impl Landing<'_> {
    /// Starts the bulk load that [`finish`] commits.
    async fn bulk(&self, store: &Store) -> ImportResult<BulkLoader> {
        (self.progress)(ImportProgress::Writing { rows: self.rows });
        Ok(store.bulk().await?)
    }
}

impl App {
    /// Checks and loads one file, whole or not at all, audited as `actor`; any problem
    /// fails the whole import with every problem in the error.
    pub async fn import(
        &self,
        actor: &Actor,
        kind: ImportKind,
        path: &Path,
    ) -> ImportResult<Imported> {
        self.import_with_progress(actor, kind, path, &|_| {}).await
    }

    /// [`App::import`], telling `progress` each phase as it starts (a file of
    /// millions of rows takes a while to read, check, write and index).
    pub async fn import_with_progress(
        &self,
        actor: &Actor,
        kind: ImportKind,
        path: &Path,
        progress: OnProgress<'_>,
    ) -> ImportResult<Imported> {
        check_role(actor, Action::Write)?;
        if !self.scope(actor).await?.whole() {
            return Err(AppError::Forbidden.into());
        }
        let mut problems = Problems::default();
        progress(ImportProgress::Reading);
        let sheet = read_sheet(path, &mut problems)?;
        progress(ImportProgress::Checking {
            rows: sheet.rows.len(),
        });
        let columns = Columns::new(kind, &sheet.header, &mut problems);
        if !problems.is_empty() {
            return Err(refused(path, &problems));
        }
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let audit = Landing {
            event: self.event(
                actor,
                "create",
                "import",
                format!("{}:{file}", kind.noun()),
                None,
            ),
            rows: sheet.rows.len(),
            progress,
        };
        let today = self.now().local_date();
        let store = self.store();
        let written = match kind {
            ImportKind::Units => {
                import_units(
                    store,
                    self.province(),
                    &sheet,
                    &columns,
                    audit,
                    &mut problems,
                )
                .await?
            }
            ImportKind::Places => {
                import_places(store, &sheet, &columns, audit, &mut problems).await?
            }
            ImportKind::Persons => {
                import_persons(store, &sheet, &columns, today, audit, &mut problems).await?
            }
            ImportKind::Contacts => {
                import_contacts(store, &sheet, &columns, audit, &mut problems).await?
            }
            ImportKind::Presences => {
                import_presences(store, &sheet, &columns, audit, &mut problems).await?
            }
            ImportKind::Cases => {
                import_cases(store, &sheet, &columns, audit, &mut problems).await?
            }
        };
        match written {
            Some(rows) => {
                tracing::info!(rows, kind = kind.noun(), file = %file, "imported");
                Ok(Imported { rows })
            }
            None => Err(refused(path, &problems)),
        }
    }
}

/// Ends a clean load: its audit event (with what was written) and a step of the data
/// version in the same transaction, then the commit.
async fn finish(
    mut bulk: BulkLoader,
    landing: Landing<'_>,
    rows: u64,
    ids: Option<(i64, i64)>,
) -> ImportResult<Option<u64>> {
    let Landing {
        event: mut audit,
        progress,
        ..
    } = landing;
    let mut after = serde_json::json!({ "rows": rows });
    if let Some((first, last)) = ids {
        after["first_id"] = first.into();
        after["last_id"] = last.into();
    }
    audit.after_json = Some(after.to_string());
    bulk.audit(std::slice::from_ref(&audit)).await?;
    bulk.bump_data_version().await?;
    bulk.commit_with_progress(|p| progress(ImportProgress::Committing(p)))
        .await?;
    Ok(Some(rows))
}

fn refused(path: &Path, problems: &Problems) -> ImportError {
    ImportError::Refused {
        path: path.display().to_string(),
        count: problems.0.len(),
        report: problems.report(),
    }
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// A persons row: the keys checked against the file and the database, read even when
/// other fields are bad (so that every problem of the row is reported), and the person
/// when the whole row is good.
struct PersonRow {
    line: u64,
    reference: String,
    identity: Option<IdentityDocument>,
    unit_code: Option<UnitCode>,
    address: Option<String>,
    household: Option<String>,
    person: Option<NewPerson>,
}

/// Parses one persons row; its problems are recorded.
fn parse_person_row(
    row: &SheetRow,
    cols: &Columns,
    today: chrono::NaiveDate,
    problems: &mut Problems,
) -> PersonRow {
    let line = row.line;
    let before = problems.0.len();
    let reference = cols.get(row, "ref");
    if reference.is_empty() {
        problems.push(line, "ref", "a reference is required");
    }
    let full_name = FullName::parse(cols.get(row, "full_name"))
        .map_err(|e| problems.push(line, "full_name", e.to_string()))
        .ok();
    let birth = opt(cols.get(row, "birth")).and_then(|b| {
        BirthDate::parse(b, today)
            .map_err(|e| problems.push(line, "birth", e.to_string()))
            .ok()
    });
    let sex = opt(cols.get(row, "sex")).and_then(|s| {
        Sex::parse(s)
            .map_err(|e| problems.push(line, "sex", e.to_string()))
            .ok()
    });
    let identity = opt(cols.get(row, "id_number")).and_then(|n| {
        IdentityDocument::parse(n)
            .map_err(|e| problems.push(line, "id_number", e.to_string()))
            .ok()
    });
    let nationality = opt(cols.get(row, "nationality"))
        .unwrap_or("VN")
        .to_ascii_uppercase();
    if nationality.len() != 2 || !nationality.bytes().all(|b| b.is_ascii_uppercase()) {
        problems.push(
            line,
            "nationality",
            format!("`{nationality}` is not a two-letter country code (VN, LA, CN...)"),
        );
    }
    let phone = opt(cols.get(row, "phone")).and_then(|p| {
        Phone::parse(p)
            .map_err(|e| problems.push(line, "phone", e.to_string()))
            .ok()
    });
    let unit_code = opt(cols.get(row, "unit_code")).and_then(|u| {
        UnitCode::parse(u)
            .map_err(|e| problems.push(line, "unit_code", e.to_string()))
            .ok()
    });
    let address = opt(cols.get(row, "address")).map(str::to_owned);
    let person = match full_name {
        Some(full_name) if problems.0.len() == before => Some(NewPerson {
            id: None,
            reference: reference.to_owned(),
            full_name,
            birth,
            sex,
            identity: identity.clone(),
            nationality,
            phone,
            address: address.clone(),
            unit_code: unit_code.clone(),
            household_id: None,
        }),
        _ => None,
    };
    PersonRow {
        line,
        reference: reference.to_owned(),
        identity,
        unit_code,
        address,
        household: opt(cols.get(row, "household")).map(str::to_owned),
        person,
    }
}

/// Reports the second and later rows with the same key.
fn duplicates<'k>(
    keys: impl Iterator<Item = (u64, &'k str)>,
    column: &str,
    what: &str,
    problems: &mut Problems,
) {
    let mut first: HashMap<&str, u64> = HashMap::new();
    for (line, key) in keys {
        match first.get(key) {
            Some(&earlier) => problems.push(
                line,
                column,
                format!("{what} {key} is already on line {earlier}"),
            ),
            None => {
                first.insert(key, line);
            }
        }
    }
}

async fn import_persons(
    store: &Store,
    sheet: &Sheet,
    cols: &Columns,
    today: chrono::NaiveDate,
    audit: Landing<'_>,
    problems: &mut Problems,
) -> ImportResult<Option<u64>> {
    let rows: Vec<PersonRow> = sheet
        .rows
        .iter()
        .map(|r| parse_person_row(r, cols, today, problems))
        .collect();
    duplicates(
        rows.iter()
            .filter(|r| !r.reference.is_empty())
            .map(|r| (r.line, r.reference.as_str())),
        "ref",
        "reference",
        problems,
    );
    duplicates(
        rows.iter()
            .filter_map(|r| Some((r.line, r.identity.as_ref()?.number()))),
        "id_number",
        "identity number",
        problems,
    );

    let refs: Vec<String> = rows.iter().map(|r| r.reference.clone()).collect();
    let taken_refs = store.person_ids_by_ref(&refs).await?;
    let numbers: Vec<String> = rows
        .iter()
        .filter_map(|r| Some(r.identity.as_ref()?.number().to_owned()))
        .collect();
    let holders = store.holders_of_id_numbers(&numbers).await?;
    let codes: Vec<String> = rows
        .iter()
        .filter_map(|r| Some(r.unit_code.as_ref()?.as_str().to_owned()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let units = store.existing_units(&codes).await?;
    let household_refs: Vec<String> = rows
        .iter()
        .filter_map(|r| r.household.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let households = store.household_ids_by_ref(&household_refs).await?;

    // New households, created from their first member's unit and address.
    let mut new_households: Vec<NewHousehold> = Vec::new();
    let mut new_household_index: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        let p = r;
        if taken_refs.contains_key(&p.reference) {
            problems.push(
                r.line,
                "ref",
                format!(
                    "person reference {} already exists in the database",
                    p.reference
                ),
            );
        }
        if let Some(doc) = &p.identity {
            if let Some(holder) = holders.get(doc.number()) {
                problems.push(
                    r.line,
                    "id_number",
                    format!(
                        "identity number {} is already registered to person {holder}",
                        doc.number()
                    ),
                );
            }
        }
        if let Some(code) = &p.unit_code {
            if !units.contains(code.as_str()) {
                problems.push(
                    r.line,
                    "unit_code",
                    format!("unknown administrative unit {code}"),
                );
            }
        }
        if let Some(h) = &r.household {
            if !households.contains_key(h) && !new_household_index.contains_key(h) {
                match &p.unit_code {
                    Some(unit) => {
                        new_household_index.insert(h.clone(), new_households.len());
                        new_households.push(NewHousehold {
                            id: None,
                            reference: h.clone(),
                            unit_code: unit.clone(),
                            address: p.address.clone(),
                        });
                    }
                    None => problems.push(
                        r.line,
                        "household",
                        format!("new household {h} needs a unit_code on its first member's row"),
                    ),
                }
            }
        }
    }
    if !problems.is_empty() {
        return Ok(None);
    }

    let mut bulk = audit.bulk(store).await?;
    let first_household = bulk.first_free_id(IdTable::Household).await?;
    let first_person = bulk.first_free_id(IdTable::Person).await?;
    for (i, h) in new_households.iter_mut().enumerate() {
        h.id = Some(first_household + i as i64);
    }
    // No problem anywhere: every row holds its person.
    let persons: Vec<NewPerson> = rows
        .into_iter()
        .filter_map(|r| Some((r.person?, r.household)))
        .enumerate()
        .map(|(i, (person, household))| {
            let household_id = household.as_ref().and_then(|h| {
                households.get(h).copied().or_else(|| {
                    new_household_index
                        .get(h)
                        .and_then(|&k| new_households[k].id)
                })
            });
            NewPerson {
                id: Some(first_person + i as i64),
                household_id,
                ..person
            }
        })
        .collect();
    bulk.households(&new_households).await?;
    let n = bulk.persons(&persons).await?;
    let ids = persons
        .first()
        .zip(persons.last())
        .and_then(|(a, b)| Some((a.id?, b.id?)));
    finish(bulk, audit, n, ids).await
}

/// Villages under communes of `province`; a code already in the database is a
/// problem (a list is imported once; a village is never renamed behind the back of
/// the persons who live there).
async fn import_units(
    store: &Store,
    province: &UnitCode,
    sheet: &Sheet,
    cols: &Columns,
    audit: Landing<'_>,
    problems: &mut Problems,
) -> ImportResult<Option<u64>> {
    // (line, code, name, parent), for the rows whose fields parse.
    let mut parsed: Vec<(u64, UnitCode, String, UnitCode)> = Vec::new();
    for row in &sheet.rows {
        let line = row.line;
        let before = problems.0.len();
        let code = match opt(cols.get(row, "code")) {
            None => {
                problems.push(line, "code", "a village code is required");
                None
            }
            Some(c) => match UnitCode::parse(c) {
                Err(e) => {
                    problems.push(line, "code", e.to_string());
                    None
                }
                Ok(code) if code.level() != AdminLevel::Village => {
                    problems.push(
                        line,
                        "code",
                        format!(
                            "{code} is an official {} code: a village's code is its commune's code, a dash and a number (03460-07)",
                            code.level().as_str()
                        ),
                    );
                    None
                }
                Ok(code) => Some(code),
            },
        };
        let name = cols.get(row, "name");
        if name.is_empty() {
            problems.push(
                line,
                "name",
                "a name is required (Bản Nà Khum, Tổ dân phố 3)",
            );
        }
        if let Some(level) = opt(cols.get(row, "level")) {
            if level != AdminLevel::Village.as_str() {
                problems.push(
                    line,
                    "level",
                    format!("`{level}`: only villages are imported (level village)"),
                );
            }
        }
        // The commune a village code starts with.
        let commune_of_code = code
            .as_ref()
            .and_then(|c| c.as_str().split_once('-'))
            .and_then(|(commune, _)| UnitCode::parse(commune).ok());
        let parent = match opt(cols.get(row, "parent_code")) {
            None => commune_of_code,
            Some(p) => match UnitCode::parse(p) {
                Err(e) => {
                    problems.push(line, "parent_code", e.to_string());
                    None
                }
                Ok(parent) => {
                    if let (Some(code), Some(commune)) = (&code, &commune_of_code) {
                        if &parent != commune {
                            problems.push(
                                line,
                                "parent_code",
                                format!(
                                    "village {code} belongs under commune {commune}, the code it starts with, not {parent}"
                                ),
                            );
                        }
                    }
                    Some(parent)
                }
            },
        };
        if let (Some(code), Some(parent), true) = (code, parent, problems.0.len() == before) {
            parsed.push((line, code, name.to_owned(), parent));
        }
    }
    duplicates(
        parsed.iter().map(|(line, code, ..)| (*line, code.as_str())),
        "code",
        "village",
        problems,
    );

    let lookup: Vec<String> = parsed
        .iter()
        .flat_map(|(_, code, _, parent)| [code.as_str().to_owned(), parent.as_str().to_owned()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let known = store.units_by_code(&lookup).await?;
    let communes: BTreeSet<UnitCode> = store
        .communes_of_province(province)
        .await?
        .into_iter()
        .map(|u| u.code)
        .collect();
    for (line, code, _, parent) in &parsed {
        if known.contains_key(code.as_str()) {
            problems.push(
                *line,
                "code",
                format!("village {code} already exists in the database"),
            );
        }
        match known.get(parent.as_str()) {
            None => problems.push(
                *line,
                "parent_code",
                format!("unknown commune {parent}"),
            ),
            Some(unit) if unit.level != AdminLevel::Commune => problems.push(
                *line,
                "parent_code",
                format!(
                    "{parent} ({}) is a {}, not a commune",
                    unit.name,
                    unit.level.as_str()
                ),
            ),
            Some(unit) if !communes.contains(parent) => problems.push(
                *line,
                "parent_code",
                format!(
                    "commune {parent} ({}) is not in province {province}, which this database serves",
                    unit.name
                ),
            ),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Ok(None);
    }
    let units: Vec<AdminUnit> = parsed
        .into_iter()
        .map(|(_, code, name, parent)| AdminUnit {
            code,
            name,
            level: AdminLevel::Village,
            parent: Some(parent),
        })
        .collect();
    let mut bulk = audit.bulk(store).await?;
    let n = bulk.units(&units).await?;
    finish(bulk, audit, n, None).await
}

/// Places with their unit; a reference already in the database is a problem.
async fn import_places(
    store: &Store,
    sheet: &Sheet,
    cols: &Columns,
    audit: Landing<'_>,
    problems: &mut Problems,
) -> ImportResult<Option<u64>> {
    // (line, place), for the rows whose fields parse.
    let mut parsed: Vec<(u64, NewPlace)> = Vec::with_capacity(sheet.rows.len());
    for row in &sheet.rows {
        let line = row.line;
        let before = problems.0.len();
        let reference = cols.get(row, "ref");
        if reference.is_empty() {
            problems.push(line, "ref", "a place reference is required");
        }
        let kind_text = cols.get(row, "kind");
        let kind = PlaceKind::parse(kind_text);
        if kind.is_none() {
            problems.push(
                line,
                "kind",
                format!(
                    "`{kind_text}` is not a place kind: expected household, room, vehicle or venue"
                ),
            );
        }
        let venue_kind = opt(cols.get(row, "venue_kind")).and_then(|v| {
            let parsed = VenueKind::parse(v);
            if parsed.is_none() {
                let all: Vec<&str> = VenueKind::ALL.iter().map(|k| k.as_str()).collect();
                problems.push(
                    line,
                    "venue_kind",
                    format!("`{v}` is not a venue kind: expected {}", all.join(", ")),
                );
            }
            parsed
        });
        if venue_kind.is_some() && kind.is_some_and(|k| k != PlaceKind::Venue) {
            problems.push(
                line,
                "venue_kind",
                format!("only a venue has a venue_kind, not a {kind_text}"),
            );
        }
        let name = cols.get(row, "name");
        if name.is_empty() {
            problems.push(line, "name", "a name is required");
        }
        let unit_code = opt(cols.get(row, "unit_code")).and_then(|u| {
            UnitCode::parse(u)
                .map_err(|e| problems.push(line, "unit_code", e.to_string()))
                .ok()
        });
        let capacity = opt(cols.get(row, "capacity")).and_then(|c| match c.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                problems.push(
                    line,
                    "capacity",
                    format!("`{c}` is not a number of people (0 or more)"),
                );
                None
            }
        });
        if let (Some(kind), true) = (kind, problems.0.len() == before) {
            parsed.push((
                line,
                NewPlace {
                    id: None,
                    reference: reference.to_owned(),
                    kind,
                    venue_kind,
                    name: name.to_owned(),
                    unit_code,
                    address: opt(cols.get(row, "address")).map(str::to_owned),
                    capacity,
                    operator: opt(cols.get(row, "operator")).map(str::to_owned),
                },
            ));
        }
    }
    duplicates(
        parsed.iter().map(|(line, p)| (*line, p.reference.as_str())),
        "ref",
        "place",
        problems,
    );
    let refs: Vec<String> = parsed.iter().map(|(_, p)| p.reference.clone()).collect();
    let taken = store.places_by_ref(&refs).await?;
    let codes: Vec<String> = parsed
        .iter()
        .filter_map(|(_, p)| Some(p.unit_code.as_ref()?.as_str().to_owned()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let units = store.existing_units(&codes).await?;
    for (line, p) in &parsed {
        if taken.contains_key(&p.reference) {
            problems.push(
                *line,
                "ref",
                format!("place {} already exists in the database", p.reference),
            );
        }
        if let Some(code) = &p.unit_code {
            if !units.contains(code.as_str()) {
                problems.push(
                    *line,
                    "unit_code",
                    format!("unknown administrative unit {code}"),
                );
            }
        }
    }
    if !problems.is_empty() {
        return Ok(None);
    }
    let mut bulk = audit.bulk(store).await?;
    let first = bulk.first_free_id(IdTable::Place).await?;
    let places: Vec<NewPlace> = parsed
        .into_iter()
        .enumerate()
        .map(|(i, (_, p))| NewPlace {
            id: Some(first + i as i64),
            ..p
        })
        .collect();
    let n = bulk.places(&places).await?;
    let ids = places
        .first()
        .zip(places.last())
        .and_then(|(a, b)| Some((a.id?, b.id?)));
    finish(bulk, audit, n, ids).await
}

/// Parses a `[start, end]` pair; problems name the column.
fn parse_interval(
    row: &SheetRow,
    cols: &Columns,
    start: &str,
    end: &str,
    problems: &mut Problems,
) -> Option<Interval> {
    let s = Timestamp::parse(cols.get(row, start))
        .map_err(|e| problems.push(row.line, start, e.to_string()));
    let e = Timestamp::parse(cols.get(row, end))
        .map_err(|e| problems.push(row.line, end, e.to_string()));
    let (s, e) = (s.ok()?, e.ok()?);
    Interval::new(s, e)
        .map_err(|err| problems.push(row.line, end, err.to_string()))
        .ok()
}

/// Person ids for the references in `column` of every row; unknown ones are problems.
async fn resolve_persons(
    store: &Store,
    sheet: &Sheet,
    cols: &Columns,
    columns: &[&str],
) -> ImportResult<HashMap<String, i64>> {
    let refs: Vec<String> = sheet
        .rows
        .iter()
        .flat_map(|r| columns.iter().map(move |c| cols.get(r, c).to_owned()))
        .filter(|r| !r.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(store.person_ids_by_ref(&refs).await?)
}

fn person_id(
    ids: &HashMap<String, i64>,
    row: &SheetRow,
    cols: &Columns,
    column: &str,
    problems: &mut Problems,
) -> Option<i64> {
    let reference = cols.get(row, column);
    if reference.is_empty() {
        problems.push(row.line, column, "a person reference is required");
        return None;
    }
    let id = ids.get(reference).copied();
    if id.is_none() {
        problems.push(row.line, column, format!("unknown person {reference}"));
    }
    id
}

async fn import_contacts(
    store: &Store,
    sheet: &Sheet,
    cols: &Columns,
    audit: Landing<'_>,
    problems: &mut Problems,
) -> ImportResult<Option<u64>> {
    let ids = resolve_persons(store, sheet, cols, &["a", "b"]).await?;
    let mut contacts = Vec::with_capacity(sheet.rows.len());
    for row in &sheet.rows {
        let a = person_id(&ids, row, cols, "a", problems);
        let b = person_id(&ids, row, cols, "b", problems);
        let interval = parse_interval(row, cols, "start", "end", problems);
        if let (Some(a), Some(b), Some(interval)) = (a, b, interval) {
            if a == b {
                problems.push(row.line, "b", "a contact needs two different persons");
                continue;
            }
            contacts.push(NewContact {
                a_id: a,
                b_id: b,
                interval,
                setting: None,
            });
        }
    }
    if !problems.is_empty() {
        return Ok(None);
    }
    let mut bulk = audit.bulk(store).await?;
    let n = bulk.contacts(&contacts).await?;
    finish(bulk, audit, n, None).await
}

async fn import_presences(
    store: &Store,
    sheet: &Sheet,
    cols: &Columns,
    audit: Landing<'_>,
    problems: &mut Problems,
) -> ImportResult<Option<u64>> {
    let ids = resolve_persons(store, sheet, cols, &["person"]).await?;
    let place_refs: Vec<String> = sheet
        .rows
        .iter()
        .map(|r| cols.get(r, "place").to_owned())
        .filter(|r| !r.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let existing = store.places_by_ref(&place_refs).await?;
    let mut new_places: Vec<NewPlace> = Vec::new();
    let mut new_index: HashMap<String, (usize, u64)> = HashMap::new();
    // (person id, place: existing id or index into new_places, interval)
    let mut parsed: Vec<(i64, Result<i64, usize>, Interval)> = Vec::new();
    for row in &sheet.rows {
        let person = person_id(&ids, row, cols, "person", problems);
        let kind_text = cols.get(row, "kind");
        let kind = PlaceKind::parse(kind_text);
        if kind.is_none() {
            problems.push(
                row.line,
                "kind",
                format!(
                    "`{kind_text}` is not a place kind: expected household, room, vehicle or venue"
                ),
            );
        }
        let place_ref = cols.get(row, "place");
        if place_ref.is_empty() {
            problems.push(row.line, "place", "a place reference is required");
        }
        let interval = parse_interval(row, cols, "start", "end", problems);
        let (Some(person), Some(kind), Some(interval), false) =
            (person, kind, interval, place_ref.is_empty())
        else {
            continue;
        };
        let place = if let Some(&(id, existing_kind)) = existing.get(place_ref) {
            if existing_kind != kind {
                problems.push(
                    row.line,
                    "kind",
                    format!(
                        "place {place_ref} is a {}, not a {}",
                        existing_kind.as_str(),
                        kind.as_str()
                    ),
                );
                continue;
            }
            Ok(id)
        } else if let Some(&(i, first_line)) = new_index.get(place_ref) {
            if new_places[i].kind != kind {
                problems.push(
                    row.line,
                    "kind",
                    format!(
                        "place {place_ref} is a {} on line {first_line}, not a {}",
                        new_places[i].kind.as_str(),
                        kind.as_str()
                    ),
                );
                continue;
            }
            Err(i)
        } else {
            new_index.insert(place_ref.to_owned(), (new_places.len(), row.line));
            new_places.push(NewPlace {
                id: None,
                reference: place_ref.to_owned(),
                kind,
                venue_kind: None,
                name: place_ref.to_owned(),
                unit_code: None,
                address: None,
                capacity: None,
                operator: None,
            });
            Err(new_places.len() - 1)
        };
        parsed.push((person, place, interval));
    }
    if !problems.is_empty() {
        return Ok(None);
    }
    let mut bulk = audit.bulk(store).await?;
    let first_place = bulk.first_free_id(IdTable::Place).await?;
    for (i, p) in new_places.iter_mut().enumerate() {
        p.id = Some(first_place + i as i64);
    }
    let presences: Vec<NewPresence> = parsed
        .into_iter()
        .map(|(person_id, place, interval)| NewPresence {
            person_id,
            place_id: place.unwrap_or_else(|i| first_place + i as i64),
            interval,
        })
        .collect();
    bulk.places(&new_places).await?;
    let n = bulk.presences(&presences).await?;
    finish(bulk, audit, n, None).await
}

async fn import_cases(
    store: &Store,
    sheet: &Sheet,
    cols: &Columns,
    audit: Landing<'_>,
    problems: &mut Problems,
) -> ImportResult<Option<u64>> {
    let ids = resolve_persons(store, sheet, cols, &["person"]).await?;
    let mut cases: Vec<(u64, NewCase)> = Vec::new();
    for row in &sheet.rows {
        let person = person_id(&ids, row, cols, "person", problems);
        let from = Timestamp::parse(cols.get(row, "infectious_from"))
            .map_err(|e| problems.push(row.line, "infectious_from", e.to_string()))
            .ok();
        let isolated = match opt(cols.get(row, "isolated_at")) {
            None => Ok(None),
            Some(t) => Timestamp::parse(t)
                .map(Some)
                .map_err(|e| problems.push(row.line, "isolated_at", e.to_string())),
        };
        let (Some(person), Some(from), Ok(isolated)) = (person, from, isolated) else {
            continue;
        };
        if isolated.is_some_and(|t| t < from) {
            problems.push(
                row.line,
                "isolated_at",
                "isolated before the infectious period starts",
            );
            continue;
        }
        cases.push((
            row.line,
            NewCase {
                person_id: person,
                recorded_at: Timestamp(audit.event.at),
                case: Case {
                    onset: None,
                    sample_date: None,
                    infectious_from: from,
                    isolated_at: isolated,
                    classification: CaseClassification::Confirmed,
                    outcome: CaseOutcome::UnderTreatment,
                },
            },
        ));
    }
    let refs: HashMap<i64, &str> = ids.iter().map(|(r, id)| (*id, r.as_str())).collect();
    let keys: Vec<(u64, String)> = cases
        .iter()
        .map(|(line, c)| {
            (
                *line,
                refs.get(&c.person_id)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    duplicates(
        keys.iter().map(|(l, r)| (*l, r.as_str())),
        "person",
        "a case for person",
        problems,
    );
    let person_ids: Vec<i64> = cases.iter().map(|(_, c)| c.person_id).collect();
    let with_case = store.persons_with_case(&person_ids).await?;
    for (line, c) in &cases {
        if with_case.contains(&c.person_id) {
            let reference = refs.get(&c.person_id).copied().unwrap_or_default();
            problems.push(
                *line,
                "person",
                format!("person {reference} already has a case"),
            );
        }
    }
    if !problems.is_empty() {
        return Ok(None);
    }
    let cases: Vec<NewCase> = cases.into_iter().map(|(_, c)| c).collect();
    let mut bulk = audit.bulk(store).await?;
    let n = bulk.cases(&cases).await?;
    finish(bulk, audit, n, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_sorted_and_capped() {
        let mut p = Problems::default();
        for line in (2..=150).rev() {
            p.push(line, "ref", "bad");
        }
        let report = p.report();
        assert!(report.starts_with("line 2, column ref: bad\n"));
        assert!(report.ends_with("... and 49 more problems"));
        assert_eq!(report.lines().count(), MAX_LISTED + 1);
    }

    #[test]
    fn excel_cells_read_like_csv() {
        use calamine::Data;
        assert_eq!(cell_text(&Data::Float(912345678.0)), "912345678");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
        assert_eq!(cell_text(&Data::String(" Nguyễn ".into())), "Nguyễn");
        assert_eq!(cell_text(&Data::Empty), "");
    }
}
