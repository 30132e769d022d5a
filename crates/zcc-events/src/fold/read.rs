//! [`read_fold_fields`]: what the fold reads, straight from a stored body's text.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess};

use super::{FoldFields, ObjectFields};
use crate::envelope::{Doc, DocSeed, Fields, Scalar};
use crate::kind::{EventKind, FamilyKind};
use crate::time::{TIME_KEYS, TimeFields, select_event_time};
use crate::tolerant;

/// Read what the fold needs straight from a stored body's text, without building the typed
/// event: the envelope, the object's text fields as borrowed slices, its times.
///
/// `None` means "read the typed event instead" ([`crate::parse_event_str_with`]); it never
/// means the body is wrong. It gives up on: a body serde_json refuses or that starts with a
/// byte-order mark; a missing `event`, a missing or repeated `payload` or `object`, or one of
/// them of the wrong type; an explicit conference event (rosters are read typed; when `event`
/// comes first the reading stops at `payload`); a field the fold reads that is escaped, a
/// number, or anything but a string or null; an id the family cannot do without that is
/// missing.
pub fn read_fold_fields(text: &str) -> Option<FoldFields<'_>> {
    if text.starts_with(tolerant::BOM) {
        return None;
    }
    let mut acc = Acc::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let top = DocSeed(RootFields { acc: &mut acc })
        .deserialize(&mut de)
        .ok()?;
    let object = matches!(top, Doc::Object(_));
    de.end().ok()?;
    if !object || acc.irregular {
        return None;
    }
    let kind = acc.kind??;
    let family = kind.family();
    if acc.payloads != 1 || acc.objects != 1 {
        return None;
    }
    let o = &acc.object;
    let required: &[Option<&str>] = match family {
        FamilyKind::Conference => return None,
        FamilyKind::Other => &[],
        FamilyKind::Task => &[o.task_id, acc.engagement_id],
        FamilyKind::Reservation => &[o.task_reservation_id, acc.engagement_id],
        FamilyKind::Recording => &[o.recording_id],
        _ => &[acc.engagement_id],
    };
    if required.iter().any(Option::is_none) {
        return None;
    }
    let event_ts = acc.event_ts.as_ref().and_then(Scalar::epoch_ms);
    let event_time_ms = select_event_time(&kind, &acc.times, event_ts);
    let created_at = match family {
        FamilyKind::Reservation => acc.times.created_time_ms.or(acc.times.created_time),
        _ => None,
    };
    Some(FoldFields {
        kind: Cow::Owned(kind),
        family,
        account_id: acc.account_id,
        engagement_id: acc.engagement_id,
        event_time_ms,
        created_at,
        object: acc.object.only(family),
        conference: None,
    })
}

/// What the fast reading gathers while it walks the body.
///
/// Values the fold does not read are skipped with serde's `IgnoredAny`, which checks the
/// grammar without the value reader's limits (a number's size, a lone surrogate escape, the
/// depth). That is safe here and only here: the typed reading accepts every such body too
/// (through the tolerant copy, see `tolerant`), and what it reads from the copy is the same,
/// since the fast reading takes no value that the copy changes.
#[derive(Default)]
struct Acc<'a> {
    /// The `event` name (the last one, as in the typed reading); `Some(None)` when it is not a
    /// string.
    kind: Option<Option<EventKind>>,
    event_ts: Option<Scalar<'a>>,
    payloads: u32,
    objects: u32,
    account_id: Option<&'a str>,
    engagement_id: Option<&'a str>,
    times: TimeFields,
    object: ObjectFields<'a>,
    /// A field the fold reads held something the fast reading does not take.
    irregular: bool,
}

/// A text field the fold reads: a string without escapes, or null (a later key of the same
/// name wins, as in the typed reading). `false` when the value is anything else.
fn read_text<'de, A: MapAccess<'de>>(
    map: &mut A,
    slot: &mut Option<&'de str>,
) -> Result<bool, A::Error> {
    match map.next_value::<Scalar<'de>>()? {
        Scalar::Str(Cow::Borrowed(s)) => *slot = Some(s),
        Scalar::Null => *slot = None,
        _ => return Ok(false),
    }
    Ok(true)
}

/// Read the next value into `fields` when it is an object; `false` when it is anything else.
fn read_object<'de, A: MapAccess<'de>, T: Fields<'de>>(
    map: &mut A,
    fields: T,
) -> Result<bool, A::Error> {
    Ok(matches!(
        map.next_value_seed(DocSeed(fields))?,
        Doc::Object(_)
    ))
}

struct RootFields<'r, 'a> {
    acc: &'r mut Acc<'a>,
}

impl<'de> Fields<'de> for RootFields<'_, 'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "event" => {
                self.acc.kind = Some(match map.next_value::<Scalar<'de>>()? {
                    Scalar::Str(name) => Some(EventKind::from_name(&name)),
                    _ => None,
                });
            }
            "event_ts" => self.acc.event_ts = Some(map.next_value()?),
            "payload" => {
                // An explicit conference event is read typed: stop now rather than read on.
                if let Some(Some(kind)) = &self.acc.kind
                    && kind.family() == FamilyKind::Conference
                {
                    return Err(A::Error::custom(
                        "explicit conference events are read typed",
                    ));
                }
                self.acc.payloads += 1;
                let acc = &mut *self.acc;
                if !read_object(map, PayloadFields { acc })? {
                    self.acc.irregular = true;
                }
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct PayloadFields<'r, 'a> {
    acc: &'r mut Acc<'a>,
}

impl<'de> Fields<'de> for PayloadFields<'_, 'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "account_id" => {
                if !read_text(map, &mut self.acc.account_id)? {
                    self.acc.irregular = true;
                }
            }
            "object" => {
                self.acc.objects += 1;
                let acc = &mut *self.acc;
                if !read_object(map, ObjectReader { acc })? {
                    self.acc.irregular = true;
                }
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct ObjectReader<'r, 'a> {
    acc: &'r mut Acc<'a>,
}

impl<'de> Fields<'de> for ObjectReader<'_, 'de> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        let acc = &mut *self.acc;
        let slot = match key {
            "engagement_id" => Some(&mut acc.engagement_id),
            _ => acc.object.slot(key),
        };
        if let Some(slot) = slot {
            if !read_text(map, slot)? {
                acc.irregular = true;
            }
            return Ok(());
        }
        if TIME_KEYS.contains(&key) {
            let value = map.next_value::<Scalar<'de>>()?;
            acc.times.set(key, value.epoch_ms());
            return Ok(());
        }
        map.next_value::<IgnoredAny>()?;
        Ok(())
    }
}
