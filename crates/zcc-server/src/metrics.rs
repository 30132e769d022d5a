//! `/metrics`: Prometheus text from the process-wide `metrics` recorder.
//!
//! The recorder is installed once per process ([`prometheus_handle`]); every [`crate::AppState`]
//! renders the same handle. Names:
//!
//! - `zcc_webhook_deliveries_total{outcome}`: deliveries by outcome (`stored`, `duplicate`,
//!   `url_validation`, `unauthorized`, `too_large`, `quarantined`, `unavailable`).
//! - `zcc_webhook_append_seconds`: from handing an event to the group committer until its
//!   commit is durable (histogram).
//! - `zcc_append_batch_seconds`, `zcc_append_batch_size`: one group commit (recorded by
//!   `zcc_store::group_commit`).
//! - `zcc_log_size`: entries in the log (gauge).
//! - `zcc_quarantine_entries`: entries in the quarantine (gauge), counted when `/metrics` is
//!   scraped (one `count(*)` over a table of refusals; bodies are not read).
//! - `zcc_delivery_record_failures_total`: delivery-log rows that could not be written.
//! - `zcc_storage_failures_total`: requests that failed on storage (each is counted; only the
//!   change of state is logged, see [`crate::storage`]); `zcc_storage_failing`: 1 while
//!   storage fails, else 0.
//! - `zcc_connections_refused_total`: connections over `--max-connections`, answered 503.
//! - `zcc_backfill_events_total{outcome}`: delivery attempts read back from Zoom's webhook logs
//!   by the backfill (`recovered`, `already_present`, `rejected`, `skipped`);
//!   `zcc_backfill_runs_total{outcome}`: runs (`ok`, `failed`);
//!   `zcc_backfill_last_success_timestamp_seconds`: when the last good run ended (Unix time).
//!   See [`crate::recovery`].
//! - `zcc_seconds_since_last_webhook`: seconds since the last signed webhook was received (or,
//!   before the first, since the server started), so a subscription that went quiet can be
//!   alerted on.
//! - `zcc_projection_lag_events{generation, rule, state}`: log entries not yet folded into each
//!   generation that is kept current (the log's head minus the generation's checkpoint), read
//!   at each scrape; a building generation shows how far its rebuild has to go.
//! - `zcc_outbound_deliveries_total{outcome}`, `zcc_outbound_pending_messages{subscription}`,
//!   `zcc_outbound_oldest_pending_seconds{subscription}`: outbound delivery, recorded by
//!   `zcc_deliver::worker` and described by [`crate::delivery`] (`docs/DELIVERY.md`).

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::AppState;

pub const DELIVERIES: &str = "zcc_webhook_deliveries_total";
pub const APPEND_SECONDS: &str = "zcc_webhook_append_seconds";
pub const LOG_SIZE: &str = "zcc_log_size";
pub const QUARANTINE_ENTRIES: &str = "zcc_quarantine_entries";
pub const DELIVERY_RECORD_FAILURES: &str = "zcc_delivery_record_failures_total";
pub const STORAGE_FAILURES: &str = "zcc_storage_failures_total";
pub const STORAGE_FAILING: &str = "zcc_storage_failing";
pub const CONNECTIONS_REFUSED: &str = "zcc_connections_refused_total";
pub const BACKFILL_EVENTS: &str = "zcc_backfill_events_total";
pub const BACKFILL_RUNS: &str = "zcc_backfill_runs_total";
pub const BACKFILL_LAST_SUCCESS: &str = "zcc_backfill_last_success_timestamp_seconds";
pub const SINCE_LAST_WEBHOOK: &str = "zcc_seconds_since_last_webhook";
pub const PROJECTION_LAG: &str = "zcc_projection_lag_events";

/// Histogram buckets for latencies, in seconds: 0.1 ms to 5 s (Zoom gives up after 3 s).
const SECONDS_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Histogram buckets for batch sizes.
const SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];

