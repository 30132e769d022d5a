//! [`AppState`]: what every handler shares. Cheap to clone.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use metrics_exporter_prometheus::PrometheusHandle;
use zcc_projector::LiveHandle;
use zcc_store::group_commit::GroupCommitter;
use zcc_store::projection::Backend;
use zcc_store::receive::Intake;
use zcc_store::{EventLog, StoreError};

use crate::config::{Secret, ServeArgs};
use crate::error::ServeError;
use crate::metrics::{LOG_SIZE, prometheus_handle};
use crate::signature::Verifier;

/// The server's shared state: configuration, the store (log and projections), the group
/// committer, the live projector, metrics.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Backend>,
    log: Arc<dyn EventLog>,
    /// Told after every stored append, so every generation that is not retired catches up
    /// (SPEC 6). `None` in router tests that drive the projector themselves.
    live: Option<LiveHandle>,
    intake: Intake,
    verifier: Verifier,
    api_token: Option<Secret>,
    max_body_bytes: usize,
    prometheus: PrometheusHandle,
    /// Rebuilds started through `POST /api/generations`, with their progress.
    rebuilds: crate::api::generations::Rebuilds,
    /// Turns true when the server begins to shut down, so endless responses (event streams)
    /// end and graceful shutdown can finish.
    stopping: tokio::sync::watch::Sender<bool>,
    /// The largest log position seen, for the `zcc_log_size` gauge.
    log_size: AtomicI64,
    /// Whether storage is failing: failures are logged once per change of state.
    storage_health: crate::storage::StorageHealth,
    /// `--storage-timeout-ms`.
    storage_timeout: std::time::Duration,
    /// `--body-timeout-ms`.
    body_timeout: std::time::Duration,
    /// The backfill from Zoom's webhook logs: scheduled and on request.
    recovery: crate::recovery::Recovery,
    /// When the last signed webhook arrived (ms since the epoch), else when the server
    /// started.
    last_webhook_ms: AtomicI64,
    /// Whether a signed webhook has arrived since start.
    any_webhook: std::sync::atomic::AtomicBool,
    /// Outbound delivery's storage, when the server delivers (`/api/subscriptions`).
    outbound: Option<Outbound>,
}

/// What `/api/subscriptions` needs of outbound delivery.
#[derive(Clone)]
pub struct Outbound {
    pub store: Arc<dyn zcc_store::outbound::OutboundStore>,
    /// `--allow-private-targets`.
    pub allow_private_targets: bool,
}

impl AppState {
    /// Check `args` ([`ServeArgs::validate`]) and start the group-commit writer. Call it inside
    /// a tokio runtime: the writer is a task on it, and stops once every clone of the state
    /// (and so every router holding one) is dropped, after committing what is queued.
    ///
    /// `live` is the live projector to notify after each stored append ([`crate::run`] spawns
    /// one); pass `None` to keep projections where they are (tests that catch up themselves).
    pub fn new(
        args: ServeArgs,
        store: Arc<dyn Backend>,
        live: Option<LiveHandle>,
    ) -> Result<AppState, ServeError> {
        AppState::build(args, store, live, None)
    }

    /// [`AppState::new`] for a server that also delivers: `/api/subscriptions` uses `outbound`.
    pub fn with_outbound(
        args: ServeArgs,
        store: Arc<dyn Backend>,
        live: Option<LiveHandle>,
        outbound: Outbound,
    ) -> Result<AppState, ServeError> {
        AppState::build(args, store, live, Some(outbound))
    }

