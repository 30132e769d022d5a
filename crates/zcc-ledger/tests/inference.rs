//! The inference rules on simulated traffic, end to end through the binary: the default rule's
//! conferences against the simulator's truth (F1 at least 0.98), what the `party-count` baseline
//! gets wrong, a shuffled import giving byte-identical projections, and `diff` between the two
//! rules naming only the hand-off calls.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Conf {
    participants: Vec<String>,
    start: i64,
    end: Option<i64>,
}

fn ms(v: &serde_json::Value) -> Option<i64> {
    v.as_str()
        .map(|s| chrono_like(s).unwrap_or_else(|| panic!("not an RFC 3339 time: {s}")))
}

/// RFC 3339 with milliseconds to epoch ms, without pulling a date crate into the test.
fn chrono_like(s: &str) -> Option<i64> {
    // 2026-05-04T14:00:25.340Z
    let b = s.as_bytes();
    if b.len() != 24 || b[23] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, se, milli) = (n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000 + milli)
}

fn conf_of(row: &serde_json::Value) -> Conf {
    let mut participants: Vec<String> = row["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    participants.sort();
    Conf {
        participants,
        start: ms(&row["started_at"]).unwrap(),
        end: ms(&row["ended_at"]),
    }
}

type ByCall = BTreeMap<String, Vec<Conf>>;

fn by_call<'a>(rows: impl Iterator<Item = &'a serde_json::Value>) -> ByCall {
    let mut m = ByCall::new();
    for r in rows {
        m.entry(r["engagement_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(conf_of(r));
    }
    m
}

fn overlaps(a: &Conf, b: &Conf) -> bool {
    a.start < b.end.unwrap_or(i64::MAX) && b.start < a.end.unwrap_or(i64::MAX)
}

/// (true positives, predicted, truth): a conference matches one of the truth's by engagement,
/// agent set and overlapping time.
fn score(pred: &ByCall, truth: &ByCall) -> (usize, usize, usize, BTreeSet<String>) {
    let mut tp = 0;
    let mut wrong = BTreeSet::new();
    for (call, ps) in pred {
        let mut open: Vec<&Conf> = truth
            .get(call)
            .map(|t| t.iter().collect())
            .unwrap_or_default();
        for p in ps {
            if let Some(i) = open
                .iter()
                .position(|t| t.participants == p.participants && overlaps(t, p))
            {
                open.remove(i);
                tp += 1;
            } else {
                wrong.insert(call.clone());
            }
        }
        if !open.is_empty() {
            wrong.insert(call.clone());
        }
    }
    for call in truth.keys().filter(|c| !pred.contains_key(*c)) {
        wrong.insert(call.clone());
    }
    let n = |m: &ByCall| m.values().map(Vec::len).sum::<usize>();
    (tp, n(pred), n(truth), wrong)
}

fn f1(tp: usize, pred: usize, truth: usize) -> (f64, f64, f64) {
    let p = tp as f64 / pred.max(1) as f64;
    let r = tp as f64 / truth.max(1) as f64;
    (
        p,
        r,
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        },
    )
}

fn jsonl(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Simulate with `args`, import into a SQLite ledger in `dir`; the ledger's URL and the truth.
fn simulated_ledger(dir: &std::path::Path, args: &[&str]) -> (String, Vec<serde_json::Value>) {
    let corpus = dir.join("calls.jsonl");
    let truth_file = dir.join("truth.jsonl");
    let sim = bin()
        .arg("simulate")
        .args(args)
        .arg("--output")
        .arg(&corpus)
        .arg("--truth")
        .arg(&truth_file)
        .output()
        .unwrap();
    assert!(sim.status.success(), "{}", stderr(&sim));
    let db = imported_ledger(dir, &corpus);
    (db, jsonl(&std::fs::read_to_string(&truth_file).unwrap()))
}

#[test]
fn default_rule_matches_truth_and_party_count_counts_handoffs() {
    let dir = tempfile::tempdir().unwrap();
    let (db, truth_rows) = simulated_ledger(dir.path(), &["--calls", "1500", "--seed", "11"]);
    let truth = by_call(truth_rows.iter().filter(|r| r["table"] == "conferences"));
    assert!(
        truth.len() > 50,
        "the corpus has conferences ({})",
        truth.len()
    );

    let default = jsonl(&stdout(&run(&db, &["export", "conferences"])));
    let (tp, n_pred, n_truth, wrong) = score(&by_call(default.iter()), &truth);
    let (p, r, f) = f1(tp, n_pred, n_truth);
    eprintln!(
        "correlated: precision {p:.3} recall {r:.3} F1 {f:.3} ({tp}/{n_pred} predicted, {n_truth} true); calls wrong: {wrong:?}"
    );
    assert!(f >= 0.98, "default rule F1 {f:.3} < 0.98");

    // The baseline, built from the same log as a second generation.
    let re = run(&db, &["reproject", "--rule", "party-count"]);
    assert!(re.status.success(), "{}", stderr(&re));
    let baseline = jsonl(&stdout(&run(
        &db,
        &["export", "conferences", "--rule", "party-count"],
    )));
    let (btp, bn_pred, bn_truth, bwrong) = score(&by_call(baseline.iter()), &truth);
    let (bp, br, bf) = f1(btp, bn_pred, bn_truth);
    eprintln!(
        "party-count: precision {bp:.3} recall {br:.3} F1 {bf:.3}; {} predicted conferences are not conferences (transfer hand-offs)",
        bn_pred - btp
    );
    assert!(
        bn_pred > btp,
        "party-count reports hand-offs as conferences"
    );
    assert!(bf < f, "the baseline scores below the default rule");

    // The same scores from `evaluate --truth`, against the simulator's conferences table.
    let truth_path = dir.path().join("truth.jsonl");
    for (rule, want) in [("correlated", f), ("party-count", bf)] {
        let out = run(
            &db,
            &[
                "evaluate",
                rule,
                "--truth",
                truth_path.to_str().unwrap(),
                "--format",
                "json",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let got = report["f1"].as_f64().unwrap();
        assert!(
            (got - want).abs() < 0.005,
            "{rule}: evaluate --truth F1 {got}, the test's {want}"
        );
    }

    // diff names the calls where the two rules disagree: the baseline's false conferences.
    let d = run(&db, &["diff", "1", "2", "--format", "jsonl"]);
    assert!(d.status.success(), "{}", stderr(&d));
    let differing: BTreeSet<String> = jsonl(&stdout(&d))
        .iter()
        .map(|r| r["engagement_id"].as_str().unwrap().to_owned())
        .collect();
    let baseline_only: BTreeSet<String> = bwrong.difference(&wrong).cloned().collect();
    assert!(!differing.is_empty());
    assert!(
        baseline_only.is_subset(&differing),
        "every call the baseline gets wrong and the default gets right differs: {:?}",
        baseline_only.difference(&differing).collect::<Vec<_>>()
    );
}

#[test]
fn shuffled_import_gives_identical_projections() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("calls.jsonl");
    let sim = bin()
        .args(["simulate", "--calls", "300", "--seed", "5", "--output"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(sim.status.success());
    let text = std::fs::read_to_string(&corpus).unwrap();
    // A deterministic shuffle (xorshift), with every line also delivered twice.
    let mut lines: Vec<&str> = text.lines().chain(text.lines()).collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..lines.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        lines.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let shuffled = dir.path().join("shuffled.jsonl");
    std::fs::write(&shuffled, lines.join("\n")).unwrap();

    let a = format!("sqlite://{}", dir.path().join("a.db").display());
    let b = format!("sqlite://{}", dir.path().join("b.db").display());
    assert!(
        run(&a, &["import", corpus.to_str().unwrap()])
            .status
            .success()
    );
    assert!(
        run(&b, &["import", shuffled.to_str().unwrap()])
            .status
            .success()
    );
    // Positions differ between the two logs; everything else must be identical.
    for table in [
        "engagements",
        "legs",
        "holds",
        "transfers",
        "conference_invitations",
        "conferences",
        "supervision",
    ] {
        let strip = |db: &str| -> Vec<serde_json::Value> {
            let mut rows = jsonl(&stdout(&run(db, &["export", table])));
            for r in &mut rows {
                r.as_object_mut().unwrap().remove("evidence");
            }
            rows.sort_by_key(|r| r.to_string());
            rows
        };
        assert_eq!(
            strip(&a),
            strip(&b),
            "table {table} differs after a shuffled import"
        );
    }
}

/// Calls carrying Zoom's conference events, documented shape (30% and 100% of calls) and the
/// older guessed shape, with the simulator's duplicates, reordering and late retries: the
/// conferences match the truth (precision and recall at least 0.99), with Zoom's
/// `conference_id` and outside parties, and `evaluate correlated` scores F1 at least 0.99.
#[test]
fn explicit_conference_events_in_both_shapes_match_truth() {
    for (share, shape) in [("0.3", "documented"), ("1", "documented"), ("1", "guessed")] {
        let dir = tempfile::tempdir().unwrap();
        let (db, truth_rows) = simulated_ledger(
            dir.path(),
            &[
                "--calls",
                "700",
                "--seed",
                "23",
                "--explicit-conference-share",
                share,
                "--conference-shape",
                shape,
            ],
        );
        let truth_confs: Vec<&serde_json::Value> = truth_rows
            .iter()
            .filter(|r| r["table"] == "conferences")
            .collect();
        let truth = by_call(truth_confs.iter().copied());
        let explicit_truth = truth_confs
            .iter()
            .filter(|r| r["source"] == "explicit")
            .count();
        assert!(
            explicit_truth > 20,
            "{share} {shape}: explicit conferences in the corpus"
        );

        let predicted = jsonl(&stdout(&run(&db, &["export", "conferences"])));
        let (tp, n_pred, n_truth, wrong) = score(&by_call(predicted.iter()), &truth);
        let (p, r, _) = f1(tp, n_pred, n_truth);
        eprintln!(
            "{share} {shape}: precision {p:.3} recall {r:.3} ({tp}/{n_pred}, {n_truth} true)"
        );
        assert!(
            p >= 0.99 && r >= 0.99,
            "{share} {shape}: {p:.3}/{r:.3}, wrong: {wrong:?}"
        );

        // Source, Zoom's id and outside parties, as the truth has them.
        let key = |row: &serde_json::Value| {
            (
                row["engagement_id"].as_str().unwrap().to_owned(),
                row["started_at"].as_str().unwrap().to_owned(),
            )
        };
        let by_start: BTreeMap<_, _> = truth_confs.iter().map(|r| (key(r), *r)).collect();
        let mut compared = 0;
        for row in &predicted {
            let Some(t) = by_start.get(&key(row)) else {
                continue;
            };
            compared += 1;
            assert_eq!(row["source"], t["source"], "{share} {shape}: {row}");
            assert_eq!(
                row["conference_id"], t["conference_id"],
                "{share} {shape}: {row}"
            );
            assert_eq!(
                row["external_participants"], t["external_participants"],
                "{share} {shape}: {row}"
            );
        }
        assert!(
            compared * 100 >= predicted.len() * 95,
            "{share} {shape}: starts match"
        );

        let eval = run(&db, &["evaluate", "correlated", "--format", "json"]);
        assert!(eval.status.success(), "{}", stderr(&eval));
        let report: serde_json::Value = serde_json::from_str(&stdout(&eval)).unwrap();
        let f = report["f1"].as_f64().unwrap();
        assert!(
            report["reference_conferences"].as_u64().unwrap() as usize >= explicit_truth * 99 / 100,
            "{share} {shape}: {report}"
        );
        assert!(f >= 0.99, "{share} {shape}: evaluate F1 {f}: {report}");

        if share == "1" {
            // Every call carries the events when there are any: with --since, a call without
            // them had no conference, and the baseline's hand-offs are named as spurious.
            let since = ["--since", "2000-01-01T00:00:00Z", "--format", "json"];
            let eval = |rule: &str| -> serde_json::Value {
                let mut args = vec!["evaluate", rule];
                args.extend(since);
                let out = run(&db, &args);
                assert!(out.status.success(), "{}", stderr(&out));
                serde_json::from_str(&stdout(&out)).unwrap()
            };
            let default = eval("correlated");
            assert!(
                default["f1"].as_f64().unwrap() >= 0.99,
                "{shape}: {default}"
            );
            let baseline = eval("party-count");
            assert!(
                baseline["disagreement_counts"]["spurious"]
                    .as_u64()
                    .unwrap_or(0)
                    > 0,
                "{shape}: {baseline}"
            );
            assert!(baseline["f1"].as_f64().unwrap() < default["f1"].as_f64().unwrap());
        }
    }
}
