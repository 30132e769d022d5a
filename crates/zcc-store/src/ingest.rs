//! From raw bytes to a [`NewEvent`]: the checks shared by the HTTP receiver and import.

use zcc_events::{EnvelopeError, EnvelopeSummary, read_envelope};

use crate::types::{DeliveryMeta, Digest, NewEvent, Source};

/// Check a raw body and prepare it for the log. The body is kept byte for byte; only the
/// envelope is required (SPEC I6). A body that is not an envelope gets an [`EnvelopeError`]
/// naming what is wrong, and the caller quarantines it.
pub fn prepare(
    body: &[u8],
    source: Source,
    received_at_ms: i64,
    delivery: Option<DeliveryMeta>,
) -> Result<NewEvent, EnvelopeError> {
    prepare_digested(body, Digest::of(body), source, received_at_ms, delivery)
}

/// [`prepare`] for a caller that has already taken the body's SHA-256 (the HTTP receiver
/// needs it before the envelope check, for the delivery row of a refused body), so the body
/// is hashed once. `body_sha256` must be the digest of `body`.
pub fn prepare_digested(
    body: &[u8],
    body_sha256: Digest,
    source: Source,
    received_at_ms: i64,
    delivery: Option<DeliveryMeta>,
) -> Result<NewEvent, EnvelopeError> {
    debug_assert_eq!(body_sha256, Digest::of(body), "the digest of this body");
    let summary = read_envelope(body)?;
    // read_envelope has checked UTF-8 already.
    let text = String::from_utf8(body.to_vec()).map_err(|e| EnvelopeError::NotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })?;
    let event_time_ms = event_time_ms(&summary, received_at_ms);
    Ok(NewEvent {
        body_sha256,
        body: text,
        event_type: summary.event,
        event_time_ms,
        account_id: summary.account_id,
        engagement_id: summary.engagement_id,
        received_at_ms,
        source,
        delivery,
        dedupe_ts: summary.strict_event_ts,
    })
}

/// The event time the log stores for a body (SPEC I7): the time the envelope gives, else the
/// time it was received. `verify` re-derives the column with this same function.
pub fn event_time_ms(summary: &EnvelopeSummary, received_at_ms: i64) -> i64 {
    summary.event_time_ms.unwrap_or(received_at_ms)
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
