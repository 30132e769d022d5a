//! Zoom's documented conference events as the call page and the API show them: the
//! conference's `conference_id`, its outside parties, the Call Control API request that started
//! it, and the engagement's diagnostics.

mod web_support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use web_support::Corpus;

const ENG: &str = "EngDocumentedConf0001";
const CONF: &str = "cc2bc81c-f6fe-4445-89c2-21a04994fb3d";

fn body(event: &str, t: i64, object: serde_json::Value) -> (String, i64) {
    let mut object = object;
    object["engagement_id"] = ENG.into();
    object["date_time_ms"] = t.into();
    let b = serde_json::json!({
        "event": format!("contact_center.{event}"),
        "event_ts": t,
        "payload": {"account_id": "AcctDocumented0000001", "object": object},
    });
    (b.to_string(), t)
}

fn roster(extra: &[serde_json::Value]) -> serde_json::Value {
    let mut r = vec![
        serde_json::json!({"participant_role": "customer", "participant_phone_number": "+14155550123", "participant_display_name": "Pat"}),
        serde_json::json!({"participant_role": "host", "participant_user_id": "alice", "participant_display_name": "Alice"}),
    ];
    r.extend_from_slice(extra);
    serde_json::Value::Array(r)
}

fn call() -> Vec<(String, i64)> {
    let t0 = 1_777_903_200_000i64;
    let bob = serde_json::json!({"participant_role": "invitee", "participant_user_id": "bob", "participant_display_name": "Bob"});
    let outside = serde_json::json!({"participant_role": "invitee", "participant_phone_number": "+1479235161723", "participant_display_name": "John"});
    vec![
        body(
            "engagement_started",
            t0,
            serde_json::json!({"channel": "voice"}),
        ),
        body(
            "engagement_consumer_answered",
            t0 + 1_000,
            serde_json::json!({}),
        ),
        body(
            "engagement_user_answered",
            t0 + 5_000,
            serde_json::json!({"user_id": "alice"}),
        ),
        body(
            "call_control_conference_warm_invite_executed",
            t0 + 19_900,
            serde_json::json!({
            "user_id": "alice", "request_id": "ReqWarm0001", "conference_id": CONF}),
        ),
        body(
            "engagement_conference_participant_invited",
            t0 + 20_000,
            serde_json::json!({
            "conference_id": CONF, "conference_participants": roster(&[]),
            "invited_participant": {"participant_user_id": "bob"}}),
        ),
        body(
            "engagement_user_answered",
            t0 + 22_000,
            serde_json::json!({"user_id": "bob"}),
        ),
        body(
            "engagement_conference_participant_joined",
            t0 + 22_000,
            serde_json::json!({
            "conference_id": CONF, "conference_participants": roster(std::slice::from_ref(&bob)),
            "joining_participant": {"participant_user_id": "bob"}}),
        ),
        body(
            "engagement_conference_participant_joined",
            t0 + 25_000,
            serde_json::json!({
            "conference_id": CONF, "conference_participants": roster(&[bob, outside]),
            "joining_participant": {"participant_phone_number": "+1479235161723"}}),
        ),
        // An event that names nobody this model can read: a diagnostic, not a loss.
        body(
            "engagement_conference_participant_left",
            t0 + 40_000,
            serde_json::json!({
            "conference_id": CONF}),
        ),
        body(
            "engagement_conference_participant_left",
            t0 + 50_000,
            serde_json::json!({
            "conference_id": CONF, "conference_participants": roster(&[]),
            "leaving_participant": {"participant_user_id": "bob"}}),
        ),
        body(
            "engagement_user_ended",
            t0 + 50_000,
            serde_json::json!({"user_id": "bob"}),
        ),
        body(
            "engagement_consumer_ended",
            t0 + 90_000,
            serde_json::json!({}),
        ),
        body(
            "engagement_user_ended",
            t0 + 90_000,
            serde_json::json!({"user_id": "alice"}),
        ),
        body("engagement_ended", t0 + 91_000, serde_json::json!({})),
    ]
}

async fn get(corpus: &Corpus, uri: &str) -> (StatusCode, String) {
    let app = zcc_server::router(corpus.state(None));
    let res = app
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn the_call_page_and_the_api_show_what_zoom_said_of_the_conference() {
    let corpus = Corpus::from_bodies(&call()).await;

    let (status, page) = get(&corpus, &format!("/engagements/{ENG}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(&format!("Zoom conference_id {CONF}")),
        "{page}"
    );
    assert!(page.contains("outside parties +1479235161723"), "{page}");
    assert!(page.contains("Call Control API request"), "{page}");
    assert!(page.contains("ReqWarm0001"), "{page}");
    assert!(page.contains("unreadable_participant"), "{page}");

    let (status, detail) = get(&corpus, &format!("/api/engagements/{ENG}")).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let v: serde_json::Value = serde_json::from_str(&detail).unwrap();
    let conf = &v["projection"]["conferences"][0];
    assert_eq!(conf["conference_id"], CONF, "{v}");
    assert_eq!(conf["source"], "explicit");
    assert_eq!(conf["participants"], serde_json::json!(["alice", "bob"]));
    assert_eq!(
        conf["external_participants"],
        serde_json::json!(["+1479235161723"])
    );
    assert_eq!(conf["api_call"]["request_id"], "ReqWarm0001");
    let kinds: Vec<&str> = v["projection"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["unreadable_participant"]);
}
