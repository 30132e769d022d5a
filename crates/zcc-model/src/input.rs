//! The rule's input: an engagement's events as the log holds them, read as far as the fold
//! needs them, and the thin adapter from what `zcc-events` reads to the fold's [`Signal`]s.

use std::borrow::Cow;

use zcc_events::{
    ConferenceObject, EnvelopeError, EventKind, EventKind as K, FamilyKind, FoldFields,
    ObjectFields, OrderKey, ParseOptions, Position, ZccEvent, parse_event_str_with,
    read_fold_fields,
};

use crate::rule::ExplicitConferences;
use crate::signal::{
    Attrs, ConferenceRole, ConferenceSignal, ConferenceStep, ReservationStep, RosterEntry, Signal,
    TaskStep, Timed, TransferFacts, TransferStep,
};

/// How the fold parses a body when it needs the typed event: rules read typed fields only, so
/// unknown fields are not copied out.
pub const FOLD_PARSE: ParseOptions = ParseOptions { skip_extra: true };

/// One logged event of an engagement, read as far as the fold needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputEvent<'a> {
    /// Log position, cited as evidence.
    pub position: Position,
    /// SHA-256 of the raw body: the identity of the event.
    pub body_sha256: [u8; 32],
    reading: Reading<'a>,
}

/// How an event was read. Both readings give the fold the same [`FoldFields`].
// The borrowed reading is the common case and lives only while its engagement is folded;
// boxing it would cost an allocation per event, which is what it is there to save.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
enum Reading<'a> {
    /// Straight from the body's text ([`read_fold_fields`]).
    Borrowed(FoldFields<'a>),
    /// The typed event: the fast reading gave up on the body, or the caller had one.
    Typed(Box<ZccEvent>),
}

impl<'a> InputEvent<'a> {
    /// Read a logged body: the fields the fold needs, borrowed from `body`, or, for a body
    /// the borrowed reading does not take, its typed event ([`FOLD_PARSE`]). Fails only when
    /// the body is not an envelope.
    pub fn read(
        position: Position,
        body_sha256: [u8; 32],
        body: &'a str,
    ) -> Result<InputEvent<'a>, EnvelopeError> {
        let reading = match read_fold_fields(body) {
            Some(fields) => Reading::Borrowed(fields),
            None => Reading::Typed(Box::new(parse_event_str_with(body, FOLD_PARSE)?)),
        };
        Ok(InputEvent {
            position,
            body_sha256,
            reading,
        })
    }

    /// An event already read into the typed model.
    pub fn typed(position: Position, body_sha256: [u8; 32], event: ZccEvent) -> InputEvent<'a> {
        InputEvent {
            position,
            body_sha256,
            reading: Reading::Typed(Box::new(event)),
        }
    }

    /// What the fold reads of this event (borrowed as read, or gathered from the typed
    /// event).
    pub fn fields(&self) -> Cow<'_, FoldFields<'_>> {
        match &self.reading {
            Reading::Borrowed(fields) => Cow::Borrowed(fields),
            Reading::Typed(event) => Cow::Owned(event.fold_fields()),
        }
    }

    /// True when the event was read straight from the body's text.
    pub fn is_borrowed(&self) -> bool {
        matches!(self.reading, Reading::Borrowed(_))
    }

    fn time_and_kind(&self) -> (Option<i64>, &EventKind) {
        match &self.reading {
            Reading::Borrowed(f) => (f.event_time_ms, &f.kind),
            Reading::Typed(e) => (e.event_time_ms, &e.kind),
        }
    }
}

