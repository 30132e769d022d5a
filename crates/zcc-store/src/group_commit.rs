//! Group commit: concurrent appends wait for one shared durable commit.
//!
//! Callers [`GroupCommitter::append`] one event each. One writer task takes whatever is queued
//! (up to `max_batch`), appends it with one [`EventLog::append_batch`] (one durable commit) and
//! answers every caller only after that commit. Under load batches grow by themselves; when idle
//! a single event commits at once, so there is no added latency.
//!
//! Batches are pipelined: the task does not wait for one commit before handing over the next
//! batch, up to [`PIPELINE_DEPTH`] batches in flight (order kept: each is handed over before
//! the next is collected). A backend whose single writer merges queued batches into one
//! transaction (SQLite's writer thread) then starts the next commit as soon as the last one is
//! durable, with everything that arrived meanwhile. Other backends (PostgreSQL, where each
//! batch would hold a pooled connection while it waits for the append lock) keep one batch in
//! flight. `zcc_append_batch_size` and `zcc_append_batch_seconds` describe the batches handed
//! over; with pipelining a durable commit may hold several of them.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{mpsc, oneshot};

use crate::{Appended, EventLog, NewEvent, StoreError};

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// Batches in flight at once on a backend that merges queued batches (see the module docs).
pub const PIPELINE_DEPTH: usize = 16;

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
    let depth = if log.merges_queued_batches() {
        PIPELINE_DEPTH
    } else {
        1
    };
    let mut in_flight = FuturesUnordered::new();
    loop {
        tokio::select! {
            // Finished commits first: that also polls a batch just pushed, which hands it to
            // the backend before the next batch is collected.
            biased;
            Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
            first = rx.recv(), if in_flight.len() < depth => {
                let Some(first) = first else { break };
                let mut events = Vec::with_capacity(max.min(64));
                let mut replies: Vec<Reply> = Vec::with_capacity(max.min(64));
                let (event, reply) = first;
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
                in_flight.push(commit(&*log, events, replies));
            }
        }
    }
    while in_flight.next().await.is_some() {}
}

/// Append one batch and answer each of its callers.
async fn commit(log: &dyn EventLog, events: Vec<NewEvent>, replies: Vec<Reply>) {
    let n = events.len();
    let started = Instant::now();
    let result = log.append_batch(events).await;
    metrics::histogram!("zcc_append_batch_seconds").record(started.elapsed().as_secs_f64());
    metrics::histogram!("zcc_append_batch_size").record(n as f64);
    match result {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(e) => {
            // Every waiting caller gets the error and logs it (once per change of state).
            tracing::debug!(error = %e, batch = n, "group commit failed");
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}
