//! `--generation ID` / `--rule NAME` as the use-case layer's [`Selector`].

use anyhow::bail;
use zcc_app::select::Selector;
use zcc_store::projection::GenerationId;

/// The selector `--generation` / `--rule` name (at most one; clap enforces it), else the active
/// generation.
pub fn selector(generation: Option<i64>, rule: Option<&str>) -> anyhow::Result<Selector> {
    let generation = generation.map(|g| parse_id(&g.to_string())).transpose()?;
    Ok(Selector::from_parts(generation, rule)?)
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
