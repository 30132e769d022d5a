//! Realistic, seeded Zoom Contact Center (ZCC) webhook traffic.
//!
//! - [`generate`] plays many overlapping calls of the patterns that matter for call inference
//!   (simple calls, holds, transfers, conferences, invitations, supervision) and yields
//!   [`SimItem`]s: the raw webhook bodies in *delivery* order (with duplicates, reordering and
//!   late retries) and the ground truth of each call. It streams: memory is bounded by the
//!   calls in flight and the retries pending, never by the number of calls.
//! - [`send::post_all`] posts bodies to a receiver, signed as Zoom signs them.
//!
//! The same [`SimConfig`] (including the seed) always yields the same bytes. The call patterns,
//! the assumptions behind them and the truth format are described in `docs/SIMULATOR.md`.
//!
//! Layout: `call` plays one call into bodies and truth rows; `world` holds the account, queues,
//! flows and people; `truth` defines the truth rows; `json` writes field-ordered JSON; `ids`
//! makes Zoom-shaped ids and timestamps; `send` is the only module that does IO.

mod call;
mod ids;
mod json;
pub mod send;
pub mod truth;
mod world;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use ids::iso_ms;
pub use truth::TruthRow;

/// The payload shape of Zoom's explicit `engagement_conference_*` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConferenceShape {
    /// The payloads Zoom documents (2026): a `conference_id`, the roster after the change in
    /// `conference_participants[]`, and the participant the event is about under a key of its
    /// own (`invited_participant`, `joining_participant`, ...). Outside parties join some
    /// conferences, and some conferences start with
    /// `call_control_conference_warm_invite_executed`.
    #[default]
    Documented,
    /// The shape guessed before Zoom documented the payloads: the leg field set with the
    /// participant as `user_id` and the inviter as `inviter_user_id`. Kept byte for byte so
    /// older corpora can be regenerated.
    Guessed,
}

impl ConferenceShape {
    /// The name used on the command line and in `ZCC_CONFERENCE_SHAPE`.
    pub fn name(self) -> &'static str {
        match self {
            ConferenceShape::Documented => "documented",
            ConferenceShape::Guessed => "guessed",
        }
    }
}

impl std::str::FromStr for ConferenceShape {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s {
            "documented" => Ok(ConferenceShape::Documented),
            "guessed" => Ok(ConferenceShape::Guessed),
            other => Err(ConfigError::UnknownShape(other.to_owned())),
        }
    }
}

/// Mixed into the seed of the generator of teams and divisions.
const TEAM_SEED: u64 = 0x7EA4_5D1F_1510_4E55;

/// Mixed into the seed of the generator of the after-call annotations' delivery faults.
const ANNOTATION_DELIVERY_SEED: u64 = 0x0A77_E0DD_5DE1_1FE7;

/// 2026-05-04T14:00:00.000Z, the default start of simulated time.
pub const DEFAULT_START_MS: i64 = 1_777_903_200_000;

/// The longest a delivery can trail its event: Zoom's third retry comes 5 + 20 + 60 minutes
/// after the first attempt, plus network latency.
pub const MAX_LATE_MS: i64 = 85 * 60_000 + 1_000;

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Number of calls (engagements).
    pub calls: u64,
    /// Seed: the same configuration gives byte-identical output.
    pub seed: u64,
    /// When the first call starts, in milliseconds since the Unix epoch.
    pub start_ms: i64,
    /// Mean call arrival rate (Poisson arrivals). With calls of 2-20 minutes, 4/min keeps
    /// about 30-40 calls in progress at once.
    pub calls_per_minute: f64,
    /// Share of calls (0..=1) that carry Zoom's 2026 `engagement_conference_*` events.
    pub explicit_conference_share: f64,
    /// The payload shape of those explicit conference events.
    pub conference_shape: ConferenceShape,
    /// Share of supervised calls (0..=1) that use the 2023 `engagement_user_*_initiated` names.
    pub legacy_supervisor_share: f64,
    /// Probability (0..=1) that a delivered body is delivered a second time, byte for byte.
    pub duplicate_rate: f64,
    /// Probability (0..=1) that a delivery is held back 1-45 s, behind later events.
    pub reorder_rate: f64,
    /// Probability (0..=1) that the first attempt fails and the body arrives only with a
    /// retry 5, 25 or 85 minutes later.
    pub late_retry_rate: f64,
    /// Agents in the simulated contact center.
    pub agents: usize,
    /// Supervisors in the simulated contact center.
    pub supervisors: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            calls: 1_000,
            seed: 1,
            start_ms: DEFAULT_START_MS,
            calls_per_minute: 4.0,
            explicit_conference_share: 0.3,
            conference_shape: ConferenceShape::Documented,
            legacy_supervisor_share: 0.25,
            duplicate_rate: 0.02,
            reorder_rate: 0.05,
            late_retry_rate: 0.005,
            agents: 150,
            supervisors: 8,
        }
    }
}

