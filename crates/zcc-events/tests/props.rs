//! Property tests: arbitrary JSON, arbitrary bytes and mutated sample bodies never panic, the
//! log's summary and the typed model always agree, every envelope-valid body yields a model,
//! and the fold's borrowed reading agrees with the typed model wherever it reads a body.

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Map, Value};
use zcc_events::{
    Family, ParseOptions, ZccEvent, parse_event, parse_event_with, read_envelope, read_fold_fields,
};

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/zoom-examples"
);

fn samples() -> &'static [Value] {
    static CELL: OnceLock<Vec<Value>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(SAMPLES)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .filter_map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).ok())
            .collect()
    })
}

fn is_envelope(v: &Value) -> bool {
    v.get("event").is_some_and(Value::is_string) && v.get("payload").is_some_and(Value::is_object)
}

/// Both readers agree on every body: same error, or same summary; and an envelope-valid
/// body always yields a model.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let summary = read_envelope(bytes);
    let event = parse_event(bytes);
    match (&summary, &event) {
        (Err(a), Err(b)) => prop_assert_eq!(a, b),
        (Ok(s), Ok(e)) => {
            prop_assert_eq!(s.event.as_str(), e.kind.as_str());
            prop_assert_eq!(s.event_time_ms, e.event_time_ms);
            prop_assert_eq!(
                s.engagement_id.as_deref(),
                e.engagement_id.as_ref().map(|x| x.as_str())
            );
            prop_assert_eq!(
                s.account_id.as_deref(),
                e.account_id.as_ref().map(|x| x.as_str())
            );
        }
        _ => prop_assert!(false, "readers disagree: {:?} vs {:?}", summary, event),
    }
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        prop_assert_eq!(is_envelope(&v), event.is_ok(), "{}", v);
    }
    // Skipping extras changes nothing else.
    let lean = parse_event_with(bytes, ParseOptions { skip_extra: true });
    prop_assert_eq!(lean.as_ref().err(), event.as_ref().err());
    let stripped = event.as_ref().ok().cloned().map(without_extra);
    prop_assert_eq!(lean.as_ref().ok(), stripped.as_ref());
    // The fold's borrowed reading, where it takes a body, reads what the typed event holds.
    if let Some(fast) = std::str::from_utf8(bytes).ok().and_then(read_fold_fields) {
        let typed = event.as_ref().expect("a body read borrowed is an envelope");
        prop_assert_eq!(fast, typed.fold_fields());
    }
    // Nor does the order of the top-level keys (the object is read straight into its family
    // only when `event` comes first).
    // Both texts are written from the same parsed map, so numbers read back the same.
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) {
        let forward = serde_json::to_vec(&map).expect("a map serialises");
        let reversed = reversed_keys(&map);
        prop_assert_eq!(parse_event(&reversed), parse_event(&forward));
        let lean = ParseOptions { skip_extra: true };
        prop_assert_eq!(
            parse_event_with(&reversed, lean),
            parse_event_with(&forward, lean)
        );
    }
    Ok(())
}

/// The object's JSON text with its top-level keys in reverse order.
fn reversed_keys(map: &Map<String, Value>) -> Vec<u8> {
    let fields: Vec<String> = map
        .iter()
        .rev()
        .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v))
        .collect();
    format!("{{{}}}", fields.join(",")).into_bytes()
}

/// `event` with the `extra` of every typed object emptied.
fn without_extra(mut event: ZccEvent) -> ZccEvent {
    match &mut event.object {
        Family::Engagement(o) => {
            o.extra.clear();
            o.users.iter_mut().for_each(|u| u.extra.clear());
            o.consumers.iter_mut().for_each(|c| c.extra.clear());
        }
        Family::Leg(o) => o.extra.clear(),
        Family::Transfer(o) => o.extra.clear(),
        Family::Task(o) => o.extra.clear(),
        Family::Reservation(o) => o.extra.clear(),
        Family::Supervision(o) => o.extra.clear(),
        Family::Conference(o) => {
            o.extra.clear();
            o.teams.iter_mut().for_each(|t| t.extra.clear());
            let subjects = [
                &mut o.invited_participant,
                &mut o.joining_participant,
                &mut o.leaving_participant,
                &mut o.rejecting_participant,
                &mut o.timed_out_participant,
                &mut o.canceled_participant,
            ];
            subjects.into_iter().flatten().for_each(|p| p.extra.clear());
            o.conference_participants
                .iter_mut()
                .flatten()
                .for_each(|p| p.extra.clear());
        }
        Family::CallControl(o) => o.extra.clear(),
        Family::Annotation(o) => o.extra.clear(),
        Family::Recording(o) => {
            o.extra.clear();
            o.users.iter_mut().for_each(|u| u.extra.clear());
            o.consumers.iter_mut().for_each(|c| c.extra.clear());
        }
        Family::Other(_) => {}
    }
    event
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z0-9:._+ -]{0,24}".prop_map(Value::from),
        Just(Value::from("2022-02-15T09:27:15.987Z")),
        Just(Value::from("1644917235987")),
        any::<String>().prop_map(Value::from),
    ]
}

const KEYS: &[&str] = &[
    "event",
    "event_ts",
    "payload",
    "account_id",
    "object",
    "engagement_id",
    "date_time_ms",
    "last_modified_time_ms",
    "created_time_ms",
    "recording_start_time_ms",
    "recording_end_time_ms",
    "start_time",
    "task_id",
    "task_reservation_id",
    "recording_id",
    "user_id",
    "users",
    "consumers",
    "transfer_type",
    "other",
];

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn event_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(zcc_events::EventKind::KNOWN).prop_map(|k| Value::from(k.as_str())),
        "[a-z_.]{0,30}".prop_map(Value::from),
    ]
}

