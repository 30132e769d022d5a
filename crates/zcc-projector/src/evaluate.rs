//! `zcc-ledger evaluate RULE`: score a rule's conference inference against Zoom's explicit
//! `engagement_conference_*` events, on the engagements that have them.
//!
//! Each such engagement is projected twice: by the default rule reading the explicit events
//! (the reference: its conferences of source `explicit`), and by the rule under test with the
//! explicit events hidden ([`ExplicitConferences::Hide`]), as if they had never been sent. A
//! predicted conference matches a reference conference when they have the same agents and
//! overlap in time (each is matched at most once, in start order). Precision = matched /
//! predicted, recall = matched / reference, F1 their harmonic mean; the start and end errors
//! are the absolute differences of matched pairs (ends only where both are closed).
//!
//! Every disagreement is listed by kind: `missed` (a reference conference nothing predicted
//! overlaps), `spurious` (a predicted conference no reference one overlaps), `participants`
//! (they overlap but the agents differ) and `bounds` (matched, but the start or the end is off
//! by more than [`BOUNDS_TOLERANCE_MS`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use zcc_model::{Conference, ExplicitConferences, Source, rules};
use zcc_store::Position;
use zcc_store::projection::Backend;

use crate::ProjectorError;
use crate::fold::input_events;
use crate::generation::build_rule;

/// Entries read per page while looking for explicit conference events.
const PAGE: usize = 2_000;

/// The worst engagements listed in a report.
pub const WORST: usize = 10;

/// A matched pair whose start or end differs by more than this is a `bounds` disagreement
/// (Zoom's services stamp times a few seconds apart; see `CLOCK_SKEW_MS` in the model).
pub const BOUNDS_TOLERANCE_MS: i64 = 5_000;

/// Disagreements printed by the text report (the JSON report lists them all).
const SHOWN: usize = 50;

/// How a rule's conference and the reference disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DisagreementKind {
    Missed,
    Spurious,
    Participants,
    Bounds,
}

impl DisagreementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DisagreementKind::Missed => "missed",
            DisagreementKind::Spurious => "spurious",
            DisagreementKind::Participants => "participants",
            DisagreementKind::Bounds => "bounds",
        }
    }
}

/// A conference as a disagreement names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConferenceSummary {
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub participants: Vec<String>,
}

impl From<&Conference> for ConferenceSummary {
    fn from(c: &Conference) -> Self {
        ConferenceSummary {
            started_at: c.started_at,
            ended_at: c.ended_at,
            participants: c.participants.clone(),
        }
    }
}

impl ConferenceSummary {
    /// RFC 3339 UTC with milliseconds, as the exports write times.
    fn time(ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .unwrap_or_else(|| ms.to_string())
    }
}

impl std::fmt::Display for ConferenceSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = ConferenceSummary::time;
        write!(
            f,
            "[{}] {}..{}",
            self.participants.join(","),
            t(self.started_at),
            self.ended_at.map_or("open".to_owned(), t)
        )
    }
}

/// One disagreement between the rule and the reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub engagement_id: String,
    pub kind: DisagreementKind,
    pub reference: Option<ConferenceSummary>,
    pub predicted: Option<ConferenceSummary>,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:<12} {}", self.kind.as_str(), self.engagement_id)?;
        if let Some(r) = &self.reference {
            write!(f, "  reference {r}")?;
        }
        if let Some(p) = &self.predicted {
            write!(f, "  predicted {p}")?;
        }
        Ok(())
    }
}

/// How one engagement scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngagementScore {
    pub engagement_id: String,
    pub reference: u64,
    pub predicted: u64,
    pub matched: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
    /// The largest start or end error of a matched pair, in ms.
    pub max_error_ms: i64,
    pub disagreements: Vec<Disagreement>,
}

