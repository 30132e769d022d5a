//! The quarantine: bodies that were refused because they are not webhook envelopes, kept byte
//! for byte with the reason (SPEC 3.1, 3.2). Listed newest first; one entry shown whole with
//! the request id of the delivery that brought it, when there was one.

use zcc_store::{AuditLog, QuarantineQuery, QuarantineRecord, QuarantineSummary, Source, StoreError};

use crate::backfill::VIA_WEBHOOK_LOGS;

/// How many entries a listing shows when the caller does not say.
pub const DEFAULT_LIMIT: usize = 100;

/// The header in which Zoom names a delivery (allow-listed into the delivery log).
const REQUEST_ID_HEADER: &str = "x-zm-request-id";

/// Why an entry cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    #[error("no quarantine entry {0}")]
    Unknown(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The entries `query` selects, newest first, without their bodies.
pub async fn list<S: AuditLog + ?Sized>(
    store: &S,
    query: &QuarantineQuery,
) -> Result<Vec<QuarantineSummary>, StoreError> {
    store.quarantine_page(query).await
}

/// One entry, whole.
#[derive(Debug)]
pub struct Refused {
    pub record: QuarantineRecord,
    /// Zoom's request id of the delivery that brought it: the `x-zm-request-id` header of its
    /// delivery row, or for a recovered body the `request_id` of Zoom's log; `None` for an
    /// import, or a delivery without one.
    pub request_id: Option<String>,
}

/// Entry `id`, with its body and the request id of its delivery.
pub async fn show<S: AuditLog + ?Sized>(store: &S, id: i64) -> Result<Refused, QuarantineError> {
    let record = store
        .quarantine_entry(id)
        .await?
        .ok_or(QuarantineError::Unknown(id))?;
    let request_id = request_id(&record);
    Ok(Refused { record, request_id })
}

fn request_id(record: &QuarantineRecord) -> Option<String> {
    let from_delivery = record.deliveries.iter().find_map(|d| {
        d.meta
            .headers
            .iter()
            .find(|(name, _)| name == REQUEST_ID_HEADER)
            .map(|(_, value)| value.clone())
    });
    from_delivery.or_else(|| match record.entry.source {
        // A recovered body that is not an envelope is recorded as `webhook_logs:REQUEST_ID`
        // (`crate::backfill`), without a delivery row.
        Source::Backfill => record
            .entry
            .origin
            .strip_prefix(VIA_WEBHOOK_LOGS)
            .and_then(|rest| rest.strip_prefix(':'))
            .filter(|id| !id.is_empty() && *id != "?")
            .map(str::to_owned),
        Source::Http | Source::Import => None,
    })
}
