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
//! equal on Zoom's samples, simulated traffic and generated bodies). This module holds what
//! the fold reads and the table of the fields each family has; `read` reads it from text.

use std::borrow::Cow;

use crate::event::ZccEvent;
use crate::family::{ConferenceObject, Family};
use crate::ids::{
    ActionType, Channel, ConsumerId, Direction, EngagementId, FlowId, InboxId, PhoneNumber,
    QueueId, RecordingId, ReservationId, TaskId, TransferLevel, TransferType, UserId,
};
use crate::kind::{EventKind, FamilyKind};

mod read;

pub use read::read_fold_fields;

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
            pub(super) fn slot(&mut self, key: &str) -> Option<&mut Option<&'a str>> {
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
            pub(super) fn only(&self, family: FamilyKind) -> ObjectFields<'a> {
                let mut out = ObjectFields::default();
                match family {
                    $(FamilyKind::$family => { $(out.$field = self.$field;)* })*
                    _ => {}
                }
                out
            }

            /// The family a typed object was read as, and its fields.
            fn of_typed(object: &'a Family) -> (FamilyKind, ObjectFields<'a>) {
                let mut out = ObjectFields::default();
                let family = match object {
                    $(Family::$family(o) => {
                        $(out.$field = o.$field.text();)*
                        FamilyKind::$family
                    })*
                    Family::Other(_) => FamilyKind::Other,
                };
                (family, out)
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
        let (family, object) = ObjectFields::of_typed(&self.object);
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
            object,
            conference,
        }
    }
}
