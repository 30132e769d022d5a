//! Reservations (offers of a task to an agent): what each one is for (routing, a transfer's
//! arrival, a conference invitation) and how it ends.

use super::{Class, Facts, InvB, ResB, fill, fill_str};
use crate::model::{ConferenceSource, InvitationOutcome, OfferOutcome, Position};
use crate::signal::ReservationStep;

impl Facts {
    pub(super) fn classify(
        &mut self,
        task: &Option<String>,
        user: &Option<String>,
        c: i64,
    ) -> Class {
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
                source: ConferenceSource::Inferred,
                start_ev: Vec::new(),
                outcome_ev: Vec::new(),
                hidden: false,
            });
            return Class::Invitation(self.invitations.len() - 1);
        }
        Class::Routing
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_reservation(
        &mut self,
        at: i64,
        pos: Position,
        step: ReservationStep,
        reservation: &Option<String>,
        task: &Option<String>,
        user: &Option<String>,
        created_at: Option<i64>,
        (queue_id, queue_name): (Option<&str>, Option<&str>),
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
                    reservation: reservation.clone(),
                    task: task.clone(),
                    user: user.clone(),
                    queue_id: None,
                    queue_name: None,
                    created_at: c,
                    class,
                    accepted: None,
                    failed_at: None,
                    outcome: None,
                    consumed: false,
                    ev: Vec::new(),
                },
            );
        }
        let r = self.reservations.get_mut(&key).expect("inserted above");
        fill(&mut r.task, task);
        fill(&mut r.user, user);
        fill_str(&mut r.queue_id, queue_id);
        fill_str(&mut r.queue_name, queue_name);
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
        if let Some(o) = outcome
            && r.outcome.is_none()
        {
            r.outcome = Some((offer_outcome(o), at));
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
    pub(super) fn take_reservation(&mut self, user: &str, t: i64) -> Option<ResB> {
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
}

/// An offer's outcome, from the reservation step's reading as an invitation's.
fn offer_outcome(o: InvitationOutcome) -> OfferOutcome {
    match o {
        InvitationOutcome::Accepted => OfferOutcome::Accepted,
        InvitationOutcome::Rejected => OfferOutcome::Rejected,
        InvitationOutcome::Timeout => OfferOutcome::Timeout,
        InvitationOutcome::Canceled => OfferOutcome::Canceled,
        InvitationOutcome::Rescinded => OfferOutcome::Rescinded,
        InvitationOutcome::Pending => OfferOutcome::Pending,
    }
}
