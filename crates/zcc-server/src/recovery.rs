//! Recovering what Zoom dropped, while `serve` runs: the backfill (`zcc_app::backfill`) on a
//! schedule (`--backfill-every`) and on request (`POST /api/backfill`), one run at a time.
//!
//! - [`Recovery`] holds Zoom's client (when its credentials are set), the period, the lock
//!   that keeps runs one at a time, and what the last runs came to (for `/readyz`).
//! - [`Recovery::run`] is one run: the use case with `project = false`, the live projector
//!   told after every page that appended something (as after a stored webhook), the counters
//!   of `/metrics` moved, the outcome kept and logged (a Zoom error names the endpoint and
//!   Zoom's message, never a secret: `zcc_zoom::ZoomError`).
//! - [`spawn_schedule`] is the loop: a first run shortly after start, then one per period; a
//!   tick that meets a run already going skips, a failed run waits for the next tick. It ends
//!   when the server begins to shut down, abandoning a run in progress (what it appended
//!   stays; the next run goes on).
//!
//! Nothing here is stored: the state is the process's own, and a restart begins afresh.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use zcc_app::backfill::{BackfillError, BackfillRequest, BackfillSummary, backfill};
use zcc_zoom::{Window, ZoomClient};

use crate::AppState;
use crate::config::Every;
use crate::metrics::{BACKFILL_EVENTS, BACKFILL_LAST_SUCCESS, BACKFILL_RUNS};

/// The longest wait before the first scheduled run (a shorter period runs first after one
/// period).
pub const FIRST_RUN_AFTER: Duration = Duration::from_secs(30);

/// What a scheduled run reads: the last 7 days, as far back as Zoom keeps its logs (a minute
/// inside them, so the request is still within them when it arrives), failed deliveries only.
pub fn scheduled_window(now: DateTime<Utc>) -> Window {
    Window {
        from: now - chrono::Duration::days(7) + chrono::Duration::minutes(1),
        to: now,
    }
}

/// Why a run did not happen or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Another run is going (started at the time given).
    #[error("a backfill is already running (started {started_at}); try again when it ends")]
    Busy { started_at: String },
    /// Zoom's client is not configured; the message says what to set.
    #[error("{0}")]
    NotConfigured(String),
    #[error(transparent)]
    Failed(#[from] BackfillError),
}

/// What `/readyz` shows of the recovery.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryStatus {
    /// Whether Zoom's client is configured (the credentials and the app id).
    pub configured: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `--backfill-every` (`off` when it never runs on its own).
    pub every: String,
    /// Whether a run is going now.
    pub running: bool,
    /// When the run going now started.
    pub running_since: Option<String>,
    /// When the last run that finished without error ended.
    pub last_ok_at: Option<String>,
    /// What that run did.
    pub last_ok: Option<BackfillSummary>,
    /// The error of the last failed run, unless a run succeeded since.
    pub last_error: Option<String>,
    /// When that run failed.
    pub last_error_at: Option<String>,
    /// Runs since start, by outcome.
    pub runs_ok: u64,
    pub runs_failed: u64,
}

/// The recovery of one server. Cheap to clone.
#[derive(Clone)]
pub struct Recovery {
    inner: Arc<Inner>,
}

struct Inner {
    zoom: Option<ZoomClient>,
    every: Every,
    /// Held for the length of a run: one at a time.
    running: tokio::sync::Mutex<()>,
    status: Mutex<RecoveryStatus>,
}

impl std::fmt::Debug for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recovery")
            .field("zoom", &self.inner.zoom)
            .field("every", &self.inner.every)
            .finish_non_exhaustive()
    }
}

