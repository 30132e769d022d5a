//! Rules: the trait, their identity and their parameters. The rules themselves are in
//! [`crate::rules`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::input::InputEvent;
use crate::model::CallProjection;

/// Whether a rule may read Zoom's explicit `engagement_conference_*` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplicitConferences {
    /// Use them where present (the default).
    Use,
    /// Hide them from the rule, as if never received (for `evaluate`).
    Hide,
}

/// An inference rule: a pure function of (rule, parameters, the engagement's set of events).
/// The registry's rules ([`crate::rules`]) each implement it: [`crate::rules::Correlated`] and
/// [`crate::rules::PartyCount`].
pub trait Rule: Send + Sync {
    /// `name@version+paramhash`, with the parameters it stands for.
    fn identity(&self) -> RuleIdentity;

    /// Project one engagement. `events` is the engagement's events in any order, duplicates
    /// allowed: the rule drops exact duplicates and orders by event time itself.
    fn project(&self, events: &[InputEvent<'_>]) -> CallProjection {
        self.project_with(events, ExplicitConferences::Use)
    }

    /// Project one engagement, optionally hiding explicit conference events from the rule.
    fn project_with(
        &self,
        events: &[InputEvent<'_>],
        explicit: ExplicitConferences,
    ) -> CallProjection;
}

/// Who made a projection: rule name, version and the hash of its effective parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RuleIdentity {
    pub name: String,
    pub version: u32,
    /// First 6 hex digits of SHA-256 over the canonical parameters (`k=v` lines, sorted by key,
    /// every parameter present with its effective value).
    pub params_hash: String,
    /// The effective parameters, sorted by key.
    pub params: BTreeMap<String, String>,
}

impl RuleIdentity {
    pub fn new(name: &str, version: u32, params: BTreeMap<String, String>) -> RuleIdentity {
        let mut canonical = String::new();
        for (k, v) in &params {
            canonical.push_str(k);
            canonical.push('=');
            canonical.push_str(v);
            canonical.push('\n');
        }
        let digest = Sha256::digest(canonical.as_bytes());
        RuleIdentity {
            name: name.to_owned(),
            version,
            params_hash: hex::encode(&digest[..3]),
            params,
        }
    }

    /// `correlated@3`.
    pub fn name_version(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

impl fmt::Display for RuleIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}+{}", self.name, self.version, self.params_hash)
    }
}

/// What a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A whole number in `min..=max`.
    Int { min: i64, max: i64 },
    /// One of the listed words.
    OneOf(&'static [&'static str]),
}

/// One parameter of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: &'static str,
    pub description: &'static str,
}

/// A rule the registry can build.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub name: &'static str,
    pub version: u32,
    pub description: &'static str,
    pub params: &'static [ParamSpec],
    pub is_default: bool,
    /// Makes the rule from its identity and validated parameters.
    pub(crate) build: fn(RuleIdentity, &RuleParams) -> Box<dyn Rule>,
}

/// Why a rule could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("unknown rule {name:?} (known rules: {known})")]
    UnknownRule { name: String, known: String },
    #[error("rule {name} has version {have}, not {asked}")]
    UnknownVersion {
        name: String,
        have: u32,
        asked: String,
    },
    #[error("parameter {given:?} is not of the form key=value")]
    Malformed { given: String },
    #[error("rule {rule} has no parameter {key:?} (parameters: {known})")]
    UnknownParam {
        rule: String,
        key: String,
        known: String,
    },
    #[error("parameter {key} given twice")]
    Repeated { key: String },
    #[error("parameter {key}={value:?} is invalid: {reason}")]
    InvalidValue {
        key: String,
        value: String,
        reason: String,
    },
}

/// Parameters after validation: every declared parameter with its effective value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleParams {
    values: BTreeMap<String, String>,
}

impl RuleParams {
    /// Validate `k=v` strings against a rule's declared parameters, filling in defaults.
    pub fn parse(info: &RuleInfo, given: &[String]) -> Result<RuleParams, RuleError> {
        let mut pairs = Vec::with_capacity(given.len());
        for g in given {
            let Some((k, v)) = g.split_once('=') else {
                return Err(RuleError::Malformed { given: g.clone() });
            };
            pairs.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        RuleParams::from_pairs(info, &pairs)
    }

    /// Validate key/value pairs against a rule's declared parameters, filling in defaults.
    pub fn from_pairs(
        info: &RuleInfo,
        pairs: &[(String, String)],
    ) -> Result<RuleParams, RuleError> {
        let mut values = BTreeMap::new();
        for (key, value) in pairs {
            let Some(spec) = info.params.iter().find(|p| p.name == key) else {
                let known: Vec<&str> = info.params.iter().map(|p| p.name).collect();
                return Err(RuleError::UnknownParam {
                    rule: format!("{}@{}", info.name, info.version),
                    key: key.clone(),
                    known: if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    },
                });
            };
            let normalised = validate(spec, value)?;
            if values.insert(key.clone(), normalised).is_some() {
                return Err(RuleError::Repeated { key: key.clone() });
            }
        }
        for spec in info.params {
            values
                .entry(spec.name.to_owned())
                .or_insert_with(|| spec.default.to_owned());
        }
        Ok(RuleParams { values })
    }

    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    pub fn int(&self, key: &str) -> i64 {
        self.get(key).parse().unwrap_or(0)
    }

    pub fn into_map(self) -> BTreeMap<String, String> {
        self.values
    }
}

fn validate(spec: &ParamSpec, value: &str) -> Result<String, RuleError> {
    let invalid = |reason: String| RuleError::InvalidValue {
        key: spec.name.to_owned(),
        value: value.to_owned(),
        reason,
    };
    match spec.kind {
        ParamKind::Int { min, max } => {
            let n: i64 = value
                .parse()
                .map_err(|_| invalid("expected a whole number".to_owned()))?;
            if n < min || n > max {
                return Err(invalid(format!("must be between {min} and {max}")));
            }
            Ok(n.to_string())
        }
        ParamKind::OneOf(words) => {
            if words.contains(&value) {
                Ok(value.to_owned())
            } else {
                Err(invalid(format!("expected one of {}", words.join(", "))))
            }
        }
    }
}
