//! A whole webhook body read into the typed model: [`parse_event`].

use serde::Serialize;
use serde::de::MapAccess;
use serde_json::{Map, Value};

use crate::envelope::{Doc, DocSeed, EnvelopeError, Fields, Scalar, Skip};
use crate::family::{Family, read_family, shape_of};
use crate::ids::{AccountId, EngagementId};
use crate::kind::{EventKind, FamilyKind};
use crate::reader::{Lazy, Reader, Shape, SlotsOrValue, SlotsSeed, Slotted, lazy_time_of, time_of};
use crate::time::{TIME_KEYS, TimeFields, select_event_time};
use crate::tolerant;
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

/// What [`parse_event_with`] keeps besides the typed fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Leave the `extra` of every typed object empty: unknown fields are still parsed (the
    /// body is checked as a whole) but not copied out. For readers of the typed fields only,
    /// such as the call model's fold; every typed field, the event time and the warnings are
    /// the same as without it. An object read as [`Family::Other`] is always kept whole.
    pub skip_extra: bool,
}

/// Read a raw webhook body into the typed model.
///
/// Fails only when the body is not an envelope (the same cases, with the same errors, as
/// [`crate::read_envelope`]). Anything else that is wrong degrades a field and is recorded in
/// [`ZccEvent::warnings`].
pub fn parse_event(body: &[u8]) -> Result<ZccEvent, EnvelopeError> {
    parse_event_with(body, ParseOptions::default())
}

/// [`parse_event`], keeping what `options` say.
pub fn parse_event_with(body: &[u8], options: ParseOptions) -> Result<ZccEvent, EnvelopeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(EnvelopeError::Empty);
    }
    let text = std::str::from_utf8(body).map_err(|e| EnvelopeError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    parse_event_str_with(text, options)
}

/// [`parse_event_with`] of a body that is text already (a stored body, checked as UTF-8 when it
/// was read): the same answer, without checking the bytes again.
pub fn parse_event_str_with(body: &str, options: ParseOptions) -> Result<ZccEvent, EnvelopeError> {
    if body.bytes().all(|b| b.is_ascii_whitespace()) {
        return Err(EnvelopeError::Empty);
    }
    let (text, _) = tolerant::strip_bom(body);
    match parse_whole(text, options) {
        Err(EnvelopeError::NotJson { message }) => match tolerant::readable_copy(text) {
            // Valid JSON all the same (see `tolerant`): read a copy.
            Some(copy) => parse_whole(&copy, options),
            None => Err(EnvelopeError::NotJson { message }),
        },
        parsed => parsed,
    }
}

/// [`parse_event_with`] of a text that is UTF-8 already.
fn parse_whole(text: &str, options: ParseOptions) -> Result<ZccEvent, EnvelopeError> {
    let parsed = if options.skip_extra {
        parse_text::<true, true>(text)?
    } else {
        parse_text::<true, false>(text)?
    };
    match parsed {
        Some(event) => Ok(event),
        // The object was read for another family than the event's (a repeated `event` key),
        // or it must be kept whole and parts of it were skipped: read it again as a whole.
        None if options.skip_extra => Ok(parse_text::<false, true>(text)?.expect("read whole")),
        None => Ok(parse_text::<false, false>(text)?.expect("read whole")),
    }
}

