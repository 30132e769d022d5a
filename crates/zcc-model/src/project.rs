//! From folded facts to a [`CallProjection`]: conferences by the rule's method, then the derived
//! events, each with its evidence and the rule's identity.

use std::collections::BTreeSet;

use crate::conference::{ConfOut, leg_presences, sweep};
use crate::explicit;
use crate::fold::{Facts, LegB, fold};
use crate::input::{InputEvent, signals};
use crate::model::{
    CallProjection, Conference, ConferenceInvitation, DerivedEvent, DerivedKind, Diagnostic,
    Engagement, Hold, InvitationOutcome, Leg, Party, Position, Source, Supervision, Transfer,
    TransferOutcome, Via,
};
use crate::rule::{ExplicitConferences, RuleIdentity};

/// How a rule finds conferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Any period with the customer and two or more agents.
    PartyCount,
    /// SPEC 5: hand-offs excluded, explicit events where present.
    Correlated {
        handoff_grace_ms: i64,
        use_explicit: bool,
    },
}

fn ev(mut v: Vec<Position>) -> Vec<Position> {
    v.sort_unstable();
    v.dedup();
    v
}

pub(crate) fn project(
    identity: &RuleIdentity,
    method: Method,
    events: &[InputEvent],
    explicit: ExplicitConferences,
) -> CallProjection {
    let hide = match method {
        Method::PartyCount => ExplicitConferences::Hide,
        Method::Correlated { use_explicit, .. } => {
            if use_explicit {
                explicit
            } else {
                ExplicitConferences::Hide
            }
        }
    };
    let facts = fold(&signals(events, hide));
    let customer = facts
        .customer_leg
        .as_ref()
        .map(|c| (c.joined_at, c.left_at, c.leave_ev.as_slice()));
    let (confs, diagnostics) = match method {
        Method::PartyCount => {
            let (p, _, _) = leg_presences(&facts, None);
            (sweep(&p, &[], customer, Source::Inferred), Vec::new())
        }
        Method::Correlated {
            handoff_grace_ms, ..
        } => {
            let (p, _, edges) = leg_presences(&facts, Some(handoff_grace_ms));
            let inferred = sweep(&p, &edges, customer, Source::Inferred);
            if facts.has_explicit {
                explicit::combine(&facts, explicit::conferences(&facts, customer), inferred)
            } else {
                (inferred, Vec::new())
            }
        }
    };
    assemble(identity, &facts, confs, diagnostics)
}

struct Derive<'a> {
    rule: String,
    engagement_id: &'a str,
    out: Vec<DerivedEvent>,
}

impl Derive<'_> {
    fn push(&mut self, at: i64, kind: DerivedKind, agents: Vec<String>, evidence: Vec<Position>) {
        let mut seen = BTreeSet::new();
        let agents = agents
            .into_iter()
            .filter(|a| seen.insert(a.clone()))
            .collect();
        self.out.push(DerivedEvent {
            at,
            kind,
            engagement_id: self.engagement_id.to_owned(),
            agents,
            evidence: ev(evidence),
            rule: self.rule.clone(),
        });
    }
}

fn leg_out(l: &LegB) -> Leg {
    let mut e = l.join_ev.clone();
    e.extend(&l.leave_ev);
    e.extend(&l.other_ev);
    Leg {
        party: l.party,
        user_id: l.user.clone(),
        display_name: l.name.clone(),
        joined_at: l.joined_at,
        left_at: l.left_at,
        via: l.via,
        task_id: l.task.clone(),
        evidence: ev(e),
    }
}

