//! `zcc-ledger evaluate RULE`: score a rule's conference inference against Zoom's explicit
//! `engagement_conference_*` events, on the engagements that have them.
//!
//! Each such engagement is projected twice: by the default rule reading the explicit events
//! (the reference: its conferences of source `explicit`), and by the rule under test with the
//! explicit events hidden ([`ExplicitConferences::Hide`]), as if they had never been sent. A
//! predicted conference matches a reference conference when they have the same agents and
//! overlap in time (each is matched at most once, in start order). Precision = matched /
//! predicted, recall = matched / reference, F1 their harmonic mean; the start and end errors
//! are the absolute differences of matched pairs (ends only where both are closed).
//!
//! Every disagreement is listed by kind: `missed` (a reference conference nothing predicted
//! overlaps), `spurious` (a predicted conference no reference one overlaps), `participants`
//! (they overlap but the agents differ) and `bounds` (matched, but the start or the end is off
//! by more than [`BOUNDS_TOLERANCE_MS`]).
//!
//! The module: `report` (what a run found and how it reads), `score` (matching one
//! engagement's conferences), `truth` (a conferences table to score against instead).

mod report;
mod score;
mod truth;

use std::collections::{BTreeMap, BTreeSet};

use zcc_model::{ConferenceSource, ExplicitConferences, rules};
use zcc_store::projection::Backend;
use zcc_store::{EngagementId, Position};

use score::median;

pub use report::{
    ConferenceSummary, Disagreement, DisagreementKind, EngagementScore, EvalReport, WORST,
};
pub use score::{BOUNDS_TOLERANCE_MS, score};
pub use truth::TruthTable;

use crate::ProjectorError;
use crate::document::input_events;
use crate::generation::build_rule;

/// Entries read per page while looking for explicit conference events.
const PAGE: usize = 2_000;

/// Which engagements [`evaluate`] scores, and against what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalScope {
    /// When the account began receiving conference events (ms). Every engagement whose first
    /// event is at or after it is scored too, one without explicit events as having had no
    /// conference: on such an account that silence is evidence. `None`: only the engagements
    /// that have explicit events (or, with a `truth`, every engagement in the log).
    pub since_ms: Option<i64>,
    /// Score against this conferences table instead of the explicit events.
    pub truth: Option<TruthTable>,
}

/// Score `rule_name` with `k=v` `params` against the explicit conference events in the log.
pub async fn evaluate<S: Backend + ?Sized>(
    store: &S,
    rule_name: &str,
    params: &[String],
    scope: EvalScope,
) -> Result<EvalReport, ProjectorError> {
    let rule = build_rule(rule_name, params)?;
    let reference = rules::build(
        rules::DEFAULT_RULE,
        &["explicit_conferences=use".to_owned()],
    )
    .map_err(|source| ProjectorError::Rule {
        rule: rules::DEFAULT_RULE.to_owned(),
        source,
    })?;

    let engagements = engagements_to_score(store, &scope).await?;

    let mut scores = Vec::new();
    let mut start_errors = Vec::new();
    let mut end_errors = Vec::new();
    for id in &engagements {
        let logged = store.engagement_events(id).await?;
        let events = input_events(&logged);
        let (truth, predicted) = match &scope.truth {
            // Against what really happened: the rule as it runs, explicit events and all.
            Some(table) => (
                table
                    .conferences
                    .get(id.as_str())
                    .cloned()
                    .unwrap_or_default(),
                rule.project(&events).conferences,
            ),
            None => (
                reference
                    .project(&events)
                    .conferences
                    .into_iter()
                    .filter(|c| c.source == ConferenceSource::Explicit)
                    .collect(),
                rule.project_with(&events, ExplicitConferences::Hide)
                    .conferences,
            ),
        };
        scores.push(score(
            id,
            &truth,
            &predicted,
            &mut start_errors,
            &mut end_errors,
        ));
    }

    let tp: u64 = scores.iter().map(|s| s.matched).sum();
    let fp: u64 = scores.iter().map(|s| s.false_positives).sum();
    let fneg: u64 = scores.iter().map(|s| s.false_negatives).sum();
    let ratio = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fneg);
    let f1 = match (precision, recall) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    };
    let worst = worst(&scores);
    let disagreements: Vec<Disagreement> = scores
        .iter()
        .flat_map(|s| s.disagreements.iter().cloned())
        .collect();
    let mut disagreement_counts = std::collections::BTreeMap::new();
    for d in &disagreements {
        *disagreement_counts.entry(d.kind).or_insert(0) += 1;
    }
    Ok(EvalReport {
        rule: rule.identity().to_string(),
        reference_rule: reference.identity().to_string(),
        engagements: engagements.len() as u64,
        since_ms: scope.since_ms,
        truth: scope.truth.as_ref().map(|t| t.name.clone()),
        reference_conferences: tp + fneg,
        predicted_conferences: tp + fp,
        true_positives: tp,
        false_positives: fp,
        false_negatives: fneg,
        precision,
        recall,
        f1,
        median_start_error_ms: median(&mut start_errors),
        median_end_error_ms: median(&mut end_errors),
        worst,
        disagreement_counts,
        disagreements,
    })
}

/// The engagements [`evaluate`] scores: those that have explicit conference events (every one
/// in the log, with a truth table and no `since`), and with a `since` every engagement whose
/// first event is at or after it.
async fn engagements_to_score<S: Backend + ?Sized>(
    store: &S,
    scope: &EvalScope,
) -> Result<BTreeSet<EngagementId>, ProjectorError> {
    let mut engagements = BTreeSet::new();
    let mut first_seen: BTreeMap<EngagementId, i64> = BTreeMap::new();
    let mut after = Position::START;
    loop {
        let page = store.read_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        for e in &page {
            let Some(id) = crate::call_of(e.engagement_id.as_deref()).map(EngagementId::from)
            else {
                continue;
            };
            if e.event_type.contains("engagement_conference_")
                || (scope.truth.is_some() && scope.since_ms.is_none())
            {
                engagements.insert(id.clone());
            }
            if scope.since_ms.is_some() {
                first_seen
                    .entry(id.clone())
                    .and_modify(|t| *t = (*t).min(e.event_time_ms))
                    .or_insert(e.event_time_ms);
            }
        }
    }
    if let Some(since) = scope.since_ms {
        engagements.extend(
            first_seen
                .into_iter()
                .filter(|(_, t)| *t >= since)
                .map(|(id, _)| id),
        );
    }
    Ok(engagements)
}

/// The engagements scored worst: most mismatched conferences, then largest time error.
fn worst(scores: &[EngagementScore]) -> Vec<EngagementScore> {
    let mut worst: Vec<EngagementScore> = scores
        .iter()
        .filter(|s| s.false_positives + s.false_negatives > 0 || s.max_error_ms > 0)
        .cloned()
        .collect();
    worst.sort_by(|a, b| {
        (b.false_positives + b.false_negatives)
            .cmp(&(a.false_positives + a.false_negatives))
            .then(b.max_error_ms.cmp(&a.max_error_ms))
            .then(a.engagement_id.cmp(&b.engagement_id))
    });
    worst.truncate(WORST);
    worst
}
