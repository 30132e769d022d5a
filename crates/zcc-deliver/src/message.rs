//! The message body, `{"type", "timestamp", "data"}`, and the `webhook-id` of each message.
//!
//! - a fact: `type` is its SPEC 5 name, `data` its `derived_events` row plus `event_id` and
//!   `revision`;
//! - a retraction: `type` `derived_event.retracted`, `data` `{engagement_id, account_id,
//!   event_id, kind, revision}`;
//! - a raw event: `type` `zoom.<event>` (`zoom.contact_center.engagement_started`), `data`
//!   `{position, received_at, event_time, source, account_id, engagement_id, payload}` with
//!   the body as received under `payload`.
//!
//! `timestamp` is when the message was queued. The `webhook-id` is derived from what the
//! message says (subscription, engagement, `event_id`, revision; or the log position), so it
//! is the same on every attempt and on a redelivery.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use zcc_store::LogEntry;
use zcc_store::outbound::SubscriptionId;

use crate::correct::Change;
use crate::fact::rfc3339_ms;

/// The `type` of a retraction.
pub const RETRACTED: &str = "derived_event.retracted";

/// The `type` of a raw event: `zoom.` + Zoom's event name.
pub fn raw_type(event_type: &str) -> String {
    format!("zoom.{event_type}")
}

/// A message ready to queue: its `type`, its `webhook-id` and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub event_type: String,
    pub webhook_id: String,
    pub body: String,
}

fn body(event_type: &str, queued_at_ms: i64, data: Map<String, Value>) -> String {
    serde_json::to_string(&json!({
        "type": event_type,
        "timestamp": rfc3339_ms(queued_at_ms),
        "data": Value::Object(data),
    }))
    .expect("a message serialises")
}

fn webhook_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(b"\0");
    }
    format!("msg_{}", hex::encode(&h.finalize()[..16]))
}

/// The message of one change of an engagement's revision, for one subscription.
pub fn change(
    subscription: SubscriptionId,
    engagement_id: &str,
    account_id: Option<&str>,
    revision: i64,
    change: &Change,
    queued_at_ms: i64,
) -> Outgoing {
    let (event_type, event_id, data) = match change {
        Change::Stands(fact) => {
            let mut data = fact.row.clone();
            data.insert("event_id".into(), fact.event_id.clone().into());
            data.insert("revision".into(), revision.into());
            (fact.kind.clone(), fact.event_id.as_str(), data)
        }
        Change::Retracted { event_id, kind } => {
            let mut data = Map::new();
            data.insert("engagement_id".into(), engagement_id.into());
            data.insert("account_id".into(), account_id.into());
            data.insert("event_id".into(), event_id.clone().into());
            data.insert("kind".into(), kind.clone().into());
            data.insert("revision".into(), revision.into());
            (RETRACTED.to_owned(), event_id.as_str(), data)
        }
    };
    let webhook_id = webhook_id(&[
        "fact",
        &subscription.to_string(),
        engagement_id,
        event_id,
        &revision.to_string(),
    ]);
    Outgoing {
        body: body(&event_type, queued_at_ms, data),
        event_type,
        webhook_id,
    }
}

/// The message of one raw event, for one subscription.
pub fn raw(subscription: SubscriptionId, entry: &LogEntry, queued_at_ms: i64) -> Outgoing {
    let event_type = raw_type(&entry.event_type);
    let payload = serde_json::from_str::<Value>(&entry.body)
        .unwrap_or_else(|_| Value::String(entry.body.clone()));
    let mut data = Map::new();
    data.insert("position".into(), entry.position.0.into());
    data.insert(
        "received_at".into(),
        rfc3339_ms(entry.received_at_ms).into(),
    );
    data.insert("event_time".into(), rfc3339_ms(entry.event_time_ms).into());
    data.insert("source".into(), entry.source.as_str().into());
    data.insert("account_id".into(), entry.account_id.clone().into());
    data.insert(
        "engagement_id".into(),
        entry.engagement_id.as_deref().into(),
    );
    data.insert("payload".into(), payload);
    let webhook_id = webhook_id(&[
        "raw",
        &subscription.to_string(),
        &entry.position.to_string(),
    ]);
    Outgoing {
        body: body(&event_type, queued_at_ms, data),
        event_type,
        webhook_id,
    }
}
