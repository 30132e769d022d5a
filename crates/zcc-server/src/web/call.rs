//! The page of one call (`/engagements/{engagement_id}`): a summary, the generation switch, the
//! timeline, the derived events with links to their evidence, and the raw events themselves,
//! each with where it came from (an event recovered from Zoom's webhook logs is marked: it was
//! not signature-checked).

use std::collections::BTreeSet;

use maud::{Markup, html};
use zcc_app::origin::{Origin, Provenances};
use zcc_model::{CallProjection, DerivedEvent, DerivedKind, Engagement};
use zcc_store::projection::Generation;
use zcc_store::{LogEntry, Position};

use super::html::{Url, fmt_clock, fmt_duration, page, time_el};
use super::timeline;

/// Everything the call page shows.
pub struct CallView<'a> {
    pub projection: &'a CallProjection,
    /// The engagement's raw log entries, in position order.
    pub events: &'a [LogEntry],
    /// Where the recovered ones among them were read from.
    pub provenance: &'a Provenances,
    /// The generation the projection comes from.
    pub generation: &'a Generation,
    /// Every generation (for the switch).
    pub generations: &'a [Generation],
    pub signed_in: bool,
}

/// The whole HTML document.
pub fn render(v: &CallView<'_>) -> String {
    let id = &v.projection.engagement.engagement_id;
    let body = html! {
        nav class="crumbs" aria-label="Breadcrumb" {
            a href={ "/?generation=" (v.generation.id) } { "Calls" }
            " › "
            span aria-current="page" { (id) }
        }
        h1 { "Call " code { (id) } }
        (summary(v))
        @if v.generations.len() > 1 {
            (generation_switch(v))
        }
        section aria-labelledby="h-timeline" {
            h2 id="h-timeline" { "Timeline" }
            (timeline::figure(v.projection))
        }
        (derived_events(v))
        (raw_events(v))
    };
    page(&format!("Call {id}"), v.signed_in, &body)
}

/// One term of the summary.
fn term(name: &str, value: &Markup) -> Markup {
    html! { div { dt { (name) } dd { (value) } } }
}

/// Values joined by `sep`, or `–` when there are none.
fn joined(values: impl IntoIterator<Item = Markup>, sep: &str) -> Markup {
    let mut values = values.into_iter().peekable();
    if values.peek().is_none() {
        return html! { "–" };
    }
    html! {
        @for (i, value) in values.enumerate() {
            @if i > 0 { (sep) }
            (value)
        }
    }
}

/// The call at a glance: when, who, where it went, what the rule found in it.
fn summary(v: &CallView<'_>) -> Markup {
    let p = v.projection;
    let e = &p.engagement;
    let opt = |x: &Option<String>| x.clone().unwrap_or_else(|| "–".to_owned());
    let flow = e.flow_name.as_deref().or(e.flow_id.as_deref());
    html! {
        dl class="summary" {
            (term("Started", &started(e)))
            (term("Ended", &ended(e)))
            (term("Direction, channel", &html! { (opt(&e.direction)) " · " (opt(&e.channel)) }))
            (term("Customer", &joined(
                [&e.customer_name, &e.customer_number, &e.customer_id]
                    .into_iter()
                    .flatten()
                    .map(|s| html! { (s) }),
                " · ",
            )))
            (term("Queues", &joined(
                e.queue_ids.iter().enumerate().map(|(i, q)| match e.queue_names.get(i) {
                    Some(n) => html! { (n) " " span class="id" { "(" (q) ")" } },
                    None => html! { (q) },
                }),
                ", ",
            )))
            (term("Flow", &html! { (flow.unwrap_or("–")) }))
            (term("Conferences", &html! {
                (p.conferences.len())
                " · transfers " (p.transfers.len())
                " · holds " (p.holds.len())
            }))
            @if !p.diagnostics.is_empty() {
                (term("Diagnostics", &diagnostics(p)))
            }
            @let recovered = v.events.iter()
                .filter(|e| matches!(v.provenance.origin(e), Origin::Recovered(_)))
                .count();
            @if recovered > 0 {
                (term("Recovered events", &html! {
                    span class="origin recovered" {
                        (recovered) " of " (v.events.len())
                        " recovered from Zoom's webhook logs, not signature-checked"
                    }
                }))
            }
            (term("Rule", &html! {
                code { (p.rule.to_string()) } " (generation " (v.generation.id) ")"
            }))
        }
    }
}