/// What [`evaluate`] found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub rule: String,
    pub reference_rule: String,
    /// Engagements scored: those with explicit conference events, and with a `since` every
    /// engagement that began after it.
    pub engagements: u64,
    /// The `since` the scope was given (ms), if any.
    pub since_ms: Option<i64>,
    /// The conferences table scored against, if not the explicit events.
    pub truth: Option<String>,
    pub reference_conferences: u64,
    pub predicted_conferences: u64,
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
    /// `None` when there is nothing to divide by.
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub median_start_error_ms: Option<i64>,
    pub median_end_error_ms: Option<i64>,
    /// Up to [`WORST`] engagements, most misses first, then largest error.
    pub worst: Vec<EngagementScore>,
    /// How many disagreements of each kind.
    pub disagreement_counts: std::collections::BTreeMap<DisagreementKind, u64>,
    /// Every disagreement, by engagement.
    pub disagreements: Vec<Disagreement>,
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{:.3}", v));
        let ms = |v: Option<i64>| v.map_or("n/a".to_owned(), |v| format!("{v} ms"));
        let against = match &self.truth {
            Some(name) => format!("the conferences table {name}"),
            None => format!("explicit conference events ({})", self.reference_rule),
        };
        let scope = match (self.since_ms, &self.truth) {
            (Some(t), Some(_)) => format!(" (every call since {})", ConferenceSummary::time(t)),
            (Some(t), None) => format!(
                " (every call since {}, one without explicit events as having no conference)",
                ConferenceSummary::time(t)
            ),
            (None, Some(_)) => " (every call in the log)".to_owned(),
            (None, None) => " (those that have them)".to_owned(),
        };
        writeln!(
            f,
            "rule {} against {against} on {} engagements{scope}",
            self.rule, self.engagements
        )?;
        writeln!(
            f,
            "conferences: {} reference, {} predicted, {} matched, {} false positives, {} false negatives",
            self.reference_conferences,
            self.predicted_conferences,
            self.true_positives,
            self.false_positives,
            self.false_negatives
        )?;
        writeln!(
            f,
            "precision {}  recall {}  F1 {}  median start error {}  median end error {}",
            pct(self.precision),
            pct(self.recall),
            pct(self.f1),
            ms(self.median_start_error_ms),
            ms(self.median_end_error_ms)
        )?;
        if self.disagreements.is_empty() {
            writeln!(f, "no disagreements")?;
        } else {
            let counts: Vec<String> = self
                .disagreement_counts
                .iter()
                .map(|(k, n)| format!("{} {n}", k.as_str()))
                .collect();
            writeln!(f, "disagreements: {}", counts.join(", "))?;
            for d in self.disagreements.iter().take(SHOWN) {
                writeln!(f, "  {d}")?;
            }
            if self.disagreements.len() > SHOWN {
                writeln!(
                    f,
                    "  ... and {} more (--format json lists them all)",
                    self.disagreements.len() - SHOWN
                )?;
            }
        }
        if !self.worst.is_empty() {
            writeln!(f, "worst engagements:")?;
        }
        for w in &self.worst {
            writeln!(
                f,
                "  {}  reference {} predicted {} matched {} (fp {}, fn {}, max error {} ms)",
                w.engagement_id,
                w.reference,
                w.predicted,
                w.matched,
                w.false_positives,
                w.false_negatives,
                w.max_error_ms
            )?;
        }
        Ok(())
    }
}

/// Which engagements [`evaluate`] scores, and against what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalScope {
    /// When the account began receiving conference events (ms). Every engagement whose first
    /// event is at or after it is scored too, one without explicit events as having had no
    /// conference: on such an account that silence is evidence. `None`: only the engagements
    /// that have explicit events (or, with a `truth`, every engagement in the log).
    pub since_ms: Option<i64>,
    /// Score against this conferences table instead of the explicit events.
    pub truth: Option<TruthTable>,
}

/// A conferences table in the export's shape (`engagement_id`, `started_at`, `ended_at`,
/// `participants`), such as the simulator's truth: what really happened, by engagement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TruthTable {
    /// Where it came from, for the report.
    pub name: String,
    pub conferences: BTreeMap<String, Vec<Conference>>,
}

