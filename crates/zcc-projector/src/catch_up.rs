//! Live catch-up: fold every log entry after a generation's checkpoint by re-folding each
//! touched engagement from all of its events (so a late or out-of-order event re-folds its
//! engagement, I7), one `write_projections` (documents + checkpoint, one transaction) per page.

use std::collections::BTreeSet;

use serde::Serialize;
use zcc_model::Rule;
use zcc_store::Position;
use zcc_store::projection::{Backend, GenerationId, GenerationState};

use crate::ProjectorError;
use crate::fold::{fold_engagement, input_events};
use crate::generation::{get, rule_of};
use crate::progress::{Phase, Progress, ProgressSink};

/// Log entries read per page of catch-up (and documents written per transaction, at most).
pub const CATCH_UP_PAGE: usize = 500;

/// What one catch-up did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatchUpReport {
    pub generation: GenerationId,
    pub rule_identity: String,
    /// The checkpoint before and after.
    pub from: Position,
    pub to: Position,
    /// Log entries read.
    pub entries: u64,
    /// Engagement documents (re)written.
    pub documents: u64,
}

impl std::fmt::Display for CatchUpReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "generation {} ({}): positions {}..{} folded, {} entries, {} documents written",
            self.generation, self.rule_identity, self.from, self.to, self.entries, self.documents
        )
    }
}

/// Bring one generation up to the head of the log. Works in any state but `retired`.
pub async fn catch_up<S: Backend + ?Sized>(
    store: &S,
    id: GenerationId,
    progress: &dyn ProgressSink,
) -> Result<CatchUpReport, ProjectorError> {
    let generation = get(store, id).await?;
    if generation.state == GenerationState::Retired {
        return Err(ProjectorError::WrongState {
            id,
            state: generation.state,
            why: "retired generations are not kept current".to_owned(),
        });
    }
    let rule = rule_of(&generation)?;
    catch_up_with(store, id, rule.as_ref(), generation.checkpoint, progress).await
}

pub(crate) async fn catch_up_with<S: Backend + ?Sized>(
    store: &S,
    id: GenerationId,
    rule: &dyn Rule,
    from: Position,
    progress: &dyn ProgressSink,
) -> Result<CatchUpReport, ProjectorError> {
    let head = store.head().await?.size;
    let mut report = CatchUpReport {
        generation: id,
        rule_identity: rule.identity().to_string(),
        from,
        to: from,
        entries: 0,
        documents: 0,
    };
    loop {
        let page = store.read_after(report.to, CATCH_UP_PAGE).await?;
        let Some(last) = page.last().map(|e| e.position) else {
            break;
        };
        let touched: BTreeSet<&str> = page
            .iter()
            .filter_map(|e| e.engagement_id.as_deref())
            .collect();
        let mut docs = Vec::with_capacity(touched.len());
        for engagement_id in touched {
            let entries = store.engagement_events(engagement_id).await?;
            let events = input_events(&entries);
            docs.push(fold_engagement(rule, engagement_id, &events));
        }
        report.entries += page.len() as u64;
        report.documents += docs.len() as u64;
        store.write_projections(id, docs, last).await?;
        report.to = last;
        progress.report(&Progress {
            generation: id,
            phase: Phase::CatchUp,
            position: last.0,
            head: head.max(last.0),
            documents: report.documents,
        });
    }
    Ok(report)
}

/// Catch up every generation that is kept current: ready and active ones. (A building
/// generation is caught up by the rebuild that owns it, which then marks it ready.) Each is
/// attempted even when another fails; the first error is returned after all were tried.
pub async fn catch_up_all<S: Backend + ?Sized>(
    store: &S,
    progress: &dyn ProgressSink,
) -> Result<Vec<CatchUpReport>, ProjectorError> {
    let mut reports = Vec::new();
    let mut first_error = None;
    for g in store.generations().await? {
        if !matches!(g.state, GenerationState::Ready | GenerationState::Active) {
            continue;
        }
        let result = match rule_of(&g) {
            Ok(rule) => catch_up_with(store, g.id, rule.as_ref(), g.checkpoint, progress).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(r) => reports.push(r),
            Err(e) => {
                tracing::warn!(generation = %g.id, error = %e, "catch-up failed");
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(reports),
    }
}
