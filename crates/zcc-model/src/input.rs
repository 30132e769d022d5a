//! The rule's input: an engagement's events as the log holds them, and the thin adapter from
//! typed `zcc-events` to the fold's [`Signal`]s.

use std::borrow::Borrow;

use zcc_events::{
    AnnotationObject, CallControlObject, ConferenceObject, EngagementObject, EventKind,
    EventKind as K, Family, LegObject, OrderKey, PhoneNumber, Position, RecordingObject,
    ReservationObject, SupervisionObject, TaskObject, TransferObject, ZccEvent,
};

use crate::rule::ExplicitConferences;
use crate::signal::{
    Attrs, ConferenceRole, ConferenceSignal, ConferenceStep, ReservationStep, RosterEntry, Signal,
    TaskStep, Timed, TransferFacts, TransferStep,
};

/// One logged event of an engagement.
#[derive(Debug, Clone, PartialEq)]
pub struct InputEvent {
    /// Log position, cited as evidence.
    pub position: Position,
    /// SHA-256 of the raw body: the identity of the event.
    pub body_sha256: [u8; 32],
    pub event: ZccEvent,
}

/// The fold order of a set of events: exact duplicates (same body hash) dropped, keeping the
/// lowest position, then ordered by (event time, kind rank, body hash), never by arrival.
/// Events with no time at all (neither an object time nor `event_ts`) cannot be placed and are
/// left out.
pub fn fold_order(events: &[InputEvent]) -> Vec<&InputEvent> {
    let mut keyed: Vec<(OrderKey, &InputEvent)> = events
        .iter()
        .filter_map(|e| {
            let t = e.event.event_time_ms?;
            Some((OrderKey::new(t, &e.event.kind, e.body_sha256), e))
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.position.cmp(&b.1.position)));
    keyed.dedup_by(|later, earlier| later.1.body_sha256 == earlier.1.body_sha256);
    keyed.into_iter().map(|(_, e)| e).collect()
}

/// The signals of an engagement's events, in fold order.
pub(crate) fn signals(events: &[InputEvent], explicit: ExplicitConferences) -> Vec<Timed<'_>> {
    fold_order(events)
        .into_iter()
        .flat_map(|e| {
            let at = e.event.event_time_ms.unwrap_or_default();
            let (attrs, signal) = adapt(&e.event);
            Some(Timed {
                at,
                position: e.position,
                attrs,
                signal,
            })
        })
        .filter(|t| explicit == ExplicitConferences::Use || !t.signal.is_explicit_conference())
        .collect()
}

/// An owned id or value, for the signal (a copy of the text, not a trip through `Display`).
fn s<T: Borrow<str>>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|v| v.borrow().to_owned())
}

/// A borrowed id, for the attributes.
fn b<T: Borrow<str>>(v: &Option<T>) -> Option<&str> {
    v.as_ref().map(Borrow::borrow)
}

fn phone(p: &Option<PhoneNumber>) -> Option<&str> {
    p.as_ref().map(|p| p.raw.as_str())
}

/// Copy Zoom's shared field set (direction, channel, flow, queue, consumer) from a family object
/// into the attributes. The families are distinct types with the same field names.
macro_rules! shared_fields {
    ($a:ident, $o:ident) => {
        $a.direction = $o.engagement_direction.as_ref().map(|x| x.as_str());
        $a.channel = $o.channel.as_ref().map(|x| x.as_str());
        $a.flow_id = b(&$o.flow_id);
        $a.flow_name = $o.flow_name.as_deref();
        $a.queue_id = b(&$o.cc_queue_id);
        $a.queue_name = $o.queue_name.as_deref();
        $a.consumer_id = b(&$o.consumer_id);
        $a.consumer_number = phone(&$o.consumer_number);
        $a.consumer_name = $o.consumer_display_name.as_deref();
    };
}

