//! Conferences from Zoom's explicit `engagement_conference_*` events (SPEC 5).
//!
//! Zoom sends no conference started or ended event: each event says who it is about and, in the
//! documented shape, who is in the conference after the change (`conference_participants[]`).
//! So, per `conference_id`, this module follows each agent's presence in the conference:
//!
//! - the subject of `_joined` joins, the subject of `_left` leaves;
//! - a roster is a snapshot: an agent in it who was not present has joined (an earlier event
//!   was lost), an agent present who is missing from it has left;
//! - `engagement_conference_canceled` ends everyone's presence;
//! - an agent's presence starts when the agent connected (the leg's answer, where the leg was
//!   open at the event) and ends when the agent left the conference or hung up, whichever came
//!   first; one still present at the end ends with the leg, else the customer, else the call.
//!
//! The conference is then the same sweep as inference: on while the customer and at least two
//! agents are present. Outside parties (a phone number) are listed, never counted as agents.
//! In the older guessed shape there is no roster: the host is the named inviter, else the agents
//! connected when the conference began, counted as one party (a transfer or takeover hand-off
//! among them is never a second agent).

use std::collections::{BTreeMap, BTreeSet};

use crate::conference::{ConfOut, CustomerSpan, Presence, sweep};
use crate::fold::{CLOCK_SKEW_MS, ConfObs, Facts, LegB};
use crate::model::{ApiCall, ConferenceSource, Diagnostic, Party, Position};
use crate::signal::{ConferenceRole, ConferenceStep};

/// What the explicit events say: their conferences, and what was wrong with them.
pub(crate) struct Explicit {
    pub conferences: Vec<ConfOut>,
    pub diagnostics: Vec<Diagnostic>,
}

/// One agent's (or outside party's) presence in one conference.
#[derive(Debug, Clone)]
struct Span {
    who: String,
    from: i64,
    to: Option<i64>,
    join_ev: Vec<Position>,
    leave_ev: Vec<Position>,
}

/// The presences of one conference as its events are read in order.
#[derive(Default)]
struct Spans {
    open: BTreeMap<String, Span>,
    done: Vec<Span>,
}

impl Spans {
    fn is_open(&self, who: &str) -> bool {
        self.open.contains_key(who)
    }

    fn ever(&self, who: &str) -> bool {
        self.is_open(who) || self.done.iter().any(|s| s.who == who)
    }

    fn join(&mut self, who: &str, from: i64, ev: Vec<Position>) {
        if let Some(s) = self.open.get_mut(who) {
            s.join_ev.extend(ev);
            return;
        }
        self.open.insert(
            who.to_owned(),
            Span {
                who: who.to_owned(),
                from,
                to: None,
                join_ev: ev,
                leave_ev: Vec::new(),
            },
        );
    }

    fn leave(&mut self, who: &str, to: i64, ev: Vec<Position>) {
        if let Some(mut s) = self.open.remove(who) {
            s.to = Some(to.max(s.from));
            s.leave_ev = ev;
            self.done.push(s);
        }
    }

    fn into_all(mut self) -> Vec<Span> {
        self.done.extend(self.open.into_values());
        self.done
            .sort_by(|a, b| (a.from, &a.who).cmp(&(b.from, &b.who)));
        self.done
    }
}

/// The agent's leg that is the connection at `t`: the latest one that began by `t` (allowing
/// for clock skew between Zoom's services) and had not ended well before it.
fn leg_at<'f>(facts: &'f Facts, user: &str, t: i64) -> Option<&'f LegB> {
    facts
        .legs
        .iter()
        .filter(|l| !l.dropped && l.party == Party::Agent && l.user.as_deref() == Some(user))
        .filter(|l| l.joined_at <= t.saturating_add(CLOCK_SKEW_MS))
        .filter(|l| {
            l.left_at
                .is_none_or(|e| e >= t.saturating_sub(CLOCK_SKEW_MS))
        })
        .max_by_key(|l| l.joined_at)
}

/// Reads one conference's events into presences.
struct Reading<'f> {
    facts: &'f Facts,
    has_agent_legs: bool,
    agents: Spans,
    outside: Spans,
    /// Agents the rosters call `host`, in the order first seen.
    hosts: Vec<String>,
    diagnostics: Vec<Diagnostic>,
}

impl<'f> Reading<'f> {
    /// An agent seen connected at `t`: present from the leg's answer where the leg is there.
    fn agent_joins(&mut self, user: &str, t: i64, pos: Position) {
        if self.agents.is_open(user) {
            self.agents.join(user, t, vec![pos]);
            return;
        }
        match leg_at(self.facts, user, t) {
            Some(l) => {
                let mut ev = vec![pos];
                ev.extend(&l.join_ev);
                self.agents.join(user, l.joined_at.min(t), ev);
            }
            None => {
                if self.has_agent_legs {
                    self.diagnostics.push(Diagnostic {
                        kind: "roster_contradicts_legs".into(),
                        message: format!(
                            "a conference event puts agent {user} in the conference, but no leg of \
                             theirs is connected then"
                        ),
                        evidence: vec![pos],
                    });
                }
                self.agents.join(user, t, vec![pos]);
            }
        }
    }

