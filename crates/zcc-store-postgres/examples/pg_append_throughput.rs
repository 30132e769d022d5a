//! Append throughput on PostgreSQL: `PostgresLog::append_batch` (lock, head, dedupe, chain,
//! insert, commit) against the raw ceiling, a plain multi-row INSERT of the same rows into a
//! table with the same columns and indexes but no chain, dedupe, lock or triggers.
//!
//! ```text
//! cargo run --release -p zcc-store-postgres --example pg_append_throughput [-- ROWS [BATCH]]
//! ```
//!
//! The server comes from `ZCC_TEST_POSTGRES_URL` (an admin URL, default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the run creates a fresh database and drops it.

use std::str::FromStr;
use std::time::Instant;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, Postgres, QueryBuilder};
use zcc_store::{EventLog, NewEvent, Source, ingest::prepare};
use zcc_store_postgres::PostgresLog;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let batch: usize = args.next().map_or(Ok(1000), |a| a.parse())?;
    let admin = std::env::var("ZCC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());

    let name = format!("zcc_bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin_conn = PgConnection::connect(&admin).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin_conn)
        .await?;
    let db = PgConnectOptions::from_str(&admin)?.database(&name);
    let result = run(db, rows, batch).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin_conn)
    .await?;
    result
}

async fn run(
    db: PgConnectOptions,
    rows: usize,
    batch: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let events: Vec<NewEvent> = (0..rows).map(event).collect();
    let avg = events.iter().map(|e| e.body.len()).sum::<usize>() / rows.max(1);
    println!("{rows} rows of {avg} B bodies (average), {batch} rows per append");

    // The log migrates on connect; the raw table copies its columns and indexes (not triggers).
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect_with(db)
        .await?;
    let log = PostgresLog::from_pool(pool.clone()).await?;
    // The raw ceiling is measured before and after the log (fresh tables each time), so drift
    // in a shared machine's load shows up as a spread instead of skewing the ratio.
    let raw_before = raw_run(&pool, "raw_before", &events, batch).await?;
    println!("raw multi-row INSERT (before) {raw_before:>9.0} rows/s");

    let started = Instant::now();
    for chunk in events.chunks(batch) {
        log.append_batch(chunk.to_vec()).await?;
    }
    let chained = rows as f64 / started.elapsed().as_secs_f64();
    println!("PostgresLog::append_batch     {chained:>9.0} rows/s");

    let raw_after = raw_run(&pool, "raw_after", &events, batch).await?;
    println!("raw multi-row INSERT (after)  {raw_after:>9.0} rows/s");
    let raw = (raw_before + raw_after) / 2.0;
    println!(
        "append_batch = {:.0}% of the raw ceiling (mean of before and after)",
        100.0 * chained / raw
    );
    let head = log.head().await?;
    assert_eq!(head.size as usize, rows, "every row appended");
    Ok(())
}

/// Rows per second of plain multi-row INSERTs into a fresh copy of `events` (columns and
/// indexes, no triggers), one transaction per `batch` rows.
async fn raw_run(
    pool: &sqlx::PgPool,
    table: &'static str,
    events: &[NewEvent],
    batch: usize,
) -> Result<f64, sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {table} (LIKE events INCLUDING ALL)"
    )))
    .execute(pool)
    .await?;
    let started = Instant::now();
    for (i, chunk) in events.chunks(batch).enumerate() {
        raw_insert(pool, table, i * batch, chunk.to_vec()).await?;
    }
    Ok(events.len() as f64 / started.elapsed().as_secs_f64())
}

/// One transaction of multi-row INSERTs, at most 1000 rows per statement.
async fn raw_insert(
    pool: &sqlx::PgPool,
    table: &str,
    first: usize,
    events: Vec<NewEvent>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut position = first as i64;
    let mut events = events;
    while !events.is_empty() {
        let chunk: Vec<_> = events.drain(..events.len().min(1000)).collect();
        let mut insert = QueryBuilder::<Postgres>::new(format!(
            "INSERT INTO {table} (position, received_at, event_type, event_time, account_id, \
             engagement_id, body, body_sha256, hash, source) "
        ));
        insert.push_values(chunk, |mut row, e| {
            position += 1;
            row.push_bind(position)
                .push_bind(e.received_at_ms)
                .push_bind(e.event_type)
                .push_bind(e.event_time_ms)
                .push_bind(e.account_id)
                .push_bind(e.engagement_id.map(String::from))
                .push_bind(e.body)
                .push_bind(e.body_sha256.0.to_vec())
                .push_bind(vec![0u8; 32])
                .push_bind(e.source.as_str());
        });
        insert.build().execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// A realistic ~1.1 KB `engagement_user_answered`-like body, unique per `n`; 8 events per
/// engagement.
fn event(n: usize) -> NewEvent {
    let body = format!(
        concat!(
            r#"{{"event":"contact_center.engagement_user_answered","event_ts":{ts},"#,
            r#""payload":{{"account_id":"Acct9xQzLmN0pR2sT4uV6w","object":{{"#,
            r#""engagement_id":"Eng{eng:019}","engagement_direction":"inbound","#,
            r#""channel":"voice","channel_source":"in_app_voice","flow_id":"Flw8kLmN2pQ4rS6tU8vW0x","#,
            r#""flow_name":"Main support line","queue_id":"Que3aB5cD7eF9gH1iJ3kL5m","#,
            r#""queue_name":"Tier 1 support","consumer_number":"+14155550123","#,
            r#""consumer_display_name":"Customer {n}","consumer_id":"Con{n:019}","#,
            r#""user_id":"Usr7yZ9aB1cD3eF5gH7iJ9k","user_display_name":"Agent Smith","#,
            r#""user_email":"agent.smith@example.com","start_time":"2026-05-04T14:00:25Z","#,
            r#""date_time_ms":{ts},"cc_queue_id":"Que3aB5cD7eF9gH1iJ3kL5m","#,
            r#""variables":[{{"name":"global_system.Consumer.Language","value":"en-US"}},"#,
            r#"{{"name":"global_system.Engagement.Channel","value":"voice"}},"#,
            r#"{{"name":"custom.CustomerTier","value":"gold"}},"#,
            r#"{{"name":"custom.Seq","value":"{n:012}"}}],"#,
            r#""routing":{{"skill":"billing","priority":3,"wait_ms":12034,"attempt":1}},"#,
            r#""padding":"{pad}"}}}}}}"#
        ),
        ts = 1_777_903_330_000u64 + n as u64,
        eng = n / 8,
        n = n,
        pad = "x".repeat(85),
    );
    prepare(body.as_bytes(), Source::Import, 1_777_903_400_000, None).expect("an envelope")
}
