//! What the SQLite log adds beyond the shared suite: the streaming scan, the URL forms, delivery
//! headers, concurrency through group commit, and the SQL the rows land in.

mod common;

use std::ops::ControlFlow;
use std::sync::Arc;

use zcc_store::conformance::event;
use zcc_store::group_commit::GroupCommitter;
use zcc_store::verify::verify;
use zcc_store::{Appended, DeliveryMeta, EventLog, Position};
use zcc_store_sqlite::SqliteLog;

#[tokio::test]
async fn scan_blocking_streams_in_order_and_stops_on_break() {
    let db = common::TempDb::new();
    let log = db.open();
    log.append_batch((1..=50).map(|n| event(n, Some("E"))).collect())
        .await
        .unwrap();
    let owned = log.read_after(Position(10), 1000).await.unwrap();

    let mut seen = Vec::new();
    log.scan_blocking(Position(10), |e| {
        seen.push(e.to_owned());
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(seen, owned, "scan and read_after agree entry for entry");
    assert_eq!(seen.first().unwrap().position, Position(11));
    assert_eq!(seen.len(), 40);

    let mut count = 0;
    log.scan_blocking(Position::START, |e| {
        count += 1;
        if e.position == Position(5) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    assert_eq!(count, 5, "the scan stops at the first Break");
}

/// Segments of 7 positions: the same entries as one read, a Break inside a segment ends the
/// scan, and each segment reads a snapshot of its own (so a checkpoint is never held back
/// by the whole scan): events appended while the scan runs show up in a later segment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_reads_segment_by_segment_in_snapshots_of_their_own() {
    let db = common::TempDb::new();
    let log = Arc::new(db.open());
    log.append_batch((1..=50).map(|n| event(n, Some("E"))).collect())
        .await
        .unwrap();
    let owned = log.read_after(Position::START, 1000).await.unwrap();

    let mut seen = Vec::new();
    log.scan_segmented(Position::START, 7, |e| {
        seen.push(e.to_owned());
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(seen, owned, "segments and one read agree entry for entry");

    let mut count = 0;
    log.scan_segmented(Position(3), 7, |e| {
        count += 1;
        if e.position == Position(12) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    assert_eq!(count, 9, "a Break inside a segment ends the scan there");

    let scanning = log.clone();
    let runtime = tokio::runtime::Handle::current();
    let positions = tokio::task::spawn_blocking(move || {
        let mut positions = Vec::new();
        scanning
            .scan_segmented(Position::START, 7, |e| {
                positions.push(e.position.0);
                if e.position == Position(10) {
                    let more = (51..=55).map(|n| event(n, Some("E"))).collect();
                    runtime.block_on(scanning.append_batch(more)).unwrap();
                }
                ControlFlow::Continue(())
            })
            .unwrap();
        positions
    })
    .await
    .unwrap();
    assert_eq!(
        positions,
        (1..=55).collect::<Vec<i64>>(),
        "what was committed during segment 2 is read by a later one"
    );
}

#[tokio::test]
async fn every_url_form_opens_the_same_file() {
    let db = common::TempDb::new();
    let abs = db.path.display().to_string();
    {
        let log = SqliteLog::open(&format!("sqlite://{abs}")).unwrap();
        log.append_batch(vec![event(1, None)]).await.unwrap();
        assert_eq!(log.path(), db.path.as_path());
    }
    for url in [
        format!("sqlite:{abs}"),
        abs.clone(),
        format!("sqlite://{abs}?mode=rwc"),
    ] {
        let log = SqliteLog::open(&url).unwrap();
        assert_eq!(
            log.head().await.unwrap().size,
            1,
            "{url} opened another file"
        );
    }
}

#[tokio::test]
async fn delivery_headers_keep_order_and_repeats() {
    let db = common::TempDb::new();
    let log = db.open();
    let headers = vec![
        ("x-zm-request-id".to_owned(), "r1".to_owned()),
        ("x-zm-trackingid".to_owned(), "t \"quoted\" ü".to_owned()),
        ("x-zm-request-id".to_owned(), "r2".to_owned()),
    ];
    let mut e = event(1, Some("E"));
    e.delivery = Some(DeliveryMeta {
        received_at_ms: 99,
        headers: headers.clone(),
        provenance: None,
    });
    log.append_batch(vec![e]).await.unwrap();
    let d = log.deliveries(10).await.unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].meta.headers, headers);
    assert_eq!(d[0].meta.received_at_ms, 99);
    let stored: String = db
        .raw()
        .query_row("SELECT headers FROM deliveries", [], |r| r.get(0))
        .unwrap();
    assert!(
        stored.starts_with("[[\"x-zm-request-id\",\"r1\"]"),
        "{stored}"
    );
}

#[tokio::test]
async fn deliveries_and_quarantine_come_newest_first() {
    let db = common::TempDb::new();
    let log = db.open();
    for n in 1..=3 {
        let mut e = event(n, None);
        e.delivery = Some(DeliveryMeta {
            received_at_ms: n as i64,
            headers: vec![],
            provenance: None,
        });
        log.append_batch(vec![e]).await.unwrap();
    }
    let d = log.deliveries(2).await.unwrap();
    let times: Vec<i64> = d.iter().map(|d| d.meta.received_at_ms).collect();
    assert_eq!(times, vec![3, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_through_group_commit_stay_gapless_and_chained() {
    let db = common::TempDb::new();
    let log: Arc<dyn EventLog> = db.shared();
    let committer = GroupCommitter::start(Arc::clone(&log), 64);
    let mut tasks = Vec::new();
    for n in 0..400u64 {
        let c = committer.clone();
        // Every body twice: 400 appends, 200 stored, 200 duplicates.
        tasks.push(tokio::spawn(
            async move { c.append(event(n % 200, None)).await },
        ));
    }
    let mut stored = Vec::new();
    let mut duplicates = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Appended::Stored(p) => stored.push(p.0),
            Appended::Duplicate(_) => duplicates += 1,
        }
    }
    stored.sort_unstable();
    assert_eq!(stored, (1..=200).collect::<Vec<_>>());
    assert_eq!(duplicates, 200);
    let report = verify(log.as_ref(), None, |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
}

#[tokio::test]
async fn rows_land_in_the_documented_columns() {
    let db = common::TempDb::new();
    let log = db.open();
    log.append_batch(vec![event(7, Some("EngX"))])
        .await
        .unwrap();
    let (event_type, event_time, engagement, source, sha_len, hash_len): (
        String,
        i64,
        String,
        String,
        i64,
        i64,
    ) = db
        .raw()
        .query_row(
            "SELECT event_type, event_time, engagement_id, source, length(body_sha256), \
             length(hash) FROM events WHERE position = 1",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(event_type, "contact_center.engagement_user_hold");
    assert_eq!(event_time, 1_777_903_330_007);
    assert_eq!(engagement, "EngX");
    assert_eq!(source, "import");
    assert_eq!((sha_len, hash_len), (32, 32));
    let pragmas: (String, i64, i64) = {
        let raw = db.raw();
        (
            raw.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap(),
            raw.query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap(),
            raw.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN \
                 ('events_engagement', 'events_dedupe', 'events_event_time')",
                [],
                |r| r.get(0),
            )
            .unwrap(),
        )
    };
    // user_version is the newest migration: the highest number among the files of
    // migrations/sqlite (numbers are shared with migrations/postgres, so one may be skipped).
    let migrations = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../migrations/sqlite"
    ))
    .unwrap()
    .map(|e| e.unwrap().path())
    .filter(|p| p.extension().is_some_and(|x| x == "sql"))
    .map(|p| {
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        name[..4]
            .parse::<i64>()
            .unwrap_or_else(|_| panic!("{name} does not start with its number"))
    })
    .max()
    .unwrap();
    assert_eq!(pragmas, ("wal".to_owned(), migrations, 3));
}