impl TruthTable {
    /// Read JSON Lines rows of the `conferences` table. Rows that carry a `table` field other
    /// than `conferences` (the simulator's truth holds every table) are skipped. An error names
    /// the line and what was wrong.
    pub fn from_jsonl(name: &str, text: &str) -> Result<TruthTable, String> {
        let mut conferences: BTreeMap<String, Vec<Conference>> = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let at = |what: String| format!("{name}:{}: {what}", n + 1);
            if line.trim().is_empty() {
                continue;
            }
            let row: serde_json::Value =
                serde_json::from_str(line).map_err(|e| at(format!("not JSON ({e})")))?;
            if row.get("table").is_some_and(|t| t != "conferences") {
                continue;
            }
            let text_field = |key: &str| {
                row.get(key)
                    .and_then(serde_json::Value::as_str)
                    .ok_or_else(|| at(format!("{key} is missing or not a string")))
            };
            let time = |key: &str| -> Result<Option<i64>, String> {
                match row.get(key) {
                    None | Some(serde_json::Value::Null) => Ok(None),
                    Some(serde_json::Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
                        .map(|t| Some(t.timestamp_millis()))
                        .map_err(|e| at(format!("{key} {s:?} is not an RFC 3339 time ({e})"))),
                    Some(other) => Err(at(format!("{key} is {other}, not a time"))),
                }
            };
            let engagement_id = text_field("engagement_id")?.to_owned();
            let started_at = time("started_at")?.ok_or_else(|| at("started_at is null".into()))?;
            let mut participants: Vec<String> = row
                .get("participants")
                .and_then(serde_json::Value::as_array)
                .ok_or_else(|| at("participants is missing or not a list".into()))?
                .iter()
                .map(|p| {
                    p.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| at(format!("participant {p} is not a string")))
                })
                .collect::<Result<_, _>>()?;
            participants.sort();
            let list = conferences.entry(engagement_id).or_default();
            list.push(Conference {
                conference_index: list.len() as i64 + 1,
                started_at,
                ended_at: time("ended_at")?,
                participants,
                initiated_by: None,
                source: Source::Inferred,
                evidence: Vec::new(),
                conference_id: None,
                external_participants: Vec::new(),
                api_call: None,
            });
        }
        for list in conferences.values_mut() {
            list.sort_by_key(|c| c.started_at);
        }
        Ok(TruthTable {
            name: name.to_owned(),
            conferences,
        })
    }
}

/// Score `rule_name` with `k=v` `params` against the explicit conference events in the log.
pub async fn evaluate<S: Backend + ?Sized>(
    store: &S,
    rule_name: &str,
    params: &[String],
    scope: EvalScope,
) -> Result<EvalReport, ProjectorError> {
    let rule = build_rule(rule_name, params)?;
    let reference = rules::build(
        rules::DEFAULT_RULE,
        &["explicit_conferences=use".to_owned()],
    )
    .map_err(|source| ProjectorError::Rule {
        rule: rules::DEFAULT_RULE.to_owned(),
        source,
    })?;

    // The engagements that have explicit conference events, and (with a `since`) the first
    // event time of every engagement.
    let mut engagements = BTreeSet::new();
    let mut first_seen: BTreeMap<String, i64> = BTreeMap::new();
    let mut after = Position::START;
    loop {
        let page = store.read_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        for e in &page {
            let Some(id) = &e.engagement_id else { continue };
            if e.event_type.contains("engagement_conference_")
                || (scope.truth.is_some() && scope.since_ms.is_none())
            {
                engagements.insert(id.clone());
            }
            if scope.since_ms.is_some() {
                first_seen
                    .entry(id.clone())
                    .and_modify(|t| *t = (*t).min(e.event_time_ms))
                    .or_insert(e.event_time_ms);
            }
        }
    }
    if let Some(since) = scope.since_ms {
        engagements.extend(
            first_seen
                .into_iter()
                .filter(|(_, t)| *t >= since)
                .map(|(id, _)| id),
        );
    }

    let mut scores = Vec::new();
    let mut start_errors = Vec::new();
    let mut end_errors = Vec::new();
    for id in &engagements {
        let events = input_events(&store.engagement_events(id).await?);
        let (truth, predicted) = match &scope.truth {
            // Against what really happened: the rule as it runs, explicit events and all.
            Some(table) => (
                table.conferences.get(id).cloned().unwrap_or_default(),
                rule.project(&events).conferences,
            ),
            None => (
                reference
                    .project(&events)
                    .conferences
                    .into_iter()
                    .filter(|c| c.source == Source::Explicit)
                    .collect(),
                rule.project_with(&events, ExplicitConferences::Hide)
                    .conferences,
            ),
        };
        scores.push(score(
            id,
            &truth,
            &predicted,
            &mut start_errors,
            &mut end_errors,
        ));
    }

    let tp: u64 = scores.iter().map(|s| s.matched).sum();
    let fp: u64 = scores.iter().map(|s| s.false_positives).sum();
    let fneg: u64 = scores.iter().map(|s| s.false_negatives).sum();
    let ratio = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fneg);
    let f1 = match (precision, recall) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    };
    let mut worst: Vec<EngagementScore> = scores
        .iter()
        .filter(|s| s.false_positives + s.false_negatives > 0 || s.max_error_ms > 0)
        .cloned()
        .collect();
    worst.sort_by(|a, b| {
        (b.false_positives + b.false_negatives)
            .cmp(&(a.false_positives + a.false_negatives))
            .then(b.max_error_ms.cmp(&a.max_error_ms))
            .then(a.engagement_id.cmp(&b.engagement_id))
    });
    worst.truncate(WORST);
    let disagreements: Vec<Disagreement> = scores
        .iter()
        .flat_map(|s| s.disagreements.iter().cloned())
        .collect();
    let mut disagreement_counts = std::collections::BTreeMap::new();
    for d in &disagreements {
        *disagreement_counts.entry(d.kind).or_insert(0) += 1;
    }
    Ok(EvalReport {
        rule: rule.identity().to_string(),
        reference_rule: reference.identity().to_string(),
        engagements: engagements.len() as u64,
        since_ms: scope.since_ms,
        truth: scope.truth.as_ref().map(|t| t.name.clone()),
        reference_conferences: tp + fneg,
        predicted_conferences: tp + fp,
        true_positives: tp,
        false_positives: fp,
        false_negatives: fneg,
        precision,
        recall,
        f1,
        median_start_error_ms: median(&mut start_errors),
        median_end_error_ms: median(&mut end_errors),
        worst,
        disagreement_counts,
        disagreements,
    })
}

