//! `GET /api/evaluate` and `POST /api/evaluate` on the real server (127.0.0.1:0): the same
//! report as the use case computes on the same database, against Zoom's explicit conference
//! events (with and without `since`) and against a truth table sent as the body; the bearer
//! token required; bad input named.

mod api_support;

use api_support::{Server, TOKEN};
use serde_json::Value;
use zcc_projector::{EvalScope, TruthTable};
use zcc_sim::{SimConfig, SimItem};

/// A simulated day where every conference call carries Zoom's explicit events; its bodies
/// are posted as webhooks, and its truth (the conferences table) is returned as JSON Lines.
async fn loaded(server: &Server) -> String {
    let config = SimConfig {
        calls: 120,
        seed: 30,
        explicit_conference_share: 1.0,
        ..SimConfig::default()
    };
    let mut truth = String::new();
    for item in zcc_sim::generate(&config).unwrap() {
        match item {
            SimItem::Webhook(d) => server.webhook(&d.body).await,
            SimItem::Truth(row) => {
                truth.push_str(&row.to_json_line());
                truth.push('\n');
            }
        }
    }
    server.caught_up().await;
    truth
}

async fn evaluate(server: &Server, query: &str, truth: Option<&str>) -> (u16, Value) {
    let url = server.url(&format!("/api/evaluate?{query}"));
    let req = match truth {
        None => server.client.get(&url),
        Some(body) => server
            .client
            .post(&url)
            .header("content-type", "application/x-ndjson")
            .body(body.to_owned()),
    };
    let resp = server.auth(req).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_scores_a_rule_as_the_use_case_does() {
    let server = Server::sqlite(Some(TOKEN)).await;
    let truth = loaded(&server).await;

    // Against the explicit events, on the calls that have them, and with `since` on every
    // call: party-count's hand-offs then count against it.
    for (query, since_ms) in [
        ("rule=party-count", None),
        (
            "rule=party-count&since=2000-01-01T00:00:00Z",
            Some(946_684_800_000),
        ),
    ] {
        let (status, got) = evaluate(&server, query, None).await;
        assert_eq!(status, 200, "{got}");
        let scope = EvalScope {
            since_ms,
            truth: None,
        };
        let want = zcc_projector::evaluate(server.store.as_ref(), "party-count", &[], scope)
            .await
            .unwrap();
        assert_eq!(got, serde_json::to_value(&want).unwrap(), "{query}");
    }
    let (_, every_call) =
        evaluate(&server, "rule=party-count&since=2000-01-01T00:00:00Z", None).await;
    assert!(
        every_call["false_positives"].as_u64().unwrap() > 0,
        "hand-offs are false positives when every call is scored: {every_call}"
    );

    // Against the truth table in the body.
    let (status, got) = evaluate(&server, "rule=correlated", Some(&truth)).await;
    assert_eq!(status, 200, "{got}");
    let table = TruthTable::from_jsonl("the request body", &truth).unwrap();
    let scope = EvalScope {
        since_ms: None,
        truth: Some(table),
    };
    let want = zcc_projector::evaluate(server.store.as_ref(), "correlated", &[], scope)
        .await
        .unwrap();
    assert_eq!(got, serde_json::to_value(&want).unwrap());
    assert!(got["f1"].as_f64().unwrap() >= 0.99, "{got}");
    assert_eq!(got["truth"], "the request body");
    server.shutdown().await;
}

#[tokio::test]
async fn bad_requests_are_named() {
    let server = Server::sqlite(Some(TOKEN)).await;
    let unauthenticated = server
        .client
        .get(server.url("/api/evaluate?rule=correlated"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);

    let (status, body) = evaluate(&server, "since=2026-01-01T00:00:00Z", None).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`rule`")
    );

    let (status, body) = evaluate(&server, "rule=no-such-rule", None).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no-such-rule")
    );

    // A bare date is that day's midnight UTC, here as everywhere a time is taken.
    let (status, body) = evaluate(&server, "rule=correlated&since=2026-05-04", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["since_ms"], 1_777_852_800_000_i64);

    let (status, body) = evaluate(&server, "rule=correlated&since=yesterday", None).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("since"));

    let (status, body) = evaluate(&server, "rule=correlated", Some("{\"table\": 5\n")).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("the request body:1"), "{message}");
    server.shutdown().await;
}
