//! Live catch-up: fold every log entry after a generation's checkpoint by re-folding each
//! touched engagement from all of its events up to the page's last position (so a late or
//! out-of-order event re-folds its engagement, I7), one `write_projections` (documents +
//! checkpoint, one transaction) per page.
//!
//! Per page: one `read_after`, one `engagements_events` for what the engagements the page
//! touches logged before it, the parse and fold in parallel on rayon's pool (`par`), one write.
//! The next page is read and folded while the previous one is written. Pages grow with how
//! far behind the generation is ([`CATCH_UP_PAGE`] near the head, up to [`CATCH_UP_MAX_PAGE`]):
//! a large page re-folds an engagement whose events it spans once instead of once per small
//! page.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;
use zcc_model::Rule;
use zcc_store::projection::{Backend, GenerationId, GenerationState, ProjectionDoc};
use zcc_store::{EngagementId, LogEntry, Position};

use crate::ProjectorError;
use crate::document::{fold_engagement, input_events};
use crate::generation::{get, rule_of};
use crate::par::par_map;
use crate::progress::{Phase, Progress, ProgressSink};

/// Log entries read per page of catch-up near the head of the log (the smallest page): live
/// traffic is folded and written in small transactions, so documents appear soon and appends
/// never wait long behind a projection write.
pub const CATCH_UP_PAGE: usize = 500;

/// Log entries read per page when the generation is far behind (after a bulk import, or a
/// server that was down): fewer re-folds of engagements that span several pages.
pub const CATCH_UP_MAX_PAGE: usize = 8192;

/// The page is the distance to the head divided by this, within
/// [`CATCH_UP_PAGE`]..=[`CATCH_UP_MAX_PAGE`]: the largest page from 64k entries behind, the
/// smallest within 4k, and shrinking as the head comes close.
const LAG_PER_PAGE_ENTRY: u64 = 8;

/// Entries to read for the next page when `lag` entries are left before the head.
fn page_size(lag: u64) -> usize {
    usize::try_from(lag / LAG_PER_PAGE_ENTRY)
        .unwrap_or(usize::MAX)
        .clamp(CATCH_UP_PAGE, CATCH_UP_MAX_PAGE)
}

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
    let rule: Arc<dyn Rule> = Arc::from(rule_of(&generation)?);
    catch_up_with(store, id, rule, generation.checkpoint, progress).await
}

/// One page read and folded, ready to write.
struct Page {
    /// Log entries the page covers.
    entries: u64,
    /// Its last position: the checkpoint written with its documents.
    last: Position,
    /// The head of the log when the page was read (for progress).
    head: i64,
    /// One per touched engagement, in engagement-id order.
    docs: Vec<ProjectionDoc>,
}

/// [`catch_up`] with the generation's rule at hand, from `from` (the rebuild's final step too).
/// Folds run on rayon's pool, on all cores, handed over from one task of tokio's blocking pool.
pub(crate) async fn catch_up_with<S: Backend + ?Sized>(
    store: &S,
    id: GenerationId,
    rule: Arc<dyn Rule>,
    from: Position,
    progress: &dyn ProgressSink,
) -> Result<CatchUpReport, ProjectorError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut report = CatchUpReport {
        generation: id,
        rule_identity: rule.identity().to_string(),
        from,
        to: from,
        entries: 0,
        documents: 0,
    };
    let mut next = read_page(store, id, &rule, from, threads).await?;
    while let Some(page) = next {
        let documents = page.docs.len() as u64;
        // Write this page while the next one is read and folded: the next page reads only the
        // log, never the documents being written, and pages are written in order.
        let (written, prepared) = tokio::join!(
            store.write_projections(id, page.docs, page.last),
            read_page(store, id, &rule, page.last, threads),
        );
        written?;
        report.entries += page.entries;
        report.documents += documents;
        report.to = page.last;
        progress.report(&Progress {
            generation: id,
            phase: Phase::CatchUp,
            position: page.last.0,
            head: page.head.max(page.last.0),
            documents: report.documents,
        });
        next = prepared?;
    }
    Ok(report)
}

/// Read the page after `after` (sized by the distance to the head), every entry up to its last
/// position of each engagement it touches, and fold those engagements. `None` at the head.
async fn read_page<S: Backend + ?Sized>(
    store: &S,
    generation: GenerationId,
    rule: &Arc<dyn Rule>,
    after: Position,
    threads: usize,
) -> Result<Option<Page>, ProjectorError> {
    let head = store.head().await?.size;
    let limit = page_size(u64::try_from(head - after.0).unwrap_or(0));
    let page = store.read_after(after, limit).await?;
    let Some(last) = page.last().map(|e| e.position) else {
        return Ok(None);
    };
    let touched: Vec<EngagementId> = page
        .iter()
        .filter_map(|e| crate::call_of(e.engagement_id.as_deref()))
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .map(EngagementId::from)
        .collect();
    let entries = page.len() as u64;
    // The page's own entries are at hand: read only what the touched engagements logged
    // before it (nothing, for a call that starts in this page), so each body of the page is
    // read and parsed once.
    let mut events = if touched.is_empty() {
        Vec::new()
    } else {
        store.engagements_events(&touched, after).await?
    };
    events.extend(
        page.into_iter()
            .filter(|e| crate::call_of(e.engagement_id.as_deref()).is_some()),
    );
    let rule = Arc::clone(rule);
    let docs = tokio::task::spawn_blocking(move || fold_page(&*rule, events, threads))
        .await
        .map_err(|e| ProjectorError::Worker {
            generation,
            reason: format!("catch-up fold: {e}"),
        })?;
    Ok(Some(Page {
        entries,
        last,
        head,
        docs,
    }))
}

/// Group entries by engagement and fold each group (parse included) on `threads` threads.
/// Returns the documents in engagement-id order.
fn fold_page(rule: &dyn Rule, mut entries: Vec<LogEntry>, threads: usize) -> Vec<ProjectionDoc> {
    // The entries are the earlier events (in this order already, as `engagements_events`
    // promises) followed by the page (in position order): two sorted runs, which the stable
    // sort merges. An engagement split across them would otherwise become two documents.
    entries.sort_by(|a, b| {
        (a.engagement_id.as_deref(), a.position).cmp(&(b.engagement_id.as_deref(), b.position))
    });
    let groups: Vec<(&EngagementId, &[LogEntry])> = entries
        .chunk_by(|a, b| a.engagement_id == b.engagement_id)
        .filter_map(|group| Some((group[0].engagement_id.as_ref()?, group)))
        .collect();
    par_map(&groups, threads, |(engagement_id, group)| {
        fold_engagement(rule, engagement_id, &input_events(group))
    })
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
            Ok(rule) => {
                let rule: Arc<dyn Rule> = Arc::from(rule);
                catch_up_with(store, g.id, rule, g.checkpoint, progress).await
            }
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
