//! The envelope: `event`, `event_ts`, `payload` (`account_id`, `object`), read without
//! building the document.
//!
//! [`read_envelope`] deserialises straight into small borrowed structs and skips every other
//! value. Skipped values are still fully parsed (strings unescaped, numbers range-checked), so
//! a body is accepted here exactly when [`crate::parse_event`] accepts it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::ids::EngagementId;
use crate::kind::EventKind;
use crate::time::{
    TIME_KEYS, TimeFields, ms_from_f64, parse_time_str, plausible_ms, select_event_time,
};
use crate::tolerant;

/// What the log reads from a body at append time: enough to index it by engagement and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeSummary {
    /// The `event` name, verbatim (for example `contact_center.engagement_user_hold`).
    pub event: String,
    /// Event time in milliseconds since the Unix epoch (SPEC I7): the object's time for its
    /// family (see [`crate::select_event_time`]), else `event_ts`; `None` when the body carries
    /// no readable time at all.
    pub event_time_ms: Option<i64>,
    /// `payload.account_id`, when present and a string (a number is read as its text).
    pub account_id: Option<String>,
    /// `payload.object.engagement_id`, when present and a string (a number is read as its
    /// text).
    pub engagement_id: Option<EngagementId>,
    /// The top-level `event_ts` read strictly, for a key that must agree with any other
    /// reader of the same bytes (the SQLite log's dedupe key, which SQLite computed itself
    /// before): `Some(n)` when the body has one `event_ts` key, spelled without escapes, whose
    /// value is a JSON integer that fits in an `i64`; `Some(0)` when it has none, or one whose
    /// value is not a number. `None` when that reading is not certain: the key twice (readers
    /// differ on which one counts), an escaped spelling, or a number with a fraction, an
    /// exponent or more than 64 bits. Then the other reader must read the bytes itself.
    pub strict_event_ts: Option<i64>,
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

/// Read the envelope of a raw body. Only `event` (a string) and `payload` (an object) are
/// required (SPEC I6); everything else is optional and never rejected. Any valid JSON (RFC
/// 8259) is read, whatever its numbers, escapes or depth, and a leading byte-order mark is
/// skipped (see `tolerant`).
pub fn read_envelope(body: &[u8]) -> Result<EnvelopeSummary, EnvelopeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(EnvelopeError::Empty);
    }
    let text = std::str::from_utf8(body).map_err(|e| EnvelopeError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let (text, bom) = tolerant::strip_bom(text);
    match read_text(text, !bom) {
        Err(EnvelopeError::NotJson { message }) => match tolerant::readable_copy(text) {
            // Valid JSON all the same: read a copy (the log stores the body as received).
            Some(copy) => read_text(&copy, false),
            None => Err(EnvelopeError::NotJson { message }),
        },
        read => read,
    }
}

/// [`read_envelope`] of a text; `strict_ts: false` leaves
/// [`EnvelopeSummary::strict_event_ts`] uncertain (`None`): the text read is not the body as
/// stored (a byte-order mark skipped, or a copy of valid JSON that serde_json refused), so
/// another reader of the stored bytes must read them itself.
#[inline(always)]
fn read_text(text: &str, strict_ts: bool) -> Result<EnvelopeSummary, EnvelopeError> {
    let top: Doc<Root<'_>> = serde_json::from_str(text).map_err(|e| EnvelopeError::NotJson {
        message: e.to_string(),
    })?;
    let root = match top {
        Doc::Object(root) => root,
        Doc::Not(found) => return Err(EnvelopeError::NotObject { found }),
    };
    let strict_event_ts = root.strict_event_ts().filter(|_| strict_ts);
    let event = match root.event {
        None => return Err(EnvelopeError::MissingEvent),
        Some(Scalar::Str(s)) => s.into_owned(),
        Some(other) => {
            return Err(EnvelopeError::EventNotString {
                found: other.type_name(),
            });
        }
    };
    let payload = match root.payload {
        None => return Err(EnvelopeError::MissingPayload),
        Some(Doc::Object(p)) => p,
        Some(Doc::Not(found)) => return Err(EnvelopeError::PayloadNotObject { found }),
    };
    let event_ts = root.event_ts.as_ref().and_then(Scalar::epoch_ms);
    let account_id = payload.account_id.and_then(Scalar::into_text);
    let (engagement_id, times) = match payload.object {
        Some(Doc::Object(object)) => {
            let id = object
                .engagement_id
                .and_then(Scalar::into_text)
                .map(EngagementId::from);
            let mut times = TimeFields::default();
            for (key, value) in TIME_KEYS.iter().zip(&object.times) {
                times.set(key, value.as_ref().and_then(Scalar::epoch_ms));
            }
            (id, times)
        }
        _ => (None, TimeFields::default()),
    };
    let kind = EventKind::from_name(&event);
    let event_time_ms = select_event_time(&kind, &times, event_ts);
    Ok(EnvelopeSummary {
        event,
        event_time_ms,
        account_id,
        engagement_id,
        strict_event_ts,
    })
}

/// A JSON value kept only as far as the envelope needs it.
pub(crate) enum Scalar<'a> {
    Null,
    Bool,
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(Cow<'a, str>),
    Array,
    Object,
}

