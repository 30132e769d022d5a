//! From raw bytes to a [`NewEvent`]: the checks shared by the HTTP receiver and import.

use zcc_events::{EnvelopeError, read_envelope};

use crate::types::{DeliveryMeta, Digest, EngagementId, NewEvent, Source};

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
    let columns = body_columns(body, received_at_ms)?;
    // body_columns has checked UTF-8 already.
    let text = String::from_utf8(body.to_vec()).map_err(|e| EnvelopeError::NotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })?;
    Ok(NewEvent {
        body_sha256,
        body: text,
        event_type: columns.event_type,
        event_time_ms: columns.event_time_ms,
        account_id: columns.account_id,
        engagement_id: columns.engagement_id,
        received_at_ms,
        source,
        delivery,
        dedupe_ts: columns.dedupe_ts,
    })
}

/// What the log stores about a body that is read from the body itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyColumns {
    pub event_type: String,
    /// SPEC I7: the time the envelope gives, else the time the body was received.
    pub event_time_ms: i64,
    /// Whether `event_time_ms` came from the body (else it is the receive time).
    pub has_own_time: bool,
    pub account_id: Option<String>,
    pub engagement_id: Option<EngagementId>,
    /// [`NewEvent::dedupe_ts`].
    pub dedupe_ts: Option<i64>,
}

/// Read the columns the log stores from a body received at `received_at_ms`: the one reading
/// the append makes ([`prepare`]) and `verify` makes again to check the stored columns.
pub fn body_columns(body: &[u8], received_at_ms: i64) -> Result<BodyColumns, EnvelopeError> {
    let summary = read_envelope(body)?;
    Ok(BodyColumns {
        event_time_ms: summary.event_time_ms.unwrap_or(received_at_ms),
        has_own_time: summary.event_time_ms.is_some(),
        event_type: summary.event,
        account_id: summary.account_id,
        engagement_id: summary.engagement_id,
        dedupe_ts: summary.strict_event_ts,
    })
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
