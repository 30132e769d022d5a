//! What an export was made from. Written beside the file as `FILE.manifest.json`, and in Parquet
//! files also as key-value metadata (key [`PARQUET_KEY`], the same JSON).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zcc_model::{Column, ColumnType};

use crate::ExportError;

/// The Parquet key-value metadata key that holds the manifest's JSON.
pub const PARQUET_KEY: &str = "zcc_ledger.manifest";

/// The manifest format version; bumped when a field changes meaning or goes away.
pub const MANIFEST_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub manifest_version: u32,
    pub table: String,
    pub format: String,
    /// The columns in file order, with their export types.
    pub columns: Vec<ManifestColumn>,
    /// The rule identity the rows come from (`correlated@1+3fa2c1`); null for the raw log.
    pub rule: Option<String>,
    pub generation: Option<i64>,
    /// The generation's state when the export ended (`active`, `ready`, `building`, `retired`).
    pub generation_state: Option<String>,
    /// The log positions the rows were made from: `[1, last]`, or null when nothing was folded
    /// (empty log, or a generation that has folded nothing yet). For a projection table `last` is
    /// the generation's checkpoint.
    pub log_range: Option<[i64; 2]>,
    /// The checkpoint `SIZE:HASH` of the log as the rows saw it: the hash chain at `log_range`'s
    /// end (`0:000…` when empty). An auditor can check it with `verify --checkpoint`.
    pub head: String,
    /// The log's head (`SIZE:HASH`) when the export began; ahead of `head` when the generation
    /// had not yet folded the newest events.
    pub log_head: String,
    /// False when the generation moved on while the export ran: rows then reflect some log
    /// prefix between `log_range_at_start` and `log_range`.
    pub consistent: bool,
    /// `log_range` when the export began, when it differs from the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_range_at_start: Option<[i64; 2]>,
    /// Rows written.
    pub rows: u64,
    /// What was read to make them: engagement projections, or log entries for `events`.
    pub scanned: u64,
    /// The window, normalised to RFC 3339 UTC with milliseconds; null when open.
    pub since: Option<String>,
    pub until: Option<String>,
    pub created_at: String,
}

/// One column of an export and its type in export vocabulary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestColumn {
    pub name: String,
    /// `string`, `int64`, `timestamp_ms_utc`, `bool`, `list<string>` or `list<int64>`.
    #[serde(rename = "type")]
    pub ty: String,
}

/// The export vocabulary of a column type (also the Parquet/Arrow type it becomes).
pub fn type_name(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Str => "string",
        ColumnType::Int => "int64",
        ColumnType::TimeMs => "timestamp_ms_utc",
        ColumnType::Bool => "bool",
        ColumnType::List => "list<string>",
        ColumnType::IntList => "list<int64>",
    }
}

impl Manifest {
    /// A manifest for `table` with nothing counted yet and an empty log.
    pub fn new(table: &str, format: &str, columns: &[Column]) -> Manifest {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            table: table.to_owned(),
            format: format.to_owned(),
            columns: columns
                .iter()
                .map(|c| ManifestColumn {
                    name: c.name.to_owned(),
                    ty: type_name(c.ty).to_owned(),
                })
                .collect(),
            rule: None,
            generation: None,
            generation_state: None,
            log_range: None,
            head: zcc_store::Head::EMPTY.to_string(),
            log_head: zcc_store::Head::EMPTY.to_string(),
            consistent: true,
            log_range_at_start: None,
            rows: 0,
            scanned: 0,
            since: None,
            until: None,
            created_at: crate::time::rfc3339_ms(crate::time::now_ms()),
        }
    }

    /// Pretty JSON, as written beside the file.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serialises")
    }

    /// Write `PATH.manifest.json` beside `path`; returns the manifest's path.
    pub fn write_beside(&self, path: &Path) -> Result<PathBuf, ExportError> {
        let target = manifest_path(path);
        let mut f = std::fs::File::create(&target).map_err(|e| ExportError::File {
            path: target.clone(),
            source: e,
        })?;
        f.write_all(self.to_json().as_bytes())
            .and_then(|()| f.write_all(b"\n"))
            .and_then(|()| f.sync_all())
            .map_err(|e| ExportError::File {
                path: target.clone(),
                source: e,
            })?;
        Ok(target)
    }

    /// Read a manifest written by [`Manifest::write_beside`] or found in Parquet metadata.
    pub fn from_json(json: &str) -> Result<Manifest, ExportError> {
        serde_json::from_str(json)
            .map_err(|e| ExportError::Invalid(format!("not an export manifest: {e}")))
    }
}

/// `FILE.manifest.json` for an export written to `FILE`.
pub fn manifest_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}
