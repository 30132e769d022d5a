//! The raw `events` table from a real SQLite log, in every format; `export_to_file` with its
//! manifest beside the file; the older `export_events` entry point.

mod common;

use common::read;
use serde_json::{Value, json};
use zcc_export::events::{EventsFormat, export_events};
use zcc_export::{ExportRequest, Format, TableName, Window, export_log, export_to_file};
use zcc_store::{EventLog, Position, Source};
use zcc_store_sqlite::SqliteLog;

const RECEIVED: i64 = 1_777_910_000_123;

/// A fresh log holding the three test calls, received in order.
async fn log_with_calls(dir: &tempfile::TempDir) -> (SqliteLog, Vec<String>) {
    let log = SqliteLog::open(&format!("sqlite://{}", dir.path().join("l.db").display())).unwrap();
    let bodies = common::bodies();
    let events = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            zcc_store::ingest::prepare(b.as_bytes(), Source::Import, RECEIVED + i as i64, None)
                .unwrap()
        })
        .collect();
    log.append_batch(events).await.unwrap();
    (log, bodies)
}

async fn export(
    log: &SqliteLog,
    format: Format,
    window: Window,
) -> (Vec<u8>, zcc_export::Manifest) {
    let mut out = Vec::new();
    let mut pages = Vec::new();
    let m = export_log(log, format, window, &mut out, |n| pages.push(n))
        .await
        .unwrap();
    assert_eq!(
        pages.last().copied(),
        Some(m.scanned),
        "progress reaches the end"
    );
    (out, m)
}

#[tokio::test]
async fn the_raw_log_exports_byte_for_byte_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let (log, bodies) = log_with_calls(&dir).await;
    let head = log.head().await.unwrap();
    let n = bodies.len();
    let columns = [
        "position",
        "received_at",
        "event",
        "event_time",
        "account_id",
        "engagement_id",
        "body_sha256",
        "hash",
        "body",
    ];

    let (jsonl, m) = export(&log, Format::Jsonl, Window::ALL).await;
    let j = read::jsonl(&jsonl);
    assert_eq!(j.columns, columns);
    assert_eq!(j.rows.len(), n);
    assert_eq!((m.rows, m.scanned), (n as u64, n as u64));
    assert_eq!(m.head, head.to_string());
    assert_eq!(m.log_head, head.to_string());
    assert_eq!(m.log_range, Some([1, n as i64]));
    assert_eq!((m.rule.as_deref(), m.generation), (None, None));
    for (i, row) in j.rows.iter().enumerate() {
        let e = log.entry(Position(i as i64 + 1)).await.unwrap().unwrap();
        assert_eq!(row[0], json!(i + 1));
        assert_eq!(
            row[1],
            json!(zcc_export::time::rfc3339_ms(RECEIVED + i as i64))
        );
        assert_eq!(row[2], json!(e.event_type));
        assert_eq!(row[6], json!(e.body_sha256.to_hex()));
        assert_eq!(row[7], json!(e.hash.to_hex()));
        assert_eq!(row[8], Value::String(bodies[i].clone()), "the exact body");
    }
    assert_eq!(j.rows[0][3], json!("2026-05-04T14:00:00.000Z"));
    assert_eq!(j.rows[0][4], json!(common::ACCT));
    assert_eq!(j.rows[0][5], json!("EngExportConference01"));
    assert_eq!(
        j.rows[n - 1][7],
        json!(head.hash.to_hex()),
        "the last row carries the head"
    );

    // CSV and Parquet hold the same rows.
    let (csv, _) = export(&log, Format::Csv, Window::ALL).await;
    let (header, rows) = read::csv_raw(&csv);
    assert_eq!(header, columns);
    let as_text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let want: Vec<Vec<String>> = j
        .rows
        .iter()
        .map(|r| r.iter().map(as_text).collect())
        .collect();
    assert_eq!(rows, want);

    let (pq, m) = export(&log, Format::Parquet, Window::ALL).await;
    let p = read::parquet(pq);
    assert_eq!(p.read.columns, columns);
    assert_eq!(p.read.rows, j.rows);
    assert_eq!(p.types[0], arrow_schema::DataType::Int64);
    assert_eq!(
        p.types[1],
        arrow_schema::DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, Some("UTC".into()))
    );
    assert_eq!(p.types[8], arrow_schema::DataType::Utf8);
    assert_eq!(p.manifest, Some(m));
}

#[tokio::test]
async fn the_events_window_filters_on_event_time() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = log_with_calls(&dir).await;
    // The transfer call runs from 200 s to 301 s; until is exclusive.
    let window = Window {
        since_ms: Some(common::ms(200.0)),
        until_ms: Some(common::ms(301.0)),
    };
    let (out, m) = export(&log, Format::Jsonl, window).await;
    let r = read::jsonl(&out);
    let engagements: Vec<&str> = r.rows.iter().map(|row| row[5].as_str().unwrap()).collect();
    assert_eq!(
        engagements.len(),
        12,
        "the transfer call's 13 events but engagement_ended"
    );
    assert!(engagements.iter().all(|e| *e == "EngExportTransfer0002"));
    assert_eq!(m.rows, 12);
    assert_eq!(m.scanned, common::bodies().len() as u64);
    assert_eq!(m.since.as_deref(), Some("2026-05-04T14:03:20.000Z"));
    assert_eq!(m.until.as_deref(), Some("2026-05-04T14:05:01.000Z"));
}

#[tokio::test]
async fn export_to_file_writes_the_file_and_its_manifest_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (log, bodies) = log_with_calls(&dir).await;
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("events.parquet");
    let request = ExportRequest {
        table: TableName::Events,
        format: Format::Parquet,
        generation: None,
        window: Window::ALL,
    };
    let m = export_to_file(&log, None, &request, &path, |_| {})
        .await
        .unwrap();
    assert_eq!(m.rows, bodies.len() as u64);
    let p = read::parquet(std::fs::read(&path).unwrap());
    assert_eq!(p.read.rows.len(), bodies.len());
    let beside = std::fs::read_to_string(out.path().join("events.parquet.manifest.json")).unwrap();
    assert_eq!(zcc_export::Manifest::from_json(&beside).unwrap(), m);
    assert_eq!(p.manifest, Some(m));
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["events.parquet", "events.parquet.manifest.json"]);

    // A model table without a projection store fails clearly and leaves no file behind.
    let request = ExportRequest {
        table: "conferences".parse().unwrap(),
        ..request
    };
    let bad = out.path().join("conferences.parquet");
    let e = export_to_file(&log, None, &request, &bad, |_| {})
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "table conferences is read from the projections, and none were given"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 2);
}

#[tokio::test]
async fn export_events_still_serves_writers_that_are_not_send() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = log_with_calls(&dir).await;
    let (want, _) = export(&log, Format::Csv, Window::ALL).await;
    // Rc makes the writer !Send, as a locked stdout is.
    let shared = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    struct RcWriter(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl std::io::Write for RcWriter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().write(b)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let m = export_events(
        &log,
        EventsFormat::Csv,
        Window::ALL,
        RcWriter(shared.clone()),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(*shared.borrow(), want);
    assert_eq!(m.format, "csv");
}
