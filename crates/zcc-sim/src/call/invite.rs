//! Conference invitations: routed like a task, accepted or declined, and the conference they open.

use std::collections::BTreeSet;

use rand::Rng;

use super::{
    CONF, Call, INVITE, InviteOutcome, Leg, Member, OpenConference, Reservation, SEC, Subject, Task,
};
use crate::ids::{hex_id, iso_ms};
use crate::truth::{InvitationTruth, TRUTH_RULE, TruthRow};
use crate::world::Person;

impl<R: Rng> Call<'_, R> {
    /// The primary agent invites another agent. Pre-2026 this looks like routing: a new task
    /// and a reservation on the same engagement while the inviter stays connected. Returns the
    /// time the invitation was settled and whether a conference began.
    pub(super) fn invite(&mut self, t: i64, outcome: InviteOutcome) -> (i64, bool) {
        let inviter = self.primary();
        let hold = self.chance(0.3);
        if hold {
            self.leg_event(
                t,
                "engagement_user_hold",
                Some(&inviter.person),
                inviter.queue,
            );
        }
        let t_inv = t + if hold { self.between(SEC, 3 * SEC) } else { 0 };
        let exclude: Vec<usize> = self.legs.iter().map(|l| l.person.idx).collect();
        let invitee = self.world.pick_agent(self.rng, t_inv, &exclude);
        self.conference_event(
            t_inv,
            "engagement_conference_participant_invited",
            &invitee,
            inviter.queue,
            Some(&inviter.person),
        );
        self.zoom_open(t_inv, &inviter);
        self.zoom_event(
            t_inv,
            "engagement_conference_participant_invited",
            Some(("invited_participant", Subject::Agent(&invitee.id))),
            Some(true),
        );
        let task = Task {
            id: hex_id(self.rng, "ZWT"),
            created_ms: t_inv + self.between(10, 80),
            queue: inviter.queue,
        };
        self.task_event(task.created_ms, "task_created", &task, "pending");
        let offer_at = task.created_ms + self.between(10, 120);
        let r = self.offer(offer_at, &task, &invitee);
        let (settled, joined) = match outcome {
            InviteOutcome::Accepted => (
                self.invitation_accepted(&inviter, &invitee, offer_at, r),
                true,
            ),
            other => (
                self.invitation_declined(&inviter, &invitee, &task, offer_at, &r, other),
                false,
            ),
        };
        let invitation_index = self.next(INVITE);
        self.rows
            .push(TruthRow::ConferenceInvitations(InvitationTruth {
                engagement_id: self.engagement_id.clone(),
                account_id: self.world.account_id.clone(),
                invitation_index,
                invited_user_id: invitee.id.clone(),
                invited_by: inviter.person.id.clone(),
                invited_at: iso_ms(t_inv),
                outcome: outcome.name().into(),
                outcome_at: iso_ms(settled),
                source: self.conference_source().into(),
                rule: TRUTH_RULE.into(),
            }));
        let mut end = settled;
        if hold {
            let unhold = settled + self.between(500, 3 * SEC);
            self.leg_event(
                unhold,
                "engagement_user_unhold",
                Some(&inviter.person),
                inviter.queue,
            );
            self.hold_row(&inviter.person.id, t, unhold);
            end = unhold;
        }
        (end, joined)
    }

    /// The invitee accepts and connects; the conference begins, or gains a participant.
    /// Returns when the invitee answered.
    pub(super) fn invitation_accepted(
        &mut self,
        inviter: &Leg,
        invitee: &Person,
        offer_at: i64,
        r: Reservation,
    ) -> i64 {
        let accepted = offer_at + self.between(3 * SEC, 15 * SEC);
        self.reservation_event(accepted, "task_reservation_accepted", &r);
        let answered = accepted + self.between(40, 400);
        self.connect_agent(answered, invitee.clone(), r);
        let joined_at = if self.chance(0.5) {
            answered
        } else {
            answered + self.between(1, 50)
        };
        self.conference_event(
            joined_at,
            "engagement_conference_participant_joined",
            invitee,
            inviter.queue,
            Some(&inviter.person),
        );
        self.join_conference(answered, inviter, invitee);
        if let Some(zc) = &mut self.zoom_conference {
            zc.members.push(Member::Agent(invitee.clone()));
        }
        self.zoom_event(
            joined_at,
            "engagement_conference_participant_joined",
            Some(("joining_participant", Subject::Agent(&invitee.id))),
            Some(true),
        );
        answered
    }

    /// The invitee is now in the conference: it opens with everyone connected (agents, not
    /// supervisors) if none was on.
    pub(super) fn join_conference(&mut self, answered: i64, inviter: &Leg, invitee: &Person) {
        match &mut self.conference {
            Some(conf) => {
                conf.participants.insert(invitee.id.clone());
            }
            None => {
                let index = self.next(CONF);
                let conference_id = self.zoom_conference.as_ref().map(|z| z.id.clone());
                let participants: BTreeSet<String> = self
                    .legs
                    .iter()
                    .filter(|l| !l.supervisor)
                    .map(|l| l.person.id.clone())
                    .collect();
                self.conference = Some(OpenConference {
                    index,
                    started_ms: answered,
                    participants,
                    initiated_by: inviter.person.id.clone(),
                    conference_id,
                    external: BTreeSet::new(),
                });
            }
        }
    }

    /// The invitation is rejected, times out or is canceled (sometimes with the whole
    /// conference); the invitee's task is canceled. Returns when it was settled.
    pub(super) fn invitation_declined(
        &mut self,
        inviter: &Leg,
        invitee: &Person,
        task: &Task,
        offer_at: i64,
        r: &Reservation,
        other: InviteOutcome,
    ) -> i64 {
        let (res_event, conf_event, wait) = match other {
            InviteOutcome::Rejected => (
                "task_reservation_rejected",
                "engagement_conference_participant_rejected",
                self.between(2 * SEC, 10 * SEC),
            ),
            InviteOutcome::Timeout => (
                "task_reservation_timeout",
                "engagement_conference_participant_timeout",
                self.between(20 * SEC, 30 * SEC),
            ),
            _ => (
                "task_reservation_canceled",
                "engagement_conference_participant_canceled",
                self.between(3 * SEC, 12 * SEC),
            ),
        };
        let at = offer_at + wait;
        self.reservation_event(at, res_event, r);
        self.conference_event(
            at,
            conf_event,
            invitee,
            inviter.queue,
            Some(&inviter.person),
        );
        let subject_key = match other {
            InviteOutcome::Rejected => "rejecting_participant",
            InviteOutcome::Timeout => "timed_out_participant",
            _ => "canceled_participant",
        };
        self.zoom_event(
            at,
            conf_event,
            Some((subject_key, Subject::Agent(&invitee.id))),
            Some(true),
        );
        if other == InviteOutcome::Canceled && self.conference.is_none() && self.chance(0.5) {
            let canceled_at = at + self.between(0, 20);
            self.conference_event(
                canceled_at,
                "engagement_conference_canceled",
                &inviter.person,
                inviter.queue,
                None,
            );
            // The whole conference is called off: no roster, and the next invitation
            // opens a new one.
            self.zoom_event(canceled_at, "engagement_conference_canceled", None, None);
            self.zoom_conference = None;
        }
        let canceled_at = at + self.between(10, 100);
        self.task_event(canceled_at, "task_canceled", task, "canceled");
        self.world.release_agent(invitee.idx, at);
        at
    }
}
