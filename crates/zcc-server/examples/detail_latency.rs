//! Engagement-detail latency over HTTP (SPEC 9: p99 under 5 ms on a 1M-event log).
//!
//! Loads `CALLS` simulated calls into a fresh SQLite file (appended through the store, as an
//! import would), folds them into the default generation, starts the real server on
//! 127.0.0.1:0, and times `REQUESTS` sequential `GET /api/engagements/{id}` requests over one
//! keep-alive connection, engagements picked round-robin in random-ish order. Prints the log
//! size and p50/p90/p99/max.
//!
//! ```text
//! cargo run --release -p zcc-server --example detail_latency -- [CALLS] [REQUESTS] [--postgres]
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use zcc_server::{Secret, ServeArgs};
use zcc_sim::{SimConfig, SimItem};
use zcc_store::projection::{Backend, GenerationId};
use zcc_store::{EngagementId, Source};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let calls: u64 = args.next().map_or(20_000, |a| a.parse().expect("CALLS"));
    let requests: usize = args.next().map_or(5_000, |a| a.parse().expect("REQUESTS"));

    // SQLite by default; `--postgres` measures a fresh PostgreSQL database instead (the server
    // at $ZCC_TEST_POSTGRES_URL).
    let postgres = std::env::args().any(|a| a == "--postgres");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let pg_db = if postgres {
        Some(zcc_tests::fresh_database_async().await)
    } else {
        None
    };
    let store: Arc<dyn Backend> = match &pg_db {
        Some(db) => Arc::new(
            zcc_store_postgres::PostgresLog::connect(&db.url)
                .await
                .unwrap(),
        ),
        None => Arc::new(zcc_store_sqlite::SqliteLog::open(path.to_str().unwrap()).unwrap()),
    };
    println!("backend: {}", store.backend());

    let head = load(store.as_ref(), calls).await;
    let started = Instant::now();
    let generation = zcc_projector::ensure_default_generation(&*store)
        .await
        .unwrap()
        .unwrap();
    zcc_projector::catch_up_all(&*store, &()).await.unwrap();
    // As `import` does after a bulk load.
    store.refresh_statistics().await.unwrap();
    eprintln!("folded in {:.1} s", started.elapsed().as_secs_f64());

    let ids = engagement_ids(store.as_ref(), generation.id).await;

    // Serve.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zcc_server::run(
        ServeArgs {
            webhook_secret: vec![Secret::new("bench")],
            api_token: Some(Secret::new("bench-token")),
            ..ServeArgs::default()
        },
        store.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let client = reqwest::Client::new();
    let get = |id: &str| {
        client
            .get(format!("{base}/api/engagements/{id}"))
            .bearer_auth("bench-token")
            .send()
    };
    // Wait for the server, and warm up.
    loop {
        if get(&ids[0]).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for id in ids.iter().take(200) {
        get(id).await.unwrap().bytes().await.unwrap();
    }

    let mut times = Vec::with_capacity(requests);
    let mut bytes = 0usize;
    for i in 0..requests {
        let id = &ids[(i * 7919) % ids.len()];
        let t = Instant::now();
        let resp = get(id).await.unwrap();
        assert_eq!(resp.status(), 200);
        bytes += resp.bytes().await.unwrap().len();
        times.push(t.elapsed());
    }
    times.sort();
    let q = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "detail over HTTP: log {head} events, {} engagements, {requests} requests, mean answer \
         {} bytes: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ids.len(),
        bytes / requests.max(1),
        ms(q(0.50)),
        ms(q(0.90)),
        ms(q(0.99)),
        ms(*times.last().unwrap()),
    );
    let _ = stop.send(());
    let _ = server.await;
}

/// Append `calls` simulated calls in batches of 1000; the log's size after.
async fn load(store: &dyn Backend, calls: u64) -> i64 {
    let started = Instant::now();
    let mut batch = Vec::with_capacity(1000);
    let sim = zcc_sim::generate(&SimConfig {
        calls,
        ..SimConfig::default()
    })
    .unwrap();
    for item in sim {
        if let SimItem::Webhook(d) = item {
            let event = zcc_store::ingest::prepare(
                d.body.as_bytes(),
                Source::Import,
                d.deliver_at_ms,
                None,
            )
            .expect("simulated bodies are envelopes");
            batch.push(event);
            if batch.len() == 1000 {
                store
                    .append_batch(std::mem::take(&mut batch))
                    .await
                    .unwrap();
            }
        }
    }
    if !batch.is_empty() {
        store.append_batch(batch).await.unwrap();
    }
    let head = store.head().await.unwrap().size;
    eprintln!(
        "loaded {head} events ({calls} calls) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    head
}

/// Every engagement id of a generation, from its projections.
async fn engagement_ids(store: &dyn Backend, generation: GenerationId) -> Vec<EngagementId> {
    let mut ids = Vec::new();
    let mut after: Option<EngagementId> = None;
    loop {
        let page = store
            .scan_projections(generation, after.as_ref(), 1000)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.engagement_id.clone());
        ids.extend(page.into_iter().map(|d| d.engagement_id));
    }

    ids
}
