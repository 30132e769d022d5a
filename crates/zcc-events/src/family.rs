//! Typed `payload.object`s for the families the call model reads.
//!
//! Every field is optional except the ids a family cannot do without (`engagement_id` for
//! engagement-level families, plus `task_id` for tasks and `task_reservation_id` for
//! reservations; `recording_id` for recordings). Field names are
//! Zoom's. Times are epoch milliseconds (see [`crate::parse_time_str`] for what is
//! accepted). Whatever the model does not read, including values of the wrong type, stays in
//! `extra` verbatim.

use compact_str::CompactString;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::ids::{
    ActionType, Channel, ConsumerId, Direction, EngagementId, FlowId, InboxId, PhoneNumber,
    QueueId, RecordingId, ReservationId, TaskId, TaskStatus, TransferLevel, TransferType, UserId,
};
use crate::kind::FamilyKind;
use crate::reader::{NO_FIELDS, Reader, Shape, Slotted};
use crate::time::TimeFields;
use crate::warning::FieldWarning;

macro_rules! family_struct {
    ($(
        $(#[$doc:meta])*
        pub struct $name:ident {
            $(
                $(#[$fdoc:meta])*
                $field:ident : $ty:ty = $method:ident $(($($arg:expr),*))?,
            )*
        }
    )*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct $name {
            $(
                $(#[$fdoc])*
                pub $field: $ty,
            )*
            /// Every field not read above, verbatim (unknown fields, and values of the wrong
            /// type, each of which also drew a warning). Empty when the event was parsed with
            /// [`crate::ParseOptions::skip_extra`].
            pub extra: Map<String, Value>,
        }

        impl $name {
            /// The fields this object reads, for the [`Reader`].
            pub(crate) const SHAPE: Shape = Shape {
                names: &[$(stringify!($field)),*],
                slot: |key| {
                    #[allow(non_camel_case_types)]
                    enum Slot { $($field),* }
                    match key {
                        $(stringify!($field) => Some(Slot::$field as usize),)*
                        _ => None,
                    }
                },
            };

            /// Read from a reader made with [`Self::SHAPE`].
            pub(crate) fn read(r: &mut Reader<'_, '_>) -> Self {
                #[allow(non_camel_case_types)]
                enum Slot { $($field),* }
                $name {
                    $($field: r.$method(
                        Slot::$field as usize,
                        stringify!($field)
                        $($(, $arg)*)?
                    ),)*
                    extra: r.take_extra(),
                }
            }
        }
    )*};
}

family_struct! {
    /// A user (agent) in a `users[]` list (recording, channel upgrade).
    pub struct UserRef {
        user_id: Option<UserId> = id,
        user_display_name: Option<CompactString> = compact,
    }

    /// A customer in a `consumers[]` list (recording, channel upgrade).
    pub struct ConsumerRef {
        consumer_id: Option<ConsumerId> = id,
        consumer_number: Option<PhoneNumber> = phone,
        consumer_display_name: Option<CompactString> = compact,
    }

    /// `engagement_started`, `engagement_ended`, `*_engagement_end_data_ready`,
    /// `engagement_upgrade_*`.
    pub struct EngagementObject {
        engagement_id: EngagementId = required_id,
        engagement_direction: Option<Direction> = open,
        channel: Option<Channel> = open,
        channel_source: Option<CompactString> = compact,
        flow_id: Option<FlowId> = id,
        flow_name: Option<CompactString> = compact,
        flow_number: Option<PhoneNumber> = phone,
        cc_queue_id: Option<QueueId> = id,
        queue_name: Option<CompactString> = compact,
        consumer_id: Option<ConsumerId> = id,
        consumer_number: Option<PhoneNumber> = phone,
        consumer_display_name: Option<CompactString> = compact,
        /// Where a transferred-in engagement came from, e.g. `zoom_phone` (since 2024-09).
        transfer_from: Option<CompactString> = compact,
        transfer_from_id: Option<CompactString> = compact,
        upgrade_to_channel: Option<Channel> = open,
        upgrade_to_channel_source: Option<CompactString> = compact,
        users: Vec<UserRef> = list(UserRef::SHAPE, UserRef::read),
        consumers: Vec<ConsumerRef> = list(ConsumerRef::SHAPE, ConsumerRef::read),
        /// `*_end_data_ready`: when the engagement started.
        start_time: Option<i64> = time,
        date_time_ms: Option<i64> = time,
    }

    /// One party's leg: `engagement_consumer_{notified,answered,ended}`,
    /// `engagement_user_{answered,ended,hold,unhold,muted,unmuted,dtmf_sent}`,
    /// `engagement_wrap_up_{started,ended}`. The kind says which; `user_id` is the agent
    /// (for hold/unhold: the agent who held), `consumer_*` the customer.
    pub struct LegObject {
        engagement_id: EngagementId = required_id,
        engagement_direction: Option<Direction> = open,
        channel: Option<Channel> = open,
        channel_source: Option<CompactString> = compact,
        flow_id: Option<FlowId> = id,
        flow_name: Option<CompactString> = compact,
        flow_number: Option<PhoneNumber> = phone,
        cc_queue_id: Option<QueueId> = id,
        queue_name: Option<CompactString> = compact,
        user_id: Option<UserId> = id,
        user_display_name: Option<CompactString> = compact,
        consumer_id: Option<ConsumerId> = id,
        consumer_number: Option<PhoneNumber> = phone,
        consumer_display_name: Option<CompactString> = compact,
        /// `engagement_consumer_notified`.
        consumer_invite_number: Option<PhoneNumber> = phone,
        consumer_invite_email: Option<CompactString> = compact,
        /// `engagement_user_dtmf_sent`.
        dtmf_input: Option<CompactString> = compact,
        date_time_ms: Option<i64> = time,
    }

    /// `engagement_transfer_*`. `user_id` is the transferring agent; `transfer_to_*` the target
    /// (queue, agent, flow, inbox or number). A transfer mints a new task: `transfer_to_task_id`.
    pub struct TransferObject {
        engagement_id: EngagementId = required_id,
        task_id: Option<TaskId> = id,
        task_status: Option<TaskStatus> = open,
        task_timeout: Option<i64> = int,
        transfer_to_task_id: Option<TaskId> = id,
        transfer_to_task_status: Option<TaskStatus> = open,
        transfer_to_task_timeout: Option<i64> = int,
        transfer_level: Option<TransferLevel> = open,
        transfer_type: Option<TransferType> = open,
        engagement_direction: Option<Direction> = open,
        channel: Option<Channel> = open,
        channel_source: Option<CompactString> = compact,
        flow_id: Option<FlowId> = id,
        flow_name: Option<CompactString> = compact,
        flow_number: Option<PhoneNumber> = phone,
        transfer_to_flow_id: Option<FlowId> = id,
        transfer_to_flow_name: Option<CompactString> = compact,
        cc_queue_id: Option<QueueId> = id,
        queue_name: Option<CompactString> = compact,
        transfer_to_cc_queue_id: Option<QueueId> = id,
        transfer_to_queue_name: Option<CompactString> = compact,
        user_id: Option<UserId> = id,
        user_display_name: Option<CompactString> = compact,
        transfer_to_user_id: Option<UserId> = id,
        transfer_to_user_display_name: Option<CompactString> = compact,
        transfer_to_inbox_id: Option<InboxId> = id,
        transfer_to_inbox_name: Option<CompactString> = compact,
        transfer_to_number: Option<PhoneNumber> = phone,
        consumer_id: Option<ConsumerId> = id,
        consumer_number: Option<PhoneNumber> = phone,
        consumer_display_name: Option<CompactString> = compact,
        date_time_ms: Option<i64> = time,
    }

    /// `task_*`: one routing attempt. `created_time_ms` is when the task began,
    /// `last_modified_time_ms` this change.
    pub struct TaskObject {
        task_id: TaskId = required_id,
        engagement_id: EngagementId = required_id,
        task_status: Option<TaskStatus> = open,
        task_priority: Option<i64> = int,
        task_timeout: Option<i64> = int,
        auto_assign: Option<bool> = bool,
        flow_id: Option<FlowId> = id,
        flow_name: Option<CompactString> = compact,
        channel_id: Option<CompactString> = compact,
        channel_name: Option<Channel> = open,
        channel: Option<Channel> = open,
        channel_source: Option<CompactString> = compact,
        cc_queue_id: Option<QueueId> = id,
        queue_id: Option<QueueId> = id,
        queue_name: Option<CompactString> = compact,
        caller_number: Option<PhoneNumber> = phone,
        callee_number: Option<PhoneNumber> = phone,
        created_time_ms: Option<i64> = time,
        created_time: Option<i64> = time,
        last_modified_time_ms: Option<i64> = time,
        last_modified_time: Option<i64> = time,
        /// `task_entered_queue` / `task_exited_queue` carry this instead of the task times.
        date_time_ms: Option<i64> = time,
    }

    /// `task_reservation_*`: an offer of task `task_id` to agent `assigned_user_id`.
    /// `created_time_ms` is when the offer began, `last_modified_time_ms` this change.
    pub struct ReservationObject {
        task_reservation_id: ReservationId = required_id,
        engagement_id: EngagementId = required_id,
        task_id: Option<TaskId> = id,
        assigned_user_id: Option<UserId> = id,
        engagement_direction: Option<Direction> = open,
        channel: Option<Channel> = open,
        channel_source: Option<CompactString> = compact,
        flow_id: Option<FlowId> = id,
        flow_name: Option<CompactString> = compact,
        cc_queue_id: Option<QueueId> = id,
        queue_name: Option<CompactString> = compact,
        auto_assign: Option<bool> = bool,
        task_timeout: Option<i64> = int,
        caller_number: Option<PhoneNumber> = phone,
        callee_number: Option<PhoneNumber> = phone,
        created_time_ms: Option<i64> = time,
        created_time: Option<i64> = time,
        last_modified_time_ms: Option<i64> = time,
        last_modified_time: Option<i64> = time,
        date_time_ms: Option<i64> = time,
    }

    /// Supervision: `engagement_monitor_{started,ended}` (`monitoring_user_*`, `action_type`),
    /// `engagement_takeover_started` (`takeover_user_*`) and the 2023
    /// `engagement_user_{barge,monitor,takeover,whisper}_initiated` (mode in the name; their
    /// payload is unpublished, so the supervisor may be in any of the supervisor fields).
    /// `user_id` is the supervised agent.
    pub struct SupervisionObject {
        engagement_id: EngagementId = required_id,
        action_type: Option<ActionType> = open,
        monitoring_user_id: Option<UserId> = id,
        monitoring_user_display_name: Option<CompactString> = compact,
        takeover_user_id: Option<UserId> = id,
        takeover_user_display_name: Option<CompactString> = compact,
        supervisor_id: Option<UserId> = id,
        supervisor_display_name: Option<CompactString> = compact,
        user_id: Option<UserId> = id,
        user_display_name: Option<CompactString> = compact,
        engagement_direction: Option<Direction> = open,
        channel: Option<Channel> = open,
        channel_source: Option<CompactString> = compact,
        flow_id: Option<FlowId> = id,
        flow_name: Option<CompactString> = compact,
        cc_queue_id: Option<QueueId> = id,
        queue_name: Option<CompactString> = compact,
        contact_center_number: Option<PhoneNumber> = phone,
        consumer_id: Option<ConsumerId> = id,
        consumer_number: Option<PhoneNumber> = phone,
        consumer_display_name: Option<CompactString> = compact,
        date_time_ms: Option<i64> = time,
    }

    /// A team in a `teams[]` list (the 2026 conference events).
    pub struct TeamRef {
        team_id: Option<CompactString> = compact,
        team_name: Option<CompactString> = compact,
    }

    /// One entry of a conference event's `conference_participants[]` (the roster after the
    /// change), or the participant the event is about (`invited_participant`, ...). An agent
    /// is named by `participant_user_id`, the customer or an outside party by
    /// `participant_phone_number`; `participant_role` is `customer`, `host` or `invitee`.
    pub struct ConferenceParticipant {
        participant_user_id: Option<UserId> = id,
        participant_phone_number: Option<PhoneNumber> = phone,
        participant_display_name: Option<CompactString> = compact,
        participant_role: Option<CompactString> = compact,
    }

    /// `engagement_conference_*` (2026-04-06), in the shape Zoom documents: `conference_id`,
    /// the roster after the change in `conference_participants[]` (absent on
    /// `engagement_conference_canceled`), and the participant the event is about under a key
    /// of its own. The older guessed shape (`user_id`, `inviter_user_id`, `invitee_*`) is read
    /// too; every field tolerantly.
    pub struct ConferenceObject {
        engagement_id: EngagementId = required_id,
        conference_id: Option<CompactString> = compact,
        conference_participants: Option<Vec<ConferenceParticipant>> =
            opt_list(ConferenceParticipant::SHAPE, ConferenceParticipant::read),
        invited_participant: Option<ConferenceParticipant> =
            object(ConferenceParticipant::SHAPE, ConferenceParticipant::read),
        joining_participant: Option<ConferenceParticipant> =
            object(ConferenceParticipant::SHAPE, ConferenceParticipant::read),
        leaving_participant: Option<ConferenceParticipant> =
            object(ConferenceParticipant::SHAPE, ConferenceParticipant::read),
        rejecting_participant: Option<ConferenceParticipant> =
            object(ConferenceParticipant::SHAPE, ConferenceParticipant::read),
        timed_out_participant: Option<ConferenceParticipant> =
            object(ConferenceParticipant::SHAPE, ConferenceParticipant::read),
        canceled_participant: Option<ConferenceParticipant> =
            object(ConferenceParticipant::SHAPE, ConferenceParticipant::read),
        /// The older guessed shape: the participant agent.
        user_id: Option<UserId> = id,
        user_display_name: Option<CompactString> = compact,
        invitee_id: Option<CompactString> = compact,
        invitee_type: Option<CompactString> = compact,
        invitee_number: Option<PhoneNumber> = phone,
        invitee_display_name: Option<CompactString> = compact,
        inviter_user_id: Option<UserId> = id,
        task_id: Option<TaskId> = id,
        engagement_direction: Option<Direction> = open,
        channel: Option<Channel> = open,
        channel_source: Option<CompactString> = compact,
        flow_id: Option<FlowId> = id,
        flow_name: Option<CompactString> = compact,
        flow_number: Option<PhoneNumber> = phone,
        teams: Vec<TeamRef> = list(TeamRef::SHAPE, TeamRef::read),
        division_id: Option<CompactString> = compact,
        division_name: Option<CompactString> = compact,
        cc_queue_id: Option<QueueId> = id,
        queue_name: Option<CompactString> = compact,
        consumer_id: Option<ConsumerId> = id,
        consumer_number: Option<PhoneNumber> = phone,
        consumer_display_name: Option<CompactString> = compact,
        date_time_ms: Option<i64> = time,
    }

    /// `call_control_conference_warm_invite_executed`: an integrator's Call Control API request
    /// that started (or added to) a conference. `user_id` is the agent whose app made the call.
    pub struct CallControlObject {
        engagement_id: EngagementId = required_id,
        user_id: Option<UserId> = id,
        request_id: Option<CompactString> = compact,
        conference_id: Option<CompactString> = compact,
        division_id: Option<CompactString> = compact,
        division_name: Option<CompactString> = compact,
        date_time_ms: Option<i64> = time,
    }

    /// `engagement_disposition_added` and `engagement_note_added`: what an agent records about
    /// the call. `user_id` is the agent; a disposition is `disposition_id` / `disposition_name`
    /// (`modified_by` is who last changed the disposition's definition, not who chose it), a
    /// note `note_id` / `note`.
    pub struct AnnotationObject {
        engagement_id: EngagementId = required_id,
        disposition_id: Option<CompactString> = compact,
        disposition_name: Option<CompactString> = compact,
        disposition_description: Option<CompactString> = compact,
        note_id: Option<CompactString> = compact,
        note: Option<CompactString> = compact,
        user_id: Option<UserId> = id,
        user_display_name: Option<CompactString> = compact,
        engagement_direction: Option<Direction> = open,
        channel: Option<Channel> = open,
        channel_source: Option<CompactString> = compact,
        flow_id: Option<FlowId> = id,
        flow_name: Option<CompactString> = compact,
        flow_number: Option<PhoneNumber> = phone,
        cc_queue_id: Option<QueueId> = id,
        queue_name: Option<CompactString> = compact,
        consumer_id: Option<ConsumerId> = id,
        consumer_number: Option<PhoneNumber> = phone,
        consumer_display_name: Option<CompactString> = compact,
        date_time_ms: Option<i64> = time,
    }

    /// `recording_*` with its `users[]` and `consumers[]` participant lists. The
    /// `recording_deleted` events name only the recording, so here the recording id is the one
    /// required and the engagement is optional.
    pub struct RecordingObject {
        recording_id: RecordingId = required_id,
        engagement_id: Option<EngagementId> = id,
        recording_type: Option<CompactString> = compact,
        recording_start_time_ms: Option<i64> = time,
        recording_end_time_ms: Option<i64> = time,
        /// Seconds.
        recording_duration: Option<i64> = int,
        owner_id: Option<UserId> = id,
        owner_name: Option<CompactString> = compact,
        owner_type: Option<CompactString> = compact,
        users: Vec<UserRef> = list(UserRef::SHAPE, UserRef::read),
        consumers: Vec<ConsumerRef> = list(ConsumerRef::SHAPE, ConsumerRef::read),
        engagement_direction: Option<Direction> = open,
        channel: Option<Channel> = open,
        channel_source: Option<CompactString> = compact,
        flow_id: Option<FlowId> = id,
        flow_name: Option<CompactString> = compact,
        cc_queue_id: Option<QueueId> = id,
        queue_name: Option<CompactString> = compact,
        date_time_ms: Option<i64> = time,
    }
}

impl SupervisionObject {
    /// The supervisor: `monitoring_user_id`, else `takeover_user_id`, else `supervisor_id`.
    pub fn supervisor_user_id(&self) -> Option<&UserId> {
        self.monitoring_user_id
            .as_ref()
            .or(self.takeover_user_id.as_ref())
            .or(self.supervisor_id.as_ref())
    }
}

impl ConferenceParticipant {
    /// An agent: a non-empty `participant_user_id` and not the customer.
    pub fn agent(&self) -> Option<&UserId> {
        self.participant_user_id
            .as_ref()
            .filter(|u| !u.0.is_empty() && !self.is_customer())
    }

    /// The customer (`participant_role` `customer`).
    pub fn is_customer(&self) -> bool {
        self.participant_role
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("customer"))
    }

    /// An outside party: a phone number, no user id, and not the customer.
    pub fn outside_number(&self) -> Option<&PhoneNumber> {
        if self.is_customer()
            || self
                .participant_user_id
                .as_ref()
                .is_some_and(|u| !u.0.is_empty())
        {
            return None;
        }
        self.participant_phone_number
            .as_ref()
            .filter(|p| !p.raw.trim().is_empty())
    }

    /// `participant_role` is `host`.
    pub fn is_host(&self) -> bool {
        self.participant_role
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("host"))
    }
}

