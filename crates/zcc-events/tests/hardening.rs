//! Issue 31: event times outside the plausible range are no times (finding 1), and valid JSON
//! that serde_json refuses is read all the same (finding 7).

use zcc_events::{WarningAction, parse_event, read_envelope};

/// The plausible range of event times, as documented (docs/EVENTS.md): 2000-01-01 to
/// 2100-01-01 UTC (`zcc_events::PLAUSIBLE_MS`).
const PLAUSIBLE_MS: std::ops::Range<i64> = 946_684_800_000..4_102_444_800_000;

const TS: i64 = 1_777_903_330_000;

fn hold(object_time: &str, event_ts: Option<&str>) -> String {
    let ts = event_ts.map_or(String::new(), |t| format!(r#""event_ts":{t},"#));
    format!(
        r#"{{"event":"contact_center.engagement_user_hold",{ts}"payload":{{"account_id":"A","object":{{"engagement_id":"E","user_id":"U","date_time_ms":{object_time}}}}}}}"#
    )
}

#[test]
fn an_implausible_object_time_gives_way_to_event_ts_with_a_warning() {
    for t in [
        "9223372036854775807",
        "-9223372036854775808",
        "1777903330",       // seconds
        "1777903330000000", // microseconds
        "0",
        "\"9999-12-31T23:59:59Z\"",
        "\"1970-01-01T00:00:00Z\"",
        "1e18",
    ] {
        let body = hold(t, Some("1777903330000"));
        let summary = read_envelope(body.as_bytes()).unwrap();
        assert_eq!(
            summary.event_time_ms,
            Some(TS),
            "envelope, date_time_ms {t}"
        );
        let event = parse_event(body.as_bytes()).unwrap();
        assert_eq!(event.event_time_ms, Some(TS), "model, date_time_ms {t}");
        let warning = event
            .warnings
            .iter()
            .find(|w| w.path == "payload.object.date_time_ms")
            .unwrap_or_else(|| panic!("a warning for date_time_ms {t}: {:?}", event.warnings));
        assert_eq!(warning.action, WarningAction::Ignored);
        assert!(
            warning.expected.contains("2000-01-01") && warning.expected.contains("2100-01-01"),
            "the warning names the range: {warning}"
        );

        // No plausible event_ts either: the time is unknown, never the implausible one.
        for ts in [None, Some("9223372036854775807"), Some("12")] {
            let body = hold(t, ts);
            assert_eq!(
                read_envelope(body.as_bytes()).unwrap().event_time_ms,
                None,
                "{body}"
            );
            let event = parse_event(body.as_bytes()).unwrap();
            assert_eq!(event.event_time_ms, None, "{body}");
            assert_eq!(event.event_ts, None, "{body}");
        }
    }
}

#[test]
fn the_range_ends_are_where_the_docs_say() {
    for (t, ok) in [
        (946_684_800_000, true),   // 2000-01-01T00:00:00.000Z
        (946_684_799_999, false),  // a millisecond before
        (4_102_444_799_999, true), // 2099-12-31T23:59:59.999Z
        (4_102_444_800_000, false),
    ] {
        assert_eq!(PLAUSIBLE_MS.contains(&t), ok, "{t}");
        let body = hold(&t.to_string(), None);
        let want = ok.then_some(t);
        assert_eq!(read_envelope(body.as_bytes()).unwrap().event_time_ms, want);
        assert_eq!(parse_event(body.as_bytes()).unwrap().event_time_ms, want);
    }
}

#[test]
fn valid_json_serde_json_refuses_is_read() {
    let inner = |extra: &str| {
        format!(
            r#"{{"event":"contact_center.engagement_user_hold","event_ts":1777903330000,"payload":{{"account_id":"A","object":{{"engagement_id":"E","user_id":"U"{extra}}}}}}}"#
        )
    };
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut bom = "\u{feff}".to_owned();
    bom.push_str(&inner(""));
    for body in [
        inner(r#","big":1e400"#),
        inner(&format!(r#","n":-{}"#, "1".repeat(500))),
        inner(r#","note":"\ud800","\udbff":1"#),
        inner(&format!(r#","deep":{deep}"#)),
        inner(&format!(
            r#","deep":{}1{}"#,
            "{\"a\":".repeat(200),
            "}".repeat(200)
        )),
        bom,
    ] {
        let shown = &body[..body.len().min(160)];
        let summary = read_envelope(body.as_bytes())
            .unwrap_or_else(|e| panic!("read_envelope refused valid JSON ({e}): {shown}"));
        assert_eq!(summary.engagement_id.as_deref(), Some("E"));
        assert_eq!(summary.event_time_ms, Some(TS));
        for skip_extra in [false, true] {
            let event = zcc_events::parse_event_with(
                body.as_bytes(),
                zcc_events::ParseOptions { skip_extra },
            )
            .unwrap_or_else(|e| panic!("parse_event refused valid JSON ({e}): {shown}"));
            assert_eq!(event.engagement_id.map(|e| e.0).as_deref(), Some("E"));
            assert_eq!(event.event_time_ms, Some(TS));
        }
    }
    // A body read from a copy, or past a byte-order mark, leaves the dedupe key to the log.
    let bom = format!("\u{feff}{}", inner(""));
    assert_eq!(read_envelope(bom.as_bytes()).unwrap().strict_event_ts, None);
    assert_eq!(
        read_envelope(inner("").as_bytes()).unwrap().strict_event_ts,
        Some(TS)
    );
}

#[test]
fn what_is_not_json_is_still_refused() {
    for body in [
        "\u{feff}",
        "\u{feff}\u{feff}{\"event\":\"x\",\"payload\":{}}",
        "{\"event\":\"x\",\"payload\":{},}",
        "{\"event\":\"x\",\"payload\":{\"n\":1e}}",
        "{\"event\":\"x\",\"payload\":{\"s\":\"\\ud80\"}}",
        "[[[[",
    ] {
        assert!(read_envelope(body.as_bytes()).is_err(), "{body:?}");
        assert!(parse_event(body.as_bytes()).is_err(), "{body:?}");
    }
}
