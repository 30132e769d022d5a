//! The fold shared by every rule: signals in event-time order become legs, holds, transfers,
//! invitations and supervision sessions. Conferences are computed afterwards from the result
//! (see [`crate::conference`]), which is where rules differ.
//!
//! The fold reads the whole set: transfers are folded first, so a reservation can be matched to
//! a transfer's target task whatever the order of their event times.

mod conference_events;
mod finish;
mod phases;
mod reservations;
mod signals;
mod supervision;
mod transfers;

use std::collections::BTreeMap;

use crate::model::{
    ConferenceSource, Disposition, InvitationOutcome, Note, OfferOutcome, Party, Position,
    SupervisionMode, TransferOutcome, Via,
};
use crate::signal::{Attrs, CallAttrs, ConferenceStep, RosterEntry, Signal, Timed, TransferFacts};

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
    pub source: ConferenceSource,
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
pub(crate) struct ResB {
    pub reservation: Option<String>,
    pub task: Option<String>,
    pub user: Option<String>,
    pub queue_id: Option<String>,
    pub queue_name: Option<String>,
    pub created_at: i64,
    class: Class,
    accepted: Option<(i64, Position)>,
    failed_at: Option<i64>,
    /// The first outcome, in fold order.
    pub outcome: Option<(OfferOutcome, i64)>,
    consumed: bool,
    pub ev: Vec<Position>,
}

impl ResB {
    /// What the offer was for, as a leg's [`Via`].
    pub fn via(&self) -> Via {
        match self.class {
            Class::Routing => Via::Routing,
            Class::Transfer(_) => Via::Transfer,
            Class::Invitation(_) => Via::ConferenceInvitation,
        }
    }
}

/// A wait of a task in a queue.
#[derive(Debug, Clone)]
pub(crate) struct QueueB {
    pub task: String,
    pub queue_id: Option<String>,
    pub queue_name: Option<String>,
    pub entered_at: i64,
    pub exited_at: Option<i64>,
    pub ev: Vec<Position>,
}

/// One agent's wrap-up, from its start to its end.
#[derive(Debug, Clone)]
pub(crate) struct WrapUpB {
    pub user: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub ev: Vec<Position>,
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
    pub(crate) reservations: BTreeMap<String, ResB>,
    wrap_ups: Vec<(String, i64, Position)>,
    /// The first routing event (a task created or queued, an offer): the flow's end.
    pub routing_began: Option<(i64, Position)>,
    pub queue_waits: Vec<QueueB>,
    pub wrap_up_spells: Vec<WrapUpB>,
    pub dispositions: Vec<Disposition>,
    pub notes: Vec<Note>,
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

    fn via_of(&self, class: Class) -> (Via, Link) {
        match class {
            Class::Routing => (Via::Routing, Link::None),
            Class::Transfer(i) => (Via::Transfer, Link::Transfer(i)),
            Class::Invitation(i) => (Via::ConferenceInvitation, Link::Invitation(i)),
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