impl ConferenceObject {
    /// The participant the event is about, under whichever of the documented keys it sits
    /// (`invited_participant`, `joining_participant`, `leaving_participant`,
    /// `rejecting_participant`, `timed_out_participant`, `canceled_participant`).
    pub fn subject(&self) -> Option<&ConferenceParticipant> {
        self.invited_participant
            .as_ref()
            .or(self.joining_participant.as_ref())
            .or(self.leaving_participant.as_ref())
            .or(self.rejecting_participant.as_ref())
            .or(self.timed_out_participant.as_ref())
            .or(self.canceled_participant.as_ref())
    }

    /// The participant agent: the documented subject's `participant_user_id`, else (older
    /// guessed shape) `user_id`, else `invitee_id` when `invitee_type` is absent or names a
    /// user or agent.
    pub fn participant_user_id(&self) -> Option<UserId> {
        if let Some(subject) = self.subject() {
            return subject.agent().cloned();
        }
        if let Some(u) = &self.user_id {
            return Some(u.clone());
        }
        let user_like = match self.invitee_type.as_deref() {
            None => true,
            Some(t) => t.eq_ignore_ascii_case("user") || t.eq_ignore_ascii_case("agent"),
        };
        if user_like {
            self.invitee_id.as_deref().map(UserId::from)
        } else {
            None
        }
    }