/// The fold order of a set of events: exact duplicates (same body hash) dropped, keeping the
/// lowest position, then ordered by (event time, kind rank, body hash), never by arrival.
/// Events with no time at all (neither an object time nor `event_ts`) cannot be placed and are
/// left out.
pub fn fold_order<'e, 'a>(events: &'e [InputEvent<'a>]) -> Vec<&'e InputEvent<'a>> {
    let mut keyed: Vec<(OrderKey, &InputEvent)> = Vec::with_capacity(events.len());
    keyed.extend(events.iter().filter_map(|e| {
        let (t, kind) = e.time_and_kind();
        Some((OrderKey::new(t?, kind, e.body_sha256), e))
    }));
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.position.cmp(&b.1.position)));
    keyed.dedup_by(|later, earlier| later.1.body_sha256 == earlier.1.body_sha256);
    keyed.into_iter().map(|(_, e)| e).collect()
}

/// The signals of an engagement's events, in fold order.
pub(crate) fn signals<'e>(
    events: &'e [InputEvent<'_>],
    explicit: ExplicitConferences,
) -> Vec<Timed<'e>> {
    let ordered = fold_order(events);
    let mut out = Vec::with_capacity(ordered.len());
    out.extend(
        ordered
            .into_iter()
            .map(|e| {
                let fields = e.fields();
                let at = fields.event_time_ms.unwrap_or_default();
                let (attrs, signal) = adapt(&fields);
                Timed {
                    at,
                    position: e.position,
                    attrs,
                    signal,
                }
            })
            .filter(|t| explicit == ExplicitConferences::Use || !t.signal.is_explicit_conference()),
    );
    out
}

/// An owned copy of a borrowed field, for the signal.
fn s(v: Option<&str>) -> Option<String> {
    v.map(str::to_owned)
}

/// A typed field's text, for the conference roster.
fn t<T: std::borrow::Borrow<str>>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|v| v.borrow().to_owned())
}

/// Copy the call's routing fields (direction, channel, flow, queue) into the attributes.
fn routing_fields<'a>(a: &mut Attrs<'a>, o: &ObjectFields<'a>) {
    a.direction = o.engagement_direction;
    a.channel = o.channel;
    a.flow_id = o.flow_id;
    a.flow_name = o.flow_name;
    a.queue_id = o.cc_queue_id;
    a.queue_name = o.queue_name;
}

/// Copy Zoom's shared field set (the routing fields and the consumer) into the attributes.
fn shared_fields<'a>(a: &mut Attrs<'a>, o: &ObjectFields<'a>) {
    routing_fields(a, o);
    a.consumer_id = o.consumer_id;
    a.consumer_number = o.consumer_number;
    a.consumer_name = o.consumer_display_name;
}

