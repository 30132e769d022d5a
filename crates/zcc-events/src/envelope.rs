//! The envelope: `event`, `event_ts`, `payload` (`account_id`, `object`).

use serde_json::Value;

/// What the log reads from a body at append time: enough to index it by engagement and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeSummary {
    /// The `event` name, verbatim (for example `contact_center.engagement_user_hold`).
    pub event: String,
    /// Event time in milliseconds since the Unix epoch (SPEC I7), when the body carries one.
    pub event_time_ms: Option<i64>,
    /// `payload.account_id`, when present and a string.
    pub account_id: Option<String>,
    /// `payload.object.engagement_id`, when present and a string.
    pub engagement_id: Option<String>,
}

/// Why a body is not a webhook envelope. Each message names what is wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("empty body")]
    Empty,
    #[error("body is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("body is not JSON: {message}")]
    NotJson { message: String },
    #[error("body is JSON but not an object (found {found})")]
    NotObject { found: &'static str },
    #[error("envelope has no \"event\" field")]
    MissingEvent,
    #[error("envelope field \"event\" is not a string (found {found})")]
    EventNotString { found: &'static str },
    #[error("envelope has no \"payload\" field")]
    MissingPayload,
    #[error("envelope field \"payload\" is not an object (found {found})")]
    PayloadNotObject { found: &'static str },
}

pub(crate) fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Read the envelope of a raw body. Only `event` (a string) and `payload` (an object) are
/// required (SPEC I6); everything else is optional and never rejected.
pub fn read_envelope(body: &[u8]) -> Result<EnvelopeSummary, EnvelopeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(EnvelopeError::Empty);
    }
    let text = std::str::from_utf8(body).map_err(|e| EnvelopeError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| EnvelopeError::NotJson {
        message: e.to_string(),
    })?;
    let Value::Object(map) = &value else {
        return Err(EnvelopeError::NotObject {
            found: json_type_name(&value),
        });
    };
    let event = match map.get("event") {
        None => return Err(EnvelopeError::MissingEvent),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(EnvelopeError::EventNotString {
                found: json_type_name(other),
            });
        }
    };
    let payload = match map.get("payload") {
        None => return Err(EnvelopeError::MissingPayload),
        Some(Value::Object(p)) => p,
        Some(other) => {
            return Err(EnvelopeError::PayloadNotObject {
                found: json_type_name(other),
            });
        }
    };
    let account_id = payload
        .get("account_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let object = payload.get("object").and_then(Value::as_object);
    let engagement_id = object
        .and_then(|o| o.get("engagement_id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let event_time_ms = map.get("event_ts").and_then(Value::as_i64);
    Ok(EnvelopeSummary {
        event,
        event_time_ms,
        account_id,
        engagement_id,
    })
}
