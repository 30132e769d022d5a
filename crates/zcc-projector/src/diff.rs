//! `zcc-ledger diff BASE CANDIDATE`: the engagements whose derived facts differ between two
//! generations, and what kind of difference each is.
//!
//! Documents are compared section by section as JSON values, with the rule identity taken out
//! (it differs between any two rules and is not a derived fact). Conferences are matched by
//! overlapping time to tell added, removed, moved and re-staffed conferences apart; transfers
//! by position in the list to tell outcome changes from other changes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use zcc_store::EngagementId;
use zcc_store::projection::{Backend, GenerationId, ProjectionDoc};

use crate::ProjectorError;
use crate::generation::get;

/// Documents read per page from each generation.
const PAGE: usize = 1_000;

/// One engagement that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngagementDiff {
    pub engagement_id: EngagementId,
    /// The kinds of difference, sorted (see [`DiffReport::kinds`]).
    pub kinds: Vec<&'static str>,
}

/// What [`diff`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    pub base: GenerationId,
    pub base_rule: String,
    pub candidate: GenerationId,
    pub candidate_rule: String,
    /// Engagements present in either generation.
    pub engagements: u64,
    /// Engagements whose documents differ.
    pub differing: u64,
    /// How many engagements show each kind of difference: `only_in_base`,
    /// `only_in_candidate`, `conference_added`, `conference_removed`,
    /// `conference_bounds_changed`, `conference_participants_changed`,
    /// `conference_source_changed`, `transfer_outcome_changed`, `transfers_changed`,
    /// `invitations_changed`, `legs_changed`, `holds_changed`, `supervision_changed`,
    /// `engagement_changed`, `derived_events_changed`.
    pub kinds: BTreeMap<&'static str, u64>,
    /// Every differing engagement, in engagement-id order.
    pub engagement_diffs: Vec<EngagementDiff>,
}

impl std::fmt::Display for DiffReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "base {} ({}) vs candidate {} ({}): {} of {} engagements differ",
            self.base,
            self.base_rule,
            self.candidate,
            self.candidate_rule,
            self.differing,
            self.engagements
        )?;
        for (kind, n) in &self.kinds {
            writeln!(f, "  {kind:<32} {n}")?;
        }
        for d in &self.engagement_diffs {
            writeln!(f, "{}  {}", d.engagement_id, d.kinds.join(", "))?;
        }
        Ok(())
    }
}

/// Compare two generations' documents, engagement by engagement (merge of two id-ordered
/// scans: memory holds one page of each plus the list of differences).
pub async fn diff<S: Backend + ?Sized>(
    store: &S,
    base: GenerationId,
    candidate: GenerationId,
) -> Result<DiffReport, ProjectorError> {
    let base_gen = get(store, base).await?;
    let cand_gen = get(store, candidate).await?;
    let mut report = DiffReport {
        base,
        base_rule: base_gen.rule_identity,
        candidate,
        candidate_rule: cand_gen.rule_identity,
        engagements: 0,
        differing: 0,
        kinds: BTreeMap::new(),
        engagement_diffs: Vec::new(),
    };
    let mut left = Pager::new(base);
    let mut right = Pager::new(candidate);
    loop {
        let l = left.peek(store).await?.map(|d| d.engagement_id.clone());
        let r = right.peek(store).await?.map(|d| d.engagement_id.clone());
        let (kinds, id) = match (l, r) {
            (None, None) => break,
            (Some(l), r) if r.as_ref().is_none_or(|r| l < *r) => {
                left.pop();
                (vec!["only_in_base"], l)
            }
            (l, Some(r)) if l.as_ref().is_none_or(|l| r < *l) => {
                right.pop();
                (vec!["only_in_candidate"], r)
            }
            (Some(l), Some(_)) => {
                let a = left.pop().expect("peeked");
                let b = right.pop().expect("peeked");
                let kinds = if a.doc == b.doc {
                    Vec::new()
                } else {
                    compare(&parse(base, &a)?, &parse(candidate, &b)?)
                };
                (kinds, l)
            }
            (None, Some(_)) | (Some(_), None) => unreachable!("covered by the guards above"),
        };
        report.engagements += 1;
        if !kinds.is_empty() {
            report.differing += 1;
            for k in &kinds {
                *report.kinds.entry(k).or_default() += 1;
            }
            report.engagement_diffs.push(EngagementDiff {
                engagement_id: id,
                kinds,
            });
        }
    }
    Ok(report)
}

