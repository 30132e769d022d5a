//! `verify` proves every stored column of the log: each column of one entry is changed in a
//! copy with the immutability trigger dropped and put back, and `verify` (with and without an
//! auditor's checkpoint) names the position and the column.

use sqlx::PgConnection;
use zcc_store::conformance::event;
use zcc_store::ingest::prepare;
use zcc_store::verify::verify;
use zcc_store::{EventLog, Head, NewEvent, Source};

use crate::support::TestDb;

/// Change entry 2 behind its guard, then put the guard back as migration 0001 made it.
async fn tamper(conn: &mut PgConnection, set: &str) {
    for sql in [
        "DROP TRIGGER events_append_only ON events".to_owned(),
        format!("UPDATE events SET {set} WHERE position = 2"),
        "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events \
         FOR EACH ROW EXECUTE FUNCTION zcc_refuse_change()"
            .to_owned(),
        "ALTER TABLE events ENABLE ALWAYS TRIGGER events_append_only".to_owned(),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// Append `events`, change `set` on entry 2, and expect `verify` to name entry 2 and `column`.
async fn caught(events: Vec<NewEvent>, set: &str, column: &str) {
    let db = TestDb::create().await;
    let log = db.log().await;
    log.append_batch(events).await.unwrap();
    let checkpoint: Head = log.head().await.unwrap();
    assert!(
        verify(&log, Some(checkpoint), |_| {}).await.unwrap().ok(),
        "before tampering"
    );
    let mut conn = db.raw().await;
    tamper(&mut conn, set).await;

    assert!(
        log.missing_guards().await.unwrap().is_empty(),
        "the guard is back"
    );
    let report = verify(&log, None, |_| {}).await.unwrap();
    assert!(!report.ok(), "{column}: verify said OK: {report:?}");
    let (at, reason) = report.first_bad.clone().expect("a bad entry");
    assert_eq!(at, 2, "{column}: {reason}");
    assert!(
        reason.starts_with(&format!("column {column}:")),
        "{column}: the reason names another column: {reason}"
    );
    let with_checkpoint = verify(&log, Some(checkpoint), |_| {}).await.unwrap();
    assert!(
        !with_checkpoint.ok(),
        "{column}: verify --checkpoint said OK: {with_checkpoint:?}"
    );
    log.close().await;
}

#[tokio::test]
async fn verify_names_the_position_and_the_column_of_every_changed_column() {
    let three = || (1..=3).map(|n| event(n, Some("E"))).collect::<Vec<_>>();
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
        ("body", "body = replace(body, 'U2', 'U9')"),
        (
            "body_sha256",
            "body_sha256 = decode(repeat('00', 32), 'hex')",
        ),
        ("hash", "hash = decode(repeat('00', 32), 'hex')"),
        ("chain_version", "chain_version = 1"),
    ] {
        caught(three(), set, column).await;
    }
}

/// A body without a time of its own is stored with its receive time as its event time: a
/// changed `received_at` is named as such, not as a wrong `event_time`.
#[tokio::test]
async fn a_changed_receive_time_of_an_untimed_body_is_named() {
    let untimed =
        r#"{"event":"contact_center.x_untimed","payload":{"object":{"engagement_id":"E"}}}"#;
    let events = vec![
        event(1, Some("E")),
        prepare(untimed.as_bytes(), Source::Http, 1_777_903_500_000, None).unwrap(),
        event(3, Some("E")),
    ];
    caught(events, "received_at = received_at + 1", "received_at").await;
}

/// A log from before migration 0006 (chain v1) still verifies after it, and new entries
/// continue its chain in format v2.
#[tokio::test]
async fn a_log_from_before_chain_v2_still_verifies_and_continues_in_v2() {
    use zcc_store::chain::chain_hash;
    use zcc_store::{Appended, ChainVersion, Digest, Position};

    let db = TestDb::create().await;
    let mut conn = db.raw().await;
    zcc_store_postgres::MIGRATOR
        .run_to(5, &mut conn)
        .await
        .expect("migrations up to 0005");
    let mut prev = Digest::ZERO;
    for n in 1..=3u64 {
        let e = event(n, Some("E"));
        let position = Position(n as i64);
        let hash = chain_hash(&prev, position, &e.body_sha256);
        sqlx::query(
            "INSERT INTO events (position, received_at, event_type, event_time, account_id, \
             engagement_id, body, body_sha256, hash, source) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'import')",
        )
        .bind(position.0)
        .bind(e.received_at_ms)
        .bind(&e.event_type)
        .bind(e.event_time_ms)
        .bind(&e.account_id)
        .bind(e.engagement_id.as_deref())
        .bind(&e.body)
        .bind(e.body_sha256.0.to_vec())
        .bind(hash.0.to_vec())
        .execute(&mut conn)
        .await
        .unwrap();
        prev = hash;
    }

    let log = db.log().await; // runs 0006
    let report = verify(&log, None, |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.chain_v1_entries, 3);
    assert_eq!(log.head().await.unwrap().hash, prev, "hashes unchanged");
    assert_eq!(
        log.append_batch(vec![event(4, Some("E"))]).await.unwrap(),
        vec![Appended::Stored(Position(4))]
    );
    let formats: Vec<ChainVersion> = log
        .read_after(Position::START, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.chain)
        .collect();
    assert_eq!(
        formats,
        [
            ChainVersion::V1,
            ChainVersion::V1,
            ChainVersion::V1,
            ChainVersion::V2
        ]
    );
    let report = verify(&log, None, |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
    log.close().await;
}
