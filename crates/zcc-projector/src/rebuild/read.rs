//! Where the rebuild's units of work come from: the window run over pages of `read_after` in
//! the producer, or over a backend's fast scan on a blocking thread running ahead of the
//! workers. Either way each unit is the engagements one stretch of the log closed.

use std::ops::ControlFlow;
use std::sync::Arc;

use zcc_store::projection::Backend;
use zcc_store::{EngagementId, LogEntry, LogScan, Position, StoreError};

use super::RebuildOptions;
use super::window::{Closed, Engine};

/// An owned log entry on its way into the window: the call it belongs to (none for an entry
/// that is not part of a call) and its body.
pub(super) struct RawEntry {
    pub(super) engagement_id: Option<EngagementId>,
    pub(super) position: Position,
    pub(super) body_sha256: [u8; 32],
    pub(super) body: String,
}

impl From<LogEntry> for RawEntry {
    fn from(e: LogEntry) -> Self {
        RawEntry {
            engagement_id: e
                .engagement_id
                .filter(|id| crate::call_of(Some(id)).is_some()),
            position: e.position,
            body_sha256: e.body_sha256.0,
            body: e.body,
        }
    }
}

/// What the window closed over one stretch of the log.
pub(super) struct Unit {
    pub(super) closed: Closed,
    /// The last position read.
    pub(super) position: i64,
    /// Entries read for this unit.
    pub(super) entries: u64,
    /// The end of the log: every buffer still open was closed.
    pub(super) last: bool,
}

/// Where units of work come from.
pub(super) enum Reader<'s, S: ?Sized> {
    Pages {
        store: &'s S,
        engine: Box<Engine>,
        after: Position,
        chunk: usize,
        done: bool,
    },
    Scan {
        rx: tokio::sync::mpsc::Receiver<Result<Unit, StoreError>>,
        thread: Option<tokio::task::JoinHandle<()>>,
    },
}

impl<'s, S: Backend + ?Sized> Reader<'s, S> {
    /// Pages of `read_after` from `from`, through a window run here.
    pub(super) fn pages(store: &'s S, options: RebuildOptions, from: Position) -> Self {
        Reader::Pages {
            store,
            engine: Box::new(Engine::new(options, from)),
            after: from,
            chunk: options.chunk.max(1),
            done: false,
        }
    }

    /// A backend's fast scan from `from`, with the window run on the scan's thread.
    pub(super) fn scan(scan: Arc<dyn LogScan>, options: RebuildOptions, from: Position) -> Self {
        let (rx, thread) = spawn_scan(scan, options, from);
        Reader::Scan {
            rx,
            thread: Some(thread),
        }
    }

    /// The next unit, or `None` after the last.
    pub(super) async fn next(&mut self) -> Result<Option<Unit>, StoreError> {
        match self {
            Reader::Pages {
                store,
                engine,
                after,
                chunk,
                done,
            } => {
                if *done {
                    return Ok(None);
                }
                let page = store.read_after(*after, *chunk).await?;
                let Some(last) = page.last() else {
                    *done = true;
                    return Ok(Some(Unit {
                        closed: engine.finish(),
                        position: engine.position,
                        entries: 0,
                        last: true,
                    }));
                };
                *after = last.position;
                let entries = page.len() as u64;
                let closed = engine.absorb(page.into_iter().map(RawEntry::from).collect());
                Ok(Some(Unit {
                    closed,
                    position: engine.position,
                    entries,
                    last: false,
                }))
            }
            Reader::Scan { rx, thread } => match rx.recv().await {
                Some(unit) => unit.map(Some),
                None => {
                    if let Some(t) = thread.take() {
                        t.await.map_err(|e| {
                            StoreError::Other(format!("the log scan thread failed: {e}"))
                        })?;
                    }
                    Ok(None)
                }
            },
        }
    }
}

/// The scan on a blocking thread: each entry goes straight into the window (its body copied
/// once, from the scan's borrowed row into its engagement's buffer), and every `chunk` entries
/// the engagements that went quiet are sent on as a unit.
fn spawn_scan(
    scan: Arc<dyn LogScan>,
    options: RebuildOptions,
    from: Position,
) -> (
    tokio::sync::mpsc::Receiver<Result<Unit, StoreError>>,
    tokio::task::JoinHandle<()>,
) {
    let chunk = options.chunk.max(1) as u64;
    // Two units in flight: the scan runs ahead of the workers, memory stays bounded.
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let thread = tokio::task::spawn_blocking(move || {
        let mut engine = Engine::new(options, from);
        let mut entries = 0u64;
        let mut closed = false;
        let result = scan.scan(from, &mut |e| {
            engine.push(
                e.position,
                crate::call_of(e.engagement_id),
                e.body_sha256.0,
                e.body,
            );
            entries += 1;
            if entries == chunk {
                let unit = Unit {
                    closed: engine.close_quiet(),
                    position: engine.position,
                    entries: std::mem::take(&mut entries),
                    last: false,
                };
                if tx.blocking_send(Ok(unit)).is_err() {
                    closed = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        if closed {
            return;
        }
        let last = result.map(|()| Unit {
            closed: engine.finish(),
            position: engine.position,
            entries,
            last: true,
        });
        let _ = tx.blocking_send(last);
    });
    (rx, thread)
}
