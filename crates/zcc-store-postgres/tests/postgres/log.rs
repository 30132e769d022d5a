//! Append, dedupe, read, head and chain beyond the shared suite: multi-statement batches,
//! deliveries in the same commit, reconnecting, and the schema the migrations leave.

use zcc_store::conformance::event;
use zcc_store::verify::verify;
use zcc_store::{
    Appended, ChainVersion, DeliveryMeta, DeliveryOutcome, Digest, EventLog, Head, Position,
    chain::{Chained, entry_hash},
};

use crate::support::TestDb;

#[tokio::test]
async fn batches_larger_than_one_insert_statement() {
    let db = TestDb::create().await;
    let log = db.log().await;
    // 2500 rows need three INSERT statements; every 10th carries a delivery.
    let batch: Vec<_> = (0..2500u64)
        .map(|n| {
            let mut e = event(n, Some(&format!("E{}", n % 7)));
            if n % 10 == 0 {
                e.delivery = Some(DeliveryMeta {
                    received_at_ms: n as i64,
                    headers: vec![("x-zm-trackingid".into(), format!("t{n}"))],
                    provenance: None,
                });
            }
            e
        })
        .collect();
    let out = log.append_batch(batch.clone()).await.unwrap();
    assert_eq!(out.len(), 2500);
    for (i, o) in out.iter().enumerate() {
        assert_eq!(*o, Appended::Stored(Position(i as i64 + 1)), "outcome {i}");
    }
    // The same batch again: all duplicates, nothing appended, deliveries recorded again.
    let again = log.append_batch(batch).await.unwrap();
    assert!(
        again.iter().all(|o| o.is_duplicate()),
        "second append is all duplicates"
    );
    assert_eq!(again[2499], Appended::Duplicate(Position(2500)));
    let head = log.head().await.unwrap();
    assert_eq!(head.size, 2500);

    let deliveries = log.deliveries(10_000).await.unwrap();
    assert_eq!(
        deliveries.len(),
        500,
        "250 stored + 250 duplicate deliveries"
    );
    let dup = deliveries
        .iter()
        .filter(|d| d.outcome == DeliveryOutcome::Duplicate)
        .count();
    assert_eq!(dup, 250);
    let newest = &deliveries[0];
    assert_eq!(newest.position, Some(Position(2491)), "newest first");
    assert_eq!(
        newest.meta.headers,
        vec![("x-zm-trackingid".to_owned(), "t2490".to_owned())]
    );

    let e3: Vec<i64> = log
        .engagement_events(&"E3".into())
        .await
        .unwrap()
        .iter()
        .map(|e| e.position.0)
        .collect();
    assert_eq!(e3.len(), (0..2500).filter(|n| n % 7 == 3).count());
    assert!(
        e3.windows(2).all(|w| w[0] < w[1]),
        "engagement events in position order"
    );
    assert!(e3.iter().all(|p| (p - 1) % 7 == 3), "only E3's events");

    let report = verify(&log, None, |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.entries_checked, 2500);
}

#[tokio::test]
async fn chain_continues_across_batches_and_reconnects() {
    let db = TestDb::create().await;
    let first = db.log().await;
    first
        .append_batch((1..=3).map(|n| event(n, None)).collect())
        .await
        .unwrap();
    let head3 = first.head().await.unwrap();
    first.close().await;

    // A second process: migrations are already applied, the chain goes on from the head.
    let second = db.log().await;
    assert_eq!(second.head().await.unwrap(), head3);
    let out = second.append_batch(vec![event(4, None)]).await.unwrap();
    assert_eq!(out, vec![Appended::Stored(Position(4))]);
    let e4 = second.entry(Position(4)).await.unwrap().unwrap();
    assert_eq!(
        e4.hash,
        entry_hash(ChainVersion::V2, &head3.hash, &Chained::of_entry(&e4))
    );
    assert_eq!(
        second.head().await.unwrap(),
        Head {
            size: 4,
            hash: e4.hash
        }
    );
    assert_eq!(second.backend(), "postgres");
    assert!(second.entry(Position(5)).await.unwrap().is_none());
    assert!(second.entry(Position(0)).await.unwrap().is_none());
}

#[tokio::test]
async fn schema_keeps_the_body_as_text_and_guards_are_in_place() {
    let db = TestDb::create().await;
    let log = db.log().await;
    assert_eq!(log.missing_guards().await.unwrap(), Vec::<String>::new());
    let raw = "{\"payload\":{},  \"event\":\"x\"   }";
    let e = zcc_store::ingest::prepare(raw.as_bytes(), zcc_store::Source::Http, 1, None).unwrap();
    log.append_batch(vec![e]).await.unwrap();
    let (body, body_type, sha): (String, String, Vec<u8>) = sqlx::query_as(
        "SELECT body, pg_typeof(body)::text, body_sha256 FROM events WHERE position = 1",
    )
    .fetch_one(log.pool())
    .await
    .unwrap();
    assert_eq!(body, raw, "stored byte for byte");
    assert_eq!(body_type, "text");
    assert_eq!(sha, Digest::of(raw.as_bytes()).0.to_vec());
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(log.pool())
            .await
            .unwrap();
    let embedded: Vec<i64> = zcc_store_postgres::MIGRATOR
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(versions, embedded, "every migration applied once");
    assert_eq!(versions.first(), Some(&1), "0001_log comes first");
}

#[tokio::test]
async fn refresh_statistics_gives_the_planner_statistics_of_the_log() {
    let db = TestDb::create().await;
    let log = db.log().await;
    let batch: Vec<_> = (0..300u64)
        .map(|n| event(n, Some(&format!("E{}", n % 30))))
        .collect();
    log.append_batch(batch).await.unwrap();
    log.refresh_statistics().await.unwrap();
    let mut conn = db.raw().await;
    let columns: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stats WHERE tablename = 'events' \
         AND attname IN ('engagement_id', 'position')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        columns, 2,
        "ANALYZE gathered the lookup columns' statistics"
    );
}