/// One pass over the body. `SEED`: when `event` comes before `payload` (as Zoom sends it),
/// `payload.object` is read straight into its family's fields; else it is read as a whole
/// first. `SKIP`: fields outside the family are skipped. `Ok(None)` when a seeded pass cannot
/// give the right answer (see [`parse_event_with`]); a pass without `SEED` always gives one.
fn parse_text<const SEED: bool, const SKIP: bool>(
    text: &str,
) -> Result<Option<ZccEvent>, EnvelopeError> {
    // Straight from the text into borrowed parts: no `Value` for the body, only for what ends
    // up in an `extra` map or a warning.
    let top: Doc<Root<'_, SEED, SKIP>> =
        serde_json::from_str(text).map_err(|e| EnvelopeError::NotJson {
            message: e.to_string(),
        })?;
    let root = match top {
        Doc::Object(root) => root,
        Doc::Not(found) => return Err(EnvelopeError::NotObject { found }),
    };
    let kind = match &root.event {
        None => return Err(EnvelopeError::MissingEvent),
        Some(Scalar::Str(s)) => EventKind::from_name(s),
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

    let mut warnings = Vec::new();
    let event_ts = match &root.event_ts {
        None => None,
        Some(v) => match lazy_time_of(v) {
            Ok(ms) => ms,
            Err(expected) => {
                warnings.push(warning("event_ts", expected, Some(v)));
                None
            }
        },
    };
    let account_id = match payload.account_id {
        None | Some(Lazy::Null) => None,
        Some(v) => {
            let mut r = Reader::from_slotted(
                Slotted::one(ACCOUNT, v),
                "payload".into(),
                &mut warnings,
                false,
            );
            r.id::<AccountId>(0, "account_id")
        }
    };
    let family_kind = kind.family();
    let object = match payload.object {
        Some(ObjectRead::Whole(Lazy::Object(entries))) => {
            Some(Slotted::from_entries(entries, shape_of(family_kind)))
        }
        Some(ObjectRead::Slots(family, SlotsOrValue::Object(slotted))) => {
            if family != family_kind {
                return Ok(None);
            }
            Some(slotted)
        }
        Some(ObjectRead::Whole(other) | ObjectRead::Slots(_, SlotsOrValue::Not(other))) => {
            warnings.push(warning("payload.object", "an object", Some(&other)));
            None
        }
        None => {
            warnings.push(warning("payload.object", "an object", None));
            None
        }
    };

    let (object, engagement_id, times) = match object {
        None => (Family::Other(Map::new()), None, TimeFields::default()),
        Some(slotted) => {
            let skipped = slotted.skipped;
            let family = read_family(family_kind, slotted, &mut warnings, !SKIP);
            if skipped && matches!(family, Family::Other(_)) {
                // Kept whole, but fields were skipped.
                return Ok(None);
            }
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
    Ok(Some(ZccEvent {
        kind,
        event_ts,
        account_id,
        engagement_id,
        event_time_ms,
        object,
        warnings,
    }))
}

/// `payload.account_id`, read alone.
const ACCOUNT: Shape = Shape {
    names: &["account_id"],
    slot: |key| (key == "account_id").then_some(0),
};

/// The envelope as `parse_event` reads it; other top-level fields are parsed and dropped.
#[derive(Default)]
struct Root<'a, const SEED: bool, const SKIP: bool> {
    event: Option<Scalar<'a>>,
    event_ts: Option<Lazy<'a>>,
    payload: Option<Doc<Payload<'a>>>,
}

impl<'de, const SEED: bool, const SKIP: bool> Fields<'de> for Root<'de, SEED, SKIP> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "event" => self.event = Some(map.next_value()?),
            "event_ts" => self.event_ts = Some(map.next_value()?),
            "payload" => {
                let family = match &self.event {
                    Some(Scalar::Str(name)) if SEED => Some(EventKind::from_name(name).family()),
                    _ => None,
                };
                self.payload = Some(map.next_value_seed(DocSeed(Payload::reading(family, SKIP)))?);
            }
            _ => {
                map.next_value::<Skip>()?;
            }
        }
        Ok(())
    }
}

struct Payload<'a> {
    /// The family named by an `event` read before `payload`, if any: `object` is then read
    /// straight into its fields.
    family: Option<FamilyKind>,
    /// Skip the fields outside the family.
    skip: bool,
    account_id: Option<Lazy<'a>>,
    object: Option<ObjectRead<'a>>,
}

impl Payload<'_> {
    fn reading(family: Option<FamilyKind>, skip: bool) -> Self {
        Payload {
            family,
            skip,
            account_id: None,
            object: None,
        }
    }
}

/// `payload.object` as read: whole, or sorted into the fields of the family named by an
/// `event` read before it.
enum ObjectRead<'a> {
    Whole(Lazy<'a>),
    Slots(FamilyKind, SlotsOrValue<'a>),
}

impl<'de> Fields<'de> for Payload<'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "account_id" => self.account_id = Some(map.next_value()?),
            "object" => {
                self.object = Some(match self.family {
                    Some(family) if family != FamilyKind::Other => {
                        let seed = SlotsSeed {
                            shape: shape_of(family),
                            skip_unknown: self.skip,
                        };
                        ObjectRead::Slots(family, map.next_value_seed(seed)?)
                    }
                    _ => ObjectRead::Whole(map.next_value()?),
                });
            }
            _ => {
                map.next_value::<Skip>()?;
            }
        }
        Ok(())
    }
}

fn warning(path: &str, expected: &'static str, found: Option<&Lazy<'_>>) -> FieldWarning {
    FieldWarning {
        path: path.to_owned(),
        expected,
        found: describe(found.map(Lazy::to_value).as_ref()),
        action: WarningAction::Ignored,
    }
}

fn value_warning(path: &str, expected: &'static str, found: Option<&Value>) -> FieldWarning {
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
        Some(Value::String(s)) => Some(EngagementId::from(s.as_str())),
        v @ Some(Value::Number(n)) => {
            warnings.push(FieldWarning {
                action: WarningAction::Converted,
                ..value_warning("payload.object.engagement_id", "a string", v)
            });
            Some(EngagementId::from(n.to_string()))
        }
        None | Some(Value::Null) => None,
        Some(v) => {
            warnings.push(value_warning(
                "payload.object.engagement_id",
                "a string",
                Some(v),
            ));
            None
        }
    };
    let mut times = TimeFields::default();
    for key in TIME_KEYS {
        if let Some(v) = map.get(key) {
            match time_of(v) {
                Ok(ms) => times.set(key, ms),
                Err(expected) => warnings.push(value_warning(
                    &format!("payload.object.{key}"),
                    expected,
                    Some(v),
                )),
            }
        }
    }
    (engagement_id, times)
}
