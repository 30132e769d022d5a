//! What an evaluation found, and how its text report reads.

use serde::Serialize;
use zcc_model::{Conference, EngagementId};

/// The worst engagements listed in a report.
pub const WORST: usize = 10;

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
    pub engagement_id: EngagementId,
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
    pub engagement_id: EngagementId,
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