    /// An agent seen gone at `t`: left then, or when the leg ended if that was earlier.
    fn agent_leaves(&mut self, user: &str, t: i64, pos: Position) {
        let Some(from) = self.agents.open.get(user).map(|s| s.from) else {
            return;
        };
        let mut ev = vec![pos];
        let mut to = t;
        if let Some(l) = leg_at(self.facts, user, from)
            && let Some(end) = l.left_at
            && end >= from
            && end < t
        {
            to = end;
            ev.extend(&l.leave_ev);
        }
        self.agents.leave(user, to, ev);
    }

    fn read(&mut self, o: &ConfObs) {
        let (t, pos) = (o.at, o.pos);
        let Some(step) = o.step else {
            // `engagement_conference_canceled`: nobody is in it any more.
            let users: Vec<String> = self.agents.open.keys().cloned().collect();
            for u in users {
                self.agent_leaves(&u, t, pos);
            }
            let numbers: Vec<String> = self.outside.open.keys().cloned().collect();
            for n in numbers {
                self.outside.leave(&n, t, vec![pos]);
            }
            return;
        };
        match (step, o.user.as_deref(), o.number.as_deref()) {
            (ConferenceStep::Joined, Some(u), _) => self.agent_joins(u, t, pos),
            (ConferenceStep::Left, Some(u), _) => {
                if !self.agents.ever(u) {
                    // Left with no join seen: in it since connecting.
                    self.agent_joins(u, t, pos);
                }
                self.agent_leaves(u, t, pos);
            }
            (ConferenceStep::Joined, None, Some(n)) => self.outside.join(n, t, vec![pos]),
            (ConferenceStep::Left, None, Some(n)) => self.outside.leave(n, t, vec![pos]),
            (_, None, None) => self.diagnostics.push(Diagnostic {
                kind: "unreadable_participant".into(),
                message: format!(
                    "a conference event ({}) names no participant this model can read",
                    step_name(step)
                ),
                evidence: vec![pos],
            }),
            _ => {}
        }
        let Some(roster) = &o.roster else {
            return;
        };
        // The subject of anything but a join is not in the conference after it, whatever the
        // roster says.
        let not_in = (step != ConferenceStep::Joined)
            .then_some(o.user.as_deref())
            .flatten();
        let in_roster: BTreeSet<&str> = roster
            .iter()
            .filter(|e| e.role != ConferenceRole::Customer)
            .filter_map(|e| e.user.as_deref())
            .filter(|u| Some(*u) != not_in)
            .collect();
        for e in roster {
            if e.role == ConferenceRole::Host
                && let Some(u) = &e.user
                && !self.hosts.contains(u)
            {
                self.hosts.push(u.clone());
            }
        }
        for u in &in_roster {
            if !self.agents.is_open(u) {
                self.agent_joins(u, t, pos);
            }
        }
        let gone: Vec<String> = self
            .agents
            .open
            .keys()
            .filter(|u| !in_roster.contains(u.as_str()))
            .cloned()
            .collect();
        for u in gone {
            self.agent_leaves(&u, t, pos);
        }
        let number_not_in = (step != ConferenceStep::Joined)
            .then_some(o.number.as_deref())
            .flatten();
        let numbers: BTreeSet<&str> = roster
            .iter()
            .filter(|e| e.role != ConferenceRole::Customer)
            .filter_map(|e| e.number.as_deref())
            .filter(|n| Some(*n) != number_not_in)
            .collect();
        for n in &numbers {
            if !self.outside.is_open(n) {
                self.outside.join(n, t, vec![pos]);
            }
        }
        let gone: Vec<String> = self
            .outside
            .open
            .keys()
            .filter(|n| !numbers.contains(n.as_str()))
            .cloned()
            .collect();
        for n in gone {
            self.outside.leave(&n, t, vec![pos]);
        }
    }
}

fn step_name(step: ConferenceStep) -> &'static str {
    match step {
        ConferenceStep::Invited => "participant_invited",
        ConferenceStep::Joined => "participant_joined",
        ConferenceStep::Left => "participant_left",
        ConferenceStep::Rejected => "participant_rejected",
        ConferenceStep::Timeout => "participant_timeout",
        ConferenceStep::Canceled => "participant_canceled",
    }
}

