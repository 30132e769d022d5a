//! The main pass: each signal in fold order, and what it does to legs and holds.

use super::{ApiCallB, ConfObs, Facts, HoldB, LegB, Link, ResB, fill};
use crate::model::{ConferenceSource, InvitationOutcome, Party, Position, SupervisionMode, Via};
use crate::signal::{Signal, Timed};

impl Facts {
    pub(super) fn on_signal(&mut self, s: &Timed<'_>) {
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
            Signal::WrapUpStarted { user } => {
                self.wrap_ups.push((user.clone(), at, pos));
                self.on_wrap_up_started(at, pos, user);
            }
            Signal::WrapUpEnded { user } => self.on_wrap_up_ended(at, pos, user),
            Signal::Task { step, task } => self.on_task(at, pos, *step, task, &s.attrs),
            Signal::Disposition { user, id, name } => self.on_disposition(at, pos, user, id, name),
            Signal::Note { user, id, text } => self.on_note(at, pos, user, id, text),
            Signal::Hold { user } => self.on_hold(at, pos, user.as_ref()),
            Signal::Unhold { user } => self.on_unhold(at, pos, user.as_ref()),
            Signal::Reservation {
                step,
                reservation,
                task,
                user,
                created_at,
            } => {
                self.routing_step(created_at.unwrap_or(at).min(at), pos);
                let queue = (s.attrs.queue_id, s.attrs.queue_name);
                self.on_reservation(at, pos, *step, reservation, task, user, *created_at, queue);
            }
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
            Signal::MonitorEnded {
                supervisor,
                action_type,
            } => {
                let mode = action_type
                    .as_deref()
                    .map(|a| SupervisionMode::from_action_type(Some(a)));
                self.on_monitor_ended(at, pos, supervisor, mode.as_ref());
            }
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
                    if inv.source == ConferenceSource::Explicit
                        && inv.outcome == InvitationOutcome::Pending
                    {
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

    pub(super) fn on_answered(
        &mut self,
        at: i64,
        pos: Position,
        user: &str,
        name: &Option<String>,
    ) {
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
            inv.source == ConferenceSource::Explicit
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

    pub(super) fn on_user_ended(&mut self, at: i64, pos: Position, user: &str) {
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

    pub(super) fn push_reservation_leg(
        &mut self,
        user: &str,
        r: &ResB,
        end: Option<(i64, Position)>,
    ) {
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

    pub(super) fn on_hold(&mut self, at: i64, pos: Position, user: Option<&String>) {
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

    pub(super) fn on_unhold(&mut self, at: i64, pos: Position, user: Option<&String>) {
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
}
