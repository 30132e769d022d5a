//! One engagement's log entries to its [`ProjectionDoc`]: the single code path shared by live
//! catch-up, the rebuild and `evaluate`, so every way of projecting gives the same bytes (I4).

use zcc_model::{CallProjection, InputEvent, Party, Rule};
use zcc_store::projection::ProjectionDoc;
use zcc_store::{EngagementId, LogEntry, Position};

/// Read one logged body into the rule's input, borrowing from `body` what the fold reads
/// ([`InputEvent::read`]). A body the typed reader refuses (it passed the envelope check at
/// append time, so this means a reader regression) is left out of the fold, with a warning
/// naming the position, the same way on every path.
pub fn input_event(
    position: Position,
    body: &str,
    body_sha256: [u8; 32],
) -> Option<InputEvent<'_>> {
    match InputEvent::read(position, body_sha256, body) {
        Ok(event) => Some(event),
        Err(e) => {
            tracing::warn!(position = position.get(), error = %e, "log entry left out of the fold: body does not parse");
            None
        }
    }
}

/// [`input_event`] for owned log entries.
pub fn input_events(entries: &[LogEntry]) -> Vec<InputEvent<'_>> {
    let mut events = Vec::with_capacity(entries.len());
    events.extend(
        entries
            .iter()
            .filter_map(|e| input_event(e.position, &e.body, e.body_sha256.0)),
    );
    events
}

/// Project one engagement and shape the stored document.
pub fn fold_engagement(
    rule: &dyn Rule,
    engagement_id: &EngagementId,
    events: &[InputEvent<'_>],
) -> ProjectionDoc {
    let projection = rule.project(events);
    for d in &projection.diagnostics {
        metrics::counter!(PROJECTION_DIAGNOSTICS, "kind" => d.kind.clone()).increment(1);
    }
    to_doc(engagement_id, &projection)
}

/// Counter: projections written that carry a diagnostic (explicit conference events that are
/// incomplete, unreadable or contradict the legs), by kind. An engagement re-folded by a late
/// event counts again.
pub const PROJECTION_DIAGNOSTICS: &str = "zcc_projection_diagnostics_total";

/// The stored document of a projection: canonical JSON plus the columns queries filter on.
pub fn to_doc(engagement_id: &EngagementId, projection: &CallProjection) -> ProjectionDoc {
    // Agents and supervisors: anyone who held a leg or supervised (ProjectionDoc::agents).
    let mut agents: Vec<String> = projection
        .legs
        .iter()
        .filter(|l| l.party != Party::Customer)
        .filter_map(|l| l.user_id.clone())
        .chain(projection.supervision.iter().map(|s| s.supervisor.clone()))
        .collect();
    agents.sort();
    agents.dedup();
    let mut queues = projection.engagement.queue_ids.clone();
    queues.sort();
    queues.dedup();
    let doc = String::from_utf8(projection.to_canonical_json()).expect("serde_json writes UTF-8");
    ProjectionDoc {
        engagement_id: engagement_id.clone(),
        account_id: projection.engagement.account_id.clone(),
        started_at_ms: projection.engagement.started_at,
        ended_at_ms: projection.engagement.ended_at,
        has_conference: projection.has_conference(),
        agents,
        queues,
        doc,
        search: Some(search_text(engagement_id, projection)),
    }
}

/// The search text of a projection ([`zcc_store::search::search_text`]): the engagement id,
/// the agents' and supervisors' display names, the customer's name and number. Written with
/// every document, and computed the same way by the backfill of documents written without it.
pub fn search_text(engagement_id: &str, projection: &CallProjection) -> String {
    let e = &projection.engagement;
    let names = projection
        .legs
        .iter()
        .filter_map(|l| l.display_name.as_deref())
        .chain(
            projection
                .supervision
                .iter()
                .filter_map(|s| s.supervisor_name.as_deref()),
        )
        .chain(e.customer_name.as_deref());
    zcc_store::search::search_text(engagement_id, names, e.customer_number.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every simulated body (duplicates, reordering, late retries, both conference shapes,
    /// the 2023 supervisor names) is read borrowed except Zoom's explicit conference events,
    /// which are read typed; a change that sent common bodies to the typed parse would be
    /// correct but slow, and fails here.
    #[test]
    fn simulated_traffic_is_read_borrowed_except_explicit_conferences() {
        let config = zcc_sim::SimConfig {
            calls: 40,
            seed: 11,
            duplicate_rate: 0.1,
            reorder_rate: 0.3,
            late_retry_rate: 0.05,
            ..zcc_sim::SimConfig::default()
        };
        let (mut borrowed, mut typed) = (0, 0);
        for item in zcc_sim::generate(&config).unwrap() {
            let zcc_sim::SimItem::Webhook(d) = item else {
                continue;
            };
            let event = input_event(Position(1), &d.body, [0; 32]).expect("a simulated body reads");
            let conference = event.fields().family == zcc_events::FamilyKind::Conference;
            assert_eq!(event.is_borrowed(), !conference, "{}", d.body);
            if conference {
                typed += 1;
            } else {
                borrowed += 1;
            }
        }
        assert!(
            borrowed > 500 && typed > 0,
            "{borrowed} borrowed, {typed} typed"
        );
    }
}
