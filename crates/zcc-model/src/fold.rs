//! The fold shared by every rule: signals in event-time order become legs, holds, transfers,
//! invitations and supervision sessions. Conferences are computed afterwards from the result
//! (see [`crate::conference`]), which is where rules differ.
//!
//! The fold reads the whole set: transfers are folded first, so a reservation can be matched to
//! a transfer's target task whatever the order of their event times.

use std::collections::BTreeMap;

use crate::model::{
    InvitationOutcome, Party, Position, Source, SupervisionMode, TransferOutcome, Via,
};
use crate::signal::{
    Attrs, CallAttrs, ConferenceRole, ConferenceSignal, ConferenceStep, ReservationStep,
    RosterEntry, Signal, Timed, TransferFacts, TransferStep,
};

/// How far an agent's answer may be stamped before the offer that brought it (event times come
/// from different Zoom services).
pub(crate) const CLOCK_SKEW_MS: i64 = 5_000;

/// What brought an agent leg, beyond its [`Via`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Link {
    None,
    Transfer(usize),
    Invitation(usize),
    ExplicitInvitation(usize),
    /// Took over from this agent.
    Takeover(Option<String>),
}

#[derive(Debug, Clone)]
pub(crate) struct LegB {
    pub party: Party,
    pub user: Option<String>,
    pub name: Option<String>,
    pub joined_at: i64,
    pub left_at: Option<i64>,
    pub via: Via,
    pub link: Link,
    pub task: Option<String>,
    pub join_ev: Vec<Position>,
    pub leave_ev: Vec<Position>,
    pub other_ev: Vec<Position>,
    /// Dropped after the fact (a supervisor's answer mistaken for an agent's).
    pub dropped: bool,
}

impl LegB {
    pub fn is_open_at(&self, t: i64) -> bool {
        !self.dropped && self.joined_at <= t && self.left_at.is_none_or(|l| l > t)
    }
    pub fn overlaps(&self, from: i64, to: Option<i64>) -> bool {
        let a_end = self.left_at.unwrap_or(i64::MAX);
        let b_end = to.unwrap_or(i64::MAX);
        !self.dropped && self.joined_at < b_end && from < a_end
    }
}

#[derive(Debug, Clone)]
pub(crate) struct HoldB {
    pub user: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub start_ev: Vec<Position>,
    pub end_ev: Vec<Position>,
}

#[derive(Debug, Clone)]
pub(crate) struct TransferB {
    pub facts: TransferFacts,
    pub started_at: i64,
    pub accepted_at: Option<i64>,
    pub outcome: TransferOutcome,
    pub outcome_at: Option<i64>,
    pub start_ev: Vec<Position>,
    pub accept_ev: Vec<Position>,
    pub outcome_ev: Vec<Position>,
    pub other_ev: Vec<Position>,
}