/// What a conference event says, in either shape.
fn conference_signal(o: &ConferenceObject, step: ConferenceStep) -> ConferenceSignal {
    let subject = o.subject();
    let name = subject
        .and_then(|p| s(&p.participant_display_name))
        .or_else(|| s(&o.user_display_name))
        .or_else(|| s(&o.invitee_display_name));
    let roster = o.conference_participants.as_ref().map(|list| {
        list.iter()
            .map(|p| RosterEntry {
                user: p.agent().map(|u| u.as_str().to_owned()),
                number: p.outside_number().map(|n| n.raw.clone()),
                name: s(&p.participant_display_name),
                role: match p.participant_role.as_deref() {
                    _ if p.is_customer() => ConferenceRole::Customer,
                    _ if p.is_host() => ConferenceRole::Host,
                    Some(r) if r.eq_ignore_ascii_case("invitee") => ConferenceRole::Invitee,
                    _ => ConferenceRole::Other,
                },
            })
            .collect()
    });
    ConferenceSignal {
        step,
        conference_id: s(&o.conference_id).filter(|c| !c.is_empty()),
        user: o.participant_user_id().map(|u| u.as_str().to_owned()),
        number: o.participant_number().map(|n| n.raw.clone()),
        name,
        invited_by: s(&o.inviter_user_id),
        roster,
    }
}

/// What one typed event means for the call: the envelope's ids, then the family's own reading.
pub(crate) fn adapt(ev: &ZccEvent) -> (Attrs<'_>, Signal) {
    let mut a = Attrs {
        engagement_id: b(&ev.engagement_id),
        account_id: b(&ev.account_id),
        ..Attrs::default()
    };
    let kind = &ev.kind;
    let signal = match &ev.object {
        Family::Engagement(o) => engagement(kind, o, &mut a),
        Family::Leg(o) => leg(kind, o, &mut a),
        Family::Transfer(o) => transfer(kind, o, &mut a),
        Family::Task(o) => task(kind, o, &mut a),
        Family::Reservation(o) => reservation(kind, o, &mut a),
        Family::Supervision(o) => supervision(kind, o, &mut a),
        Family::Conference(o) => conference(kind, o, &mut a),
        Family::CallControl(o) => call_control(kind, o),
        Family::Recording(o) => recording(o, &mut a),
        Family::Annotation(o) => annotation(kind, o, &mut a),
        Family::Other(_) => Signal::Other,
    };
    (a, signal)
}

/// `engagement_started` and `engagement_ended`.
fn engagement<'a>(kind: &EventKind, o: &'a EngagementObject, a: &mut Attrs<'a>) -> Signal {
    shared_fields!(a, o);
    match kind {
        K::EngagementStarted => Signal::EngagementStarted,
        K::EngagementEnded => Signal::EngagementEnded,
        _ => Signal::Other,
    }
}

/// The customer's and the agents' legs: answers, ends, wrap-up, holds.
fn leg<'a>(kind: &EventKind, o: &'a LegObject, a: &mut Attrs<'a>) -> Signal {
    shared_fields!(a, o);
    let user = s(&o.user_id);
    match (kind, user) {
        (K::EngagementConsumerAnswered, _) => Signal::CustomerAnswered,
        (K::EngagementConsumerEnded, _) => Signal::CustomerEnded,
        (K::EngagementUserAnswered, Some(user)) => Signal::AgentAnswered {
            user,
            name: s(&o.user_display_name),
        },
        (K::EngagementUserEnded, Some(user)) => Signal::AgentEnded { user },
        (K::EngagementWrapUpStarted, Some(user)) => Signal::WrapUpStarted { user },
        (K::EngagementWrapUpEnded, Some(user)) => Signal::WrapUpEnded { user },
        (K::EngagementUserHold, user) => Signal::Hold { user },
        (K::EngagementUserUnhold, user) => Signal::Unhold { user },
        _ => Signal::Other,
    }
}

