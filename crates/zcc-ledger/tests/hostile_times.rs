//! Issue 31, finding 1, through the binary: calls whose event times sit at the i64 extremes,
//! far ahead or behind, or in the wrong unit, are imported, then `show` (text and JSON) and
//! `export` of every table in every format answer, and every time `show` reports is plausible
//! (2000-01-01 to 2100-01-01 UTC) or the receive time. Each call comes twice: with a plausible
//! envelope `event_ts` (the event time falls back to it) and with none.

mod common;

use common::*;

const PLAUSIBLE_MS: std::ops::Range<i64> = 946_684_800_000..4_102_444_800_000;

const TIMES: [i64; 8] = [
    i64::MAX,
    i64::MIN,
    0,
    1_777_903_200,         // seconds
    1_777_903_200_000_000, // microseconds
    253_402_300_799_999,   // 9999-12-31
    -62_135_596_800_000,   // 0001-01-01
    8_210_298_412_799_999, // chrono's last millisecond
];

fn call(i: usize, t: i64, with_ts: bool) -> Vec<String> {
    [
        ("engagement_started", None),
        ("engagement_consumer_answered", None),
        ("engagement_user_answered", Some("U1")),
        ("engagement_user_hold", Some("U1")),
        ("engagement_user_unhold", Some("U1")),
        ("engagement_ended", None),
    ]
    .iter()
    .enumerate()
    .map(|(k, (event, user))| {
        let mut object = serde_json::json!({
            "engagement_id": format!("EngTime{i}{}", if with_ts { "ts" } else { "" }),
            "channel": "voice",
            "date_time_ms": t.wrapping_add(k as i64 * 1000),
        });
        if let Some(u) = user {
            object["user_id"] = (*u).into();
        }
        let mut body = serde_json::json!({
            "event": format!("contact_center.{event}"),
            "payload": {"account_id": "AcctTime", "object": object},
        });
        // With a plausible event_ts the event time falls back to it; without, the event has
        // no time at all.
        if with_ts {
            body["event_ts"] = (1_777_903_330_000 + k as i64).into();
        }
        body.to_string()
    })
    .collect()
}

/// Every integer under a key ending in `_at` (or `at`), anywhere in `v`.
fn times(v: &serde_json::Value, out: &mut Vec<i64>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match v.as_i64() {
                    Some(t) if k == "at" || k.ends_with("_at") => out.push(t),
                    _ => times(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| times(v, out)),
        _ => {}
    }
}

#[test]
fn show_and_every_export_answer_for_any_event_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(dir.path());
    let mut lines = Vec::new();
    for (i, t) in TIMES.iter().enumerate() {
        lines.extend(call(i, *t, true));
        lines.extend(call(i, *t, false));
    }
    let file = dir.path().join("bodies.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let out = run(&db, &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let mut checked = 0;
    for i in 0..TIMES.len() {
        for suffix in ["ts", ""] {
            let id = format!("EngTime{i}{suffix}");
            let text = run(&db, &["show", &id]);
            assert!(text.status.success(), "show {id}: {}", stderr(&text));
            let json = run(&db, &["show", &id, "--format", "json"]);
            assert!(
                json.status.success(),
                "show {id} --format json: {}",
                stderr(&json)
            );
            let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
            let mut seen = Vec::new();
            times(&v, &mut seen);
            checked += seen.len();
            for t in seen {
                assert!(
                    PLAUSIBLE_MS.contains(&t) || t >= started - 60_000,
                    "show {id} reports time {t}: neither plausible nor the receive time"
                );
            }
        }
    }
    assert!(checked > 100, "show reported {checked} times");
    for table in [
        "engagements",
        "legs",
        "holds",
        "transfers",
        "conference_invitations",
        "conferences",
        "supervision",
        "derived_events",
        "events",
    ] {
        for format in ["jsonl", "csv", "parquet"] {
            let path = dir.path().join(format!("{table}.{format}"));
            let out = run(
                &db,
                &[
                    "export",
                    table,
                    "--format",
                    format,
                    "--output",
                    path.to_str().unwrap(),
                ],
            );
            assert!(
                out.status.success(),
                "export {table} as {format}: {}",
                stderr(&out)
            );
        }
    }
}
