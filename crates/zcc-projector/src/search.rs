//! The backfill of search text: documents written before the store kept it (schema 0012) get
//! it computed from their stored projection, by the same function that writes it with every
//! new document ([`crate::search_text`]), so an old call becomes findable by name and number
//! without a rebuild.

use serde::Serialize;
use zcc_model::CallProjection;
use zcc_store::projection::{GenerationId, ProjectionStore};
use zcc_store::{EngagementId, StoreError};

use crate::ProjectorError;
use crate::document::search_text;

/// Documents read and written per transaction.
pub const SEARCH_BACKFILL_BATCH: usize = 500;

/// What [`fill_search_text`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SearchBackfillReport {
    /// Documents given their search text.
    pub filled: u64,
    /// Of those, documents whose projection did not read back: they are findable by their id
    /// only (each is logged with its generation and engagement).
    pub unreadable: u64,
}

/// Give every document without search text its text, [`SEARCH_BACKFILL_BATCH`] at a time,
/// until none is left. Safe beside the live projector: a document it re-writes meanwhile keeps
/// its own text. Returns at once when there is nothing to do.
pub async fn fill_search_text<S: ProjectionStore + ?Sized>(
    store: &S,
) -> Result<SearchBackfillReport, ProjectorError> {
    fill_search_text_in(store, SEARCH_BACKFILL_BATCH).await
}

/// [`fill_search_text`], `batch` documents per transaction.
pub async fn fill_search_text_in<S: ProjectionStore + ?Sized>(
    store: &S,
    batch: usize,
) -> Result<SearchBackfillReport, ProjectorError> {
    let batch_size = batch.max(1);
    let mut report = SearchBackfillReport::default();
    // The first document of a batch of which none was set: met again, the store is not
    // keeping what it is given, and looping would never end.
    let mut unset: Option<(GenerationId, EngagementId)> = None;
    loop {
        let batch = store.unsearchable_projections(batch_size).await?;
        let Some((generation, first)) = batch.first() else {
            break;
        };
        let first = (*generation, first.engagement_id.clone());
        if unset.as_ref() == Some(&first) {
            return Err(ProjectorError::Store(StoreError::Other(format!(
                "setting the search text of engagement {} in generation {}: the store set none \
                 of a batch and returns the same documents again",
                first.1, first.0
            ))));
        }
        if report.filled == 0 {
            tracing::info!("computing the search text of projections written before it was kept");
        }
        let mut texts = Vec::with_capacity(batch.len());
        for (generation, doc) in batch {
            let text = match CallProjection::from_canonical_json(doc.doc.as_bytes()) {
                Ok(projection) => search_text(&doc.engagement_id, &projection),
                Err(e) => {
                    tracing::warn!(
                        generation = generation.0,
                        engagement_id = %doc.engagement_id,
                        error = %e,
                        "projection does not read back: its search text holds only its id"
                    );
                    report.unreadable += 1;
                    zcc_store::search::search_text(&doc.engagement_id, [], [])
                }
            };
            texts.push((generation, doc.engagement_id, text));
        }
        let asked = texts.len() as u64;
        let set = store.fill_search_text(texts).await?;
        unset = (set == 0).then_some(first);
        // Fewer when the live projector re-wrote some meanwhile (they have their own text).
        report.filled += set.min(asked);
    }
    if report.filled > 0 {
        tracing::info!(
            filled = report.filled,
            unreadable = report.unreadable,
            "search text computed"
        );
    }
    Ok(report)
}
