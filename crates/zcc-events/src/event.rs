//! A whole webhook body read into the typed model: [`parse_event`].

use serde::Serialize;
use serde_json::{Map, Value};

use crate::envelope::{EnvelopeError, json_type_name};
use crate::family::{Family, read_family};
use crate::ids::{AccountId, EngagementId};
use crate::kind::EventKind;
use crate::reader::{Reader, TIME_EXPECTED, time_of};
use crate::time::{TIME_KEYS, TimeFields, select_event_time};
use crate::warning::{FieldWarning, WarningAction, describe};

/// One webhook body, read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZccEvent {
    /// The `event` name.
    pub kind: EventKind,
    /// The envelope's `event_ts` (epoch milliseconds), when present and readable.
    pub event_ts: Option<i64>,
    /// `payload.account_id`.
    pub account_id: Option<AccountId>,
    /// `payload.object.engagement_id`.
    pub engagement_id: Option<EngagementId>,
    /// Event time (SPEC I7, see [`crate::select_event_time`]): the object's time for its
    /// family, else `event_ts`.
    pub event_time_ms: Option<i64>,
    /// The typed `payload.object`.
    pub object: Family,
    /// Every field that could not be read as expected. Never a reason to reject the event.
    pub warnings: Vec<FieldWarning>,
}

/// Where two events with equal event time fall in the fold (SPEC I7): event time, then
/// [`EventKind::tie_break_rank`], then the SHA-256 of the raw body. Never arrival order, so the
/// same events delivered in any order fold identically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderKey {
    pub event_time_ms: i64,
    pub rank: u16,
    pub body_sha256: [u8; 32],
}

impl OrderKey {
    pub fn new(event_time_ms: i64, kind: &EventKind, body_sha256: [u8; 32]) -> OrderKey {
        OrderKey {
            event_time_ms,
            rank: kind.tie_break_rank(),
            body_sha256,
        }
    }
}

impl ZccEvent {
    /// This event's [`OrderKey`]. `fallback_time_ms` is used when the body carries no time at
    /// all (the log uses its received time).
    pub fn order_key(&self, fallback_time_ms: i64, body_sha256: [u8; 32]) -> OrderKey {
        OrderKey::new(
            self.event_time_ms.unwrap_or(fallback_time_ms),
            &self.kind,
            body_sha256,
        )
    }
}

/// Read a raw webhook body into the typed model.
///
/// Fails only when the body is not an envelope (the same cases, with the same errors, as
/// [`crate::read_envelope`]). Anything else that is wrong degrades a field and is recorded in
/// [`ZccEvent::warnings`].
pub fn parse_event(body: &[u8]) -> Result<ZccEvent, EnvelopeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(EnvelopeError::Empty);
    }
    let text = std::str::from_utf8(body).map_err(|e| EnvelopeError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| EnvelopeError::NotJson {
        message: e.to_string(),
    })?;
    let mut root = match value {
        Value::Object(map) => map,
        other => {
            return Err(EnvelopeError::NotObject {
                found: json_type_name(&other),
            });
        }
    };
    let kind = match root.get("event") {
        None => return Err(EnvelopeError::MissingEvent),
        Some(Value::String(s)) => EventKind::from_name(s),
        Some(other) => {
            return Err(EnvelopeError::EventNotString {
                found: json_type_name(other),
            });
        }
    };
    let mut payload = match root.remove("payload") {
        None => return Err(EnvelopeError::MissingPayload),
        Some(Value::Object(p)) => p,
        Some(other) => {
            return Err(EnvelopeError::PayloadNotObject {
                found: json_type_name(&other),
            });
        }
    };

    let mut warnings = Vec::new();
    let event_ts = match root.get("event_ts") {
        None => None,
        Some(v) => match time_of(v) {
            Ok(ms) => ms,
            Err(()) => {
                warnings.push(warning("event_ts", TIME_EXPECTED, Some(v)));
                None
            }
        },
    };
    let account_id = match payload.remove("account_id") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let mut r = Reader::new(Map::new(), "payload".to_owned(), &mut warnings);
            r.map.insert("account_id".to_owned(), v);
            r.id::<AccountId>("account_id")
        }
    };
    let object = match payload.remove("object") {
        Some(Value::Object(m)) => Some(m),
        other => {
            warnings.push(warning("payload.object", "an object", other.as_ref()));
            None
        }
    };

    let (object, engagement_id, times) = match object {
        None => (Family::Other(Map::new()), None, TimeFields::default()),
        Some(map) => {
            let family = read_family(
                kind.family(),
                Reader::new(map, "payload.object".to_owned(), &mut warnings),
            );
            match family.times() {
                Some(times) => {
                    let id = family.engagement_id().cloned();
                    (family, id, times)
                }
                None => {
                    let Family::Other(map) = &family else {
                        unreachable!("only Family::Other has no typed times")
                    };
                    let (id, times) = peek_other(map, &mut warnings);
                    (family, id, times)
                }
            }
        }
    };
    let event_time_ms = select_event_time(&kind, &times, event_ts);
    Ok(ZccEvent {
        kind,
        event_ts,
        account_id,
        engagement_id,
        event_time_ms,
        object,
        warnings,
    })
}

fn warning(path: &str, expected: &'static str, found: Option<&Value>) -> FieldWarning {
    FieldWarning {
        path: path.to_owned(),
        expected,
        found: describe(found),
        action: WarningAction::Ignored,
    }
}

/// The engagement id and times of an object kept verbatim: read without taking anything out.
fn peek_other(
    map: &Map<String, Value>,
    warnings: &mut Vec<FieldWarning>,
) -> (Option<EngagementId>, TimeFields) {
    let engagement_id = match map.get("engagement_id") {
        Some(Value::String(s)) => Some(EngagementId(s.clone())),
        v @ Some(Value::Number(n)) => {
            warnings.push(FieldWarning {
                action: WarningAction::Converted,
                ..warning("payload.object.engagement_id", "a string", v)
            });
            Some(EngagementId(n.to_string()))
        }
        None | Some(Value::Null) => None,
        Some(v) => {
            warnings.push(warning("payload.object.engagement_id", "a string", Some(v)));
            None
        }
    };
    let mut times = TimeFields::default();
    for key in TIME_KEYS {
        if let Some(v) = map.get(key) {
            match time_of(v) {
                Ok(ms) => times.set(key, ms),
                Err(()) => warnings.push(warning(
                    &format!("payload.object.{key}"),
                    TIME_EXPECTED,
                    Some(v),
                )),
            }
        }
    }
    (engagement_id, times)
}
