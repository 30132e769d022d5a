//! Where the rebuild's chunks of the log come from: pages of `read_after`, or a backend's fast
//! scan on a blocking thread running ahead of the workers.

use std::ops::ControlFlow;
use std::sync::Arc;

use zcc_store::projection::Backend;
use zcc_store::{EngagementId, LogEntry, LogScan, Position, StoreError};

/// An owned log entry travelling from the reader to the window: the call it belongs to (none
/// for an entry that is not part of a call) and its body.
pub(super) struct RawEntry {
    pub(super) engagement_id: Option<EngagementId>,
    pub(super) body: Body,
}

/// A logged body, kept unparsed in the window until its engagement is folded.
pub(super) struct Body {
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
            body: Body {
                position: e.position,
                body_sha256: e.body_sha256.0,
                body: e.body,
            },
        }
    }
}

/// Where chunks of the log come from.
pub(super) enum Reader<'s, S: ?Sized> {
    Pages {
        store: &'s S,
        after: Position,
        chunk: usize,
    },
    Scan {
        rx: tokio::sync::mpsc::Receiver<Result<Vec<RawEntry>, StoreError>>,
        thread: Option<tokio::task::JoinHandle<()>>,
    },
}

impl<S: Backend + ?Sized> Reader<'_, S> {
    pub(super) async fn next(&mut self) -> Result<Vec<RawEntry>, StoreError> {
        match self {
            Reader::Pages {
                store,
                after,
                chunk,
            } => {
                let page = store.read_after(*after, *chunk).await?;
                if let Some(last) = page.last() {
                    *after = last.position;
                }
                Ok(page.into_iter().map(RawEntry::from).collect())
            }
            Reader::Scan { rx, thread } => match rx.recv().await {
                Some(chunk) => chunk,
                None => {
                    if let Some(t) = thread.take() {
                        t.await.map_err(|e| {
                            StoreError::Other(format!("the log scan thread failed: {e}"))
                        })?;
                    }
                    Ok(Vec::new())
                }
            },
        }
    }
}

pub(super) fn spawn_scan(
    scan: Arc<dyn LogScan>,
    after: Position,
    chunk: usize,
) -> (
    tokio::sync::mpsc::Receiver<Result<Vec<RawEntry>, StoreError>>,
    tokio::task::JoinHandle<()>,
) {
    // Two chunks in flight: the scan runs ahead of the workers, memory stays bounded.
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let thread = tokio::task::spawn_blocking(move || {
        let mut buf: Vec<RawEntry> = Vec::with_capacity(chunk);
        let mut closed = false;
        let result = scan.scan(after, &mut |e| {
            let engagement_id = crate::call_of(e.engagement_id).map(EngagementId::from);
            // An entry outside every call only moves the window's position: no body to copy.
            let body = if engagement_id.is_some() {
                e.body.to_owned()
            } else {
                String::new()
            };
            buf.push(RawEntry {
                engagement_id,
                body: Body {
                    position: e.position,
                    body_sha256: e.body_sha256.0,
                    body,
                },
            });
            if buf.len() >= chunk {
                let full = std::mem::replace(&mut buf, Vec::with_capacity(chunk));
                if tx.blocking_send(Ok(full)).is_err() {
                    closed = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        if closed {
            return;
        }
        let last = match result {
            Ok(()) if buf.is_empty() => return,
            Ok(()) => Ok(buf),
            Err(e) => Err(e),
        };
        let _ = tx.blocking_send(last);
    });
    (rx, thread)
}
