//! The backfill while `serve` runs, end to end: the real server on 127.0.0.1:0 over a real
//! store (a fresh SQLite file, a fresh PostgreSQL database), the real Zoom client against the
//! stand-in Zoom on another loopback port. Calls are delivered as signed webhooks except a few
//! bodies Zoom gave up on (only in its webhook logs); the scheduled run recovers them, the live
//! projector folds them, and `/metrics` and `/readyz` say so. A run that fails is reported and
//! the next tick succeeds.

mod api_support;
mod zoom_support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use api_support::{Server, TOKEN, sample};
use serde_json::Value;
use zcc_server::config::Every;
use zcc_server::{Secret, ServeArgs};
use zcc_store::projection::Backend;
use zcc_zoom::stand_in::{Credentials, Fault, StandIn};
use zoom_support::{corpus, deliver_most, zoom_client};

/// Wait until `done` holds of `/readyz`'s body, or fail after `secs` with the last one.
async fn readyz_until(server: &Server, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let body = server.json("/readyz").await;
        if done(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz never got there: {body:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[allow(clippy::too_many_lines)] // one scenario, end to end
async fn scheduled(store: Arc<dyn Backend>) {
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let args = ServeArgs {
        api_token: Some(Secret::new(TOKEN)),
        backfill_every: "1s".parse::<Every>().unwrap(),
        zoom: Some(zoom_client(&zoom)),
        ..ServeArgs::default()
    };
    let server = Server::start_with(store.clone(), args).await;
    let ready = server.json("/readyz").await;
    assert_eq!(ready["backfill"]["configured"], true, "{ready:#}");
    assert_eq!(ready["backfill"]["every"], "1s");

    let bodies = corpus(20, 2601);
    let dropped = deliver_most(&server, &zoom, &bodies).await;
    assert!(dropped.len() >= 10, "{}", dropped.len());

    // A run that saw Zoom's logs (four failed attempts of each dropped body) recovered every
    // dropped body, once.
    let attempts = 4 * dropped.len() as u64;
    readyz_until(&server, 30, |r| {
        r["backfill"]["last_ok"]["read"].as_u64() == Some(attempts)
    })
    .await;
    server.caught_up().await;
    let head = store.head().await.unwrap().size;
    assert_eq!(
        head as usize,
        bodies.len(),
        "every distinct body exactly once"
    );
    let metrics = server.metrics().await;
    let recovered = sample(
        &metrics,
        "zcc_backfill_events_total",
        "outcome=\"recovered\"",
    );
    assert!(
        recovered.is_some_and(|n| n >= dropped.len() as f64),
        "{recovered:?}\n{metrics}"
    );
    assert!(
        sample(&metrics, "zcc_backfill_runs_total", "outcome=\"ok\"").is_some_and(|n| n >= 1.0),
        "{metrics}"
    );
    assert!(
        sample(&metrics, "zcc_backfill_last_success_timestamp_seconds", "")
            .is_some_and(|t| t > 0.0),
        "{metrics}"
    );
    let quiet = sample(&metrics, "zcc_seconds_since_last_webhook", "").expect("the gauge");
    assert!((0.0..60.0).contains(&quiet), "{quiet}");

    // The recovered events are folded: every engagement of a dropped body has a projection,
    // and its raw events include the recovered one, marked as recovered.
    let recovered_ids: HashSet<String> = dropped
        .iter()
        .filter_map(|b| {
            let v: Value = serde_json::from_str(b).ok()?;
            v["payload"]["object"]["engagement_id"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert!(!recovered_ids.is_empty());
    for id in &recovered_ids {
        let (status, detail) = server.answer(&format!("/api/engagements/{id}")).await;
        assert_eq!(status, 200, "{id}: {detail}");
        let sources: Vec<&str> = detail["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["source"].as_str())
            .collect();
        assert!(sources.contains(&"backfill"), "{id}: {sources:?}");
    }

    // Zoom fails every attempt of the next run: it is counted and shown, and the tick after
    // succeeds and clears the error.
    zoom.fail_next([Fault::ServerError(502); 3]);
    let failed = readyz_until(&server, 30, |r| r["backfill"]["last_error"].is_string()).await;
    let error = failed["backfill"]["last_error"].as_str().unwrap();
    assert!(error.contains("webhook_logs"), "{error}");
    assert!(error.contains("502"), "{error}");
    assert!(
        !error.contains(&zoom.credentials.client_secret),
        "a secret in {error}"
    );
    assert!(failed["backfill"]["last_error_at"].is_string());
    let metrics = server.metrics().await;
    assert!(
        sample(&metrics, "zcc_backfill_runs_total", "outcome=\"failed\"").is_some_and(|n| n >= 1.0),
        "{metrics}"
    );
    let healed = readyz_until(&server, 30, |r| r["backfill"]["last_error"].is_null()).await;
    assert!(healed["backfill"]["last_ok_at"].is_string(), "{healed:#}");
    assert_eq!(
        store.head().await.unwrap().size as usize,
        bodies.len(),
        "later runs append nothing"
    );
    assert!(healed["last_webhook_at"].is_string());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_backfill_recovers_dropped_deliveries_while_serving_on_sqlite() {
    let (store, _dir) = api_support::sqlite();
    scheduled(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_backfill_recovers_dropped_deliveries_while_serving_on_postgres() {
    let db = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    scheduled(Arc::new(store)).await;
}

#[tokio::test]
async fn without_zoom_credentials_nothing_is_scheduled_and_readyz_says_why() {
    let server = Server::sqlite(Some(TOKEN)).await;
    let ready = server.json("/readyz").await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["backfill"]["configured"], false);
    let reason = ready["backfill"]["reason"].as_str().unwrap();
    assert!(reason.contains("ZCC_ZOOM_CLIENT_SECRET"), "{reason}");
    assert!(ready["last_webhook_at"].is_null());
    // This server's own counts (the metrics recorder is one per process, shared with the
    // other tests of this file when they run in one process).
    assert_eq!(ready["backfill"]["runs_ok"], 0, "{ready}");
    assert_eq!(ready["backfill"]["runs_failed"], 0, "{ready}");
    server.shutdown().await;
}
