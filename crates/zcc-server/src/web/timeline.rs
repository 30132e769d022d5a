//! The call timeline, drawn as inline SVG from a [`CallProjection`] (a pure function: no IO).
//!
//! Layout, top to bottom: the time axis (UTC clock ticks), a strip for conference labels, then
//! one lane per party: the customer first, then each agent in order of arrival (an agent who
//! was offered the call and never connected included), then each supervisor. In the
//! customer's lane the flow (IVR) and queue phases come before the bar of the customer's
//! connection. In a lane, legs are bars, offers are thin ringing bars ending in their outcome,
//! wrap-up follows the leg, holds are hatched over the bar, supervision sessions are coloured
//! segments labelled with their mode, dispositions and notes are marks at their time.
//! Conferences are bands across every lane; transfers are arrows from the transferring agent's
//! lane to the target's. Every mark has an
//! SVG `<title>` and is a link to the first raw event behind it (`#pos-N` on the page), and a
//! text version of the whole timeline follows the picture.
//!
//! The drawing is in a fixed 1000-unit-wide `viewBox`, so it scales to any width; the CSS keeps
//! a minimum width on small screens and lets it scroll sideways rather than shrink unreadably.

use std::collections::BTreeMap;

use maud::{Markup, html};
use zcc_model::{
    CallProjection, Conference, ConferenceSource, Leg, Party, Position, SupervisionMode, Transfer,
    Via,
};

use super::html::{Num, fmt_clock, fmt_duration, fmt_time};

mod phases;

const W: f64 = 1000.0;
const GUTTER: f64 = 190.0;
const RIGHT: f64 = 24.0;
const AXIS_H: f64 = 28.0;
const BAND_LABEL_H: f64 = 22.0;
const LANE_H: f64 = 54.0;
const BAR_TOP: f64 = 22.0;
const BAR_H: f64 = 20.0;
const LABEL_CHARS: usize = 22;

/// One lane of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane<'a> {
    pub party: Party,
    /// `None` for the customer.
    pub user_id: Option<&'a str>,
    pub name: Option<&'a str>,
}

impl Lane<'_> {
    /// The lane's heading: the display name, else the user id, else "Customer".
    pub fn label(&self) -> &str {
        self.name.or(self.user_id).unwrap_or("Customer")
    }

    /// Whether `leg` is drawn in this lane: the customer's legs in the customer's, anyone
    /// else's in the lane of its user.
    pub fn shows(&self, leg: &Leg) -> bool {
        match self.party {
            Party::Customer => leg.party == Party::Customer,
            _ => leg.party != Party::Customer && leg.user_id.as_deref() == self.user_id,
        }
    }
}

/// A person for text: `Alice Smith (u123)`, or the id alone when no name is known.
pub fn person(names: &BTreeMap<&str, &str>, user_id: &str) -> String {
    match names.get(user_id) {
        Some(name) if *name != user_id => format!("{name} ({user_id})"),
        _ => user_id.to_owned(),
    }
}

