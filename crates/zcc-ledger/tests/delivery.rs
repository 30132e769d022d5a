//! Outbound delivery end to end: `zcc-ledger serve` on a real port publishes a call's derived
//! events to a real local HTTP receiver (axum) that verifies every Standard Webhooks signature,
//! answers 500 to the first attempt of every third message, and 410 on a second endpoint. A
//! late event arrives by `import` while the server is killed (SIGKILL) and is delivered after
//! the restart as corrections. At the end the subscriber's state, built by the documented rule
//! (per `event_id`, the message of the highest revision; retractions remove), equals the
//! engagement's `derived_events` export row for row. A target on loopback is refused without
//! `--allow-private-targets`.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post as route_post;
use common::*;
use serde_json::{Value, json};
use zcc_deliver::sign::verify;
use zcc_deliver::subscriber::Subscriber;
use zcc_store::outbound::SigningSecret;

const ENG: &str = "EngDelivery0000000001";
/// 2026-05-04T14:00:00.000Z
const T0: i64 = 1_777_903_200_000;

fn body(event: &str, t: f64, user: Option<&str>) -> String {
    let mut object = json!({
        "engagement_id": ENG, "channel": "voice", "engagement_direction": "inbound",
        "cc_queue_id": "QueSupport", "queue_name": "Support",
    });
    if let Some(u) = user {
        object["user_id"] = u.into();
    }
    json!({
        "event": format!("contact_center.{event}"),
        "event_ts": T0 + (t * 1000.0) as i64,
        "payload": {"account_id": "AcctDelivery", "object": object},
    })
    .to_string()
}

#[derive(Default)]
struct Received {
    /// Bodies answered 2xx, in arrival order.
    accepted: Vec<Value>,
    /// Webhook ids seen at least once.
    seen: HashSet<String>,
    answered_500: usize,
    bad_signatures: Vec<String>,
    gone: usize,
}

#[derive(Clone)]
struct Receiver {
    key: Arc<Mutex<Vec<u8>>>,
    received: Arc<Mutex<Received>>,
}

async fn ok_endpoint(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, ts, sig) = (
        h("webhook-id"),
        h("webhook-timestamp"),
        h("webhook-signature"),
    );
    let now = i64::try_from(now_secs()).unwrap();
    let key = r.key.lock().unwrap().clone();
    let mut got = r.received.lock().unwrap();
    if let Err(e) = verify(&key, &id, &ts, &sig, &body, now) {
        got.bad_signatures.push(format!("{id}: {e}"));
        return StatusCode::UNAUTHORIZED;
    }
    let first = got.seen.insert(id.clone());
    // Every third message fails its first attempt (ids are hashes: about a third of them).
    if first && id.as_bytes().last().is_some_and(|b| b % 3 == 0) {
        got.answered_500 += 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    got.accepted.push(serde_json::from_slice(&body).unwrap());
    StatusCode::NO_CONTENT
}

async fn gone_endpoint(State(r): State<Receiver>) -> StatusCode {
    r.received.lock().unwrap().gone += 1;
    StatusCode::GONE
}

/// `serve` with outbound delivery to private targets allowed and quick retries.
fn serve(db: &str) -> Server {
    let mut child = bin()
        .args(["--database-url", db, "serve", "--listen", "127.0.0.1:0"])
        .env("ZCC_WEBHOOK_SECRET", SECRET)
        .env("ZCC_ALLOW_PRIVATE_TARGETS", "true")
        .env("ZCC_DELIVERY_RETRY_BASE_MS", "200")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    Server { child, url }
}

/// The subscriber's state by the documented rule (`zcc_deliver::subscriber`).
fn subscriber_rows(accepted: &[Value]) -> Vec<Value> {
    let mut subscriber = Subscriber::default();
    for m in accepted {
        subscriber.accept(m).unwrap();
    }
    subscriber.rows()
}

