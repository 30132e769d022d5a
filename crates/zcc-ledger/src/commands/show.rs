//! `zcc-ledger show ENGAGEMENT_ID [--format text|json]`: one call's history, the model the rule
//! made of it, the derived events with their evidence, and the raw events behind them, each
//! with where it came from (a verified webhook, an import, or recovered from Zoom's webhook
//! logs and not signature-checked).

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::anyhow;
use serde_json::json;
use zcc_app::call::CallError;
use zcc_app::origin::{Origin, Provenances};
use zcc_export::time::rfc3339_ms;
use zcc_model::CallProjection;
use zcc_store::projection::Backend;
use zcc_store::{LogEntry, Position};

use crate::cli::{ShowArgs, ShowFormat};
use crate::commands::select;

pub async fn run(store: Arc<dyn Backend>, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let selector = select::selector(args.generation, args.rule.as_deref())?;
    let call = zcc_app::call::load(store.as_ref(), &selector, &args.engagement_id)
        .await
        .map_err(|e| match e {
            CallError::Unknown(id) => anyhow!(
                "no engagement {id:?} in the log (search with `zcc-ledger export engagements`)"
            ),
            other => other.into(),
        })?;
    let projection = call.projection()?;
    let (generation, events, provenance) = (call.generation, call.events, call.provenance);
    match args.format {
        ShowFormat::Json => {
            let raw: Vec<_> = events
                .iter()
                .map(|e| raw_json(e, provenance.origin(e)))
                .collect();
            let out = json!({
                "engagement_id": args.engagement_id,
                "generation": generation.id,
                "rule": generation.rule_identity,
                "projection": projection,
                "events": raw,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        ShowFormat::Text => print!(
            "{}",
            text(
                &args.engagement_id,
                &generation.rule_identity,
                generation.id.0,
                projection.as_ref(),
                &events,
                &provenance
            )
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// One raw event: the `events` export's fields, its `source`, whether the receiver verified
/// its signature, its provenance (a recovered event's attempt in Zoom's logs, else `null`) and
/// `origin`, the same in words.
fn raw_json(e: &LogEntry, origin: Origin<'_>) -> serde_json::Value {
    json!({
        "position": e.position.0,
        "received_at": rfc3339_ms(e.received_at_ms),
        "event": e.event_type,
        "event_time": rfc3339_ms(e.event_time_ms),
        "source": e.source.as_str(),
        "signature_verified": origin.signature_verified(),
        "provenance": origin.provenance(),
        "origin": origin.to_string(),
        "body_sha256": e.body_sha256.to_hex(),
        "hash": e.hash.to_hex(),
        "body": e.body,
    })
}

fn opt_time(t: Option<i64>) -> String {
    t.map_or_else(|| "open".to_owned(), rfc3339_ms)
}

fn positions(p: &[Position]) -> String {
    p.iter()
        .map(Position::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The text rendering: a person's view of the call.
/// The text report: a summary, then one section per part of the model, then the raw events.
fn text(
    id: &str,
    rule: &str,
    generation: i64,
    p: Option<&CallProjection>,
    events: &[LogEntry],
    provenance: &Provenances,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "engagement {id}  (generation {generation}, rule {rule})");
    let Some(p) = p else {
        let _ = writeln!(s, "  not projected yet by this generation");
        return s;
    };
    summary(&mut s, p);
    timeline(&mut s, p);
    conferences(&mut s, p);
    diagnostics(&mut s, p);
    transfers(&mut s, p);
    holds(&mut s, p);
    supervision(&mut s, p);
    raw_events(&mut s, events, provenance);
    s
}

fn summary(s: &mut String, p: &CallProjection) {
    let e = &p.engagement;
    let _ = writeln!(
        s,
        "  {} {} call, {} → {}",
        e.direction.as_deref().unwrap_or("?"),
        e.channel.as_deref().unwrap_or("?"),
        opt_time(e.started_at),
        opt_time(e.ended_at)
    );
    if e.customer_number.is_some() || e.customer_name.is_some() {
        let _ = writeln!(
            s,
            "  customer {} {}",
            e.customer_name.as_deref().unwrap_or(""),
            e.customer_number.as_deref().unwrap_or("")
        );
    }
    if !e.queue_names.is_empty() {
        let _ = writeln!(s, "  queues {}", e.queue_names.join(", "));
    }
}

fn timeline(s: &mut String, p: &CallProjection) {
    let _ = writeln!(s, "\ntimeline (derived events; [evidence positions]):");
    for d in &p.derived_events {
        let _ = writeln!(
            s,
            "  {}  {:<28} {:<40} [{}]",
            rfc3339_ms(d.at),
            d.kind.as_str(),
            d.agents.join(" → "),
            positions(&d.evidence)
        );
    }
}

fn conferences(s: &mut String, p: &CallProjection) {
    if !p.conferences.is_empty() {
        let _ = writeln!(s, "\nconferences:");
        for c in &p.conferences {
            let _ = writeln!(
                s,
                "  #{} {} → {}  {}  ({:?}, initiated by {})",
                c.conference_index,
                rfc3339_ms(c.started_at),
                opt_time(c.ended_at),
                c.participants.join(", "),
                c.source,
                c.initiated_by.as_deref().unwrap_or("unknown")
            );
            if let Some(id) = &c.conference_id {
                let _ = writeln!(s, "     Zoom conference_id {id}");
            }
            if !c.external_participants.is_empty() {
                let _ = writeln!(
                    s,
                    "     outside parties {}",
                    c.external_participants.join(", ")
                );
            }
            if let Some(api) = &c.api_call {
                let _ = writeln!(
                    s,
                    "     started by a Call Control API request at {} (agent {}, request {}) [{}]",
                    rfc3339_ms(api.at),
                    api.user_id.as_deref().unwrap_or("?"),
                    api.request_id.as_deref().unwrap_or("?"),
                    positions(&api.evidence)
                );
            }
        }
    }
}

fn diagnostics(s: &mut String, p: &CallProjection) {
    if !p.diagnostics.is_empty() {
        let _ = writeln!(s, "\ndiagnostics:");
        for d in &p.diagnostics {
            let _ = writeln!(
                s,
                "  {}: {} [{}]",
                d.kind,
                d.message,
                positions(&d.evidence)
            );
        }
    }
}

fn transfers(s: &mut String, p: &CallProjection) {
    if !p.transfers.is_empty() {
        let _ = writeln!(s, "\ntransfers:");
        for t in &p.transfers {
            let target = t
                .to_user
                .as_deref()
                .or(t.to_queue_name.as_deref())
                .or(t.to_queue_id.as_deref())
                .or(t.to_number.as_deref())
                .or(t.to_flow_or_inbox.as_deref())
                .unwrap_or("?");
            let _ = writeln!(
                s,
                "  {} {} → {}  {} {}  outcome {:?}",
                rfc3339_ms(t.started_at),
                t.from_user.as_deref().unwrap_or("?"),
                target,
                t.transfer_type.as_deref().unwrap_or(""),
                t.transfer_level.as_deref().unwrap_or(""),
                t.outcome
            );
        }
    }
}

fn holds(s: &mut String, p: &CallProjection) {
    if !p.holds.is_empty() {
        let _ = writeln!(s, "\nholds:");
        for h in &p.holds {
            let _ = writeln!(
                s,
                "  {} → {}  by {}",
                rfc3339_ms(h.started_at),
                opt_time(h.ended_at),
                h.user_id.as_deref().unwrap_or("?")
            );
        }
    }
}

fn supervision(s: &mut String, p: &CallProjection) {
    if !p.supervision.is_empty() {
        let _ = writeln!(s, "\nsupervision:");
        for v in &p.supervision {
            let _ = writeln!(
                s,
                "  {} → {}  {} {} {}",
                rfc3339_ms(v.started_at),
                opt_time(v.ended_at),
                v.supervisor,
                v.mode.as_str(),
                v.agent.as_deref().unwrap_or("")
            );
        }
    }
}

fn raw_events(s: &mut String, events: &[LogEntry], provenance: &Provenances) {
    let _ = writeln!(s, "\nraw events (log position, event time, type; origin):");
    for e in events {
        let _ = writeln!(
            s,
            "  {:>8}  {}  {}  [{}]",
            e.position.0,
            rfc3339_ms(e.event_time_ms),
            e.event_type,
            provenance.origin(e)
        );
    }
}