/// What a conference event says, in either shape.
fn conference_signal(o: &ConferenceObject, step: ConferenceStep) -> ConferenceSignal {
    let subject = o.subject();
    let name = subject
        .and_then(|p| t(&p.participant_display_name))
        .or_else(|| t(&o.user_display_name))
        .or_else(|| t(&o.invitee_display_name));
    let roster = o.conference_participants.as_ref().map(|list| {
        list.iter()
            .map(|p| RosterEntry {
                user: p.agent().map(|u| u.as_str().to_owned()),
                number: p.outside_number().map(|n| n.raw.clone()),
                name: t(&p.participant_display_name),
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
        conference_id: t(&o.conference_id).filter(|c| !c.is_empty()),
        user: o.participant_user_id().map(|u| u.as_str().to_owned()),
        number: o.participant_number().map(|n| n.raw.clone()),
        name,
        invited_by: t(&o.inviter_user_id),
        roster,
    }
}

/// What one event means for the call: the envelope's ids, then the family's own reading.
/// Each family reads only fields its typed object has (see [`FoldFields`]).
pub(crate) fn adapt<'a>(ev: &FoldFields<'a>) -> (Attrs<'a>, Signal) {
    let mut a = Attrs {
        engagement_id: ev.engagement_id,
        account_id: ev.account_id,
        ..Attrs::default()
    };
    let kind = &*ev.kind;
    let o = &ev.object;
    let signal = match ev.family {
        FamilyKind::Engagement => engagement(kind, o, &mut a),
        FamilyKind::Leg => leg(kind, o, &mut a),
        FamilyKind::Transfer => transfer(kind, o, &mut a),
        FamilyKind::Task => task(kind, o, &mut a),
        FamilyKind::Reservation => reservation(kind, ev, &mut a),
        FamilyKind::Supervision => supervision(kind, o, &mut a),
        FamilyKind::Conference => conference(kind, ev, &mut a),
        FamilyKind::CallControl => call_control(kind, o),
        FamilyKind::Recording => recording(o, &mut a),
        FamilyKind::Annotation => annotation(kind, o, &mut a),
        FamilyKind::Other => Signal::Other,
    };
    (a, signal)
}

/// `engagement_started` and `engagement_ended`.
fn engagement<'a>(kind: &EventKind, o: &ObjectFields<'a>, a: &mut Attrs<'a>) -> Signal {
    shared_fields(a, o);
    match kind {
        K::EngagementStarted => Signal::EngagementStarted,
        K::EngagementEnded => Signal::EngagementEnded,
        _ => Signal::Other,
    }
}

/// The customer's and the agents' legs: answers, ends, wrap-up, holds.
fn leg<'a>(kind: &EventKind, o: &ObjectFields<'a>, a: &mut Attrs<'a>) -> Signal {
    shared_fields(a, o);
    let user = s(o.user_id);
    match (kind, user) {
        (K::EngagementConsumerAnswered, _) => Signal::CustomerAnswered,
        (K::EngagementConsumerEnded, _) => Signal::CustomerEnded,
        (K::EngagementUserAnswered, Some(user)) => Signal::AgentAnswered {
            user,
            name: s(o.user_display_name),
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
fn transfer<'a>(kind: &EventKind, o: &ObjectFields<'a>, a: &mut Attrs<'a>) -> Signal {
    shared_fields(a, o);
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
            task: s(o.task_id),
            to_task: s(o.transfer_to_task_id),
            from_user: s(o.user_id),
            from_name: s(o.user_display_name),
            to_user: s(o.transfer_to_user_id),
            to_user_name: s(o.transfer_to_user_display_name),
            to_queue_id: s(o.transfer_to_cc_queue_id),
            to_queue_name: s(o.transfer_to_queue_name),
            to_number: s(o.transfer_to_number),
            to_flow_id: s(o.transfer_to_flow_id),
            to_inbox_id: s(o.transfer_to_inbox_id),
            transfer_type: s(o.transfer_type),
            level: s(o.transfer_level),
        }),
    }
}

/// Task events describe the call (channel, flow, queue, numbers); creation and the queue's
/// entry and exit are the routing phases.
fn task<'a>(kind: &EventKind, o: &ObjectFields<'a>, a: &mut Attrs<'a>) -> Signal {
    a.channel = o.channel.or(o.channel_name);
    a.flow_id = o.flow_id;
    a.flow_name = o.flow_name;
    a.queue_id = o.cc_queue_id.or(o.queue_id);
    a.queue_name = o.queue_name;
    a.caller_number = o.caller_number;
    a.callee_number = o.callee_number;
    let step = match kind {
        K::TaskCreated => TaskStep::Created,
        K::TaskEnteredQueue => TaskStep::EnteredQueue,
        K::TaskExitedQueue => TaskStep::ExitedQueue,
        _ => return Signal::Other,
    };
    Signal::Task {
        step,
        task: o.task_id.unwrap_or_default().to_owned(),
    }
}

/// An offer of a task to an agent, from creation to its outcome.
fn reservation<'a>(kind: &EventKind, ev: &FoldFields<'a>, a: &mut Attrs<'a>) -> Signal {
    let o = &ev.object;
    routing_fields(a, o);
    a.caller_number = o.caller_number;
    a.callee_number = o.callee_number;
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
        reservation: Some(o.task_reservation_id.unwrap_or_default().to_owned()),
        task: s(o.task_id),
        user: s(o.assigned_user_id),
        created_at: ev.created_at,
    }
}

