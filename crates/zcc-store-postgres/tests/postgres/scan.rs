//! The fast scan of rebuilds ([`LogScan`]): the entries after a position, in order, exactly
//! what `read_after` gives; a Break stops it; segments each see the log as it is then.

use std::ops::ControlFlow;
use std::sync::Arc;

use zcc_store::conformance::event;
use zcc_store::{Digest, EventLog, LogScan, Position};
use zcc_store_postgres::PostgresLog;

use crate::support::TestDb;

/// What a scan lent, owned.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    position: Position,
    engagement_id: Option<String>,
    body: String,
    body_sha256: Digest,
}

/// Run `scan` the way the rebuild does (on a blocking thread of the runtime), keeping what it
/// lends until `stop_at`.
async fn scan_from(
    scan: Arc<dyn LogScan>,
    after: Position,
    stop_at: Option<Position>,
) -> Vec<Seen> {
    tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        scan.scan(after, &mut |e| {
            seen.push(Seen {
                position: e.position,
                engagement_id: e.engagement_id.map(str::to_owned),
                body: e.body.to_owned(),
                body_sha256: e.body_sha256,
            });
            if Some(e.position) == stop_at {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .expect("the scan succeeds");
        seen
    })
    .await
    .expect("the scan thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_from_the_middle_streams_in_order_and_stops_on_break() {
    let db = TestDb::create().await;
    let log = Arc::new(db.log().await);
    let events = (1..=50u64).map(|n| event(n, (n % 3 != 0).then_some("E")));
    log.append_batch(events.collect()).await.unwrap();
    let scan = EventLog::log_scan(log.clone()).expect("PostgreSQL offers a fast scan");

    let expected: Vec<Seen> = log
        .read_after(Position(20), 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| Seen {
            position: e.position,
            engagement_id: e.engagement_id.map(|id| id.to_string()),
            body: e.body,
            body_sha256: e.body_sha256,
        })
        .collect();
    let seen = scan_from(scan.clone(), Position(20), None).await;
    assert_eq!(seen.len(), 30, "exactly the entries after position 20");
    assert_eq!(seen, expected, "scan and read_after agree entry for entry");
    assert!(seen.iter().any(|e| e.engagement_id.is_none()));

    let stopped = scan_from(scan.clone(), Position(20), Some(Position(24))).await;
    let positions: Vec<i64> = stopped.iter().map(|e| e.position.0).collect();
    assert_eq!(
        positions,
        [21, 22, 23, 24],
        "the scan stops at the first Break"
    );

    assert!(
        scan_from(scan.clone(), Position(50), None).await.is_empty(),
        "nothing after the head"
    );
    // The connection the broken-off scan used is usable again.
    assert_eq!(scan_from(scan, Position(45), None).await.len(), 5);
}

/// Segments of 7 positions: the same entries as one read, a Break inside a segment ends the
/// scan, and events appended while the scan runs show up in a later segment (each segment is
/// a statement of its own, with a snapshot of its own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_reads_segment_by_segment() {
    let db = TestDb::create().await;
    let log = Arc::new(db.log().await);
    log.append_batch((1..=30u64).map(|n| event(n, Some("E"))).collect())
        .await
        .unwrap();

    // Appends requested from inside the scan, done by a task on the runtime.
    let (ask, asked) = std::sync::mpsc::channel::<()>();
    let (done, appended) = std::sync::mpsc::channel::<()>();
    let appender = {
        let log = log.clone();
        let asked = Arc::new(std::sync::Mutex::new(asked));
        tokio::spawn(async move {
            loop {
                let asked = asked.clone();
                let go = tokio::task::spawn_blocking(move || asked.lock().unwrap().recv())
                    .await
                    .unwrap();
                if go.is_err() {
                    return;
                }
                log.append_batch((31..=33u64).map(|n| event(n, Some("F"))).collect())
                    .await
                    .unwrap();
                done.send(()).unwrap();
            }
        })
    };

    let scanner = log.clone();
    let positions = tokio::task::spawn_blocking(move || {
        let mut positions = Vec::new();
        scanner
            .scan_segmented(Position(2), 7, |e| {
                positions.push(e.position.0);
                if e.position == Position(10) {
                    // Inside the second segment (3..=9, 10..=16, ...): appended now, read later.
                    ask.send(()).unwrap();
                    appended.recv().unwrap();
                }
                ControlFlow::Continue(())
            })
            .unwrap();
        drop(ask);
        positions
    })
    .await
    .unwrap();
    appender.await.unwrap();
    assert_eq!(positions, (3..=33).collect::<Vec<i64>>());

    let scanner = log.clone();
    let positions = tokio::task::spawn_blocking(move || {
        let mut positions = Vec::new();
        scanner
            .scan_segmented(Position::START, 7, |e| {
                positions.push(e.position.0);
                if e.position == Position(12) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .unwrap();
        positions
    })
    .await
    .unwrap();
    assert_eq!(positions, (1..=12).collect::<Vec<i64>>());
}

/// A failed scan says what it was reading and where.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_errors_name_the_position() {
    let db = TestDb::create().await;
    let log: Arc<PostgresLog> = Arc::new(db.log().await);
    log.append_batch((1..=3u64).map(|n| event(n, None)).collect())
        .await
        .unwrap();
    log.close().await;
    let scanner = log.clone();
    let err = tokio::task::spawn_blocking(move || {
        scanner.scan_blocking(Position(2), |_| ControlFlow::Continue(()))
    })
    .await
    .unwrap()
    .expect_err("a closed pool cannot scan");
    let msg = err.to_string();
    assert!(
        msg.contains("scanning the log") && msg.contains("position 2"),
        "{msg}"
    );
    assert!(err.is_transient(), "{err:?}");

    // Outside a runtime the scan refuses rather than panics.
    let err = std::thread::spawn(move || {
        log.scan_blocking(Position::START, |_| ControlFlow::Continue(()))
    })
    .join()
    .unwrap()
    .expect_err("no runtime");
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}
