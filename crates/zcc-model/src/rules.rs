//! The registry of rules: `party-count@1` (the baseline) and `correlated@2` (SPEC 5, default;
//! version 2 reads Zoom's documented conference events).

use crate::input::InputEvent;
use crate::model::CallProjection;
use crate::project::{Method, project};
use crate::rule::{
    ExplicitConferences, ParamKind, ParamSpec, Params, Rule, RuleError, RuleIdentity, RuleInfo,
};

/// The rule a new database starts with.
pub const DEFAULT_RULE: &str = "correlated";

const CORRELATED_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "handoff_grace_ms",
        kind: ParamKind::Int {
            min: 0,
            max: 3_600_000,
        },
        default: "2000",
        description: "two agents neither of whom was invited, overlapping for at most this long \
                      before one leaves, are a hand-off (covers transfers whose events were lost)",
    },
    ParamSpec {
        name: "explicit_conferences",
        kind: ParamKind::OneOf(&["use", "ignore"]),
        default: "use",
        description: "use Zoom's engagement_conference_* events where an engagement has any, or \
                      ignore them and infer everywhere",
    },
];

const RULES: &[RuleInfo] = &[
    RuleInfo {
        name: "correlated",
        version: 2,
        description: "SPEC 5: reservations correlated with transfers and invitations; hand-offs \
                      and supervisors are not conferences; explicit conference events win",
        params: CORRELATED_PARAMS,
        is_default: true,
    },
    RuleInfo {
        name: "party-count",
        version: 1,
        description: "baseline: any period with the customer and two or more agents is a \
                      conference (hand-offs included)",
        params: &[],
        is_default: false,
    },
];

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
        // Accept `correlated@2` and `correlated@2+hash` (the hash is recomputed from params).
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
    let params = Params::parse(info, params)?;
    Ok(build_validated(info, params))
}

/// Build a rule from its name and key/value parameters (as stored with a generation).
pub fn build_from_pairs(
    name: &str,
    pairs: &[(String, String)],
) -> Result<Box<dyn Rule>, RuleError> {
    let info = lookup(name)?;
    let params = Params::from_pairs(info, pairs)?;
    Ok(build_validated(info, params))
}

/// The default rule with default parameters.
pub fn default_rule() -> Box<dyn Rule> {
    build(DEFAULT_RULE, &[]).expect("the default rule builds with its defaults")
}

fn build_validated(info: &RuleInfo, params: Params) -> Box<dyn Rule> {
    let method = match info.name {
        "party-count" => Method::PartyCount,
        _ => Method::Correlated {
            handoff_grace_ms: params.int("handoff_grace_ms"),
            use_explicit: params.get("explicit_conferences") == "use",
        },
    };
    Box::new(Built {
        identity: RuleIdentity::new(info.name, info.version, params.into_map()),
        method,
    })
}

struct Built {
    identity: RuleIdentity,
    method: Method,
}

impl Rule for Built {
    fn identity(&self) -> RuleIdentity {
        self.identity.clone()
    }

    fn project_with(&self, events: &[InputEvent], explicit: ExplicitConferences) -> CallProjection {
        project(&self.identity, self.method, events, explicit)
    }
}