/// A configuration value out of range. The message names the field and the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("simulator setting `{field}` must be between 0 and 1, got {value}")]
    NotAShare { field: &'static str, value: f64 },
    #[error("simulator setting `calls_per_minute` must be positive and finite, got {0}")]
    BadRate(f64),
    #[error("simulator setting `{field}` must be at least {min}, got {value}")]
    TooFew {
        field: &'static str,
        min: usize,
        value: usize,
    },
    #[error("unknown conference shape `{0}`: expected `documented` or `guessed`")]
    UnknownShape(String),
}

impl SimConfig {
    /// Check every setting; the error names the first one out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("explicit_conference_share", self.explicit_conference_share),
            ("legacy_supervisor_share", self.legacy_supervisor_share),
            ("duplicate_rate", self.duplicate_rate),
            ("reorder_rate", self.reorder_rate),
            ("late_retry_rate", self.late_retry_rate),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(ConfigError::NotAShare { field, value });
            }
        }
        if !(self.calls_per_minute.is_finite() && self.calls_per_minute > 0.0) {
            return Err(ConfigError::BadRate(self.calls_per_minute));
        }
        if self.agents < 4 {
            return Err(ConfigError::TooFew {
                field: "agents",
                min: 4,
                value: self.agents,
            });
        }
        if self.supervisors < 1 {
            return Err(ConfigError::TooFew {
                field: "supervisors",
                min: 1,
                value: self.supervisors,
            });
        }
        Ok(())
    }
}

/// The call patterns the simulator plays. Each call plays exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pattern {
    SimpleInbound,
    SimpleOutbound,
    HoldResume,
    ColdTransferQueue,
    TransferToAgent,
    WarmTransfer,
    Conference,
    ConferenceAgentLeaves,
    InviteRejected,
    InviteTimeout,
    InviteCanceled,
    SupervisorListen,
    SupervisorWhisper,
    SupervisorBarge,
    SupervisorTakeover,
}

impl Pattern {
    /// Every pattern with its relative weight in the mix.
    pub const MIX: [(Pattern, u32); 15] = [
        (Pattern::SimpleInbound, 28),
        (Pattern::SimpleOutbound, 10),
        (Pattern::HoldResume, 12),
        (Pattern::ColdTransferQueue, 8),
        (Pattern::TransferToAgent, 6),
        (Pattern::WarmTransfer, 6),
        (Pattern::Conference, 6),
        (Pattern::ConferenceAgentLeaves, 4),
        (Pattern::InviteRejected, 3),
        (Pattern::InviteTimeout, 3),
        (Pattern::InviteCanceled, 2),
        (Pattern::SupervisorListen, 3),
        (Pattern::SupervisorWhisper, 3),
        (Pattern::SupervisorBarge, 3),
        (Pattern::SupervisorTakeover, 3),
    ];

    /// The name written in the `engagements` truth rows.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::SimpleInbound => "simple_inbound",
            Pattern::SimpleOutbound => "simple_outbound",
            Pattern::HoldResume => "hold_resume",
            Pattern::ColdTransferQueue => "cold_transfer_queue",
            Pattern::TransferToAgent => "transfer_to_agent",
            Pattern::WarmTransfer => "warm_transfer",
            Pattern::Conference => "conference",
            Pattern::ConferenceAgentLeaves => "conference_agent_leaves",
            Pattern::InviteRejected => "invite_rejected",
            Pattern::InviteTimeout => "invite_timeout",
            Pattern::InviteCanceled => "invite_canceled",
            Pattern::SupervisorListen => "supervisor_listen",
            Pattern::SupervisorWhisper => "supervisor_whisper",
            Pattern::SupervisorBarge => "supervisor_barge",
            Pattern::SupervisorTakeover => "supervisor_takeover",
        }
    }

    fn is_supervised(self) -> bool {
        matches!(
            self,
            Pattern::SupervisorListen
                | Pattern::SupervisorWhisper
                | Pattern::SupervisorBarge
                | Pattern::SupervisorTakeover
        )
    }

    fn draw(rng: &mut impl Rng) -> Pattern {
        let total: u32 = Self::MIX.iter().map(|(_, w)| w).sum();
        let mut pick = rng.random_range(0..total);
        for (p, w) in Self::MIX {
            if pick < w {
                return p;
            }
            pick -= w;
        }
        Pattern::SimpleInbound
    }
}

