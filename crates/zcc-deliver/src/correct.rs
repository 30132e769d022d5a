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

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(id: &str, kind: &str, at: &str) -> Fact {
        let mut row = serde_json::Map::new();
        row.insert("at".into(), at.into());
        Fact {
            event_id: id.into(),
            kind: kind.into(),
            engagement_id: "E".into(),
            account_id: None,
            row,
            digest: format!("{kind}@{at}"),
        }
    }

    #[test]
    fn new_changed_and_vanished_facts_make_the_next_revision() {
        let first = [
            fact("a", "call_started", "t0"),
            fact("b", "conference_started", "t2"),
        ];
        let r1 = correct(None, &first).expect("everything is new");
        assert_eq!(r1.published.revision, 1);
        assert_eq!(r1.changes.len(), 2);
        assert_eq!(
            correct(Some(&r1.published), &first),
            None,
            "nothing changed"
        );
        // A late event: call_started moves, the conference no longer stands, a leg ends.
        let second = [
            fact("a", "call_started", "t-1"),
            fact("c", "agent_left", "t1"),
        ];
        let r2 = correct(Some(&r1.published), &second).unwrap();
        assert_eq!(r2.published.revision, 2);
        assert_eq!(
            r2.changes,
            vec![
                Change::Stands(second[0].clone()),
                Change::Stands(second[1].clone()),
                Change::Retracted {
                    event_id: "b".into(),
                    kind: "conference_started".into()
                },
            ]
        );
        let stored = Published::from_stored(2, &r2.published.facts_json()).unwrap();
        assert_eq!(stored, r2.published);
        // Every fact gone: each is retracted.
        let r3 = correct(Some(&stored), &[]).unwrap();
        assert_eq!(r3.changes.len(), 2);
        assert!(r3.published.facts.is_empty());
    }
}