impl TransferB {
    fn finished(&self) -> bool {
        self.outcome == TransferOutcome::Completed || self.outcome.is_failure()
    }
    /// Open at `t`: started, and not failed or completed before `t`.
    pub fn is_open_at(&self, t: i64) -> bool {
        self.started_at <= t
            && !(self.outcome != TransferOutcome::Accepted
                && self.outcome != TransferOutcome::Unknown
                && self.outcome_at.is_some_and(|o| o < t))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct InvB {
    pub user: Option<String>,
    pub by: Option<String>,
    pub at: i64,
    pub outcome: InvitationOutcome,
    pub outcome_at: Option<i64>,
    pub source: Source,
    pub start_ev: Vec<Position>,
    pub outcome_ev: Vec<Position>,
    /// An inferred invitation on an engagement whose explicit events define its invitations.
    pub hidden: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Routing,
    Transfer(usize),
    Invitation(usize),
}

#[derive(Debug, Clone)]
struct ResB {
    task: Option<String>,
    user: Option<String>,
    created_at: i64,
    class: Class,
    accepted: Option<(i64, Position)>,
    failed_at: Option<i64>,
    consumed: bool,
    ev: Vec<Position>,
}

#[derive(Debug, Clone)]
pub(crate) struct SupB {
    pub supervisor: String,
    pub name: Option<String>,
    pub agent: Option<String>,
    pub mode: SupervisionMode,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub start_ev: Vec<Position>,
    pub end_ev: Vec<Position>,
    /// For a takeover: the supervisor's agent leg.
    pub leg: Option<usize>,
}

/// One explicit conference event, kept for [`crate::explicit`]: conferences are built from
/// all of them once the legs are known.
#[derive(Debug, Clone)]
pub(crate) struct ConfObs {
    pub at: i64,
    pub pos: Position,
    /// `None` for `engagement_conference_canceled`.
    pub step: Option<ConferenceStep>,
    pub conference_id: Option<String>,
    pub user: Option<String>,
    pub number: Option<String>,
    pub invited_by: Option<String>,
    pub roster: Option<Vec<RosterEntry>>,
}

/// A `call_control_conference_warm_invite_executed`: the API request behind a conference.
#[derive(Debug, Clone)]
pub(crate) struct ApiCallB {
    pub at: i64,
    pub pos: Position,
    pub conference_id: Option<String>,
    pub user: Option<String>,
    pub request_id: Option<String>,
}

/// Everything the fold found, before conferences.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    pub attrs: CallAttrs,
    pub queue_ids: Vec<String>,
    pub queue_names: Vec<String>,
    pub started: Option<(i64, Vec<Position>)>,
    pub first_event: Option<(i64, Position)>,
    pub ended: Option<(i64, Vec<Position>)>,
    pub customer_answered: Option<(i64, Position)>,
    customer_ended: Vec<(i64, Position)>,
    pub customer_ev: Vec<Position>,
    pub customer_leg: Option<LegB>,
    pub legs: Vec<LegB>,
    pub holds: Vec<HoldB>,
    pub transfers: Vec<TransferB>,
    pub invitations: Vec<InvB>,
    pub supervision: Vec<SupB>,
    /// Explicit conference events, in fold order.
    pub conf_obs: Vec<ConfObs>,
    pub api_calls: Vec<ApiCallB>,
    /// The engagement had any explicit conference event (after hiding, if hidden).
    pub has_explicit: bool,
    /// `engagement_ended` missing; end inferred from legs.
    pub inferred_end: Option<(i64, Vec<Position>)>,
    reservations: BTreeMap<String, ResB>,
    wrap_ups: Vec<(String, i64, Position)>,
}

fn fill(slot: &mut Option<String>, v: &Option<String>) {
    if slot.is_none() && v.as_deref().is_some_and(|s| !s.is_empty()) {
        slot.clone_from(v);
    }
}

fn fill_str(slot: &mut Option<String>, v: Option<&str>) {
    if slot.is_none()
        && let Some(v) = v.filter(|s| !s.is_empty())
    {
        *slot = Some(v.to_owned());
    }
}

fn push_unique(list: &mut Vec<String>, v: Option<&str>) {
    if let Some(v) = v.filter(|s| !s.is_empty())
        && !list.iter().any(|x| x == v)
    {
        list.push(v.to_owned());
    }
}

fn fill_facts(into: &mut TransferFacts, from: &TransferFacts) {
    fill(&mut into.task, &from.task);
    fill(&mut into.to_task, &from.to_task);
    fill(&mut into.from_user, &from.from_user);
    fill(&mut into.from_name, &from.from_name);
    fill(&mut into.to_user, &from.to_user);
    fill(&mut into.to_user_name, &from.to_user_name);
    fill(&mut into.to_queue_id, &from.to_queue_id);
    fill(&mut into.to_queue_name, &from.to_queue_name);
    fill(&mut into.to_number, &from.to_number);
    fill(&mut into.to_flow_id, &from.to_flow_id);
    fill(&mut into.to_inbox_id, &from.to_inbox_id);
    fill(&mut into.transfer_type, &from.transfer_type);
    fill(&mut into.level, &from.level);
}

/// Fold the signals (already deduplicated and in fold order).
pub(crate) fn fold(signals: &[Timed<'_>]) -> Facts {
    let mut f = Facts::default();
    for s in signals {
        if let Signal::Transfer { step, facts } = &s.signal {
            f.on_transfer(s.at, s.position, *step, facts);
        }
    }
    for s in signals {
        f.on_attrs(&s.attrs);
        if f.first_event.is_none() {
            f.first_event = Some((s.at, s.position));
        }
        f.on_signal(s);
    }
    f.finish();
    f
}

impl Facts {
    fn on_attrs(&mut self, a: &Attrs<'_>) {
        let s = &mut self.attrs;
        fill_str(&mut s.engagement_id, a.engagement_id);
        fill_str(&mut s.account_id, a.account_id);
        fill_str(&mut s.channel, a.channel);
        fill_str(&mut s.direction, a.direction);
        fill_str(&mut s.flow_id, a.flow_id);
        fill_str(&mut s.flow_name, a.flow_name);
        fill_str(&mut s.consumer_id, a.consumer_id);
        fill_str(&mut s.consumer_number, a.consumer_number);
        fill_str(&mut s.consumer_name, a.consumer_name);
        fill_str(&mut s.caller_number, a.caller_number);
        fill_str(&mut s.callee_number, a.callee_number);
        push_unique(&mut self.queue_ids, a.queue_id);
        push_unique(&mut self.queue_names, a.queue_name);
    }

    // ---- transfers (first pass) ----

    fn find_transfer(&self, step: TransferStep, facts: &TransferFacts) -> Option<usize> {
        if let Some(tt) = &facts.to_task {
            return self
                .transfers
                .iter()
                .position(|t| t.facts.to_task.as_ref() == Some(tt));
        }
        if step == TransferStep::Initiated {
            return None;
        }
        let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        self.transfers.iter().rposition(|t| {
            !t.finished()
                && t.facts.to_task.is_none()
                && same(&t.facts.task, &facts.task)
                && same(&t.facts.from_user, &facts.from_user)
        })
    }

    fn on_transfer(&mut self, at: i64, pos: Position, step: TransferStep, facts: &TransferFacts) {
        let idx = match self.find_transfer(step, facts) {
            Some(i) => i,
            None => {
                self.transfers.push(TransferB {
                    facts: TransferFacts::default(),
                    started_at: at,
                    accepted_at: None,
                    outcome: TransferOutcome::Unknown,
                    outcome_at: None,
                    start_ev: Vec::new(),
                    accept_ev: Vec::new(),
                    outcome_ev: Vec::new(),
                    other_ev: Vec::new(),
                });
                self.transfers.len() - 1
            }
        };
        let t = &mut self.transfers[idx];
        fill_facts(&mut t.facts, facts);
        match step {
            TransferStep::Initiated => {
                if t.start_ev.is_empty() {
                    t.started_at = at;
                }
                t.start_ev.push(pos);
            }
            TransferStep::Queued | TransferStep::Reserved => t.other_ev.push(pos),
            TransferStep::Accepted => {
                t.accepted_at.get_or_insert(at);
                t.accept_ev.push(pos);
                if t.outcome == TransferOutcome::Unknown || t.outcome.is_failure() {
                    t.outcome = TransferOutcome::Accepted;
                    t.outcome_at = Some(at);
                }
            }
            TransferStep::Rejected | TransferStep::Timeout | TransferStep::Canceled => {
                t.outcome_ev.push(pos);
                if t.outcome != TransferOutcome::Completed {
                    t.outcome = match step {
                        TransferStep::Rejected => TransferOutcome::Rejected,
                        TransferStep::Timeout => TransferOutcome::Timeout,
                        _ => TransferOutcome::Canceled,
                    };
                    t.outcome_at = Some(at);
                }
            }
            TransferStep::Completed => {
                t.outcome_ev.push(pos);
                if t.outcome != TransferOutcome::Completed {
                    t.outcome = TransferOutcome::Completed;
                    t.outcome_at = Some(at);
                }
            }
        }
        // A transfer first seen through a later step starts at its earliest event.
        if t.start_ev.is_empty() && at < t.started_at {
            t.started_at = at;
        }
    }

    // ---- the main pass ----

    fn on_signal(&mut self, s: &Timed<'_>) {
        let (at, pos) = (s.at, s.position);
        match &s.signal {
            Signal::EngagementStarted => match &mut self.started {
                Some((_, ev)) => ev.push(pos),
                None => self.started = Some((at, vec![pos])),
            },
            Signal::EngagementEnded => match &mut self.ended {
                Some((_, ev)) => ev.push(pos),
                None => self.ended = Some((at, vec![pos])),
            },
            Signal::CustomerAnswered => {
                self.customer_ev.push(pos);
                if self.customer_answered.is_none() {
                    self.customer_answered = Some((at, pos));
                }
            }
            Signal::CustomerEnded => {
                self.customer_ev.push(pos);
                self.customer_ended.push((at, pos));
            }
            Signal::AgentAnswered { user, name } => self.on_answered(at, pos, user, name),
            Signal::AgentEnded { user } => self.on_user_ended(at, pos, user),
            Signal::WrapUpStarted { user } => self.wrap_ups.push((user.clone(), at, pos)),
            Signal::Hold { user } => self.on_hold(at, pos, user.as_ref()),
            Signal::Unhold { user } => self.on_unhold(at, pos, user.as_ref()),
            Signal::Reservation {
                step,
                reservation,
                task,
                user,
                created_at,
            } => self.on_reservation(at, pos, *step, reservation, task, user, *created_at),
            Signal::Transfer { .. } => {}
            Signal::MonitorStarted {
                supervisor,
                name,
                agent,
                action_type,
            } => {
                let mode = SupervisionMode::from_action_type(action_type.as_deref());
                if mode == SupervisionMode::Takeover {
                    self.on_takeover(at, pos, supervisor, name, agent);
                } else {
                    self.on_monitor(at, pos, supervisor, name, agent, mode);
                }
            }
            Signal::MonitorEnded { supervisor } => self.on_monitor_ended(at, pos, supervisor),
            Signal::TakeoverStarted {
                supervisor,
                name,
                agent,
            } => self.on_takeover(at, pos, supervisor, name, agent),
            Signal::Conference(c) => {
                self.has_explicit = true;
                self.on_conference(at, pos, c);
                self.conf_obs.push(ConfObs {
                    at,
                    pos,
                    step: Some(c.step),
                    conference_id: c.conference_id.clone(),
                    user: c.user.clone(),
                    number: c.number.clone(),
                    invited_by: c.invited_by.clone(),
                    roster: c.roster.clone(),
                });
            }
            Signal::ConferenceCanceled { conference_id } => {
                self.has_explicit = true;
                for inv in &mut self.invitations {
                    if inv.source == Source::Explicit && inv.outcome == InvitationOutcome::Pending {
                        inv.outcome = InvitationOutcome::Canceled;
                        inv.outcome_at = Some(at);
                        inv.outcome_ev.push(pos);
                    }
                }
                self.conf_obs.push(ConfObs {
                    at,
                    pos,
                    step: None,
                    conference_id: conference_id.clone(),
                    user: None,
                    number: None,
                    invited_by: None,
                    roster: None,
                });
            }
            Signal::ConferenceApiCall {
                conference_id,
                user,
                request_id,
            } => self.api_calls.push(ApiCallB {
                at,
                pos,
                conference_id: conference_id.clone(),
                user: user.clone(),
                request_id: request_id.clone(),
            }),
            Signal::Other => {}
        }
    }

    fn open_leg(&self, user: &str) -> Option<usize> {
        self.legs
            .iter()
            .rposition(|l| !l.dropped && l.left_at.is_none() && l.user.as_deref() == Some(user))
    }

    fn open_sup(&self, user: &str) -> Option<usize> {
        self.supervision.iter().rposition(|s| {
            s.ended_at.is_none() && s.supervisor == user && s.mode != SupervisionMode::Takeover
        })
    }

    /// Agent legs connected at `t`, earliest joined first.
    fn connected_agents(&self, t: i64, except: Option<&str>) -> Vec<&LegB> {
        let mut v: Vec<&LegB> = self
            .legs
            .iter()
            .filter(|l| l.party == Party::Agent && l.is_open_at(t))
            .filter(|l| except.is_none() || l.user.as_deref() != except)
            .collect();
        v.sort_by(|a, b| (a.joined_at, &a.user).cmp(&(b.joined_at, &b.user)));
        v
    }

    fn transfer_naming(&self, user: &str, t: i64) -> Option<usize> {
        self.transfers
            .iter()
            .rposition(|x| x.facts.to_user.as_deref() == Some(user) && x.is_open_at(t))
    }

    fn classify(&mut self, task: &Option<String>, user: &Option<String>, c: i64) -> Class {
        if let Some(task) = task
            && let Some(i) = self
                .transfers
                .iter()
                .position(|x| x.facts.to_task.as_ref() == Some(task))
        {
            return Class::Transfer(i);
        }
        if let Some(u) = user
            && let Some(i) = self.transfer_naming(u, c)
        {
            return Class::Transfer(i);
        }
        // An open transfer whose target task nobody named: the reservation is its arrival.
        if let Some(i) = self
            .transfers
            .iter()
            .rposition(|x| x.facts.to_task.is_none() && x.is_open_at(c))
        {
            let routed_task = self
                .legs
                .iter()
                .any(|l| l.task.is_some() && l.task == *task);
            if !routed_task {
                return Class::Transfer(i);
            }
        }
        let connected = self.connected_agents(c, user.as_deref());
        if let Some(host) = connected.first() {
            let by = host.user.clone();
            self.invitations.push(InvB {
                user: user.clone(),
                by,
                at: c,
                outcome: InvitationOutcome::Pending,
                outcome_at: None,
                source: Source::Inferred,
                start_ev: Vec::new(),
                outcome_ev: Vec::new(),
                hidden: false,
            });
            return Class::Invitation(self.invitations.len() - 1);
        }
        Class::Routing
    }

    #[allow(clippy::too_many_arguments)]
    fn on_reservation(
        &mut self,
        at: i64,
        pos: Position,
        step: ReservationStep,
        reservation: &Option<String>,
        task: &Option<String>,
        user: &Option<String>,
        created_at: Option<i64>,
    ) {
        let key = match reservation {
            Some(r) => r.clone(),
            None => format!(
                "{}|{}",
                task.as_deref().unwrap_or(""),
                user.as_deref().unwrap_or("")
            ),
        };
        if !self.reservations.contains_key(&key) {
            let c = created_at.unwrap_or(at).min(at);
            let class = self.classify(task, user, c);
            if let Class::Invitation(i) = class {
                self.invitations[i].start_ev.push(pos);
            }
            self.reservations.insert(
                key.clone(),
                ResB {
                    task: task.clone(),
                    user: user.clone(),
                    created_at: c,
                    class,
                    accepted: None,
                    failed_at: None,
                    consumed: false,
                    ev: Vec::new(),
                },
            );
        }
        let r = self.reservations.get_mut(&key).expect("inserted above");
        fill(&mut r.task, task);
        fill(&mut r.user, user);
        r.ev.push(pos);
        let inv = match r.class {
            Class::Invitation(i) => Some(i),
            _ => None,
        };
        if let Some(i) = inv {
            fill(&mut self.invitations[i].user, user);
        }
        let outcome = match step {
            ReservationStep::Created | ReservationStep::Completed => None,
            ReservationStep::Accepted => {
                if r.accepted.is_none() {
                    r.accepted = Some((at, pos));
                }
                Some(InvitationOutcome::Accepted)
            }
            ReservationStep::Rejected => Some(InvitationOutcome::Rejected),
            ReservationStep::Timeout => Some(InvitationOutcome::Timeout),
            ReservationStep::Canceled => Some(InvitationOutcome::Canceled),
            ReservationStep::Rescinded => Some(InvitationOutcome::Rescinded),
        };
        if let Some(o) = outcome
            && o != InvitationOutcome::Accepted
            && r.failed_at.is_none()
        {
            r.failed_at = Some(at);
        }
        if let (Some(i), Some(o)) = (inv, outcome) {
            let inv = &mut self.invitations[i];
            if inv.outcome == InvitationOutcome::Pending {
                inv.outcome = o;
                inv.outcome_at = Some(at);
                inv.outcome_ev.push(pos);
            }
        }
    }

    /// The reservation that brought `user` at `t`: the latest offered, not yet used, not failed.
    fn take_reservation(&mut self, user: &str, t: i64) -> Option<ResB> {
        let key = self
            .reservations
            .iter()
            .filter(|(_, r)| {
                r.user.as_deref() == Some(user)
                    && !r.consumed
                    && r.created_at <= t
                    && (r.accepted.is_some() || r.failed_at.is_none_or(|f| f > t))
            })
            .max_by(|a, b| (a.1.created_at, a.0).cmp(&(b.1.created_at, b.0)))
            .map(|(k, _)| k.clone())?;
        let r = self.reservations.get_mut(&key)?;
        r.consumed = true;
        Some(r.clone())
    }

    fn via_of(&self, class: Class) -> (Via, Link) {
        match class {
            Class::Routing => (Via::Routing, Link::None),
            Class::Transfer(i) => (Via::Transfer, Link::Transfer(i)),
            Class::Invitation(i) => (Via::ConferenceInvitation, Link::Invitation(i)),
        }
    }

    fn on_answered(&mut self, at: i64, pos: Position, user: &str, name: &Option<String>) {
        if let Some(i) = self.open_leg(user) {
            let l = &mut self.legs[i];
            l.other_ev.push(pos);
            fill(&mut l.name, name);
            return;
        }
        if let Some(i) = self.open_sup(user) {
            self.supervision[i].start_ev.push(pos);
            return;
        }
        let mut join_ev = vec![pos];
        let (via, link, task) = if let Some(r) = self.take_reservation(user, at) {
            join_ev.extend(r.ev.iter().copied());
            let (via, link) = self.via_of(r.class);
            if let Link::Invitation(i) = link {
                let inv = &mut self.invitations[i];
                if inv.outcome == InvitationOutcome::Pending {
                    inv.outcome = InvitationOutcome::Accepted;
                    inv.outcome_at = Some(at);
                    inv.outcome_ev.push(pos);
                }
            }
            (via, link, r.task)
        } else if let Some(i) = self.transfer_naming(user, at) {
            (
                Via::Transfer,
                Link::Transfer(i),
                self.transfers[i].facts.to_task.clone(),
            )
        } else if let Some(i) = self.invitations.iter().rposition(|inv| {
            inv.source == Source::Explicit
                && inv.user.as_deref() == Some(user)
                && inv.at <= at
                && matches!(
                    inv.outcome,
                    InvitationOutcome::Pending | InvitationOutcome::Accepted
                )
        }) {
            (Via::ConferenceInvitation, Link::ExplicitInvitation(i), None)
        } else if self.connected_agents(at, Some(user)).is_empty() {
            (Via::Routing, Link::None, None)
        } else {
            (Via::Unknown, Link::None, None)
        };
        self.legs.push(LegB {
            party: Party::Agent,
            user: Some(user.to_owned()),
            name: name.clone(),
            joined_at: at,
            left_at: None,
            via,
            link,
            task,
            join_ev,
            leave_ev: Vec::new(),
            other_ev: Vec::new(),
            dropped: false,
        });
    }

    fn on_user_ended(&mut self, at: i64, pos: Position, user: &str) {
        if let Some(i) = self.open_leg(user) {
            let l = &mut self.legs[i];
            l.left_at = Some(at);
            l.leave_ev.push(pos);
            return;
        }
        if let Some(i) = self.open_sup(user) {
            let s = &mut self.supervision[i];
            s.ended_at = Some(at);
            s.end_ev.push(pos);
            return;
        }
        // Accepted but never answered: the acceptance is the join.
        let accepted = self
            .reservations
            .iter()
            .filter(|(_, r)| {
                r.user.as_deref() == Some(user)
                    && !r.consumed
                    && r.accepted.is_some_and(|(a, _)| a <= at)
            })
            .max_by(|a, b| (a.1.created_at, a.0).cmp(&(b.1.created_at, b.0)))
            .map(|(k, _)| k.clone());
        if let Some(key) = accepted {
            let r = self.reservations.get_mut(&key).expect("found above");
            r.consumed = true;
            let r = r.clone();
            self.push_reservation_leg(user, &r, Some((at, pos)));
            return;
        }
        // A second `user_ended` for a leg already closed: more evidence for it.
        if let Some(l) = self
            .legs
            .iter_mut()
            .rev()
            .find(|l| !l.dropped && l.user.as_deref() == Some(user))
        {
            l.other_ev.push(pos);
        }
    }

    fn push_reservation_leg(&mut self, user: &str, r: &ResB, end: Option<(i64, Position)>) {
        let (at, apos) = r.accepted.expect("only accepted reservations make legs");
        let (via, link) = self.via_of(r.class);
        if let Link::Invitation(i) = link {
            let inv = &mut self.invitations[i];
            if inv.outcome == InvitationOutcome::Pending {
                inv.outcome = InvitationOutcome::Accepted;
                inv.outcome_at = Some(at);
                inv.outcome_ev.push(apos);
            }
        }
        let mut join_ev = r.ev.clone();
        join_ev.push(apos);
        self.legs.push(LegB {
            party: Party::Agent,
            user: Some(user.to_owned()),
            name: None,
            joined_at: at,
            left_at: end.map(|e| e.0),
            via,
            link,
            task: r.task.clone(),
            join_ev,
            leave_ev: end.map(|e| vec![e.1]).unwrap_or_default(),
            other_ev: Vec::new(),
            dropped: false,
        });
    }

    fn on_hold(&mut self, at: i64, pos: Position, user: Option<&String>) {
        let user = user.cloned().or_else(|| {
            let c = self.connected_agents(at, None);
            if c.len() == 1 {
                c[0].user.clone()
            } else {
                None
            }
        });
        if let Some(h) = self
            .holds
            .iter_mut()
            .rev()
            .find(|h| h.ended_at.is_none() && h.user == user)
        {
            h.start_ev.push(pos);
            return;
        }
        self.holds.push(HoldB {
            user,
            started_at: at,
            ended_at: None,
            start_ev: vec![pos],
            end_ev: Vec::new(),
        });
    }

    fn on_unhold(&mut self, at: i64, pos: Position, user: Option<&String>) {
        let idx = match user {
            Some(u) => self
                .holds
                .iter()
                .rposition(|h| h.ended_at.is_none() && h.user.as_ref() == Some(u)),
            None => {
                let open: Vec<usize> = (0..self.holds.len())
                    .filter(|&i| self.holds[i].ended_at.is_none())
                    .collect();
                if open.len() == 1 { Some(open[0]) } else { None }
            }
        };
        if let Some(i) = idx {
            let h = &mut self.holds[i];
            h.ended_at = Some(at);
            h.end_ev.push(pos);
        } else if let Some(h) = self
            .holds
            .iter_mut()
            .rev()
            .find(|h| user.is_none_or(|u| h.user.as_ref() == Some(u)))
        {
            // A repeated unhold: evidence for the hold it already ended.
            h.end_ev.push(pos);
        }
    }

    fn on_monitor(
        &mut self,
        at: i64,
        pos: Position,
        supervisor: &str,
        name: &Option<String>,
        agent: &Option<String>,
        mode: SupervisionMode,
    ) {
        // A supervisor's own answer that arrived first was taken for an unknown agent: undo it.
        if let Some(i) = self.open_leg(supervisor)
            && self.legs[i].via == Via::Unknown
        {
            self.legs[i].dropped = true;
        }
        if let Some(i) = self.open_sup(supervisor) {
            if self.supervision[i].mode == mode {
                self.supervision[i].start_ev.push(pos);
                return;
            }
            let s = &mut self.supervision[i];
            s.ended_at = Some(at);
            s.end_ev.push(pos);
        }
        self.supervision.push(SupB {
            supervisor: supervisor.to_owned(),
            name: name.clone(),
            agent: agent.clone(),
            mode,
            started_at: at,
            ended_at: None,
            start_ev: vec![pos],
            end_ev: Vec::new(),
            leg: None,
        });
    }

    fn on_monitor_ended(&mut self, at: i64, pos: Position, supervisor: &Option<String>) {
        let open: Vec<usize> = (0..self.supervision.len())
            .filter(|&i| {
                let s = &self.supervision[i];
                s.ended_at.is_none()
                    && s.mode != SupervisionMode::Takeover
                    && supervisor.as_ref().is_none_or(|u| &s.supervisor == u)
            })
            .collect();
        for i in open {
            let s = &mut self.supervision[i];
            s.ended_at = Some(at);
            s.end_ev.push(pos);
        }
    }

    fn on_takeover(
        &mut self,
        at: i64,
        pos: Position,
        supervisor: &str,
        name: &Option<String>,
        agent: &Option<String>,
    ) {
        if let Some(s) = self.supervision.iter_mut().rev().find(|s| {
            s.supervisor == supervisor
                && s.mode == SupervisionMode::Takeover
                && s.ended_at.is_none()
        }) {
            s.start_ev.push(pos);
            return;
        }
        if let Some(i) = self.open_sup(supervisor) {
            let s = &mut self.supervision[i];
            s.ended_at = Some(at);
            s.end_ev.push(pos);
        }
        let leg = match self.open_leg(supervisor) {
            Some(i) => {
                let l = &mut self.legs[i];
                l.via = Via::Takeover;
                l.link = Link::Takeover(agent.clone());
                l.other_ev.push(pos);
                i
            }
            None => {
                self.legs.push(LegB {
                    party: Party::Agent,
                    user: Some(supervisor.to_owned()),
                    name: name.clone(),
                    joined_at: at,
                    left_at: None,
                    via: Via::Takeover,
                    link: Link::Takeover(agent.clone()),
                    task: None,
                    join_ev: vec![pos],
                    leave_ev: Vec::new(),
                    other_ev: Vec::new(),
                    dropped: false,
                });
                self.legs.len() - 1
            }
        };
        self.supervision.push(SupB {
            supervisor: supervisor.to_owned(),
            name: name.clone(),
            agent: agent.clone(),
            mode: SupervisionMode::Takeover,
            started_at: at,
            ended_at: None,
            start_ev: vec![pos],
            end_ev: Vec::new(),
            leg: Some(leg),
        });
    }

    /// An explicit conference event's effect on the invitations (conferences themselves are
    /// built afterwards, by [`crate::explicit`]). Only agents are invited in the model's
    /// sense; an outside party appears in the conference it joins.
    fn on_conference(&mut self, at: i64, pos: Position, c: &ConferenceSignal) {
        let Some(user) = c.user.as_deref() else {
            return;
        };
        let pending = self.invitations.iter().rposition(|i| {
            i.source == Source::Explicit
                && i.user.as_deref() == Some(user)
                && i.outcome == InvitationOutcome::Pending
        });
        // The documented events name no inviter: the roster's host invited.
        let host = c.roster.as_ref().and_then(|r| {
            r.iter()
                .find(|e| e.role == ConferenceRole::Host && e.user.as_deref() != Some(user))
                .and_then(|e| e.user.clone())
        });
        let invited_by = c.invited_by.clone().or(host);
        let set_outcome = |f: &mut Facts, o: InvitationOutcome| {
            if let Some(i) = pending {
                let inv = &mut f.invitations[i];
                inv.outcome = o;
                inv.outcome_at = Some(at);
                inv.outcome_ev.push(pos);
            }
        };
        match c.step {
            ConferenceStep::Invited => {
                if let Some(i) = pending {
                    self.invitations[i].start_ev.push(pos);
                    fill(&mut self.invitations[i].by, &invited_by);
                    return;
                }
                let by = invited_by.or_else(|| {
                    self.connected_agents(at, Some(user))
                        .first()
                        .and_then(|l| l.user.clone())
                });
                self.invitations.push(InvB {
                    user: Some(user.to_owned()),
                    by,
                    at,
                    outcome: InvitationOutcome::Pending,
                    outcome_at: None,
                    source: Source::Explicit,
                    start_ev: vec![pos],
                    outcome_ev: Vec::new(),
                    hidden: false,
                });
            }
            ConferenceStep::Joined => set_outcome(self, InvitationOutcome::Accepted),
            ConferenceStep::Left => {}
            ConferenceStep::Rejected => set_outcome(self, InvitationOutcome::Rejected),
            ConferenceStep::Timeout => set_outcome(self, InvitationOutcome::Timeout),
            ConferenceStep::Canceled => set_outcome(self, InvitationOutcome::Canceled),
        }
    }

    // ---- closing what the events left open ----

    fn finish(&mut self) {
        // An answer stamped a little before its own offer (clocks of different Zoom services):
        // a leg nothing explained adopts the agent's offer made within the skew after it.
        for i in 0..self.legs.len() {
            let l = &self.legs[i];
            if l.dropped || l.party != Party::Agent || l.link != Link::None || l.task.is_some() {
                continue;
            }
            let (user, joined) = (l.user.clone(), l.joined_at);
            let key = self
                .reservations
                .iter()
                .filter(|(_, r)| {
                    !r.consumed
                        && r.user == user
                        && r.created_at > joined
                        && r.created_at <= joined + CLOCK_SKEW_MS
                })
                .min_by(|a, b| (a.1.created_at, a.0).cmp(&(b.1.created_at, b.0)))
                .map(|(k, _)| k.clone());
            let Some(key) = key else { continue };
            let r = self.reservations.get_mut(&key).expect("found above");
            r.consumed = true;
            let r = r.clone();
            let (via, link) = self.via_of(r.class);
            if let Link::Invitation(n) = link {
                let inv = &mut self.invitations[n];
                if inv.outcome == InvitationOutcome::Pending {
                    inv.outcome = InvitationOutcome::Accepted;
                    inv.outcome_at = Some(joined);
                }
            }
            let l = &mut self.legs[i];
            l.via = via;
            l.link = link;
            l.task = r.task;
            l.join_ev.extend(r.ev);
        }

        // Accepted reservations never answered become legs.
        let pending: Vec<(String, ResB)> = self
            .reservations
            .iter()
            .filter(|(_, r)| !r.consumed && r.accepted.is_some() && r.user.is_some())
            .map(|(k, r)| (k.clone(), r.clone()))
            .collect();
        for (key, r) in pending {
            let user = r.user.clone().expect("filtered");
            let at = r.accepted.expect("filtered").0;
            let failed_before = r.failed_at.is_some_and(|f| f >= at);
            let covered = self
                .legs
                .iter()
                .any(|l| l.user.as_deref() == Some(user.as_str()) && l.overlaps(at, Some(at + 1)));
            if let Some(x) = self.reservations.get_mut(&key) {
                x.consumed = true;
            }
            if !failed_before && !covered {
                self.push_reservation_leg(&user, &r, None);
            }
        }

        // The customer's leg.
        let start = self
            .started
            .as_ref()
            .map(|(t, ev)| (*t, ev.clone()))
            .or_else(|| self.first_event.map(|(t, p)| (t, vec![p])));
        let cust_join = self
            .customer_answered
            .map(|(t, p)| (t, vec![p]))
            .or_else(|| start.clone());
        if let Some((joined, join_ev)) = cust_join {
            let ended = self
                .customer_ended
                .iter()
                .filter(|(t, _)| *t >= joined)
                .min()
                .map(|(t, p)| (*t, vec![*p]))
                .or_else(|| self.ended.clone());
            self.customer_leg = Some(LegB {
                party: Party::Customer,
                user: None,
                name: self.attrs.consumer_name.clone(),
                joined_at: joined,
                left_at: ended.as_ref().map(|e| e.0),
                via: Via::Customer,
                link: Link::None,
                task: None,
                join_ev,
                leave_ev: ended.map(|e| e.1).unwrap_or_default(),
                other_ev: self.customer_ev.clone(),
                dropped: false,
            });
        }
        let customer_left = self
            .customer_leg
            .as_ref()
            .and_then(|c| c.left_at.map(|t| (t, c.leave_ev.clone())));

        // Agent legs still open close at the first sign that they ended.
        for i in 0..self.legs.len() {
            let l = &self.legs[i];
            if l.dropped || l.left_at.is_some() {
                continue;
            }
            let user = l.user.clone().unwrap_or_default();
            let joined = l.joined_at;
            let mut candidates: Vec<(i64, Vec<Position>)> = Vec::new();
            for (u, t, p) in &self.wrap_ups {
                if *u == user && *t >= joined {
                    candidates.push((*t, vec![*p]));
                }
            }
            for t in &self.transfers {
                if t.outcome == TransferOutcome::Completed
                    && t.facts.from_user.as_deref() == Some(user.as_str())
                    && let Some(o) = t.outcome_at
                    && o >= joined
                {
                    candidates.push((o, t.outcome_ev.clone()));
                }
            }
            for s in &self.supervision {
                if s.mode == SupervisionMode::Takeover
                    && s.agent.as_deref() == Some(user.as_str())
                    && s.started_at >= joined
                {
                    candidates.push((s.started_at, s.start_ev.clone()));
                }
            }
            if let Some(c) = &customer_left
                && c.0 >= joined
            {
                candidates.push(c.clone());
            }
            if let Some(e) = &self.ended
                && e.0 >= joined
            {
                candidates.push(e.clone());
            }
            if let Some((t, ev)) = candidates.into_iter().min() {
                let l = &mut self.legs[i];
                l.left_at = Some(t);
                l.leave_ev.extend(ev);
            }
        }

        // Supervision: takeovers end with the supervisor's leg; monitoring with the call.
        for i in 0..self.supervision.len() {
            if self.supervision[i].ended_at.is_some() {
                continue;
            }
            let end = match self.supervision[i].leg {
                Some(leg) => self.legs[leg]
                    .left_at
                    .map(|t| (t, self.legs[leg].leave_ev.clone())),
                None => customer_left.clone().or_else(|| self.ended.clone()),
            };
            if let Some((t, ev)) = end
                && t >= self.supervision[i].started_at
            {
                self.supervision[i].ended_at = Some(t);
                self.supervision[i].end_ev.extend(ev);
            }
        }

        // Holds still open end with the holder's leg, else with the call.
        for i in 0..self.holds.len() {
            if self.holds[i].ended_at.is_some() {
                continue;
            }
            let h = &self.holds[i];
            let leg_end = self
                .legs
                .iter()
                .filter(|l| !l.dropped && l.user == h.user && h.user.is_some())
                .filter_map(|l| l.left_at.map(|t| (t, l.leave_ev.clone())))
                .filter(|(t, _)| *t >= h.started_at)
                .min();
            let end = leg_end.or_else(|| self.ended.clone().filter(|e| e.0 >= h.started_at));
            if let Some((t, ev)) = end {
                self.holds[i].ended_at = Some(t);
                self.holds[i].end_ev.extend(ev);
            }
        }

        // Where explicit events exist they define the invitations: inferred ones are hidden,
        // and an explicit invitation still pending was accepted if its invitee connected.
        if self.has_explicit {
            for i in 0..self.invitations.len() {
                let inv = &self.invitations[i];
                if inv.source == Source::Inferred {
                    self.invitations[i].hidden = true;
                    continue;
                }
                if inv.outcome != InvitationOutcome::Pending {
                    continue;
                }
                let joined = self
                    .legs
                    .iter()
                    .filter(|l| !l.dropped && l.user == inv.user && l.joined_at >= inv.at)
                    .map(|l| (l.joined_at, l.join_ev.clone()))
                    .min();
                if let Some((t, ev)) = joined {
                    let inv = &mut self.invitations[i];
                    inv.outcome = InvitationOutcome::Accepted;
                    inv.outcome_at = Some(t);
                    inv.outcome_ev.extend(ev);
                }
            }
        }

        // A transfer with no outcome whose target connected was accepted.
        for i in 0..self.legs.len() {
            let l = &self.legs[i];
            if l.dropped {
                continue;
            }
            if let Link::Transfer(t) = l.link {
                let (joined, user, ev) = (l.joined_at, l.user.clone(), l.join_ev.clone());
                let tr = &mut self.transfers[t];
                fill(&mut tr.facts.to_user, &user);
                if tr.outcome == TransferOutcome::Unknown {
                    tr.outcome = TransferOutcome::Accepted;
                    tr.outcome_at = Some(joined);
                    tr.accepted_at.get_or_insert(joined);
                    tr.accept_ev.extend(ev);
                }
            }
        }

        // No `engagement_ended`: the call ended when the customer and every agent had left.
        if self.ended.is_none()
            && let Some((_, cust_ev)) = &customer_left
        {
            let live: Vec<&LegB> = self.legs.iter().filter(|l| !l.dropped).collect();
            if live.iter().all(|l| l.left_at.is_some()) {
                let cust_t = customer_left.as_ref().map(|c| c.0).unwrap_or(i64::MIN);
                let last = live
                    .iter()
                    .filter_map(|l| l.left_at.map(|t| (t, l.leave_ev.clone())))
                    .max()
                    .filter(|(t, _)| *t > cust_t)
                    .unwrap_or((cust_t, cust_ev.clone()));
                self.inferred_end = Some(last);
            }
        }
    }

    pub fn start(&self) -> Option<(i64, Vec<Position>)> {
        self.started
            .clone()
            .or_else(|| self.first_event.map(|(t, p)| (t, vec![p])))
    }

    pub fn end(&self) -> Option<(i64, Vec<Position>)> {
        self.ended.clone().or_else(|| self.inferred_end.clone())
    }
}