impl Scalar<'_> {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool => "a boolean",
            Scalar::Int(_) | Scalar::Uint(_) | Scalar::Float(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }

    /// Same reading as the typed model's time fields: a time outside
    /// [`crate::time::PLAUSIBLE_MS`] is no time.
    pub(crate) fn epoch_ms(&self) -> Option<i64> {
        match self {
            Scalar::Str(s) => parse_time_str(s),
            Scalar::Int(i) => Some(*i),
            Scalar::Uint(u) => i64::try_from(*u).ok().or_else(|| ms_from_f64(*u as f64)),
            Scalar::Float(f) => ms_from_f64(*f),
            _ => None,
        }
        .and_then(plausible_ms)
    }

    /// Same reading as the typed model's string fields: a number becomes its JSON text.
    fn into_text(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s.into_owned()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Uint(u) => Some(u.to_string()),
            Scalar::Float(f) => serde_json::Number::from_f64(f).map(|n| n.to_string()),
            _ => None,
        }
    }
}

/// Any JSON value, parsed and dropped.
pub(crate) struct Skip;

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_none<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Uint(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar<'de>, A::Error> {
        SkipVisitor.visit_seq(seq).map(|_| Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar<'de>, A::Error> {
        SkipVisitor.visit_map(map).map(|_| Scalar::Object)
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// A map key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Scalar::deserialize(d)? {
            Scalar::Str(s) => Ok(Key(s)),
            other => Err(de::Error::custom(format!(
                "map key is {}, not a string",
                other.type_name()
            ))),
        }
    }
}

/// The fields of one JSON object that the envelope reads. Duplicate keys: the last wins, as
/// in `serde_json::Value`.
pub(crate) trait Fields<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;

    /// Called before [`Fields::field`] when the key was spelled with escapes (`key` is what
    /// they decode to).
    fn escaped_key(&mut self, _key: &str) {}
}

/// An object read into `T`, or the type of whatever else was there.
pub(crate) enum Doc<T> {
    Object(T),
    Not(&'static str),
}

/// Reads a [`Doc`] into the given `T` (one that carries how to read its fields); a `T` that
/// needs nothing starts from `Default` through `Deserialize`.
pub(crate) struct DocSeed<T>(pub(crate) T);

impl<'de, T: Fields<'de>> DeserializeSeed<'de> for DocSeed<T> {
    type Value = Doc<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Doc<T>, D::Error> {
        d.deserialize_any(DocVisitor(self.0))
    }
}

struct DocVisitor<T>(T);

impl<'de, T: Fields<'de>> Visitor<'de> for DocVisitor<T> {
    type Value = Doc<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Doc<T>, E> {
        Ok(Doc::Not("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Doc<T>, E> {
        Ok(Doc::Not("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Doc<T>, E> {
        Ok(Doc::Not("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Doc<T>, E> {
        Ok(Doc::Not("a number"))
    }
    fn visit_str<E>(self, _: &str) -> Result<Doc<T>, E> {
        Ok(Doc::Not("a string"))
    }
    fn visit_unit<E>(self) -> Result<Doc<T>, E> {
        Ok(Doc::Not("null"))
    }
    fn visit_none<E>(self) -> Result<Doc<T>, E> {
        Ok(Doc::Not("null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Doc<T>, A::Error> {
        SkipVisitor.visit_seq(seq).map(|_| Doc::Not("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc<T>, A::Error> {
        let mut fields = self.0;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if let Cow::Owned(decoded) = &key {
                fields.escaped_key(decoded);
            }
            fields.field(&key, &mut map)?;
        }
        Ok(Doc::Object(fields))
    }
}

impl<'de, T: Fields<'de> + Default> Deserialize<'de> for Doc<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DocSeed(T::default()).deserialize(d)
    }
}

#[derive(Default)]
struct Root<'a> {
    event: Option<Scalar<'a>>,
    event_ts: Option<Scalar<'a>>,
    /// How many `event_ts` keys the object has, and whether one was spelled with escapes.
    event_ts_keys: u32,
    event_ts_escaped: bool,
    payload: Option<Doc<Payload<'a>>>,
}

impl Root<'_> {
    /// [`EnvelopeSummary::strict_event_ts`].
    fn strict_event_ts(&self) -> Option<i64> {
        if self.event_ts_escaped || self.event_ts_keys > 1 {
            return None;
        }
        match &self.event_ts {
            None => Some(0),
            Some(Scalar::Int(i)) => Some(*i),
            Some(Scalar::Uint(u)) => i64::try_from(*u).ok(),
            // `1.0`, `1e3`, `-0` and integers beyond 64 bits all arrive as floats.
            Some(Scalar::Float(_)) => None,
            Some(_) => Some(0),
        }
    }
}

impl<'de> Fields<'de> for Root<'de> {
    fn escaped_key(&mut self, key: &str) {
        if key == "event_ts" {
            self.event_ts_escaped = true;
        }
    }

    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "event" => self.event = Some(map.next_value()?),
            "event_ts" => {
                self.event_ts_keys += 1;
                self.event_ts = Some(map.next_value()?);
            }
            "payload" => self.payload = Some(map.next_value()?),
            _ => {
                map.next_value::<Skip>()?;
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct Payload<'a> {
    account_id: Option<Scalar<'a>>,
    object: Option<Doc<Object<'a>>>,
}

impl<'de> Fields<'de> for Payload<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "account_id" => self.account_id = Some(map.next_value()?),
            "object" => self.object = Some(map.next_value()?),
            _ => {
                map.next_value::<Skip>()?;
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct Object<'a> {
    engagement_id: Option<Scalar<'a>>,
    /// In the order of [`TIME_KEYS`].
    times: [Option<Scalar<'a>>; 8],
}

impl<'de> Fields<'de> for Object<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        if key == "engagement_id" {
            self.engagement_id = Some(map.next_value()?);
        } else if let Some(i) = TIME_KEYS.iter().position(|k| *k == key) {
            self.times[i] = Some(map.next_value()?);
        } else {
            map.next_value::<Skip>()?;
        }
        Ok(())
    }
}
