//! Shared set-up: real backends (a temp SQLite file, a fresh PostgreSQL database), realistic
//! traffic from the simulator, and appends in small batches with live catch-up after each.

#![allow(dead_code)]

use std::sync::Arc;

use zcc_projector::{catch_up_all, ensure_default_generation};
use zcc_sim::{SimConfig, SimItem};
use zcc_store::projection::{Backend, GenerationId, ProjectionDoc};
use zcc_store::{EventLog, NewEvent, Source};
use zcc_store_postgres::PostgresLog;
use zcc_store_sqlite::SqliteLog;

pub struct Sqlite {
    pub log: Arc<SqliteLog>,
    _dir: tempfile::TempDir,
}

pub fn sqlite() -> Sqlite {
    let dir = tempfile::tempdir().expect("a temp dir");
    let log = SqliteLog::open(dir.path().join("ledger.db").to_str().expect("utf-8 path"))
        .expect("open a SQLite log");
    Sqlite {
        log: Arc::new(log),
        _dir: dir,
    }
}

pub struct Postgres {
    pub log: Arc<PostgresLog>,
    _db: zcc_tests::PgTestDb,
}

pub async fn postgres() -> Postgres {
    let db = zcc_tests::fresh_database_async().await;
    let log = PostgresLog::connect(&db.url)
        .await
        .expect("connect to the fresh PostgreSQL database");
    Postgres {
        log: Arc::new(log),
        _db: db,
    }
}

/// Simulated bodies in delivery order: duplicates, reordering and late retries included.
pub fn traffic(calls: u64, seed: u64, explicit_share: f64) -> Vec<String> {
    let config = SimConfig {
        calls,
        seed,
        explicit_conference_share: explicit_share,
        duplicate_rate: 0.05,
        reorder_rate: 0.2,
        late_retry_rate: 0.03,
        ..SimConfig::default()
    };
    zcc_sim::generate(&config)
        .expect("a valid simulator configuration")
        .filter_map(|item| match item {
            SimItem::Webhook(d) => Some(d.body),
            SimItem::Truth(_) => None,
        })
        .collect()
}

pub fn prepare(body: &str) -> NewEvent {
    zcc_store::ingest::prepare(body.as_bytes(), Source::Import, 1_777_903_400_000, None)
        .expect("simulated bodies are envelopes")
}

/// Append `bodies` in batches of 1 to 17 (deterministic), catching up every generation after
/// each batch, as the server does after each group commit.
pub async fn append_live<S: Backend + ?Sized>(store: &S, bodies: &[String]) {
    ensure_default_generation(store)
        .await
        .expect("default generation");
    let mut i = 0;
    let mut size = 1;
    while i < bodies.len() {
        let end = (i + size).min(bodies.len());
        let batch: Vec<NewEvent> = bodies[i..end].iter().map(|b| prepare(b)).collect();
        store.append_batch(batch).await.expect("append");
        catch_up_all(store, &()).await.expect("catch up");
        i = end;
        size = size % 17 + 1;
    }
}

/// Append without catching up.
pub async fn append<S: EventLog + ?Sized>(store: &S, bodies: &[String]) {
    for chunk in bodies.chunks(200) {
        store
            .append_batch(chunk.iter().map(|b| prepare(b)).collect())
            .await
            .expect("append");
    }
}

/// Every document of a generation, in engagement-id order.
pub async fn all_docs<S: Backend + ?Sized>(store: &S, id: GenerationId) -> Vec<ProjectionDoc> {
    let mut out: Vec<ProjectionDoc> = Vec::new();
    loop {
        let after = out.last().map(|d| d.engagement_id.clone());
        let page = store
            .scan_projections(id, after.as_ref(), 97)
            .await
            .expect("scan projections");
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// Assert two generations hold the same documents, byte for byte.
pub async fn assert_same_docs<S: Backend + ?Sized>(store: &S, a: GenerationId, b: GenerationId) {
    let left = all_docs(store, a).await;
    let right = all_docs(store, b).await;
    assert!(!left.is_empty(), "generation {a} has no documents");
    assert_eq!(
        left.len(),
        right.len(),
        "generations {a} and {b} hold different numbers of engagements"
    );
    for (l, r) in left.iter().zip(&right) {
        assert_eq!(
            l, r,
            "engagement {} differs between generation {a} and {b}",
            l.engagement_id
        );
    }
}

/// Two tests running one scenario `async fn(&S)`: on a fresh SQLite file and on a fresh
/// PostgreSQL database.
#[macro_export]
macro_rules! on_both_backends {
    ($scenario:ident: $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            let db = $crate::common::sqlite();
            $scenario(&*db.log).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            let db = $crate::common::postgres().await;
            $scenario(&*db.log).await;
        }
    };
}
