//! The timeline's routing and after-call layers: the flow (IVR) and queue phases in the
//! customer's lane before they were connected, each offer's ringing in the offered agent's
//! lane with its outcome, wrap-up after an agent's leg, and the dispositions and notes agents
//! added, as marks in their lanes.

use std::collections::BTreeMap;

use maud::{Markup, html};
use zcc_model::{CallProjection, OfferOutcome, Party, Phase, PhaseKind, Via};

use super::{BAR_H, Drawing, Lane, W, evidence_link, person, span_text, truncate};
use crate::web::html::{Num, fmt_clock};

/// How wide, in drawing units, a text of `chars` characters at 11px is, bold labels included
/// (at 6.2 a character, a bold disposition near the right edge was cut off).
fn text_width(chars: usize) -> f64 {
    chars as f64 * 7.0 + 8.0
}

/// Where a mark's label of `chars` characters goes: just after the mark at `x`, or just
/// before it when it would run past the drawing's right edge.
fn beside(x: f64, chars: usize) -> (f64, &'static str) {
    if x + 7.0 + text_width(chars) > W {
        (x - 7.0, "end")
    } else {
        (x + 7.0, "start")
    }
}

/// `IVR (flow Main menu)` or `Queue Support`.
pub(super) fn phase_title(ph: &Phase) -> String {
    match ph.kind {
        PhaseKind::Flow => match ph.name.as_deref().or(ph.id.as_deref()) {
            Some(flow) => format!("IVR (flow {flow})"),
            None => "IVR".to_owned(),
        },
        PhaseKind::Queue => match ph.name.as_deref().or(ph.id.as_deref()) {
            Some(queue) => format!("Queue {queue}"),
            None => "Queue".to_owned(),
        },
    }
}

fn phase_word(kind: PhaseKind) -> &'static str {
    match kind {
        PhaseKind::Flow => "flow",
        PhaseKind::Queue => "queue",
    }
}

/// What an offer was for, in words.
fn offer_purpose(via: Via) -> &'static str {
    match via {
        Via::Transfer => "transfer",
        Via::ConferenceInvitation => "conference invitation",
        _ => "routing",
    }
}

/// The offer's outcome as it reads after its span: `rejected`, `timed out`.
fn outcome_words(o: OfferOutcome) -> &'static str {
    match o {
        OfferOutcome::Accepted => "accepted",
        OfferOutcome::Rejected => "rejected",
        OfferOutcome::Timeout => "timed out",
        OfferOutcome::Canceled => "canceled",
        OfferOutcome::Rescinded => "rescinded",
        OfferOutcome::Pending => "no answer seen",
    }
}

