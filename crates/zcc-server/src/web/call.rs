//! The page of one call (`/engagements/{engagement_id}`): a summary, the generation switch, the
//! timeline, the derived events with links to their evidence, and the raw events themselves.

use std::collections::BTreeSet;
use std::fmt::Write;

use zcc_model::CallProjection;
use zcc_store::LogEntry;
use zcc_store::projection::Generation;

use super::html::{Esc, Url, fmt_clock, fmt_duration, page, time_el};
use super::timeline;

/// Everything the call page shows.
pub struct CallView<'a> {
    pub projection: &'a CallProjection,
    /// The engagement's raw log entries, in position order.
    pub events: &'a [LogEntry],
    /// The generation the projection comes from.
    pub generation: &'a Generation,
    /// Every generation (for the switch).
    pub generations: &'a [Generation],
    pub signed_in: bool,
}

/// The whole HTML document.
pub fn render(v: &CallView<'_>) -> String {
    let p = v.projection;
    let e = &p.engagement;
    let names = timeline::names(p);
    let id = &e.engagement_id;
    let mut b = String::new();
    let _ = writeln!(
        b,
        r#"<nav class="crumbs" aria-label="Breadcrumb"><a href="/?generation={}">Calls</a> › <span aria-current="page">{}</span></nav>"#,
        v.generation.id,
        Esc(id)
    );
    let _ = writeln!(b, "<h1>Call <code>{}</code></h1>", Esc(id));

    // Summary.
    b.push_str(r#"<dl class="summary">"#);
    let mut row = |k: &str, v: String| {
        let _ = write!(b, "<div><dt>{k}</dt><dd>{v}</dd></div>");
    };
    row(
        "Started",
        e.started_at.map_or("unknown".into(), |t| {
            format!(
                "{}{}",
                time_el(t),
                if e.start_observed {
                    ""
                } else {
                    " (earliest event; no engagement_started)"
                }
            )
        }),
    );
    row(
        "Ended",
        match (e.started_at, e.ended_at) {
            (Some(s), Some(t)) => format!(
                "{} after {}{}",
                time_el(t),
                fmt_duration(t.saturating_sub(s)),
                if e.end_observed { "" } else { " (inferred)" }
            ),
            (None, Some(t)) => time_el(t),
            (_, None) => "still open".into(),
        },
    );
    let opt = |x: &Option<String>| x.as_deref().map_or("–".to_owned(), |s| Esc(s).to_string());
    row(
        "Direction, channel",
        format!("{} · {}", opt(&e.direction), opt(&e.channel)),
    );
    let customer: Vec<String> = [&e.customer_name, &e.customer_number, &e.customer_id]
        .into_iter()
        .flatten()
        .map(|s| Esc(s).to_string())
        .collect();
    row(
        "Customer",
        if customer.is_empty() {
            "–".into()
        } else {
            customer.join(" · ")
        },
    );
    let queues: Vec<String> = e
        .queue_ids
        .iter()
        .enumerate()
        .map(|(i, q)| match e.queue_names.get(i) {
            Some(n) => format!(r#"{} <span class="id">({})</span>"#, Esc(n), Esc(q)),
            None => Esc(q).to_string(),
        })
        .collect();
    row(
        "Queues",
        if queues.is_empty() {
            "–".into()
        } else {
            queues.join(", ")
        },
    );
    row(
        "Flow",
        e.flow_name
            .as_deref()
            .or(e.flow_id.as_deref())
            .map_or("–".into(), |s| Esc(s).to_string()),
    );
    row(
        "Conferences",
        format!(
            "{} · transfers {} · holds {}",
            p.conferences.len(),
            p.transfers.len(),
            p.holds.len()
        ),
    );
    if !p.diagnostics.is_empty() {
        let items: Vec<String> = p
            .diagnostics
            .iter()
            .map(|d| {
                format!(
                    "<li><code>{}</code> {} (log positions {})</li>",
                    Esc(&d.kind),
                    Esc(&d.message),
                    Esc(&d
                        .evidence
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "))
                )
            })
            .collect();
        row(
            "Diagnostics",
            format!(r#"<ul class="diagnostics">{}</ul>"#, items.join("")),
        );
    }
    row(
        "Rule",
        format!(
            "<code>{}</code> (generation {})",
            Esc(&p.rule.to_string()),
            v.generation.id
        ),
    );
    b.push_str("</dl>\n");

    // The generation switch.
    if v.generations.len() > 1 {
        b.push_str(
            r#"<nav class="generations" aria-label="Generations"><span>View under generation:</span><ul>"#,
        );
        for g in v.generations {
            let text = format!(
                "{} · {} ({})",
                g.id,
                Esc(&g.rule_identity),
                g.state.as_str()
            );
            if g.id == v.generation.id {
                let _ = write!(
                    b,
                    r#"<li><a aria-current="page" href="/engagements/{}?generation={}">{text}</a></li>"#,
                    Url(id),
                    g.id
                );
            } else {
                let _ = write!(
                    b,
                    r#"<li><a href="/engagements/{}?generation={}">{text}</a></li>"#,
                    Url(id),
                    g.id
                );
            }
        }
        b.push_str("</ul></nav>\n");
    }

    b.push_str(r#"<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>"#);
    b.push_str(&timeline::render(p));
    b.push_str("</section>\n");

    // Derived events.
    let positions: BTreeSet<i64> = v.events.iter().map(|e| e.position.0).collect();
    let start = e
        .started_at
        .or_else(|| p.derived_events.first().map(|d| d.at));
    let _ = write!(
        b,
        r#"<section aria-labelledby="h-derived"><h2 id="h-derived">Derived events</h2>
<div class="table-scroll"><table class="derived"><caption>What rule <code>{}</code> made of the events, in order; each cites the raw events it rests on.</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Event</th><th scope="col">Agents</th><th scope="col">Evidence</th></tr></thead><tbody>
"#,
        Esc(&p.rule.to_string())
    );
    for (i, d) in p.derived_events.iter().enumerate() {
        let offset = start.map_or(String::new(), |s| {
            format!(
                r#" <span class="offset">+{}</span>"#,
                fmt_duration(d.at.saturating_sub(s))
            )
        });
        let agents: Vec<String> = d
            .agents
            .iter()
            .map(|a| Esc(&timeline::person(&names, a)).to_string())
            .collect();
        let evidence: Vec<String> = d
            .evidence
            .iter()
            .map(|pos| {
                if positions.contains(pos) {
                    format!(r##"<a href="#pos-{pos}">#{pos}</a>"##)
                } else {
                    format!(r#"<span title="not among this call's logged events">#{pos}</span>"#)
                }
            })
            .collect();
        let _ = writeln!(
            b,
            r#"<tr id="de-{}" class="kind-{}"><td><time>{}</time>{offset}</td><td>{}</td><td>{}</td><td class="evidence">{}</td></tr>"#,
            i + 1,
            d.kind.as_str(),
            fmt_clock(d.at),
            d.kind.as_str(),
            agents.join(", "),
            evidence.join(" "),
        );
    }
    b.push_str("</tbody></table></div></section>\n");

    // Raw events.
    let _ = write!(
        b,
        r#"<section aria-labelledby="h-raw"><h2 id="h-raw">Raw events</h2>
<div class="table-scroll"><table class="raw"><caption>The engagement's webhooks exactly as logged, in log order.</caption>
<thead><tr><th scope="col">Position</th><th scope="col">Event</th><th scope="col">Event time (UTC)</th><th scope="col">Body</th></tr></thead><tbody>
"#
    );
    for entry in v.events {
        let pos = entry.position.0;
        let _ = writeln!(
            b,
            r#"<tr id="pos-{pos}"><th scope="row">{pos}</th><td>{}</td><td>{}</td><td><details><summary>{} bytes, received {}</summary><pre>{}</pre><p class="id">SHA-256 {}</p></details></td></tr>"#,
            Esc(&entry.event_type),
            time_el(entry.event_time_ms),
            entry.body.len(),
            fmt_clock(entry.received_at_ms),
            Esc(&entry.body),
            hex::encode(entry.body_sha256.0),
        );
    }
    b.push_str("</tbody></table></div></section>\n");
    page(&format!("Call {id}"), v.signed_in, &b)
}
