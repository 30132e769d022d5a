//! Ground truth: what really happened in each simulated call, one row per fact.
//!
//! Each row serialises as one JSON object with a `"table"` field naming the table and the row's
//! columns after it (see docs/SIMULATOR.md). The `conferences` columns are exactly those of the
//! `conferences` export (SPEC section 8), `conference_id` and `external_participants` included.
//! Times are RFC 3339 UTC with milliseconds; every time is the `date_time_ms` (or, for task and
//! reservation events, `last_modified_time_ms`) of the event that marks it, so truth and bodies
//! agree to the millisecond.

use serde::Serialize;

/// The rule identity written in truth rows.
pub const TRUTH_RULE: &str = "truth";

/// One fact about one simulated call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "table", rename_all = "snake_case")]
pub enum TruthRow {
    /// One row per call, emitted first for that call.
    Engagements(EngagementTruth),
    Conferences(ConferenceTruth),
    ConferenceInvitations(InvitationTruth),
    Transfers(TransferTruth),
    Holds(HoldTruth),
    Supervision(SupervisionTruth),
}

impl TruthRow {
    /// The table name, as written in the `"table"` field.
    pub fn table(&self) -> &'static str {
        match self {
            TruthRow::Engagements(_) => "engagements",
            TruthRow::Conferences(_) => "conferences",
            TruthRow::ConferenceInvitations(_) => "conference_invitations",
            TruthRow::Transfers(_) => "transfers",
            TruthRow::Holds(_) => "holds",
            TruthRow::Supervision(_) => "supervision",
        }
    }

    /// The row as one compact JSON line (without the trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            // Serialising plain strings, integers and lists cannot fail; keep the line parseable.
            format!("{{\"table\":\"error\",\"message\":{:?}}}", e.to_string())
        })
    }
}

/// What the simulator did with a call: its pattern and the variations applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngagementTruth {
    pub engagement_id: String,
    pub account_id: String,
    /// The pattern name (see [`crate::Pattern::name`]).
    pub pattern: String,
    pub direction: String,
    pub channel: String,
    pub started_at: String,
    pub ended_at: String,
    /// Every agent (not supervisor) who was connected, sorted.
    pub agents: Vec<String>,
    /// Supervisors who monitored or took over, sorted.
    pub supervisors: Vec<String>,
    /// Whether the call carried Zoom's 2026 `engagement_conference_*` events.
    pub explicit_conference_events: bool,
    /// Whether supervisor events use the 2023 `engagement_user_*_initiated` names.
    pub legacy_supervisor_events: bool,
    /// Events Zoom sometimes does not send that this call omits (for example
    /// `engagement_ended`, `engagement_consumer_answered`, `engagement_transfer_completed`).
    pub omitted_events: Vec<String>,
    /// Number of distinct webhook bodies the call produced (before duplicates).
    pub event_count: u32,
    pub rule: String,
}

/// SPEC section 8 `conferences` columns, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConferenceTruth {
    pub engagement_id: String,
    pub account_id: String,
    pub conference_index: u32,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub participants: Vec<String>,
    pub initiated_by: Option<String>,
    /// `explicit` when the call carried `engagement_conference_*` events, else `inferred`.
    pub source: String,
    pub rule: String,
    pub evidence: Vec<u64>,
    /// Zoom's `conference_id` of the conference: set for calls whose explicit events are in
    /// the documented shape (which carries it), `None` otherwise.
    pub conference_id: Option<String>,
    /// Phone numbers of outside parties who joined the conference, sorted. They are never in
    /// `participants` and do not count as agents.
    pub external_participants: Vec<String>,
}

/// A conference invitation (SPEC section 5): invited agent, invited by, invited at, outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitationTruth {
    pub engagement_id: String,
    pub account_id: String,
    pub invitation_index: u32,
    pub invited_user_id: String,
    pub invited_by: String,
    pub invited_at: String,
    /// `accepted`, `rejected`, `timeout` or `canceled`.
    pub outcome: String,
    pub outcome_at: String,
    pub source: String,
    pub rule: String,
}

/// A transfer (SPEC section 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferTruth {
    pub engagement_id: String,
    pub account_id: String,
    pub transfer_index: u32,
    pub from_user_id: String,
    pub to_queue_id: Option<String>,
    pub to_user_id: Option<String>,
    /// The `transfer_type` value sent (`cold` or `warm`).
    pub transfer_type: String,
    /// The `transfer_level` value sent (`queue` or `user`).
    pub transfer_level: String,
    /// `engagement_transfer_initiated` time.
    pub started_at: String,
    /// What really happened: always `completed` in the current patterns.
    pub outcome: String,
    /// When the target agent answered (cold) or the transferring agent left (warm).
    pub outcome_at: String,
    /// When the target agent answered.
    pub target_answered_at: String,
    /// When the transferring agent's leg ended.
    pub from_left_at: String,
    /// The new task the transfer created (`transfer_to_task_id`).
    pub to_task_id: String,
    /// Whether Zoom sent `engagement_transfer_completed` for it (forum F2: not always).
    pub completed_event_sent: bool,
    pub rule: String,
}

/// A hold (SPEC section 5): the agent who pressed hold, start, end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldTruth {
    pub engagement_id: String,
    pub account_id: String,
    pub hold_index: u32,
    pub user_id: String,
    pub started_at: String,
    pub ended_at: String,
    pub duration_ms: i64,
    pub rule: String,
}

/// A supervision session (SPEC section 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupervisionTruth {
    pub engagement_id: String,
    pub account_id: String,
    pub session_index: u32,
    pub supervisor_user_id: String,
    /// The agent being supervised (for a takeover: the agent replaced).
    pub agent_user_id: String,
    /// `listen`, `whisper`, `barge` or `takeover`.
    pub mode: String,
    pub started_at: String,
    /// For a takeover: when the supervisor's leg ended.
    pub ended_at: String,
    /// `monitor` (`engagement_monitor_*` / `engagement_takeover_started`) or `legacy`
    /// (`engagement_user_*_initiated`, which has no end event).
    pub naming: String,
    pub rule: String,
}
