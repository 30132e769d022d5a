//! What can go wrong while projecting, named so a caller can act on it.

use zcc_model::RuleError;
use zcc_store::projection::{GenerationId, GenerationState};
use zcc_store::{EngagementId, StoreError};

/// Why a projector operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    /// Storage failed; [`StoreError::is_transient`] says whether to retry.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No generation has this id.
    #[error("generation {0} does not exist (see `zcc-ledger generations`)")]
    UnknownGeneration(GenerationId),
    /// The operation does not apply to a generation in this state.
    #[error("generation {id} is {}: {why}", state.as_str())]
    WrongState {
        id: GenerationId,
        state: GenerationState,
        why: String,
    },
    /// The rule (or its parameters) could not be built.
    #[error("rule {rule:?}: {source}")]
    Rule {
        rule: String,
        #[source]
        source: RuleError,
    },
    /// A stored generation names a rule identity this build no longer makes.
    #[error(
        "generation {id} was made by {stored} but this build makes {current} from the same \
         name and parameters: build the new one with `zcc-ledger reproject --rule {current} \
         --activate`, then retire generation {id}"
    )]
    RuleChanged {
        id: GenerationId,
        stored: String,
        current: String,
    },
    /// A generation's stored parameters are not a JSON object of strings.
    #[error("generation {id} has unreadable parameters {params:?}: {reason}")]
    BadParams {
        id: GenerationId,
        params: String,
        reason: String,
    },
    /// A stored projection document is not the JSON this crate wrote.
    #[error(
        "projection of engagement {engagement_id} in generation {generation} is unreadable: {reason}"
    )]
    BadDocument {
        generation: GenerationId,
        engagement_id: EngagementId,
        reason: String,
    },
    /// A worker thread of a rebuild or a catch-up failed (a panic in a rule or the log scan).
    #[error("projecting generation {generation} failed in a worker: {reason}")]
    Worker {
        generation: GenerationId,
        reason: String,
    },
}

impl ProjectorError {
    /// Whether retrying later may succeed (storage unavailable).
    pub fn is_transient(&self) -> bool {
        matches!(self, ProjectorError::Store(e) if e.is_transient())
    }
}