/// How often histogram samples are folded into their buckets between scrapes (memory stays
/// bounded when nobody scrapes).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process-wide Prometheus handle, installing the recorder on first use (with a small
/// upkeep thread). If some other recorder is already installed globally, this handle renders
/// an empty, private registry and a warning says so.
pub fn prometheus_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = match builder().install_recorder() {
                Ok(handle) => {
                    describe();
                    handle
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a metrics recorder is already installed; /metrics will be empty");
                    builder().build_recorder().handle()
                }
            };
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("zcc-metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        upkeep.run_upkeep();
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "metrics upkeep thread not started; histograms drain only when scraped");
            }
            handle
        })
        .clone()
}

fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_size".into()), SIZE_BUCKETS))
        .expect("bucket lists are non-empty")
}

fn describe() {
    metrics::describe_counter!(
        zcc_projector::PROJECTION_DIAGNOSTICS,
        "Projections written whose explicit conference events were incomplete, unreadable or \
         contradicted the legs, by kind."
    );
    metrics::describe_counter!(DELIVERIES, "Webhook deliveries, by outcome.");
    metrics::describe_histogram!(
        APPEND_SECONDS,
        metrics::Unit::Seconds,
        "Time from handing a webhook event to the group committer until its commit is durable."
    );
    metrics::describe_gauge!(LOG_SIZE, "Entries in the event log.");
    metrics::describe_gauge!(
        QUARANTINE_ENTRIES,
        "Entries in the quarantine: bodies refused because they are not webhook envelopes."
    );
    metrics::describe_counter!(
        DELIVERY_RECORD_FAILURES,
        "Delivery-log rows that could not be written."
    );
    metrics::describe_counter!(
        BACKFILL_EVENTS,
        "Delivery attempts read back from Zoom's webhook logs by the backfill, by outcome."
    );
    metrics::describe_counter!(BACKFILL_RUNS, "Backfill runs, by outcome.");
    metrics::describe_gauge!(
        BACKFILL_LAST_SUCCESS,
        metrics::Unit::Seconds,
        "When the last backfill run that succeeded ended (Unix time)."
    );
    metrics::describe_gauge!(
        PROJECTION_LAG,
        "Log entries not yet folded into a generation (head minus checkpoint), by generation."
    );
    metrics::describe_gauge!(
        SINCE_LAST_WEBHOOK,
        metrics::Unit::Seconds,
        "Seconds since the last signed webhook was received (before the first, since start)."
    );
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

#[tracing::instrument(skip_all)]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    state.refresh_log_size().await;
    refresh_quarantine_size(&state).await;
    refresh_projection_lag(&state).await;
    metrics::gauge!(SINCE_LAST_WEBHOOK).set(state.seconds_since_last_webhook());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.prometheus().render(),
    )
}

/// How far each generation that is not retired trails the log (best effort, as above).
async fn refresh_projection_lag(state: &AppState) {
    let store = state.store();
    let (head, generations) = match (store.head().await, store.generations().await) {
        (Ok(head), Ok(generations)) => (head, generations),
        (Err(e), _) | (_, Err(e)) => {
            tracing::debug!(error = %e, "projection lag not refreshed");
            return;
        }
    };
    for g in generations {
        if g.state == zcc_store::projection::GenerationState::Retired {
            continue;
        }
        let lag = (head.size - g.checkpoint.0).max(0);
        metrics::gauge!(
            PROJECTION_LAG,
            "generation" => g.id.to_string(),
            "rule" => g.rule_identity,
            "state" => g.state.as_str(),
        )
        .set(lag as f64);
    }
}

/// Count the quarantine (best effort: on failure the gauge keeps its last value).
async fn refresh_quarantine_size(state: &AppState) {
    match state.store().quarantine_size().await {
        Ok(n) => metrics::gauge!(QUARANTINE_ENTRIES).set(n as f64),
        Err(e) => tracing::debug!(error = %e, "quarantine size not refreshed"),
    }
}
