//! A blocking scan of the whole log in position order: the fast path of projection rebuilds,
//! for backends that have one (SQLite: `SqliteLog` streams rows straight from its b-tree).
//! [`EventLog::log_scan`](crate::EventLog::log_scan) says whether a backend offers it.

use std::ops::ControlFlow;

use crate::{Digest, Position, StoreError};

/// One entry lent by a [`LogScan`].
#[derive(Debug, Clone, Copy)]
pub struct ScanEntry<'a> {
    pub position: Position,
    pub engagement_id: Option<&'a str>,
    pub body: &'a str,
    pub body_sha256: Digest,
}

/// A blocking scan of the log in position order, faster than paging through
/// [`EventLog::read_after`](crate::EventLog::read_after). The rebuild runs it on a thread of
/// its own. `f` returning [`ControlFlow::Break`] stops the scan.
pub trait LogScan: Send + Sync + 'static {
    fn scan(
        &self,
        after: Position,
        f: &mut dyn FnMut(ScanEntry<'_>) -> ControlFlow<()>,
    ) -> Result<(), StoreError>;
}
