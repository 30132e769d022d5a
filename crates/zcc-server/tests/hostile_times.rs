//! Issue 31, finding 1: no event time, however absurd, may take a page, the API or an export
//! down. Bodies with times at the i64 extremes, far in the future and the past, and in the
//! wrong unit (seconds, microseconds) are stored in a real SQLite ledger, folded by the default
//! rule, and then the call page, the API detail and every export table in every format are
//! asked for. Each must answer 200 promptly, and the engagement's times must be plausible ones
//! (`zcc_events::PLAUSIBLE_MS`) or the receive time.

mod web_support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use tower::ServiceExt;
use web_support::Corpus;

const ENG: &str = "EngHostileTime0000001";
/// The plausible range of event times, as documented (docs/EVENTS.md): 2000-01-01 to
/// 2100-01-01 UTC (`zcc_events::PLAUSIBLE_MS`).
const PLAUSIBLE_MS: std::ops::Range<i64> = 946_684_800_000..4_102_444_800_000;
/// 2026-05-04T14:00:00.000Z, the receive time of every body.
const RECEIVED: i64 = 1_777_903_200_000;

/// The times the hostile-testing run used, and their neighbours.
const EXTREMES: [i64; 14] = [
    i64::MAX,
    i64::MAX - 1,
    i64::MIN,
    i64::MIN + 1,
    -1,
    0,
    1_777_903_200,             // seconds, read as milliseconds: January 1970
    1_777_903_200_000_000,     // microseconds
    1_777_903_200_000_000_000, // nanoseconds
    253_402_300_799_999,       // 9999-12-31T23:59:59.999Z
    -62_135_596_800_000,       // 0001-01-01
    8_210_298_412_799_999,     // chrono's last representable millisecond
    946_684_799_999,           // just before the plausible range
    4_102_444_800_000,         // just after it
];

/// One call whose every time is `t` (or `t + k`), with `event_ts` either `ts` or absent.
fn bodies(t: i64, ts: Option<i64>) -> Vec<(String, i64)> {
    let events = [
        ("engagement_started", None),
        ("engagement_consumer_answered", None),
        ("engagement_user_answered", Some("UsrHostile1")),
        ("engagement_user_hold", Some("UsrHostile1")),
        ("engagement_user_unhold", Some("UsrHostile1")),
        ("engagement_user_answered", Some("UsrHostile2")),
        ("engagement_user_ended", Some("UsrHostile1")),
        ("engagement_ended", None),
    ];
    events
        .iter()
        .enumerate()
        .map(|(k, (event, user))| {
            let k = k as i64;
            let mut object = serde_json::json!({
                "engagement_id": ENG,
                "channel": "voice",
                "engagement_direction": "inbound",
                "date_time_ms": t.wrapping_add(k * 1000),
                "start_time": t.wrapping_sub(k),
            });
            if let Some(u) = user {
                object["user_id"] = (*u).into();
            }
            let mut body = serde_json::json!({
                "event": format!("contact_center.{event}"),
                "payload": {"account_id": "AcctHostile", "object": object},
            });
            if let Some(ts) = ts {
                body["event_ts"] = ts.wrapping_add(k).into();
            }
            (body.to_string(), RECEIVED + k)
        })
        .collect()
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let req = Request::get(uri).body(Body::empty()).unwrap();
    let app = app.clone();
    let uri = uri.to_owned();
    // The page once looped without end on such times: a bounded wait turns that into a failure.
    let answer = tokio::time::timeout(Duration::from_secs(20), async move {
        let resp = app.oneshot(req).await.unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, body.to_vec())
    })
    .await;
    answer.unwrap_or_else(|_| panic!("GET {uri} did not answer within 20 s"))
}