/// The lanes: the customer, then agents in order of arrival, then supervisors (anyone who held
/// a supervision session, a takeover supervisor included) in order of arrival.
pub fn lanes(p: &CallProjection) -> Vec<Lane<'_>> {
    let names = p.user_names();
    let supervisors: Vec<&str> = p
        .supervision
        .iter()
        .map(|s| s.supervisor.as_str())
        .collect();
    // (first time seen, user) for everyone with a leg, a hold or a session.
    let mut seen: BTreeMap<&str, i64> = BTreeMap::new();
    for leg in p.legs.iter().filter(|l| l.party != Party::Customer) {
        if let Some(id) = leg.user_id.as_deref() {
            let e = seen.entry(id).or_insert(leg.joined_at);
            *e = (*e).min(leg.joined_at);
        }
    }
    for s in &p.supervision {
        let e = seen.entry(s.supervisor.as_str()).or_insert(s.started_at);
        *e = (*e).min(s.started_at);
    }
    for h in &p.holds {
        if let Some(id) = h.user_id.as_deref() {
            seen.entry(id).or_insert(h.started_at);
        }
    }
    // Agents offered the call (who may never have connected) and agents in wrap-up.
    let offered = p
        .offers
        .iter()
        .filter_map(|o| Some((o.user_id.as_deref()?, o.offered_at)));
    let wrapping = p
        .wrap_ups
        .iter()
        .map(|w| (w.user_id.as_str(), w.started_at));
    for (id, at) in offered.chain(wrapping) {
        let e = seen.entry(id).or_insert(at);
        *e = (*e).min(at);
    }
    let mut people: Vec<(&str, i64)> = seen.into_iter().collect();
    people.sort_by_key(|&(id, at)| (at, id));
    let customer_name = p.engagement.customer_name.as_deref().or_else(|| {
        p.legs
            .iter()
            .find(|l| l.party == Party::Customer)
            .and_then(|l| l.display_name.as_deref())
    });
    let mut lanes = vec![Lane {
        party: Party::Customer,
        user_id: None,
        name: customer_name,
    }];
    for want in [Party::Agent, Party::Supervisor] {
        for &(id, _) in &people {
            let party = if supervisors.contains(&id) {
                Party::Supervisor
            } else {
                Party::Agent
            };
            if party == want {
                lanes.push(Lane {
                    party,
                    user_id: Some(id),
                    name: names.get(id).copied(),
                });
            }
        }
    }
    lanes
}

fn party_word(p: Party) -> &'static str {
    match p {
        Party::Customer => "customer",
        Party::Agent => "agent",
        Party::Supervisor => "supervisor",
    }
}

fn via_word(v: Via) -> &'static str {
    match v {
        Via::Routing => "routing",
        Via::Transfer => "transfer",
        Via::ConferenceInvitation => "conference-invitation",
        Via::Takeover => "takeover",
        Via::Monitor => "monitor",
        Via::Customer => "customer",
        Via::Unknown => "unknown",
    }
}

