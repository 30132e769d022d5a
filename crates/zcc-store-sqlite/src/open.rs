//! Where the database is, and how each connection is set up.
//!
//! Pragmas (see the crate docs for why): `journal_mode=WAL`, `synchronous=FULL`,
//! `foreign_keys=ON`, `busy_timeout`, and a larger `cache_size`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use zcc_store::StoreError;

use crate::error;

/// Tuning knobs; [`SqliteOptions::default`] is what [`crate::SqliteLog::open`] uses.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// How long a statement waits for a lock held by another connection before the call fails
    /// with [`StoreError::Unavailable`]. Default 5 s.
    pub busy_timeout: Duration,
    /// Page cache of the writer's connection, in KiB. Default 8 MiB. Not bigger: while the
    /// database is under 1 GiB, SQLite walks the whole cache at the end of every write
    /// transaction in which a b-tree rebalance parked a page at the lock-byte page number
    /// (most of them): with 64 MiB that walk took ~12% of the writer's CPU in ingest. Appends
    /// and rebuilds ran no slower with 8 MiB, over the operating system's file cache, and the
    /// process stays smaller (docs/BENCHMARKS.md).
    pub cache_size_kib: u32,
    /// Page cache per read connection, in KiB. Default 4 MiB: readers serve point lookups
    /// (an engagement's events, one projection) over the operating system's file cache; a
    /// bigger cache per pooled reader mostly makes the process grow with the log.
    pub read_cache_size_kib: u32,
    /// Read-only connections kept open for reuse. Default 4.
    pub read_pool: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(5),
            cache_size_kib: 8 * 1024,
            read_cache_size_kib: 4 * 1024,
            read_pool: 4,
        }
    }
}

/// The file a database URL or path names.
///
/// Accepted: `sqlite://zcc-ledger.db` and `sqlite:relative/path.db` (relative to the working
/// directory), `sqlite:///abs/path.db`, and a plain path. A `?mode=rwc` suffix (sqlx's spelling of
/// "create if missing", which is what happens anyway) is accepted; any other query is refused,
/// as is an in-memory database, which the reader connections could not share.
pub fn database_path(url_or_path: &str) -> Result<PathBuf, StoreError> {
    let bad = |why: &str| StoreError::Config(format!("database URL {url_or_path:?}: {why}"));
    let rest = match url_or_path.strip_prefix("sqlite:") {
        Some(rest) => rest.strip_prefix("//").unwrap_or(rest),
        None if url_or_path.contains("://") => {
            return Err(bad(
                "not a SQLite URL (expected sqlite://PATH or a file path)",
            ));
        }
        None => url_or_path,
    };
    let path = match rest.split_once('?') {
        Some((path, "mode=rwc")) => path,
        Some((_, query)) => return Err(bad(&format!("unsupported option {query:?}"))),
        None => rest,
    };
    if path.is_empty() {
        return Err(bad("no file path"));
    }
    if path == ":memory:" || path.starts_with("file::memory:") {
        return Err(bad(
            "an in-memory database cannot be shared by the writer and readers",
        ));
    }
    Ok(PathBuf::from(path))
}

/// Page cache of the connection a full scan opens for itself, in KiB: enough for the b-tree's
/// interior pages, since each leaf is read once.
pub const SCAN_CACHE_KIB: u32 = 2 * 1024;

/// The writer's connection: creates the file on first use.
pub(crate) fn open_writer(path: &Path, options: &SqliteOptions) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(error::at("opening the database for writing", path))?;
    common_pragmas(&conn, path, options)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(error::at("setting journal_mode=WAL", path))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Config(format!(
            "{}: journal_mode is {mode:?}, WAL could not be set",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(error::at("setting synchronous=FULL", path))?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// The background checkpointer's connection (see `writer`): read-write, no cache to speak of,
/// the same `busy_timeout`. It only ever runs `PRAGMA wal_checkpoint`.
pub(crate) fn open_checkpointer(
    path: &Path,
    busy_timeout: Duration,
) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(error::at("opening the checkpointer connection", path))?;
    conn.busy_timeout(busy_timeout)
        .map_err(error::at("setting busy_timeout", path))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(error::at("setting synchronous=FULL", path))?;
    Ok(conn)
}

/// A read-only connection for the reader pool.
pub(crate) fn open_reader(path: &Path, options: &SqliteOptions) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(error::at("opening a read connection", path))?;
    common_pragmas(&conn, path, options)?;
    conn.pragma_update(None, "cache_size", -i64::from(options.read_cache_size_kib))
        .map_err(error::at("setting cache_size", path))?;
    Ok(conn)
}

fn common_pragmas(
    conn: &Connection,
    path: &Path,
    options: &SqliteOptions,
) -> Result<(), StoreError> {
    conn.busy_timeout(options.busy_timeout)
        .map_err(error::at("setting busy_timeout", path))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(error::at("setting foreign_keys=ON", path))?;
    conn.pragma_update(None, "cache_size", -i64::from(options.cache_size_kib))
        .map_err(error::at("setting cache_size", path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        let p = |s: &str| database_path(s).unwrap();
        assert_eq!(p("sqlite://zcc-ledger.db"), PathBuf::from("zcc-ledger.db"));
        assert_eq!(
            p("sqlite:relative/path.db"),
            PathBuf::from("relative/path.db")
        );
        assert_eq!(p("sqlite:///abs/path.db"), PathBuf::from("/abs/path.db"));
        assert_eq!(p("sqlite://data/x.db?mode=rwc"), PathBuf::from("data/x.db"));
        assert_eq!(p("plain.db"), PathBuf::from("plain.db"));
        assert_eq!(p("/var/tmp/x.db"), PathBuf::from("/var/tmp/x.db"));
    }

    #[test]
    fn the_writer_is_durable_and_both_kinds_keep_their_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let options = SqliteOptions::default();
        let w = open_writer(&path, &options).unwrap();
        let get = |c: &Connection, p: &str| -> i64 {
            c.query_row(&format!("PRAGMA {p}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(get(&w, "synchronous"), 2, "synchronous=FULL");
        assert_eq!(get(&w, "foreign_keys"), 1);
        assert_eq!(get(&w, "busy_timeout"), 5000);
        assert_eq!(get(&w, "cache_size"), -8192);
        let r = open_reader(&path, &options).unwrap();
        assert_eq!(get(&r, "cache_size"), -4096);
        let mode: String = r
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let err = r.execute_batch("CREATE TABLE t (x)").unwrap_err();
        assert_eq!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::ReadOnly));
    }

    #[test]
    fn refused_urls_say_why() {
        for (url, why) in [
            ("postgres://postgres@localhost/x", "not a SQLite URL"),
            ("sqlite://", "no file path"),
            ("sqlite::memory:", "in-memory"),
            ("sqlite://x.db?mode=ro", "unsupported option"),
        ] {
            let e = database_path(url).unwrap_err();
            assert!(
                matches!(&e, StoreError::Config(m) if m.contains(why)),
                "{url}: {e}"
            );
        }
    }
}