impl Drawing<'_> {
    /// The lane a mark of `user` goes in: theirs, else the last agent's, else the customer's.
    fn user_lane(&self, user: Option<&str>) -> Option<usize> {
        self.lane_index(user)
            .filter(|_| user.is_some())
            .or_else(|| self.lanes.iter().rposition(|l| l.party == Party::Agent))
            .or(Some(0))
    }

    /// The flow and queue phases, in the customer's lane: pale segments before the
    /// customer's connected bar (and over it, for a wait in a queue after a transfer), named
    /// inside when the name fits.
    pub(super) fn phases(&self, lane: &Lane<'_>, bar_y: f64) -> Markup {
        if lane.party != Party::Customer {
            return html! {};
        }
        html! {
            @for ph in &self.p.phases {
                @let (a, b) = self.scale.span(ph.started_at, ph.ended_at);
                @let word = phase_word(ph.kind);
                @let label = format!(
                    "{}: {}{}",
                    phase_title(ph),
                    span_text(ph.started_at, ph.ended_at),
                    ph.task_id.as_deref().map(|t| format!(", task {t}")).unwrap_or_default()
                );
                @let short = match ph.kind { PhaseKind::Flow => "IVR", PhaseKind::Queue => "queue" };
                @let named = match ph.kind {
                    PhaseKind::Flow => short.to_owned(),
                    PhaseKind::Queue => ph.name.as_deref().map_or_else(
                        || short.to_owned(), |n| format!("queue: {n}")),
                };
                @let text = if b - a >= text_width(named.chars().count()) {
                    Some(named)
                } else if b - a >= text_width(short.len()) {
                    Some(short.to_owned())
                } else {
                    None
                };
                g class={ "phase phase-" (word) } data-kind=(word) {
                    (evidence_link(&ph.evidence, &label, &html! {
                        title { (label) }
                        rect x=(Num(a)) y=(Num(bar_y + 2.0)) width=(Num(b - a))
                            height=(Num(BAR_H - 4.0)) rx="2" {}
                        @if let Some(text) = text {
                            text class="phase-label" x=(Num((a + b) / 2.0)) y=(Num(bar_y + 14.0))
                                text-anchor="middle" { (text) }
                        }
                    }))
                }
            }
        }
    }

    /// The offers made to this lane's agent: a thin ringing bar from the offer to its
    /// outcome; one that failed is drawn red-edged and says how it ended just after it.
    pub(super) fn offers(&self, lane: &Lane<'_>, bar_y: f64) -> Markup {
        let offers = self
            .p
            .offers
            .iter()
            .filter(|o| lane.user_id.is_some() && o.user_id.as_deref() == lane.user_id);
        html! {
            @for o in offers {
                @let end = o.outcome_at.or_else(|| self.join_after(lane, o.offered_at));
                @let (a, b) = self.scale.span(o.offered_at, end);
                @let outcome = o.outcome.as_str();
                @let label = format!(
                    "Offer to {} ({}{}): rang {}, {}",
                    lane.label(),
                    offer_purpose(o.via),
                    o.queue_name.as_deref().map(|q| format!(", queue {q}")).unwrap_or_default(),
                    span_text(o.offered_at, end),
                    outcome_words(o.outcome)
                );
                @let failed = o.outcome != OfferOutcome::Accepted;
                g class="offer" data-outcome=(outcome) {
                    (evidence_link(&o.evidence, &label, &html! {
                        title { (label) }
                        rect class={ "ring outcome-" (outcome) } x=(Num(a)) y=(Num(bar_y + 5.0))
                            width=(Num(b - a)) height=(Num(BAR_H - 10.0)) rx="2" {}
                        @if failed {
                            text class="offer-outcome" x=(Num(b + 3.0)) y=(Num(bar_y + 14.0)) {
                                "✕ " (outcome_words(o.outcome))
                            }
                        }
                    }))
                }
            }
        }
    }

    /// When the lane's agent connected after `t`, for an offer whose outcome was not seen.
    fn join_after(&self, lane: &Lane<'_>, t: i64) -> Option<i64> {
        self.p
            .legs
            .iter()
            .filter(|l| lane.shows(l) && l.joined_at >= t)
            .map(|l| l.joined_at)
            .min()
    }

    /// The lane's agent's wrap-ups: a pale, dashed-edged segment after the leg.
    pub(super) fn wrap_ups(&self, lane: &Lane<'_>, bar_y: f64) -> Markup {
        let spells = self
            .p
            .wrap_ups
            .iter()
            .filter(|w| Some(w.user_id.as_str()) == lane.user_id);
        html! {
            @for w in spells {
                @let (a, b) = self.scale.span(w.started_at, w.ended_at);
                @let label = format!(
                    "Wrap-up by {}: {}",
                    lane.label(),
                    span_text(w.started_at, w.ended_at)
                );
                g class="wrap-up" {
                    (evidence_link(&w.evidence, &label, &html! {
                        title { (label) }
                        rect x=(Num(a)) y=(Num(bar_y + 3.0)) width=(Num(b - a))
                            height=(Num(BAR_H - 6.0)) rx="2" {}
                        @if b - a >= text_width(7) {
                            text class="wrap-up-label" x=(Num((a + b) / 2.0)) y=(Num(bar_y + 14.0))
                                text-anchor="middle" { "wrap-up" }
                        }
                    }))
                }
            }
        }
    }

    /// Dispositions (a diamond above the bar, with the disposition's name) and notes (a small
    /// page below it) of the agent whose lane this is; those naming no agent with a lane go in
    /// the last agent's lane.
    pub(super) fn annotations(&self, i: usize, bar_y: f64) -> Markup {
        let here = |user: Option<&str>| self.user_lane(user) == Some(i);
        html! {
            @for d in self.p.dispositions.iter().filter(|d| here(d.user_id.as_deref())) {
                @let x = self.scale.x(d.at);
                @let name = d.disposition_name.as_deref().or(d.disposition_id.as_deref())
                    .unwrap_or("unnamed");
                @let label = format!(
                    "Disposition “{name}” at {}{}",
                    fmt_clock(d.at),
                    d.user_id.as_deref().map(|u| format!(" by {}", self.person(u)))
                        .unwrap_or_default()
                );
                @let y = bar_y - 8.0;
                @let shown = truncate(name, 24);
                @let (tx, anchor) = beside(x, shown.chars().count());
                g class="disposition" {
                    (evidence_link(&d.evidence, &label, &html! {
                        title { (label) }
                        path d=(format!("M{x:.1} {:.1} l5 5 l-5 5 l-5 -5 z", y - 5.0)) {}
                        text class="disposition-label" x=(Num(tx)) y=(Num(y + 4.0))
                            text-anchor=(anchor) { (shown) }
                    }))
                }
            }
            @for n in self.p.notes.iter().filter(|n| here(n.user_id.as_deref())) {
                @let x = self.scale.x(n.at);
                @let label = format!(
                    "Note at {}{}: {}",
                    fmt_clock(n.at),
                    n.user_id.as_deref().map(|u| format!(" by {}", self.person(u)))
                        .unwrap_or_default(),
                    n.text.as_deref().unwrap_or("(no text)")
                );
                @let y = bar_y + BAR_H + 2.0;
                @let (tx, anchor) = beside(x, 4);
                g class="note" {
                    (evidence_link(&n.evidence, &label, &html! {
                        title { (label) }
                        rect x=(Num(x - 4.0)) y=(Num(y)) width="8" height="9" rx="1" {}
                        text class="note-label" x=(Num(tx)) y=(Num(y + 8.0))
                            text-anchor=(anchor) { "note" }
                    }))
                }
            }
        }
    }
}