/// The steps of a transfer, with everything its body says about source and target.
fn transfer<'a>(kind: &EventKind, o: &'a TransferObject, a: &mut Attrs<'a>) -> Signal {
    shared_fields!(a, o);
    let step = match kind {
        K::EngagementTransferInitiated => TransferStep::Initiated,
        K::EngagementTransferQueued => TransferStep::Queued,
        K::EngagementTransferReserved => TransferStep::Reserved,
        K::EngagementTransferAccepted => TransferStep::Accepted,
        K::EngagementTransferRejected => TransferStep::Rejected,
        K::EngagementTransferTimeout => TransferStep::Timeout,
        K::EngagementTransferCanceled => TransferStep::Canceled,
        K::EngagementTransferCompleted => TransferStep::Completed,
        _ => return Signal::Other,
    };
    Signal::Transfer {
        step,
        facts: Box::new(TransferFacts {
            task: s(&o.task_id),
            to_task: s(&o.transfer_to_task_id),
            from_user: s(&o.user_id),
            from_name: s(&o.user_display_name),
            to_user: s(&o.transfer_to_user_id),
            to_user_name: s(&o.transfer_to_user_display_name),
            to_queue_id: s(&o.transfer_to_cc_queue_id),
            to_queue_name: s(&o.transfer_to_queue_name),
            to_number: phone(&o.transfer_to_number).map(str::to_owned),
            to_flow_id: s(&o.transfer_to_flow_id),
            to_inbox_id: s(&o.transfer_to_inbox_id),
            transfer_type: o.transfer_type.as_ref().map(|t| t.as_str().to_owned()),
            level: o.transfer_level.as_ref().map(|l| l.as_str().to_owned()),
        }),
    }
}

/// Task events describe the call (channel, flow, queue, numbers); creation and the queue's
/// entry and exit are the routing phases.
fn task<'a>(kind: &EventKind, o: &'a TaskObject, a: &mut Attrs<'a>) -> Signal {
    a.channel = o
        .channel
        .as_ref()
        .map(|x| x.as_str())
        .or_else(|| o.channel_name.as_ref().map(|x| x.as_str()));
    a.flow_id = b(&o.flow_id);
    a.flow_name = o.flow_name.as_deref();
    a.queue_id = b(&o.cc_queue_id).or_else(|| b(&o.queue_id));
    a.queue_name = o.queue_name.as_deref();
    a.caller_number = phone(&o.caller_number);
    a.callee_number = phone(&o.callee_number);
    let step = match kind {
        K::TaskCreated => TaskStep::Created,
        K::TaskEnteredQueue => TaskStep::EnteredQueue,
        K::TaskExitedQueue => TaskStep::ExitedQueue,
        _ => return Signal::Other,
    };
    Signal::Task {
        step,
        task: o.task_id.as_str().to_owned(),
    }
}

/// An offer of a task to an agent, from creation to its outcome.
fn reservation<'a>(kind: &EventKind, o: &'a ReservationObject, a: &mut Attrs<'a>) -> Signal {
    a.direction = o.engagement_direction.as_ref().map(|x| x.as_str());
    a.channel = o.channel.as_ref().map(|x| x.as_str());
    a.flow_id = b(&o.flow_id);
    a.flow_name = o.flow_name.as_deref();
    a.queue_id = b(&o.cc_queue_id);
    a.queue_name = o.queue_name.as_deref();
    a.caller_number = phone(&o.caller_number);
    a.callee_number = phone(&o.callee_number);
    let step = match kind {
        K::TaskReservationCreated => ReservationStep::Created,
        K::TaskReservationAccepted => ReservationStep::Accepted,
        K::TaskReservationRejected => ReservationStep::Rejected,
        K::TaskReservationTimeout => ReservationStep::Timeout,
        K::TaskReservationCanceled => ReservationStep::Canceled,
        K::TaskReservationRescinded => ReservationStep::Rescinded,
        K::TaskReservationCompleted => ReservationStep::Completed,
        _ => return Signal::Other,
    };
    Signal::Reservation {
        step,
        reservation: Some(o.task_reservation_id.as_str().to_owned()),
        task: s(&o.task_id),
        user: s(&o.assigned_user_id),
        created_at: o.created_time_ms.or(o.created_time),
    }
}