/// Now, as `/readyz` and the API write times (RFC 3339 UTC, milliseconds).
fn now_text() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Recovery {
    /// The recovery with Zoom's client `zoom` (none when its credentials are not set), run
    /// every `every` by [`spawn_schedule`].
    pub fn new(zoom: Option<ZoomClient>, every: Every) -> Recovery {
        let reason = not_configured(zoom.as_ref());
        let status = RecoveryStatus {
            configured: reason.is_none(),
            reason,
            every: every.to_string(),
            ..RecoveryStatus::default()
        };
        Recovery {
            inner: Arc::new(Inner {
                zoom,
                every,
                running: tokio::sync::Mutex::new(()),
                status: Mutex::new(status),
            }),
        }
    }

    /// Zoom's client, or why there is none (for `GET /api/reconcile`, which needs no app id).
    pub fn zoom(&self) -> Result<&ZoomClient, RunError> {
        self.inner.zoom.as_ref().ok_or_else(|| {
            RunError::NotConfigured(
                "Zoom's API is not configured on this server: set ZCC_ZOOM_ACCOUNT_ID, \
                 ZCC_ZOOM_CLIENT_ID and ZCC_ZOOM_CLIENT_SECRET (and ZCC_ZOOM_APP_ID for the \
                 backfill) and restart serve"
                    .into(),
            )
        })
    }

    /// The period of the scheduled runs, when they run at all.
    pub fn period(&self) -> Option<Duration> {
        let status = self.status();
        if status.configured {
            self.inner.every.period()
        } else {
            None
        }
    }

    pub fn status(&self) -> RecoveryStatus {
        self.inner
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn update(&self, f: impl FnOnce(&mut RecoveryStatus)) {
        f(&mut self.inner.status.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// One backfill of `window` (`all`: every delivery, not only the failed ones), unless one
    /// is going. The live projector folds what it appends.
    pub async fn run(
        &self,
        state: &AppState,
        window: Window,
        all: bool,
    ) -> Result<BackfillSummary, RunError> {
        if let Some(reason) = &self.status().reason {
            return Err(RunError::NotConfigured(reason.clone()));
        }
        let zoom = self.zoom()?;
        let Ok(_one_at_a_time) = self.inner.running.try_lock() else {
            return Err(RunError::Busy {
                started_at: self
                    .status()
                    .running_since
                    .unwrap_or_else(|| "just now".into()),
            });
        };
        self.update(|s| {
            s.running = true;
            s.running_since = Some(now_text());
        });
        // Not running any more when this ends, however it ends (also when the run is dropped
        // at shutdown).
        let _shown = Running(self);
        let request = BackfillRequest {
            window,
            all,
            project: false,
        };
        // The counts so far, so a run that fails half-way still counts what it did.
        let so_far = Mutex::new(BackfillSummary::default());
        let recovered = AtomicU64::new(0);
        let progress = |summary: &BackfillSummary| {
            *so_far.lock().unwrap_or_else(|p| p.into_inner()) = *summary;
            if recovered.swap(summary.recovered, Ordering::Relaxed) < summary.recovered {
                state.notify_projector();
            }
        };
        let outcome = backfill(&**state.store(), zoom, &request, &progress).await;
        let counted = match &outcome {
            Ok(summary) => *summary,
            Err(_) => *so_far.lock().unwrap_or_else(|p| p.into_inner()),
        };
        count(&counted);
        self.finish(&outcome);
        outcome.map_err(RunError::Failed)
    }

    /// Keep, count and log a run's outcome.
    fn finish(&self, outcome: &Result<BackfillSummary, BackfillError>) {
        let at = now_text();
        match outcome {
            Ok(summary) => {
                metrics::counter!(BACKFILL_RUNS, "outcome" => "ok").increment(1);
                metrics::gauge!(BACKFILL_LAST_SUCCESS).set(Utc::now().timestamp() as f64);
                tracing::info!(
                    read = summary.read,
                    recovered = summary.recovered,
                    already_present = summary.already_present,
                    rejected = summary.rejected,
                    skipped = summary.skipped,
                    "backfill from Zoom's webhook logs done"
                );
                self.update(|s| {
                    s.runs_ok += 1;
                    s.last_ok_at = Some(at);
                    s.last_ok = Some(*summary);
                    s.last_error = None;
                    s.last_error_at = None;
                });
            }
            Err(e) => {
                metrics::counter!(BACKFILL_RUNS, "outcome" => "failed").increment(1);
                tracing::warn!(error = %e, "backfill from Zoom's webhook logs failed; the next run tries again");
                self.update(|s| {
                    s.runs_failed += 1;
                    s.last_error = Some(e.to_string());
                    s.last_error_at = Some(at);
                });
            }
        }
    }
}

/// While alive, a run is going; `/readyz` says so.
struct Running<'a>(&'a Recovery);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.update(|s| {
            s.running = false;
            s.running_since = None;
        });
    }
}

/// Why a backfill cannot run with `zoom`, if it cannot.
fn not_configured(zoom: Option<&ZoomClient>) -> Option<String> {
    let Some(zoom) = zoom else {
        return Some(
            "no Zoom credentials: set ZCC_ZOOM_ACCOUNT_ID, ZCC_ZOOM_CLIENT_ID, \
             ZCC_ZOOM_CLIENT_SECRET and ZCC_ZOOM_APP_ID and restart serve"
                .into(),
        );
    };
    match zoom.config().app_id.as_deref() {
        Some(app) if !app.trim().is_empty() => None,
        _ => Some(
            "ZCC_ZOOM_APP_ID is not set: the webhook logs are read per app; set it and \
             restart serve"
                .into(),
        ),
    }
}

/// Move the counters of `/metrics` by what a run did.
fn count(summary: &BackfillSummary) {
    for (outcome, n) in [
        ("recovered", summary.recovered),
        ("already_present", summary.already_present),
        ("rejected", summary.rejected),
        ("skipped", summary.skipped),
    ] {
        metrics::counter!(BACKFILL_EVENTS, "outcome" => outcome).increment(n);
    }
}

/// Run the backfill every period of `state`'s recovery until the server begins to shut down.
/// Does nothing when it is off or Zoom's client is not configured.
pub fn spawn_schedule(state: &AppState) {
    let recovery = state.recovery().clone();
    let Some(period) = recovery.period() else {
        let status = recovery.status();
        match (&status.reason, recovery.inner.zoom.is_some()) {
            // Credentials given but unusable for the backfill: say so once.
            (Some(reason), true) => tracing::warn!(%reason, "no scheduled backfill"),
            _ => tracing::info!(every = %status.every, "no scheduled backfill"),
        }
        return;
    };
    let state = state.clone();
    let mut stopping = state.stopping();
    tokio::spawn(async move {
        let mut wait = period.min(FIRST_RUN_AFTER);
        tracing::info!(every = %recovery.inner.every, first_in_secs = wait.as_secs(), "scheduled backfill");
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stopping.wait_for(|stop| *stop) => return,
            }
            wait = period;
            let window = scheduled_window(Utc::now());
            tokio::select! {
                outcome = recovery.run(&state, window, false) => {
                    // A failure is logged and kept by the run itself.
                    if let Err(RunError::Busy { started_at }) = outcome {
                        tracing::info!(%started_at, "scheduled backfill skipped: a run is going");
                    }
                }
                _ = stopping.wait_for(|stop| *stop) => return,
            }
        }
    });
}
