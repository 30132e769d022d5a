//! Matching one engagement's predicted conferences to the reference ones.

use zcc_model::{Conference, EngagementId};

use super::report::{ConferenceSummary, Disagreement, DisagreementKind, EngagementScore};

/// A matched pair whose start or end differs by more than this is a `bounds` disagreement
/// (Zoom's services stamp times a few seconds apart; see `CLOCK_SKEW_MS` in the model).
pub const BOUNDS_TOLERANCE_MS: i64 = 5_000;

pub(super) fn overlaps(a: &Conference, b: &Conference) -> bool {
    let a1 = a.ended_at.unwrap_or(i64::MAX);
    let b1 = b.ended_at.unwrap_or(i64::MAX);
    (a.started_at < b1 && b.started_at < a1) || a.started_at == b.started_at
}

/// Match predicted conferences to reference ones: same agents, overlapping time, each used
/// once, in start order. What stays unmatched, and matched pairs whose bounds are off, are the
/// engagement's disagreements.
pub fn score(
    engagement_id: &EngagementId,
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
        engagement_id: engagement_id.clone(),
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
        engagement_id: engagement_id.clone(),
        reference: truth.len() as u64,
        predicted: predicted.len() as u64,
        matched,
        false_positives: predicted.len() as u64 - matched,
        false_negatives: truth.len() as u64 - matched,
        max_error_ms,
        disagreements,
    }
}

pub(super) fn median(values: &mut [i64]) -> Option<i64> {
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
    use zcc_model::{Conference, ConferenceSource};

    fn conf(start: i64, end: Option<i64>, who: &[&str]) -> Conference {
        Conference {
            conference_index: 1,
            started_at: start,
            ended_at: end,
            participants: who.iter().map(|s| (*s).to_owned()).collect(),
            initiated_by: None,
            source: ConferenceSource::Inferred,
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
        let sc = score(&"x".into(), &truth, &predicted, &mut s, &mut e);
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
        let sc = score(&"x".into(), &truth, &predicted, &mut s, &mut e);
        let kinds: Vec<&str> = sc.disagreements.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(kinds, ["bounds", "missed"]);
        assert_eq!(sc.matched, 1);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
    }
}
