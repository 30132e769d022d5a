//! [`AppState`]: what every handler shares. Cheap to clone.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use metrics_exporter_prometheus::PrometheusHandle;
use zcc_store::EventLog;
use zcc_store::group_commit::GroupCommitter;

use crate::config::{Secret, ServeArgs};
use crate::error::ServeError;
use crate::metrics::{LOG_SIZE, prometheus_handle};
use crate::signature::Verifier;

/// The server's shared state: configuration, the log, the group committer, metrics.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    log: Arc<dyn EventLog>,
    committer: GroupCommitter,
    verifier: Verifier,
    api_token: Option<Secret>,
    max_body_bytes: usize,
    prometheus: PrometheusHandle,
    /// The largest log position seen, for the `zcc_log_size` gauge.
    log_size: AtomicI64,
}

impl AppState {
    /// Check `args` ([`ServeArgs::validate`]) and start the group-commit writer. Call it inside
    /// a tokio runtime: the writer is a task on it, and stops once every clone of the state
    /// (and so every router holding one) is dropped, after committing what is queued.
    pub fn new(args: ServeArgs, log: Arc<dyn EventLog>) -> Result<AppState, ServeError> {
        args.validate()?;
        let tolerance = i64::try_from(args.timestamp_tolerance_secs).unwrap_or(i64::MAX);
        let committer = GroupCommitter::start(Arc::clone(&log), args.max_batch);
        Ok(AppState {
            inner: Arc::new(Inner {
                log,
                committer,
                verifier: Verifier::new(args.webhook_secret, tolerance),
                api_token: args.api_token,
                max_body_bytes: args.max_body_bytes,
                prometheus: prometheus_handle(),
                log_size: AtomicI64::new(0),
            }),
        })
    }

    /// The event log (for handlers that read it, such as `/api`).
    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.inner.log
    }

    /// The bearer token `/api` and the web pages require, when one is configured.
    pub fn api_token(&self) -> Option<&Secret> {
        self.inner.api_token.as_ref()
    }

    pub(crate) fn committer(&self) -> &GroupCommitter {
        &self.inner.committer
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    pub(crate) fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes
    }

    pub(crate) fn prometheus(&self) -> &PrometheusHandle {
        &self.inner.prometheus
    }

    /// Note that the log holds at least `size` entries.
    pub(crate) fn observe_log_size(&self, size: i64) {
        let before = self.inner.log_size.fetch_max(size, Ordering::Relaxed);
        if size > before {
            metrics::gauge!(LOG_SIZE).set(size as f64);
        }
    }

    /// Ask the log for its size (best effort: on failure the gauge keeps its last value).
    pub(crate) async fn refresh_log_size(&self) {
        match self.inner.log.head().await {
            Ok(head) => {
                self.inner.log_size.store(head.size, Ordering::Relaxed);
                metrics::gauge!(LOG_SIZE).set(head.size as f64);
            }
            Err(e) => tracing::debug!(error = %e, "log size not refreshed"),
        }
    }
}