    /// The outside party the event is about: the documented subject's phone number, else
    /// (older shape) `invitee_number` when the invitee is not a user.
    pub fn participant_number(&self) -> Option<&PhoneNumber> {
        if let Some(subject) = self.subject() {
            return subject.outside_number();
        }
        if self.user_id.is_some() {
            return None;
        }
        let user_like = self
            .invitee_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("user") || t.eq_ignore_ascii_case("agent"));
        if user_like {
            None
        } else {
            self.invitee_number.as_ref()
        }
    }
}

/// The typed object of an event, by family (see [`crate::FamilyKind`]). The objects are
/// boxed so that a `ZccEvent` stays small to move and sort.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "family", content = "object", rename_all = "snake_case")]
pub enum Family {
    Engagement(Box<EngagementObject>),
    Leg(Box<LegObject>),
    Transfer(Box<TransferObject>),
    Task(Box<TaskObject>),
    Reservation(Box<ReservationObject>),
    Supervision(Box<SupervisionObject>),
    Conference(Box<ConferenceObject>),
    CallControl(Box<CallControlObject>),
    Recording(Box<RecordingObject>),
    Annotation(Box<AnnotationObject>),
    /// A family the call model does not read, an unknown kind, or an object missing an id its
    /// family cannot do without: the object verbatim (empty when there was no object).
    Other(Map<String, Value>),
}

