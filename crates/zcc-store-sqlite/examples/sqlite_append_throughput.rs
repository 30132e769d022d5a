//! A quick throughput check of `SqliteLog::append_batch` against a raw rusqlite INSERT loop on
//! the same schema and pragmas (no dedupe lookup, no chain), in the same process.
//!
//! ```text
//! cargo run --release -p zcc-store-sqlite --example sqlite_append_throughput -- [ROWS] [BATCH] [ROUNDS]
//! ```
//!
//! Defaults: 200000 rows of ~1.1 KB bodies, 1000 rows per transaction, 2 rounds (raw, log,
//! raw, log, each on a fresh file). Prints rows/s for each run, for a raw multi-row INSERT (100
//! rows per statement) too, and the rate of an ordered `scan_blocking` over the appended log.

use std::path::Path;
use std::time::Instant;

use rusqlite::{Connection, params};
use zcc_store::{Digest, EventLog, NewEvent, Source, ingest::prepare};
use zcc_store_sqlite::SqliteLog;

const SCHEMA: &str = include_str!("../../../migrations/sqlite/0001_log.sql");

/// A compact ZCC-like body of about 1.1 KB, unique per `n`; 8 consecutive events share an
/// engagement.
fn body(n: u64) -> String {
    let engagement = format!("Eng{:019}", n / 8);
    let variables: Vec<String> = (0..4)
        .map(|i| {
            format!(
                r#"{{"name":"var_{i}","value":"value-{n}-{i}-padding-padding-padding-padding"}}"#
            )
        })
        .collect();
    format!(
        concat!(
            r#"{{"event":"contact_center.engagement_user_hold","event_ts":{ts},"payload":{{"#,
            r#""account_id":"Acct9xQzLmN0pR2sT4uV6w","object":{{"engagement_id":"{eng}","#,
            r#""engagement_direction":"inbound","channel":"voice","flow_id":"Flow1a2b3c4d5e6f7g8h9i","#,
            r#""flow_name":"Main support line","queue_id":"Queue1a2b3c4d5e6f7g8h","queue_name":"Tier 1","#,
            r#""consumer_number":"+15555550123","consumer_display_name":"Pat Example","#,
            r#""user_id":"User{user:018}","user_display_name":"Agent Number {user}","#,
            r#""start_time":"2026-05-04T14:00:25Z","date_time_ms":{ts},"sequence":{n},"#,
            r#""cc_queue_id":"QueueAbCdEfGhIjKlMnOpQr","note":"padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding","#,
            r#""variables":[{vars}]}}}}}}"#
        ),
        ts = 1_777_903_330_000u64 + n,
        eng = engagement,
        user = n % 97,
        n = n,
        vars = variables.join(","),
    )
}

fn events(rows: u64) -> Vec<NewEvent> {
    (0..rows)
        .map(|n| prepare(body(n).as_bytes(), Source::Import, 1_777_903_400_000, None).unwrap())
        .collect()
}

fn raw_loop(path: &Path, events: &[NewEvent], batch: usize) -> f64 {
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    conn.pragma_update(None, "cache_size", -65536).unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    let hash = Digest::ZERO;
    let started = Instant::now();
    let mut position = 0i64;
    for chunk in events.chunks(batch) {
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO events (position, received_at, event_type, event_time, \
                     account_id, engagement_id, body, body_sha256, hash, source) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .unwrap();
            for e in chunk {
                position += 1;
                stmt.execute(params![
                    position,
                    e.received_at_ms,
                    e.event_type,
                    e.event_time_ms,
                    e.account_id,
                    e.engagement_id.as_deref(),
                    e.body,
                    &e.body_sha256.0[..],
                    &hash.0[..],
                    e.source.as_str(),
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    events.len() as f64 / started.elapsed().as_secs_f64()
}

/// The same rows, `per_statement` rows per multi-row INSERT.
fn raw_multi_row(path: &Path, events: &[NewEvent], batch: usize, per_statement: usize) -> f64 {
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    conn.pragma_update(None, "cache_size", -65536).unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    let hash = Digest::ZERO;
    let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; per_statement].join(", ");
    let sql = format!(
        "INSERT INTO events (position, received_at, event_type, event_time, account_id, \
         engagement_id, body, body_sha256, hash, source) VALUES {values}"
    );
    let started = Instant::now();
    let mut position = 0i64;
    for chunk in events.chunks(batch) {
        let tx = conn.transaction().unwrap();
        for rows in chunk.chunks(per_statement) {
            assert_eq!(
                rows.len(),
                per_statement,
                "batch must be a multiple of per_statement"
            );
            let mut stmt = tx.prepare_cached(&sql).unwrap();
            let mut i = 0;
            for e in rows {
                position += 1;
                let p: [&dyn rusqlite::ToSql; 10] = [
                    &position,
                    &e.received_at_ms,
                    &e.event_type,
                    &e.event_time_ms,
                    &e.account_id,
                    &e.engagement_id.as_deref(),
                    &e.body,
                    &e.body_sha256.0,
                    &hash.0,
                    &"import",
                ];
                for v in p {
                    i += 1;
                    stmt.raw_bind_parameter(i, v).unwrap();
                }
            }
            stmt.raw_execute().unwrap();
        }
        tx.commit().unwrap();
    }
    events.len() as f64 / started.elapsed().as_secs_f64()
}

async fn log_loop(path: &Path, events: &[NewEvent], batch: usize) -> f64 {
    let log = SqliteLog::open(&path.display().to_string()).unwrap();
    // The caller owns its batches: copying them is not part of the append.
    let batches: Vec<Vec<NewEvent>> = events.chunks(batch).map(<[NewEvent]>::to_vec).collect();
    let started = Instant::now();
    for chunk in batches {
        let out = log.append_batch(chunk).await.unwrap();
        assert!(out.iter().all(|a| !a.is_duplicate()));
    }
    let rate = events.len() as f64 / started.elapsed().as_secs_f64();
    assert_eq!(log.head().await.unwrap().size, events.len() as i64);
    let started = Instant::now();
    let mut bytes = 0usize;
    log.scan_blocking(zcc_store::Position::START, |e| {
        bytes += e.body.len();
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    println!(
        "        scan_blocking of the same log  {:>9.0} rows/s ({} MB of bodies)",
        events.len() as f64 / started.elapsed().as_secs_f64(),
        bytes / 1_000_000
    );
    rate
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("a number"));
    let rows = args.next().unwrap_or(200_000);
    let batch = args.next().unwrap_or(1000) as usize;
    let rounds = args.next().unwrap_or(2);
    let events = events(rows);
    let avg = events.iter().map(|e| e.body.len()).sum::<usize>() / events.len().max(1);
    println!("{rows} rows, {batch} per transaction, average body {avg} B");
    for round in 1..=rounds {
        let dir = tempfile::tempdir().unwrap();
        let raw = raw_loop(&dir.path().join("raw.db"), &events, batch);
        println!("round {round}: raw rusqlite INSERT loop   {raw:>9.0} rows/s");
        let multi = raw_multi_row(&dir.path().join("multi.db"), &events, batch, 100);
        println!("round {round}: raw, 100 rows per INSERT   {multi:>9.0} rows/s");
        let log = log_loop(&dir.path().join("log.db"), &events, batch).await;
        println!(
            "round {round}: SqliteLog::append_batch   {log:>9.0} rows/s ({:.0}% of raw)",
            100.0 * log / raw
        );
    }
}
