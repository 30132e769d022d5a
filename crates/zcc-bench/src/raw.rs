//! Raw ceilings: the fastest plain batched durable append each backend allows, into a table of
//! the log's columns (no chain, no dedupe lookups, no triggers), with every value computed
//! before the clock starts.
//!
//! The SPEC 9 ceiling is the reference layout of limits.md rows 3c/3d: a unique index on the
//! body hash, and indexes on engagement and event time. The SQLite log itself keys its
//! dedupe index by (envelope event_ts, body_sha256) since migration 0004, with the time a
//! stored column since 0005; [`SqliteLayout::TimeKeyed`] measures that layout's own ceiling
//! too, so that the share of the gain that comes from the layout alone can be told apart.

use std::path::Path;
use std::time::Instant;

use sha2::Digest as _;

/// Rows per transaction for the raw ceilings (limits.md rows 3c and 5c).
pub const BATCH: usize = 1000;

pub struct RawRow {
    pub body: String,
    pub sha: Vec<u8>,
    pub engagement: String,
}

pub fn rows(n: usize) -> Vec<RawRow> {
    (0..n)
        .map(|i| {
            let body = crate::body::body(i);
            RawRow {
                sha: sha2::Sha256::digest(body.as_bytes()).to_vec(),
                engagement: format!("Eng{:019}", i / 8),
                body,
            }
        })
        .collect()
}

/// The index layout of a raw SQLite ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteLayout {
    /// A unique index on the body hash (limits.md 3c; the SPEC 9 ceiling).
    Reference,
    /// The log's own layout since migrations 0004 and 0005 (a stored `dedupe_ts`).
    TimeKeyed,
}

const SQLITE_TIME_KEYED_SCHEMA: &str = "
CREATE TABLE events (
    position INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, event_type TEXT NOT NULL,
    event_time INTEGER NOT NULL, account_id TEXT, engagement_id TEXT, body TEXT NOT NULL,
    body_sha256 BLOB NOT NULL, hash BLOB NOT NULL, source TEXT NOT NULL,
    dedupe_ts INTEGER NOT NULL);
CREATE INDEX events_engagement ON events(engagement_id, position);
CREATE UNIQUE INDEX events_dedupe ON events(dedupe_ts, body_sha256);
CREATE INDEX events_time ON events(event_time);";

const SQLITE_SCHEMA: &str = "
CREATE TABLE events (
    position INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, event_type TEXT NOT NULL,
    event_time INTEGER NOT NULL, account_id TEXT, engagement_id TEXT, body TEXT NOT NULL,
    body_sha256 BLOB NOT NULL UNIQUE, hash BLOB NOT NULL, source TEXT NOT NULL);
CREATE INDEX events_engagement ON events(engagement_id, position);
CREATE INDEX events_time ON events(event_time);";

/// rusqlite, WAL, synchronous=FULL, 1000 rows per transaction, a cached prepared statement.
pub fn sqlite(path: &Path, rows: &[RawRow], layout: SqliteLayout) -> anyhow::Result<f64> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;",
    )?;
    conn.execute_batch(match layout {
        SqliteLayout::Reference => SQLITE_SCHEMA,
        SqliteLayout::TimeKeyed => SQLITE_TIME_KEYED_SCHEMA,
    })?;
    let started = Instant::now();
    for (chunk_no, chunk) in rows.chunks(BATCH).enumerate() {
        let tx = conn.transaction()?;
        {
            // The time-keyed layout's dedupe_ts is handed over as the writer does (migration
            // 0005); the position stands in for the envelope's rising event_ts.
            let mut stmt = tx.prepare_cached(match layout {
                SqliteLayout::Reference => {
                    "INSERT INTO events VALUES (?1, ?2, 'contact_center.x', ?3, 'Acct', ?4, ?5, ?6, ?7, 'import')"
                }
                SqliteLayout::TimeKeyed => {
                    "INSERT INTO events VALUES (?1, ?2, 'contact_center.x', ?3, 'Acct', ?4, ?5, ?6, ?7, 'import', ?3)"
                }
            })?;
            for (i, r) in chunk.iter().enumerate() {
                let pos = (chunk_no * BATCH + i + 1) as i64;
                stmt.execute(rusqlite::params![
                    pos,
                    pos,
                    pos,
                    r.engagement,
                    r.body,
                    r.sha,
                    r.sha
                ])?;
            }
        }
        tx.commit()?;
    }
    Ok(rows.len() as f64 / started.elapsed().as_secs_f64())
}

/// sqlx, one multi-row INSERT of 1000 rows per transaction (limits.md row 5c).
pub async fn postgres(url: &str, rows: &[RawRow]) -> anyhow::Result<f64> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::raw_sql(
        "CREATE TABLE raw_events (
            position BIGINT PRIMARY KEY, received_at BIGINT NOT NULL, event_type TEXT NOT NULL,
            event_time BIGINT NOT NULL, account_id TEXT, engagement_id TEXT, body TEXT NOT NULL,
            body_sha256 BYTEA NOT NULL UNIQUE, hash BYTEA NOT NULL, source TEXT NOT NULL);
         CREATE INDEX raw_events_engagement ON raw_events(engagement_id, position);
         CREATE INDEX raw_events_time ON raw_events(event_time);",
    )
    .execute(&mut conn)
    .await?;
    let started = Instant::now();
    for (chunk_no, chunk) in rows.chunks(BATCH).enumerate() {
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "INSERT INTO raw_events (position, received_at, event_type, event_time, account_id, engagement_id, body, body_sha256, hash, source) ",
        );
        qb.push_values(chunk.iter().enumerate(), |mut b, (i, r)| {
            let pos = (chunk_no * BATCH + i + 1) as i64;
            b.push_bind(pos)
                .push_bind(pos)
                .push_bind("contact_center.x")
                .push_bind(pos)
                .push_bind("Acct")
                .push_bind(&r.engagement)
                .push_bind(&r.body)
                .push_bind(&r.sha)
                .push_bind(&r.sha)
                .push_bind("import");
        });
        qb.build().execute(&mut conn).await?;
    }
    Ok(rows.len() as f64 / started.elapsed().as_secs_f64())
}