fn assemble(
    identity: &RuleIdentity,
    f: &Facts,
    confs: Vec<ConfOut>,
    diagnostics: Vec<Diagnostic>,
) -> CallProjection {
    let a = &f.attrs;
    let engagement_id = a.engagement_id.clone().unwrap_or_default();
    let start = f.start();
    let end = f.end();
    let inbound = a.direction.as_deref() != Some("outbound");
    let customer_number = a.consumer_number.clone().or_else(|| {
        if inbound {
            a.caller_number.clone()
        } else {
            a.callee_number.clone()
        }
    });
    let mut eng_ev: Vec<Position> = Vec::new();
    if let Some((_, e)) = &start {
        eng_ev.extend(e);
    }
    if let Some((_, e)) = &end {
        eng_ev.extend(e);
    }
    let engagement = Engagement {
        engagement_id: engagement_id.clone(),
        account_id: a.account_id.clone(),
        channel: a.channel.clone(),
        direction: a.direction.clone(),
        flow_id: a.flow_id.clone(),
        flow_name: a.flow_name.clone(),
        queue_ids: f.queue_ids.clone(),
        queue_names: f.queue_names.clone(),
        started_at: start.as_ref().map(|s| s.0),
        ended_at: end.as_ref().map(|e| e.0),
        start_observed: f.started.is_some(),
        end_observed: f.ended.is_some(),
        customer_id: a.consumer_id.clone(),
        customer_number,
        customer_name: a.consumer_name.clone(),
        evidence: ev(eng_ev),
    };

    // Legs: the customer, agents, and supervisors (one leg per unbroken run of sessions).
    let mut legs: Vec<Leg> = Vec::new();
    if let Some(c) = &f.customer_leg {
        legs.push(leg_out(c));
    }
    legs.extend(f.legs.iter().filter(|l| !l.dropped).map(leg_out));
    let mut sup_sessions: Vec<&crate::fold::SupB> = f
        .supervision
        .iter()
        .filter(|s| s.mode != crate::model::SupervisionMode::Takeover)
        .collect();
    sup_sessions.sort_by(|x, y| (&x.supervisor, x.started_at).cmp(&(&y.supervisor, y.started_at)));
    let mut sup_legs: Vec<Leg> = Vec::new();
    for s in sup_sessions {
        let mut e = s.start_ev.clone();
        e.extend(&s.end_ev);
        if let Some(last) = sup_legs.last_mut()
            && last.user_id.as_deref() == Some(s.supervisor.as_str())
            && last.left_at == Some(s.started_at)
        {
            last.left_at = s.ended_at;
            last.evidence.extend(e);
            last.evidence = ev(std::mem::take(&mut last.evidence));
            continue;
        }
        sup_legs.push(Leg {
            party: Party::Supervisor,
            user_id: Some(s.supervisor.clone()),
            display_name: s.name.clone(),
            joined_at: s.started_at,
            left_at: s.ended_at,
            via: Via::Monitor,
            task_id: None,
            evidence: ev(e),
        });
    }
    legs.extend(sup_legs);
    legs.sort_by(|x, y| {
        (x.joined_at, x.party, &x.user_id, &x.evidence).cmp(&(
            y.joined_at,
            y.party,
            &y.user_id,
            &y.evidence,
        ))
    });

    let mut holds: Vec<Hold> = f
        .holds
        .iter()
        .map(|h| {
            let mut e = h.start_ev.clone();
            e.extend(&h.end_ev);
            Hold {
                user_id: h.user.clone(),
                started_at: h.started_at,
                ended_at: h.ended_at,
                evidence: ev(e),
            }
        })
        .collect();
    holds.sort_by(|x, y| {
        (x.started_at, &x.user_id, &x.evidence).cmp(&(y.started_at, &y.user_id, &y.evidence))
    });

    let mut transfers: Vec<Transfer> = f
        .transfers
        .iter()
        .map(|t| {
            let mut e = t.start_ev.clone();
            e.extend(&t.accept_ev);
            e.extend(&t.outcome_ev);
            e.extend(&t.other_ev);
            let x = &t.facts;
            Transfer {
                from_user: x.from_user.clone(),
                to_user: x.to_user.clone(),
                to_queue_id: x.to_queue_id.clone(),
                to_queue_name: x.to_queue_name.clone(),
                to_number: x.to_number.clone(),
                to_flow_or_inbox: x.to_flow_id.clone().or_else(|| x.to_inbox_id.clone()),
                transfer_type: x.transfer_type.clone(),
                transfer_level: x.level.clone(),
                started_at: t.started_at,
                accepted_at: t.accepted_at,
                outcome: t.outcome,
                outcome_at: t.outcome_at,
                task_id: x.task.clone(),
                target_task_id: x.to_task.clone(),
                evidence: ev(e),
            }
        })
        .collect();
    transfers.sort_by(|x, y| (x.started_at, &x.evidence).cmp(&(y.started_at, &y.evidence)));

    let mut invitations: Vec<ConferenceInvitation> = f
        .invitations
        .iter()
        .filter(|i| !i.hidden)
        .map(|i| {
            let mut e = i.start_ev.clone();
            e.extend(&i.outcome_ev);
            ConferenceInvitation {
                invited_user: i.user.clone(),
                invited_by: i.by.clone(),
                invited_at: i.at,
                outcome: i.outcome,
                outcome_at: i.outcome_at,
                source: i.source,
                evidence: ev(e),
            }
        })
        .collect();
    invitations.sort_by(|x, y| {
        (x.invited_at, &x.invited_user, &x.evidence).cmp(&(
            y.invited_at,
            &y.invited_user,
            &y.evidence,
        ))
    });

    let mut supervision: Vec<Supervision> = f
        .supervision
        .iter()
        .map(|s| {
            let mut e = s.start_ev.clone();
            e.extend(&s.end_ev);
            Supervision {
                supervisor: s.supervisor.clone(),
                supervisor_name: s.name.clone(),
                agent: s.agent.clone(),
                mode: s.mode.clone(),
                started_at: s.started_at,
                ended_at: s.ended_at,
                evidence: ev(e),
            }
        })
        .collect();
    supervision.sort_by(|x, y| {
        (x.started_at, &x.supervisor, &x.evidence).cmp(&(y.started_at, &y.supervisor, &y.evidence))
    });

    let rule = identity.to_string();
    let mut d = Derive {
        rule,
        engagement_id: &engagement_id,
        out: Vec::new(),
    };
    if let Some((t, e)) = &start {
        d.push(*t, DerivedKind::CallStarted, Vec::new(), e.clone());
    }
    for l in f
        .legs
        .iter()
        .filter(|l| !l.dropped && l.party == Party::Agent)
    {
        let u: Vec<String> = l.user.iter().cloned().collect();
        d.push(
            l.joined_at,
            DerivedKind::AgentJoined,
            u.clone(),
            l.join_ev.clone(),
        );
        if let Some(t) = l.left_at {
            d.push(t, DerivedKind::AgentLeft, u, l.leave_ev.clone());
        }
    }
    for h in &f.holds {
        let u: Vec<String> = h.user.iter().cloned().collect();
        d.push(
            h.started_at,
            DerivedKind::HoldStarted,
            u.clone(),
            h.start_ev.clone(),
        );
        if let Some(t) = h.ended_at {
            d.push(t, DerivedKind::HoldEnded, u, h.end_ev.clone());
        }
    }
    for t in &f.transfers {
        let agents: Vec<String> = t
            .facts
            .from_user
            .iter()
            .chain(t.facts.to_user.iter())
            .cloned()
            .collect();
        let mut start_ev = t.start_ev.clone();
        if start_ev.is_empty() {
            start_ev.extend(&t.other_ev);
            start_ev.extend(&t.accept_ev);
            start_ev.extend(&t.outcome_ev);
        }
        d.push(
            t.started_at,
            DerivedKind::TransferInitiated,
            agents.clone(),
            start_ev,
        );
        if let Some(at) = t.accepted_at {
            d.push(
                at,
                DerivedKind::TransferAccepted,
                agents.clone(),
                t.accept_ev.clone(),
            );
        }
        if let Some(at) = t.outcome_at {
            match t.outcome {
                TransferOutcome::Completed => {
                    d.push(
                        at,
                        DerivedKind::TransferCompleted,
                        agents,
                        t.outcome_ev.clone(),
                    );
                }
                o if o.is_failure() => {
                    d.push(
                        at,
                        DerivedKind::TransferFailed,
                        agents,
                        t.outcome_ev.clone(),
                    );
                }
                _ => {}
            }
        }
    }
    for i in f.invitations.iter().filter(|i| !i.hidden) {
        let agents: Vec<String> = i.user.iter().chain(i.by.iter()).cloned().collect();
        d.push(
            i.at,
            DerivedKind::ConferenceInvited,
            agents.clone(),
            i.start_ev.clone(),
        );
        let kind = match i.outcome {
            InvitationOutcome::Accepted => Some(DerivedKind::ConferenceInviteAccepted),
            InvitationOutcome::Rejected | InvitationOutcome::Timeout => {
                Some(DerivedKind::ConferenceInviteRejected)
            }
            InvitationOutcome::Canceled | InvitationOutcome::Rescinded => {
                Some(DerivedKind::ConferenceInviteCanceled)
            }
            InvitationOutcome::Pending => None,
        };
        if let (Some(kind), Some(at)) = (kind, i.outcome_at) {
            d.push(at, kind, agents, i.outcome_ev.clone());
        }
    }
    let mut conferences: Vec<Conference> = Vec::new();
    for (n, c) in confs.into_iter().enumerate() {
        d.push(
            c.started_at,
            DerivedKind::ConferenceStarted,
            c.start_users.clone(),
            c.start_ev.clone(),
        );
        for (t, u, e) in &c.joined {
            d.push(
                *t,
                DerivedKind::ConferenceParticipantJoined,
                vec![u.clone()],
                e.clone(),
            );
        }
        for (t, u, e) in &c.left {
            d.push(
                *t,
                DerivedKind::ConferenceParticipantLeft,
                vec![u.clone()],
                e.clone(),
            );
        }
        if let Some(t) = c.ended_at {
            d.push(
                t,
                DerivedKind::ConferenceEnded,
                c.end_users.clone(),
                c.end_ev.clone(),
            );
        }
        conferences.push(Conference {
            conference_index: n as i64 + 1,
            started_at: c.started_at,
            ended_at: c.ended_at,
            participants: c.participants,
            initiated_by: c.initiated_by,
            source: c.source,
            evidence: ev(c.evidence),
            conference_id: c.conference_id,
            external_participants: c.external_participants,
            api_call: c.api_call,
        });
    }
    for s in &f.supervision {
        let agents: Vec<String> = std::iter::once(s.supervisor.clone())
            .chain(s.agent.iter().cloned())
            .collect();
        d.push(
            s.started_at,
            DerivedKind::SupervisionStarted,
            agents.clone(),
            s.start_ev.clone(),
        );
        if let Some(t) = s.ended_at {
            d.push(t, DerivedKind::SupervisionEnded, agents, s.end_ev.clone());
        }
    }
    if let Some((t, e)) = &end {
        d.push(*t, DerivedKind::CallEnded, Vec::new(), e.clone());
    }
    let mut derived_events = d.out;
    derived_events.sort_by(|x, y| {
        (x.at, x.kind, &x.agents, &x.evidence).cmp(&(y.at, y.kind, &y.agents, &y.evidence))
    });

    CallProjection {
        rule: identity.clone(),
        engagement,
        legs,
        holds,
        transfers,
        conference_invitations: invitations,
        conferences,
        supervision,
        derived_events,
        diagnostics,
    }
}