/// An envelope around arbitrary content, so that the typed families see every shape.
fn envelope() -> impl Strategy<Value = Value> {
    (event_name(), json(), json(), json()).prop_map(|(event, ts, account, object)| {
        let mut payload = Map::new();
        payload.insert("account_id".into(), account);
        payload.insert("object".into(), object);
        let mut root = Map::new();
        root.insert("event".into(), event);
        root.insert("event_ts".into(), ts);
        root.insert("payload".into(), Value::Object(payload));
        Value::Object(root)
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    Add(String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<usize>().prop_map(Mutation::Remove),
        ("[a-z_]{1,12}", json()).prop_map(|(k, v)| Mutation::Add(k, v)),
        // A text field the fold reads, whichever family it belongs to.
        (prop::sample::select(FOLD_KEYS), "[a-z0-9 +]{0,12}")
            .prop_map(|(k, v)| Mutation::Add(k.to_owned(), Value::from(v))),
    ]
}

/// Keys of text fields the fold reads, across the families.
const FOLD_KEYS: &[&str] = &[
    "engagement_direction",
    "channel",
    "channel_name",
    "queue_id",
    "consumer_number",
    "caller_number",
    "user_id",
    "task_id",
    "transfer_to_task_id",
    "transfer_to_user_id",
    "assigned_user_id",
    "monitoring_user_id",
    "supervisor_id",
    "conference_id",
    "request_id",
    "disposition_id",
    "note",
];

fn mutate(mut v: Value, mutations: &[Mutation]) -> Value {
    for m in mutations {
        let Some(object) = v
            .get_mut("payload")
            .and_then(|p| p.get_mut("object"))
            .and_then(Value::as_object_mut)
        else {
            break;
        };
        let keys: Vec<String> = object.keys().cloned().collect();
        match m {
            Mutation::Replace(i, new) if !keys.is_empty() => {
                object.insert(keys[i % keys.len()].clone(), new.clone());
            }
            Mutation::Remove(i) if !keys.is_empty() => {
                object.remove(&keys[i % keys.len()]);
            }
            Mutation::Add(k, new) => {
                object.insert(k.clone(), new.clone());
            }
            _ => {}
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics(v in json()) {
        check(&serde_json::to_vec(&v).unwrap())?;
    }

    #[test]
    fn arbitrary_envelopes_always_yield_a_model(v in envelope()) {
        let bytes = serde_json::to_vec(&v).unwrap();
        prop_assert!(parse_event(&bytes).is_ok());
        check(&bytes)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check(&bytes)?;
    }

    #[test]
    fn mutated_samples_always_yield_a_model(
        index in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let all = samples();
        let v = mutate(all[index % all.len()].clone(), &mutations);
        let bytes = serde_json::to_vec(&v).unwrap();
        prop_assert!(parse_event(&bytes).is_ok(), "{}", v);
        check(&bytes)?;
    }

    #[test]
    fn byte_mutated_samples_never_panic(
        index in any::<usize>(),
        at in any::<usize>(),
        byte in any::<u8>(),
        delete in any::<bool>(),
    ) {
        let all = samples();
        let mut bytes = serde_json::to_vec(&all[index % all.len()]).unwrap();
        let at = at % bytes.len();
        if delete { bytes.remove(at); } else { bytes[at] = byte; }
        check(&bytes)?;
    }
}

/// A repeated `event` key names the family of the last one, even when the object was read
/// for the first; in every mode the result is the same as with the keys in another order.
#[test]
fn a_repeated_event_key_reads_the_object_for_the_last_one() {
    let body = br#"{"event":"contact_center.engagement_user_hold","payload":{"object":{"engagement_id":"E1","user_id":"U1","task_id":"T1","note":"x"}},"event":"contact_center.task_created"}"#;
    let event = parse_event(body).unwrap();
    assert_eq!(event.kind.as_str(), "contact_center.task_created");
    let Family::Task(task) = &event.object else {
        panic!("read as a task: {:?}", event.object)
    };
    assert_eq!(task.task_id.as_str(), "T1");
    assert_eq!(task.extra.get("note"), Some(&Value::from("x")));
    let lean = parse_event_with(body, ParseOptions { skip_extra: true }).unwrap();
    assert_eq!(lean, without_extra(event));
}

/// An object missing an id its family needs is kept whole, unknown fields included, even
/// when extras are skipped.
#[test]
fn an_object_kept_whole_keeps_its_unknown_fields_when_extras_are_skipped() {
    let body = br#"{"event":"contact_center.engagement_user_hold","payload":{"object":{"user_id":"U1","note":"x","date_time_ms":1777903330000}}}"#;
    for skip_extra in [false, true] {
        let event = parse_event_with(body, ParseOptions { skip_extra }).unwrap();
        let Family::Other(map) = &event.object else {
            panic!("kept whole: {:?}", event.object)
        };
        assert_eq!(
            map.get("note"),
            Some(&Value::from("x")),
            "skip_extra {skip_extra}"
        );
        assert_eq!(map.get("user_id"), Some(&Value::from("U1")));
        assert_eq!(event.event_time_ms, Some(1_777_903_330_000));
    }
}
