//! Reads for auditors and operators beside the log: the delivery rows recorded for log positions
//! (where an event came from), and the quarantine (what was refused, and why).
//!
//! [`AuditLog`] is implemented by each backend with its own SQL, like [`crate::EventLog`].
//! Every [`crate::projection::Backend`] offers it.

use async_trait::async_trait;
use serde::Serialize;

use crate::{Delivery, Digest, Position, QuarantineEntry, Source, StoreError};

/// Reads of the delivery log and the quarantine.
#[async_trait]
pub trait AuditLog: Send + Sync + 'static {
    /// Every delivery row recorded for any of `positions` (a stored or duplicate delivery of
    /// the event at that position), in one query: ordered by position, then in the order the
    /// rows were recorded. Positions repeated are read once; positions without a delivery row
    /// (an imported event has none) add nothing.
    async fn deliveries_at(&self, positions: &[Position]) -> Result<Vec<Delivery>, StoreError>;

    /// Quarantine entries, newest first (by id), without their bodies.
    async fn quarantine_page(
        &self,
        query: &QuarantineQuery,
    ) -> Result<Vec<QuarantineSummary>, StoreError>;

    /// One quarantine entry with its exact body and the delivery rows recorded when it was
    /// refused (the same body received at the same time, outcome `quarantined`: an HTTP
    /// delivery has one, an import none); `None` when there is no entry `id`.
    async fn quarantine_entry(&self, id: i64) -> Result<Option<QuarantineRecord>, StoreError>;

    /// How many entries the quarantine holds.
    async fn quarantine_size(&self) -> Result<i64, StoreError>;
}

/// Which quarantine entries [`AuditLog::quarantine_page`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuarantineQuery {
    /// Only entries received at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Only entries with an id below this one (the next page after an entry).
    pub before_id: Option<i64>,
    /// At most this many.
    pub limit: usize,
}

/// One quarantine entry without its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineSummary {
    pub id: i64,
    pub received_at_ms: i64,
    pub source: Source,
    /// `http`, `FILE:LINE` for imports, `webhook_logs:REQUEST_ID` for recovered bodies.
    pub origin: String,
    pub reason: String,
    /// The body's length in bytes.
    pub body_len: i64,
    pub body_sha256: Digest,
}

/// One quarantine entry, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRecord {
    pub id: i64,
    pub entry: QuarantineEntry,
    /// The delivery rows recorded when it was refused, oldest first.
    pub deliveries: Vec<Delivery>,
}
