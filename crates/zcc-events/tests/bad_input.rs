//! SPEC 10: only a missing envelope is an error; anything else degrades one field, with a
//! warning naming it.

use serde_json::{Value, json};
use zcc_events::{
    EnvelopeError, EventKind, Family, OrderKey, TransferType, WarningAction, ZccEvent, parse_event,
    parse_time_str, read_envelope,
};

fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn parse(v: &Value) -> ZccEvent {
    let bytes = body(v);
    let event = parse_event(&bytes).unwrap_or_else(|e| panic!("{v}: {e}"));
    // The log's summary agrees with the model on every body.
    let summary = read_envelope(&bytes).unwrap();
    assert_eq!(summary.event_time_ms, event.event_time_ms, "{v}");
    assert_eq!(
        summary.engagement_id.as_deref(),
        event.engagement_id.as_ref().map(|e| e.as_str()),
        "{v}"
    );
    assert_eq!(
        summary.account_id.as_deref(),
        event.account_id.as_ref().map(|a| a.as_str())
    );
    event
}

fn leg(object: Value) -> Value {
    let mut v = json!({"event": "contact_center.engagement_user_hold", "event_ts": 1777903330000i64,
                       "payload": {"account_id": "Acct9xQzLmN0pR2sT4uV6w"}});
    v["payload"]["object"] = object;
    v
}

#[test]
fn envelope_errors_name_what_is_missing() {
    let cases: Vec<(&[u8], EnvelopeError, &str)> = vec![
        (b"", EnvelopeError::Empty, "empty body"),
        (b"  \n", EnvelopeError::Empty, "empty body"),
        (
            b"{\"event\":\"x\xff\"}",
            EnvelopeError::NotUtf8 { offset: 11 },
            "offset 11",
        ),
        (
            b"[1,2]",
            EnvelopeError::NotObject { found: "an array" },
            "not an object (found an array)",
        ),
        (
            b"{\"payload\":{}}",
            EnvelopeError::MissingEvent,
            "no \"event\" field",
        ),
        (
            b"{\"event\":7,\"payload\":{}}",
            EnvelopeError::EventNotString { found: "a number" },
            "\"event\" is not a string (found a number)",
        ),
        (
            b"{\"event\":\"contact_center.task_created\"}",
            EnvelopeError::MissingPayload,
            "no \"payload\" field",
        ),
        (
            b"{\"event\":\"contact_center.task_created\",\"payload\":\"x\"}",
            EnvelopeError::PayloadNotObject { found: "a string" },
            "\"payload\" is not an object (found a string)",
        ),
        (
            b"{\"event\":\"contact_center.task_created\",\"payload\":null}",
            EnvelopeError::PayloadNotObject { found: "null" },
            "found null",
        ),
    ];
    for (bytes, want, text) in cases {
        let got = read_envelope(bytes).unwrap_err();
        assert_eq!(got, want, "{}", String::from_utf8_lossy(bytes));
        assert!(got.to_string().contains(text), "{got} should say {text}");
        assert_eq!(parse_event(bytes).unwrap_err(), want);
    }
    let err = read_envelope(b"{\"event\":").unwrap_err();
    assert!(err.to_string().contains("line 1 column 9"), "{err}");
    assert_eq!(parse_event(b"{\"event\":").unwrap_err(), err);
}

