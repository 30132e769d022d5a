//! One store operation per delivered body: check it, append it through the group committer
//! (its delivery row in the same commit), or put it aside in the quarantine with its delivery
//! row. The HTTP receiver, after the signature check, calls [`Intake::receive`] and answers what
//! it returns; a recovered delivery takes the same path.

use std::sync::Arc;

use crate::group_commit::GroupCommitter;
use crate::ingest::prepare_digested;
use crate::{
    Appended, Delivery, DeliveryMeta, DeliveryOutcome, Digest, EventLog, NewEvent, QuarantineEntry,
    Source, StoreError,
};

/// The `event` of Zoom's endpoint check: about the webhook endpoint itself, not about calls, so
/// answered and recorded as a delivery, never appended. (Every other event type is appended,
/// known or not: SPEC I6.)
pub const URL_VALIDATION_EVENT: &str = "endpoint.url_validation";

/// What became of a received body.
#[derive(Debug)]
pub enum Received {
    /// In the log (new or a duplicate), its delivery recorded in the same commit.
    Appended(Appended),
    /// Not a webhook envelope: quarantined with `reason`, its delivery recorded.
    Quarantined { reason: String },
    /// Zoom's endpoint check ([`URL_VALIDATION_EVENT`]), checked but not stored: the caller
    /// answers it and records its delivery ([`Intake::record`]).
    UrlValidation,
}

/// The store's side of receiving deliveries: the log and its group committer.
#[derive(Clone)]
pub struct Intake {
    log: Arc<dyn EventLog>,
    committer: GroupCommitter,
}

impl Intake {
    pub fn new(log: Arc<dyn EventLog>, committer: GroupCommitter) -> Intake {
        Intake { log, committer }
    }

    /// Receive one body whose SHA-256 is `body_sha256`, delivered as `meta` says.
    pub async fn receive(
        &self,
        body: &[u8],
        body_sha256: Digest,
        source: Source,
        meta: DeliveryMeta,
    ) -> Result<Received, StoreError> {
        let received_at_ms = meta.received_at_ms;
        // The delivery goes into the event after the check, so `meta` is not copied: the
        // quarantine path still has it.
        let mut event = match prepare_digested(body, body_sha256, source, received_at_ms, None) {
            Ok(event) => event,
            Err(not_envelope) => {
                let reason = not_envelope.to_string();
                self.quarantine(body, body_sha256, source, meta, &reason)
                    .await?;
                return Ok(Received::Quarantined { reason });
            }
        };
        if event.event_type == URL_VALIDATION_EVENT {
            return Ok(Received::UrlValidation);
        }
        event.delivery = Some(meta);
        Ok(Received::Appended(self.committer.append(event).await?))
    }

    /// Put `body` aside with `reason` and record its delivery (a 400), in that order; both are
    /// durable when this returns.
    pub async fn quarantine(
        &self,
        body: &[u8],
        body_sha256: Digest,
        source: Source,
        meta: DeliveryMeta,
        reason: &str,
    ) -> Result<(), StoreError> {
        let entry = QuarantineEntry {
            received_at_ms: meta.received_at_ms,
            source,
            origin: source.as_str().to_owned(),
            reason: reason.to_owned(),
            body: body.to_vec(),
            body_sha256,
        };
        self.log.quarantine(vec![entry]).await?;
        let row = Delivery::refused(meta, DeliveryOutcome::Quarantined, 400, reason)
            .with_body(body_sha256, None);
        self.log.record_deliveries(vec![row]).await
    }

    /// Record a delivery row (one that [`Intake::receive`] did not record itself).
    pub async fn record(&self, delivery: Delivery) -> Result<(), StoreError> {
        self.log.record_deliveries(vec![delivery]).await
    }
}

impl Delivery {
    /// The delivery row of an appended event: stored or duplicate, answered 200, at the
    /// event's position. Both backends write it in the append's own commit.
    pub fn of_append(meta: DeliveryMeta, appended: Appended, event: &NewEvent) -> Delivery {
        Delivery {
            meta,
            outcome: DeliveryOutcome::of(appended),
            status: 200,
            position: Some(appended.position()),
            body_sha256: Some(event.body_sha256),
            event_type: Some(event.event_type.clone()),
            reason: None,
        }
    }

    /// The delivery row of a refusal (`status` is the answer given) with its reason.
    pub fn refused(
        meta: DeliveryMeta,
        outcome: DeliveryOutcome,
        status: u16,
        reason: &str,
    ) -> Delivery {
        Delivery {
            meta,
            outcome,
            status,
            position: None,
            body_sha256: None,
            event_type: None,
            reason: Some(reason.to_owned()),
        }
    }

    /// This row with the body's digest and event type, where they are known.
    pub fn with_body(mut self, body_sha256: Digest, event_type: Option<String>) -> Delivery {
        self.body_sha256 = Some(body_sha256);
        self.event_type = event_type;
        self
    }
}

impl DeliveryOutcome {
    /// `stored` or `duplicate`, as the append came out.
    pub fn of(appended: Appended) -> DeliveryOutcome {
        if appended.is_duplicate() {
            DeliveryOutcome::Duplicate
        } else {
            DeliveryOutcome::Stored
        }
    }
}
