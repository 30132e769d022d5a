//! Durability, atomicity, and what a caller sees when the database is locked, gone or odd.

mod common;

use std::time::{Duration, Instant};

use zcc_store::conformance::event;
use zcc_store::verify::verify;
use zcc_store::{Appended, EventLog, Position, StoreError};
use zcc_store_sqlite::{SqliteLog, SqliteOptions};

fn quick_timeout() -> SqliteOptions {
    SqliteOptions {
        busy_timeout: Duration::from_millis(200),
        ..SqliteOptions::default()
    }
}

#[tokio::test]
async fn reopening_keeps_the_head_and_continues_the_chain() {
    let db = common::TempDb::new();
    let head = {
        let log = db.open();
        log.append_batch((1..=10).map(|n| event(n, None)).collect())
            .await
            .unwrap();
        log.head().await.unwrap()
    };
    assert_eq!(head.size, 10);
    let log = db.open();
    assert_eq!(log.head().await.unwrap(), head, "head survives a reopen");
    let out = log
        .append_batch(vec![event(5, None), event(11, None)])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            Appended::Duplicate(Position(5)),
            Appended::Stored(Position(11))
        ]
    );
    let report = verify(&log, Some(head), |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
}

#[tokio::test]
async fn a_locked_database_is_unavailable_then_recovers() {
    let db = common::TempDb::new();
    let log = db.open_with(quick_timeout());
    log.append_batch(vec![event(1, None)]).await.unwrap();

    let raw = db.raw();
    raw.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let started = Instant::now();
    let err = log.append_batch(vec![event(2, None)]).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(
        err.to_string().contains("ledger.db"),
        "the error names the file: {err}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "busy_timeout was honoured"
    );
    let err = log.record_deliveries(vec![]).await;
    assert!(err.is_ok(), "an empty call touches nothing");
    raw.execute_batch("ROLLBACK").unwrap();

    let out = log.append_batch(vec![event(2, None)]).await.unwrap();
    assert_eq!(
        out,
        vec![Appended::Stored(Position(2))],
        "no position was burnt"
    );
    assert!(verify(&log, None, |_| {}).await.unwrap().ok());
}

#[tokio::test]
async fn a_refused_insert_rolls_back_the_whole_batch() {
    let db = common::TempDb::new();
    let log = db.open();
    log.append_batch(vec![event(1, None)]).await.unwrap();
    db.raw()
        .execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.body LIKE '%\"U13\"%'
             BEGIN SELECT RAISE(ABORT, 'poisoned body'); END;",
        )
        .unwrap();
    let mut e = event(10, None);
    e.delivery = Some(Default::default());
    let err = log
        .append_batch(vec![e, event(11, None), event(13, None)])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Refused(m) if m.contains("poisoned body") && m.contains("event 4")),
        "{err:?}"
    );
    assert_eq!(log.head().await.unwrap().size, 1, "nothing half-stored");
    assert!(
        log.deliveries(10).await.unwrap().is_empty(),
        "no delivery row either"
    );

    db.raw().execute_batch("DROP TRIGGER poison").unwrap();
    let out = log.append_batch(vec![event(11, None)]).await.unwrap();
    assert_eq!(out, vec![Appended::Stored(Position(2))]);
    assert!(verify(&log, None, |_| {}).await.unwrap().ok());
}

#[tokio::test]
async fn two_logs_on_one_file_keep_one_chain() {
    let db = common::TempDb::new();
    let a = db.open();
    let b = db.open();
    a.append_batch(vec![event(1, None), event(2, None)])
        .await
        .unwrap();
    let out = b
        .append_batch(vec![event(2, None), event(3, None)])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            Appended::Duplicate(Position(2)),
            Appended::Stored(Position(3))
        ]
    );
    let out = a.append_batch(vec![event(4, None)]).await.unwrap();
    assert_eq!(out, vec![Appended::Stored(Position(4))], "a saw b's append");
    let report = verify(&a, None, |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
}

#[test]
fn a_missing_directory_is_unavailable_and_named() {
    let db = common::TempDb::new();
    let path = db.dir.path().join("no/such/dir/ledger.db");
    let err = SqliteLog::open(&path.display().to_string())
        .err()
        .expect("open failed");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("no/such/dir/ledger.db"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_with_its_name() {
    let db = common::TempDb::new();
    std::fs::write(&db.path, vec![b'x'; 8192]).unwrap();
    let err = SqliteLog::open(&db.url()).err().expect("open failed");
    assert!(!err.is_transient(), "retrying will not help: {err:?}");
    assert!(err.to_string().contains("ledger.db"), "{err}");
}

#[test]
fn a_newer_schema_is_refused() {
    let db = common::TempDb::new();
    drop(db.open());
    db.raw().pragma_update(None, "user_version", 999).unwrap();
    let err = SqliteLog::open(&db.url()).err().expect("open failed");
    assert!(
        matches!(&err, StoreError::Migration(m) if m.contains("999") && m.contains("newer")),
        "{err:?}"
    );
}

#[test]
fn urls_of_other_backends_are_configuration_errors() {
    let err = SqliteLog::open("postgres://postgres@127.0.0.1/zcc")
        .err()
        .expect("refused");
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
}

#[tokio::test]
async fn ping_answers_and_a_dropped_log_releases_the_file() {
    let db = common::TempDb::new();
    let log = db.open();
    log.ping().await.unwrap();
    log.append_batch(vec![event(1, None)]).await.unwrap();
    drop(log);
    // The writer thread has closed its connection: an exclusive lock is free to take.
    let raw = db.raw();
    raw.execute_batch("BEGIN EXCLUSIVE; COMMIT;").unwrap();
}