fn overlaps(a: &Conference, b: &Conference) -> bool {
    let a1 = a.ended_at.unwrap_or(i64::MAX);
    let b1 = b.ended_at.unwrap_or(i64::MAX);
    (a.started_at < b1 && b.started_at < a1) || a.started_at == b.started_at
}

/// Match predicted conferences to reference ones: same agents, overlapping time, each used
/// once, in start order. What stays unmatched, and matched pairs whose bounds are off, are the
/// engagement's disagreements.
pub fn score(
    engagement_id: &str,
    truth: &[Conference],
    predicted: &[Conference],
    start_errors: &mut Vec<i64>,
    end_errors: &mut Vec<i64>,
) -> EngagementScore {
    let mut used = vec![false; predicted.len()];
    let mut unmatched_truth = Vec::new();
    let mut disagreements = Vec::new();
    let mut matched = 0u64;
    let mut max_error_ms = 0i64;
    let disagree = |kind, r: Option<&Conference>, p: Option<&Conference>| Disagreement {
        engagement_id: engagement_id.to_owned(),
        kind,
        reference: r.map(ConferenceSummary::from),
        predicted: p.map(ConferenceSummary::from),
    };
    for t in truth {
        let found = predicted
            .iter()
            .enumerate()
            .find(|(i, p)| !used[*i] && p.participants == t.participants && overlaps(t, p));
        let Some((i, p)) = found else {
            unmatched_truth.push(t);
            continue;
        };
        used[i] = true;
        matched += 1;
        let start = p.started_at.abs_diff(t.started_at).min(i64::MAX as u64) as i64;
        start_errors.push(start);
        let mut worst = start;
        if let (Some(pe), Some(te)) = (p.ended_at, t.ended_at) {
            let end = pe.abs_diff(te).min(i64::MAX as u64) as i64;
            end_errors.push(end);
            worst = worst.max(end);
        } else if p.ended_at.is_some() != t.ended_at.is_some() {
            worst = i64::MAX;
        }
        max_error_ms = max_error_ms.max(worst.min(i64::MAX / 2));
        if worst > BOUNDS_TOLERANCE_MS {
            disagreements.push(disagree(DisagreementKind::Bounds, Some(t), Some(p)));
        }
    }
    for t in unmatched_truth {
        let other = predicted
            .iter()
            .enumerate()
            .find(|(i, p)| !used[*i] && overlaps(t, p));
        match other {
            Some((i, p)) => {
                used[i] = true;
                disagreements.push(disagree(DisagreementKind::Participants, Some(t), Some(p)));
            }
            None => disagreements.push(disagree(DisagreementKind::Missed, Some(t), None)),
        }
    }
    for (i, p) in predicted.iter().enumerate() {
        if !used[i] {
            disagreements.push(disagree(DisagreementKind::Spurious, None, Some(p)));
        }
    }
    EngagementScore {
        engagement_id: engagement_id.to_owned(),
        reference: truth.len() as u64,
        predicted: predicted.len() as u64,
        matched,
        false_positives: predicted.len() as u64 - matched,
        false_negatives: truth.len() as u64 - matched,
        max_error_ms,
        disagreements,
    }
}

fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2
    })
}

#[cfg(test)]
mod tests {
    use super::{median, score};
    use zcc_model::{Conference, Source};

    fn conf(start: i64, end: Option<i64>, who: &[&str]) -> Conference {
        Conference {
            conference_index: 1,
            started_at: start,
            ended_at: end,
            participants: who.iter().map(|s| (*s).to_owned()).collect(),
            initiated_by: None,
            source: Source::Inferred,
            evidence: vec![],
            conference_id: None,
            external_participants: vec![],
            api_call: None,
        }
    }

    #[test]
    fn matching_needs_same_agents_and_overlap() {
        let truth = [
            conf(100, Some(200), &["a", "b"]),
            conf(300, Some(400), &["a", "c"]),
        ];
        let predicted = [
            conf(110, Some(190), &["a", "b"]),
            conf(300, Some(400), &["a", "d"]),
            conf(500, None, &["a", "c"]),
        ];
        let (mut s, mut e) = (vec![], vec![]);
        let sc = score("x", &truth, &predicted, &mut s, &mut e);
        assert_eq!(
            (sc.matched, sc.false_positives, sc.false_negatives),
            (1, 2, 1)
        );
        assert_eq!(s, vec![10]);
        assert_eq!(e, vec![10]);
        assert_eq!(sc.max_error_ms, 10);
        let kinds: Vec<&str> = sc.disagreements.iter().map(|d| d.kind.as_str()).collect();
        // [a,c]@300 overlaps only [a,d]@300: the agents differ; [a,c]@500 overlaps nothing.
        assert_eq!(kinds, ["participants", "spurious"]);
    }

    #[test]
    fn bounds_beyond_the_tolerance_and_misses_are_named() {
        let truth = [
            conf(0, Some(100_000), &["a", "b"]),
            conf(200_000, Some(300_000), &["a", "c"]),
        ];
        let predicted = [conf(6_000, Some(100_000), &["a", "b"])];
        let (mut s, mut e) = (vec![], vec![]);
        let sc = score("x", &truth, &predicted, &mut s, &mut e);
        let kinds: Vec<&str> = sc.disagreements.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(kinds, ["bounds", "missed"]);
        assert_eq!(sc.matched, 1);
    }

    #[test]
    fn a_truth_table_is_read_and_its_errors_name_the_line() {
        let text = concat!(
            r#"{"table":"legs","engagement_id":"e1"}"#,
            "\n",
            r#"{"table":"conferences","engagement_id":"e1","started_at":"2026-05-04T14:00:35.000Z","ended_at":null,"participants":["b","a"]}"#,
            "\n\n",
            r#"{"engagement_id":"e2","started_at":"2026-05-04T14:00:00Z","ended_at":"2026-05-04T14:01:00Z","participants":[]}"#,
            "\n",
        );
        let t = super::TruthTable::from_jsonl("t.jsonl", text).unwrap();
        assert_eq!(t.conferences.len(), 2);
        assert_eq!(t.conferences["e1"][0].participants, ["a", "b"]);
        assert_eq!(t.conferences["e1"][0].ended_at, None);
        assert_eq!(t.conferences["e2"][0].ended_at, Some(1_777_903_260_000));
        let err = super::TruthTable::from_jsonl(
            "t.jsonl",
            "\n{\"engagement_id\":\"e\",\"started_at\":\"2026-05-04T14:00:00Z\",\"participants\":\"a\"}",
        )
        .unwrap_err();
        assert!(err.starts_with("t.jsonl:2: participants"), "{err}");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
    }
}
