//! The generator's promises: determinism, well-formed bodies, every pattern, faithful
//! duplicates, bounded lateness and bounded memory, and truth consistent with the bodies.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;
use zcc_sim::{
    DeliveryKind, MAX_LATE_MS, Pattern, SimConfig, SimItem, TruthRow, Webhook, generate,
};

fn config(calls: u64, seed: u64) -> SimConfig {
    SimConfig {
        calls,
        seed,
        ..SimConfig::default()
    }
}

fn run(cfg: &SimConfig) -> (Vec<Webhook>, Vec<TruthRow>) {
    let mut deliveries = Vec::new();
    let mut truth = Vec::new();
    for item in generate(cfg).expect("valid config") {
        match item {
            SimItem::Webhook(d) => deliveries.push(d),
            SimItem::Truth(t) => truth.push(*t),
        }
    }
    (deliveries, truth)
}

fn object(body: &str) -> serde_json::Map<String, Value> {
    let v: Value = serde_json::from_str(body).expect("body is JSON");
    v["payload"]["object"]
        .as_object()
        .expect("payload.object")
        .clone()
}

#[test]
fn same_seed_gives_identical_bytes_and_other_seeds_differ() {
    let collect = |seed| -> Vec<String> {
        generate(&config(150, seed))
            .unwrap()
            .map(|i| match i {
                SimItem::Webhook(d) => d.body,
                SimItem::Truth(t) => t.to_json_line(),
            })
            .collect()
    };
    let a = collect(7);
    let b = collect(7);
    assert!(
        a.len() > 3_000,
        "150 calls should give thousands of items, got {}",
        a.len()
    );
    assert_eq!(a, b, "same seed must give byte-identical output");
    assert_ne!(a, collect(8), "a different seed must give different output");
}

#[test]
fn bodies_are_zoom_shaped_envelopes_and_unique_except_duplicates() {
    let (deliveries, _) = run(&config(300, 3));
    let mut firsts = BTreeSet::new();
    let mut sizes = Vec::new();
    for d in &deliveries {
        let env = zcc_events::read_envelope(d.body.as_bytes())
            .unwrap_or_else(|e| panic!("body is not an envelope ({e}): {}", d.body));
        assert!(env.event.starts_with("contact_center."), "{}", env.event);
        assert!(env.account_id.is_some(), "no account_id: {}", d.body);
        assert!(
            env.engagement_id.as_deref().is_some_and(|e| e.len() == 22),
            "{}",
            d.body
        );
        let ts = env.event_time_ms.expect("event_ts");
        assert!(
            (0..=250).contains(&(ts - d.event_time_ms)),
            "event_ts {ts} far from event time {}",
            d.event_time_ms
        );
        assert!(
            !d.body.contains('\n') && !d.body.contains(": "),
            "body is not compact JSON"
        );
        let obj = object(&d.body);
        // SPEC I7: task and reservation events carry their time in last_modified_time_ms.
        let time_field = if obj.contains_key("last_modified_time_ms") {
            "last_modified_time_ms"
        } else {
            "date_time_ms"
        };
        let stamp = obj[time_field]
            .as_str()
            .unwrap_or_else(|| panic!("{time_field} missing: {}", d.body));
        assert_eq!(
            stamp,
            zcc_sim::iso_ms(d.event_time_ms),
            "object time must equal event time"
        );
        if env.event.contains("task_reservation_") {
            assert!(
                obj["task_reservation_id"]
                    .as_str()
                    .unwrap()
                    .starts_with("ZWR")
            );
            assert!(obj["task_id"].as_str().unwrap().starts_with("ZWT"));
            assert!(obj["assigned_user_id"].is_string());
        }
        if d.kind != DeliveryKind::Duplicate {
            assert!(
                firsts.insert(d.body.clone()),
                "two distinct events share a body: {}",
                d.body
            );
        }
        sizes.push(d.body.len());
    }
    sizes.sort_unstable();
    let median = sizes[sizes.len() / 2];
    assert!(
        (600..=1_600).contains(&median),
        "median body {median} B, expected ~0.7-1.5 KB"
    );
}

