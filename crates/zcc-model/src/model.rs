//! The call model: what a rule makes of one engagement's events.
//!
//! Every type here serialises with a fixed field order and no maps whose order could vary, so
//! [`CallProjection::to_canonical_json`] is a byte-exact fingerprint of a projection (SPEC I4).
//! Times are milliseconds since the Unix epoch. Evidence is a sorted, duplicate-free list of log
//! positions (SPEC I5).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rule::RuleIdentity;

pub use zcc_events::{EngagementId, Position};

/// One engagement as a rule sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallProjection {
    pub rule: RuleIdentity,
    pub engagement: Engagement,
    pub legs: Vec<Leg>,
    pub holds: Vec<Hold>,
    pub transfers: Vec<Transfer>,
    pub conference_invitations: Vec<ConferenceInvitation>,
    pub conferences: Vec<Conference>,
    pub supervision: Vec<Supervision>,
    pub derived_events: Vec<DerivedEvent>,
    /// What the rule noticed about its evidence (empty for most calls, and then not written,
    /// so documents of calls without any stay as they were).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
    /// The call before an agent took it: the flow (IVR) and each wait in a queue, by start.
    /// The records from here on are not written when empty (so documents of calls without any
    /// stay as they were) and read back empty from documents stored before they were kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<Phase>,
    /// Every offer of the call's tasks to an agent (`task_reservation_*`): when it rang, and
    /// how it ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<Offer>,
    /// Agents' after-call work (`engagement_wrap_up_started` / `_ended`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wrap_ups: Vec<WrapUp>,
    /// Dispositions chosen for the call (`engagement_disposition_added`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dispositions: Vec<Disposition>,
    /// Notes written on the call (`engagement_note_added`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

/// Which phase of the call's routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    /// The flow (IVR) the call ran through before it was routed: from `engagement_started`
    /// to the first routing event (`task_created`, `task_entered_queue`, an offer) or the first
    /// connected leg.
    Flow,
    /// A wait in a queue: `task_entered_queue` to `task_exited_queue`.
    Queue,
}

/// A phase of the call before (or between) agents: the flow, or a wait in a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    pub kind: PhaseKind,
    /// The flow's or the queue's id.
    pub id: Option<String>,
    /// The flow's or the queue's name.
    pub name: Option<String>,
    /// The task that waited (queue phases).
    pub task_id: Option<String>,
    pub started_at: i64,
    /// `None` while it lasts (a queue wait with no exit, on a call still open).
    pub ended_at: Option<i64>,
    pub evidence: Vec<Position>,
}

/// How an offer to an agent ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferOutcome {
    Accepted,
    Rejected,
    Timeout,
    Canceled,
    Rescinded,
    /// No outcome was seen.
    Pending,
}

impl OfferOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            OfferOutcome::Accepted => "accepted",
            OfferOutcome::Rejected => "rejected",
            OfferOutcome::Timeout => "timeout",
            OfferOutcome::Canceled => "canceled",
            OfferOutcome::Rescinded => "rescinded",
            OfferOutcome::Pending => "pending",
        }
    }
}

/// One offer of a task to one agent (a reservation): it rang from `offered_at` to
/// `outcome_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub user_id: Option<String>,
    pub task_id: Option<String>,
    pub reservation_id: Option<String>,
    pub queue_id: Option<String>,
    pub queue_name: Option<String>,
    /// What the offer was for: `routing`, `transfer` or `conference_invitation`.
    pub via: Via,
    /// `created_time_ms` of the reservation.
    pub offered_at: i64,
    pub outcome: OfferOutcome,
    pub outcome_at: Option<i64>,
    pub evidence: Vec<Position>,
}

/// One agent's after-call work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapUp {
    pub user_id: String,
    pub started_at: i64,
    /// `None` when no `engagement_wrap_up_ended` was seen.
    pub ended_at: Option<i64>,
    pub evidence: Vec<Position>,
}

/// A disposition chosen for the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disposition {
    pub at: i64,
    /// The agent who chose it.
    pub user_id: Option<String>,
    pub disposition_id: Option<String>,
    pub disposition_name: Option<String>,
    pub evidence: Vec<Position>,
}

/// A note written on the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub at: i64,
    /// The agent who wrote it.
    pub user_id: Option<String>,
    pub note_id: Option<String>,
    pub text: Option<String>,
    pub evidence: Vec<Position>,
}

