//! The fold's borrowed reading ([`read_fold_fields`]) against the typed model: on every one of
//! Zoom's samples it either reads the body, giving exactly what the typed event gives the fold,
//! or gives up; it gives up on what it was not made for, and reads the rest.

use std::path::PathBuf;

use serde_json::Value;
use zcc_events::{
    FamilyKind, FoldFields, ParseOptions, ZccEvent, parse_event_str_with, read_fold_fields,
};

fn samples() -> Vec<(PathBuf, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
    let mut out = Vec::new();
    for dir in ["zoom-examples", "zoom-examples-2026"] {
        let dir = PathBuf::from(root).join(dir);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

fn typed(text: &str) -> ZccEvent {
    parse_event_str_with(text, ParseOptions { skip_extra: true }).expect("an envelope")
}

/// The borrowed reading of `text`, checked against the typed event.
fn both(text: &str) -> Option<FoldFields<'_>> {
    let fast = read_fold_fields(text)?;
    assert_eq!(fast, typed(text).fold_fields(), "on {text}");
    Some(fast)
}

#[test]
fn every_sample_is_read_borrowed_or_left_to_the_typed_reading() {
    let mut borrowed = 0;
    for (path, text) in samples() {
        let Ok(event) = parse_event_str_with(&text, ParseOptions { skip_extra: true }) else {
            // A sample that is not an envelope is not read either way.
            assert!(read_fold_fields(&text).is_none(), "{}", path.display());
            continue;
        };
        let family = event.fold_fields().family;
        match both(&text) {
            Some(_) => borrowed += 1,
            // Conference events carry rosters, read typed; a sample may also spell an id as a
            // number or leave a required one out.
            None => assert!(
                family == FamilyKind::Conference || family == FamilyKind::Other,
                "{} was not read borrowed",
                path.display()
            ),
        }
    }
    assert!(borrowed >= 100, "only {borrowed} samples read borrowed");
}

#[test]
fn a_text_field_of_another_family_is_not_read() {
    // `assigned_user_id` belongs to reservations, `note` to annotations: a leg does not read
    // them, in either reading.
    let text = r#"{"event":"contact_center.engagement_user_answered","payload":{"account_id":"A","object":{"engagement_id":"E","user_id":"U","assigned_user_id":"X","note":"n","date_time_ms":1777903330000}}}"#;
    let fast = both(text).expect("read borrowed");
    assert_eq!(fast.object.user_id, Some("U"));
    assert_eq!(fast.object.assigned_user_id, None);
    assert_eq!(fast.object.note, None);
}

#[test]
fn every_fold_field_of_every_family_agrees() {
    // Each sample with every text key the fold reads added (a string, as Zoom sends them):
    // both readings keep exactly the ones its family has.
    let keys = [
        "engagement_direction",
        "channel",
        "channel_name",
        "flow_id",
        "flow_name",
        "cc_queue_id",
        "queue_id",
        "queue_name",
        "consumer_id",
        "consumer_number",
        "consumer_display_name",
        "caller_number",
        "callee_number",
        "user_id",
        "user_display_name",
        "task_id",
        "task_reservation_id",
        "recording_id",
        "transfer_to_task_id",
        "transfer_to_user_id",
        "transfer_to_user_display_name",
        "transfer_to_cc_queue_id",
        "transfer_to_queue_name",
        "transfer_to_number",
        "transfer_to_flow_id",
        "transfer_to_inbox_id",
        "transfer_type",
        "transfer_level",
        "assigned_user_id",
        "action_type",
        "monitoring_user_id",
        "monitoring_user_display_name",
        "takeover_user_id",
        "takeover_user_display_name",
        "supervisor_id",
        "supervisor_display_name",
        "conference_id",
        "request_id",
        "disposition_id",
        "disposition_name",
        "note_id",
        "note",
    ];
    let mut read = 0;
    for (_, text) in samples() {
        let Ok(mut v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let Some(object) = v
            .get_mut("payload")
            .and_then(|p| p.get_mut("object"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for key in keys {
            object.insert(key.to_owned(), Value::from(format!("{key} value")));
        }
        let text = serde_json::to_string(&v).unwrap();
        if let Some(fast) = both(&text) {
            read += 1;
            if fast.family != FamilyKind::Other {
                assert!(fast.object != Default::default(), "{text}");
            }
        }
    }
    assert!(read >= 100, "only {read} samples read borrowed");
}

#[test]
fn irregular_bodies_are_left_to_the_typed_reading() {
    let object = |fields: &str| {
        format!(
            r#"{{"event":"contact_center.engagement_user_hold","event_ts":1777903330000,"payload":{{"account_id":"A","object":{{{fields}}}}}}}"#
        )
    };
    let regular = object(r#""engagement_id":"E","user_id":"U""#);
    assert!(both(&regular).is_some());
    for text in [
        // An escaped string in a field the fold reads.
        object(r#""engagement_id":"E","user_id":"U\u0031""#),
        // A number where an id is expected (the typed reading converts it, with a warning).
        object(r#""engagement_id":"E","user_id":17"#),
        // A required id missing: the typed object is read as another family.
        object(r#""user_id":"U""#),
        // A byte-order mark.
        format!("\u{feff}{regular}"),
        // Two payloads.
        r#"{"event":"contact_center.engagement_user_hold","payload":{"object":{"engagement_id":"E"}},"payload":{"object":{"engagement_id":"F"}}}"#.to_owned(),
        // An explicit conference event (a roster).
        r#"{"event":"contact_center.engagement_conference_participant_joined","payload":{"object":{"engagement_id":"E","conference_id":"C","conference_participants":[]}}}"#.to_owned(),
        // Not an envelope at all.
        r#"{"event":"contact_center.engagement_user_hold"}"#.to_owned(),
        "[1,2]".to_owned(),
    ] {
        assert!(read_fold_fields(&text).is_none(), "read borrowed: {text}");
    }
}

#[test]
fn key_order_escaped_keys_and_repeats_read_as_the_typed_model_reads_them() {
    for text in [
        // `payload` before `event`.
        r#"{"payload":{"object":{"engagement_id":"E","user_id":"U","date_time_ms":"2026-05-04T14:00:25.340Z"}},"event":"contact_center.engagement_user_answered"}"#,
        // A key spelled with an escape, and a repeated key (the last one wins).
        r#"{"event":"contact_center.engagement_user_answered","payload":{"object":{"engagement_id":"E","user\u005fid":"U","user_id":"V","date_time_ms":1777903330000}}}"#,
        // A repeated `event` (the last one names the family).
        r#"{"event":"contact_center.engagement_user_hold","payload":{"object":{"engagement_id":"E","task_id":"T","created_time_ms":1777903330000}},"event":"contact_center.task_created"}"#,
        // A name this crate does not know (read as the family the model does not read).
        r#"{"event":"contact_center.something_new","event_ts":1777903330000,"payload":{"object":{"engagement_id":"E","user_id":"U"}}}"#,
        // Times of every kind: unreadable, out of range, numeric text, float.
        r#"{"event":"contact_center.task_reservation_created","event_ts":1777903339000,"payload":{"object":{"engagement_id":"E","task_reservation_id":"R","last_modified_time_ms":"soon","created_time_ms":1.7779033e12,"created_time":"1777903330000","date_time_ms":12}}}"#,
    ] {
        let fast = both(text).unwrap_or_else(|| panic!("not read borrowed: {text}"));
        assert!(fast.event_time_ms.is_some(), "{text}");
    }
}

#[test]
fn fields_borrow_from_the_body() {
    let text = r#"{"event":"contact_center.engagement_user_answered","payload":{"account_id":"A","object":{"engagement_id":"E","user_id":"U"}}}"#;
    let fast = read_fold_fields(text).unwrap();
    let range = text.as_bytes().as_ptr_range();
    for field in [fast.account_id, fast.engagement_id, fast.object.user_id] {
        let field = field.unwrap();
        assert!(range.contains(&field.as_ptr()), "{field} is a copy");
    }
}

#[test]
fn values_the_fold_does_not_read_may_be_any_valid_json() {
    // A lone surrogate escape, a number beyond f64 and deep nesting, none of them in a field
    // the fold reads: serde_json's value reader refuses each (the typed reading then reads a
    // tolerant copy); the borrowed reading skips them, and both read the same fields.
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    for extra in [
        r#""memo":"\ud800""#.to_owned(),
        r#""big":1e400"#.to_owned(),
        format!(r#""deep":{deep}"#),
    ] {
        let text = format!(
            r#"{{"event":"contact_center.engagement_user_answered","payload":{{"object":{{"engagement_id":"E","user_id":"U",{extra},"date_time_ms":1777903330000}}}}}}"#
        );
        let fast = both(&text).unwrap_or_else(|| panic!("not read borrowed: {text}"));
        assert_eq!(fast.object.user_id, Some("U"));
    }
}
