//! Shared helpers: a fresh database file per test.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use tempfile::TempDir;
use zcc_store::EventLog;
use zcc_store_sqlite::{SqliteLog, SqliteOptions};

/// A temporary directory holding one database file; the directory goes when this is dropped.
pub struct TempDb {
    pub dir: TempDir,
    pub path: PathBuf,
}

impl TempDb {
    pub fn new() -> TempDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ledger.db");
        TempDb { dir, path }
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    pub fn open(&self) -> SqliteLog {
        SqliteLog::open(&self.url()).expect("open the test database")
    }

    pub fn open_with(&self, options: SqliteOptions) -> SqliteLog {
        SqliteLog::open_with(&self.url(), options).expect("open the test database")
    }

    pub fn shared(&self) -> Arc<dyn EventLog> {
        Arc::new(self.open())
    }

    /// A plain rusqlite connection on the same file, bypassing the log.
    pub fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).expect("raw connection")
    }
}
