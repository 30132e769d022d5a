//! Zoom's explicit conference events, as they bear on invitations.

use super::{Facts, InvB, fill};
use crate::model::{ConferenceSource, InvitationOutcome, Position};
use crate::signal::{ConferenceRole, ConferenceSignal, ConferenceStep};

impl Facts {
    /// An explicit conference event's effect on the invitations (conferences themselves are
    /// built afterwards, by [`crate::explicit`]). Only agents are invited in the model's
    /// sense; an outside party appears in the conference it joins.
    pub(super) fn on_conference(&mut self, at: i64, pos: Position, c: &ConferenceSignal) {
        let Some(user) = c.user.as_deref() else {
            return;
        };
        let pending = self.invitations.iter().rposition(|i| {
            i.source == ConferenceSource::Explicit
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
                    source: ConferenceSource::Explicit,
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
}
