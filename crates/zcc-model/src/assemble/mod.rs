//! From folded facts and a rule's conferences to a [`CallProjection`]: the records
//! (`records`) and the derived events (`derived`), each with its evidence and the rule's
//! identity. How conferences are found is the rule's own ([`crate::rules`]).

mod derived;
mod phases;
mod records;

use crate::conference::{ConfOut, CustomerSpan};
use crate::fold::Facts;
use crate::model::{CallProjection, Diagnostic, Position};
use crate::rule::RuleIdentity;

/// The customer's presence, which bounds every conference.
pub(crate) fn customer_span(facts: &Facts) -> CustomerSpan<'_> {
    facts
        .customer_leg
        .as_ref()
        .map(|c| (c.joined_at, c.left_at, c.leave_ev.as_slice()))
}

/// Positions cited as evidence: sorted, each once.
fn ev(mut v: Vec<Position>) -> Vec<Position> {
    v.sort_unstable();
    v.dedup();
    v
}

/// The projection of one engagement by the rule `identity`.
pub(crate) fn assemble(
    identity: &RuleIdentity,
    f: &Facts,
    confs: Vec<ConfOut>,
    diagnostics: Vec<Diagnostic>,
) -> CallProjection {
    let start = f.start();
    let end = f.end();
    let engagement = records::engagement(f, start.as_ref(), end.as_ref());
    let derived_events = derived::events(
        identity,
        &engagement.engagement_id,
        f,
        start.as_ref(),
        end.as_ref(),
        &confs,
    );
    CallProjection {
        rule: identity.clone(),
        engagement,
        legs: records::legs(f),
        holds: records::holds(f),
        transfers: records::transfers(f),
        conference_invitations: records::invitations(f),
        conferences: records::conferences(confs),
        supervision: records::supervision(f),
        derived_events,
        diagnostics,
        phases: phases::phases(f),
        offers: phases::offers(f),
        wrap_ups: phases::wrap_ups(f),
        dispositions: phases::dispositions(f),
        notes: phases::notes(f),
    }
}
