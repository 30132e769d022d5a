//! Storage failures, logged once per change of state.
//!
//! While the database is locked, full or gone every request that needs it fails the same way:
//! one log line per failed request would fill the disk that may be the cause (issue 31). So a
//! failure is counted every time (`zcc_storage_failures_total`) but logged only when the
//! storage goes from working to failing (one `ERROR` with the cause), and again when a write
//! succeeds after that (one `INFO` with the number of failures in between). The gauge
//! `zcc_storage_failing` is 1 in between.

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use crate::metrics::{STORAGE_FAILING, STORAGE_FAILURES};

/// Whether storage is failing, shared by every handler of one server.
#[derive(Debug, Default)]
pub struct StorageHealth {
    failing: AtomicBool,
    /// Failures since the storage last worked.
    failures: AtomicU64,
}

impl StorageHealth {
    /// One request failed on storage: counted; logged only if storage worked until now.
    pub fn failed(&self, cause: &dyn Display) {
        metrics::counter!(STORAGE_FAILURES).increment(1);
        self.failures.fetch_add(1, Ordering::Relaxed);
        if !self.failing.swap(true, Ordering::AcqRel) {
            metrics::gauge!(STORAGE_FAILING).set(1.0);
            tracing::error!(
                error = %cause,
                "storage is failing: answering 503 until it recovers (logged once; \
                 zcc_storage_failures_total counts every failure)"
            );
        }
    }

    /// A write succeeded: if storage was failing, it has recovered (logged once).
    pub fn ok(&self) {
        if self.failing.load(Ordering::Relaxed) && self.failing.swap(false, Ordering::AcqRel) {
            let failures = self.failures.swap(0, Ordering::Relaxed);
            metrics::gauge!(STORAGE_FAILING).set(0.0);
            tracing::info!(failures, "storage recovered");
        }
    }

    /// Whether the last storage outcome was a failure.
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }
}

/// The cause of a 503 for storage, carried from [`crate::ApiError`] (or a page error) to
/// [`observe`] in the answer's extensions.
#[derive(Debug, Clone)]
pub struct StorageFailed(pub std::sync::Arc<str>);

/// Middleware: every answer that failed on storage reports to the server's [`StorageHealth`].
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(StorageFailed(cause)) = response.extensions().get::<StorageFailed>() {
        state.storage_health().failed(cause);
    }
    response
}
