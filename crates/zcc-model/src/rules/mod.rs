//! The registry of rules: `party-count@2` (the baseline) and `correlated@3` (SPEC 5, default;
//! version 2 read Zoom's documented conference events, version 3 keeps the call's phases and
//! starts the customer's leg when the customer was connected), one module each.

mod correlated;
mod party_count;

pub use correlated::Correlated;
pub use party_count::PartyCount;

use crate::rule::{Rule, RuleError, RuleIdentity, RuleInfo, RuleParams};

/// The rule a new database starts with.
pub const DEFAULT_RULE: &str = "correlated";

const RULES: &[RuleInfo] = &[correlated::INFO, party_count::INFO];

/// Every rule the registry can build.
pub fn registry() -> &'static [RuleInfo] {
    RULES
}

/// The description of one rule, by `name` or `name@version`.
pub fn lookup(name: &str) -> Result<&'static RuleInfo, RuleError> {
    let (bare, version) = match name.split_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (name, None),
    };
    let info = RULES
        .iter()
        .find(|r| r.name == bare)
        .ok_or_else(|| RuleError::UnknownRule {
            name: name.to_owned(),
            known: RULES
                .iter()
                .map(|r| format!("{}@{}", r.name, r.version))
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    if let Some(v) = version {
        // Accept `correlated@3` and `correlated@3+hash` (the hash is recomputed from params).
        let v_num = v.split('+').next().unwrap_or(v);
        if v_num.parse::<u32>().ok() != Some(info.version) {
            return Err(RuleError::UnknownVersion {
                name: info.name.to_owned(),
                have: info.version,
                asked: v.to_owned(),
            });
        }
    }
    Ok(info)
}

/// Build a rule from its name and `k=v` parameters (as given on a command line).
pub fn build(name: &str, params: &[String]) -> Result<Box<dyn Rule>, RuleError> {
    let info = lookup(name)?;
    let params = RuleParams::parse(info, params)?;
    Ok(build_validated(info, &params))
}

/// Build a rule from its name and key/value parameters (as stored with a generation).
pub fn build_from_pairs(
    name: &str,
    pairs: &[(String, String)],
) -> Result<Box<dyn Rule>, RuleError> {
    let info = lookup(name)?;
    let params = RuleParams::from_pairs(info, pairs)?;
    Ok(build_validated(info, &params))
}

/// The default rule with default parameters.
pub fn default_rule() -> Box<dyn Rule> {
    build(DEFAULT_RULE, &[]).expect("the default rule builds with its defaults")
}

fn build_validated(info: &RuleInfo, params: &RuleParams) -> Box<dyn Rule> {
    let identity = RuleIdentity::new(info.name, info.version, params.clone().into_map());
    (info.build)(identity, params)
}
