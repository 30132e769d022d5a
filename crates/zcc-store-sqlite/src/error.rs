//! From rusqlite errors to [`StoreError`]s a caller can act on.
//!
//! Classification is by SQLite result code, never by message text:
//!
//! | SQLite code | [`StoreError`] | what the receiver answers |
//! |---|---|---|
//! | `BUSY`, `LOCKED`, `FULL`, `CANTOPEN`, `IOERR`, `READONLY`, `PERM`, `NOMEM` | `Unavailable` | 503, Zoom retries |
//! | `CONSTRAINT` (a trigger's `RAISE(ABORT, ..)`, a CHECK, UNIQUE, FOREIGN KEY) | `Refused`, with SQLite's own message | 503 |
//! | anything else | `Other` | 503 |
//!
//! Every message names what was being done and on which database file.

use std::path::Path;

use rusqlite::ErrorCode;
use zcc_store::StoreError;

/// Map a rusqlite error met while doing `what` on the database at `path`.
pub(crate) fn map(err: &rusqlite::Error, what: &str, path: &Path) -> StoreError {
    let message = format!("{what} ({}): {err}", path.display());
    match err.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::SystemIoFailure
            | ErrorCode::ReadOnly
            | ErrorCode::PermissionDenied
            | ErrorCode::OutOfMemory,
        ) => StoreError::Unavailable(message),
        Some(ErrorCode::ConstraintViolation) => StoreError::Refused(message),
        _ => StoreError::Other(message),
    }
}

/// A closure for `map_err` that maps with [`map`].
pub(crate) fn at<'a>(what: &'a str, path: &'a Path) -> impl Fn(rusqlite::Error) -> StoreError + 'a {
    move |err| map(&err, what, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32, text: &str) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(text.into()))
    }

    #[test]
    fn transient_codes_are_unavailable_and_name_the_file() {
        let path = Path::new("ledger.db");
        for code in [
            rusqlite::ffi::SQLITE_BUSY,
            rusqlite::ffi::SQLITE_LOCKED,
            rusqlite::ffi::SQLITE_FULL,
            rusqlite::ffi::SQLITE_CANTOPEN,
            rusqlite::ffi::SQLITE_IOERR_FSYNC,
            rusqlite::ffi::SQLITE_READONLY,
        ] {
            let e = map(&failure(code, "x"), "appending", path);
            assert!(e.is_transient(), "code {code} gave {e:?}");
            assert!(e.to_string().contains("appending (ledger.db)"), "{e}");
        }
    }

    #[test]
    fn constraint_is_refused_with_the_database_message() {
        let e = map(
            &failure(
                rusqlite::ffi::SQLITE_CONSTRAINT_TRIGGER,
                "events is append-only",
            ),
            "updating",
            Path::new("a.db"),
        );
        assert!(
            matches!(&e, StoreError::Refused(m) if m.contains("events is append-only")),
            "{e:?}"
        );
    }

    #[test]
    fn other_codes_are_other() {
        let e = map(
            &failure(rusqlite::ffi::SQLITE_CORRUPT, "bad"),
            "reading",
            Path::new("a.db"),
        );
        assert!(matches!(e, StoreError::Other(_)), "{e:?}");
    }
}