fn exported_rows(db: &str) -> Vec<Value> {
    let out = run(db, &["export", "derived_events", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Wait until the subscriber holds exactly the export's rows.
async fn converge(db: &str, r: &Receiver, what: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let expected = exported_rows(db);
        let got = subscriber_rows(&r.received.lock().unwrap().accepted);
        if got == expected && !expected.is_empty() {
            return expected;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the subscriber's state never matched the export:\n got {got:#?}\n want {expected:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[allow(clippy::too_many_lines)] // one scenario, step by step
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derived_events_reach_a_real_receiver_signed_retried_and_corrected() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(dir.path());
    let r = Receiver {
        key: Arc::default(),
        received: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/ok", route_post(ok_endpoint))
        .route("/gone", route_post(gone_endpoint))
        .with_state(r.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // Loopback is refused unless allowed.
    let target = format!("http://{addr}/ok");
    let refused = run(&db, &["subscriptions", "add", &target]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("--allow-private-targets"),
        "{}",
        stderr(&refused)
    );
    let added = run(
        &db,
        &["subscriptions", "add", &target, "--allow-private-targets"],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let secret = stdout(&added)
        .lines()
        .find_map(|l| l.strip_prefix("secret: ").map(str::to_owned))
        .expect("the secret is shown once");
    *r.key.lock().unwrap() = zcc_deliver::secret::key(&SigningSecret::new(secret.clone())).unwrap();
    let gone = format!("http://{addr}/gone");
    let added = run(
        &db,
        &["subscriptions", "add", &gone, "--allow-private-targets"],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let listed = stdout(&run(&db, &["subscriptions", "list"]));
    assert!(!listed.contains(&secret), "list never shows a secret");

    // The call arrives over HTTP: Alice, then Bob with the customer: a conference.
    let server = serve(&db);
    let client = reqwest::Client::new();
    for b in [
        body("engagement_started", 0.0, None),
        body("engagement_consumer_answered", 1.0, None),
        body("engagement_user_answered", 5.0, Some("alice")),
        body("engagement_user_answered", 20.0, Some("bob")),
    ] {
        assert_eq!(post(&client, &server.webhook(), b).await.0, 200);
    }
    let first = converge(&db, &r, "after the webhooks").await;
    assert!(first.iter().any(|row| row["kind"] == "conference_started"));

    // Killed; a late event (Alice had left at 10 s, before Bob came) arrives by import.
    drop(server);
    let late = dir.path().join("late.jsonl");
    std::fs::write(
        &late,
        body("engagement_user_ended", 10.0, Some("alice")) + "\n",
    )
    .unwrap();
    let imported = run(&db, &["import", late.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let server = serve(&db);
    let second = converge(&db, &r, "after the late event and a restart").await;
    assert!(
        !second.iter().any(|row| row["kind"] == "conference_started"),
        "the conference no longer stands: {second:#?}"
    );

    {
        let got = r.received.lock().unwrap();
        assert!(got.bad_signatures.is_empty(), "{:?}", got.bad_signatures);
        assert!(
            got.answered_500 > 0,
            "some first attempts failed and were retried"
        );
        assert!(
            got.accepted
                .iter()
                .any(|m| m["type"] == "derived_event.retracted"),
            "a retraction was delivered"
        );
        assert_eq!(
            got.gone, 1,
            "410 is tried once, then the subscription is disabled"
        );
    }
    let listed = stdout(&run(&db, &["subscriptions", "list"]));
    assert!(
        listed
            .lines()
            .any(|l| l.contains("disabled") && l.contains("/gone")),
        "{listed}"
    );
    let deliveries = stdout(&run(&db, &["subscriptions", "deliveries", "1"]));
    assert!(deliveries.contains("delivered"), "{deliveries}");
    api(&client, &server.url, &addr.to_string()).await;
    pause_redeliver_resume(&db, &r).await;
    // Counters are per process: the 410 was counted by the server killed above.
    let metrics = client
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "zcc_outbound_deliveries_total{outcome=\"delivered\"}",
        "zcc_outbound_deliveries_total{outcome=\"retry\"}",
        "zcc_outbound_pending_messages{subscription=\"1\"}",
        "zcc_outbound_oldest_pending_seconds{subscription=\"1\"}",
    ] {
        assert!(metrics.contains(line), "/metrics lacks {line}:\n{metrics}");
    }
    drop(server);
}

/// Paused, every message is queued again; nothing is sent until resumed, then each is sent
/// again under its own `webhook-id`.
async fn pause_redeliver_resume(db: &str, r: &Receiver) {
    let paused = run(db, &["subscriptions", "pause", "1"]);
    assert!(
        stdout(&paused).contains("subscription 1 paused"),
        "{}",
        stderr(&paused)
    );
    // Let an attempt in flight, if any, finish.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = r.received.lock().unwrap().accepted.len();
    let again = run(
        db,
        &[
            "subscriptions",
            "redeliver",
            "1",
            "--since",
            "2000-01-01T00:00:00Z",
        ],
    );
    let queued = stdout(&again);
    assert!(
        queued.contains("messages of subscription 1 queued again"),
        "{queued}"
    );
    let n: usize = queued.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n >= before.min(1), "{queued}");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        r.received.lock().unwrap().accepted.len(),
        before,
        "a paused subscription is sent nothing"
    );
    let resumed = run(db, &["subscriptions", "resume", "1"]);
    assert!(
        stdout(&resumed).contains("subscription 1 active"),
        "{}",
        stderr(&resumed)
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while r.received.lock().unwrap().accepted.len() < before + n {
        assert!(
            Instant::now() < deadline,
            "the redelivered messages never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = r.received.lock().unwrap();
    let first_ids: HashSet<&str> = got.accepted[..before]
        .iter()
        .map(|m| m["data"]["event_id"].as_str().unwrap())
        .collect();
    assert!(
        got.accepted[before..]
            .iter()
            .all(|m| first_ids.contains(m["data"]["event_id"].as_str().unwrap())),
        "a redelivery repeats messages already sent"
    );
    assert!(got.bad_signatures.is_empty(), "{:?}", got.bad_signatures);
}

/// `/api/subscriptions` answers from the same store as the command.
async fn api(client: &reqwest::Client, base: &str, receiver: &str) {
    let list: Value = client
        .get(format!("{base}/api/subscriptions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[1]["state"], "disabled");
    assert!(
        !list.to_string().contains("whsec_"),
        "no secret in a list: {list}"
    );
    let resp = client
        .post(format!("{base}/api/subscriptions"))
        .json(&json!({"url": format!("http://{receiver}/ok"), "events": ["call_*"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let id = created["subscription"]["id"].as_i64().unwrap();
    let bad = client
        .post(format!("{base}/api/subscriptions"))
        .json(&json!({"url": "ftp://example.com/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let deliveries: Value = client
        .get(format!(
            "{base}/api/subscriptions/1/deliveries?failed=false"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        deliveries["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["state"] == "delivered"),
        "{deliveries}"
    );
    let removed = client
        .delete(format!("{base}/api/subscriptions/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let missing = client
        .post(format!("{base}/api/subscriptions/{id}/pause"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
