//! The live projector: one task that keeps every ready and active generation current.
//!
//! The server (after each group commit) and import (after each batch) call
//! [`LiveHandle::notify`]; notifications that arrive while a catch-up runs are coalesced into
//! one more run. A periodic tick catches anything appended by another process. Errors are
//! logged and retried on the next notification or tick; a panic inside a run is caught and
//! logged, and the task goes on.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use zcc_store::projection::Backend;

use crate::catch_up::{CatchUpReport, catch_up_all};

/// The default interval of the periodic tick.
pub const DEFAULT_TICK: Duration = Duration::from_secs(2);

enum Msg {
    Notify,
    Sync(oneshot::Sender<Result<Vec<CatchUpReport>, String>>),
}

/// Starts the live projection task.
pub struct LiveProjector;

impl LiveProjector {
    /// Spawn the task on the current tokio runtime with the default tick.
    pub fn spawn<S: Backend + ?Sized>(store: Arc<S>) -> LiveHandle {
        LiveProjector::spawn_with_tick(store, DEFAULT_TICK)
    }

    /// Spawn the task with a tick of `tick`.
    pub fn spawn_with_tick<S: Backend + ?Sized>(store: Arc<S>, tick: Duration) -> LiveHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(store, rx, tick));
        LiveHandle { tx, task }
    }
}

/// Talk to a running live projector. Dropping every handle stops the task.
pub struct LiveHandle {
    tx: mpsc::UnboundedSender<Msg>,
    task: JoinHandle<()>,
}

impl LiveHandle {
    /// New entries are in the log: catch up soon. Never blocks; calls are coalesced.
    pub fn notify(&self) {
        let _ = self.tx.send(Msg::Notify);
    }

    /// Catch up now and wait for that run: its reports, or the error it logged.
    pub async fn sync(&self) -> Result<Vec<CatchUpReport>, String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::Sync(reply))
            .map_err(|_| "the live projector has stopped".to_owned())?;
        rx.await
            .map_err(|_| "the live projector stopped before answering".to_owned())?
    }

    /// Stop the task after the run in progress, if any.
    pub async fn shutdown(self) {
        let LiveHandle { tx, task } = self;
        drop(tx);
        let _ = task.await;
    }
}

async fn run<S: Backend + ?Sized>(
    store: Arc<S>,
    mut rx: mpsc::UnboundedReceiver<Msg>,
    tick: Duration,
) {
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut waiters = Vec::new();
        tokio::select! {
            msg = rx.recv() => match msg {
                None => return,
                Some(Msg::Notify) => {}
                Some(Msg::Sync(w)) => waiters.push(w),
            },
            _ = ticker.tick() => {}
        }
        // Coalesce everything queued so far into this one run.
        while let Ok(msg) = rx.try_recv() {
            if let Msg::Sync(w) = msg {
                waiters.push(w);
            }
        }
        let s = store.clone();
        let outcome = tokio::spawn(async move { catch_up_all(&*s, &()).await }).await;
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
