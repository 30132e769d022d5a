//! The immutability guards: the triggers of `migrations/postgres/0001_log.sql`.

use sqlx::PgPool;
use zcc_store::StoreError;

use crate::error::map_sqlx;

/// `pg_trigger.tgtype` bits (PostgreSQL's `catalog/pg_trigger.h`).
const ROW: i16 = 1;
const BEFORE: i16 = 2;
const DELETE: i16 = 8;
const UPDATE: i16 = 16;
const TRUNCATE: i16 = 32;

/// Each guard: table, trigger name, expected `tgtype`.
const GUARDS: [(&str, &str, i16); 6] = [
    (
        "events",
        "events_append_only",
        ROW | BEFORE | UPDATE | DELETE,
    ),
    ("events", "events_no_truncate", BEFORE | TRUNCATE),
    (
        "deliveries",
        "deliveries_append_only",
        ROW | BEFORE | UPDATE | DELETE,
    ),
    ("deliveries", "deliveries_no_truncate", BEFORE | TRUNCATE),
    (
        "quarantine",
        "quarantine_append_only",
        ROW | BEFORE | UPDATE | DELETE,
    ),
    ("quarantine", "quarantine_no_truncate", BEFORE | TRUNCATE),
];

/// The guards that are missing or do not guard any more. A guard is sound when its trigger
/// exists on its table (as found through the search path, like every query of this crate),
/// fires BEFORE on exactly the operations it should, is `ENABLE ALWAYS` (so it also fires
/// under `session_replication_role = replica`), and calls a function that still raises.
/// Each finding names the trigger and, when it exists, what is wrong with it.
#[tracing::instrument(skip_all)]
pub(crate) async fn missing_guards(pool: &PgPool) -> Result<Vec<String>, StoreError> {
    let found: Vec<(String, String, i16, String, bool)> = sqlx::query_as(
        "SELECT c.relname::text, t.tgname::text, t.tgtype, t.tgenabled::text, \
                position('RAISE EXCEPTION' in p.prosrc) > 0 \
         FROM pg_trigger t \
         JOIN pg_class c ON c.oid = t.tgrelid \
         JOIN pg_proc p ON p.oid = t.tgfoid \
         WHERE NOT t.tgisinternal \
           AND t.tgrelid IN (to_regclass('events'), to_regclass('deliveries'), \
                             to_regclass('quarantine'))",
    )
    .fetch_all(pool)
    .await
    .map_err(|e| map_sqlx("missing_guards", e))?;

    let mut problems = Vec::new();
    for (table, name, tgtype) in GUARDS {
        let Some((_, _, actual_type, enabled, raises)) =
            found.iter().find(|(t, n, ..)| t == table && n == name)
        else {
            problems.push(name.to_owned());
            continue;
        };
        if *actual_type != tgtype {
            problems.push(format!(
                "{name} (fires on the wrong operations: tgtype {actual_type}, expected {tgtype})"
            ));
        } else if enabled != "A" {
            let state = match enabled.as_str() {
                "D" => "disabled",
                "R" => "enabled only for replica sessions",
                _ => "enabled but not ALWAYS, so replica sessions bypass it",
            };
            problems.push(format!("{name} ({state})"));
        } else if !raises {
            problems.push(format!(
                "{name} (its function no longer raises an exception)"
            ));
        }
    }
    Ok(problems)
}
