//! Reading one call: the generation, its stored projection and the raw events behind it with
//! where each came from ([`crate::origin`]), and the one way a stored projection document
//! becomes a [`CallProjection`].

use zcc_model::CallProjection;
use zcc_store::projection::{Backend, Generation, GenerationId, ProjectionDoc, ProjectionStore};
use zcc_store::{AuditLog, EngagementId, EventLog, LogEntry, StoreError};

use crate::origin::{Origin, Provenances};
use crate::select::{SelectError, Selector, choose};

/// One engagement as a reader sees it under one generation.
#[derive(Debug)]
pub struct Call {
    pub engagement_id: EngagementId,
    pub generation: Generation,
    /// The stored projection, or `None` when the generation has not folded this engagement
    /// (yet): its events arrived after the generation's checkpoint.
    pub doc: Option<ProjectionDoc>,
    /// The engagement's raw events, in log order.
    pub events: Vec<LogEntry>,
    /// Where the recovered ones among them were read from.
    pub provenance: Provenances,
}

impl Call {
    /// Where `entry` (one of [`Call::events`]) came from.
    pub fn origin(&self, entry: &LogEntry) -> Origin<'_> {
        self.provenance.origin(entry)
    }

    /// The projection, decoded ([`decode`]); `None` when not folded.
    pub fn projection(&self) -> Result<Option<CallProjection>, Unreadable> {
        self.doc
            .as_ref()
            .map(|doc| decode(self.generation.id, doc))
            .transpose()
    }
}

/// Why a call cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error("no engagement {0:?} in the log")]
    Unknown(EngagementId),
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A stored projection document that does not decode: the database holds something this build
/// did not write (a bug or damage, never the caller's fault).
#[derive(Debug, thiserror::Error)]
#[error(
    "generation {generation}, engagement {engagement_id}: the stored projection does not decode: {reason}"
)]
pub struct Unreadable {
    pub generation: GenerationId,
    pub engagement_id: EngagementId,
    pub reason: String,
}

/// A stored projection document as the model's [`CallProjection`]. Every reader decodes here.
pub fn decode(generation: GenerationId, doc: &ProjectionDoc) -> Result<CallProjection, Unreadable> {
    CallProjection::from_canonical_json(doc.doc.as_bytes()).map_err(|e| Unreadable {
        generation,
        engagement_id: doc.engagement_id.clone(),
        reason: e.to_string(),
    })
}

/// Load `engagement_id` under the generation `selector` names: its projection and its raw
/// events. An engagement that has neither is [`CallError::Unknown`].
pub async fn load<S: Backend + ?Sized>(
    store: &S,
    selector: &Selector,
    engagement_id: &EngagementId,
) -> Result<Call, CallError> {
    let generation = choose(store, selector).await?;
    load_in(store, generation, engagement_id).await
}

/// [`load`] under a generation already chosen.
pub async fn load_in<S: Backend + ?Sized>(
    store: &S,
    generation: Generation,
    engagement_id: &EngagementId,
) -> Result<Call, CallError> {
    let (doc, raw) = tokio::try_join!(
        async { Ok(store.projection(generation.id, engagement_id).await?) },
        read_raw(store, engagement_id)
    )?;
    if doc.is_none() && raw.events.is_empty() {
        return Err(CallError::Unknown(engagement_id.clone()));
    }
    Ok(Call {
        engagement_id: engagement_id.clone(),
        generation,
        doc,
        events: raw.events,
        provenance: raw.provenance,
    })
}

/// One engagement's raw events and where each came from, under no generation.
#[derive(Debug)]
pub struct RawEvents {
    /// In log order.
    pub events: Vec<LogEntry>,
    /// Where the recovered ones among them were read from.
    pub provenance: Provenances,
}

impl RawEvents {
    /// Where `entry` (one of [`RawEvents::events`]) came from.
    pub fn origin(&self, entry: &LogEntry) -> Origin<'_> {
        self.provenance.origin(entry)
    }
}

/// The raw events of `engagement_id` with their origin; [`CallError::Unknown`] when the log
/// has none.
pub async fn raw_events<S: EventLog + AuditLog + ?Sized>(
    store: &S,
    engagement_id: &EngagementId,
) -> Result<RawEvents, CallError> {
    let raw = read_raw(store, engagement_id).await?;
    if raw.events.is_empty() {
        return Err(CallError::Unknown(engagement_id.clone()));
    }
    Ok(raw)
}

async fn read_raw<S: EventLog + AuditLog + ?Sized>(
    store: &S,
    engagement_id: &EngagementId,
) -> Result<RawEvents, CallError> {
    let events = store.engagement_events(engagement_id).await?;
    let provenance = Provenances::of(store, &events).await?;
    Ok(RawEvents { events, provenance })
}

/// The projection of one engagement under `generation`, decoded; `None` when not folded.
pub async fn projection<S: ProjectionStore + ?Sized>(
    store: &S,
    generation: &Generation,
    engagement_id: &EngagementId,
) -> Result<Option<CallProjection>, CallError> {
    let doc = store.projection(generation.id, engagement_id).await?;
    Ok(doc.map(|d| decode(generation.id, &d)).transpose()?)
}