/// Where a presence still open at the last event ends: with the agent's leg, else when the
/// customer left, else with the call.
fn close_open(facts: &Facts, spans: &mut [Span], agents: bool) {
    let customer_left = facts
        .customer_leg
        .as_ref()
        .and_then(|c| c.left_at.map(|t| (t, c.leave_ev.clone())));
    for s in spans.iter_mut().filter(|s| s.to.is_none()) {
        let leg_end = agents
            .then(|| leg_at(facts, &s.who, s.from))
            .flatten()
            .and_then(|l| l.left_at.map(|t| (t, l.leave_ev.clone())));
        let end = leg_end
            .or_else(|| customer_left.clone())
            .or_else(|| facts.end());
        if let Some((t, ev)) = end.filter(|e| e.0 >= s.from) {
            s.to = Some(t);
            s.leave_ev.extend(ev);
        }
    }
}

fn presence(s: &Span) -> Presence {
    Presence {
        user: s.who.clone(),
        from: s.from,
        to: s.to,
        join_ev: s.join_ev.clone(),
        leave_ev: s.leave_ev.clone(),
        invited_by: None,
    }
}

/// Older guessed shape, no roster: the hosts are the named inviters, else the agents connected
/// when the first invitation or join happened, other than the conference's own participants.
fn leg_hosts(facts: &Facts, obs: &[&ConfObs], subjects: &BTreeSet<&str>) -> Vec<Span> {
    let Some(first) = obs
        .iter()
        .find(|o| {
            matches!(
                o.step,
                Some(ConferenceStep::Invited | ConferenceStep::Joined)
            )
        })
        .map(|o| o.at)
    else {
        return Vec::new();
    };
    let named: Vec<&str> = obs.iter().filter_map(|o| o.invited_by.as_deref()).collect();
    let supervisor = |u: &str| facts.supervision.iter().any(|s| s.supervisor == u);
    let mut users: Vec<&str> = if named.is_empty() {
        facts
            .legs
            .iter()
            .filter(|l| l.party == Party::Agent && l.is_open_at(first))
            .filter_map(|l| l.user.as_deref())
            .filter(|u| !supervisor(u))
            .collect()
    } else {
        named
    };
    // A participant the events follow themselves (a host whose `_left` was sent) is one
    // presence, not two.
    users.retain(|u| !subjects.contains(u));
    users.sort_unstable();
    users.dedup();
    users
        .into_iter()
        .filter_map(|u| leg_at(facts, u, first))
        .map(|l| Span {
            who: l.user.clone().unwrap_or_default(),
            from: l.joined_at,
            to: l.left_at,
            join_ev: l.join_ev.clone(),
            leave_ev: l.leave_ev.clone(),
        })
        .collect()
}

/// The explicit conferences of an engagement, one group of events per `conference_id`.
pub(crate) fn conferences(facts: &Facts, customer: CustomerSpan<'_>) -> Explicit {
    let mut groups: BTreeMap<Option<&str>, Vec<&ConfObs>> = BTreeMap::new();
    for o in &facts.conf_obs {
        groups
            .entry(o.conference_id.as_deref())
            .or_default()
            .push(o);
    }
    let has_agent_legs = facts
        .legs
        .iter()
        .any(|l| !l.dropped && l.party == Party::Agent);
    let mut out = Explicit {
        conferences: Vec::new(),
        diagnostics: Vec::new(),
    };
    for (id, obs) in groups {
        let mut r = Reading {
            facts,
            has_agent_legs,
            agents: Spans::default(),
            outside: Spans::default(),
            hosts: Vec::new(),
            diagnostics: Vec::new(),
        };
        for o in &obs {
            r.read(o);
        }
        let Reading {
            agents,
            outside,
            hosts,
            diagnostics,
            ..
        } = r;
        out.diagnostics.extend(diagnostics);
        let mut spans = agents.into_all();
        close_open(facts, &mut spans, true);
        let mut outside = outside.into_all();
        close_open(facts, &mut outside, false);

        let mut presences: Vec<Presence> = spans.iter().map(presence).collect();
        let mut edges = Vec::new();
        let mut leg_host_ids: Vec<String> = Vec::new();
        if obs.iter().all(|o| o.roster.is_none()) {
            let subjects: BTreeSet<&str> = spans.iter().map(|s| s.who.as_str()).collect();
            let host_spans = leg_hosts(facts, &obs, &subjects);
            let base = presences.len();
            for (k, h) in host_spans.iter().enumerate() {
                leg_host_ids.push(h.who.clone());
                presences.push(presence(h));
                if k > 0 {
                    edges.push((base + k - 1, base + k));
                }
            }
        }
        // Without the customer's leg, the roster's customer was there from the first event.
        let first_at = obs.first().map(|o| o.at).unwrap_or_default();
        let synthetic = facts.end().map(|(t, _)| t);
        let customer = customer.or(Some((first_at, synthetic, &[][..])));
        let api_call = facts
            .api_calls
            .iter()
            .find(|c| id.is_some() && c.conference_id.as_deref() == id)
            .map(|c| ApiCall {
                at: c.at,
                user_id: c.user.clone(),
                request_id: c.request_id.clone(),
                evidence: vec![c.pos],
            });
        let named_by = obs.iter().find_map(|o| o.invited_by.clone());
        for mut c in sweep(&presences, &edges, customer, ConferenceSource::Explicit) {
            let end = c.ended_at.unwrap_or(i64::MAX);
            c.conference_id = id.map(str::to_owned);
            let mut numbers: Vec<String> = outside
                .iter()
                .filter(|s| s.from < end && s.to.is_none_or(|t| t > c.started_at))
                .map(|s| s.who.clone())
                .collect();
            numbers.sort();
            numbers.dedup();
            c.external_participants = numbers;
            c.initiated_by = hosts
                .first()
                .cloned()
                .or_else(|| named_by.clone())
                .or_else(|| leg_host_ids.first().cloned())
                .or(c.initiated_by);
            c.evidence.extend(
                obs.iter()
                    .filter(|o| o.at >= c.started_at && o.at <= end)
                    .map(|o| o.pos),
            );
            c.evidence.sort_unstable();
            c.evidence.dedup();
            c.api_call = api_call.clone();
            out.conferences.push(c);
        }
    }
    out.conferences
        .sort_by(|a, b| (a.started_at, &a.conference_id).cmp(&(b.started_at, &b.conference_id)));
    out
}