/// A CSS class word for a supervision mode (unknown modes share one class; the label keeps
/// the verbatim word).
fn mode_class(m: &SupervisionMode) -> &'static str {
    match m {
        SupervisionMode::Listen => "listen",
        SupervisionMode::Whisper => "whisper",
        SupervisionMode::Barge => "barge",
        SupervisionMode::Takeover => "takeover",
        SupervisionMode::Other(_) => "other",
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// `14:00:25 – 14:02:10 (1 min 45 s)`, or `from 14:00:25, still open`.
fn span_text(from: i64, to: Option<i64>) -> String {
    match to {
        Some(to) => format!(
            "{} – {} ({})",
            fmt_clock(from),
            fmt_clock(to),
            fmt_duration(to.saturating_sub(from))
        ),
        None => format!("from {}, still open", fmt_clock(from)),
    }
}

/// The time scale: event time to x.
struct Scale {
    lo: i64,
    hi: i64,
}

impl Scale {
    fn of(p: &CallProjection) -> Option<Scale> {
        // Every span the drawing shows (start, end if known), then every instant.
        let spans = p
            .legs
            .iter()
            .map(|l| (l.joined_at, l.left_at))
            .chain(p.holds.iter().map(|h| (h.started_at, h.ended_at)))
            .chain(p.transfers.iter().map(|t| (t.started_at, t.outcome_at)))
            .chain(p.conferences.iter().map(|c| (c.started_at, c.ended_at)))
            .chain(p.supervision.iter().map(|s| (s.started_at, s.ended_at)))
            .chain(p.phases.iter().map(|ph| (ph.started_at, ph.ended_at)))
            .chain(p.offers.iter().map(|o| (o.offered_at, o.outcome_at)))
            .chain(p.wrap_ups.iter().map(|w| (w.started_at, w.ended_at)));
        let instants = p
            .derived_events
            .iter()
            .map(|d| d.at)
            .chain(p.dispositions.iter().map(|d| d.at))
            .chain(p.notes.iter().map(|n| n.at));
        let times: Vec<i64> = p
            .engagement
            .started_at
            .into_iter()
            .chain(p.engagement.ended_at)
            .chain(spans.flat_map(|(start, end)| std::iter::once(start).chain(end)))
            .chain(instants)
            .collect();
        let lo = *times.iter().min()?;
        let hi = (*times.iter().max()?).max(lo.saturating_add(1_000));
        // A call a second long at the very end of time still has a width.
        let lo = lo.min(hi - 1);
        Some(Scale { lo, hi })
    }

    /// The drawing's span in milliseconds (always at least 1; i128, as `hi - lo` may not
    /// fit in an i64 for a projection holding far-apart times).
    fn span_ms(&self) -> i128 {
        (i128::from(self.hi) - i128::from(self.lo)).max(1)
    }

    fn x(&self, t: i64) -> f64 {
        let frac = (i128::from(t) - i128::from(self.lo)) as f64 / self.span_ms() as f64;
        GUTTER + frac.clamp(0.0, 1.0) * (W - GUTTER - RIGHT)
    }

    /// An interval's ends in x; an open interval runs to the end of the drawing.
    fn span(&self, from: i64, to: Option<i64>) -> (f64, f64) {
        let a = self.x(from);
        let b = self.x(to.unwrap_or(self.hi));
        (a, b.max(a + 2.0))
    }

    /// Tick times: a round step giving at most 8 ticks (never more, whatever the times).
    fn ticks(&self) -> (i64, Vec<i64>) {
        const STEPS: [i64; 21] = [
            100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
            600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000,
            86_400_000,
        ];
        const MAX_TICKS: usize = 8;
        const DAY: i128 = 86_400_000;
        let span = self.span_ms();
        let step = STEPS
            .iter()
            .copied()
            .find(|s| span / i128::from(*s) <= MAX_TICKS as i128)
            .map(i128::from)
            .unwrap_or(DAY * ((span / DAY / MAX_TICKS as i128) + 1));
        let (lo, hi) = (i128::from(self.lo), i128::from(self.hi));
        let first = lo.div_euclid(step) * step + if lo.rem_euclid(step) == 0 { 0 } else { step };
        let ticks = (0..=MAX_TICKS as i128)
            .map(|k| first + k * step)
            .take_while(|t| *t <= hi)
            .filter_map(|t| i64::try_from(t).ok())
            .take(MAX_TICKS + 1)
            .collect();
        (i64::try_from(step).unwrap_or(i64::MAX), ticks)
    }
}

fn tick_label(t: i64, step: i64) -> String {
    if step < 1_000 {
        let full = super::html::fmt_time(t);
        match full.get(11..) {
            Some(clock) => clock.to_owned(),
            None => full,
        }
    } else {
        fmt_clock(t)
    }
}

/// A mark of the picture as a link to the first raw event behind it (`#pos-N`), named for
/// screen readers by `label`.
fn evidence_link(evidence: &[Position], label: &str, mark: &Markup) -> Markup {
    html! {
        a href=[evidence.first().map(|pos| format!("#pos-{pos}"))] aria-label=(label) { (mark) }
    }
}

/// `1 agent`, `2 agents`.
fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The timeline figure as HTML: the SVG, a legend, and the same facts as text.
pub fn render(p: &CallProjection) -> String {
    figure(p).into_string()
}

/// The timeline figure: the SVG, a legend, and the same facts as text.
pub fn figure(p: &CallProjection) -> Markup {
    let Some(drawing) = Drawing::of(p) else {
        return html! { p class="empty" { "This call has no timed events to draw." } };
    };
    html! {
        figure class="timeline-figure" {
            div class="timeline-scroll" { (drawing.svg()) }
            figcaption { (legend()) }
            details class="timeline-text" {
                summary { "The timeline as text" }
                (text_version(p, &drawing.lanes, &drawing.names))
            }
        }
    }
}

/// Everything the picture's layers share: the projection, who is who, the lanes top to
/// bottom, and the time scale.
struct Drawing<'a> {
    p: &'a CallProjection,
    names: BTreeMap<&'a str, &'a str>,
    lanes: Vec<Lane<'a>>,
    scale: Scale,
}

