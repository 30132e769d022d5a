//! The hardened roles of docs/POSTGRES.md: the SQL block there, run verbatim, leaves an
//! application role that can append and read but cannot change, delete or unguard the log.

use sqlx::{Connection, PgConnection};
use zcc_store::conformance::event;
use zcc_store::verify::verify;
use zcc_store::{Digest, EventLog, QuarantineEntry, Source, StoreError};
use zcc_store_postgres::PostgresLog;

use crate::support::{Roles, TestDb, as_role};

const DOC: &str = include_str!("../../../../docs/POSTGRES.md");

/// The ```sql block after the `roles.sql` marker in docs/POSTGRES.md.
fn roles_sql() -> &'static str {
    let marker = DOC
        .find("<!-- roles.sql")
        .expect("docs/POSTGRES.md has the roles.sql marker");
    let rest = &DOC[marker..];
    let start = rest.find("```sql\n").expect("a sql block after the marker") + "```sql\n".len();
    let len = rest[start..].find("```").expect("the sql block ends");
    &rest[start..start + len]
}

async fn expect_denied(conn: &mut PgConnection, sql: &'static str) {
    let err = sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .expect_err(&format!("{sql} should be denied to the application role"));
    let code = err.as_database_error().and_then(|d| d.code());
    assert_eq!(code.as_deref(), Some("42501"), "{sql}: {err}");
}

#[tokio::test]
async fn hardened_application_role() {
    let roles = Roles::create().await;
    let db = TestDb::create().await;
    let mut admin = PgConnection::connect(&db.url).await.unwrap();
    let sql = format!("ALTER DATABASE {} OWNER TO {}", db.name, roles.owner);
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();

    // The owner migrates and runs the documented grants.
    let owner_url = as_role(&db.url, &roles.owner);
    let owner = PostgresLog::connect(&owner_url).await.unwrap();
    owner.append_batch(vec![event(1, Some("E"))]).await.unwrap();
    let grants = roles_sql()
        .replace("zcc_owner", &roles.owner)
        .replace("zcc_app", &roles.app);
    sqlx::raw_sql(sqlx::AssertSqlSafe(grants))
        .execute(owner.pool())
        .await
        .unwrap_or_else(|e| panic!("the roles.sql block of docs/POSTGRES.md failed: {e}"));

    // The application role starts (no migration to run), appends, reads, verifies.
    let app_url = as_role(&db.url, &roles.app);
    let app = PostgresLog::connect(&app_url)
        .await
        .unwrap_or_else(|e| panic!("the application role cannot start: {e}"));
    let mut e = event(2, Some("E"));
    e.delivery = Some(Default::default());
    let out = app
        .append_batch(vec![e, event(1, Some("E"))])
        .await
        .unwrap();
    assert_eq!(out[0].position().0, 2);
    assert!(out[1].is_duplicate());
    app.quarantine(vec![QuarantineEntry {
        received_at_ms: 1,
        source: Source::Import,
        origin: "a.jsonl:1".into(),
        reason: "empty body".into(),
        body: vec![],
        body_sha256: Digest::of(b""),
    }])
    .await
    .unwrap();
    assert_eq!(app.engagement_events(&"E".into()).await.unwrap().len(), 2);
    assert_eq!(app.deliveries(5).await.unwrap().len(), 1);
    assert!(app.missing_guards().await.unwrap().is_empty());
    assert!(verify(&app, None, |_| {}).await.unwrap().ok());

    // ... and can neither change the log nor touch its guards.
    let mut conn = PgConnection::connect(&app_url).await.unwrap();
    for sql in [
        "UPDATE events SET body = '{}' WHERE position = 1",
        "DELETE FROM events",
        "TRUNCATE events",
        "UPDATE deliveries SET status = 500",
        "DELETE FROM quarantine",
        "TRUNCATE deliveries, quarantine",
        "ALTER TABLE events DISABLE TRIGGER events_append_only",
        "DROP TRIGGER events_append_only ON events",
        "CREATE OR REPLACE FUNCTION zcc_refuse_change() RETURNS trigger LANGUAGE plpgsql \
         AS $$ BEGIN RETURN NULL; END $$",
        "CREATE TABLE sneaky (x int)",
    ] {
        expect_denied(&mut conn, sql).await;
    }
    conn.close().await.unwrap();

    let head = app.head().await.unwrap();
    assert_eq!(head.size, 2, "nothing changed");
    app.close().await;
    owner.close().await;
    // The database goes before the roles that own objects in it.
    drop(db);
    drop(roles);
}

#[tokio::test]
async fn modified_applied_migration_is_refused() {
    let db = TestDb::create().await;
    let log = db.log().await;
    sqlx::query("UPDATE _sqlx_migrations SET checksum = '\\x00' WHERE version = 1")
        .execute(log.pool())
        .await
        .unwrap();
    let err = PostgresLog::connect(&db.url).await.unwrap_err();
    assert!(matches!(err, StoreError::Migration(_)), "{err:?}");
    assert!(err.to_string().contains("migration 1"), "{err}");
}