/// How long before an inferred conference an explicit event that names nobody readable may
/// have been about it (an invitation is answered within seconds to a minute).
const UNREADABLE_WINDOW_MS: i64 = 60_000;

/// SPEC 5: explicit events define the conferences they cover. A conference the legs show that
/// no explicit conference covers is kept as inferred, with a diagnostic, where the explicit
/// events speak of it without establishing it (an invitation of one of its agents, a roster
/// naming one, an event with no readable participant around its start): the evidence is
/// incomplete, not absent. Where they say nothing of it at all, an engagement whose conference
/// events were sent (they come with the subscription, for the whole call) had no such
/// conference: it is left out, and the diagnostic says so.
pub(crate) fn combine(
    facts: &Facts,
    explicit: Explicit,
    inferred: Vec<ConfOut>,
) -> (Vec<ConfOut>, Vec<Diagnostic>) {
    let Explicit {
        mut conferences,
        mut diagnostics,
    } = explicit;
    let overlaps = |a: &ConfOut, b: &ConfOut| {
        a.started_at < b.ended_at.unwrap_or(i64::MAX)
            && b.started_at < a.ended_at.unwrap_or(i64::MAX)
    };
    let named = |user: &str| {
        facts.conf_obs.iter().any(|o| {
            o.user.as_deref() == Some(user)
                || o.roster
                    .iter()
                    .flatten()
                    .any(|e| e.user.as_deref() == Some(user))
        })
    };
    let unreadable_near = |c: &ConfOut| {
        facts.conf_obs.iter().any(|o| {
            o.step.is_some()
                && o.user.is_none()
                && o.number.is_none()
                && o.roster.is_none()
                && o.at >= c.started_at.saturating_sub(UNREADABLE_WINDOW_MS)
                && c.ended_at.is_none_or(|e| o.at <= e)
        })
    };
    let mut kept = Vec::new();
    for c in inferred {
        if conferences.iter().any(|e| overlaps(e, &c)) {
            continue;
        }
        let spoken_of = c
            .joined
            .iter()
            .map(|(_, u, _)| u)
            .chain(&c.start_users)
            .any(|u| named(u) && !conferences.iter().any(|e| e.participants.contains(u)))
            || unreadable_near(&c);
        if spoken_of {
            diagnostics.push(Diagnostic {
                kind: "explicit_incomplete".into(),
                message: format!(
                    "the legs show a conference of {} that the explicit conference events speak \
                     of but do not establish; it is kept as inferred",
                    c.participants.join(", ")
                ),
                evidence: c.evidence.clone(),
            });
            kept.push(c);
        } else {
            diagnostics.push(Diagnostic {
                kind: "inferred_conference_left_out".into(),
                message: format!(
                    "the legs show {} connected together, but this engagement's explicit \
                     conference events say nothing of it; it is not reported as a conference",
                    c.participants.join(", ")
                ),
                evidence: c.evidence.clone(),
            });
        }
    }
    conferences.extend(kept);
    conferences
        .sort_by(|a, b| (a.started_at, &a.conference_id).cmp(&(b.started_at, &b.conference_id)));
    (conferences, diagnostics)
}
