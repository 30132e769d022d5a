//! The fold's own vocabulary: what each Zoom event means for the call, with Zoom's spelling left
//! behind. The adapter in [`crate::input`] turns what `zcc-events` reads of an event into these.

use zcc_events::Position;

/// What the engagement's attributes look like in one event, borrowed from it (every field
/// optional; the fold keeps the first value seen in event-time order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attrs<'a> {
    pub engagement_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub direction: Option<&'a str>,
    pub flow_id: Option<&'a str>,
    pub flow_name: Option<&'a str>,
    pub queue_id: Option<&'a str>,
    pub queue_name: Option<&'a str>,
    pub consumer_id: Option<&'a str>,
    pub consumer_number: Option<&'a str>,
    pub consumer_name: Option<&'a str>,
    /// `caller_number` of a task or reservation (the customer on inbound calls).
    pub caller_number: Option<&'a str>,
    /// `callee_number` of a task or reservation (the customer on outbound calls).
    pub callee_number: Option<&'a str>,
}

/// The engagement's attributes as the fold keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallAttrs {
    pub engagement_id: Option<String>,
    pub account_id: Option<String>,
    pub channel: Option<String>,
    pub direction: Option<String>,
    pub flow_id: Option<String>,
    pub flow_name: Option<String>,
    pub queue_id: Option<String>,
    pub queue_name: Option<String>,
    pub consumer_id: Option<String>,
    pub consumer_number: Option<String>,
    pub consumer_name: Option<String>,
    pub caller_number: Option<String>,
    pub callee_number: Option<String>,
}

/// Steps of an `engagement_transfer_*` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TransferStep {
    Initiated,
    Queued,
    Reserved,
    Accepted,
    Rejected,
    Timeout,
    Canceled,
    Completed,
}

/// What the transfer's own events say about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferFacts {
    pub task: Option<String>,
    pub to_task: Option<String>,
    pub from_user: Option<String>,
    pub from_name: Option<String>,
    pub to_user: Option<String>,
    pub to_user_name: Option<String>,
    pub to_queue_id: Option<String>,
    pub to_queue_name: Option<String>,
    pub to_number: Option<String>,
    pub to_flow_id: Option<String>,
    pub to_inbox_id: Option<String>,
    pub transfer_type: Option<String>,
    pub level: Option<String>,
}

/// How a reservation (an offer of a task to one agent) moved on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReservationStep {
    Created,
    Accepted,
    Rejected,
    Timeout,
    Canceled,
    Rescinded,
    Completed,
}

/// The routing steps of a task the call model reads (`task_created`,
/// `task_entered_queue`, `task_exited_queue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TaskStep {
    Created,
    EnteredQueue,
    ExitedQueue,
}

/// Steps of an `engagement_conference_*` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConferenceStep {
    Invited,
    Joined,
    Left,
    Rejected,
    Timeout,
    Canceled,
}

/// A conference participant's role, as `participant_role` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConferenceRole {
    Customer,
    Host,
    Invitee,
    /// Absent, or a role this crate does not know.
    Other,
}

/// One entry of a roster (`conference_participants[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// An agent's user id (never set for the customer).
    pub user: Option<String>,
    /// An outside party's phone number (never set for the customer or an agent).
    pub number: Option<String>,
    pub name: Option<String>,
    pub role: ConferenceRole,
}

/// What an `engagement_conference_participant_*` event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceSignal {
    pub step: ConferenceStep,
    /// Zoom's id of the conference (documented shape).
    pub conference_id: Option<String>,
    /// The agent the event is about.
    pub user: Option<String>,
    /// The outside party the event is about, when it is not an agent.
    pub number: Option<String>,
    pub name: Option<String>,
    /// Who invited (older guessed shape only; the documented events do not say).
    pub invited_by: Option<String>,
    /// The roster after the change (documented shape; `None` when the event has none).
    pub roster: Option<Vec<RosterEntry>>,
}

/// One meaning of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    EngagementStarted,
    EngagementEnded,
    CustomerAnswered,
    CustomerEnded,
    AgentAnswered {
        user: String,
        name: Option<String>,
    },
    AgentEnded {
        user: String,
    },
    WrapUpStarted {
        user: String,
    },
    WrapUpEnded {
        user: String,
    },
    /// A routing step of a task; its queue and flow are in the attributes.
    Task {
        step: TaskStep,
        task: String,
    },
    /// `engagement_disposition_added`.
    Disposition {
        user: Option<String>,
        id: Option<String>,
        name: Option<String>,
    },
    /// `engagement_note_added`.
    Note {
        user: Option<String>,
        id: Option<String>,
        text: Option<String>,
    },
    Hold {
        user: Option<String>,
    },
    Unhold {
        user: Option<String>,
    },
    Reservation {
        step: ReservationStep,
        reservation: Option<String>,
        task: Option<String>,
        user: Option<String>,
        /// `created_time_ms`: when the offer was made.
        created_at: Option<i64>,
    },
    Transfer {
        step: TransferStep,
        facts: Box<TransferFacts>,
    },
    MonitorStarted {
        supervisor: String,
        name: Option<String>,
        agent: Option<String>,
        action_type: Option<String>,
    },
    MonitorEnded {
        supervisor: Option<String>,
        /// The mode the event names (`action_type`), when it names one.
        action_type: Option<String>,
    },
    TakeoverStarted {
        supervisor: String,
        name: Option<String>,
        agent: Option<String>,
    },
    /// An `engagement_conference_participant_*` event: the participant it is about (an agent
    /// or an outside number) and, in the documented shape, the roster after the change.
    Conference(Box<ConferenceSignal>),
    /// `engagement_conference_canceled`.
    ConferenceCanceled {
        conference_id: Option<String>,
    },
    /// `call_control_conference_warm_invite_executed`: the Call Control API request behind a
    /// conference. Not one of Zoom's conference events: it only annotates a conference.
    ConferenceApiCall {
        conference_id: Option<String>,
        user: Option<String>,
        request_id: Option<String>,
    },
    /// Carries attributes only (task events, recordings, anything else).
    Other,
}

impl Signal {
    /// True for the explicit conference family (hidden from a rule while scoring).
    pub fn is_explicit_conference(&self) -> bool {
        matches!(
            self,
            Signal::Conference(_) | Signal::ConferenceCanceled { .. }
        )
    }
}

/// A signal placed in time, with the log position it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed<'a> {
    pub at: i64,
    pub position: Position,
    pub attrs: Attrs<'a>,
    pub signal: Signal,
}
