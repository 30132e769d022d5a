//! `party-count@2`, the baseline: any period with the customer and two or more agents is a
//! conference, hand-offs included. Explicit conference events are never read.

use crate::assemble::{assemble, customer_span};
use crate::conference::{leg_presences, sweep};
use crate::fold::fold;
use crate::input::{InputEvent, signals};
use crate::model::{CallProjection, ConferenceSource};
use crate::rule::{ExplicitConferences, Rule, RuleIdentity, RuleInfo, RuleParams};

pub(super) const INFO: RuleInfo = RuleInfo {
    name: "party-count",
    version: 2,
    description: "baseline: any period with the customer and two or more agents is a \
                  conference (hand-offs included)",
    params: &[],
    is_default: false,
    build,
};

/// The baseline rule: conferences by counting parties.
#[derive(Debug, Clone)]
pub struct PartyCount {
    identity: RuleIdentity,
}

fn build(identity: RuleIdentity, _params: &RuleParams) -> Box<dyn Rule> {
    Box::new(PartyCount { identity })
}

impl Rule for PartyCount {
    fn identity(&self) -> RuleIdentity {
        self.identity.clone()
    }

    fn project_with(&self, events: &[InputEvent<'_>], _: ExplicitConferences) -> CallProjection {
        let facts = fold(&signals(events, ExplicitConferences::Hide));
        let (presences, _, _) = leg_presences(&facts, None);
        let conferences = sweep(
            &presences,
            &[],
            customer_span(&facts),
            ConferenceSource::Inferred,
        );
        assemble(&self.identity, &facts, conferences, Vec::new())
    }
}