/// Monitoring (listen, whisper, barge) and takeovers, in the current and the 2023 naming.
fn supervision<'a>(kind: &EventKind, o: &ObjectFields<'a>, a: &mut Attrs<'a>) -> Signal {
    shared_fields(a, o);
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
    // The supervisor: `monitoring_user_id`, else `takeover_user_id`, else `supervisor_id`.
    let named = s(o
        .monitoring_user_id
        .or(o.takeover_user_id)
        .or(o.supervisor_id));
    let legacy_user = legacy && named.is_none();
    let (supervisor, agent) = if legacy_user {
        (s(o.user_id), None)
    } else {
        (named, s(o.user_id))
    };
    let name = s(o.monitoring_user_display_name)
        .or_else(|| s(o.takeover_user_display_name))
        .or_else(|| s(o.supervisor_display_name))
        .or_else(|| legacy_user.then(|| s(o.user_display_name)).flatten());
    match (kind, supervisor) {
        (K::EngagementMonitorEnded, supervisor) => Signal::MonitorEnded {
            supervisor,
            action_type: s(o.action_type),
        },
        (K::EngagementTakeoverStarted | K::EngagementUserTakeoverInitiated, Some(sup)) => {
            Signal::TakeoverStarted {
                supervisor: sup,
                name,
                agent,
            }
        }
        (kind, Some(sup)) => {
            let action_type = s(o.action_type).or_else(|| {
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
fn conference<'a>(kind: &EventKind, ev: &FoldFields<'a>, a: &mut Attrs<'a>) -> Signal {
    shared_fields(a, &ev.object);
    let step = match kind {
        K::EngagementConferenceParticipantInvited => Some(ConferenceStep::Invited),
        K::EngagementConferenceParticipantJoined => Some(ConferenceStep::Joined),
        K::EngagementConferenceParticipantLeft => Some(ConferenceStep::Left),
        K::EngagementConferenceParticipantRejected => Some(ConferenceStep::Rejected),
        K::EngagementConferenceParticipantTimeout => Some(ConferenceStep::Timeout),
        K::EngagementConferenceParticipantCanceled => Some(ConferenceStep::Canceled),
        _ => None,
    };
    match (
        *kind == K::EngagementConferenceCanceled,
        step,
        ev.conference,
    ) {
        (true, _, _) => Signal::ConferenceCanceled {
            conference_id: s(ev.object.conference_id),
        },
        (false, Some(step), Some(o)) => Signal::Conference(Box::new(conference_signal(o, step))),
        (false, _, _) => Signal::Other,
    }
}

/// The API request behind a warm conference invitation.
fn call_control(kind: &EventKind, o: &ObjectFields<'_>) -> Signal {
    match kind {
        K::CallControlConferenceWarmInviteExecuted => Signal::ConferenceApiCall {
            conference_id: s(o.conference_id),
            user: s(o.user_id),
            request_id: s(o.request_id),
        },
        _ => Signal::Other,
    }
}

/// A disposition or a note an agent added to the call.
fn annotation<'a>(kind: &EventKind, o: &ObjectFields<'a>, a: &mut Attrs<'a>) -> Signal {
    shared_fields(a, o);
    match kind {
        K::EngagementDispositionAdded => Signal::Disposition {
            user: s(o.user_id),
            id: s(o.disposition_id),
            name: s(o.disposition_name),
        },
        K::EngagementNoteAdded => Signal::Note {
            user: s(o.user_id),
            id: s(o.note_id),
            text: s(o.note),
        },
        _ => Signal::Other,
    }
}

/// Recording events only describe the call.
fn recording<'a>(o: &ObjectFields<'a>, a: &mut Attrs<'a>) -> Signal {
    routing_fields(a, o);
    Signal::Other
}
