//! The records of what the call went through besides its legs: the flow and queue phases,
//! the offers to agents, wrap-ups, dispositions and notes, each in its canonical order.

use super::ev;
use crate::fold::Facts;
use crate::model::{
    Disposition, Note, Offer, OfferOutcome, Party, Phase, PhaseKind, Position, WrapUp,
};

/// The flow (from `engagement_started` to the first routing event or connected leg, when
/// that is later), then each queue wait, by start.
pub(super) fn phases(f: &Facts) -> Vec<Phase> {
    let mut phases: Vec<Phase> = Vec::new();
    phases.extend(flow(f));
    phases.extend(f.queue_waits.iter().map(|w| Phase {
        kind: PhaseKind::Queue,
        id: w.queue_id.clone(),
        name: w.queue_name.clone(),
        task_id: Some(w.task.clone()),
        started_at: w.entered_at,
        ended_at: w.exited_at,
        evidence: ev(w.ev.clone()),
    }));
    phases.sort_by(|x, y| {
        (x.started_at, x.kind, &x.task_id, &x.evidence).cmp(&(
            y.started_at,
            y.kind,
            &y.task_id,
            &y.evidence,
        ))
    });
    phases
}

/// The flow phase, when the call was seen starting and something came after it.
fn flow(f: &Facts) -> Option<Phase> {
    let (start, start_ev) = f.started.as_ref()?;
    // Ties go to the first in this order, never to the lower position (that is arrival).
    let first_leg = f
        .legs
        .iter()
        .filter(|l| !l.dropped && l.party == Party::Agent)
        .filter_map(|l| Some((l.joined_at, *l.join_ev.first()?)))
        .min_by_key(|e| e.0);
    let ends: [Option<(i64, Position)>; 3] = [f.routing_began, first_leg, f.customer_answered];
    let (end, end_pos) = ends.into_iter().flatten().min_by_key(|e| e.0)?;
    if end <= *start {
        return None;
    }
    let mut e = start_ev.clone();
    e.push(end_pos);
    Some(Phase {
        kind: PhaseKind::Flow,
        id: f.attrs.flow_id.clone(),
        name: f.attrs.flow_name.clone(),
        task_id: None,
        started_at: *start,
        ended_at: Some(end),
        evidence: ev(e),
    })
}

/// Every reservation, by when it was offered.
pub(super) fn offers(f: &Facts) -> Vec<Offer> {
    let mut offers: Vec<Offer> = f
        .reservations
        .values()
        .map(|r| Offer {
            user_id: r.user.clone(),
            task_id: r.task.clone(),
            reservation_id: r.reservation.clone(),
            queue_id: r.queue_id.clone(),
            queue_name: r.queue_name.clone(),
            via: r.via(),
            offered_at: r.created_at,
            outcome: r.outcome.map_or(OfferOutcome::Pending, |o| o.0),
            outcome_at: r.outcome.map(|o| o.1),
            evidence: ev(r.ev.clone()),
        })
        .collect();
    offers.sort_by(|x, y| {
        (x.offered_at, &x.user_id, &x.evidence).cmp(&(y.offered_at, &y.user_id, &y.evidence))
    });
    offers
}

pub(super) fn wrap_ups(f: &Facts) -> Vec<WrapUp> {
    let mut wrap_ups: Vec<WrapUp> = f
        .wrap_up_spells
        .iter()
        .map(|w| WrapUp {
            user_id: w.user.clone(),
            started_at: w.started_at,
            ended_at: w.ended_at,
            evidence: ev(w.ev.clone()),
        })
        .collect();
    wrap_ups.sort_by(|x, y| {
        (x.started_at, &x.user_id, &x.evidence).cmp(&(y.started_at, &y.user_id, &y.evidence))
    });
    wrap_ups
}

pub(super) fn dispositions(f: &Facts) -> Vec<Disposition> {
    let mut out: Vec<Disposition> = f
        .dispositions
        .iter()
        .cloned()
        .map(|mut d| {
            d.evidence = ev(d.evidence);
            d
        })
        .collect();
    out.sort_by(|x, y| (x.at, &x.user_id, &x.evidence).cmp(&(y.at, &y.user_id, &y.evidence)));
    out
}

pub(super) fn notes(f: &Facts) -> Vec<Note> {
    let mut out: Vec<Note> = f
        .notes
        .iter()
        .cloned()
        .map(|mut n| {
            n.evidence = ev(n.evidence);
            n
        })
        .collect();
    out.sort_by(|x, y| (x.at, &x.user_id, &x.evidence).cmp(&(y.at, &y.user_id, &y.evidence)));
    out
}
