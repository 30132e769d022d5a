//! Analytics exports of SPEC 8: the raw log (`events`) and the model's tables (`engagements`,
//! `legs`, `holds`, `transfers`, `conference_invitations`, `conferences`, `supervision`,
//! `derived_events`) as JSON Lines, CSV or Parquet, each with a [`Manifest`] of what it was made
//! from. Reads through the storage traits; knows no SQL and no HTTP.
//!
//! Conventions: JSON Lines field names = CSV headers = Parquet columns, in the model's column
//! order ([`zcc_model::Table::columns`]); times are RFC 3339 UTC with milliseconds in JSON Lines
//! and CSV and `Timestamp(Millisecond, "UTC")` in Parquet; lists are JSON arrays, `;`-joined CSV
//! fields, or Parquet list columns; null is `null`, an empty CSV field, or a Parquet null.
//!
//! Code map, in reading order:
//! - [`export`]: the entry points ([`export_table`], [`export_to_file`], [`export_log`],
//!   [`export_projections`]) and the synchronous [`Exporter`] core they feed;
//! - [`sink`]: one [`sink::RowSink`] per format (`jsonl`, `csv`, `parquet`);
//! - [`events`]: the raw log's columns and rows; [`manifest`], [`window`], [`time`].

pub mod events;
pub mod export;
pub mod manifest;
pub mod sink;
pub mod time;
pub mod window;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use zcc_store::EngagementId;

use zcc_model::{Column, Table};
use zcc_store::projection::GenerationId;

pub use export::{
    ExportRequest, Exporter, export_log, export_projections, export_table, export_to_file,
    resolve_generation,
};
pub use manifest::{Manifest, manifest_path};
pub use window::Window;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] zcc_store::StoreError),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("building an Arrow batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("unknown table {name:?}; tables: {}", TableName::names().join(", "))]
    UnknownTable { name: String },
    #[error("unknown export format {name:?}; formats: jsonl, csv, parquet")]
    UnknownFormat { name: String },
    #[error("no generation {0}; `zcc-ledger generations` lists them")]
    UnknownGeneration(GenerationId),
    #[error("no generation is active; name one with --generation or --rule")]
    NoActiveGeneration,
    #[error(
        "generation {generation}, engagement {engagement_id}: the stored projection does not decode: {reason}"
    )]
    Decode {
        generation: GenerationId,
        engagement_id: EngagementId,
        reason: String,
    },
    #[error("table {table}, column {column}: expected {expected}, got {got}")]
    Shape {
        table: &'static str,
        column: &'static str,
        expected: String,
        got: String,
    },
    #[error("{0}")]
    Invalid(String),
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jsonl,
    /// CSV safe to open in a spreadsheet: text cells that would run as a formula get a leading
    /// `'` (`sink::CsvSink`).
    Csv,
    /// CSV with every cell exactly as received, for tools that read CSV as data.
    CsvRaw,
    Parquet,
}

impl Format {
    pub const ALL: &'static [Format] =
        &[Format::Jsonl, Format::Csv, Format::CsvRaw, Format::Parquet];

    /// `jsonl`, `csv`, `csv-raw` or `parquet`: the name on the command line and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::CsvRaw => "csv-raw",
            Format::Parquet => "parquet",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv | Format::CsvRaw => "csv",
            Format::Parquet => "parquet",
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson",
            Format::Csv | Format::CsvRaw => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }
}

impl FromStr for Format {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Format, ExportError> {
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| ExportError::UnknownFormat { name: s.to_owned() })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A table of SPEC 8: the raw log or one of the model's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableName {
    Events,
    Model(Table),
}

impl TableName {
    /// Every table: the model's in SPEC order, then `events`.
    pub fn all() -> impl Iterator<Item = TableName> {
        Table::ALL
            .iter()
            .copied()
            .map(TableName::Model)
            .chain([TableName::Events])
    }

    pub fn names() -> Vec<&'static str> {
        TableName::all().map(TableName::name).collect()
    }

    pub fn name(self) -> &'static str {
        match self {
            TableName::Events => "events",
            TableName::Model(t) => t.name(),
        }
    }

    /// The columns, in file order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            TableName::Events => events::COLUMNS,
            TableName::Model(t) => t.columns(),
        }
    }
}

impl FromStr for TableName {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<TableName, ExportError> {
        TableName::all()
            .find(|t| t.name() == s)
            .ok_or_else(|| ExportError::UnknownTable { name: s.to_owned() })
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