/// The routing and after-call marks as sentences, for the text version.
pub(super) fn sentences(p: &CallProjection, names: &BTreeMap<&str, &str>) -> Vec<(i64, String)> {
    let who =
        |u: Option<&str>| u.map_or_else(|| "an unknown agent".to_owned(), |u| person(names, u));
    let mut items: Vec<(i64, String)> = Vec::new();
    for ph in &p.phases {
        items.push((
            ph.started_at,
            format!(
                "{}: {}.",
                phase_title(ph),
                span_text(ph.started_at, ph.ended_at)
            ),
        ));
    }
    for o in &p.offers {
        items.push((
            o.offered_at,
            format!(
                "Offer to {} ({}): rang {}, {}.",
                who(o.user_id.as_deref()),
                offer_purpose(o.via),
                span_text(o.offered_at, o.outcome_at),
                outcome_words(o.outcome)
            ),
        ));
    }
    for w in &p.wrap_ups {
        items.push((
            w.started_at,
            format!(
                "Wrap-up by {}: {}.",
                who(Some(w.user_id.as_str())),
                span_text(w.started_at, w.ended_at)
            ),
        ));
    }
    for d in &p.dispositions {
        items.push((
            d.at,
            format!(
                "Disposition “{}” at {} by {}.",
                d.disposition_name
                    .as_deref()
                    .or(d.disposition_id.as_deref())
                    .unwrap_or("unnamed"),
                fmt_clock(d.at),
                who(d.user_id.as_deref())
            ),
        ));
    }
    for n in &p.notes {
        items.push((
            n.at,
            format!(
                "Note at {} by {}: {}",
                fmt_clock(n.at),
                who(n.user_id.as_deref()),
                n.text.as_deref().unwrap_or("(no text)")
            ),
        ));
    }
    items
}