/// Monitoring (listen, whisper, barge) and takeovers, in the current and the 2023 naming.
fn supervision<'a>(kind: &EventKind, o: &'a SupervisionObject, a: &mut Attrs<'a>) -> Signal {
    shared_fields!(a, o);
    // The 2023 `engagement_user_{monitor,whisper,barge,takeover}_initiated` events name
    // the user who initiated them: without a supervisor field, `user_id` is the
    // supervisor and the supervised agent is not named.
    let legacy = matches!(
        kind,
        K::EngagementUserMonitorInitiated
            | K::EngagementUserWhisperInitiated
            | K::EngagementUserBargeInitiated
            | K::EngagementUserTakeoverInitiated
    );
    let named = o.supervisor_user_id().map(|u| u.as_str().to_owned());
    let legacy_user = legacy && named.is_none();
    let (supervisor, agent) = if legacy_user {
        (s(&o.user_id), None)
    } else {
        (named, s(&o.user_id))
    };
    let name = s(&o.monitoring_user_display_name)
        .or_else(|| s(&o.takeover_user_display_name))
        .or_else(|| s(&o.supervisor_display_name))
        .or_else(|| legacy_user.then(|| s(&o.user_display_name)).flatten());
    match (kind, supervisor) {
        (K::EngagementMonitorEnded, supervisor) => Signal::MonitorEnded {
            supervisor,
            action_type: o.action_type.as_ref().map(|a| a.as_str().to_owned()),
        },
        (K::EngagementTakeoverStarted | K::EngagementUserTakeoverInitiated, Some(sup)) => {
            Signal::TakeoverStarted {
                supervisor: sup,
                name,
                agent,
            }
        }
        (kind, Some(sup)) => {
            let action_type = o
                .action_type
                .as_ref()
                .map(|a| a.as_str().to_owned())
                .or_else(|| {
                    match kind {
                        K::EngagementUserBargeInitiated => Some("barge"),
                        K::EngagementUserWhisperInitiated => Some("whisper"),
                        K::EngagementUserMonitorInitiated => Some("listen"),
                        _ => None,
                    }
                    .map(str::to_owned)
                });
            Signal::MonitorStarted {
                supervisor: sup,
                name,
                agent,
                action_type,
            }
        }
        (_, None) => Signal::Other,
    }
}

/// Zoom's explicit `engagement_conference_*` events.
fn conference<'a>(kind: &EventKind, o: &'a ConferenceObject, a: &mut Attrs<'a>) -> Signal {
    shared_fields!(a, o);
    let step = match kind {
        K::EngagementConferenceParticipantInvited => Some(ConferenceStep::Invited),
        K::EngagementConferenceParticipantJoined => Some(ConferenceStep::Joined),
        K::EngagementConferenceParticipantLeft => Some(ConferenceStep::Left),
        K::EngagementConferenceParticipantRejected => Some(ConferenceStep::Rejected),
        K::EngagementConferenceParticipantTimeout => Some(ConferenceStep::Timeout),
        K::EngagementConferenceParticipantCanceled => Some(ConferenceStep::Canceled),
        _ => None,
    };
    match (*kind == K::EngagementConferenceCanceled, step) {
        (true, _) => Signal::ConferenceCanceled {
            conference_id: s(&o.conference_id),
        },
        (false, Some(step)) => Signal::Conference(Box::new(conference_signal(o, step))),
        (false, None) => Signal::Other,
    }
}

/// The API request behind a warm conference invitation.
fn call_control(kind: &EventKind, o: &CallControlObject) -> Signal {
    match kind {
        K::CallControlConferenceWarmInviteExecuted => Signal::ConferenceApiCall {
            conference_id: s(&o.conference_id),
            user: s(&o.user_id),
            request_id: s(&o.request_id),
        },
        _ => Signal::Other,
    }
}

/// A disposition or a note an agent added to the call.
fn annotation<'a>(kind: &EventKind, o: &'a AnnotationObject, a: &mut Attrs<'a>) -> Signal {
    shared_fields!(a, o);
    match kind {
        K::EngagementDispositionAdded => Signal::Disposition {
            user: s(&o.user_id),
            id: s(&o.disposition_id),
            name: s(&o.disposition_name),
        },
        K::EngagementNoteAdded => Signal::Note {
            user: s(&o.user_id),
            id: s(&o.note_id),
            text: s(&o.note),
        },
        _ => Signal::Other,
    }
}

/// Recording events only describe the call.
fn recording<'a>(o: &'a RecordingObject, a: &mut Attrs<'a>) -> Signal {
    a.direction = o.engagement_direction.as_ref().map(|x| x.as_str());
    a.channel = o.channel.as_ref().map(|x| x.as_str());
    a.flow_id = b(&o.flow_id);
    a.flow_name = o.flow_name.as_deref();
    a.queue_id = b(&o.cc_queue_id);
    a.queue_name = o.queue_name.as_deref();
    Signal::Other
}
