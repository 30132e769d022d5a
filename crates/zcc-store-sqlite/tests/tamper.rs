//! `verify` proves every stored column of the log: each column of one entry is changed in a
//! copy with the immutability triggers dropped and put back, and `verify` (with and without an
//! auditor's checkpoint) names the position and the column.

mod common;

use zcc_store::conformance::event;
use zcc_store::ingest::prepare;
use zcc_store::verify::verify;
use zcc_store::{EventLog, Head, Source};

/// The guards of the log table, as migration 0005 (re)creates them.
const EVENT_GUARDS: &str = "
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: DELETE is not allowed'); END;";

/// A log of three entries; returns the checkpoint an auditor took of it.
async fn three_entries(db: &common::TempDb) -> Head {
    let log = db.open();
    log.append_batch((1..=3).map(|n| event(n, Some("E"))).collect())
        .await
        .unwrap();
    log.head().await.unwrap()
}

/// Change the stored log behind its guards, then put the guards back as they were.
fn tamper(db: &common::TempDb, set: &str) {
    let raw = db.raw();
    raw.execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
        .unwrap();
    let changed = raw
        .execute(&format!("UPDATE events SET {set} WHERE position = 2"), [])
        .unwrap_or_else(|e| panic!("SET {set}: {e}"));
    assert_eq!(changed, 1, "SET {set} changed a row");
    raw.execute_batch(EVENT_GUARDS).unwrap();
}

/// `verify` fails at `position`, naming `column`, and the checkpoint no longer verifies.
async fn assert_caught(db: &common::TempDb, checkpoint: Head, position: i64, column: &str) {
    let log = db.open();
    assert!(
        log.missing_guards().await.unwrap().is_empty(),
        "the guards are back"
    );
    let report = verify(&log, None, |_| {}).await.unwrap();
    assert!(!report.ok(), "{column}: verify said OK: {report:?}");
    let (at, reason) = report.first_bad.clone().expect("a bad entry");
    assert_eq!(at, position, "{column}: {reason}");
    assert!(
        reason.starts_with(&format!("column {column}:")),
        "{column}: the reason names another column: {reason}"
    );
    let with_checkpoint = verify(&log, Some(checkpoint), |_| {}).await.unwrap();
    assert!(
        !with_checkpoint.ok(),
        "{column}: verify --checkpoint said OK: {with_checkpoint:?}"
    );
}

#[tokio::test]
async fn verify_names_the_position_and_the_column_of_every_changed_column() {
    for (column, set) in [
        (
            "event_type",
            "event_type = 'contact_center.engagement_ended'",
        ),
        ("event_time", "event_time = event_time + 1"),
        ("account_id", "account_id = 'AcctForged'"),
        ("account_id", "account_id = NULL"),
        ("engagement_id", "engagement_id = 'EngForged'"),
        ("received_at", "received_at = received_at + 60000"),
        ("source", "source = 'http'"),
        ("dedupe_ts", "dedupe_ts = dedupe_ts + 1"),
        ("body", "body = replace(body, 'U2', 'U9')"),
        ("body_sha256", "body_sha256 = zeroblob(32)"),
        ("hash", "hash = zeroblob(32)"),
        ("chain_version", "chain_version = 1"),
    ] {
        let db = common::TempDb::new();
        let checkpoint = three_entries(&db).await;
        let log = db.open();
        let clean = verify(&log, Some(checkpoint), |_| {}).await.unwrap();
        assert!(clean.ok(), "before tampering: {clean:?}");
        drop(log);
        tamper(&db, set);
        assert_caught(&db, checkpoint, 2, column).await;
    }
}

/// A body without a time of its own is stored with its receive time as its event time: a
/// changed `received_at` is named as such, not as a wrong `event_time`.
#[tokio::test]
async fn a_changed_receive_time_of_an_untimed_body_is_named() {
    let db = common::TempDb::new();
    let untimed =
        r#"{"event":"contact_center.x_untimed","payload":{"object":{"engagement_id":"E"}}}"#;
    let log = db.open();
    log.append_batch(vec![
        event(1, Some("E")),
        prepare(untimed.as_bytes(), Source::Http, 1_777_903_500_000, None).unwrap(),
        event(3, Some("E")),
    ])
    .await
    .unwrap();
    let checkpoint = log.head().await.unwrap();
    drop(log);
    tamper(&db, "received_at = received_at + 1");
    assert_caught(&db, checkpoint, 2, "received_at").await;
}
