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
//! - `zcc_delivery_record_failures_total`: delivery-log rows that could not be written.
//! - `zcc_storage_failures_total`: requests that failed on storage (each is counted; only the
//!   change of state is logged, see [`crate::storage`]); `zcc_storage_failing`: 1 while
//!   storage fails, else 0.
//! - `zcc_connections_refused_total`: connections over `--max-connections`, answered 503.
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
pub const DELIVERY_RECORD_FAILURES: &str = "zcc_delivery_record_failures_total";
pub const STORAGE_FAILURES: &str = "zcc_storage_failures_total";
pub const STORAGE_FAILING: &str = "zcc_storage_failing";
pub const CONNECTIONS_REFUSED: &str = "zcc_connections_refused_total";

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
    metrics::describe_counter!(
        DELIVERY_RECORD_FAILURES,
        "Delivery-log rows that could not be written."
    );
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

#[tracing::instrument(skip_all)]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    state.refresh_log_size().await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.prometheus().render(),
    )
}
