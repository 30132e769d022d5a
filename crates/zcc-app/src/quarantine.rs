//! The quarantine: bodies that were refused because they are not webhook envelopes, kept byte
//! for byte with the reason (SPEC 3.1, 3.2). Listed newest first; one entry shown whole with
//! the request id of the delivery that brought it, when there was one.

use zcc_store::{
    AuditLog, QuarantineQuery, QuarantineRecord, QuarantineSummary, Source, StoreError,
};

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

#[cfg(test)]
mod tests {
    use zcc_store::{Delivery, DeliveryMeta, DeliveryOutcome, Digest, QuarantineEntry};

    use super::*;

    fn record(
        source: Source,
        origin: &str,
        headers: Option<Vec<(String, String)>>,
    ) -> QuarantineRecord {
        let entry = QuarantineEntry {
            received_at_ms: 1,
            source,
            origin: origin.to_owned(),
            reason: "not an envelope".to_owned(),
            body: b"[1]".to_vec(),
            body_sha256: Digest::of(b"[1]"),
        };
        let deliveries = headers
            .map(|headers| {
                let meta = DeliveryMeta {
                    received_at_ms: 1,
                    headers,
                    provenance: None,
                };
                vec![Delivery::refused(
                    meta,
                    DeliveryOutcome::Quarantined,
                    400,
                    "x",
                )]
            })
            .unwrap_or_default();
        QuarantineRecord {
            id: 1,
            entry,
            deliveries,
        }
    }

    #[test]
    fn the_request_id_comes_from_the_delivery_or_zoom_s_log() {
        let header = vec![
            ("x-zm-trackingid".to_owned(), "t".to_owned()),
            ("x-zm-request-id".to_owned(), "req-h".to_owned()),
        ];
        let http = record(Source::Http, "http", Some(header));
        assert_eq!(request_id(&http).as_deref(), Some("req-h"));
        let no_header = record(Source::Http, "http", Some(Vec::new()));
        assert_eq!(request_id(&no_header), None);
        let recovered = record(Source::Backfill, "webhook_logs:req-z", None);
        assert_eq!(request_id(&recovered).as_deref(), Some("req-z"));
        let unnamed = record(Source::Backfill, "webhook_logs:?", None);
        assert_eq!(request_id(&unnamed), None);
        let import = record(Source::Import, "calls.jsonl:3", None);
        assert_eq!(request_id(&import), None);
    }
}
