//! The projection store: generations (one rule identity's projection over the log) and the
//! per-engagement projection documents they hold. Backends implement [`ProjectionStore`] with
//! their own SQL; nothing here knows SQL.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::search::SearchTerm;
use crate::{EngagementId, Position, StoreError};

/// A generation's id: 1, 2, 3, ... in creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GenerationId(pub i64);

impl std::fmt::Display for GenerationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a generation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GenerationState {
    /// Being built from the log; not yet caught up.
    Building,
    /// Caught up and kept current; not serving by default.
    Ready,
    /// The one generation queries and exports read by default.
    Active,
    /// No longer kept current.
    Retired,
}

impl GenerationState {
    pub fn as_str(self) -> &'static str {
        match self {
            GenerationState::Building => "building",
            GenerationState::Ready => "ready",
            GenerationState::Active => "active",
            GenerationState::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<GenerationState> {
        Some(match s {
            "building" => GenerationState::Building,
            "ready" => GenerationState::Ready,
            "active" => GenerationState::Active,
            "retired" => GenerationState::Retired,
            _ => return None,
        })
    }
}

/// One rule identity's projection over the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    pub id: GenerationId,
    /// The rule's name (`correlated`), for lookup in the registry.
    pub rule_name: String,
    /// The full identity: name, version and parameter hash (`correlated@1+3fa2c1`).
    pub rule_identity: String,
    /// The rule's parameters as canonical JSON (an object of `k: v`).
    pub params: String,
    pub state: GenerationState,
    /// The last log position folded into this generation.
    pub checkpoint: Position,
    pub created_at_ms: i64,
}

/// One engagement's projection under one generation: the canonical document and the columns
/// that queries filter on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectionDoc {
    pub engagement_id: EngagementId,
    pub account_id: Option<String>,
    pub started_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    pub has_conference: bool,
    /// Agent and supervisor user ids, sorted.
    pub agents: Vec<String>,
    /// Queue ids, sorted.
    pub queues: Vec<String>,
    /// The canonical JSON of the projection (byte-identical for identical inputs).
    pub doc: String,
    /// What a search's text terms match ([`crate::search::search_text`]); `None` for a document
    /// written before the store kept it (schema 0012), until the backfill computes it.
    #[serde(default)]
    pub search: Option<String>,
}

/// A search over one generation's projections. `None` filters are open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchFilter {
    pub started_from_ms: Option<i64>,
    pub started_before_ms: Option<i64>,
    pub agent: Option<String>,
    pub queue: Option<String>,
    pub has_conference: Option<bool>,
    /// Engagements whose id starts with this (case as given).
    pub engagement_prefix: Option<String>,
    /// Engagements matching every term ([`crate::search::parse_query`] of a `q`): names,
    /// numbers, the id's beginning. Empty is open.
    #[serde(default)]
    pub text: Vec<SearchTerm>,
    /// Order by (started_at, engagement_id) descending, the cursor counting down; else
    /// ascending.
    pub newest_first: bool,
}

impl SearchFilter {
    /// The SQL of the order and of the cursor's comparison, for this filter's direction.
    pub fn order_sql(&self) -> (&'static str, &'static str) {
        if self.newest_first {
            ("p.started_at DESC, p.engagement_id DESC", "<")
        } else {
            ("p.started_at, p.engagement_id", ">")
        }
    }
}

#[async_trait]
pub trait ProjectionStore: Send + Sync + 'static {
    /// A new generation in state `building` with checkpoint 0.
    async fn create_generation(
        &self,
        rule_name: &str,
        rule_identity: &str,
        params: &str,
    ) -> Result<Generation, StoreError>;

    /// Every generation, oldest first.
    async fn generations(&self) -> Result<Vec<Generation>, StoreError>;

    async fn generation(&self, id: GenerationId) -> Result<Option<Generation>, StoreError>;

    /// Set a state other than `active` (use [`ProjectionStore::activate`] for that).
    async fn set_state(&self, id: GenerationId, state: GenerationState) -> Result<(), StoreError>;

    /// Make `id` the active generation in one transaction; the previously active one becomes
    /// `ready`.
    async fn activate(&self, id: GenerationId) -> Result<(), StoreError>;

    /// Replace these engagements' documents and set the checkpoint, in one transaction.
    ///
    /// Up to [`ProjectionStore::concurrent_writes`] calls for one generation may run at once.
    /// A caller that overlaps them keeps their engagements apart (two writes in flight never
    /// hold the same engagement, so neither waits for the other's rows and the later document
    /// cannot be overwritten by the earlier one) and gives each a checkpoint that the writes
    /// already committed cover (the checkpoint is set as given, so a write that commits out of
    /// order can only move it back, never past a document not yet written).
    async fn write_projections(
        &self,
        id: GenerationId,
        docs: Vec<ProjectionDoc>,
        checkpoint: Position,
    ) -> Result<(), StoreError>;

    /// How many [`ProjectionStore::write_projections`] of one generation may usefully run at
    /// once, each in a transaction of its own: 1 where writes take turns anyway (one write
    /// lock for the whole database), more where the server writes several transactions side by
    /// side.
    fn concurrent_writes(&self) -> usize {
        1
    }

    async fn projection(
        &self,
        id: GenerationId,
        engagement_id: &EngagementId,
    ) -> Result<Option<ProjectionDoc>, StoreError>;

    /// Up to `limit` documents with engagement id greater than `after`, in engagement-id order
    /// (a stable cursor for exports and paging).
    async fn scan_projections(
        &self,
        id: GenerationId,
        after: Option<&EngagementId>,
        limit: usize,
    ) -> Result<Vec<ProjectionDoc>, StoreError>;

    /// Documents matching `filter`, ordered by (started_at, engagement_id) after the cursor
    /// (descending with [`SearchFilter::newest_first`]).
    async fn search(
        &self,
        id: GenerationId,
        filter: &SearchFilter,
        after: Option<(i64, String)>,
        limit: usize,
    ) -> Result<Vec<ProjectionDoc>, StoreError>;

    /// Up to `limit` documents, of any generation, that have no search text (written before
    /// the store kept it), with their generation, ordered by generation and engagement id.
    async fn unsearchable_projections(
        &self,
        limit: usize,
    ) -> Result<Vec<(GenerationId, ProjectionDoc)>, StoreError>;

    /// Set the search text of each (generation, engagement id, text) whose document still has
    /// none (a document re-written meanwhile keeps its own), in one transaction. Returns how
    /// many were set.
    async fn fill_search_text(
        &self,
        texts: Vec<(GenerationId, EngagementId, String)>,
    ) -> Result<u64, StoreError>;
}

/// A backend: the log and the projections, in one database.
pub trait Backend: crate::EventLog + crate::AuditLog + ProjectionStore {}

impl<T: crate::EventLog + crate::AuditLog + ProjectionStore> Backend for T {}
