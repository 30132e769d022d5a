//! The live projector: one task that keeps every ready and active generation current.
//!
//! The server calls [`LiveHandle::notify`] after each stored webhook (an import folds once,
//! after its appends, with [`crate::catch_up_all`], and a server running beside it sees the new
//! entries on its next tick); notifications that arrive while a catch-up runs, or while the task
//! waits, are coalesced into one more run. A periodic tick catches anything appended by another
//! process. Errors are logged and retried on the next notification or tick; a panic inside a
//! run is caught and logged, and the task goes on.
//!
//! Under sustained appends the task leaves at least a minimum interval
//! ([`DEFAULT_MIN_INTERVAL`]) between the end of one run and the start of the next. Without it
//! the task would run back to back, each run re-folding the same few engagements from all their
//! events while their calls are still arriving, and competing with the log writer for the CPU
//! and for SQLite's write lock. A quiet system loses nothing: the first notification after the
//! interval runs at once. [`LiveHandle::sync`] never waits for the interval.
//!
//! When runs grow long (many calls in progress, each re-folded from all its events on every
//! run), the interval grows with them: at least [`BUSY_FACTOR`] times the last run's duration,
//! up to [`MAX_INTERVAL`], so catch-up takes at most about a quarter of the time under load and
//! each run re-folds a busy engagement once for more of its new events.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use zcc_store::projection::Backend;

use crate::catch_up::{CatchUpReport, catch_up_all};

/// The default interval of the periodic tick.
pub const DEFAULT_TICK: Duration = Duration::from_secs(2);

/// The default least time between the end of one notified run and the start of the next.
pub const DEFAULT_MIN_INTERVAL: Duration = Duration::from_millis(200);

/// Under load the interval is at least this many times the last run's duration ...
pub const BUSY_FACTOR: u32 = 3;

/// ... but never more than this.
pub const MAX_INTERVAL: Duration = Duration::from_secs(2);

/// The time to leave after a run that took `ran`: the minimum interval, or more after a long
/// run; zero stays zero (run as soon as notified).
fn interval_after(min_interval: Duration, ran: Duration) -> Duration {
    if min_interval.is_zero() {
        return Duration::ZERO;
    }
    min_interval.max((ran * BUSY_FACTOR).min(MAX_INTERVAL))
}

type SyncReply = oneshot::Sender<Result<Vec<CatchUpReport>, String>>;

/// Starts the live projection task.
pub struct LiveProjector;

impl LiveProjector {
    /// Spawn the task on the current tokio runtime with the default tick and interval.
    pub fn spawn<S: Backend + ?Sized>(store: Arc<S>) -> LiveHandle {
        LiveProjector::spawn_with(store, DEFAULT_TICK, DEFAULT_MIN_INTERVAL)
    }

    /// Spawn the task with a tick of `tick` and the default interval.
    pub fn spawn_with_tick<S: Backend + ?Sized>(store: Arc<S>, tick: Duration) -> LiveHandle {
        LiveProjector::spawn_with(store, tick, DEFAULT_MIN_INTERVAL)
    }

    /// Spawn the task with a tick of `tick`, leaving at least `min_interval` between the end of
    /// one run and the start of the next one that a notification or a tick asks for
    /// (`Duration::ZERO`: run again as soon as notified).
    pub fn spawn_with<S: Backend + ?Sized>(
        store: Arc<S>,
        tick: Duration,
        min_interval: Duration,
    ) -> LiveHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        let notify = Arc::new(Notify::new());
        let task = tokio::spawn(run(store, rx, notify.clone(), tick, min_interval));
        LiveHandle { tx, notify, task }
    }
}

/// Talk to a running live projector. Dropping every handle stops the task.
pub struct LiveHandle {
    /// Sync requests; closing it stops the task.
    tx: mpsc::UnboundedSender<SyncReply>,
    /// Notifications: a stored permit, so any number of them before a run cost one wake-up.
    notify: Arc<Notify>,
    task: JoinHandle<()>,
}

impl LiveHandle {
    /// New entries are in the log: catch up soon (at once when the last run ended at least the
    /// minimum interval ago, else when it has passed). Never blocks; calls are coalesced.
    pub fn notify(&self) {
        self.notify.notify_one();
    }

    /// Catch up now, without waiting for the interval, and wait for that run: its reports, or
    /// the error it logged.
    pub async fn sync(&self) -> Result<Vec<CatchUpReport>, String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(reply)
            .map_err(|_| "the live projector has stopped".to_owned())?;
        rx.await
            .map_err(|_| "the live projector stopped before answering".to_owned())?
    }

    /// Stop the task after the run in progress, if any.
    pub async fn shutdown(self) {
        let LiveHandle { tx, notify, task } = self;
        drop(tx);
        drop(notify);
        let _ = task.await;
    }
}

async fn run<S: Backend + ?Sized>(
    store: Arc<S>,
    mut rx: mpsc::UnboundedReceiver<SyncReply>,
    notify: Arc<Notify>,
    tick: Duration,
    min_interval: Duration,
) {
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // When the next notified run may start.
    let mut next_allowed: Option<Instant> = None;
    let mut closed = false;
    while !closed {
        let mut waiters = Vec::new();
        tokio::select! {
            msg = rx.recv() => match msg {
                None => return,
                Some(w) => waiters.push(w),
            },
            () = notify.notified() => {}
            _ = ticker.tick() => {}
        }
        // Not asked to hurry: keep the interval since the last run, unless a sync arrives.
        if waiters.is_empty()
            && let Some(at) = next_allowed
            && at > Instant::now()
        {
            tokio::select! {
                () = tokio::time::sleep_until(at) => {}
                msg = rx.recv() => match msg {
                    // Stopping: finish with the run that was asked for.
                    None => closed = true,
                    Some(w) => waiters.push(w),
                },
            }
        }
        // Coalesce everything queued so far into this one run (a notification stored now is
        // covered by it: the run reads the head after this point).
        while let Ok(w) = rx.try_recv() {
            waiters.push(w);
        }
        let _ = notify.notified().now_or_never();
        let s = store.clone();
        let started = Instant::now();
        let outcome = tokio::spawn(async move { catch_up_all(&*s, &()).await }).await;
        let ended = Instant::now();
        next_allowed = Some(ended + interval_after(min_interval, ended - started));
        let result = match outcome {
            Ok(Ok(reports)) => {
                for r in reports.iter().filter(|r| r.entries > 0) {
                    tracing::debug!(report = %r, "live catch-up");
                }
                Ok(reports)
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "live projection failed; retrying on the next notification or tick");
                Err(e.to_string())
            }
            Err(e) => {
                tracing::error!(error = %e, "live projection panicked; retrying on the next notification or tick");
                Err(format!("the catch-up task failed: {e}"))
            }
        };
        for w in waiters {
            let _ = w.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_grows_with_long_runs_within_its_bounds() {
        let ms = Duration::from_millis;
        let min = DEFAULT_MIN_INTERVAL;
        assert_eq!(
            interval_after(min, ms(5)),
            min,
            "short runs keep the minimum"
        );
        assert_eq!(
            interval_after(min, ms(100)),
            ms(300),
            "three times a long run"
        );
        assert_eq!(
            interval_after(min, ms(5_000)),
            MAX_INTERVAL,
            "never past the maximum"
        );
        assert_eq!(interval_after(Duration::ZERO, ms(500)), Duration::ZERO);
        assert_eq!(
            interval_after(ms(3_000), ms(5_000)),
            ms(3_000),
            "a larger minimum wins"
        );
    }
}
