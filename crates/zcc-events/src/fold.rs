//! What the call model's fold reads of an event, borrowed: [`FoldFields`].
//!
//! The fold reads a few dozen text fields of each body, its event time and its ids. It can
//! read them two ways, with one meaning:
//!
//! - [`read_fold_fields`]: straight from the body's text, every field borrowed from it,
//!   everything else checked and skipped; it gives up (`None`) on anything irregular, and the
//!   caller then reads the typed event;
//! - [`ZccEvent::fold_fields`]: the same fields borrowed from a typed event.
//!
//! Both give the same answer wherever the first one answers (the property tests hold them
//! equal on Zoom's samples, simulated traffic and generated bodies).

use std::borrow::Cow;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess};

use crate::envelope::{Doc, DocSeed, Fields, Scalar};
use crate::event::ZccEvent;
use crate::family::{ConferenceObject, Family};
use crate::ids::{
    ActionType, Channel, ConsumerId, Direction, EngagementId, FlowId, InboxId, PhoneNumber,
    QueueId, RecordingId, ReservationId, TaskId, TransferLevel, TransferType, UserId,
};
use crate::kind::{EventKind, FamilyKind};
use crate::time::{TIME_KEYS, TimeFields, select_event_time};
use crate::tolerant;

macro_rules! object_fields {
    ($($field:ident),* $(,)?) => {
        /// The text fields of `payload.object` the fold reads, each borrowed as sent (ids,
        /// names, open enumerations, phone numbers). Only the fields the event's family's
        /// typed object has are set (see `family_fields!`).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct ObjectFields<'a> {
            $(pub $field: Option<&'a str>,)*
        }

        impl<'a> ObjectFields<'a> {
            /// The field a key of `payload.object` fills.
            fn slot(&mut self, key: &str) -> Option<&mut Option<&'a str>> {
                match key {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }
        }
    };
}

object_fields! {
    engagement_direction,
    channel,
    channel_name,
    flow_id,
    flow_name,
    cc_queue_id,
    queue_id,
    queue_name,
    consumer_id,
    consumer_number,
    consumer_display_name,
    caller_number,
    callee_number,
    user_id,
    user_display_name,
    task_id,
    task_reservation_id,
    recording_id,
    transfer_to_task_id,
    transfer_to_user_id,
    transfer_to_user_display_name,
    transfer_to_cc_queue_id,
    transfer_to_queue_name,
    transfer_to_number,
    transfer_to_flow_id,
    transfer_to_inbox_id,
    transfer_type,
    transfer_level,
    assigned_user_id,
    action_type,
    monitoring_user_id,
    monitoring_user_display_name,
    takeover_user_id,
    takeover_user_display_name,
    supervisor_id,
    supervisor_display_name,
    conference_id,
    request_id,
    disposition_id,
    disposition_name,
    note_id,
    note,
}

/// What the fold reads of one event (see the module's documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct FoldFields<'a> {
    pub kind: Cow<'a, EventKind>,
    /// The family the object was read as: the kind's, or [`FamilyKind::Other`] when a typed
    /// object lacked an id its family cannot do without.
    pub family: FamilyKind,
    pub account_id: Option<&'a str>,
    pub engagement_id: Option<&'a str>,
    /// Event time (SPEC I7), as [`ZccEvent::event_time_ms`].
    pub event_time_ms: Option<i64>,
    /// `created_time_ms`, else `created_time` (when a reservation's offer was made).
    pub created_at: Option<i64>,
    pub object: ObjectFields<'a>,
    /// The typed object of an explicit conference event (rosters and nested participants are
    /// read only by the typed parse).
    pub conference: Option<&'a ConferenceObject>,
}

/// A typed field's text as sent.
trait Text {
    fn text(&self) -> Option<&str>;
}

macro_rules! text_as_str {
    ($($ty:ty),*) => {$(
        impl Text for $ty {
            fn text(&self) -> Option<&str> {
                Some(self.as_str())
            }
        }

        impl Text for Option<$ty> {
            fn text(&self) -> Option<&str> {
                self.as_ref().map(|v| v.as_str())
            }
        }
    )*};
}

text_as_str!(
    compact_str::CompactString,
    Direction,
    Channel,
    ActionType,
    TransferType,
    TransferLevel,
    UserId,
    TaskId,
    ReservationId,
    RecordingId,
    QueueId,
    FlowId,
    ConsumerId,
    InboxId
);

impl Text for Option<PhoneNumber> {
    fn text(&self) -> Option<&str> {
        self.as_ref().map(|p| p.raw.as_str())
    }
}

