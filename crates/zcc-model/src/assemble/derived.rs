//! The derived call events: what happened, when, to whom, on which evidence, in one timeline
//! ordered by (time, kind, agents, evidence).

use std::collections::BTreeSet;

use super::ev;
use crate::conference::ConfOut;
use crate::fold::Facts;
use crate::model::{
    DerivedEvent, DerivedKind, EngagementId, InvitationOutcome, Party, Position, TransferOutcome,
};
use crate::rule::RuleIdentity;

/// The derived events of one engagement, sorted.
pub(super) fn events(
    identity: &RuleIdentity,
    engagement_id: &str,
    f: &Facts,
    start: Option<&(i64, Vec<Position>)>,
    end: Option<&(i64, Vec<Position>)>,
    confs: &[ConfOut],
) -> Vec<DerivedEvent> {
    let mut d = Derive {
        rule: identity.to_string(),
        engagement_id,
        out: Vec::new(),
    };
    if let Some((t, e)) = start {
        d.push(*t, DerivedKind::CallStarted, Vec::new(), e.clone());
    }
    d.agent_legs(f);
    d.holds(f);
    d.transfers(f);
    d.invitations(f);
    d.conferences(confs);
    d.supervision(f);
    if let Some((t, e)) = end {
        d.push(*t, DerivedKind::CallEnded, Vec::new(), e.clone());
    }
    let mut derived_events = d.out;
    derived_events.sort_by(|x, y| {
        (x.at, x.kind, &x.agents, &x.evidence).cmp(&(y.at, y.kind, &y.agents, &y.evidence))
    });
    derived_events
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
            engagement_id: EngagementId::from(self.engagement_id),
            agents,
            evidence: ev(evidence),
            rule: self.rule.clone(),
        });
    }

    /// An agent joined, and left.
    fn agent_legs(&mut self, f: &Facts) {
        for l in f
            .legs
            .iter()
            .filter(|l| !l.dropped && l.party == Party::Agent)
        {
            let u: Vec<String> = l.user.iter().cloned().collect();
            self.push(
                l.joined_at,
                DerivedKind::AgentJoined,
                u.clone(),
                l.join_ev.clone(),
            );
            if let Some(t) = l.left_at {
                self.push(t, DerivedKind::AgentLeft, u, l.leave_ev.clone());
            }
        }
    }

    /// A hold started, and ended.
    fn holds(&mut self, f: &Facts) {
        for h in &f.holds {
            let u: Vec<String> = h.user.iter().cloned().collect();
            self.push(
                h.started_at,
                DerivedKind::HoldStarted,
                u.clone(),
                h.start_ev.clone(),
            );
            if let Some(t) = h.ended_at {
                self.push(t, DerivedKind::HoldEnded, u, h.end_ev.clone());
            }
        }
    }

    /// A transfer was initiated, accepted, and completed or failed.
    fn transfers(&mut self, f: &Facts) {
        for t in &f.transfers {
            let agents: Vec<String> = t
                .facts
                .from_user
                .iter()
                .chain(t.facts.to_user.iter())
                .cloned()
                .collect();
            // A transfer seen only through later steps is evidenced by them.
            let mut start_ev = t.start_ev.clone();
            if start_ev.is_empty() {
                start_ev.extend(&t.other_ev);
                start_ev.extend(&t.accept_ev);
                start_ev.extend(&t.outcome_ev);
            }
            self.push(
                t.started_at,
                DerivedKind::TransferInitiated,
                agents.clone(),
                start_ev,
            );
            if let Some(at) = t.accepted_at {
                self.push(
                    at,
                    DerivedKind::TransferAccepted,
                    agents.clone(),
                    t.accept_ev.clone(),
                );
            }
            if let Some(at) = t.outcome_at {
                match t.outcome {
                    TransferOutcome::Completed => {
                        self.push(
                            at,
                            DerivedKind::TransferCompleted,
                            agents,
                            t.outcome_ev.clone(),
                        );
                    }
                    o if o.is_failure() => {
                        self.push(
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
    }

    /// An agent was invited to a conference, and the invitation was settled.
    fn invitations(&mut self, f: &Facts) {
        for i in f.invitations.iter().filter(|i| !i.hidden) {
            let agents: Vec<String> = i.user.iter().chain(i.by.iter()).cloned().collect();
            self.push(
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
                self.push(at, kind, agents, i.outcome_ev.clone());
            }
        }
    }

    /// A conference started, participants joined and left, and it ended.
    fn conferences(&mut self, confs: &[ConfOut]) {
        for c in confs {
            self.push(
                c.started_at,
                DerivedKind::ConferenceStarted,
                c.start_users.clone(),
                c.start_ev.clone(),
            );
            for (t, u, e) in &c.joined {
                self.push(
                    *t,
                    DerivedKind::ConferenceParticipantJoined,
                    vec![u.clone()],
                    e.clone(),
                );
            }
            for (t, u, e) in &c.left {
                self.push(
                    *t,
                    DerivedKind::ConferenceParticipantLeft,
                    vec![u.clone()],
                    e.clone(),
                );
            }
            if let Some(t) = c.ended_at {
                self.push(
                    t,
                    DerivedKind::ConferenceEnded,
                    c.end_users.clone(),
                    c.end_ev.clone(),
                );
            }
        }
    }

    /// A supervisor started, and ended, a session.
    fn supervision(&mut self, f: &Facts) {
        for s in &f.supervision {
            let agents: Vec<String> = std::iter::once(s.supervisor.clone())
                .chain(s.agent.iter().cloned())
                .collect();
            self.push(
                s.started_at,
                DerivedKind::SupervisionStarted,
                agents.clone(),
                s.start_ev.clone(),
            );
            if let Some(t) = s.ended_at {
                self.push(t, DerivedKind::SupervisionEnded, agents, s.end_ev.clone());
            }
        }
    }
}
