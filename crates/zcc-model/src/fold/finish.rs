//! Closing what the events left open, once every signal is folded: each pass repairs one kind
//! of gap, and [`Facts::finish`] runs them in order (later passes read what earlier ones set).

use super::{CLOCK_SKEW_MS, Facts, LegB, Link, ResB, fill};
use crate::model::{
    ConferenceSource, InvitationOutcome, Party, Position, SupervisionMode, TransferOutcome, Via,
};

/// When and on which evidence something ended.
type Ending = (i64, Vec<Position>);

impl Facts {
    /// The clean-up passes, in order.
    pub(super) fn finish(&mut self) {
        self.adopt_offers_stamped_after_answers();
        self.legs_from_unanswered_acceptances();
        self.customer_leg();
        let customer_left = self.customer_left();
        self.close_agent_legs(customer_left.as_ref());
        self.close_supervision(customer_left.as_ref());
        self.close_holds();
        if self.has_explicit {
            self.settle_explicit_invitations();
        }
        self.accept_transfers_whose_target_connected();
        self.infer_end(customer_left.as_ref());
        self.close_queue_waits(customer_left.as_ref());
    }

    /// An answer stamped a little before its own offer (clocks of different Zoom services):
    /// a leg nothing explained adopts the agent's offer made within the skew after it.
    fn adopt_offers_stamped_after_answers(&mut self) {
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
    }

    /// Accepted reservations never answered become legs, unless the offer failed first or the
    /// agent was already connected then.
    fn legs_from_unanswered_acceptances(&mut self) {
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
    }

    /// The customer's leg: from when they were connected (their answer, else the first agent's
    /// leg, else the start of the call) to the first sign they hung up after it (else the end
    /// of the call). The flow and the queue before it are phases, not the customer's leg.
    fn customer_leg(&mut self) {
        let start = self
            .started
            .as_ref()
            .map(|(t, ev)| (*t, ev.clone()))
            .or_else(|| self.first_event.map(|(t, p)| (t, vec![p])));
        let first_agent = self
            .legs
            .iter()
            .filter(|l| !l.dropped && l.party == Party::Agent)
            .min_by_key(|l| l.joined_at)
            .map(|l| (l.joined_at, l.join_ev.clone()));
        let cust_join = self
            .customer_answered
            .map(|(t, p)| (t, vec![p]))
            .or(first_agent)
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
    }

    /// When the customer left, if their leg has an end.
    fn customer_left(&self) -> Option<Ending> {
        self.customer_leg
            .as_ref()
            .and_then(|c| c.left_at.map(|t| (t, c.leave_ev.clone())))
    }

    /// Agent legs still open close at the first sign that they ended: wrap-up, a transfer
    /// they completed away, a takeover of their call, the customer leaving, the call ending.
    fn close_agent_legs(&mut self, customer_left: Option<&Ending>) {
        for i in 0..self.legs.len() {
            let l = &self.legs[i];
            if l.dropped || l.left_at.is_some() {
                continue;
            }
            let user = l.user.clone().unwrap_or_default();
            let joined = l.joined_at;
            let candidates = self.signs_of_leaving(&user, joined, customer_left);
            if let Some((t, ev)) = candidates.into_iter().min() {
                let l = &mut self.legs[i];
                l.left_at = Some(t);
                l.leave_ev.extend(ev);
            }
        }
    }

    /// Every sign that `user`, connected since `joined`, has left.
    fn signs_of_leaving(
        &self,
        user: &str,
        joined: i64,
        customer_left: Option<&Ending>,
    ) -> Vec<Ending> {
        let mut candidates: Vec<Ending> = Vec::new();
        for (u, t, p) in &self.wrap_ups {
            if *u == user && *t >= joined {
                candidates.push((*t, vec![*p]));
            }
        }
        for t in &self.transfers {
            if t.outcome == TransferOutcome::Completed
                && t.facts.from_user.as_deref() == Some(user)
                && let Some(o) = t.outcome_at
                && o >= joined
            {
                candidates.push((o, t.outcome_ev.clone()));
            }
        }
        for s in &self.supervision {
            if s.mode == SupervisionMode::Takeover
                && s.agent.as_deref() == Some(user)
                && s.started_at >= joined
            {
                candidates.push((s.started_at, s.start_ev.clone()));
            }
        }
        if let Some(c) = customer_left
            && c.0 >= joined
        {
            candidates.push(c.clone());
        }
        if let Some(e) = &self.ended
            && e.0 >= joined
        {
            candidates.push(e.clone());
        }
        candidates
    }

    /// Supervision still open: a takeover ends with the supervisor's leg; monitoring with the
    /// customer leaving, else with the call.
    fn close_supervision(&mut self, customer_left: Option<&Ending>) {
        for i in 0..self.supervision.len() {
            if self.supervision[i].ended_at.is_some() {
                continue;
            }
            let end = match self.supervision[i].leg {
                Some(leg) => self.legs[leg]
                    .left_at
                    .map(|t| (t, self.legs[leg].leave_ev.clone())),
                None => customer_left.cloned().or_else(|| self.ended.clone()),
            };
            if let Some((t, ev)) = end
                && t >= self.supervision[i].started_at
            {
                self.supervision[i].ended_at = Some(t);
                self.supervision[i].end_ev.extend(ev);
            }
        }
    }

    /// Holds still open end with the holder's leg, else with the call.
    fn close_holds(&mut self) {
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
    }

    /// Where explicit events exist they define the invitations: inferred ones are hidden,
    /// and an explicit invitation still pending was accepted if its invitee connected.
    fn settle_explicit_invitations(&mut self) {
        for i in 0..self.invitations.len() {
            let inv = &self.invitations[i];
            if inv.source == ConferenceSource::Inferred {
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

    /// A transfer with no outcome whose target connected was accepted; its target is the
    /// agent who connected.
    fn accept_transfers_whose_target_connected(&mut self) {
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
    }

    /// A queue wait with no exit ends when an offer of its task was accepted, else when the
    /// customer left or the call ended (abandoned in the queue).
    fn close_queue_waits(&mut self, customer_left: Option<&Ending>) {
        let call_end = customer_left.cloned().or_else(|| self.end());
        for i in 0..self.queue_waits.len() {
            let w = &self.queue_waits[i];
            if w.exited_at.is_some() {
                continue;
            }
            let accepted = self
                .reservations
                .values()
                .filter(|r| r.task.as_deref() == Some(w.task.as_str()))
                .filter_map(|r| r.accepted)
                .filter(|(t, _)| *t >= w.entered_at)
                .map(|(t, p)| (t, vec![p]))
                .min_by_key(|e| e.0);
            let end = accepted.or_else(|| call_end.clone().filter(|e| e.0 >= w.entered_at));
            if let Some((t, ev)) = end {
                let w = &mut self.queue_waits[i];
                w.exited_at = Some(t);
                w.ev.extend(ev);
            }
        }
    }

    /// No `engagement_ended`: the call ended when the customer and every agent had left.
    fn infer_end(&mut self, customer_left: Option<&Ending>) {
        if self.ended.is_none()
            && let Some((_, cust_ev)) = customer_left
        {
            let live: Vec<&LegB> = self.legs.iter().filter(|l| !l.dropped).collect();
            if live.iter().all(|l| l.left_at.is_some()) {
                let cust_t = customer_left.map(|c| c.0).unwrap_or(i64::MIN);
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
}
