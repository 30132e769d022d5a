//! The fold's own vocabulary: what each Zoom event means for the call, with Zoom's spelling left
//! behind. The adapter in [`crate::input`] turns typed `zcc-events` into these.

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
    },
    TakeoverStarted {
        supervisor: String,
        name: Option<String>,
        agent: Option<String>,
    },
    Conference {
        step: ConferenceStep,
        user: Option<String>,
        name: Option<String>,
        invited_by: Option<String>,
    },
    ConferenceCanceled,
    /// Carries attributes only (task events, recordings, anything else).
    Other,
}

impl Signal {
    /// True for the explicit conference family (hidden from a rule while scoring).
    pub fn is_explicit_conference(&self) -> bool {
        matches!(self, Signal::Conference { .. } | Signal::ConferenceCanceled)
    }
}

/// A signal placed in time, with the log position it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed<'a> {
    pub at: i64,
    pub position: i64,
    pub attrs: Attrs<'a>,
    pub signal: Signal,
}
