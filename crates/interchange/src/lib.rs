//! The interchange files of `docs/tracing.md` (CSV, UTF-8, header row):
//!
//! - `contacts.csv`: `a,b,start,end`
//! - `presences.csv`: `person,place,kind,start,end`
//! - `cases.csv`: `person,infectious_from,isolated_at` (`isolated_at` may be empty)
//! - the result: `person,level,exposed_at,via_person,via_kind,via_place`, sorted by
//!   level then person.
//!
//! Columns are found by name (others are ignored). Times are RFC 3339 with an offset
//! or Unix seconds; they are written in RFC 3339 at +07:00 (Vietnam). Readers and
//! writers stream: a file is never held as text. Every bad row is an error that names
//! the file, the line, the column and the reason.
//!
//! - [`read`]: [`TraceInput`], the three input files read into the engine's input
//!   (dense ids, cases, contacts, presences).
//! - [`write`]: [`ContactWriter`], [`PresenceWriter`], [`CaseWriter`] (what
//!   `phongdich demo --export` writes) and the result file ([`result_rows`],
//!   [`write_result`]).
//! - [`time`]: parsing and formatting instants.

pub mod read;
pub mod time;
pub mod write;

/// The kind of a place, as [`PresenceWriter`] takes it and [`TraceInput`] reads it.
pub use phongdich_trace::Kind;
pub use read::TraceInput;
pub use time::{format_time, parse_time, Rfc3339};
pub use write::{result_rows, write_result, CaseWriter, ContactWriter, PresenceWriter, ResultRow};

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