/// Store the call, then ask for everything that shows it.
async fn check(t: i64, ts: Option<i64>) {
    let corpus = Corpus::from_bodies(&bodies(t, ts)).await;
    let app = zcc_server::router(corpus.state(None));

    let (status, page) = get(&app, &format!("/engagements/{ENG}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the call page for time {t}, event_ts {ts:?}"
    );
    let page = String::from_utf8(page).unwrap();
    let ticks = page.matches(r#"class="tick""#).count();
    assert!(ticks <= 9, "{ticks} ticks on the axis for time {t}");

    let (status, detail) = get(&app, &format!("/api/engagements/{ENG}")).await;
    assert_eq!(status, StatusCode::OK, "the API detail for time {t}");
    let detail: serde_json::Value = serde_json::from_slice(&detail).unwrap();
    let started = detail["projection"]["engagement"]["started_at"]
        .as_i64()
        .or_else(|| detail["engagement"]["started_at"].as_i64());
    if let Some(started) = started {
        assert!(
            PLAUSIBLE_MS.contains(&started) || (RECEIVED..RECEIVED + 10).contains(&started),
            "the engagement starts at {started} for time {t}, event_ts {ts:?}: neither plausible nor the receive time"
        );
    }

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
            let (status, body) = get(&app, &format!("/api/exports/{table}?format={format}")).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "export {table} as {format} for time {t}: {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_event_times_are_served_everywhere() {
    for t in EXTREMES {
        check(t, Some(t)).await;
        check(t, None).await;
        check(t, Some(RECEIVED)).await;
    }
}

fn any_time() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        Just(i64::MAX),
        Just(i64::MIN),
        // seconds, milliseconds and microseconds of this century
        946_684_800i64..4_102_444_800,
        946_684_800_000i64..4_102_444_800_000,
        946_684_800_000_000i64..4_102_444_800_000_000,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_event_times_are_served_everywhere(t in any_time(), ts in proptest::option::of(any_time())) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(check(t, ts));
    }
}

/// Every time in a projection's JSON (`at`, `*_at`), replaced in turn by one of `times`.
fn retime(v: &mut serde_json::Value, times: &[i64], next: &mut usize) {
    match v {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if (key == "at" || key.ends_with("_at")) && value.is_i64() {
                    *value = times[*next % times.len()].into();
                    *next += 1;
                } else {
                    retime(value, times, next);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                retime(item, times, next);
            }
        }
        _ => {}
    }
}

/// A projection stored before times were bounded may hold any time: the timeline and the
/// export rows must still come out, with a bounded axis.
#[test]
fn projections_holding_any_time_render_and_export() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let doc = rt.block_on(async {
        let corpus = Corpus::from_bodies(&bodies(RECEIVED, Some(RECEIVED))).await;
        let app = zcc_server::router(corpus.state(None));
        let (status, detail) = get(&app, &format!("/api/engagements/{ENG}")).await;
        assert_eq!(status, StatusCode::OK);
        let detail: serde_json::Value = serde_json::from_slice(&detail).unwrap();
        detail["projection"].clone()
    });
    assert!(doc.is_object(), "the call was projected: {doc}");
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    });
    let mut cases: Vec<Vec<i64>> = EXTREMES.iter().map(|t| vec![*t]).collect();
    cases.push(vec![i64::MIN, i64::MAX]);
    cases.push(vec![i64::MAX, i64::MIN]);
    cases.push(vec![0, i64::MAX, -1, i64::MIN + 1]);
    for times in cases {
        render_all(&doc, &times);
    }
    runner
        .run(&proptest::collection::vec(any_time(), 1..12), |times| {
            render_all(&doc, &times);
            Ok(())
        })
        .unwrap();
}

fn render_all(doc: &serde_json::Value, times: &[i64]) {
    let mut doc = doc.clone();
    retime(&mut doc, times, &mut 0);
    let p: zcc_model::CallProjection = serde_json::from_value(doc).unwrap();
    let svg = zcc_server::web::timeline::render(&p);
    let ticks = svg.matches(r#"class="tick""#).count();
    assert!(ticks <= 9, "{ticks} ticks for times {times:?}");
    for table in zcc_model::Table::ALL {
        let rows = p.table_rows(*table);
        for row in rows {
            assert_eq!(row.len(), table.columns().len());
        }
    }
}
