//! Group commit: concurrent appends wait for one shared durable commit.
//!
//! Callers [`GroupCommitter::append`] one event each. One writer task takes whatever is queued
//! (up to `max_batch`), appends it with one [`EventLog::append_batch`] (one durable commit) and
//! answers every caller only after that commit. Under load batches grow by themselves; when idle
//! a single event commits at once, so there is no added latency.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::{Appended, EventLog, NewEvent, StoreError};

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct GroupCommitter {
    tx: mpsc::Sender<(NewEvent, Reply)>,
}

impl GroupCommitter {
    /// Start the writer task on the current tokio runtime. It stops when every handle is dropped,
    /// after committing what is queued.
    pub fn start(log: Arc<dyn EventLog>, max_batch: usize) -> GroupCommitter {
        let max_batch = max_batch.max(1);
        let (tx, rx) = mpsc::channel(max_batch * 4);
        tokio::spawn(writer(log, rx, max_batch));
        GroupCommitter { tx }
    }

    /// Append one event; resolves once it is durable (or known to be a duplicate).
    pub async fn append(&self, event: NewEvent) -> Result<Appended, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send((event, reply))
            .await
            .map_err(|_| StoreError::Unavailable("the log writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the log writer stopped mid-commit".into()))?
    }
}

async fn writer(log: Arc<dyn EventLog>, mut rx: mpsc::Receiver<(NewEvent, Reply)>, max: usize) {
    let mut events = Vec::with_capacity(max);
    let mut replies: Vec<Reply> = Vec::with_capacity(max);
    while let Some((event, reply)) = rx.recv().await {
        events.push(event);
        replies.push(reply);
        while events.len() < max {
            match rx.try_recv() {
                Ok((event, reply)) => {
                    events.push(event);
                    replies.push(reply);
                }
                Err(_) => break,
            }
        }
        let n = events.len();
        let started = Instant::now();
        let result = log.append_batch(std::mem::take(&mut events)).await;
        metrics::histogram!("zcc_append_batch_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("zcc_append_batch_size").record(n as f64);
        match result {
            Ok(outcomes) => {
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, batch = n, "group commit failed");
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}