/// The engagement as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    pub engagement_id: EngagementId,
    pub account_id: Option<String>,
    pub channel: Option<String>,
    pub direction: Option<String>,
    pub flow_id: Option<String>,
    pub flow_name: Option<String>,
    /// Queue ids in the order the call first met them.
    pub queue_ids: Vec<String>,
    /// Queue names in the order the call first met them.
    pub queue_names: Vec<String>,
    /// `engagement_started`, or the earliest event when it never arrived.
    pub started_at: Option<i64>,
    /// `engagement_ended`, or the last leg's end when every leg has ended without it; `None` while
    /// the call is open.
    pub ended_at: Option<i64>,
    /// False when no `engagement_started` was seen and `started_at` is the earliest event.
    pub start_observed: bool,
    /// False when no `engagement_ended` was seen and `ended_at` (if any) was inferred from legs.
    pub end_observed: bool,
    pub customer_id: Option<String>,
    pub customer_number: Option<String>,
    pub customer_name: Option<String>,
    pub evidence: Vec<Position>,
}

/// Who a leg belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Customer,
    Agent,
    Supervisor,
}

/// How an agent came onto the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Routed to the call (a reservation on a task that is neither a transfer's target nor an
    /// invitation), or the first agent of a call with no reservation at all (outbound).
    Routing,
    /// The target of a transfer.
    Transfer,
    /// Invited into a call that already had a connected agent.
    ConferenceInvitation,
    /// A supervisor who took the call over.
    Takeover,
    /// A supervisor's monitoring session (listen, whisper, barge).
    Monitor,
    /// The customer's own leg.
    Customer,
    /// Connected while another agent was, with no reservation, transfer or invitation behind it.
    Unknown,
}

/// One party's presence on the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    pub party: Party,
    /// `None` for the customer.
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub joined_at: i64,
    pub left_at: Option<i64>,
    pub via: Via,
    /// The task whose reservation brought the agent, when known.
    pub task_id: Option<String>,
    pub evidence: Vec<Position>,
}

/// An agent's hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub user_id: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub evidence: Vec<Position>,
}

/// How a transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferOutcome {
    Completed,
    Accepted,
    Rejected,
    Timeout,
    Canceled,
    Unknown,
}

impl TransferOutcome {
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            TransferOutcome::Rejected | TransferOutcome::Timeout | TransferOutcome::Canceled
        )
    }
}

/// One transfer, from `engagement_transfer_*` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub from_user: Option<String>,
    pub to_user: Option<String>,
    pub to_queue_id: Option<String>,
    pub to_queue_name: Option<String>,
    pub to_number: Option<String>,
    /// `transfer_to_flow_id`, else `transfer_to_inbox_id`.
    pub to_flow_or_inbox: Option<String>,
    pub transfer_type: Option<String>,
    pub transfer_level: Option<String>,
    pub started_at: i64,
    pub accepted_at: Option<i64>,
    pub outcome: TransferOutcome,
    pub outcome_at: Option<i64>,
    pub task_id: Option<String>,
    pub target_task_id: Option<String>,
    pub evidence: Vec<Position>,
}

/// How a conference invitation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationOutcome {
    Accepted,
    Rejected,
    Timeout,
    Canceled,
    Rescinded,
    Pending,
}

/// Where a conference (or an invitation) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConferenceSource {
    /// Zoom's `engagement_conference_*` events.
    Explicit,
    /// Inferred from legs and reservations.
    Inferred,
}

/// An invitation of an agent into a call that already had one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConferenceInvitation {
    pub invited_user: Option<String>,
    pub invited_by: Option<String>,
    pub invited_at: i64,
    pub outcome: InvitationOutcome,
    pub outcome_at: Option<i64>,
    pub source: ConferenceSource,
    pub evidence: Vec<Position>,
}

/// A period with the customer and at least two agents (SPEC 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conference {
    /// 1-based within the engagement, by start.
    pub conference_index: i64,
    pub started_at: i64,
    /// `None` while open.
    pub ended_at: Option<i64>,
    /// Agent user ids, sorted.
    pub participants: Vec<String>,
    pub initiated_by: Option<String>,
    pub source: ConferenceSource,
    pub evidence: Vec<Position>,
    /// Zoom's `conference_id` (explicit conferences); `None` when inferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conference_id: Option<String>,
    /// Phone numbers of outside parties in the conference, sorted (never in `participants`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_participants: Vec<String>,
    /// The Call Control API request that started it, where there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_call: Option<ApiCall>,
}