struct Pager {
    id: GenerationId,
    page: std::collections::VecDeque<ProjectionDoc>,
    after: Option<EngagementId>,
    done: bool,
}

impl Pager {
    fn new(id: GenerationId) -> Pager {
        Pager {
            id,
            page: Default::default(),
            after: None,
            done: false,
        }
    }

    async fn peek<S: Backend + ?Sized>(
        &mut self,
        store: &S,
    ) -> Result<Option<&ProjectionDoc>, ProjectorError> {
        if self.page.is_empty() && !self.done {
            let page = store
                .scan_projections(self.id, self.after.as_ref(), PAGE)
                .await?;
            self.done = page.len() < PAGE;
            self.after = page.last().map(|d| d.engagement_id.clone());
            self.page.extend(page);
        }
        Ok(self.page.front())
    }

    fn pop(&mut self) -> Option<ProjectionDoc> {
        self.page.pop_front()
    }
}

fn parse(generation: GenerationId, doc: &ProjectionDoc) -> Result<Value, ProjectorError> {
    serde_json::from_str(&doc.doc).map_err(|e| ProjectorError::BadDocument {
        generation,
        engagement_id: doc.engagement_id.clone(),
        reason: e.to_string(),
    })
}

/// Take the rule identity out of a document (top level and each derived event).
fn without_rule(mut doc: Value) -> Value {
    if let Some(o) = doc.as_object_mut() {
        o.remove("rule");
        if let Some(Value::Array(events)) = o.get_mut("derived_events") {
            for e in events {
                if let Some(e) = e.as_object_mut() {
                    e.remove("rule");
                }
            }
        }
    }
    doc
}

fn section<'a>(doc: &'a Value, name: &str) -> &'a [Value] {
    doc.get(name)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

/// Whether two conferences overlap in time (an open end runs forever).
fn overlaps(a: &Value, b: &Value) -> bool {
    let (Some(a0), Some(b0)) = (int(a, "started_at"), int(b, "started_at")) else {
        return false;
    };
    let a1 = int(a, "ended_at").unwrap_or(i64::MAX);
    let b1 = int(b, "ended_at").unwrap_or(i64::MAX);
    a0 < b1 && b0 < a1 || a0 == b0
}