/// How a delivery came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// The first (and usually only) copy, possibly held back behind later events.
    First,
    /// A second copy of a body already delivered (or about to be): the same bytes.
    Duplicate,
    /// The first attempt failed; this retry (1, 2 or 3) is the only copy that arrives.
    LateRetry { attempt: u8 },
}

/// One webhook the simulator sends (a first copy, a duplicate or a late retry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The raw compact JSON body, exactly as sent.
    pub body: String,
    /// The event's own time (`date_time_ms`, or `last_modified_time_ms` for task and
    /// reservation events), in milliseconds since the Unix epoch.
    pub event_time_ms: i64,
    /// When the delivery arrives, in simulated milliseconds since the Unix epoch.
    pub deliver_at_ms: i64,
    pub kind: DeliveryKind,
}

/// What [`generate`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimItem {
    /// A webhook body, in delivery order.
    Webhook(Webhook),
    /// A truth row. Each call yields exactly one [`TruthRow::Engagements`] row (first, before
    /// its other rows), so counting those counts calls generated, for progress.
    Truth(Box<TruthRow>),
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    deliver_at_ms: i64,
    seq: u64,
    event_time_ms: i64,
    body: String,
    kind: PendingKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PendingKind {
    First,
    Duplicate,
    Late(u8),
}

/// The streaming generator: an iterator over [`SimItem`]s.
///
/// Calls are played in start-time order. Their deliveries wait in a min-heap keyed by delivery
/// time and leave it once no call still to be played can deliver anything earlier (every event
/// of a later call happens after that call starts). The heap therefore holds the calls in
/// flight plus pending late retries: bounded by the arrival rate times the longest call plus
/// [`MAX_LATE_MS`], never by the total number of calls.
pub struct Generator {
    config: SimConfig,
    rng: ChaCha8Rng,
    /// Delivery faults of the after-call annotations (see `call::wrap`).
    annotation_rng: ChaCha8Rng,
    world: world::World,
    calls_done: u64,
    next_start_ms: i64,
    heap: BinaryHeap<Reverse<Pending>>,
    truth: VecDeque<TruthRow>,
    seq: u64,
    peak_pending: usize,
}

/// Start generating. Fails only when a setting is out of range (see [`SimConfig::validate`]).
pub fn generate(config: &SimConfig) -> Result<Generator, ConfigError> {
    config.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut world = world::World::new(&mut rng, config.agents, config.supervisors);
    // Teams and divisions (read only by the documented conference events) come from a generator
    // of their own, so that the main stream, and with it the guessed shape, is unchanged.
    world.add_teams(&mut ChaCha8Rng::seed_from_u64(config.seed ^ TEAM_SEED));
    Ok(Generator {
        config: config.clone(),
        rng,
        annotation_rng: ChaCha8Rng::seed_from_u64(config.seed ^ ANNOTATION_DELIVERY_SEED),
        world,
        calls_done: 0,
        next_start_ms: config.start_ms,
        heap: BinaryHeap::new(),
        truth: VecDeque::new(),
        seq: 0,
        peak_pending: 0,
    })
}

impl Generator {
    /// Calls played so far.
    pub fn calls_generated(&self) -> u64 {
        self.calls_done
    }

    /// Deliveries waiting in the reorder heap now.
    pub fn pending(&self) -> usize {
        self.heap.len()
    }

    /// The most deliveries the reorder heap has held at once.
    pub fn peak_pending(&self) -> usize {
        self.peak_pending
    }

    /// The account id every body carries.
    pub fn account_id(&self) -> &str {
        &self.world.account_id
    }

    fn push(&mut self, deliver_at_ms: i64, event_time_ms: i64, body: String, kind: PendingKind) {
        self.seq += 1;
        self.heap.push(Reverse(Pending {
            deliver_at_ms,
            seq: self.seq,
            event_time_ms,
            body,
            kind,
        }));
    }

