//! Migrations 0004 and 0005 on a database an older build left: the log table is rebuilt without
//! its hash-keyed unique index, then with a stored dedupe key, and every row, chain hash and
//! delivery survives unchanged.

mod common;

use zcc_store::chain::chain_hash;
use zcc_store::ingest::prepare;
use zcc_store::verify::verify;
use zcc_store::{Appended, ChainVersion, Digest, EventLog, Position, Source};

/// A timed body, an untimed one (no time field: its event time is its arrival time), a second
/// timed one, stored with another of its times as the event time than this build reads (the
/// envelope's `event_ts`, as an older build with another reading of SPEC I7 would have), and
/// bodies whose `event_ts` only SQLite's own
/// reading decides (twice, escaped, a fraction, beyond 64 bits): their copies must find them.
const BODIES: [&str; 7] = [
    r#"{"event":"contact_center.engagement_started","event_ts":1777903200000,"payload":{"object":{"engagement_id":"EngOld"}}}"#,
    r#"{"event":"contact_center.x_untimed","payload":{"object":{"engagement_id":"EngOld"}}}"#,
    r#"{"event":"contact_center.engagement_ended","event_ts":1777903260000,"payload":{"object":{"engagement_id":"EngOld","date_time_ms":1777903259000}}}"#,
    r#"{"event":"contact_center.x_twice","event_ts":1777903270000,"event_ts":1777903280000,"payload":{}}"#,
    r#"{"event":"contact_center.x_escaped","event\u005fts":1777903290000,"payload":{}}"#,
    r#"{"event":"contact_center.x_fraction","event_ts":1777903300000.5,"payload":{}}"#,
    r#"{"event":"contact_center.x_huge","event_ts":99999999999999999999,"payload":{}}"#,
];

/// (position, event_time, body, body_sha256, hash) of every log row, in position order.
type Row = (i64, i64, String, Vec<u8>, Vec<u8>);

fn rows(conn: &rusqlite::Connection) -> Vec<Row> {
    let mut stmt = conn
        .prepare(
            "SELECT position, event_time, body, body_sha256, hash FROM events ORDER BY position",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[allow(clippy::too_many_lines)] // one scenario, end to end
#[tokio::test]
async fn a_log_from_before_0004_keeps_every_row_and_still_dedupes() {
    let db = common::TempDb::new();
    let before = {
        // A database as the build before migration 0004 left it, with three events and a
        // delivery that refers to one of them.
        let raw = db.raw();
        raw.pragma_update(None, "journal_mode", "wal").unwrap();
        for sql in [
            include_str!("../../../migrations/sqlite/0001_log.sql"),
            include_str!("../../../migrations/sqlite/0002_projections.sql"),
            include_str!("../../../migrations/sqlite/0003_compressed_documents.sql"),
        ] {
            raw.execute_batch(sql).unwrap();
        }
        let mut prev = Digest::ZERO;
        for (i, body) in BODIES.iter().enumerate() {
            let received_at = 1_777_903_300_000 + i as i64;
            let e = prepare(body.as_bytes(), Source::Import, received_at, None).unwrap();
            let position = Position(i as i64 + 1);
            let hash = chain_hash(&prev, position, &e.body_sha256);
            raw.execute(
                "INSERT INTO events (position, received_at, event_type, event_time, account_id, \
                 engagement_id, body, body_sha256, hash, source) \
                 VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, ?8, 'import')",
                rusqlite::params![
                    position.0,
                    received_at,
                    e.event_type,
                    if i == 2 {
                        1_777_903_260_000
                    } else {
                        e.event_time_ms
                    },
                    e.engagement_id.as_deref(),
                    e.body,
                    &e.body_sha256.0[..],
                    &hash.0[..],
                ],
            )
            .unwrap();
            prev = hash;
        }
        raw.execute(
            "INSERT INTO deliveries (received_at, outcome, status, position) \
             VALUES (1777903300000, 'stored', 200, 1)",
            [],
        )
        .unwrap();
        raw.pragma_update(None, "user_version", 3).unwrap();
        rows(&raw)
    };

    let log = db.open();
    let raw = db.raw();
    assert_eq!(
        rows(&raw),
        before,
        "positions, bytes and chain hashes unchanged"
    );
    let autoindexes: i64 = raw
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'events' \
             AND name LIKE 'sqlite_autoindex_%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(autoindexes, 0, "the hash-keyed unique index is gone");
    let report = verify(&log, None, |_| {}).await.unwrap();
    assert_eq!(report.first_bad, None);
    assert_eq!(
        report.chain_v1_entries,
        BODIES.len() as i64,
        "old entries keep chain format v1"
    );
    assert!(
        report.missing_guards.is_empty(),
        "{:?}",
        report.missing_guards
    );
    assert_eq!(report.entries_checked, BODIES.len() as i64);
    let delivery_positions: Vec<Option<Position>> = log
        .deliveries(10)
        .await
        .unwrap()
        .iter()
        .map(|d| d.position)
        .collect();
    assert_eq!(delivery_positions, vec![Some(Position(1))]);

    // Copies of the old bodies, received much later, are the events already stored, the one
    // whose event time this build reads otherwise too: the key's time is the envelope's.
    let copies = BODIES
        .iter()
        .map(|b| prepare(b.as_bytes(), Source::Http, 1_777_990_000_000, None).unwrap())
        .collect();
    assert_eq!(
        log.append_batch(copies).await.unwrap(),
        (1..=BODIES.len() as i64)
            .map(|p| Appended::Duplicate(Position(p)))
            .collect::<Vec<_>>()
    );
    // A new event continues the chain in format v2 after the v1 entries, and the whole log
    // still verifies.
    let new = prepare(
        BODIES[0].replace("EngOld", "EngNew").as_bytes(),
        Source::Http,
        1_777_990_000_001,
        None,
    )
    .unwrap();
    assert_eq!(
        log.append_batch(vec![new]).await.unwrap(),
        vec![Appended::Stored(Position(BODIES.len() as i64 + 1))]
    );
    let entries = log.read_after(Position::START, 100).await.unwrap();
    let formats: Vec<ChainVersion> = entries.iter().map(|e| e.chain).collect();
    let mut expected = vec![ChainVersion::V1; BODIES.len()];
    expected.push(ChainVersion::V2);
    assert_eq!(formats, expected);
    let report = verify(&log, None, |_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.chain_v1_entries, BODIES.len() as i64);

    // The log is still append-only, and the delivery log still refers to it.
    let refused = raw.execute("DELETE FROM events WHERE position = 1", []);
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    let fk: i64 = raw
        .query_row(
            "SELECT count(*) FROM pragma_foreign_key_list('deliveries')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fk, 1, "deliveries.position still refers to events");
}
