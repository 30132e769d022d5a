//! The event log abstraction.
//!
//! - [`types`]: positions, digests, log entries, deliveries, quarantine entries.
//! - [`audit`]: reads of the delivery log and the quarantine for auditors and operators.
//! - [`chain`]: the hash chain every backend writes and [`verify`] checks.
//! - [`EventLog`]: the trait each backend (`zcc-store-sqlite`, `zcc-store-postgres`) implements
//!   with its own SQL. Nothing in this crate knows SQL.
//! - [`outbound`]: outbound delivery's subscriptions, published state and outbox.
//! - [`projection`]: generations and projection documents; [`search`]: the text `q` matches.
//! - [`scan`]: the blocking whole-log scan a backend may offer for rebuilds.
//! - [`ingest`]: turning a raw body into a [`NewEvent`] (shared by HTTP and import).
//! - [`group_commit`]: many concurrent appends share one durable commit.

pub mod audit;
pub mod chain;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
pub mod group_commit;
pub mod ingest;
pub mod outbound;
#[cfg(feature = "conformance")]
pub mod outbound_conformance;
pub mod projection;
pub mod receive;
pub mod scan;
pub mod search;
pub mod types;
pub mod verify;

pub use audit::{AuditLog, QuarantineQuery, QuarantineRecord, QuarantineSummary};
pub use error::StoreError;
pub use scan::{LogScan, ScanEntry};
pub use types::*;

use async_trait::async_trait;

/// The append-only, hash-chained event log, plus the delivery log and the quarantine.
///
/// Implementations must guarantee:
/// - positions are 1, 2, 3, ... without gaps, and commit order equals position order (a reader
///   paging with [`EventLog::read_after`] never skips an entry that commits later);
/// - an entry's body SHA-256 is unique; appending a known body reports the existing position;
/// - each call to [`EventLog::append_batch`] is one durable commit (all or nothing);
/// - the database refuses UPDATE and DELETE on the log, the delivery log and the quarantine.
#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// Which backend this is (`sqlite` or `postgres`), for messages and metrics.
    fn backend(&self) -> &'static str;

    /// Whether appends queued while a commit is under way are merged into the next transaction
    /// (then the group committer keeps several batches in flight; see `group_commit`).
    fn merges_queued_batches(&self) -> bool {
        false
    }

    /// Append a batch in one durable commit. Returns one outcome per input, in input order.
    /// Events carrying a [`DeliveryMeta`] also get a delivery-log row in the same commit.
    async fn append_batch(&self, events: Vec<NewEvent>) -> Result<Vec<Appended>, StoreError>;

    /// Record deliveries that appended nothing (rejected, URL validation, ...). One commit.
    async fn record_deliveries(&self, deliveries: Vec<Delivery>) -> Result<(), StoreError>;

    /// Put bodies that are not envelopes aside, with the reason. One commit.
    async fn quarantine(&self, entries: Vec<QuarantineEntry>) -> Result<(), StoreError>;

    /// The number of entries and the hash of the last one (zero hash for an empty log).
    async fn head(&self) -> Result<Head, StoreError>;

    /// Up to `limit` entries with position greater than `after`, in position order.
    async fn read_after(&self, after: Position, limit: usize) -> Result<Vec<LogEntry>, StoreError>;

    /// Every entry of one engagement, in position order.
    async fn engagement_events(
        &self,
        engagement_id: &EngagementId,
    ) -> Result<Vec<LogEntry>, StoreError>;

    /// Every entry of several engagements with position at most `up_to`, in one call (live
    /// catch-up reads all the engagements a page of the log touches at once).
    ///
    /// Order: by engagement id in byte order, then by position; each engagement's entries are
    /// contiguous. Ids repeated in `engagement_ids` are read once; ids with no entries add
    /// nothing. The default loops over [`EventLog::engagement_events`]; backends override it
    /// with one query (PostgreSQL) or one reader call (SQLite).
    async fn engagements_events(
        &self,
        engagement_ids: &[EngagementId],
        up_to: Position,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let mut ids: Vec<&EngagementId> = engagement_ids.iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::new();
        for id in ids {
            let entries = self.engagement_events(id).await?;
            out.extend(entries.into_iter().filter(|e| e.position <= up_to));
        }
        Ok(out)
    }

    /// The entry at one position, if any.
    async fn entry(&self, position: Position) -> Result<Option<LogEntry>, StoreError>;

    /// The names of the immutability guards (triggers) that should exist but do not.
    async fn missing_guards(&self) -> Result<Vec<String>, StoreError>;

    /// Recent quarantine entries, newest first (for operators and tests).
    async fn quarantined(&self, limit: usize) -> Result<Vec<QuarantineEntry>, StoreError>;

    /// Recent deliveries, newest first (for operators and tests).
    async fn deliveries(&self, limit: usize) -> Result<Vec<Delivery>, StoreError>;

    /// Check what this backend stores for each entry beyond [`LogEntry`] (SQLite's dedupe key
    /// time) against the entry's body, for positions `after+1..=up_to`: the first entry whose
    /// column does not agree, with a reason that starts `column NAME:`. `verify` calls it.
    /// Default: the backend stores nothing more.
    async fn check_stored_columns(
        &self,
        after: Position,
        up_to: Position,
    ) -> Result<Option<(Position, String)>, StoreError> {
        let _ = (after, up_to);
        Ok(None)
    }

    /// Whether storage answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Whether storage can take a write now (for `/readyz`): it answers, is not full or
    /// read-only, and (SQLite) its file is still the one at its path. Backends check it
    /// cheaply: the outcome of the last write, or a small write probe at most about once a
    /// second. Default: [`EventLog::ping`].
    async fn ready(&self) -> Result<(), StoreError> {
        self.ping().await
    }

    /// The backend's blocking whole-log scan, when it has one faster than
    /// [`EventLog::read_after`] pages (rebuilds use it). Default: none.
    fn log_scan(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn LogScan>> {
        None
    }

    /// Bring the query planner's statistics up to date after a bulk load (`import` calls it
    /// when it appended many entries). Without them a planner may guess that one engagement
    /// has thousands of rows and scan instead of seeking. Default: nothing to do.
    async fn refresh_statistics(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