    fn play_next_call(&mut self) {
        let cfg = &self.config;
        let pattern = Pattern::draw(&mut self.rng);
        let flags = call::CallFlags {
            explicit_conference: self.rng.random_bool(cfg.explicit_conference_share),
            legacy_supervisor: pattern.is_supervised()
                && self.rng.random_bool(cfg.legacy_supervisor_share),
            conference_shape: cfg.conference_shape,
        };
        let (dup, reorder, late) = (cfg.duplicate_rate, cfg.reorder_rate, cfg.late_retry_rate);
        // Each call gets its own generator so its content does not depend on fault draws.
        let mut call_rng = ChaCha8Rng::seed_from_u64(self.rng.random());
        let out = call::simulate_call(
            &mut call_rng,
            &mut self.world,
            pattern,
            self.next_start_ms,
            flags,
        );
        for ev in out.events {
            // After-call annotations draw their faults from a stream of their own, so that
            // adding them left the main stream, and every other delivery, as it was.
            let rng = if ev.annotation {
                &mut self.annotation_rng
            } else {
                &mut self.rng
            };
            let mut plan = deliveries(rng, ev.time_ms, dup, reorder, late);
            let last = plan.pop();
            for (deliver_at_ms, kind) in plan {
                self.push(deliver_at_ms, ev.time_ms, ev.body.clone(), kind);
            }
            if let Some((deliver_at_ms, kind)) = last {
                self.push(deliver_at_ms, ev.time_ms, ev.body, kind);
            }
        }
        self.peak_pending = self.peak_pending.max(self.heap.len());
        self.truth.extend(out.truth);
        self.calls_done += 1;
        // Poisson arrivals: exponential gaps.
        let mean_gap_ms = 60_000.0 / self.config.calls_per_minute;
        let u: f64 = self.rng.random();
        let gap = (-(1.0 - u).ln() * mean_gap_ms) as i64;
        self.next_start_ms += gap.max(1);
    }
}

/// When an event of time `t` is delivered, and how (a late retry; else the first delivery,
/// after its duplicate when there is one), with the delivery faults drawn from `rng` in a fixed
/// order.
fn deliveries(
    rng: &mut ChaCha8Rng,
    t: i64,
    dup: f64,
    reorder: f64,
    late: f64,
) -> Vec<(i64, PendingKind)> {
    let latency = 40 + (860.0 * rng.random::<f64>().powi(3)) as i64;
    if rng.random_bool(late) {
        // Zoom retries 5 min after the first attempt, 20 min after the first retry,
        // 60 min after the second.
        let (attempt, offset) = match rng.random_range(0..10) {
            0..5 => (1, 5 * 60_000),
            5..8 => (2, 25 * 60_000),
            _ => (3, 85 * 60_000),
        };
        return vec![(t + offset + latency, PendingKind::Late(attempt))];
    }
    let mut at = t + latency;
    if rng.random_bool(reorder) {
        at += rng.random_range(1_000..=45_000);
    }
    let mut out = Vec::with_capacity(2);
    if rng.random_bool(dup) {
        // A second subscription or a slow acknowledgement: the same bytes again, either
        // within seconds or with the 5-minute retry.
        let again = if rng.random_bool(0.5) {
            t + latency + rng.random_range(100..=3_000)
        } else {
            t + 5 * 60_000 + rng.random_range(40..=900)
        };
        out.push((again, PendingKind::Duplicate));
    }
    out.push((at, PendingKind::First));
    out
}

impl Iterator for Generator {
    type Item = SimItem;

    fn next(&mut self) -> Option<SimItem> {
        loop {
            if let Some(row) = self.truth.pop_front() {
                return Some(SimItem::Truth(Box::new(row)));
            }
            let all_played = self.calls_done >= self.config.calls;
            let releasable = self
                .heap
                .peek()
                .is_some_and(|Reverse(p)| all_played || p.deliver_at_ms < self.next_start_ms);
            if releasable {
                let Reverse(p) = self.heap.pop()?;
                let kind = match p.kind {
                    PendingKind::First => DeliveryKind::First,
                    PendingKind::Duplicate => DeliveryKind::Duplicate,
                    PendingKind::Late(attempt) => DeliveryKind::LateRetry { attempt },
                };
                return Some(SimItem::Webhook(Webhook {
                    body: p.body,
                    event_time_ms: p.event_time_ms,
                    deliver_at_ms: p.deliver_at_ms,
                    kind,
                }));
            }
            if all_played {
                return None;
            }
            self.play_next_call();
        }
    }
}
