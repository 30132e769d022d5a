//! Schema migrations: the files of `migrations/sqlite`, embedded, run at open.
//!
//! A tiny runner keyed on `PRAGMA user_version` (the schema version lives in the database
//! header, so no bookkeeping table is needed). Each pending migration runs in its own
//! `BEGIN IMMEDIATE` transaction together with the bump of `user_version`, so a crash leaves the
//! database at the previous version, and two processes opening a new file at once do not both
//! apply it: the second sees the new version once it gets the write lock.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use zcc_store::StoreError;

/// One schema change: its version (the file's number, the same as in `migrations/postgres`).
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
    /// The file rebuilds a table that others refer to (SQLite's create, copy, drop, rename):
    /// foreign keys are off while it runs, as SQLite requires, and checked before the commit.
    pub rebuilds_tables: bool,
}

/// Every migration, in order. Applied migrations are never edited.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_log.sql",
        sql: include_str!("../../../migrations/sqlite/0001_log.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 2,
        name: "0002_projections.sql",
        sql: include_str!("../../../migrations/sqlite/0002_projections.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 3,
        name: "0003_compressed_documents.sql",
        sql: include_str!("../../../migrations/sqlite/0003_compressed_documents.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 4,
        name: "0004_time_keyed_dedupe.sql",
        sql: include_str!("../../../migrations/sqlite/0004_time_keyed_dedupe.sql"),
        rebuilds_tables: true,
    },
    Migration {
        version: 5,
        name: "0005_stored_dedupe_ts.sql",
        sql: include_str!("../../../migrations/sqlite/0005_stored_dedupe_ts.sql"),
        rebuilds_tables: true,
    },
    Migration {
        version: 6,
        name: "0006_chain_v2.sql",
        sql: include_str!("../../../migrations/sqlite/0006_chain_v2.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 7,
        name: "0007_readiness_probe.sql",
        sql: include_str!("../../../migrations/sqlite/0007_readiness_probe.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 8,
        name: "0008_recovered_events.sql",
        sql: include_str!("../../../migrations/sqlite/0008_recovered_events.sql"),
        rebuilds_tables: true,
    },
    Migration {
        version: 9,
        name: "0009_delivery_lookups.sql",
        sql: include_str!("../../../migrations/sqlite/0009_delivery_lookups.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 10,
        name: "0010_outbound_delivery.sql",
        sql: include_str!("../../../migrations/sqlite/0010_outbound_delivery.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 11,
        name: "0011_outbox_due.sql",
        sql: include_str!("../../../migrations/sqlite/0011_outbox_due.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 12,
        name: "0012_search_text.sql",
        sql: include_str!("../../../migrations/sqlite/0012_search_text.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 13,
        name: "0013_side_rows_by_key.sql",
        sql: include_str!("../../../migrations/sqlite/0013_side_rows_by_key.sql"),
        rebuilds_tables: false,
    },
    Migration {
        version: 14,
        name: "0014_documents_lz4.sql",
        sql: include_str!("../../../migrations/sqlite/0014_documents_lz4.sql"),
        rebuilds_tables: false,
    },
];

/// The immutability guards every database at the latest version has (SPEC I1).
pub(crate) const GUARDS: &[&str] = &[
    "events_no_update",
    "events_no_delete",
    "deliveries_no_update",
    "deliveries_no_delete",
    "quarantine_no_update",
    "quarantine_no_delete",
];

/// The schema version of a database this build has fully migrated.
pub(crate) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Bring the database up to [`latest`]. Refuses a database newer than this build.
pub(crate) fn run(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    for m in MIGRATIONS {
        if m.rebuilds_tables {
            // Outside a transaction only (SQLite ignores it inside one).
            set_foreign_keys(conn, path, false, m)?;
        }
        let applied = apply(conn, path, m);
        let restored = if m.rebuilds_tables {
            set_foreign_keys(conn, path, true, m)
        } else {
            Ok(())
        };
        // The migration's own error first: it says what went wrong.
        applied?;
        restored?;
    }
    Ok(())
}

/// A migration's error, naming the step and the file.
fn failed(what: String, path: &Path) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |e| match crate::error::map(&e, &what, path) {
        StoreError::Unavailable(m) => StoreError::Unavailable(m),
        other => StoreError::Migration(other.to_string()),
    }
}

fn set_foreign_keys(
    conn: &Connection,
    path: &Path,
    on: bool,
    m: &Migration,
) -> Result<(), StoreError> {
    let (value, what) = if on {
        ("ON", "on after")
    } else {
        ("OFF", "off for")
    };
    conn.pragma_update(None, "foreign_keys", value)
        .map_err(failed(
            format!("turning foreign keys {what} {}", m.name),
            path,
        ))
}

/// Apply one migration in its own `BEGIN IMMEDIATE` transaction, unless the database has it.
fn apply(conn: &mut Connection, path: &Path, m: &Migration) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failed(format!("starting migration {}", m.name), path))?;
    let current: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(failed("reading user_version".into(), path))?;
    if current > latest() {
        return Err(StoreError::Migration(format!(
            "{}: schema version {current} is newer than this build knows ({})",
            path.display(),
            latest()
        )));
    }
    if current >= m.version {
        return Ok(());
    }
    if m.rebuilds_tables {
        tracing::info!(path = %path.display(), migration = m.name, "rebuilding tables (once; a large log takes a while)");
    }
    tx.execute_batch(m.sql)
        .map_err(failed(format!("applying migration {}", m.name), path))?;
    if m.rebuilds_tables {
        // Foreign keys were off while the tables were rebuilt: every reference must still
        // hold before this commits.
        let broken: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()
            .map_err(failed(
                format!("checking foreign keys after {}", m.name),
                path,
            ))?;
        if let Some(table) = broken {
            return Err(StoreError::Migration(format!(
                "{}: migration {} would leave rows of {table} referring to missing rows; \
                 nothing was changed",
                path.display(),
                m.name
            )));
        }
    }
    tx.pragma_update(None, "user_version", m.version)
        .map_err(failed(format!("recording migration {}", m.name), path))?;
    tx.commit()
        .map_err(failed(format!("committing migration {}", m.name), path))?;
    tracing::info!(path = %path.display(), migration = m.name, "applied schema migration");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_names_carry_the_number() {
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last, "{} is out of order", m.name);
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{} does not start with its version {:04}",
                m.name,
                m.version
            );
            last = m.version;
        }
    }

    #[test]
    fn the_writers_dedupe_lookup_computes_the_key_as_the_migration_does() {
        let column = crate::writer::dedupe_ts_of("body");
        let sql = MIGRATIONS
            .iter()
            .find(|m| m.version == 4)
            .map(|m| m.sql)
            .unwrap_or_default();
        assert!(
            sql.contains(&format!("GENERATED ALWAYS AS ({column}) VIRTUAL")),
            "0004's dedupe_ts is not {column}"
        );
    }

    #[test]
    fn every_guard_is_created_by_a_migration() {
        for g in GUARDS {
            assert!(
                MIGRATIONS
                    .iter()
                    .any(|m| m.sql.contains(&format!("CREATE TRIGGER {g} "))),
                "no migration creates trigger {g}"
            );
        }
    }
}