impl Family {
    /// The object's `engagement_id`, for the typed families.
    pub fn engagement_id(&self) -> Option<&EngagementId> {
        match self {
            Family::Engagement(o) => Some(&o.engagement_id),
            Family::Leg(o) => Some(&o.engagement_id),
            Family::Transfer(o) => Some(&o.engagement_id),
            Family::Task(o) => Some(&o.engagement_id),
            Family::Reservation(o) => Some(&o.engagement_id),
            Family::Supervision(o) => Some(&o.engagement_id),
            Family::Conference(o) => Some(&o.engagement_id),
            Family::CallControl(o) => Some(&o.engagement_id),
            Family::Recording(o) => o.engagement_id.as_ref(),
            Family::Annotation(o) => Some(&o.engagement_id),
            Family::Other(_) => None,
        }
    }

    /// The object times the event-time rule looks at, for the typed families.
    pub(crate) fn times(&self) -> Option<TimeFields> {
        let t = match self {
            Family::Engagement(o) => TimeFields {
                date_time_ms: o.date_time_ms,
                start_time: o.start_time,
                ..TimeFields::default()
            },
            Family::Leg(o) => dt(o.date_time_ms),
            Family::Transfer(o) => dt(o.date_time_ms),
            Family::Supervision(o) => dt(o.date_time_ms),
            Family::Conference(o) => dt(o.date_time_ms),
            Family::CallControl(o) => dt(o.date_time_ms),
            Family::Annotation(o) => dt(o.date_time_ms),
            Family::Task(o) => TimeFields {
                date_time_ms: o.date_time_ms,
                last_modified_time_ms: o.last_modified_time_ms,
                last_modified_time: o.last_modified_time,
                created_time_ms: o.created_time_ms,
                created_time: o.created_time,
                ..TimeFields::default()
            },
            Family::Reservation(o) => TimeFields {
                date_time_ms: o.date_time_ms,
                last_modified_time_ms: o.last_modified_time_ms,
                last_modified_time: o.last_modified_time,
                created_time_ms: o.created_time_ms,
                created_time: o.created_time,
                ..TimeFields::default()
            },
            Family::Recording(o) => TimeFields {
                date_time_ms: o.date_time_ms,
                recording_start_time_ms: o.recording_start_time_ms,
                recording_end_time_ms: o.recording_end_time_ms,
                ..TimeFields::default()
            },
            Family::Other(_) => return None,
        };
        Some(t)
    }
}

