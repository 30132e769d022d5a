//! A fuzz harness for the body readers and the fold (issue 31), as property tests: cargo-fuzz
//! needs a nightly compiler, these run on stable in every test run, for a bounded time.
//!
//! - arbitrary bytes through `read_envelope` and `parse_event`: no panic, and the two agree on
//!   what is an envelope;
//! - arbitrary JSON-ish bodies (the envelope and object keys ZCC uses, every event name, hostile
//!   values: i64 extremes, huge and tiny numbers, lone surrogates, odd times, deep nesting, a
//!   byte-order mark) through both readers and through every rule's fold: no panic, every body
//!   with an envelope is read, the fold's borrowed reading (where it takes a body) equals what
//!   the typed event gives the fold, and every time in a projection lies in the plausible range
//!   or is the log's received time.
//!
//! Cases per property: `ZCC_FUZZ_CASES` (default 512; CI may raise it for a longer run).

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use zcc_events::{
    EventKind, PLAUSIBLE_MS, ParseOptions, parse_event, parse_event_with, read_envelope,
    read_fold_fields,
};
use zcc_model::{InputEvent, Position, Table};

fn cases() -> u32 {
    std::env::var("ZCC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// Both readers on one body: no panic, the same verdict, the same envelope facts.
fn read_both(body: &[u8]) -> Option<zcc_events::ZccEvent> {
    let envelope = read_envelope(body);
    let event = parse_event(body);
    let lean = parse_event_with(body, ParseOptions { skip_extra: true });
    assert_eq!(
        envelope.is_ok(),
        event.is_ok(),
        "read_envelope and parse_event disagree on {:?}: {envelope:?} / {event:?}",
        String::from_utf8_lossy(body)
    );
    assert_eq!(event.is_ok(), lean.is_ok());
    let (summary, event, lean) = (envelope.ok()?, event.ok()?, lean.ok()?);
    assert_eq!(summary.event, event.kind.as_str());
    assert_eq!(
        summary.event_time_ms,
        event.event_time_ms,
        "event time of {}",
        String::from_utf8_lossy(body)
    );
    assert_eq!(
        summary.engagement_id.as_deref(),
        event.engagement_id.as_ref().map(|e| e.0.as_str())
    );
    assert_eq!(event.event_time_ms, lean.event_time_ms);
    // The fold's borrowed reading, where it takes the body, reads what the typed event holds.
    if let Some(fast) = std::str::from_utf8(body).ok().and_then(read_fold_fields) {
        assert_eq!(
            fast,
            lean.fold_fields(),
            "the borrowed and the typed reading differ on {}",
            String::from_utf8_lossy(body)
        );
    }
    if let Some(t) = event.event_time_ms {
        assert!(
            PLAUSIBLE_MS.contains(&t),
            "event time {t} outside the plausible range"
        );
    }
    Some(event)
}

/// A JSON number, as text, from the hostile end.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        Just(i64::MAX.to_string()),
        Just(i64::MIN.to_string()),
        Just(u64::MAX.to_string()),
        (946_684_800_000i64..4_102_444_800_000).prop_map(|n| n.to_string()),
        (946_684_800i64..4_102_444_800).prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        Just("1e400".to_owned()),
        Just("-1E+999".to_owned()),
        Just("1e-400".to_owned()),
        Just("9".repeat(400)),
        Just("-0".to_owned()),
        Just("0.5".to_owned()),
    ]
}

