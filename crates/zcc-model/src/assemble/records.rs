//! The projection's records: the engagement, legs, holds, transfers, invitations, conferences
//! and supervision sessions, each in its canonical order.

use super::ev;
use crate::conference::ConfOut;
use crate::fold::{Facts, LegB, SupB};
use crate::model::{
    Conference, ConferenceInvitation, Engagement, EngagementId, Hold, Leg, Party, Position,
    Supervision, SupervisionMode, Transfer, Via,
};

/// The engagement: its attributes, and when it started and ended (observed or inferred).
pub(super) fn engagement(
    f: &Facts,
    start: Option<&(i64, Vec<Position>)>,
    end: Option<&(i64, Vec<Position>)>,
) -> Engagement {
    let a = &f.attrs;
    let inbound = a.direction.as_deref() != Some("outbound");
    let customer_number = a.consumer_number.clone().or_else(|| {
        if inbound {
            a.caller_number.clone()
        } else {
            a.callee_number.clone()
        }
    });
    let mut eng_ev: Vec<Position> = Vec::new();
    if let Some((_, e)) = start {
        eng_ev.extend(e);
    }
    if let Some((_, e)) = end {
        eng_ev.extend(e);
    }
    Engagement {
        engagement_id: EngagementId::from(a.engagement_id.as_deref().unwrap_or_default()),
        account_id: a.account_id.clone(),
        channel: a.channel.clone(),
        direction: a.direction.clone(),
        flow_id: a.flow_id.clone(),
        flow_name: a.flow_name.clone(),
        queue_ids: f.queue_ids.clone(),
        queue_names: f.queue_names.clone(),
        started_at: start.map(|s| s.0),
        ended_at: end.map(|e| e.0),
        start_observed: f.started.is_some(),
        end_observed: f.ended.is_some(),
        customer_id: a.consumer_id.clone(),
        customer_number,
        customer_name: a.consumer_name.clone(),
        evidence: ev(eng_ev),
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

/// Legs: the customer, agents, and supervisors, ordered by when they joined.
pub(super) fn legs(f: &Facts) -> Vec<Leg> {
    let mut legs: Vec<Leg> = Vec::new();
    if let Some(c) = &f.customer_leg {
        legs.push(leg_out(c));
    }
    legs.extend(f.legs.iter().filter(|l| !l.dropped).map(leg_out));
    legs.extend(supervisor_legs(f));
    legs.sort_by(|x, y| {
        (x.joined_at, x.party, &x.user_id, &x.evidence).cmp(&(
            y.joined_at,
            y.party,
            &y.user_id,
            &y.evidence,
        ))
    });
    legs
}

/// A supervisor's leg: one per unbroken run of monitoring sessions (a takeover is an agent leg).
fn supervisor_legs(f: &Facts) -> Vec<Leg> {
    let mut sessions: Vec<&SupB> = f
        .supervision
        .iter()
        .filter(|s| s.mode != SupervisionMode::Takeover)
        .collect();
    sessions.sort_by(|x, y| (&x.supervisor, x.started_at).cmp(&(&y.supervisor, y.started_at)));
    let mut legs: Vec<Leg> = Vec::new();
    for s in sessions {
        let mut e = s.start_ev.clone();
        e.extend(&s.end_ev);
        if let Some(last) = legs.last_mut()
            && last.user_id.as_deref() == Some(s.supervisor.as_str())
            && last.left_at == Some(s.started_at)
        {
            last.left_at = s.ended_at;
            last.evidence.extend(e);
            last.evidence = ev(std::mem::take(&mut last.evidence));
            continue;
        }
        legs.push(Leg {
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
    legs
}

pub(super) fn holds(f: &Facts) -> Vec<Hold> {
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
    holds
}

pub(super) fn transfers(f: &Facts) -> Vec<Transfer> {
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
    transfers
}

/// Conference invitations, except inferred ones hidden by explicit events.
pub(super) fn invitations(f: &Facts) -> Vec<ConferenceInvitation> {
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
    invitations
}

/// Conferences in the rule's order, numbered from 1.
pub(super) fn conferences(confs: Vec<ConfOut>) -> Vec<Conference> {
    confs
        .into_iter()
        .enumerate()
        .map(|(n, c)| Conference {
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
        })
        .collect()
}

pub(super) fn supervision(f: &Facts) -> Vec<Supervision> {
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
    supervision
}