/// The kinds of difference between two documents of one engagement, sorted.
pub fn compare(base: &Value, candidate: &Value) -> Vec<&'static str> {
    let a = without_rule(base.clone());
    let b = without_rule(candidate.clone());
    let mut kinds = Vec::new();
    if a == b {
        return kinds;
    }
    if a.get("engagement") != b.get("engagement") {
        kinds.push("engagement_changed");
    }
    for (name, kind) in [
        ("legs", "legs_changed"),
        ("holds", "holds_changed"),
        ("conference_invitations", "invitations_changed"),
        ("supervision", "supervision_changed"),
        ("derived_events", "derived_events_changed"),
    ] {
        if section(&a, name) != section(&b, name) {
            kinds.push(kind);
        }
    }
    // Transfers: an outcome change is reported as such; anything else as a transfer change.
    let (ta, tb) = (section(&a, "transfers"), section(&b, "transfers"));
    if ta != tb {
        let strip = |t: &Value| {
            let mut t = t.clone();
            if let Some(o) = t.as_object_mut() {
                o.remove("outcome");
                o.remove("outcome_at");
            }
            t
        };
        let outcome_only =
            ta.len() == tb.len() && ta.iter().zip(tb).all(|(x, y)| strip(x) == strip(y));
        if ta.len() == tb.len()
            && ta.iter().zip(tb).any(|(x, y)| {
                x.get("outcome") != y.get("outcome") || x.get("outcome_at") != y.get("outcome_at")
            })
        {
            kinds.push("transfer_outcome_changed");
        }
        if !outcome_only {
            kinds.push("transfers_changed");
        }
    }
    // Conferences: match by overlapping time, greedily in start order.
    let (ca, cb) = (section(&a, "conferences"), section(&b, "conferences"));
    if ca != cb {
        let mut used = vec![false; cb.len()];
        for x in ca {
            let found = cb
                .iter()
                .enumerate()
                .find(|(i, y)| !used[*i] && overlaps(x, y));
            match found {
                None => kinds.push("conference_removed"),
                Some((i, y)) => {
                    used[i] = true;
                    if x.get("started_at") != y.get("started_at")
                        || x.get("ended_at") != y.get("ended_at")
                    {
                        kinds.push("conference_bounds_changed");
                    }
                    if x.get("participants") != y.get("participants") {
                        kinds.push("conference_participants_changed");
                    }
                    if x.get("source") != y.get("source") {
                        kinds.push("conference_source_changed");
                    }
                }
            }
        }
        if used.iter().any(|u| !u) {
            kinds.push("conference_added");
        }
    }
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

#[cfg(test)]
mod tests {
    use super::compare;
    use serde_json::{Value, json};

    fn doc(conferences: &[&Value], transfers: &[&Value]) -> Value {
        json!({"rule": {"name": "x"}, "engagement": {"engagement_id": "e"}, "legs": [],
               "holds": [], "transfers": transfers, "conference_invitations": [],
               "conferences": conferences, "supervision": [], "derived_events": []})
    }

    #[test]
    fn identical_apart_from_the_rule_is_no_difference() {
        let mut b = doc(&[], &[]);
        b["rule"] = json!({"name": "y"});
        assert!(compare(&doc(&[], &[]), &b).is_empty());
    }

    #[test]
    fn conferences_added_removed_and_moved() {
        let c1 = json!({"started_at": 10, "ended_at": 20, "participants": ["a", "b"], "source": "inferred"});
        let c1_later = json!({"started_at": 12, "ended_at": 20, "participants": ["a", "b"], "source": "inferred"});
        let c1_more = json!({"started_at": 10, "ended_at": 20, "participants": ["a", "b", "c"], "source": "inferred"});
        let c2 = json!({"started_at": 50, "ended_at": null, "participants": ["a", "c"], "source": "inferred"});
        assert_eq!(
            compare(&doc(&[], &[]), &doc(&[&c1], &[])),
            vec!["conference_added"]
        );
        assert_eq!(
            compare(&doc(&[&c1, &c2], &[]), &doc(&[&c1], &[])),
            vec!["conference_removed"]
        );
        assert_eq!(
            compare(&doc(&[&c1], &[]), &doc(&[&c1_later], &[])),
            vec!["conference_bounds_changed"]
        );
        assert_eq!(
            compare(&doc(&[&c1], &[]), &doc(&[&c1_more, &c2], &[])),
            vec!["conference_added", "conference_participants_changed"]
        );
    }

    #[test]
    fn transfer_outcome_is_told_apart() {
        let t = json!({"from_user": "a", "outcome": "completed", "outcome_at": 5});
        let t2 = json!({"from_user": "a", "outcome": "timeout", "outcome_at": 5});
        let t3 = json!({"from_user": "b", "outcome": "completed", "outcome_at": 5});
        assert_eq!(
            compare(&doc(&[], &[&t]), &doc(&[], &[&t2])),
            vec!["transfer_outcome_changed"]
        );
        assert_eq!(
            compare(&doc(&[], &[&t]), &doc(&[], &[&t3])),
            vec!["transfers_changed"]
        );
    }
}
