//! The delivery worker against real local HTTP endpoints (axum) and a real SQLite store:
//! retries until the give-up time, then failed, and redelivered; a slow endpoint does not delay
//! another subscription; a loopback target is refused unless allowed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use zcc_deliver::backoff::Backoff;
use zcc_deliver::worker::{self, WorkerConfig};
use zcc_store::outbound::{MessageState, NewMessage, NewSubscription, OutboundStore, Subscription};
use zcc_store_sqlite::SqliteLog;

#[derive(Clone, Default)]
struct Endpoint {
    hits: Arc<AtomicUsize>,
    healthy: Arc<AtomicBool>,
}

/// `/flaky` answers 500 until made healthy; `/slow` takes 3 s; `/fast` answers at once.
async fn endpoints(e: Endpoint) -> String {
    let (flaky, fast) = (e.clone(), e);
    let app = Router::new()
        .route(
            "/flaky",
            post(move || {
                let e = flaky.clone();
                async move {
                    e.hits.fetch_add(1, Ordering::SeqCst);
                    if e.healthy.load(Ordering::SeqCst) {
                        StatusCode::OK
                    } else {
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                }
            }),
        )
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                StatusCode::OK
            }),
        )
        .route(
            "/fast",
            post(move || {
                let e = fast.clone();
                async move {
                    e.hits.fetch_add(1, Ordering::SeqCst);
                    StatusCode::OK
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn subscribe(store: &SqliteLog, url: String) -> Subscription {
    store
        .create_subscription(NewSubscription {
            url,
            secret: zcc_deliver::secret::generate(),
            events: vec![],
            include_raw: false,
            account_id: None,
        })
        .await
        .unwrap()
}

/// Queue one message per subscription, in one publication.
async fn queue(store: &SqliteLog, subs: &[&Subscription], n: usize) {
    let cursor = store.publish_cursor().await.unwrap();
    let mut next = cursor.clone();
    next.position = zcc_store::Position(cursor.position.0 + 1);
    let now = zcc_store::ingest::now_ms();
    let messages = subs
        .iter()
        .flat_map(|s| {
            (0..n).map(move |i| NewMessage {
                subscription: s.id,
                engagement_key: format!("E{i}"),
                webhook_id: format!("msg_{}_{i}", s.id),
                event_type: "call_started".into(),
                body: "{}".into(),
                created_at_ms: now,
            })
        })
        .collect();
    store
        .publish(&cursor, next, vec![], messages)
        .await
        .unwrap();
}

fn config(allow_private: bool) -> WorkerConfig {
    WorkerConfig {
        timeout: Duration::from_secs(10),
        backoff: Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_millis(100),
            give_up_after: Duration::from_millis(600),
        },
        allow_private,
        poll: Duration::from_millis(20),
        ..WorkerConfig::default()
    }
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done().await {
        assert!(Instant::now() < deadline, "{what}: timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_until_the_give_up_time_then_fails_and_redelivers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteLog::open(dir.path().join("l.db").to_str().unwrap()).unwrap());
    let e = Endpoint::default();
    let base = endpoints(e.clone()).await;
    let sub = subscribe(&store, format!("{base}/flaky")).await;
    queue(&store, &[&sub], 1).await;
    let w = worker::spawn(Arc::clone(&store), config(true)).unwrap();
    wait_for("the message fails", async || {
        store.messages(sub.id, true, 10).await.unwrap().len() == 1
    })
    .await;
    let failed = &store.messages(sub.id, true, 10).await.unwrap()[0];
    assert!(failed.attempts >= 3, "retried before failing: {failed:?}");
    assert_eq!(failed.last_status.as_deref(), Some("500"));
    assert_eq!(failed.attempts as usize, e.hits.load(Ordering::SeqCst));

    e.healthy.store(true, Ordering::SeqCst);
    assert_eq!(store.redeliver(sub.id, None, 0).await.unwrap(), 1);
    wait_for("the redelivered message is delivered", async || {
        store.messages(sub.id, false, 10).await.unwrap()[0].state == MessageState::Delivered
    })
    .await;
    w.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_endpoint_does_not_delay_another_subscription() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteLog::open(dir.path().join("l.db").to_str().unwrap()).unwrap());
    let e = Endpoint::default();
    let base = endpoints(e.clone()).await;
    let slow = subscribe(&store, format!("{base}/slow")).await;
    let fast = subscribe(&store, format!("{base}/fast")).await;
    // The slow endpoint gets more messages than one subscription sends at once.
    queue(&store, &[&slow, &fast], 50).await;
    let started = Instant::now();
    let w = worker::spawn(Arc::clone(&store), config(true)).unwrap();
    wait_for("the fast subscription's messages", async || {
        e.hits.load(Ordering::SeqCst) == 50
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the fast endpoint waited for the slow one: {:?}",
        started.elapsed()
    );
    let pending = store.due_messages(slow.id, i64::MAX, 100).await.unwrap();
    assert!(
        !pending.is_empty(),
        "the slow endpoint is still being served"
    );
    w.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_target_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteLog::open(dir.path().join("l.db").to_str().unwrap()).unwrap());
    let e = Endpoint::default();
    let base = endpoints(e.clone()).await;
    let sub = subscribe(&store, format!("{base}/fast")).await;
    queue(&store, &[&sub], 1).await;
    let w = worker::spawn(Arc::clone(&store), config(false)).unwrap();
    wait_for("an attempt is recorded", async || {
        store.messages(sub.id, false, 1).await.unwrap()[0].attempts > 0
    })
    .await;
    let m = &store.messages(sub.id, false, 1).await.unwrap()[0];
    let status = m.last_status.clone().unwrap();
    assert!(
        status.starts_with("refused:") && status.contains("--allow-private-targets"),
        "{status}"
    );
    assert_eq!(
        e.hits.load(Ordering::SeqCst),
        0,
        "nothing reached the target"
    );
    w.shutdown().await;
}
