//! Generations: which rule they run, creating the default one, activating and retiring.

use std::collections::BTreeMap;

use serde::Serialize;
use zcc_model::rules;
use zcc_model::{Rule, RuleIdentity};
use zcc_store::projection::{Backend, Generation, GenerationId, GenerationState};

use crate::ProjectorError;

/// The canonical JSON of a rule's effective parameters, as stored with its generation.
pub fn params_json(identity: &RuleIdentity) -> String {
    serde_json::to_string(&identity.params).expect("a map of strings serialises")
}

/// Build a rule from a name (`correlated` or `correlated@1`) and `k=v` parameters.
pub fn build_rule(name: &str, params: &[String]) -> Result<Box<dyn Rule>, ProjectorError> {
    rules::build(name, params).map_err(|source| ProjectorError::Rule {
        rule: name.to_owned(),
        source,
    })
}

/// The rule a stored generation runs, checked against the identity it was created with.
pub fn rule_of(generation: &Generation) -> Result<Box<dyn Rule>, ProjectorError> {
    let map: BTreeMap<String, String> =
        serde_json::from_str(&generation.params).map_err(|e| ProjectorError::BadParams {
            id: generation.id,
            params: generation.params.clone(),
            reason: e.to_string(),
        })?;
    let pairs: Vec<(String, String)> = map.into_iter().collect();
    let rule = rules::build_from_pairs(&generation.rule_name, &pairs).map_err(|source| {
        ProjectorError::Rule {
            rule: generation.rule_name.clone(),
            source,
        }
    })?;
    let current = rule.identity().to_string();
    if current != generation.rule_identity {
        return Err(ProjectorError::RuleChanged {
            id: generation.id,
            stored: generation.rule_identity.clone(),
            current,
        });
    }
    Ok(rule)
}

/// A generation by id, or [`ProjectorError::UnknownGeneration`].
pub async fn get<S: Backend + ?Sized>(
    store: &S,
    id: GenerationId,
) -> Result<Generation, ProjectorError> {
    store
        .generation(id)
        .await?
        .ok_or(ProjectorError::UnknownGeneration(id))
}

/// The active generation, if any.
pub async fn active<S: Backend + ?Sized>(store: &S) -> Result<Option<Generation>, ProjectorError> {
    Ok(store
        .generations()
        .await?
        .into_iter()
        .find(|g| g.state == GenerationState::Active))
}

/// SPEC 6: a database with no generation at all gets the default rule's, active (checkpoint
/// 0), so the first catch-up fills it and queries work right after the first import. Returns
/// the active generation afterwards (`None` when generations exist but none is active: an
/// operator's choice this does not override).
pub async fn ensure_default_generation<S: Backend + ?Sized>(
    store: &S,
) -> Result<Option<Generation>, ProjectorError> {
    let existing = store.generations().await?;
    if !existing.is_empty() {
        return Ok(existing
            .into_iter()
            .find(|g| g.state == GenerationState::Active));
    }
    let rule = rules::default_rule();
    let identity = rule.identity();
    let created = store
        .create_generation(
            &identity.name,
            &identity.to_string(),
            &params_json(&identity),
        )
        .await?;
    store.activate(created.id).await?;
    tracing::info!(generation = %created.id, rule = %identity, "created the default generation");
    get(store, created.id).await.map(Some)
}

/// Make a ready generation the active one, atomically (the previously active one becomes
/// ready and stays current). Activating the active generation is a no-op.
pub async fn activate<S: Backend + ?Sized>(
    store: &S,
    id: GenerationId,
) -> Result<ActivateReport, ProjectorError> {
    let target = get(store, id).await?;
    let previous = active(store).await?.map(|g| g.id);
    match target.state {
        GenerationState::Active => {}
        GenerationState::Ready => store.activate(id).await?,
        state => {
            return Err(ProjectorError::WrongState {
                id,
                state,
                why: match state {
                    GenerationState::Building => {
                        "it is still being built; wait for `reproject` to finish (or resume it)"
                            .to_owned()
                    }
                    _ => "a retired generation is no longer kept current; reproject its rule"
                        .to_owned(),
                },
            });
        }
    }
    Ok(ActivateReport {
        activated: id,
        rule_identity: target.rule_identity,
        previous: previous.filter(|p| *p != id),
    })
}

/// Stop keeping a generation current. The active generation cannot be retired: activate
/// another one first.
pub async fn retire<S: Backend + ?Sized>(
    store: &S,
    id: GenerationId,
) -> Result<(), ProjectorError> {
    let target = get(store, id).await?;
    match target.state {
        GenerationState::Active => Err(ProjectorError::WrongState {
            id,
            state: target.state,
            why: "queries read it; activate another generation before retiring this one".to_owned(),
        }),
        GenerationState::Retired => Ok(()),
        _ => Ok(store.set_state(id, GenerationState::Retired).await?),
    }
}

/// What [`activate`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivateReport {
    pub activated: GenerationId,
    pub rule_identity: String,
    /// The generation that was active before, now ready.
    pub previous: Option<GenerationId>,
}

impl std::fmt::Display for ActivateReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "generation {} ({}) is active",
            self.activated, self.rule_identity
        )?;
        if let Some(p) = self.previous {
            write!(f, "; generation {p} is now ready")?;
        }
        Ok(())
    }
}
