//! The database refuses UPDATE, DELETE and TRUNCATE on the log, the delivery log and the
//! quarantine; with a guard switched off, `verify` and `missing_guards` say what happened.

use sqlx::PgConnection;
use zcc_store::conformance::event;
use zcc_store::verify::verify;
use zcc_store::{
    Delivery, DeliveryMeta, DeliveryOutcome, Digest, EventLog, QuarantineEntry, Source,
};

use crate::support::TestDb;

/// Run `sql` and expect the append-only refusal for `table` and `op`.
async fn expect_refused(conn: &mut PgConnection, sql: &'static str, table: &str, op: &str) {
    let err = sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .expect_err(&format!("{sql} should be refused"));
    let db = err
        .as_database_error()
        .unwrap_or_else(|| panic!("{sql}: expected a database error, got {err}"));
    assert_eq!(db.code().as_deref(), Some("P0001"), "{sql}: {err}");
    assert_eq!(
        db.message(),
        format!("{table} is append-only: {op} is not allowed"),
        "{sql}"
    );
}

async fn fill(log: &dyn EventLog) {
    let mut e = event(1, Some("E"));
    e.delivery = Some(DeliveryMeta {
        received_at_ms: 1,
        headers: vec![],
        provenance: None,
    });
    log.append_batch(vec![e, event(2, Some("E")), event(3, None)])
        .await
        .unwrap();
    log.record_deliveries(vec![Delivery {
        meta: DeliveryMeta::default(),
        outcome: DeliveryOutcome::Unauthorized,
        status: 401,
        position: None,
        body_sha256: None,
        event_type: None,
        reason: Some("bad signature".into()),
    }])
    .await
    .unwrap();
    log.quarantine(vec![QuarantineEntry {
        received_at_ms: 1,
        source: Source::Http,
        origin: "http".into(),
        reason: "body is not JSON".into(),
        body: b"nope".to_vec(),
        body_sha256: Digest::of(b"nope"),
    }])
    .await
    .unwrap();
}

#[tokio::test]
async fn update_delete_truncate_are_refused() {
    let db = TestDb::create().await;
    let log = db.log().await;
    fill(&log).await;
    let before = log.head().await.unwrap();
    let mut conn = db.raw().await;

    expect_refused(
        &mut conn,
        "UPDATE events SET body = '{}' WHERE position = 1",
        "events",
        "UPDATE",
    )
    .await;
    expect_refused(
        &mut conn,
        "UPDATE events SET source = 'http'",
        "events",
        "UPDATE",
    )
    .await;
    expect_refused(
        &mut conn,
        "DELETE FROM events WHERE position = 3",
        "events",
        "DELETE",
    )
    .await;
    expect_refused(&mut conn, "TRUNCATE events", "events", "TRUNCATE").await;
    expect_refused(
        &mut conn,
        "UPDATE deliveries SET status = 200",
        "deliveries",
        "UPDATE",
    )
    .await;
    expect_refused(&mut conn, "DELETE FROM deliveries", "deliveries", "DELETE").await;
    expect_refused(&mut conn, "TRUNCATE deliveries", "deliveries", "TRUNCATE").await;
    expect_refused(
        &mut conn,
        "UPDATE quarantine SET reason = 'fine'",
        "quarantine",
        "UPDATE",
    )
    .await;
    expect_refused(&mut conn, "DELETE FROM quarantine", "quarantine", "DELETE").await;
    expect_refused(&mut conn, "TRUNCATE quarantine", "quarantine", "TRUNCATE").await;
    // TRUNCATE of several tables at once, and under replica mode (ENABLE ALWAYS).
    expect_refused(
        &mut conn,
        "TRUNCATE quarantine, deliveries, events",
        "quarantine",
        "TRUNCATE",
    )
    .await;
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut conn)
        .await
        .unwrap();
    expect_refused(&mut conn, "DELETE FROM events", "events", "DELETE").await;
    sqlx::query("RESET session_replication_role")
        .execute(&mut conn)
        .await
        .unwrap();

    assert_eq!(log.head().await.unwrap(), before, "nothing changed");
    assert_eq!(log.deliveries(10).await.unwrap().len(), 2);
    assert_eq!(log.quarantined(10).await.unwrap().len(), 1);
    assert!(verify(&log, None, |_| {}).await.unwrap().ok());
}

#[tokio::test]
async fn tampering_with_a_disabled_guard_is_found() {
    let db = TestDb::create().await;
    let log = db.log().await;
    fill(&log).await;
    let mut conn = db.raw().await;

    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_append_only")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        log.missing_guards().await.unwrap(),
        vec!["events_append_only (disabled)".to_owned()]
    );
    let updated =
        sqlx::query("UPDATE events SET body = replace(body, 'U2', 'U9') WHERE position = 2")
            .execute(&mut conn)
            .await
            .unwrap();
    assert_eq!(updated.rows_affected(), 1, "the tamper went through");

    let report = verify(&log, None, |_| {}).await.unwrap();
    assert!(!report.ok());
    let (position, reason) = report
        .first_bad
        .clone()
        .expect("verify names the bad entry");
    assert_eq!(position, 2, "{reason}");
    assert!(
        reason.contains("SHA-256"),
        "reason names the body hash: {reason}"
    );
    assert_eq!(
        report.missing_guards,
        vec!["events_append_only (disabled)".to_owned()]
    );
    assert_eq!(report.entries_checked, 1, "entry 1 still verifies");
}

#[tokio::test]
async fn weakened_or_dropped_guards_are_reported() {
    let db = TestDb::create().await;
    let log = db.log().await;
    let mut conn = db.raw().await;
    for sql in [
        // Plain ENABLE: replica sessions would bypass it.
        "ALTER TABLE deliveries ENABLE TRIGGER deliveries_append_only",
        "DROP TRIGGER quarantine_no_truncate ON quarantine",
        // Recreated under the same name, but no longer guarding DELETE.
        "DROP TRIGGER events_append_only ON events",
        "CREATE TRIGGER events_append_only BEFORE UPDATE ON events \
         FOR EACH ROW EXECUTE FUNCTION zcc_refuse_change()",
        "ALTER TABLE events ENABLE ALWAYS TRIGGER events_append_only",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    let missing = log.missing_guards().await.unwrap();
    assert_eq!(missing.len(), 3, "{missing:?}");
    assert!(
        missing[0].starts_with("events_append_only (fires on the wrong operations"),
        "{missing:?}"
    );
    assert_eq!(
        missing[1],
        "deliveries_append_only (enabled but not ALWAYS, so replica sessions bypass it)"
    );
    assert_eq!(missing[2], "quarantine_no_truncate");

    // A function replaced by a no-op disarms every guard at once.
    sqlx::query(
        "CREATE OR REPLACE FUNCTION zcc_refuse_change() RETURNS trigger LANGUAGE plpgsql \
         AS $$ BEGIN RETURN NULL; END $$",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let missing = log.missing_guards().await.unwrap();
    assert!(
        missing.contains(
            &"events_no_truncate (its function no longer raises an exception)".to_owned()
        ),
        "{missing:?}"
    );
}