#[test]
fn every_pattern_and_variation_appears_in_a_thousand_calls() {
    let (deliveries, truth) = run(&config(1_000, 11));
    let mut patterns = BTreeSet::new();
    let mut tables: BTreeMap<&str, usize> = BTreeMap::new();
    let mut sources = BTreeSet::new();
    let mut modes = BTreeSet::new();
    let mut namings = BTreeSet::new();
    let mut omitted = BTreeSet::new();
    let mut invite_outcomes = BTreeSet::new();
    let mut transfers = BTreeSet::new();
    for row in &truth {
        *tables.entry(row.table()).or_default() += 1;
        match row {
            TruthRow::Engagements(e) => {
                patterns.insert(e.pattern.clone());
                omitted.extend(e.omitted_events.iter().cloned());
            }
            TruthRow::Conferences(c) => {
                sources.insert(c.source.clone());
                assert!(
                    c.participants.len() >= 2,
                    "a conference needs two agents: {c:?}"
                );
                assert_eq!(c.rule, "truth");
                assert!(c.evidence.is_empty());
            }
            TruthRow::Supervision(s) => {
                modes.insert(s.mode.clone());
                namings.insert(s.naming.clone());
            }
            TruthRow::ConferenceInvitations(i) => {
                invite_outcomes.insert(i.outcome.clone());
            }
            TruthRow::Transfers(t) => {
                transfers.insert((t.transfer_type.clone(), t.transfer_level.clone()));
            }
            TruthRow::Holds(_) => {}
        }
    }
    for (p, _) in Pattern::MIX {
        assert!(patterns.contains(p.name()), "pattern {} missing", p.name());
    }
    assert_eq!(tables["engagements"], 1_000);
    assert_eq!(
        sources,
        BTreeSet::from(["explicit".into(), "inferred".into()])
    );
    assert_eq!(
        modes,
        ["barge", "listen", "takeover", "whisper"]
            .map(String::from)
            .into()
    );
    assert_eq!(namings, ["legacy", "monitor"].map(String::from).into());
    assert_eq!(
        invite_outcomes,
        ["accepted", "canceled", "rejected", "timeout"]
            .map(String::from)
            .into()
    );
    assert_eq!(transfers.len(), 4, "cold/warm x queue/user: {transfers:?}");
    for e in [
        "engagement_ended",
        "engagement_consumer_answered",
        "engagement_transfer_completed",
    ] {
        assert!(omitted.contains(e), "no call omits {e}");
    }
    let events: BTreeSet<String> = deliveries
        .iter()
        .map(|d| zcc_events::read_envelope(d.body.as_bytes()).unwrap().event)
        .collect();
    for e in [
        "engagement_conference_participant_invited",
        "engagement_conference_participant_joined",
        "engagement_conference_participant_left",
        "engagement_conference_participant_rejected",
        "engagement_conference_participant_timeout",
        "engagement_conference_participant_canceled",
        "engagement_conference_canceled",
        "engagement_monitor_started",
        "engagement_monitor_ended",
        "engagement_takeover_started",
        "engagement_user_monitor_initiated",
        "engagement_user_whisper_initiated",
        "engagement_user_barge_initiated",
        "engagement_user_takeover_initiated",
        "engagement_transfer_initiated",
        "engagement_transfer_queued",
        "engagement_transfer_reserved",
        "engagement_transfer_accepted",
        "engagement_transfer_completed",
        "task_reservation_timeout",
        "task_reservation_rejected",
        "engagement_user_hold",
        "engagement_user_unhold",
        "engagement_consumer_notified",
    ] {
        assert!(
            events.contains(&format!("contact_center.{e}")),
            "event {e} never sent"
        );
    }
}

#[test]
fn calls_overlap_in_time() {
    let (_, truth) = run(&config(200, 5));
    let spans: Vec<(String, String)> = truth
        .iter()
        .filter_map(|r| match r {
            TruthRow::Engagements(e) => Some((e.started_at.clone(), e.ended_at.clone())),
            _ => None,
        })
        .collect();
    // RFC 3339 UTC strings of equal shape compare like times.
    let max_overlap = spans
        .iter()
        .map(|(s, _)| spans.iter().filter(|(s2, e2)| s2 <= s && e2 > s).count())
        .max()
        .unwrap();
    assert!(
        max_overlap >= 10,
        "at most {max_overlap} calls at once; expected many"
    );
}

