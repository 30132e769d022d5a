//! `send::post_all` against a real receiver on 127.0.0.1:0 that verifies Zoom's signature.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zcc_sim::{SimConfig, SimItem, generate, send};

const SECRET: &str = "sim_test_secret";

#[derive(Default)]
struct Seen {
    bodies: Mutex<Vec<String>>,
    request_ids: Mutex<BTreeSet<String>>,
    bad: AtomicU64,
}

/// Verify as a receiver must: recompute the HMAC over the raw bytes, compare in constant time.
async fn receive(State(seen): State<Arc<Seen>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (Some(sig), Some(ts), Some(id), Some(ct)) = (
        header("x-zm-signature"),
        header("x-zm-request-timestamp"),
        header("x-zm-request-id"),
        header("content-type"),
    ) else {
        seen.bad.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let fresh = ts.parse::<u64>().is_ok_and(|t| t.abs_diff(now) <= 300);
    let tag = sig.strip_prefix("v0=").and_then(|h| hex::decode(h).ok());
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(&body);
    let valid = tag.is_some_and(|t| mac.verify_slice(&t).is_ok());
    if !(fresh && valid && ct == "application/json") {
        seen.bad.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    }
    seen.request_ids.lock().unwrap().insert(id);
    seen.bodies
        .lock()
        .unwrap()
        .push(String::from_utf8(body.to_vec()).unwrap());
    StatusCode::OK
}

async fn start_receiver(seen: Arc<Seen>) -> String {
    let app = Router::new()
        .route("/webhooks/zoom", post(receive))
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/webhooks/zoom")
}

fn bodies(calls: u64) -> Vec<String> {
    generate(&SimConfig {
        calls,
        seed: 5,
        ..SimConfig::default()
    })
    .unwrap()
    .filter_map(|i| match i {
        SimItem::Webhook(d) => Some(d.body),
        SimItem::Truth(_) => None,
    })
    .collect()
}

#[tokio::test]
async fn posts_signed_bodies_that_the_receiver_verifies() {
    let seen = Arc::new(Seen::default());
    let url = start_receiver(seen.clone()).await;
    let bodies = bodies(12);
    let progress_max = Arc::new(AtomicU64::new(0));
    let p = progress_max.clone();
    let report = send::post_all(
        &url,
        SECRET,
        None,
        8,
        bodies.clone().into_iter(),
        move |n| {
            p.fetch_max(n, Ordering::Relaxed);
        },
    )
    .await
    .unwrap();

    let n = bodies.len() as u64;
    assert_eq!(report.sent, n);
    assert_eq!(report.by_status.get(&200), Some(&n), "{report}");
    assert_eq!(report.ok(), n);
    assert_eq!(report.transport_errors, 0);
    assert_eq!(seen.bad.load(Ordering::Relaxed), 0);
    assert_eq!(progress_max.load(Ordering::Relaxed), n);
    assert!(report.p50 <= report.p90 && report.p90 <= report.p99 && report.p99 <= report.max);
    assert!(report.max > std::time::Duration::ZERO);
    // Every body arrived byte for byte (order may differ under concurrency), each request
    // with its own id.
    let mut got = seen.bodies.lock().unwrap().clone();
    let mut want = bodies;
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(seen.request_ids.lock().unwrap().len() as u64, n);
    let line = report.to_string();
    assert!(line.contains("200=") && line.contains("p99"), "{line}");
}

#[tokio::test]
async fn a_wrong_secret_is_answered_401_and_reported_by_status() {
    let seen = Arc::new(Seen::default());
    let url = start_receiver(seen.clone()).await;
    let bodies = bodies(2);
    let n = bodies.len() as u64;
    let report = send::post_all(
        &url,
        "not_the_secret",
        Some(2_000),
        4,
        bodies.into_iter(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.by_status.get(&401), Some(&n));
    assert_eq!(report.ok(), 0);
    assert_eq!(seen.bad.load(Ordering::Relaxed), n);
}

#[tokio::test]
async fn an_unreachable_target_and_bad_arguments_are_errors() {
    // Bind then drop a listener: the port is (almost certainly) closed now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/webhooks/zoom");
    let err = send::post_all(&url, SECRET, None, 2, bodies(1).into_iter().take(3), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, send::SendError::Unreachable { attempted: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&url));

    let err = send::post_all("ftp://x", SECRET, None, 2, std::iter::empty(), |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ftp://x"), "{err}");
    let err = send::post_all(
        "http://127.0.0.1:1",
        "",
        None,
        2,
        std::iter::empty(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, send::SendError::EmptySecret));
}
