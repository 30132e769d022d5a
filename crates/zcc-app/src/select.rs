//! Which generation a read uses: one function, one meaning, for the command line, the API, the
//! web page and exports alike.
//!
//! - No choice: the active generation.
//! - A generation id: that generation, in any state but building (a building generation has
//!   folded only part of the log; a retired one is kept as it was when retired, for audit).
//! - A rule (its name, `name@version` or its full identity): the active generation when it runs
//!   that rule, else the newest ready one; never a building or retired one.
//!
//! Choosing never writes: a database without an active generation answers
//! [`SelectError::NoActive`] rather than creating one. The default generation is created where
//! the log is written (`serve`, `import`, `reproject`), see [`crate::prepare`].

use zcc_store::StoreError;
use zcc_store::projection::{Generation, GenerationId, GenerationState, ProjectionStore};

/// What a reader asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Selector {
    /// The active generation.
    #[default]
    Active,
    /// One generation by id.
    Id(GenerationId),
    /// A rule: its name, `name@version`, or a full identity.
    Rule(String),
}

impl Selector {
    /// From the two optional inputs every shell offers (`--generation`/`--rule`, the
    /// `generation`/`rule` query parameters). Naming both is an error: they could disagree.
    pub fn from_parts(
        generation: Option<GenerationId>,
        rule: Option<&str>,
    ) -> Result<Selector, SelectError> {
        match (generation, rule) {
            (Some(_), Some(_)) => Err(SelectError::Both),
            (Some(id), None) => Ok(Selector::Id(id)),
            (None, Some(rule)) => Ok(Selector::Rule(rule.to_owned())),
            (None, None) => Ok(Selector::Active),
        }
    }
}

/// Why no generation could be chosen. Each names what was asked and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("`generation` and `rule` exclude each other; give one")]
    Both,
    #[error("no generation {0} (the list of generations names them)")]
    Unknown(GenerationId),
    #[error(
        "generation {id} is still building (it has folded the log up to position {checkpoint}); \
         read it once it is ready"
    )]
    Building { id: GenerationId, checkpoint: i64 },
    #[error(
        "no generation of rule {rule:?} is ready or active; build one with \
         `zcc-ledger reproject --rule {rule}` (or POST /api/generations)"
    )]
    NoRule { rule: String },
    #[error(
        "no generation is active; import events or start `serve` to create the default one, \
         or activate a generation"
    )]
    NoActive,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SelectError {
    /// Whether the request named something that does not exist (an HTTP 404), rather than
    /// something that exists but cannot be read now (409) or a bad request (400).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            SelectError::Unknown(_) | SelectError::NoRule { .. } | SelectError::NoActive
        )
    }
}

/// Choose the generation `selector` names. Reads only.
pub async fn choose<S: ProjectionStore + ?Sized>(
    store: &S,
    selector: &Selector,
) -> Result<Generation, SelectError> {
    match selector {
        Selector::Id(id) => {
            let generation = store
                .generation(*id)
                .await?
                .ok_or(SelectError::Unknown(*id))?;
            if generation.state == GenerationState::Building {
                return Err(SelectError::Building {
                    id: *id,
                    checkpoint: generation.checkpoint.0,
                });
            }
            Ok(generation)
        }
        Selector::Rule(rule) => {
            let all = store.generations().await?;
            pick_rule(&all, rule)
                .cloned()
                .ok_or_else(|| SelectError::NoRule { rule: rule.clone() })
        }
        Selector::Active => store
            .generations()
            .await?
            .into_iter()
            .find(|g| g.state == GenerationState::Active)
            .ok_or(SelectError::NoActive),
    }
}

/// Whether `generation` runs `rule` (its name, `name@version`, or its full identity).
pub fn runs_rule(generation: &Generation, rule: &str) -> bool {
    generation.rule_name == rule
        || generation.rule_identity == rule
        || generation.rule_identity.split('+').next() == Some(rule)
}

/// The generation of `rule` to read among `all`: the active one if it runs that rule, else the
/// newest ready one.
pub fn pick_rule<'g>(all: &'g [Generation], rule: &str) -> Option<&'g Generation> {
    all.iter()
        .filter(|g| runs_rule(g, rule))
        .find(|g| g.state == GenerationState::Active)
        .or_else(|| {
            all.iter()
                .filter(|g| runs_rule(g, rule) && g.state == GenerationState::Ready)
                .max_by_key(|g| g.id)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use GenerationState::*;
    use zcc_store::Position;

    fn generation(id: i64, name: &str, state: GenerationState) -> Generation {
        Generation {
            id: GenerationId(id),
            rule_name: name.to_owned(),
            rule_identity: format!("{name}@1+abc"),
            params: "{}".to_owned(),
            state,
            checkpoint: Position(0),
            created_at_ms: 0,
        }
    }

    #[test]
    fn a_rule_picks_the_active_generation_else_the_newest_ready_one() {
        let all = [
            generation(1, "correlated", Active),
            generation(2, "party-count", Ready),
            generation(3, "party-count", Ready),
            generation(4, "party-count", Building),
            generation(5, "other", Retired),
        ];
        assert_eq!(pick_rule(&all, "correlated").unwrap().id, GenerationId(1));
        assert_eq!(pick_rule(&all, "party-count").unwrap().id, GenerationId(3));
        assert_eq!(
            pick_rule(&all, "party-count@1").unwrap().id,
            GenerationId(3)
        );
        assert_eq!(
            pick_rule(&all, "party-count@1+abc").unwrap().id,
            GenerationId(3)
        );
        assert!(
            pick_rule(&all, "other").is_none(),
            "retired is never picked"
        );
        assert!(pick_rule(&all, "party").is_none(), "no prefix matching");
    }

    #[test]
    fn both_inputs_are_refused() {
        assert!(matches!(
            Selector::from_parts(Some(GenerationId(1)), Some("x")),
            Err(SelectError::Both)
        ));
        assert_eq!(Selector::from_parts(None, None).unwrap(), Selector::Active);
    }
}