#[test]
fn duplicates_repeat_exact_bytes_and_late_retries_stay_within_85_minutes() {
    let (deliveries, _) = run(&config(1_000, 21));
    let mut groups: HashMap<&str, Vec<DeliveryKind>> = HashMap::new();
    let mut late = 0;
    let mut max_late = 0;
    let mut out_of_order = 0;
    let mut newest_event = i64::MIN;
    let mut last_delivery = i64::MIN;
    for d in &deliveries {
        groups.entry(d.body.as_str()).or_default().push(d.kind);
        assert!(
            d.deliver_at_ms >= last_delivery,
            "deliveries must come in delivery order"
        );
        last_delivery = d.deliver_at_ms;
        let lateness = d.deliver_at_ms - d.event_time_ms;
        assert!(
            lateness > 0 && lateness <= MAX_LATE_MS,
            "delivery {lateness} ms after its event"
        );
        if let DeliveryKind::LateRetry { attempt } = d.kind {
            late += 1;
            assert!((1..=3).contains(&attempt));
            assert!(
                lateness >= 5 * 60_000,
                "a retry comes at least 5 minutes late"
            );
            max_late = max_late.max(lateness);
        }
        if d.event_time_ms < newest_event {
            out_of_order += 1;
        }
        newest_event = newest_event.max(d.event_time_ms);
    }
    let mut dups = 0;
    for (body, kinds) in &groups {
        let n_dup = kinds
            .iter()
            .filter(|k| **k == DeliveryKind::Duplicate)
            .count();
        match kinds.len() {
            1 => assert_eq!(n_dup, 0, "a duplicate without its original: {body}"),
            2 => {
                assert_eq!(
                    n_dup, 1,
                    "two copies must be one original and one duplicate"
                );
                dups += 1;
            }
            n => panic!("body delivered {n} times: {body}"),
        }
    }
    let total = deliveries.len() as f64;
    assert!(
        dups as f64 > total * 0.01,
        "only {dups} duplicates in {total}"
    );
    assert!(late > 20, "only {late} late retries");
    assert!(
        max_late > 80 * 60_000,
        "the latest retry was only {max_late} ms late"
    );
    assert!(
        out_of_order as f64 > total * 0.02,
        "only {out_of_order} out-of-order deliveries"
    );
}

#[test]
fn reorder_heap_stays_bounded_while_generating_20k_calls() {
    let cfg = SimConfig {
        late_retry_rate: 0.02,
        ..config(20_000, 4)
    };
    let mut generator = generate(&cfg).unwrap();
    let mut deliveries = 0u64;
    let mut peak_at_2k = None;
    for item in generator.by_ref() {
        if matches!(item, SimItem::Webhook(_)) {
            deliveries += 1;
        }
    }
    let peak = generator.peak_pending();
    assert_eq!(generator.calls_generated(), 20_000);
    assert!(
        deliveries > 400_000,
        "20k calls gave only {deliveries} deliveries"
    );
    // Calls in flight (rate x longest call) plus retries pending (rate x 85 min x share).
    assert!(peak < 15_000, "reorder heap peaked at {peak} deliveries");
    let mut small = generate(&SimConfig {
        calls: 2_000,
        ..cfg
    })
    .unwrap();
    small.by_ref().for_each(drop);
    peak_at_2k.get_or_insert(small.peak_pending());
    let p2k = peak_at_2k.unwrap();
    assert!(
        peak < p2k * 2,
        "peak grows with the number of calls: {p2k} at 2k, {peak} at 20k"
    );
}

