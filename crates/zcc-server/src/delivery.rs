//! Outbound delivery while serving (`docs/DELIVERY.md`): [`run_delivering`] starts the
//! publisher (`zcc_app::publish`, which queues what subscribers should be told) and the
//! delivery worker (`zcc_deliver::worker`, which sends it) beside [`crate::run`], and stops
//! them when it returns. Their flags are [`DeliveryArgs`], part of `serve`'s.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use zcc_deliver::backoff::Backoff;
use zcc_deliver::worker::{self, WorkerConfig};
use zcc_store::outbound::DeliveryBackend;
use zcc_store::projection::Backend;

use crate::{ServeArgs, ServeError};

/// Default `--delivery-retry-base-ms`: the first retry's delay (it doubles, up to an hour).
pub const DEFAULT_RETRY_BASE_MS: u64 = 5_000;
/// Default `--delivery-timeout-ms`: the longest one attempt may take.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// How often the publisher looks for newly folded entries.
pub const PUBLISH_POLL: Duration = Duration::from_millis(200);

/// `serve`'s outbound delivery flags.
#[derive(Debug, Clone, clap::Args)]
pub struct DeliveryArgs {
    /// Allow subscription targets on loopback, private and link-local addresses (refused by
    /// default, so a subscription cannot reach into the server's own network).
    #[arg(long, env = "ZCC_ALLOW_PRIVATE_TARGETS")]
    pub allow_private_targets: bool,

    /// Delay before an outbound message's first retry; it doubles per attempt, up to an hour,
    /// with jitter, for 24 hours.
    #[arg(long, env = "ZCC_DELIVERY_RETRY_BASE_MS", default_value_t = DEFAULT_RETRY_BASE_MS)]
    pub delivery_retry_base_ms: u64,

    /// The longest one outbound attempt may take before it counts as failed (time-out).
    #[arg(long, env = "ZCC_DELIVERY_TIMEOUT_MS", default_value_t = DEFAULT_TIMEOUT_MS)]
    pub delivery_timeout_ms: u64,
}

impl Default for DeliveryArgs {
    fn default() -> DeliveryArgs {
        DeliveryArgs {
            allow_private_targets: false,
            delivery_retry_base_ms: DEFAULT_RETRY_BASE_MS,
            delivery_timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }
}

impl DeliveryArgs {
    /// The worker's configuration.
    pub fn worker_config(&self) -> WorkerConfig {
        WorkerConfig {
            timeout: Duration::from_millis(self.delivery_timeout_ms),
            backoff: Backoff {
                base: Duration::from_millis(self.delivery_retry_base_ms),
                ..Backoff::default()
            },
            allow_private: self.allow_private_targets,
            ..WorkerConfig::default()
        }
    }
}

fn describe() {
    metrics::describe_counter!(
        worker::DELIVERIES,
        "Outbound delivery attempts, by outcome (delivered, retry, failed, gone)."
    );
    metrics::describe_gauge!(
        worker::PENDING,
        "Outbound messages waiting to be delivered, per subscription."
    );
    metrics::describe_gauge!(
        worker::OLDEST_PENDING,
        metrics::Unit::Seconds,
        "Age of the oldest outbound message waiting, per subscription."
    );
}

/// [`crate::run`] with outbound delivery: the publisher and the worker run until it returns.
pub async fn run_delivering(
    args: ServeArgs,
    store: Arc<dyn DeliveryBackend>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    // The recorder first, so the worker's metrics reach /metrics.
    let _ = crate::metrics::prometheus_handle();
    describe();
    let config = args.delivery.worker_config();
    let worker = worker::spawn(Arc::clone(&store), config)
        .map_err(|e| ServeError::Delivery(format!("the worker's HTTP client: {e}")))?;
    let publisher = zcc_app::publish::spawn(Arc::clone(&store), PUBLISH_POLL);
    let outbound = crate::state::Outbound {
        store: Arc::clone(&store) as Arc<dyn zcc_store::outbound::OutboundStore>,
        allow_private_targets: args.delivery.allow_private_targets,
    };
    let backend: Arc<dyn Backend> = store;
    let served = crate::serve_with(args, backend, Some(outbound), listener, shutdown).await;
    publisher.abort();
    worker.shutdown().await;
    served
}