/// A JSON string literal, as text, hostile ones included.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _:.+-]{0,24}".prop_map(|s| format!("\"{s}\"")),
        Just(r#""2026-05-04T14:00:25.340Z""#.to_owned()),
        Just(r#""9999-12-31T23:59:59Z""#.to_owned()),
        Just(r#""0001-01-01""#.to_owned()),
        Just(r#""1777903225340""#.to_owned()),
        Just(r#""-9223372036854775808""#.to_owned()),
        Just(r#""\ud800""#.to_owned()),
        Just(r#""\udc00\ud83d\ude00\u0000""#.to_owned()),
        Just(r#""E1""#.to_owned()),
        Just(r#""U1""#.to_owned()),
        Just(r#""U2""#.to_owned()),
        Just(r#""T1""#.to_owned()),
    ]
}

const KEYS: &[&str] = &[
    "engagement_id",
    "user_id",
    "date_time_ms",
    "start_time",
    "last_modified_time_ms",
    "created_time_ms",
    "task_id",
    "reservation_id",
    "cc_queue_id",
    "consumer_id",
    "channel",
    "engagement_direction",
    "action_type",
    "transfer_type",
    "target_task_id",
    "conference_id",
    "conference_participants",
    "participant_user_id",
    "role",
    "users",
    "supervisor_user_id",
    "task_status",
    "recording_start_time_ms",
    "recording_end_time_ms",
    "\\u0075ser_id",
];

/// A JSON value of at most `depth` levels, keys from ZCC's own, as text.
fn value(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        number(),
        string(),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        (1usize..300).prop_map(|n| format!("{}0{}", "[".repeat(n), "]".repeat(n))),
    ];
    leaf.prop_recursive(depth, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..8).prop_map(
                |kv| {
                    let fields: Vec<String> = kv
                        .into_iter()
                        .map(|(k, v)| format!("\"{k}\":{v}"))
                        .collect();
                    format!("{{{}}}", fields.join(","))
                }
            ),
        ]
    })
    .boxed()
}

/// A body: usually an envelope (sometimes with its parts missing, mistyped or repeated), an
/// engagement id from a small set so the fold sees several events of one call.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let event = prop_oneof![
        proptest::sample::select(EventKind::KNOWN).prop_map(|k| format!("\"{}\"", k.as_str())),
        string(),
        number(),
    ];
    let object = (
        proptest::collection::vec((proptest::sample::select(KEYS), value(3)), 0..10),
        proptest::option::of(proptest::sample::select(&["E1", "E2"][..])),
    )
        .prop_map(|(kv, engagement)| {
            let mut fields: Vec<String> = kv
                .into_iter()
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect();
            if let Some(e) = engagement {
                fields.push(format!("\"engagement_id\":\"{e}\""));
            }
            format!("{{{}}}", fields.join(","))
        });
    (
        proptest::option::of(event),
        proptest::option::of(number()),
        prop_oneof![8 => object, 1 => value(2)],
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(|(event, ts, object, bom, shape)| {
            let mut parts = Vec::new();
            if let Some(e) = &event {
                parts.push(format!("\"event\":{e}"));
            }
            if let Some(ts) = ts {
                parts.push(format!("\"event_ts\":{ts}"));
            }
            let payload = format!("{{\"account_id\":\"A\",\"object\":{object}}}");
            match shape % 8 {
                0 => parts.insert(0, format!("\"payload\":{payload}")),
                1 => parts.push("\"payload\":[]".to_owned()),
                2 => parts.push(format!(
                    "\"payload\":{payload},\"event\":\"contact_center.task_created\""
                )),
                _ => parts.push(format!("\"payload\":{payload}")),
            }
            let mut text = format!("{{{}}}", parts.join(","));
            if bom {
                text.insert(0, '\u{feff}');
            }
            text.into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_the_readers(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        read_both(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_an_envelope_prefix_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut body = br#"{"event":"contact_center.engagement_user_hold","payload":{"object":{"engagement_id":"E1","x":"#.to_vec();
        body.extend_from_slice(&tail);
        read_both(&body);
    }

    #[test]
    fn json_ish_bodies_are_read_and_folded(bodies in proptest::collection::vec(body(), 1..12)) {
        const RECEIVED: i64 = 1_777_903_200_000;
        let mut events = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let text = String::from_utf8_lossy(body);
            let is_envelope = serde_json::from_str::<serde::de::IgnoredAny>(text.trim_start_matches('\u{feff}')).is_ok()
                && text.contains("\"payload\":{") && text.contains("\"event\":\"");
            let read = read_both(body);
            if is_envelope && !text.contains("\"payload\":[]") {
                prop_assert!(read.is_some(), "an envelope was refused: {}", text);
            }
            if let Some(event) = read {
                let position = Position(i as i64 + 1);
                let sha: [u8; 32] = Sha256::digest(body).into();
                // The rebuild's reading where the body is text, else the typed event.
                let input = match std::str::from_utf8(body) {
                    Ok(text) => InputEvent::read(position, sha, text).expect("an envelope"),
                    Err(_) => InputEvent::typed(position, sha, event),
                };
                events.push(input);
            }
        }
        for info in zcc_model::rules::registry() {
            let rule = zcc_model::rules::build(info.name, &[]).expect("every rule builds with its defaults");
            for engagement in ["E1", "E2"] {
                let mine: Vec<InputEvent> = events
                    .iter()
                    .filter(|e| e.fields().engagement_id == Some(engagement))
                    .cloned()
                    .collect();
                let p = rule.project(&mine);
                // Every time in the projection is one the events carried: plausible.
                for d in &p.derived_events {
                    prop_assert!(PLAUSIBLE_MS.contains(&d.at) || d.at == RECEIVED, "derived event at {}", d.at);
                }
                for table in Table::ALL {
                    for row in p.table_rows(*table) {
                        prop_assert_eq!(row.len(), table.columns().len());
                    }
                }
                let json = p.to_canonical_json();
                let back = zcc_model::CallProjection::from_canonical_json(&json).expect("a projection reads back");
                prop_assert_eq!(back, p);
            }
        }
    }
}