/// A `call_control_conference_warm_invite_executed`: the integrator's API request that started
/// a conference, matched to it by `conference_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCall {
    pub at: i64,
    /// The agent whose app made the request.
    pub user_id: Option<String>,
    pub request_id: Option<String>,
    pub evidence: Vec<Position>,
}

/// Something the rule noticed about the evidence it was given: explicit conference events that
/// are incomplete, unreadable or contradict the legs. Shown by `show`, the API and the web page,
/// and counted in `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// A stable name: `explicit_incomplete`, `inferred_conference_left_out`,
    /// `unreadable_participant`, `roster_contradicts_legs`.
    pub kind: String,
    pub message: String,
    pub evidence: Vec<Position>,
}

/// A supervisor's way of being on the call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SupervisionMode {
    Listen,
    Whisper,
    Barge,
    Takeover,
    /// An `action_type` this crate does not know, verbatim.
    Other(String),
}

impl SupervisionMode {
    pub fn as_str(&self) -> &str {
        match self {
            SupervisionMode::Listen => "listen",
            SupervisionMode::Whisper => "whisper",
            SupervisionMode::Barge => "barge",
            SupervisionMode::Takeover => "takeover",
            SupervisionMode::Other(s) => s,
        }
    }

    /// Read an `action_type`. Missing, `monitor`, `listen` and `view` mean silent monitoring.
    pub fn from_action_type(action: Option<&str>) -> SupervisionMode {
        match action.map(|a| a.trim().to_ascii_lowercase()) {
            None => SupervisionMode::Listen,
            Some(a) => match a.as_str() {
                "" | "monitor" | "listen" | "view" | "silent" => SupervisionMode::Listen,
                "whisper" => SupervisionMode::Whisper,
                "barge" | "barge_in" => SupervisionMode::Barge,
                "takeover" | "take_over" => SupervisionMode::Takeover,
                _ => SupervisionMode::Other(a),
            },
        }
    }
}

impl Serialize for SupervisionMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SupervisionMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        Ok(SupervisionMode::from_action_type(Some(&word)))
    }
}

/// One supervision session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supervision {
    pub supervisor: String,
    pub supervisor_name: Option<String>,
    /// The agent being supervised (or taken over), when the event names one.
    pub agent: Option<String>,
    pub mode: SupervisionMode,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub evidence: Vec<Position>,
}

/// The kinds of derived call events (SPEC 5), in the order used to break ties at equal times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DerivedKind {
    CallStarted,
    AgentJoined,
    TransferInitiated,
    TransferAccepted,
    ConferenceInvited,
    ConferenceInviteAccepted,
    ConferenceInviteRejected,
    ConferenceInviteCanceled,
    ConferenceStarted,
    ConferenceParticipantJoined,
    SupervisionStarted,
    HoldStarted,
    HoldEnded,
    SupervisionEnded,
    ConferenceParticipantLeft,
    ConferenceEnded,
    TransferCompleted,
    TransferFailed,
    AgentLeft,
    CallEnded,
}

impl DerivedKind {
    pub const ALL: &'static [DerivedKind] = &[
        DerivedKind::CallStarted,
        DerivedKind::AgentJoined,
        DerivedKind::TransferInitiated,
        DerivedKind::TransferAccepted,
        DerivedKind::ConferenceInvited,
        DerivedKind::ConferenceInviteAccepted,
        DerivedKind::ConferenceInviteRejected,
        DerivedKind::ConferenceInviteCanceled,
        DerivedKind::ConferenceStarted,
        DerivedKind::ConferenceParticipantJoined,
        DerivedKind::SupervisionStarted,
        DerivedKind::HoldStarted,
        DerivedKind::HoldEnded,
        DerivedKind::SupervisionEnded,
        DerivedKind::ConferenceParticipantLeft,
        DerivedKind::ConferenceEnded,
        DerivedKind::TransferCompleted,
        DerivedKind::TransferFailed,
        DerivedKind::AgentLeft,
        DerivedKind::CallEnded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DerivedKind::CallStarted => "call_started",
            DerivedKind::AgentJoined => "agent_joined",
            DerivedKind::AgentLeft => "agent_left",
            DerivedKind::HoldStarted => "hold_started",
            DerivedKind::HoldEnded => "hold_ended",
            DerivedKind::TransferInitiated => "transfer_initiated",
            DerivedKind::TransferAccepted => "transfer_accepted",
            DerivedKind::TransferCompleted => "transfer_completed",
            DerivedKind::TransferFailed => "transfer_failed",
            DerivedKind::ConferenceInvited => "conference_invited",
            DerivedKind::ConferenceInviteAccepted => "conference_invite_accepted",
            DerivedKind::ConferenceInviteRejected => "conference_invite_rejected",
            DerivedKind::ConferenceInviteCanceled => "conference_invite_canceled",
            DerivedKind::ConferenceStarted => "conference_started",
            DerivedKind::ConferenceParticipantJoined => "conference_participant_joined",
            DerivedKind::ConferenceParticipantLeft => "conference_participant_left",
            DerivedKind::ConferenceEnded => "conference_ended",
            DerivedKind::SupervisionStarted => "supervision_started",
            DerivedKind::SupervisionEnded => "supervision_ended",
            DerivedKind::CallEnded => "call_ended",
        }
    }
}

