//! `correlated@3` (SPEC 5, the default): reservations correlated with transfers and
//! invitations; hand-offs and supervisors are not conferences; where Zoom's explicit conference
//! events exist they win.

use crate::assemble::{assemble, customer_span};
use crate::conference::{leg_presences, sweep};
use crate::explicit;
use crate::fold::fold;
use crate::input::{InputEvent, signals};
use crate::model::{CallProjection, ConferenceSource};
use crate::rule::{
    ExplicitConferences, ParamKind, ParamSpec, Rule, RuleIdentity, RuleInfo, RuleParams,
};

const PARAMS: &[ParamSpec] = &[
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

pub(super) const INFO: RuleInfo = RuleInfo {
    name: "correlated",
    version: 3,
    description: "SPEC 5: reservations correlated with transfers and invitations; hand-offs \
                  and supervisors are not conferences; explicit conference events win",
    params: PARAMS,
    is_default: true,
    build,
};

/// The default rule, with its effective parameters.
#[derive(Debug, Clone)]
pub struct Correlated {
    identity: RuleIdentity,
    handoff_grace_ms: i64,
    use_explicit: bool,
}

fn build(identity: RuleIdentity, params: &RuleParams) -> Box<dyn Rule> {
    Box::new(Correlated {
        handoff_grace_ms: params.int("handoff_grace_ms"),
        use_explicit: params.get("explicit_conferences") == "use",
        identity,
    })
}

impl Rule for Correlated {
    fn identity(&self) -> RuleIdentity {
        self.identity.clone()
    }

    fn project_with(
        &self,
        events: &[InputEvent<'_>],
        explicit: ExplicitConferences,
    ) -> CallProjection {
        let shown = if self.use_explicit {
            explicit
        } else {
            ExplicitConferences::Hide
        };
        let facts = fold(&signals(events, shown));
        let customer = customer_span(&facts);
        let (presences, _, edges) = leg_presences(&facts, Some(self.handoff_grace_ms));
        let inferred = sweep(&presences, &edges, customer, ConferenceSource::Inferred);
        let (conferences, diagnostics) = if facts.has_explicit {
            explicit::combine(&facts, explicit::conferences(&facts, customer), inferred)
        } else {
            (inferred, Vec::new())
        };
        assemble(&self.identity, &facts, conferences, diagnostics)
    }
}
