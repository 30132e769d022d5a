//! Several writers, each with its own pool (as separate processes would have), append while a
//! reader tails the log by position. The reader must see every event exactly once, with
//! positions 1..=N and no gaps: a smaller position committing after a larger one was read
//! would be skipped, and this test would see the gap.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use zcc_store::conformance::event;
use zcc_store::verify::verify;
use zcc_store::{Appended, Digest, EventLog, Position};
use zcc_store_postgres::{PostgresLog, PostgresOptions};

use crate::support::TestDb;

const WRITERS: u64 = 8;
const PER_WRITER: u64 = 750;
/// Bodies every writer tries to append: each must be stored once, by whichever wins.
const SHARED: u64 = 40;

/// A small deterministic generator (no dependency needed for shuffling and batch sizes).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

async fn writer(log: PostgresLog, w: u64) -> Vec<(u64, Appended)> {
    let mut rng = Lcg(w + 1);
    let mut ns: Vec<u64> = (0..PER_WRITER).map(|i| (w + 1) * 1_000_000 + i).collect();
    ns.extend((0..SHARED).map(|k| 9_000_000 + k));
    for i in (1..ns.len()).rev() {
        ns.swap(i, rng.next(i as u64 + 1) as usize);
    }
    let mut outcomes = Vec::with_capacity(ns.len());
    let mut rest = &ns[..];
    while !rest.is_empty() {
        let size = (1 + rng.next(120) as usize).min(rest.len());
        let (batch, tail) = rest.split_at(size);
        rest = tail;
        let events = batch
            .iter()
            .map(|&n| event(n, Some(&format!("E{}", n % 97))))
            .collect();
        let out = log
            .append_batch(events)
            .await
            .unwrap_or_else(|e| panic!("writer {w}: append of {size} failed: {e}"));
        assert_eq!(out.len(), size, "writer {w}: one outcome per event");
        outcomes.extend(batch.iter().copied().zip(out));
    }
    log.close().await;
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_and_a_tailing_reader() {
    let db = TestDb::create().await;
    let options = PostgresOptions {
        max_connections: 2,
        ..PostgresOptions::default()
    };
    // Every writer connects (and migrates) at the same moment, on a fresh database.
    let logs = futures::future::join_all(
        (0..WRITERS).map(|_| PostgresLog::connect_with(&db.url, options.clone())),
    )
    .await;
    let logs: Vec<PostgresLog> = logs
        .into_iter()
        .map(|l| l.expect("concurrent connect and migrate"))
        .collect();
    let expected = (WRITERS * PER_WRITER + SHARED) as usize;

    let reader_log = db.log().await;
    let reader = tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(180);
        let mut last = Position::START;
        let mut seen: HashMap<Digest, Position> = HashMap::with_capacity(expected);
        let mut pages = 0u64;
        while seen.len() < expected {
            assert!(
                Instant::now() < deadline,
                "reader saw only {} of {expected}",
                seen.len()
            );
            let page = reader_log.read_after(last, 97).await.unwrap();
            pages += 1;
            if page.is_empty() {
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
            for e in page {
                assert_eq!(
                    e.position,
                    last.next(),
                    "reader skipped or repeated a position"
                );
                assert!(
                    seen.insert(e.body_sha256, e.position).is_none(),
                    "body at {} was read twice",
                    e.position
                );
                last = e.position;
            }
        }
        (seen, last, pages)
    });

    let writers: Vec<_> = logs
        .into_iter()
        .enumerate()
        .map(|(w, log)| tokio::spawn(writer(log, w as u64)))
        .collect();
    let mut stored: HashMap<u64, Position> = HashMap::new();
    let mut duplicates: Vec<(u64, Position)> = Vec::new();
    for (w, handle) in writers.into_iter().enumerate() {
        for (n, outcome) in handle.await.unwrap_or_else(|e| panic!("writer {w}: {e}")) {
            match outcome {
                Appended::Stored(p) => {
                    assert!(stored.insert(n, p).is_none(), "body {n} stored twice");
                }
                Appended::Duplicate(p) => duplicates.push((n, p)),
            }
        }
    }
    let (seen, last, pages) = reader.await.unwrap();
    assert!(pages > 1, "the reader tailed while writers wrote");

    assert_eq!(
        stored.len(),
        expected,
        "every distinct body stored exactly once"
    );
    let mut positions: Vec<i64> = stored.values().map(|p| p.0).collect();
    positions.sort_unstable();
    assert_eq!(
        positions,
        (1..=expected as i64).collect::<Vec<_>>(),
        "positions 1..=N"
    );
    assert_eq!(last, Position(expected as i64));
    assert_eq!(
        duplicates.len() as u64,
        (WRITERS - 1) * SHARED,
        "each shared body is a duplicate for all writers but one"
    );
    for (n, p) in duplicates {
        assert_eq!(
            stored[&n], p,
            "duplicate of {n} reports the stored position"
        );
    }
    for (n, p) in &stored {
        let sha = event(*n, Some(&format!("E{}", n % 97))).body_sha256;
        assert_eq!(
            seen.get(&sha),
            Some(p),
            "reader saw body {n} at its position"
        );
    }

    let log = db.log().await;
    assert_eq!(log.head().await.unwrap().size, expected as i64);
    let report = verify(&log, None, |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.entries_checked, expected as i64);
}

#[tokio::test]
async fn a_held_append_lock_times_out_as_unavailable() {
    let db = TestDb::create().await;
    let log = PostgresLog::connect_with(
        &db.url,
        PostgresOptions {
            lock_timeout: Duration::from_millis(300),
            ..PostgresOptions::default()
        },
    )
    .await
    .unwrap();
    // Another session is stuck in the middle of an append.
    let mut stuck = db.raw().await;
    sqlx::query("BEGIN").execute(&mut stuck).await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(zcc_store_postgres::APPEND_LOCK)
        .execute(&mut stuck)
        .await
        .unwrap();

    let started = Instant::now();
    let err = log.append_batch(vec![event(1, None)]).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(
        err.to_string().contains("55P03"),
        "lock_not_available: {err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // Readers are not blocked by the append lock.
    assert_eq!(log.head().await.unwrap().size, 0);

    sqlx::query("ROLLBACK").execute(&mut stuck).await.unwrap();
    let out = log.append_batch(vec![event(1, None)]).await.unwrap();
    assert_eq!(
        out,
        vec![Appended::Stored(Position(1))],
        "no gap after the failure"
    );
}