#[test]
fn truth_agrees_with_the_bodies() {
    let (deliveries, truth) = run(&config(400, 9));
    // Index event times by (engagement, event, user) for spot checks.
    let mut seen: HashMap<(String, String, String), Vec<String>> = HashMap::new();
    for d in &deliveries {
        let env = zcc_events::read_envelope(d.body.as_bytes()).unwrap();
        let obj = object(&d.body);
        let user = obj
            .get("user_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let time = zcc_sim::iso_ms(d.event_time_ms);
        seen.entry((
            env.engagement_id.unwrap().to_string(),
            env.event.trim_start_matches("contact_center.").to_owned(),
            user,
        ))
        .or_default()
        .push(time);
    }
    let has = |eng: &str, event: &str, user: &str, at: &str| {
        seen.get(&(eng.to_owned(), event.to_owned(), user.to_owned()))
            .is_some_and(|v| v.iter().any(|t| t == at))
    };
    let mut checked = 0;
    for row in &truth {
        match row {
            TruthRow::Holds(h) => {
                assert!(
                    has(
                        &h.engagement_id,
                        "engagement_user_hold",
                        &h.user_id,
                        &h.started_at
                    ),
                    "{h:?}"
                );
                assert!(
                    has(
                        &h.engagement_id,
                        "engagement_user_unhold",
                        &h.user_id,
                        &h.ended_at
                    ),
                    "{h:?}"
                );
                checked += 1;
            }
            TruthRow::Conferences(c) => {
                // A conference starts when the second agent answers.
                let answered = c.participants.iter().any(|p| {
                    has(
                        &c.engagement_id,
                        "engagement_user_answered",
                        p,
                        &c.started_at,
                    )
                });
                assert!(answered, "no user_answered at conference start: {c:?}");
                assert!(c.duration_ms.unwrap() > 0);
                checked += 1;
            }
            TruthRow::Transfers(t) => {
                let to = t.to_user_id.as_deref().unwrap();
                assert!(
                    has(
                        &t.engagement_id,
                        "engagement_user_answered",
                        to,
                        &t.target_answered_at
                    ),
                    "{t:?}"
                );
                assert!(
                    has(
                        &t.engagement_id,
                        "engagement_user_ended",
                        &t.from_user_id,
                        &t.from_left_at
                    ),
                    "{t:?}"
                );
                checked += 1;
            }
            _ => {}
        }
    }
    assert!(checked > 100, "only {checked} truth rows checked");
}

#[test]
fn conference_truth_lines_have_the_spec_columns_in_order() {
    let (_, truth) = run(&config(300, 2));
    let row = truth
        .iter()
        .find(|r| matches!(r, TruthRow::Conferences(_)))
        .expect("a conference in 300 calls");
    let line = row.to_json_line();
    let keys: Vec<String> = line
        .trim_matches(|c| c == '{' || c == '}')
        .split(',')
        .filter_map(|kv| {
            kv.strip_prefix('"')
                .and_then(|k| k.split_once('"'))
                .map(|(k, _)| k.to_owned())
        })
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    let expected = [
        "table",
        "engagement_id",
        "account_id",
        "conference_index",
        "started_at",
        "ended_at",
        "duration_ms",
        "participants",
        "initiated_by",
        "source",
        "rule",
        "evidence",
        "conference_id",
        "external_participants",
    ];
    let positions: Vec<usize> = expected
        .iter()
        .map(|k| {
            keys.iter()
                .position(|x| x == k)
                .unwrap_or_else(|| panic!("column {k} missing in {line}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "columns out of order: {line}"
    );
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["table"], "conferences");
    assert_eq!(v["rule"], "truth");
    assert_eq!(v["evidence"], serde_json::json!([]));
    let started = v["started_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(started).is_ok()
            && started.ends_with('Z')
            && started.len() == 24
    );
}

#[test]
fn bad_settings_are_named() {
    let err = generate(&SimConfig {
        duplicate_rate: 1.5,
        ..SimConfig::default()
    })
    .err()
    .unwrap();
    assert_eq!(
        err.to_string(),
        "simulator setting `duplicate_rate` must be between 0 and 1, got 1.5"
    );
    let err = generate(&SimConfig {
        calls_per_minute: 0.0,
        ..SimConfig::default()
    })
    .err()
    .unwrap();
    assert!(err.to_string().contains("calls_per_minute"));
}
