//! SPEC I1: the database itself refuses UPDATE and DELETE, and tampering is caught by verify.

mod common;

use zcc_store::conformance::event;
use zcc_store::verify::verify;
use zcc_store::{
    Delivery, DeliveryMeta, DeliveryOutcome, Digest, EventLog, QuarantineEntry, Source,
};

/// A log with one row in each of the three tables.
async fn populated(db: &common::TempDb) {
    let log = db.open();
    log.append_batch((1..=3).map(|n| event(n, Some("E"))).collect())
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
async fn update_and_delete_are_refused_on_every_table() {
    let db = common::TempDb::new();
    populated(&db).await;
    let raw = db.raw();
    for (table, column) in [
        ("events", "event_type"),
        ("deliveries", "reason"),
        ("quarantine", "reason"),
    ] {
        for (op, sql) in [
            ("UPDATE", format!("UPDATE {table} SET {column} = 'x'")),
            ("DELETE", format!("DELETE FROM {table}")),
        ] {
            let err = raw
                .execute(&sql, [])
                .expect_err(&format!("{op} on {table} succeeded"));
            assert_eq!(
                err.sqlite_error_code(),
                Some(rusqlite::ErrorCode::ConstraintViolation),
                "{op} on {table}: {err}"
            );
            let expected = format!("{table} is append-only: {op} is not allowed");
            assert!(
                err.to_string().contains(&expected),
                "{op} on {table}: {err}"
            );
        }
        let count: i64 = raw
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert!(count > 0, "{table} lost rows");
    }
}

#[tokio::test]
async fn verify_names_a_tampered_position_and_the_dropped_guard() {
    let db = common::TempDb::new();
    populated(&db).await;
    let raw = db.raw();
    raw.execute_batch(
        "DROP TRIGGER events_no_update;
         UPDATE events SET body = replace(body, 'U2', 'U9') WHERE position = 2;",
    )
    .unwrap();
    drop(raw);

    let log = db.open();
    assert_eq!(
        log.missing_guards().await.unwrap(),
        vec!["events_no_update".to_owned()]
    );
    let report = verify(&log, None, |_| {}).await.unwrap();
    assert!(!report.ok());
    let (position, reason) = report.first_bad.clone().expect("tampering found");
    assert_eq!(position, 2, "{report:?}");
    assert!(reason.contains("body does not match"), "{reason}");
    assert_eq!(report.missing_guards, vec!["events_no_update".to_owned()]);
}

#[tokio::test]
async fn verify_names_a_forged_chain_hash() {
    let db = common::TempDb::new();
    populated(&db).await;
    let raw = db.raw();
    raw.execute_batch(
        "DROP TRIGGER events_no_update;
         UPDATE events SET hash = zeroblob(32) WHERE position = 3;",
    )
    .unwrap();
    let log = db.open();
    let report = verify(&log, None, |_| {}).await.unwrap();
    let (position, reason) = report.first_bad.expect("forgery found");
    assert_eq!(position, 3);
    assert!(reason.contains("chain hash mismatch"), "{reason}");
}