/// Where the first lane starts: under the time axis and the conference labels' strip.
const LANES_TOP: f64 = AXIS_H + BAND_LABEL_H;

impl<'a> Drawing<'a> {
    /// `None` when the projection holds no time at all.
    fn of(p: &'a CallProjection) -> Option<Drawing<'a>> {
        Some(Drawing {
            p,
            names: p.user_names(),
            lanes: lanes(p),
            scale: Scale::of(p)?,
        })
    }

    fn lane_y(&self, i: usize) -> f64 {
        LANES_TOP + LANE_H * i as f64
    }

    /// The middle of lane `i`'s bars.
    fn bar_middle(&self, i: usize) -> f64 {
        self.lane_y(i) + BAR_TOP + BAR_H / 2.0
    }

    /// The bottom of the last lane.
    fn bottom(&self) -> f64 {
        self.lane_y(self.lanes.len())
    }

    fn lane_index(&self, user: Option<&str>) -> Option<usize> {
        self.lanes.iter().position(|l| l.user_id == user)
    }

    fn person(&self, user_id: &str) -> String {
        person(&self.names, user_id)
    }

    /// The SVG, layer over layer: lane backgrounds, the axis and its grid, conference bands,
    /// the lanes' marks, and the transfer arrows last so they stay visible.
    fn svg(&self) -> Markup {
        let height = self.bottom() + 8.0;
        html! {
            svg class="timeline" xmlns="http://www.w3.org/2000/svg"
                viewBox={ "0 0 " (W) " " (height) }
                preserveAspectRatio="xMinYMin meet" aria-labelledby="tl-title tl-desc" {
                title id="tl-title" { "Timeline of call " (self.p.engagement.engagement_id) }
                desc id="tl-desc" { (self.description()) }
                (defs())
                (self.lane_backgrounds())
                (self.axis())
                @for c in &self.p.conferences {
                    (self.conference_band(c))
                }
                @for (i, lane) in self.lanes.iter().enumerate() {
                    (self.lane(i, lane))
                }
                @for t in &self.p.transfers {
                    (self.transfer_arrow(t))
                }
            }
        }
    }

    /// The picture in one sentence: its span and how many of each mark it holds.
    fn description(&self) -> String {
        let p = self.p;
        let agents = self
            .lanes
            .iter()
            .filter(|l| l.party == Party::Agent)
            .count();
        let supervisors = self
            .lanes
            .iter()
            .filter(|l| l.party == Party::Supervisor)
            .count();
        format!(
            "{} to {}: the customer, {}, {}; {}, {}, {}, {}, {}, {}, {}, {}, {}.",
            fmt_time(self.scale.lo),
            fmt_time(self.scale.hi),
            plural(agents, "agent"),
            plural(supervisors, "supervisor"),
            plural(p.phases.len(), "flow or queue phase"),
            plural(p.offers.len(), "offer"),
            plural(p.conferences.len(), "conference"),
            plural(p.holds.len(), "hold"),
            plural(p.transfers.len(), "transfer"),
            plural(p.supervision.len(), "supervision session"),
            plural(p.wrap_ups.len(), "wrap-up"),
            plural(p.dispositions.len(), "disposition"),
            plural(p.notes.len(), "note"),
        )
    }

    /// Alternating lane backgrounds, under everything else.
    fn lane_backgrounds(&self) -> Markup {
        html! {
            @for i in 0..self.lanes.len() {
                rect class={ "lane-bg" @if i % 2 == 1 { " odd" } } x="0" y=(self.lane_y(i))
                    width=(W) height=(LANE_H) {}
            }
        }
    }

    /// The clock ticks along the top, each with a dotted grid line down through the lanes.
    fn axis(&self) -> Markup {
        let (step, ticks) = self.scale.ticks();
        html! {
            g class="axis" {
                text class="axis-title" x="8" y="18" { "time (UTC)" }
                @for t in ticks {
                    @let x = Num(self.scale.x(t));
                    line class="grid" x1=(x) y1=(AXIS_H - 6.0) x2=(x) y2=(self.bottom()) {}
                    text class="tick" x=(x) y="18" text-anchor="middle" { (tick_label(t, step)) }
                }
            }
        }
    }

    /// A conference: a band over every lane from its start to its end, titled in the strip
    /// above the first lane.
    fn conference_band(&self, c: &Conference) -> Markup {
        let (a, b) = self.scale.span(c.started_at, c.ended_at);
        let source = match c.source {
            ConferenceSource::Explicit => "explicit",
            ConferenceSource::Inferred => "inferred",
        };
        let who: Vec<String> = c.participants.iter().map(|u| self.person(u)).collect();
        let label = format!(
            "Conference {} ({source}): {}, participants {}{}",
            c.conference_index,
            span_text(c.started_at, c.ended_at),
            who.join(", "),
            conference_extras(c)
        );
        html! {
            g class="conference" data-index=(c.conference_index) data-source=(source) {
                (evidence_link(&c.evidence, &label, &html! {
                    title { (label) }
                    rect class="conference-band" x=(Num(a)) y=(AXIS_H) width=(Num(b - a))
                        height=(Num(self.bottom() - AXIS_H)) {}
                    text class="band-label" x=(Num(a + 4.0)) y=(AXIS_H + 15.0) {
                        "Conference " (c.conference_index)
                    }
                }))
            }
        }
    }

    /// Lane `i`: its heading, then the party's offers and legs, (for the customer) the flow and
    /// queue phases over the bar (a queue wait after a transfer falls inside the customer's
    /// connection), wrap-ups, supervision sessions and holds, and the dispositions and notes.
    fn lane(&self, i: usize, lane: &Lane<'_>) -> Markup {
        let y = self.lane_y(i);
        let party = party_word(lane.party);
        let title = match lane.user_id {
            Some(id) => format!("{} {}", capitalise(party), self.person(id)),
            None => format!("Customer {}", lane.name.unwrap_or(""))
                .trim_end()
                .to_owned(),
        };
        let subtitle = match lane.user_id {
            Some(id) if lane.name.is_some() => format!("{party} · {id}"),
            _ => party.to_owned(),
        };
        let bar_y = y + BAR_TOP;
        html! {
            g class="lane" data-party=(party) data-user=[lane.user_id] {
                title { (title) }
                text class="lane-name" x="8" y=(Num(y + 22.0)) {
                    (truncate(lane.label(), LABEL_CHARS))
                }
                text class="lane-party" x="8" y=(Num(y + 38.0)) {
                    (truncate(&subtitle, LABEL_CHARS + 4))
                }
                (self.offers(lane, bar_y))
                (self.legs(lane, bar_y))
                (self.phases(lane, bar_y))
                (self.wrap_ups(lane, bar_y))
                (self.supervision(lane, bar_y))
                (self.holds(i, lane, bar_y))
                (self.annotations(i, bar_y))
            }
        }
    }

    /// The lane's legs as bars; a leg still open has a dashed edge and runs to the right end.
    fn legs(&self, lane: &Lane<'_>, bar_y: f64) -> Markup {
        html! {
            @for leg in self.p.legs.iter().filter(|l| lane.shows(l)) {
                @let (a, b) = self.scale.span(leg.joined_at, leg.left_at);
                @let label = format!(
                    "{} leg of {}: {}, via {}",
                    capitalise(party_word(leg.party)),
                    lane.label(),
                    span_text(leg.joined_at, leg.left_at),
                    via_word(leg.via).replace('-', " ")
                );
                (evidence_link(&leg.evidence, &label, &html! {
                    rect class={
                        "leg party-" (party_word(leg.party)) " via-" (via_word(leg.via))
                        @if leg.left_at.is_none() { " open" }
                    } x=(Num(a)) y=(Num(bar_y)) width=(Num(b - a)) height=(BAR_H) rx="3" {
                        title { (label) }
                    }
                }))
            }
        }
    }

    /// The lane's supervision sessions, coloured by mode and labelled with it (inside the
    /// segment when it fits, else just after).
    fn supervision(&self, lane: &Lane<'_>, bar_y: f64) -> Markup {
        let sessions = self
            .p
            .supervision
            .iter()
            .filter(|x| Some(x.supervisor.as_str()) == lane.user_id);
        html! {
            @for sup in sessions {
                @let (a, b) = self.scale.span(sup.started_at, sup.ended_at);
                @let mode = sup.mode.as_str();
                @let label = format!(
                    "Supervision ({mode}) by {}{}: {}",
                    lane.label(),
                    sup.agent
                        .as_deref()
                        .map(|u| format!(" of {}", self.person(u)))
                        .unwrap_or_default(),
                    span_text(sup.started_at, sup.ended_at)
                );
                @let fits = (b - a) >= mode.chars().count() as f64 * 6.8 + 8.0;
                @let (tx, anchor, class) = if fits {
                    ((a + b) / 2.0, "middle", "mode-label inside")
                } else {
                    (b + 3.0, "start", "mode-label")
                };
                g class={ "supervision mode-" (mode_class(&sup.mode)) } data-mode=(mode) {
                    (evidence_link(&sup.evidence, &label, &html! {
                        title { (label) }
                        rect x=(Num(a)) y=(Num(bar_y + 2.0)) width=(Num(b - a))
                            height=(Num(BAR_H - 4.0)) rx="2" {}
                        text class=(class) x=(Num(tx)) y=(Num(bar_y + 14.0))
                            text-anchor=(anchor) { (mode) }
                    }))
                }
            }
        }
    }

    /// The holds drawn in lane `i`, hatched over the bar, labelled when wide enough.
    fn holds(&self, i: usize, lane: &Lane<'_>, bar_y: f64) -> Markup {
        let holds = self
            .p
            .holds
            .iter()
            .filter(|h| hold_lane(self.p, &self.lanes, h) == Some(i));
        html! {
            @for hold in holds {
                @let (a, b) = self.scale.span(hold.started_at, hold.ended_at);
                @let label = format!(
                    "Hold by {}: {}",
                    lane.label(),
                    span_text(hold.started_at, hold.ended_at)
                );
                g class="hold" {
                    (evidence_link(&hold.evidence, &label, &html! {
                        title { (label) }
                        rect x=(Num(a)) y=(Num(bar_y - 3.0)) width=(Num(b - a))
                            height=(Num(BAR_H + 6.0))
                            fill="url(#hold-hatch)" {}
                        @if b - a >= 34.0 {
                            text class="hold-label" x=(Num((a + b) / 2.0)) y=(Num(bar_y - 6.0))
                                text-anchor="middle" { "hold" }
                        }
                    }))
                }
            }
        }
    }

    /// A transfer: a red arrow at the moment it started, from the transferring agent's lane
    /// to the target agent's; a short labelled arrow when the target has no lane (a queue, a
    /// number, a flow).
    fn transfer_arrow(&self, t: &Transfer) -> Markup {
        let x = self.scale.x(t.started_at);
        let from = self.lane_index(t.from_user.as_deref());
        let target_user = t.to_user.as_deref().or_else(|| {
            self.p
                .legs
                .iter()
                .find(|l| {
                    l.via == Via::Transfer && l.task_id.is_some() && l.task_id == t.target_task_id
                })
                .and_then(|l| l.user_id.as_deref())
        });
        let to = self.lane_index(target_user);
        let target = target_user
            .map(|u| self.person(u))
            .or_else(|| t.to_queue_name.clone().map(|q| format!("queue {q}")))
            .or_else(|| t.to_queue_id.clone().map(|q| format!("queue {q}")))
            .or_else(|| t.to_number.clone())
            .unwrap_or_else(|| "an unknown target".to_owned());
        let outcome = format!("{:?}", t.outcome).to_lowercase();
        let label = format!(
            "Transfer at {} from {} to {target}: {outcome}",
            fmt_clock(t.started_at),
            t.from_user
                .as_deref()
                .map(|u| self.person(u))
                .unwrap_or_else(|| "an unknown agent".to_owned()),
        );
        let y1 = self.bar_middle(from.unwrap_or(0));
        // To the edge of the target's bar, or a short way down when there is no other lane.
        let (y2, note) = match to {
            Some(j) if Some(j) != from => {
                let to_y = self.bar_middle(j);
                (if to_y > y1 { to_y - 11.0 } else { to_y + 11.0 }, None)
            }
            _ => (y1 + LANE_H * 0.55, Some(truncate(&target, 28))),
        };
        html! {
            g class="transfer" data-outcome=(outcome) {
                (evidence_link(&t.evidence, &label, &html! {
                    title { (label) }
                    line x1=(Num(x)) y1=(Num(y1)) x2=(Num(x)) y2=(Num(y2))
                        marker-end="url(#arrow)" {}
                    @if let Some(note) = note {
                        text class="transfer-label" x=(Num(x + 4.0)) y=(Num(y2)) { "→ " (note) }
                    }
                }))
            }
        }
    }
}

/// The hatching of holds and the transfer arrows' head.
fn defs() -> Markup {
    html! {
        defs {
            pattern id="hold-hatch" width="6" height="6" patternUnits="userSpaceOnUse"
                patternTransform="rotate(45)" {
                rect width="6" height="6" class="hold-bg" {}
                line x1="0" y1="0" x2="0" y2="6" class="hold-line" {}
            }
            marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
                markerHeight="7" orient="auto-start-reverse" {
                path d="M0,0 L10,5 L0,10 z" class="arrow-head" {}
            }
        }
    }
}

/// What each colour and mark means.
fn legend() -> Markup {
    const SWATCHES: [(&str, &str); 17] = [
        ("flow", "IVR (flow)"),
        ("queue", "waiting in a queue"),
        ("ring", "offer ringing"),
        ("missed", "offer rejected, timed out or canceled"),
        ("customer", "customer connected"),
        ("agent", "agent leg"),
        ("supervisor", "supervisor leg"),
        ("hold", "hold"),
        ("conference", "conference"),
        ("transfer", "transfer (arrow to the target)"),
        ("listen", "listen"),
        ("whisper", "whisper"),
        ("barge", "barge"),
        ("takeover", "takeover"),
        ("wrap-up", "wrap-up"),
        ("disposition", "disposition"),
        ("note", "note"),
    ];
    html! {
        ul class="legend" aria-label="Legend" {
            @for (swatch, meaning) in SWATCHES {
                li { span class={ "swatch sw-" (swatch) } {} (meaning) }
            }
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The lane a hold is drawn in: its agent's, else the lane of the agent connected when it
/// started, else the first agent's.
fn hold_lane(p: &CallProjection, lanes: &[Lane<'_>], h: &zcc_model::Hold) -> Option<usize> {
    if let Some(u) = h.user_id.as_deref() {
        return lanes.iter().position(|l| l.user_id == Some(u));
    }
    let connected = p.legs.iter().find(|l| {
        l.party == Party::Agent
            && l.joined_at <= h.started_at
            && l.left_at.is_none_or(|e| e >= h.started_at)
    });
    connected
        .and_then(|l| lanes.iter().position(|x| x.user_id == l.user_id.as_deref()))
        .or_else(|| lanes.iter().position(|l| l.party == Party::Agent))
}

/// Every mark of the picture as a sentence, for screen readers and for copying.
fn text_version(p: &CallProjection, lanes: &[Lane<'_>], names: &BTreeMap<&str, &str>) -> Markup {
    let mut items: Vec<(i64, String)> = Vec::new();
    for lane in lanes {
        for leg in p.legs.iter().filter(|l| lane.shows(l)) {
            items.push((
                leg.joined_at,
                format!(
                    "{} {}: on the call {}, via {}.",
                    capitalise(party_word(leg.party)),
                    lane.user_id
                        .map(|u| person(names, u))
                        .unwrap_or_else(|| lane.label().to_owned()),
                    span_text(leg.joined_at, leg.left_at),
                    via_word(leg.via).replace('-', " ")
                ),
            ));
        }
    }
    for h in &p.holds {
        items.push((
            h.started_at,
            format!(
                "Hold by {}: {}.",
                h.user_id
                    .as_deref()
                    .map(|u| person(names, u))
                    .unwrap_or_else(|| "the connected agent".to_owned()),
                span_text(h.started_at, h.ended_at)
            ),
        ));
    }
    for c in &p.conferences {
        let who: Vec<String> = c.participants.iter().map(|u| person(names, u)).collect();
        items.push((
            c.started_at,
            format!(
                "Conference {}: {}, participants {}{}.",
                c.conference_index,
                span_text(c.started_at, c.ended_at),
                who.join(", "),
                conference_extras(c)
            ),
        ));
    }
    for t in &p.transfers {
        items.push((
            t.started_at,
            format!(
                "Transfer at {} from {} to {}: {}.",
                fmt_clock(t.started_at),
                t.from_user
                    .as_deref()
                    .map(|u| person(names, u))
                    .unwrap_or_else(|| "an unknown agent".to_owned()),
                t.to_user
                    .as_deref()
                    .map(|u| person(names, u))
                    .or_else(|| t.to_queue_name.clone().map(|q| format!("queue {q}")))
                    .or_else(|| t.to_queue_id.clone().map(|q| format!("queue {q}")))
                    .unwrap_or_else(|| "an unknown target".to_owned()),
                format!("{:?}", t.outcome).to_lowercase()
            ),
        ));
    }
    for sup in &p.supervision {
        items.push((
            sup.started_at,
            format!(
                "Supervision ({}) by {}{}: {}.",
                sup.mode.as_str(),
                person(names, &sup.supervisor),
                sup.agent
                    .as_deref()
                    .map(|u| format!(" of {}", person(names, u)))
                    .unwrap_or_default(),
                span_text(sup.started_at, sup.ended_at)
            ),
        ));
    }
    items.extend(phases::sentences(p, names));
    items.sort_by_key(|a| a.0);
    html! {
        ul {
            @for (_, text) in items {
                li { (text) }
            }
        }
    }
}

/// What Zoom said of a conference beyond its span: its `conference_id`, outside parties, and
/// the Call Control API request that started it.
fn conference_extras(c: &Conference) -> String {
    let mut out = String::new();
    if !c.external_participants.is_empty() {
        out.push_str(&format!(
            ", outside parties {}",
            c.external_participants.join(", ")
        ));
    }
    if let Some(id) = &c.conference_id {
        out.push_str(&format!("; Zoom conference_id {id}"));
    }
    if let Some(api) = &c.api_call {
        out.push_str(&format!(
            "; started by a Call Control API request at {} (agent {}, request {})",
            fmt_clock(api.at),
            api.user_id.as_deref().unwrap_or("unknown"),
            api.request_id.as_deref().unwrap_or("unknown")
        ));
    }
    out
}