    fn build(
        args: ServeArgs,
        store: Arc<dyn Backend>,
        live: Option<LiveHandle>,
        outbound: Option<Outbound>,
    ) -> Result<AppState, ServeError> {
        args.validate()?;
        let tolerance = i64::try_from(args.timestamp_tolerance_secs).unwrap_or(i64::MAX);
        let (storage_timeout, body_timeout) = (args.storage_timeout(), args.body_timeout());
        let recovery = crate::recovery::Recovery::new(args.zoom.clone(), args.backfill_every);
        let log: Arc<dyn EventLog> = store.clone();
        let committer = GroupCommitter::start(Arc::clone(&log), args.max_batch);
        let intake = Intake::new(Arc::clone(&log), committer);
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                log,
                live,
                intake,
                verifier: Verifier::new(args.webhook_secret, tolerance),
                api_token: args.api_token,
                max_body_bytes: args.max_body_bytes,
                prometheus: prometheus_handle(),
                rebuilds: Default::default(),
                stopping: tokio::sync::watch::Sender::new(false),
                log_size: AtomicI64::new(0),
                storage_health: Default::default(),
                storage_timeout,
                body_timeout,
                recovery,
                last_webhook_ms: AtomicI64::new(chrono::Utc::now().timestamp_millis()),
                any_webhook: Default::default(),
                outbound,
            }),
        })
    }

    /// Outbound delivery's storage, when this server delivers.
    pub fn outbound(&self) -> Option<&Outbound> {
        self.inner.outbound.as_ref()
    }

    /// The event log (for handlers that read it, such as `/api`).
    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.inner.log
    }

    /// The store: the log and the projections (for `/api`).
    pub fn store(&self) -> &Arc<dyn Backend> {
        &self.inner.store
    }

    /// The live projector, when one runs.
    pub fn live(&self) -> Option<&LiveHandle> {
        self.inner.live.as_ref()
    }

    /// New entries are in the log: let the live projector catch up (never blocks).
    pub(crate) fn notify_projector(&self) {
        if let Some(live) = &self.inner.live {
            live.notify();
        }
    }

    /// A notifier for the live projector that does not keep the state alive (for background
    /// tasks that may outlive the server).
    pub(crate) fn live_notifier(&self) -> Option<impl Fn() + Send + Sync + 'static> {
        self.inner.live.as_ref()?;
        let weak = Arc::downgrade(&self.inner);
        Some(move || {
            if let Some(inner) = weak.upgrade()
                && let Some(live) = &inner.live
            {
                live.notify();
            }
        })
    }

    /// Tell endless responses to end: the server is shutting down.
    pub fn begin_shutdown(&self) {
        self.inner.stopping.send_replace(true);
    }

    /// Resolves (true) once [`AppState::begin_shutdown`] was called.
    pub(crate) fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.stopping.subscribe()
    }

    pub(crate) fn rebuilds(&self) -> &crate::api::generations::Rebuilds {
        &self.inner.rebuilds
    }

    /// The bearer token `/api` and the web pages require, when one is configured.
    pub fn api_token(&self) -> Option<&Secret> {
        self.inner.api_token.as_ref()
    }

    /// The store's side of receiving a delivery ([`Intake::receive`]).
    pub(crate) fn intake(&self) -> &Intake {
        &self.inner.intake
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

    /// `work` on storage, given up after `--storage-timeout-ms` with
    /// [`StoreError::Unavailable`] naming `what` (the work itself may still finish later: an
    /// append then stands, and Zoom's retry of the 503 is answered as a duplicate).
    pub(crate) async fn storage<T>(
        &self,
        what: &str,
        work: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let limit = self.inner.storage_timeout;
        tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(format!(
                "{what}: storage did not answer within {} ms (--storage-timeout-ms)",
                limit.as_millis()
            )))
        })
    }

    pub(crate) fn body_timeout(&self) -> std::time::Duration {
        self.inner.body_timeout
    }

    /// Whether storage is failing (see [`crate::storage`]).
    pub fn storage_health(&self) -> &crate::storage::StorageHealth {
        &self.inner.storage_health
    }

    /// The backfill from Zoom's webhook logs ([`crate::recovery`]).
    pub fn recovery(&self) -> &crate::recovery::Recovery {
        &self.inner.recovery
    }

    /// A signed webhook arrived now.
    pub(crate) fn note_webhook(&self) {
        self.inner
            .last_webhook_ms
            .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
        self.inner.any_webhook.store(true, Ordering::Relaxed);
    }

    /// Seconds since the last signed webhook arrived (before the first, since start).
    pub fn seconds_since_last_webhook(&self) -> f64 {
        let ms = chrono::Utc::now().timestamp_millis()
            - self.inner.last_webhook_ms.load(Ordering::Relaxed);
        ms.max(0) as f64 / 1000.0
    }

    /// When the last signed webhook arrived, if one did since start.
    pub fn last_webhook_at(&self) -> Option<String> {
        if !self.inner.any_webhook.load(Ordering::Relaxed) {
            return None;
        }
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(
            self.inner.last_webhook_ms.load(Ordering::Relaxed),
        )
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
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