#[test]
fn an_unparseable_time_degrades_to_event_ts_with_a_warning() {
    let e = parse(&leg(json!({"engagement_id": "E1", "user_id": "U1",
                              "date_time_ms": "yesterday"})));
    assert_eq!(e.event_time_ms, Some(1777903330000));
    assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
    let w = &e.warnings[0];
    assert_eq!(w.path, "payload.object.date_time_ms");
    assert_eq!(w.found, "the string \"yesterday\"");
    assert_eq!(w.action, WarningAction::Ignored);
    assert!(w.to_string().contains("expected an ISO-8601 time"), "{w}");
    let Family::Leg(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(o.date_time_ms, None);
    assert_eq!(o.extra.get("date_time_ms"), Some(&json!("yesterday")));
    assert_eq!(o.user_id.as_ref().unwrap().as_str(), "U1");
}

#[test]
fn times_are_read_tolerantly() {
    for (value, want) in [
        (json!("2026-05-04T14:05:30.000Z"), 1777903530000i64),
        (json!(1777903530000i64), 1777903530000),
        (json!("1777903530000"), 1777903530000),
        (json!("2026-05-04T14:05:30Z"), 1777903530000),
        (json!(1777903530000.0), 1777903530000),
    ] {
        let e = parse(&leg(json!({"engagement_id": "E1", "date_time_ms": value})));
        assert_eq!(e.event_time_ms, Some(want), "{value}");
        assert!(e.warnings.is_empty(), "{value}: {:?}", e.warnings);
    }
    assert_eq!(
        parse_time_str("2026-05-04T14:05:30.000Z"),
        Some(1777903530000)
    );
}

#[test]
fn a_number_where_a_string_was_expected_is_converted_and_reported() {
    let e = parse(&leg(
        json!({"engagement_id": 12345, "user_id": 678, "queue_name": true}),
    ));
    assert_eq!(e.engagement_id.as_ref().unwrap().as_str(), "12345");
    let Family::Leg(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(o.user_id.as_ref().unwrap().as_str(), "678");
    assert_eq!(o.queue_name, None);
    assert_eq!(o.extra.get("queue_name"), Some(&json!(true)));
    let paths: Vec<(&str, WarningAction)> = e
        .warnings
        .iter()
        .map(|w| (w.path.as_str(), w.action))
        .collect();
    assert!(paths.contains(&("payload.object.engagement_id", WarningAction::Converted)));
    assert!(paths.contains(&("payload.object.user_id", WarningAction::Converted)));
    assert!(paths.contains(&("payload.object.queue_name", WarningAction::Ignored)));
}

#[test]
fn a_missing_family_id_keeps_the_object_verbatim() {
    let object = json!({"user_id": "U1", "date_time_ms": "2026-05-04T14:05:30.000Z"});
    let e = parse(&leg(object.clone()));
    assert_eq!(e.kind, EventKind::EngagementUserHold);
    assert_eq!(e.object, Family::Other(object.as_object().unwrap().clone()));
    assert_eq!(e.event_time_ms, Some(1777903530000));
    assert_eq!(e.warnings.len(), 1);
    assert_eq!(e.warnings[0].path, "payload.object.engagement_id");
    assert_eq!(e.warnings[0].action, WarningAction::FamilyNotRead);

    let task = json!({"event": "contact_center.task_updated", "event_ts": 1_777_903_330_005_i64,
                      "payload": {"object": {"engagement_id": "E1",
                                             "last_modified_time_ms": "2026-05-04T14:02:10.007Z"}}});
    let e = parse(&task);
    assert!(matches!(e.object, Family::Other(_)));
    assert_eq!(e.engagement_id.as_ref().unwrap().as_str(), "E1");
    assert_eq!(e.event_time_ms, Some(1_777_903_330_007));
    assert_eq!(e.warnings[0].path, "payload.object.task_id");
}

#[test]
fn unknown_names_fields_and_values_pass_through() {
    let v = json!({"event": "contact_center.engagement_hologram_started", "event_ts": 1_777_903_330_009_i64,
                   "payload": {"account_id": "A", "object": {"engagement_id": "E", "x": [1]}}});
    let e = parse(&v);
    assert_eq!(
        e.kind,
        EventKind::Unknown("contact_center.engagement_hologram_started".into())
    );
    assert_eq!(
        e.kind.as_str(),
        "contact_center.engagement_hologram_started"
    );
    assert_eq!(e.engagement_id.as_ref().unwrap().as_str(), "E");
    assert_eq!(e.event_time_ms, Some(1_777_903_330_009));
    assert_eq!(
        e.object,
        Family::Other(v["payload"]["object"].as_object().unwrap().clone())
    );

    let v = json!({"event": "contact_center.engagement_transfer_initiated",
                   "payload": {"object": {"engagement_id": "E", "transfer_type": "consultative",
                                          "brand_new_field": {"a": 1}}}});
    let e = parse(&v);
    let Family::Transfer(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(
        o.transfer_type,
        Some(TransferType::Other("consultative".into()))
    );
    assert_eq!(o.extra.get("brand_new_field"), Some(&json!({"a": 1})));
    assert!(e.warnings.is_empty());
    assert_eq!(e.event_time_ms, None, "no time anywhere");
}

#[test]
fn missing_or_odd_object_and_lists() {
    let e = parse(
        &json!({"event": "contact_center.engagement_started", "event_ts": 1_777_903_330_001_i64,
                          "payload": {}}),
    );
    assert_eq!(e.object, Family::Other(Default::default()));
    assert_eq!(e.warnings[0].path, "payload.object");
    assert_eq!(e.warnings[0].found, "nothing (the field is missing)");
    assert_eq!(e.event_time_ms, Some(1_777_903_330_001));

    let e = parse(&json!({"event": "contact_center.recording_completed",
                          "payload": {"object": {"recording_id": "R", "engagement_id": "E",
                                                 "users": [{"user_id": "U"}, 4],
                                                 "consumers": "nobody"}}}));
    let Family::Recording(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(o.users.len(), 1);
    assert!(o.consumers.is_empty());
    let paths: Vec<&str> = e.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        paths,
        ["payload.object.users[1]", "payload.object.consumers"]
    );
    assert_eq!(o.extra.get("consumers"), Some(&json!("nobody")));

    let e = parse(&json!({"event": "x", "event_ts": "soon", "payload": {"object": []}}));
    let paths: Vec<&str> = e.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(paths, ["event_ts", "payload.object"]);
    assert_eq!(e.event_time_ms, None);
}

#[test]
fn conference_events_read_the_participant_tolerantly() {
    let v = json!({"event": "contact_center.engagement_conference_participant_joined",
                   "event_ts": 1777903782100i64,
                   "payload": {"account_id": "Acct9xQzLmN0pR2sT4uV6w", "object": {
                       "engagement_id": "EngA1b2C3d4E5f6G7h8I9j", "channel": "voice",
                       "user_id": "AgtBob00a1b2c3d4e5f6g7",
                       "date_time_ms": "2026-05-04T14:09:42.100Z"}}});
    let e = parse(&v);
    let Family::Conference(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(
        o.participant_user_id().unwrap().as_str(),
        "AgtBob00a1b2c3d4e5f6g7"
    );
    assert_eq!(e.event_time_ms, Some(1777903782100));

    let v = json!({"event": "contact_center.engagement_conference_participant_invited",
                   "payload": {"object": {"engagement_id": "E", "invitee_id": "AgtC",
                                          "invitee_type": "user"}}});
    let Family::Conference(o) = parse(&v).object else {
        panic!()
    };
    assert_eq!(o.participant_user_id().unwrap().as_str(), "AgtC");
    for name in [
        "participant_invited",
        "participant_joined",
        "participant_left",
        "participant_rejected",
        "participant_timeout",
        "participant_canceled",
    ] {
        let kind = EventKind::from_name(&format!("contact_center.engagement_conference_{name}"));
        assert!(!kind.is_unknown(), "{name}");
    }
    assert!(!EventKind::from_name("contact_center.engagement_conference_canceled").is_unknown());
}

#[test]
fn tie_break_ranks_follow_the_life_of_a_call() {
    use EventKind::*;
    let order = [
        EngagementStarted,
        TaskCreated,
        TaskReservationCreated,
        TaskReservationAccepted,
        EngagementUserAnswered,
        EngagementUserHold,
        EngagementUserUnhold,
        EngagementTransferInitiated,
        EngagementTransferQueued,
        EngagementTransferReserved,
        EngagementTransferAccepted,
        EngagementTransferCompleted,
        EngagementUserEnded,
        EngagementConsumerEnded,
        EngagementEnded,
    ];
    for pair in order.windows(2) {
        assert!(
            pair[0].tie_break_rank() < pair[1].tie_break_rank(),
            "{} must fold before {}",
            pair[0],
            pair[1]
        );
    }
    // Equal times: rank first, then the body hash, never arrival order.
    let mut keys = [
        OrderKey::new(5, &EngagementEnded, [0; 32]),
        OrderKey::new(5, &EngagementStarted, [9; 32]),
        OrderKey::new(5, &EngagementStarted, [1; 32]),
        OrderKey::new(4, &EngagementEnded, [0; 32]),
    ];
    keys.sort();
    let got: Vec<(i64, u16, u8)> = keys
        .iter()
        .map(|k| (k.event_time_ms, k.rank, k.body_sha256[0]))
        .collect();
    let (s, e) = (
        EngagementStarted.tie_break_rank(),
        EngagementEnded.tie_break_rank(),
    );
    assert_eq!(got, [(4, e, 0), (5, s, 1), (5, s, 9), (5, e, 0)]);
}

#[test]
fn every_known_kind_round_trips_its_name() {
    assert!(EventKind::KNOWN.len() >= 120, "{}", EventKind::KNOWN.len());
    for kind in EventKind::KNOWN {
        assert!(kind.as_str().starts_with("contact_center."), "{kind}");
        assert_eq!(&EventKind::from_name(kind.as_str()), kind);
    }
    assert!(
        EventKind::from_name("engagement_started").is_unknown(),
        "prefix required"
    );
}

#[test]
fn both_readers_accept_and_reject_the_same_edge_cases() {
    let cases: [&[u8]; 8] = [
        // A lone surrogate in a field the envelope skips.
        br#"{"event":"e","payload":{"x":"\ud800"}}"#,
        // A number out of range in a skipped field.
        br#"{"event":"e","payload":{"x":1e400}}"#,
        // Duplicate keys: the last wins in both.
        br#"{"event":1,"event":"e","payload":{"object":{"engagement_id":"A","engagement_id":"B"}}}"#,
        br#"{"event":"e","payload":{},"payload":[]}"#,
        // Escapes in names and ids.
        br#"{"ev\u0065nt":"contact_center.engagement_user_hold","payload":{"object":{"engagement_id":"A\"B","date_time_ms":"2022-02-15T09:27:15.987Z"}}}"#,
        // Trailing garbage.
        br#"{"event":"e","payload":{}} x"#,
        // Deep nesting.
        &[b'['; 200],
        br#"{"event":"e","payload":{"account_id":1.5,"object":{"engagement_id":-0}}}"#,
    ];
    for bytes in cases {
        let a = read_envelope(bytes);
        let b = parse_event(bytes);
        let shown = String::from_utf8_lossy(bytes);
        match (&a, &b) {
            (Err(x), Err(y)) => assert_eq!(x, y, "{shown}"),
            (Ok(s), Ok(e)) => {
                assert_eq!(s.event, e.kind.as_str(), "{shown}");
                assert_eq!(s.event_time_ms, e.event_time_ms, "{shown}");
                assert_eq!(
                    s.engagement_id.as_deref(),
                    e.engagement_id.as_ref().map(|x| x.as_str()),
                    "{shown}"
                );
                assert_eq!(
                    s.account_id.as_deref(),
                    e.account_id.as_ref().map(|x| x.as_str()),
                    "{shown}"
                );
            }
            _ => panic!("{shown}: {a:?} vs {b:?}"),
        }
    }
    let s = read_envelope(cases[2]).unwrap();
    assert_eq!(s.engagement_id.as_deref(), Some("B"));
    let s = read_envelope(cases[4]).unwrap();
    assert_eq!(s.engagement_id.as_deref(), Some("A\"B"));
    assert_eq!(s.event_time_ms, Some(1_644_917_235_987));
}