/// The fields of [`ObjectFields`] each family's typed object has, written once: the typed
/// reading copies them from the object, the fast reading keeps only them.
macro_rules! family_fields {
    ($($family:ident: $($field:ident),* ;)*) => {
        impl<'a> ObjectFields<'a> {
            /// Only the fields `family`'s typed object has.
            fn only(&self, family: FamilyKind) -> ObjectFields<'a> {
                let mut out = ObjectFields::default();
                match family {
                    $(FamilyKind::$family => { $(out.$field = self.$field;)* })*
                    _ => {}
                }
                out
            }

            /// The fields of a typed object.
            fn of_typed(object: &'a Family) -> ObjectFields<'a> {
                let mut out = ObjectFields::default();
                match object {
                    $(Family::$family(o) => { $(out.$field = o.$field.text();)* })*
                    _ => {}
                }
                out
            }
        }
    };
}

family_fields! {
    Engagement: engagement_direction, channel, flow_id, flow_name, cc_queue_id, queue_name,
        consumer_id, consumer_number, consumer_display_name;
    Leg: engagement_direction, channel, flow_id, flow_name, cc_queue_id, queue_name,
        consumer_id, consumer_number, consumer_display_name, user_id, user_display_name;
    Transfer: engagement_direction, channel, flow_id, flow_name, cc_queue_id, queue_name,
        consumer_id, consumer_number, consumer_display_name, user_id, user_display_name,
        task_id, transfer_to_task_id, transfer_to_user_id, transfer_to_user_display_name,
        transfer_to_cc_queue_id, transfer_to_queue_name, transfer_to_number,
        transfer_to_flow_id, transfer_to_inbox_id, transfer_type, transfer_level;
    Task: task_id, channel, channel_name, flow_id, flow_name, cc_queue_id, queue_id,
        queue_name, caller_number, callee_number;
    Reservation: task_reservation_id, engagement_direction, channel, flow_id, flow_name,
        cc_queue_id, queue_name, caller_number, callee_number, task_id, assigned_user_id;
    Supervision: engagement_direction, channel, flow_id, flow_name, cc_queue_id, queue_name,
        consumer_id, consumer_number, consumer_display_name, user_id, user_display_name,
        action_type, monitoring_user_id, monitoring_user_display_name, takeover_user_id,
        takeover_user_display_name, supervisor_id, supervisor_display_name;
    Conference: engagement_direction, channel, flow_id, flow_name, cc_queue_id, queue_name,
        consumer_id, consumer_number, consumer_display_name, user_id, user_display_name,
        task_id, conference_id;
    CallControl: user_id, request_id, conference_id;
    Recording: recording_id, engagement_direction, channel, flow_id, flow_name, cc_queue_id,
        queue_name;
    Annotation: engagement_direction, channel, flow_id, flow_name, cc_queue_id, queue_name,
        consumer_id, consumer_number, consumer_display_name, user_id, user_display_name,
        disposition_id, disposition_name, note_id, note;
}

impl ZccEvent {
    /// What the fold reads of this event, borrowed from it.
    pub fn fold_fields(&self) -> FoldFields<'_> {
        let family = match &self.object {
            Family::Engagement(_) => FamilyKind::Engagement,
            Family::Leg(_) => FamilyKind::Leg,
            Family::Transfer(_) => FamilyKind::Transfer,
            Family::Task(_) => FamilyKind::Task,
            Family::Reservation(_) => FamilyKind::Reservation,
            Family::Supervision(_) => FamilyKind::Supervision,
            Family::Conference(_) => FamilyKind::Conference,
            Family::CallControl(_) => FamilyKind::CallControl,
            Family::Recording(_) => FamilyKind::Recording,
            Family::Annotation(_) => FamilyKind::Annotation,
            Family::Other(_) => FamilyKind::Other,
        };
        let created_at = match &self.object {
            Family::Reservation(o) => o.created_time_ms.or(o.created_time),
            _ => None,
        };
        let conference = match &self.object {
            Family::Conference(o) => Some(&**o),
            _ => None,
        };
        FoldFields {
            kind: Cow::Borrowed(&self.kind),
            family,
            account_id: self.account_id.as_ref().map(|a| a.as_str()),
            engagement_id: self.engagement_id.as_ref().map(EngagementId::as_str),
            event_time_ms: self.event_time_ms,
            created_at,
            object: ObjectFields::of_typed(&self.object),
            conference,
        }
    }
}

/// Read what the fold needs straight from a stored body's text, without building the typed
/// event: the envelope, the object's text fields as borrowed slices, its times.
///
/// `None` means "read the typed event instead" ([`crate::parse_event_str_with`]); it never
/// means the body is wrong. It gives up on: a body serde_json refuses or that starts with a
/// byte-order mark; a missing or repeated `event`, `payload` or `object`, or one of the wrong
/// type; an explicit conference event (rosters are read typed); a field
/// the fold reads that is escaped, a number, or anything but a string or null; an id the
/// family cannot do without that is missing.
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
    let kind = match acc.event? {
        Scalar::Str(name) => EventKind::from_name(&name),
        _ => return None,
    };
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
    event: Option<Scalar<'a>>,
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
            "event" => self.acc.event = Some(map.next_value()?),
            "event_ts" => self.acc.event_ts = Some(map.next_value()?),
            "payload" => {
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