fn started(e: &Engagement) -> Markup {
    html! {
        @match e.started_at {
            Some(t) => {
                (time_el(t))
                @if !e.start_observed { " (earliest event; no engagement_started)" }
            }
            None => "unknown",
        }
    }
}

fn ended(e: &Engagement) -> Markup {
    html! {
        @match (e.started_at, e.ended_at) {
            (Some(s), Some(t)) => {
                (time_el(t)) " after " (fmt_duration(t.saturating_sub(s)))
                @if !e.end_observed { " (inferred)" }
            }
            (None, Some(t)) => (time_el(t)),
            (_, None) => "still open",
        }
    }
}

/// What the fold noticed and could not make sense of, with the log positions concerned.
fn diagnostics(p: &CallProjection) -> Markup {
    html! {
        ul class="diagnostics" {
            @for d in &p.diagnostics {
                li {
                    code { (d.kind) } " " (d.message) " (log positions "
                    (d.evidence.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
                    ")"
                }
            }
        }
    }
}

/// Links to the same call under every generation, the current one marked.
fn generation_switch(v: &CallView<'_>) -> Markup {
    let id = &v.projection.engagement.engagement_id;
    html! {
        nav class="generations" aria-label="Generations" {
            span { "View under generation:" }
            ul {
                @for g in v.generations {
                    li {
                        a aria-current=[(g.id == v.generation.id).then_some("page")]
                            href={ "/engagements/" (Url(id)) "?generation=" (g.id) } {
                            (g.id) " · " (g.rule_identity) " (" (g.state.as_str()) ")"
                        }
                    }
                }
            }
        }
    }
}

/// The title of an evidence position that is not among the call's logged events.
const NOT_LOGGED: &str = "not among this call's logged events";

/// The derived events in order, each with its offset from the call's start, the agents
/// concerned and links to its evidence among the raw events below.
fn derived_events(v: &CallView<'_>) -> Markup {
    let p = v.projection;
    let names = p.user_names();
    let logged: BTreeSet<Position> = v.events.iter().map(|e| e.position).collect();
    let start = p
        .engagement
        .started_at
        .or_else(|| p.derived_events.first().map(|d| d.at));
    html! {
        section aria-labelledby="h-derived" {
            h2 id="h-derived" { "Derived events" }
            div class="table-scroll" {
                table class="derived" {
                    caption {
                        "What rule " code { (p.rule.to_string()) } " made of the events, in order; "
                        "each cites the raw events it rests on."
                    }
                    thead { tr {
                        th scope="col" { "Time (UTC)" } th scope="col" { "Event" }
                        th scope="col" { "Agents" } th scope="col" { "Evidence" }
                    } }
                    tbody {
                        @for (i, d) in p.derived_events.iter().enumerate() {
                            tr id={ "de-" (i + 1) } class={ "kind-" (d.kind.as_str()) } {
                                td {
                                    time { (fmt_clock(d.at)) }
                                    @if let Some(s) = start {
                                        " "
                                        span class="offset" {
                                            "+" (fmt_duration(d.at.saturating_sub(s)))
                                        }
                                    }
                                }
                                td {
                                    (d.kind.as_str())
                                    @if let Some(mode) = supervision_mode(p, d) {
                                        " " span class="mode" { "(" (mode) ")" }
                                    }
                                }
                                td {
                                    @for (k, a) in d.agents.iter().enumerate() {
                                        @if k > 0 { ", " }
                                        (timeline::person(&names, a))
                                    }
                                }
                                td class="evidence" {
                                    @for (k, pos) in d.evidence.iter().enumerate() {
                                        @if k > 0 { " " }
                                        @if logged.contains(pos) {
                                            a href={ "#pos-" (pos) } { "#" (pos) }
                                        } @else {
                                            span title=(NOT_LOGGED) { "#" (pos) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The mode (listen, whisper, barge, takeover) of the supervision session a
/// `supervision_started` or `supervision_ended` event is about: the session of the same
/// supervisor that starts (or ends) at that time. A mode change is one session ending and the
/// next starting at the same moment, on the same raw event, so time and side tell them apart.
fn supervision_mode<'p>(p: &'p CallProjection, d: &DerivedEvent) -> Option<&'p str> {
    let starts = match d.kind {
        DerivedKind::SupervisionStarted => true,
        DerivedKind::SupervisionEnded => false,
        _ => return None,
    };
    p.supervision
        .iter()
        .filter(|s| d.agents.first() == Some(&s.supervisor))
        .find(|s| {
            if starts {
                s.started_at == d.at
            } else {
                s.ended_at == Some(d.at)
            }
        })
        .map(|s| s.mode.as_str())
}

/// The engagement's webhooks exactly as logged, each row the target of evidence links.
fn raw_events(v: &CallView<'_>) -> Markup {
    html! {
        section aria-labelledby="h-raw" {
            h2 id="h-raw" { "Raw events" }
            div class="table-scroll" {
                table class="raw" {
                    caption { "The engagement's webhooks exactly as logged, in log order." }
                    thead { tr {
                        th scope="col" { "Position" } th scope="col" { "Event" }
                        th scope="col" { "Event time" } th scope="col" { "Origin" }
                        th scope="col" { "Body" }
                    } }
                    tbody {
                        @for entry in v.events {
                            @let origin = v.provenance.origin(entry);
                            tr id={ "pos-" (entry.position.0) }
                                class=[matches!(origin, Origin::Recovered(_)).then_some("recovered")] {
                                th scope="row" { (entry.position.0) }
                                td { (entry.event_type) }
                                td { (time_el(entry.event_time_ms)) }
                                td { (origin_cell(origin)) }
                                td {
                                    details {
                                        summary {
                                            (entry.body.len()) " bytes, received "
                                            (fmt_clock(entry.received_at_ms))
                                        }
                                        pre { (entry.body) }
                                        p class="id" {
                                            "SHA-256 " (hex::encode(entry.body_sha256.0))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Where a raw event came from: a verified webhook, an import, or (marked) recovered from Zoom's
/// webhook logs, with the attempt it was read from.
fn origin_cell(origin: Origin<'_>) -> Markup {
    match origin {
        Origin::Webhook => html! {
            span class="origin webhook" title=(origin.to_string()) { "webhook, signature verified" }
        },
        Origin::Imported => html! {
            span class="origin imported" title=(origin.to_string()) { "imported" }
        },
        Origin::Recovered(p) => html! {
            strong class="origin recovered" title=(origin.to_string()) {
                "recovered, not signature-checked"
            }
            @if let Some(p) = p {
                dl class="provenance" {
                    div { dt { "From" } dd { "Zoom's webhook logs (" (p.via) ")" } }
                    @if let Some(id) = &p.request_id {
                        div { dt { "Request" } dd { code { (id) } } }
                    }
                    @if let Some(n) = p.retry_num {
                        div { dt { "Retry" } dd { (n) } }
                    }
                    @if let Some(t) = &p.date_time {
                        div { dt { "Zoom's time" } dd { (t) } }
                    }
                    @if let Some(s) = p.status {
                        div { dt { "Status Zoom saw" } dd { (s) } }
                    }
                }
            } @else {
                " (which attempt is not recorded)"
            }
        },
    }
}
