//! The correction function: given what subscribers were told about an engagement and its
//! current facts, the messages of its next revision. Pure: publishing (`zcc-app`) reads the
//! inputs and stores the outputs in one commit.
//!
//! The rule it keeps (`docs/DELIVERY.md`): a subscriber that keeps, per `event_id`, the message
//! with the highest revision (a retraction removing the fact) holds exactly the engagement's
//! current facts. So the next revision carries every fact that is new or whose row changed,
//! and a `derived_event.retracted` for every fact told before that no longer stands.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fact::Fact;

/// What subscribers were told about one fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Told {
    pub kind: String,
    /// The fact's [`Fact::digest`] when it was sent.
    pub digest: String,
}

/// An engagement's published state: its revision and the facts standing at it, by `event_id`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Published {
    pub revision: i64,
    pub facts: BTreeMap<String, Told>,
}

impl Published {
    /// The stored form of the facts (`published_engagements.facts`).
    pub fn facts_json(&self) -> String {
        serde_json::to_string(&self.facts).expect("told facts serialise")
    }

    /// Read the stored form back.
    pub fn from_stored(revision: i64, facts: &str) -> Result<Published, String> {
        let facts = serde_json::from_str(facts)
            .map_err(|e| format!("published facts are not a JSON object of told facts: {e}"))?;
        Ok(Published { revision, facts })
    }
}

/// One message of a revision.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A fact that is new, or whose row changed.
    Stands(Fact),
    /// A fact told before that no longer stands.
    Retracted { event_id: String, kind: String },
}

/// The next revision of an engagement whose facts changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub published: Published,
    /// Standing facts in the projection's order, then retractions in `event_id` order.
    pub changes: Vec<Change>,
}

/// The next revision, or `None` when the current facts are what was told (nothing to send).
pub fn correct(previous: Option<&Published>, current: &[Fact]) -> Option<Revision> {
    let empty = Published::default();
    let previous = previous.unwrap_or(&empty);
    let mut changes = Vec::new();
    let mut facts = BTreeMap::new();
    for fact in current {
        let changed = previous
            .facts
            .get(&fact.event_id)
            .is_none_or(|told| told.digest != fact.digest);
        if changed {
            changes.push(Change::Stands(fact.clone()));
        }
        facts.insert(
            fact.event_id.clone(),
            Told {
                kind: fact.kind.clone(),
                digest: fact.digest.clone(),
            },
        );
    }
    for (event_id, told) in &previous.facts {
        if !facts.contains_key(event_id) {
            changes.push(Change::Retracted {
                event_id: event_id.clone(),
                kind: told.kind.clone(),
            });
        }
    }
    if changes.is_empty() {
        return None;
    }
    Some(Revision {
        published: Published {
            revision: previous.revision + 1,
            facts,
        },
        changes,
    })
}