impl std::fmt::Display for DerivedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One derived call event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivedEvent {
    pub at: i64,
    pub kind: DerivedKind,
    pub engagement_id: EngagementId,
    /// The agents concerned (for a transfer: from, then to).
    pub agents: Vec<String>,
    pub evidence: Vec<Position>,
    /// The identity of the rule that derived it (`correlated@1+3fa2c1`).
    pub rule: String,
}

impl CallProjection {
    /// Read a projection back from its canonical JSON (as stored by a generation).
    pub fn from_canonical_json(bytes: &[u8]) -> Result<CallProjection, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The canonical bytes of this projection: compact JSON with the declared field order.
    pub fn to_canonical_json(&self) -> Vec<u8> {
        // Room for a typical call's document up front, instead of growing through reallocations.
        let mut out = Vec::with_capacity(4096);
        serde_json::to_writer(&mut out, self).expect("a projection always serialises");
        out
    }

    /// True when any conference was found.
    pub fn has_conference(&self) -> bool {
        !self.conferences.is_empty()
    }

    /// Display names by user id, from what the call itself says: each agent's or supervisor's
    /// leg (the first leg with a name), then the supervision sessions. Exports and pages name
    /// people through this one map.
    pub fn user_names(&self) -> BTreeMap<&str, &str> {
        let mut names = BTreeMap::new();
        for leg in &self.legs {
            if let (Some(id), Some(name)) = (leg.user_id.as_deref(), leg.display_name.as_deref()) {
                names.entry(id).or_insert(name);
            }
        }
        for s in &self.supervision {
            if let Some(name) = s.supervisor_name.as_deref() {
                names.entry(s.supervisor.as_str()).or_insert(name);
            }
        }
        names
    }

    /// Agent user ids that held an agent leg, sorted and unique.
    pub fn agents(&self) -> Vec<String> {
        let mut agents: Vec<String> = self
            .legs
            .iter()
            .filter(|l| l.party == Party::Agent)
            .filter_map(|l| l.user_id.clone())
            .collect();
        agents.sort();
        agents.dedup();
        agents
    }

    /// Every evidence list, rewritten through `f` and re-sorted. Used to compare projections of
    /// the same events logged at different positions (map each position to its body's hash rank).
    pub fn remap_evidence(&mut self, mut f: impl FnMut(Position) -> Position) {
        let mut fix = |ev: &mut Vec<Position>| {
            for p in ev.iter_mut() {
                *p = f(*p);
            }
            ev.sort_unstable();
            ev.dedup();
        };
        fix(&mut self.engagement.evidence);
        self.legs.iter_mut().for_each(|x| fix(&mut x.evidence));
        self.holds.iter_mut().for_each(|x| fix(&mut x.evidence));
        self.transfers.iter_mut().for_each(|x| fix(&mut x.evidence));
        self.conference_invitations
            .iter_mut()
            .for_each(|x| fix(&mut x.evidence));
        for c in &mut self.conferences {
            fix(&mut c.evidence);
            if let Some(api) = &mut c.api_call {
                fix(&mut api.evidence);
            }
        }
        self.diagnostics
            .iter_mut()
            .for_each(|x| fix(&mut x.evidence));
        self.supervision
            .iter_mut()
            .for_each(|x| fix(&mut x.evidence));
        self.derived_events
            .iter_mut()
            .for_each(|x| fix(&mut x.evidence));
        self.phases.iter_mut().for_each(|x| fix(&mut x.evidence));
        self.offers.iter_mut().for_each(|x| fix(&mut x.evidence));
        self.wrap_ups.iter_mut().for_each(|x| fix(&mut x.evidence));
        self.dispositions
            .iter_mut()
            .for_each(|x| fix(&mut x.evidence));
        self.notes.iter_mut().for_each(|x| fix(&mut x.evidence));
    }
}
