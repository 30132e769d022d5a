//! Golden test over Zoom's published example bodies (one per documented event type).

use std::path::{Path, PathBuf};

use serde_json::Value;
use zcc_events::{
    ActionType, Channel, Direction, EnvelopeError, EventKind, Family, FamilyKind, TaskStatus,
    TransferLevel, TransferType, parse_event, parse_time_str, read_envelope,
};

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/zoom-examples"
);

fn sample_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(SAMPLES)
        .unwrap_or_else(|e| panic!("cannot list the samples in {SAMPLES}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
}

fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(SAMPLES).join(format!("contact_center.{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn ms(iso: &str) -> i64 {
    parse_time_str(iso).unwrap_or_else(|| panic!("{iso} is not a time"))
}

/// The event time SPEC I7 asks for, worked out from the raw JSON independently of the crate.
fn expected_time(name: &str, object: &Value, event_ts: i64) -> i64 {
    let t = |k: &str| object.get(k).and_then(Value::as_str).map(ms);
    let short = name.trim_start_matches("contact_center.");
    let own = if short.starts_with("task_") {
        let created = short == "task_created" || short == "task_reservation_created";
        t("last_modified_time_ms")
            .or(t("date_time_ms"))
            .or(if created { t("created_time_ms") } else { None })
    } else if short.starts_with("recording_") && short != "recording_transcript_completed" {
        let ends = short == "recording_completed" || short == "recording_stopped";
        t("date_time_ms").or(if ends {
            t("recording_end_time_ms")
        } else {
            t("recording_start_time_ms")
        })
    } else if short.contains("engagement_end_data_ready") {
        t("date_time_ms").or(t("start_time"))
    } else {
        t("date_time_ms")
    };
    own.unwrap_or(event_ts)
}

/// Fixtures whose body names another event than the file: Zoom's examples as published.
/// The trailing dot makes the second an unknown name, kept verbatim.
const MISLABELLED: [(&str, &str); 2] = [
    (
        "contact_center.queue_deleted",
        "contact_center.queue_created",
    ),
    (
        "contact_center.user_skills_assigned",
        "contact_center.user_skills_assigned.",
    ),
];

#[test]
fn every_sample_reads_into_the_model() {
    let paths = sample_paths();
    assert!(
        paths.len() >= 108,
        "expected 108 samples, found {}",
        paths.len()
    );
    let mut typed = 0;
    for path in &paths {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let body = std::fs::read(path).unwrap();
        if file == "contact_center.message_status.json" {
            continue; // malformed on purpose: see the next test
        }
        let raw: Value = serde_json::from_slice(&body).unwrap();
        // The body's own name (one fixture, queue_deleted.json, carries queue_created).
        let name = raw["event"].as_str().unwrap();
        let event = parse_event(&body).unwrap_or_else(|e| panic!("{file}: {e}"));
        let summary = read_envelope(&body).unwrap_or_else(|e| panic!("{file}: {e}"));

        let stem = file.trim_end_matches(".json");
        assert!(
            !EventKind::from_name(stem).is_unknown(),
            "{stem}: kind not known"
        );
        if name == stem {
            assert!(!event.kind.is_unknown(), "{file}: kind not known");
        } else {
            assert!(MISLABELLED.contains(&(stem, name)), "{file} carries {name}");
        }
        // Whatever the name, it is kept verbatim.
        assert_eq!(event.kind.as_str(), name, "{file}");
        assert_eq!(EventKind::from_name(name), event.kind, "{file}");
        assert!(event.warnings.is_empty(), "{file}: {:?}", event.warnings);

        let object = &raw["payload"]["object"];
        let event_ts = raw["event_ts"].as_i64().unwrap();
        assert_eq!(event.event_ts, Some(event_ts), "{file}");
        assert_eq!(
            event.account_id.as_ref().map(|a| a.as_str()),
            raw["payload"]["account_id"].as_str(),
            "{file}"
        );
        assert_eq!(
            event.engagement_id.as_ref().map(|e| e.as_str()),
            object["engagement_id"].as_str(),
            "{file}"
        );
        let want = expected_time(name, object, event_ts);
        assert_eq!(event.event_time_ms, Some(want), "{file}: event time");

        // The log's summary and the typed model agree.
        assert_eq!(summary.event, name);
        assert_eq!(summary.event_time_ms, event.event_time_ms, "{file}");
        assert_eq!(
            summary.engagement_id.as_deref(),
            object["engagement_id"].as_str()
        );

        // Typed families are read as typed; ids survive verbatim.
        let family = event.kind.family();
        match (&event.object, family) {
            (Family::Other(map), FamilyKind::Other) => {
                assert_eq!(&Value::Object(map.clone()), object, "{file}: kept verbatim");
            }
            (Family::Other(_), f) => panic!("{file}: family {f:?} not read"),
            _ => typed += 1,
        }
    }
    assert!(
        typed >= 50,
        "only {typed} samples were read into a typed family"
    );
}

#[test]
fn malformed_sample_fails_with_a_clear_error() {
    let body = sample("message_status");
    let err = read_envelope(&body).unwrap_err();
    assert!(matches!(err, EnvelopeError::NotJson { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("body is not JSON"), "{text}");
    assert!(
        text.contains("line 13"),
        "the error should say where: {text}"
    );
    assert_eq!(parse_event(&body).unwrap_err(), err);
}

#[test]
fn engagement_started() {
    let e = parse_event(&sample("engagement_started")).unwrap();
    let Family::Engagement(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(o.engagement_id.as_str(), "u154t5-ASlK83fZb1YWqgw");
    assert_eq!(o.engagement_direction, Some(Direction::Inbound));
    assert_eq!(o.channel, Some(Channel::Voice));
    assert_eq!(
        o.flow_id.as_ref().unwrap().as_str(),
        "ZWWC0A840C726C2CE3ACF01041CB8CFD8B9"
    );
    assert_eq!(o.transfer_from.as_deref(), Some("zoom_phone"));
    assert_eq!(o.transfer_from_id.as_deref(), Some("7396294160320498337"));
    assert_eq!(e.event_time_ms, Some(ms("2023-05-01T09:27:15.987Z")));
    assert!(o.extra.is_empty(), "{:?}", o.extra);
}

#[test]
fn user_answered_leg() {
    let e = parse_event(&sample("engagement_user_answered")).unwrap();
    assert_eq!(e.kind, EventKind::EngagementUserAnswered);
    let Family::Leg(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(
        o.user_id.as_ref().unwrap().as_str(),
        "IGTRVt3gQ2i-WjoUIjeZxw"
    );
    assert_eq!(o.user_display_name.as_deref(), Some("John Doe"));
    assert_eq!(
        o.consumer_id.as_ref().unwrap().as_str(),
        "szCyubr_aQhieHNWYbAGMYg"
    );
    let flow_number = o.flow_number.as_ref().unwrap();
    assert_eq!(flow_number.raw, "18005550101");
    assert_eq!(flow_number.normalized, "+18005550101");
    assert_eq!(
        o.consumer_number.as_ref().unwrap().normalized,
        "+18005550100"
    );
    assert_eq!(
        o.cc_queue_id.as_ref().unwrap().as_str(),
        "xqJE_cgERLyAJHYYL5LLeg"
    );
    assert_eq!(o.channel, Some(Channel::Video));
    assert_eq!(o.channel_source.as_deref(), Some("in_app_video"));
    assert_eq!(o.date_time_ms, Some(ms("2022-02-15T09:27:15.987Z")));
    assert!(o.extra.is_empty(), "{:?}", o.extra);
}

#[test]
fn hold_and_unhold_are_legs_with_the_agent() {
    for name in ["engagement_user_hold", "engagement_user_unhold"] {
        let e = parse_event(&sample(name)).unwrap();
        let Family::Leg(o) = &e.object else {
            panic!("{name}: {:?}", e.object)
        };
        assert!(o.user_id.is_some(), "{name}: no agent");
    }
    assert!(
        EventKind::EngagementUserHold.tie_break_rank()
            < EventKind::EngagementUserUnhold.tie_break_rank()
    );
}

#[test]
fn transfer_initiated() {
    let e = parse_event(&sample("engagement_transfer_initiated")).unwrap();
    let Family::Transfer(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(
        o.task_id.as_ref().unwrap().as_str(),
        "ZWTFBC1C663A02CFCDD971EC9B538C49372"
    );
    assert_eq!(
        o.transfer_to_task_id.as_ref().unwrap().as_str(),
        "ZWTAF8GB6GW796WER6B8WET3BG8H3JWE89T"
    );
    assert_eq!(o.task_status, Some(TaskStatus::Assigned));
    assert_eq!(o.transfer_to_task_status, Some(TaskStatus::Pending));
    assert_eq!(o.transfer_type, Some(TransferType::Warm));
    assert_eq!(o.transfer_level, Some(TransferLevel::Queue));
    assert_eq!(o.task_timeout, Some(86400));
    assert_eq!(
        o.user_id.as_ref().unwrap().as_str(),
        "IGTRVt3gQ2i-WjoUIjeZxw"
    );
    assert_eq!(
        o.transfer_to_user_id.as_ref().unwrap().as_str(),
        "WTTRVy3gQ2i-WjoUIjeHzh"
    );
    assert_eq!(
        o.transfer_to_cc_queue_id.as_ref().unwrap().as_str(),
        "pqMF_dhFSMzBKIZZM6MMfh"
    );
    assert_eq!(
        o.transfer_to_flow_id.as_ref().unwrap().as_str(),
        "ZWW8234F77B9AC12225F3E2DD84B7F6E3A7"
    );
    assert_eq!(
        o.transfer_to_inbox_id.as_ref().unwrap().as_str(),
        "1BECnH7FQpS3iYplEpiN1Q"
    );
    assert_eq!(o.transfer_to_number.as_ref().unwrap().raw, "+18005550110");
    assert_eq!(e.event_time_ms, Some(ms("2021-12-03T05:07:46.987Z")));
    assert!(o.extra.is_empty(), "{:?}", o.extra);
}

#[test]
fn task_created_uses_last_modified_time() {
    let e = parse_event(&sample("task_created")).unwrap();
    let Family::Task(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(o.task_id.as_str(), "ZWTFBC1C663A02CFCDD971EC9B538C49372");
    assert_eq!(o.engagement_id.as_str(), "HdOQ9e_aRdO0lyQutA17qQ");
    assert_eq!(o.task_status, Some(TaskStatus::Pending));
    assert_eq!(o.channel_name, Some(Channel::Video));
    assert_eq!(o.auto_assign, Some(false));
    assert_eq!(o.task_priority, Some(0));
    assert_eq!(o.caller_number.as_ref().unwrap().normalized, "+18005550100");
    assert_eq!(o.created_time_ms, Some(ms("2022-06-14T15:56:53.987Z")));
    assert_eq!(e.event_time_ms, o.last_modified_time_ms);
    assert!(o.extra.is_empty(), "{:?}", o.extra);
}

#[test]
fn task_entered_queue_keeps_queue_configuration_in_extra() {
    let e = parse_event(&sample("task_entered_queue")).unwrap();
    let Family::Task(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(
        o.cc_queue_id.as_ref().unwrap().as_str(),
        "xqJE_cgERLyAJHYYL5LLeg"
    );
    assert_eq!(o.extra.get("max_wait_time"), Some(&Value::from(50)));
    assert_eq!(o.extra.get("message_accept"), Some(&Value::from("manual")));
    assert_eq!(e.event_time_ms, Some(ms("2022-02-15T09:27:15.987Z")));
}

#[test]
fn reservation_created() {
    let e = parse_event(&sample("task_reservation_created")).unwrap();
    let Family::Reservation(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(
        o.task_reservation_id.as_str(),
        "ZWR1C1FB695C654A829FE56553A709E8EBB"
    );
    assert_eq!(
        o.task_id.as_ref().unwrap().as_str(),
        "ZWTFBC1C663A02CFCDD971EC9B538C49372"
    );
    assert_eq!(
        o.assigned_user_id.as_ref().unwrap().as_str(),
        "M2rStJNqSyOlmyw-ti2fGg"
    );
    let caller = o.caller_number.as_ref().unwrap();
    assert_eq!(
        (caller.raw.as_str(), caller.normalized.as_str()),
        ("1026", "1026")
    );
    assert!(caller.is_extension());
    assert_eq!(e.event_time_ms, Some(ms("2022-06-14T15:56:53.987Z")));
    for name in [
        "task_reservation_accepted",
        "task_reservation_rejected",
        "task_reservation_timeout",
        "task_reservation_canceled",
        "task_reservation_completed",
    ] {
        let e = parse_event(&sample(name)).unwrap();
        assert!(matches!(e.object, Family::Reservation(_)), "{name}");
    }
}

#[test]
fn supervision_old_and_new_names() {
    let e = parse_event(&sample("engagement_monitor_started")).unwrap();
    let Family::Supervision(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(o.action_type, Some(ActionType::Barge));
    assert_eq!(
        o.supervisor_user_id().unwrap().as_str(),
        "KVTRVt3gQ2i-WjoUIjeZxd"
    );
    assert_eq!(
        o.user_id.as_ref().unwrap().as_str(),
        "IGTRVt3gQ2i-WjoUIjeZxw"
    );
    assert_eq!(
        o.contact_center_number.as_ref().unwrap().raw,
        "+18005550100"
    );

    let e = parse_event(&sample("engagement_takeover_started")).unwrap();
    let Family::Supervision(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(
        o.supervisor_user_id().unwrap().as_str(),
        "KVTRVt3gQ2i-WjoUIjeZxs"
    );
    assert_eq!(o.action_type, None);

    for name in ["barge", "monitor", "takeover", "whisper"] {
        let full = format!("contact_center.engagement_user_{name}_initiated");
        let kind = EventKind::from_name(&full);
        assert_eq!(kind.family(), FamilyKind::Supervision, "{full}");
        assert!(kind.named_supervision_mode().is_some(), "{full}");
        assert_eq!(kind.as_str(), full);
    }
}

#[test]
fn recording_lists_its_users_and_consumers() {
    let e = parse_event(&sample("recording_completed")).unwrap();
    let Family::Recording(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(o.recording_id.as_str(), "ghyetrjj_sdfsdgfkdjfl11");
    assert_eq!(o.users.len(), 1);
    assert_eq!(
        o.users[0].user_id.as_ref().unwrap().as_str(),
        "IGTRVt3gQ2i-WjoUIjeZxw"
    );
    assert_eq!(o.users[0].user_display_name.as_deref(), Some("John Doe"));
    assert_eq!(o.consumers.len(), 1);
    assert_eq!(
        o.consumers[0].consumer_number.as_ref().unwrap().normalized,
        "+18005550100"
    );
    assert_eq!(o.recording_duration, Some(150));
    assert_eq!(
        o.owner_id.as_ref().unwrap().as_str(),
        "IGTRVt3gQ2i-WjoUIjeZxw"
    );
    // No date_time_ms: a completed recording's time is its end.
    assert_eq!(e.event_time_ms, Some(ms("2022-02-15T09:27:15.987Z")));
    assert_eq!(
        o.recording_start_time_ms,
        Some(ms("2022-02-15T08:12:15.986Z"))
    );
}

#[test]
fn end_data_ready_and_other_families() {
    let e = parse_event(&sample("cx_engagement_end_data_ready")).unwrap();
    let Family::Engagement(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(o.start_time, Some(ms("2023-05-01T09:25:18.264Z")));
    assert_eq!(e.event_time_ms, Some(ms("2023-05-01T09:27:15.987Z")));

    let e = parse_event(&sample("user_status_changed")).unwrap();
    assert_eq!(e.kind, EventKind::UserStatusChanged);
    assert!(matches!(e.object, Family::Other(_)));
    assert_eq!(e.engagement_id, None);
    assert_eq!(e.event_time_ms, Some(ms("2022-02-15T09:27:15.987Z")));
}

/// The strict reading of `event_ts` (a dedupe key): certain for one plain integer or for no
/// number at all, left open wherever readers of the same bytes may disagree.
#[test]
fn strict_event_ts_is_certain_only_where_every_reader_agrees() {
    let read = |fields: &str| {
        let body = format!(r#"{{"event":"a",{fields}"payload":{{}}}}"#);
        read_envelope(body.as_bytes())
            .unwrap_or_else(|e| panic!("{body}: {e}"))
            .strict_event_ts
    };
    assert_eq!(
        read(r#""event_ts":1777903330000,"#),
        Some(1_777_903_330_000)
    );
    assert_eq!(read(r#""event_ts":-5,"#), Some(-5));
    assert_eq!(read(r#""event_ts":9223372036854775807,"#), Some(i64::MAX));
    assert_eq!(read(""), Some(0), "no event_ts");
    assert_eq!(read(r#""event_ts":"1777903330000","#), Some(0), "a string");
    assert_eq!(read(r#""event_ts":null,"#), Some(0));
    assert_eq!(read(r#""event_ts":{"ms":1},"#), Some(0));
    assert_eq!(read(r#""event_tsx":1,"#), Some(0), "another key");
    for open in [
        r#""event_ts":1,"event_ts":2,"#,
        r#""event\u005fts":1,"#,
        r#""event_ts":1.0,"#,
        r#""event_ts":1e3,"#,
        r#""event_ts":-0,"#,
        r#""event_ts":9223372036854775808,"#,
        r#""event_ts":99999999999999999999,"#,
    ] {
        assert_eq!(read(open), None, "{open}");
    }
    // Only the top level counts.
    let nested = r#"{"event":"a","payload":{"event_ts":7,"event_ts":8}}"#;
    assert_eq!(
        read_envelope(nested.as_bytes()).unwrap().strict_event_ts,
        Some(0)
    );
}

/// Zoom's documented 2026 conference events: every field the model reads is read, with no
/// warning, from the bodies as published.
#[test]
fn documented_conference_events_are_read_without_warnings() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/zoom-examples-2026"
    );
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        seen += 1;
        let bytes = std::fs::read(&path).unwrap();
        let e = parse_event(&bytes).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        assert!(
            e.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            e.warnings
        );
        assert!(e.event_time_ms.is_some(), "{}", path.display());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match &e.object {
            Family::Conference(o) => {
                assert!(o.conference_id.is_some(), "{name}");
                assert_eq!(o.teams.len(), 1, "{name}");
                assert_eq!(o.division_name.as_deref(), Some("My division"), "{name}");
                if name.contains("engagement_conference_canceled") {
                    assert!(o.conference_participants.is_none(), "{name}");
                    assert!(o.subject().is_none(), "{name}");
                    continue;
                }
                let roster = o.conference_participants.as_ref().expect("a roster");
                assert!(roster.iter().any(|p| p.is_customer()), "{name}");
                assert!(roster.iter().any(|p| p.is_host()), "{name}");
                // The customer and the outside party are phone numbers, read as sent even
                // when they are not valid E.164.
                assert!(
                    roster
                        .iter()
                        .filter_map(|p| p.outside_number())
                        .all(|n| n.raw.starts_with("+14792")),
                    "{name}"
                );
                assert_eq!(
                    o.participant_user_id().map(|u| u.to_string()).as_deref(),
                    Some("ppsafdjsahfdag"),
                    "{name}"
                );
            }
            Family::CallControl(o) => {
                assert_eq!(
                    o.conference_id.as_deref(),
                    Some("b765b61c-7dc8-4c95-b0b9-f2468b7187d1")
                );
                assert_eq!(
                    o.user_id.as_ref().map(|u| u.0.as_str()),
                    Some("IGTRVt3gQ2i-WjoUIjeZxw")
                );
            }
            other => panic!("{name}: read as {other:?}"),
        }
    }
    assert_eq!(seen, 8);
}

#[test]
fn dispositions_and_notes_are_read_as_annotations() {
    let e = parse_event(&sample("engagement_disposition_added")).unwrap();
    assert_eq!(e.kind.family(), FamilyKind::Annotation);
    let Family::Annotation(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(o.disposition_id.as_deref(), Some("W_VATTk_Q5aW6z5rZtBxAQ"));
    assert_eq!(o.disposition_name.as_deref(), Some("My disposition"));
    assert_eq!(
        o.user_id.as_ref().map(|u| u.as_str()),
        Some("IGTRVt3gQ2i-WjoUIjeZxw")
    );
    // Who last edited the disposition's definition is not who chose it: kept, not read.
    assert!(o.extra.contains_key("modified_by"));
    assert_eq!(e.event_time_ms, Some(ms("2021-12-03T05:07:46.987Z")));

    let e = parse_event(&sample("engagement_note_added")).unwrap();
    let Family::Annotation(o) = &e.object else {
        panic!("{:?}", e.object)
    };
    assert_eq!(o.note_id.as_deref(), Some("W_VATTk_Q5aW6z5rZtBxAQ"));
    assert_eq!(o.note.as_deref(), Some("This is the example note content."));
    assert_eq!(
        e.engagement_id.as_ref().map(|i| i.as_str()),
        Some("HdOQ9e_aRdO0lyQutA17qQ")
    );
    assert_eq!(e.event_time_ms, Some(ms("2022-10-15T09:27:15.987Z")));
}
