//! From sqlx errors to [`StoreError`]: by error kind and SQLSTATE class, never by message text.

use sqlx::migrate::MigrateError;
use zcc_store::StoreError;

/// Map a driver error raised while doing `what` (for example "append_batch").
pub(crate) fn map_sqlx(what: &str, err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let message = format!("{what}: {} (SQLSTATE {code})", db.message());
            match classify(&code) {
                Class::Unavailable => StoreError::Unavailable(message),
                Class::Refused => StoreError::Refused(message),
                Class::Config => StoreError::Config(message),
                Class::Other => StoreError::Other(message),
            }
        }
        sqlx::Error::Io(e) => StoreError::Unavailable(format!("{what}: PostgreSQL I/O error: {e}")),
        sqlx::Error::Tls(e) => {
            StoreError::Unavailable(format!("{what}: PostgreSQL TLS error: {e}"))
        }
        sqlx::Error::PoolTimedOut => StoreError::Unavailable(format!(
            "{what}: no PostgreSQL connection became available in time (server down or overloaded)"
        )),
        sqlx::Error::PoolClosed => {
            StoreError::Unavailable(format!("{what}: the PostgreSQL pool is closed"))
        }
        sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable(format!("{what}: the PostgreSQL connection worker crashed"))
        }
        sqlx::Error::Protocol(e) => {
            StoreError::Unavailable(format!("{what}: PostgreSQL protocol error: {e}"))
        }
        sqlx::Error::Configuration(e) => {
            StoreError::Config(format!("{what}: bad PostgreSQL configuration: {e}"))
        }
        sqlx::Error::Migrate(e) => map_migrate(*e),
        other => StoreError::Other(format!("{what}: {other}")),
    }
}

/// Map a migration error: driver failures keep their class, the rest are migration errors.
pub(crate) fn map_migrate(err: MigrateError) -> StoreError {
    match err {
        MigrateError::Execute(e) => match map_sqlx("running migrations", e) {
            StoreError::Other(m) | StoreError::Refused(m) => StoreError::Migration(m),
            mapped => mapped,
        },
        MigrateError::ExecuteMigration(e, version) => {
            match map_sqlx(&format!("applying migration {version}"), e) {
                StoreError::Other(m) | StoreError::Refused(m) => StoreError::Migration(m),
                mapped => mapped,
            }
        }
        other => StoreError::Migration(format!("migrations/postgres: {other}")),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Class {
    Unavailable,
    Refused,
    Config,
    Other,
}

/// Classify a SQLSTATE (see the PostgreSQL manual, appendix A "Error Codes").
fn classify(code: &str) -> Class {
    match code {
        // Serialization failure and deadlock: retrying will work.
        "40001" | "40P01" => Class::Unavailable,
        // lock_not_available (lock_timeout), query_canceled (statement_timeout).
        "55P03" | "57014" => Class::Unavailable,
        // read_only_sql_transaction: a standby, or a server or database switched to read-only
        // (default_transaction_read_only): writes will work again once it takes them.
        "25006" => Class::Unavailable,
        // Raised by our append-only triggers (RAISE EXCEPTION), or privileges revoked from the
        // application role (docs/POSTGRES.md).
        "P0001" | "42501" => Class::Refused,
        // invalid_catalog_name: the database in the URL does not exist.
        "3D000" => Class::Config,
        _ => match code.get(..2) {
            // connection exception, insufficient resources (disk full, out of memory, too many
            // connections), system error (I/O).
            Some("08" | "53" | "58") => Class::Unavailable,
            // Operator intervention: admin/crash shutdown, cannot connect now (57P01..57P05).
            Some("57") if code.starts_with("57P") => Class::Unavailable,
            // Integrity constraint violation.
            Some("23") => Class::Refused,
            // invalid authorization specification (bad role or password).
            Some("28") => Class::Config,
            _ => Class::Other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstate_classes() {
        for code in [
            "08006", "08001", "53100", "53300", "57P01", "57P03", "40001", "40P01", "25006",
        ] {
            assert_eq!(classify(code), Class::Unavailable, "{code}");
        }
        for code in ["23505", "23514", "23502", "P0001", "42501"] {
            assert_eq!(classify(code), Class::Refused, "{code}");
        }
        assert_eq!(classify("28P01"), Class::Config);
        assert_eq!(classify("3D000"), Class::Config);
        assert_eq!(classify("42P01"), Class::Other);
        assert_eq!(classify("57000"), Class::Other);
        assert_eq!(classify(""), Class::Other);
    }

    #[test]
    fn connection_errors_are_unavailable() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(map_sqlx("head", sqlx::Error::Io(io)).is_transient());
        assert!(map_sqlx("head", sqlx::Error::PoolTimedOut).is_transient());
        assert!(map_sqlx("head", sqlx::Error::PoolClosed).is_transient());
        let msg = map_sqlx("read_after", sqlx::Error::PoolTimedOut).to_string();
        assert!(msg.contains("read_after"), "{msg}");
    }
}
