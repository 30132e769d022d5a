//! Which generation a query reads: `--generation ID`, `--rule NAME`, or the active one.

use anyhow::{Context, anyhow, bail};
use zcc_store::projection::{Backend, Generation, GenerationId, GenerationState};

/// Resolve `--generation` / `--rule` (at most one) to a generation; without either, the active
/// generation (a new database gets the default rule's first).
pub async fn generation(
    store: &dyn Backend,
    generation: Option<i64>,
    rule: Option<&str>,
) -> anyhow::Result<Generation> {
    if let Some(id) = generation {
        return store
            .generation(GenerationId(id))
            .await?
            .ok_or_else(|| anyhow!("no generation {id}; `zcc-ledger generations` lists them"));
    }
    let all = store.generations().await?;
    if let Some(rule) = rule {
        let mut matching: Vec<Generation> = all
            .into_iter()
            .filter(|g| g.state != GenerationState::Retired)
            .filter(|g| {
                g.rule_name == rule
                    || g.rule_identity == rule
                    || g.rule_identity.starts_with(&format!("{rule}+"))
            })
            .collect();
        // Prefer the active one, then the newest.
        matching.sort_by_key(|g| (g.state == GenerationState::Active, g.id));
        return matching.pop().ok_or_else(|| {
            anyhow!("no generation of rule {rule:?}; build one with `zcc-ledger reproject --rule {rule}`")
        });
    }
    if let Some(active) = all.into_iter().find(|g| g.state == GenerationState::Active) {
        return Ok(active);
    }
    zcc_projector::ensure_default_generation(store)
        .await
        .context("creating the default generation")?
        .ok_or_else(|| anyhow!("no active generation; activate one with `zcc-ledger activate ID`"))
}

/// Parse a generation id argument.
pub fn parse_id(s: &str) -> anyhow::Result<GenerationId> {
    match s.parse::<i64>() {
        Ok(n) if n > 0 => Ok(GenerationId(n)),
        _ => bail!(
            "{s:?} is not a generation id (a whole number; `zcc-ledger generations` lists them)"
        ),
    }
}