fn dt(date_time_ms: Option<i64>) -> TimeFields {
    TimeFields {
        date_time_ms,
        ..TimeFields::default()
    }
}

/// The fields a family's typed object reads.
pub(crate) fn shape_of(kind: FamilyKind) -> Shape {
    match kind {
        FamilyKind::Engagement => EngagementObject::SHAPE,
        FamilyKind::Leg => LegObject::SHAPE,
        FamilyKind::Transfer => TransferObject::SHAPE,
        FamilyKind::Task => TaskObject::SHAPE,
        FamilyKind::Reservation => ReservationObject::SHAPE,
        FamilyKind::Supervision => SupervisionObject::SHAPE,
        FamilyKind::Conference => ConferenceObject::SHAPE,
        FamilyKind::CallControl => CallControlObject::SHAPE,
        FamilyKind::Recording => RecordingObject::SHAPE,
        FamilyKind::Annotation => AnnotationObject::SHAPE,
        FamilyKind::Other => NO_FIELDS,
    }
}

/// Read `payload.object` into its family's typed object. An object missing an id its family
/// cannot do without is kept whole as [`Family::Other`], with a warning naming the id.
/// `object` must be sorted into [`shape_of`] `kind`.
pub(crate) fn read_family(
    kind: FamilyKind,
    object: Slotted<'_>,
    warnings: &mut Vec<FieldWarning>,
    keep_extra: bool,
) -> Family {
    let mut r = Reader::from_slotted(object, "payload.object".into(), warnings, keep_extra);
    let (required, name): (&[&str], &'static str) = match kind {
        FamilyKind::Other => return Family::Other(r.finish()),
        FamilyKind::Task => (
            &["task_id", "engagement_id"],
            "a string id (required by task events)",
        ),
        FamilyKind::Reservation => (
            &["task_reservation_id", "engagement_id"],
            "a string id (required by reservation events)",
        ),
        FamilyKind::Recording => (
            &["recording_id"],
            "a string id (required by recording events)",
        ),
        _ => (
            &["engagement_id"],
            "a string id (required by engagement events)",
        ),
    };
    if !r.require(required, name) {
        return Family::Other(r.finish());
    }
    match kind {
        FamilyKind::Engagement => Family::Engagement(Box::new(EngagementObject::read(&mut r))),
        FamilyKind::Leg => Family::Leg(Box::new(LegObject::read(&mut r))),
        FamilyKind::Transfer => Family::Transfer(Box::new(TransferObject::read(&mut r))),
        FamilyKind::Task => Family::Task(Box::new(TaskObject::read(&mut r))),
        FamilyKind::Reservation => Family::Reservation(Box::new(ReservationObject::read(&mut r))),
        FamilyKind::Supervision => Family::Supervision(Box::new(SupervisionObject::read(&mut r))),
        FamilyKind::Conference => Family::Conference(Box::new(ConferenceObject::read(&mut r))),
        FamilyKind::CallControl => Family::CallControl(Box::new(CallControlObject::read(&mut r))),
        FamilyKind::Recording => Family::Recording(Box::new(RecordingObject::read(&mut r))),
        FamilyKind::Annotation => Family::Annotation(Box::new(AnnotationObject::read(&mut r))),
        FamilyKind::Other => Family::Other(r.finish()),
    }
}
