//! `POST /api/backfill` and `GET /api/reconcile` over real HTTP: the real server on
//! 127.0.0.1:0 over a real store (SQLite, PostgreSQL), the real Zoom client against the stand-in
//! Zoom. The bearer token, the happy paths (their answers checked against the OpenAPI
//! document's schemas), one run at a time (409), bad input (400), Zoom not configured (503)
//! and Zoom refusing (502).

mod api_support;
mod zoom_support;

use std::sync::Arc;
use std::time::Duration;

use api_support::{Server, TOKEN};
use chrono::Utc;
use serde_json::{Value, json};
use zcc_server::config::Every;
use zcc_server::{Secret, ServeArgs};
use zcc_store::projection::Backend;
use zcc_zoom::stand_in::{Credentials, Fault, StandIn};

/// `(status, JSON body)` of a request.
async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {e}: {text}"));
    (status, body)
}

/// Check `body` against the schema the document gives `method path`'s `status` answer.
fn check(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let mut response = &doc["paths"][path][method]["responses"][status.to_string()];
    if let Some(target) = response["$ref"].as_str() {
        response = doc.pointer(target.trim_start_matches('#')).unwrap();
    }
    let schema = &response["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {path} {status}: no schema");
    let schema = json!({"allOf": [schema], "components": doc["components"]});
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:?}\n{body:#}"
    );
}

#[allow(clippy::too_many_lines)] // one scenario, end to end
async fn scenario(store: Arc<dyn Backend>) {
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let args = ServeArgs {
        api_token: Some(Secret::new(TOKEN)),
        backfill_every: "off".parse::<Every>().unwrap(),
        zoom: Some(zoom_support::zoom_client(&zoom)),
        ..ServeArgs::default()
    };
    let server = Server::start_with(store.clone(), args).await;
    let doc = server.json("/api/openapi.json").await;
    let bodies = zoom_support::corpus(12, 2602);
    let dropped = zoom_support::deliver_most(&server, &zoom, &bodies).await;
    let received = bodies.len() - dropped.len();

    // Behind the bearer token, both.
    let (status, body) = send(server.client.post(server.url("/api/backfill"))).await;
    assert_eq!(status, 401, "{body}");
    let since = (Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let until = Utc::now().to_rfc3339();
    let query = format!(
        "/api/reconcile?since={}&until={}",
        urlencode(&since),
        urlencode(&until)
    );
    let (status, body) = send(server.client.get(server.url(&query))).await;
    assert_eq!(status, 401, "{body}");
    check(&doc, "get", "/api/reconcile", 401, &body);

    // Bad input names what was wrong.
    for (bad, names) in [
        (json!({"since": "yesterday"}), "`since`"),
        (json!({"all": true, "what": 1}), "unknown field `what`"),
        (
            json!({"since": until.clone(), "until": since.clone()}),
            "is not before",
        ),
        (
            json!({"since": (Utc::now() - chrono::Duration::days(8)).to_rfc3339()}),
            "older than the 7 days",
        ),
    ] {
        let (status, body) = send(server.post("/api/backfill").json(&bad)).await;
        assert_eq!(status, 400, "{bad}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{bad}: {message}");
        check(&doc, "post", "/api/backfill", 400, &body);
    }
    for (bad, names) in [
        ("/api/reconcile".to_owned(), "`since` is required"),
        (
            format!("/api/reconcile?since={}", urlencode(&since)),
            "`until` is required",
        ),
        (format!("{query}&timelines=maybe"), "`timelines`"),
    ] {
        let (status, body) = server.answer(&bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(names),
            "{bad}: {body}"
        );
    }

    // The backfill, without a body: the failed deliveries of the last 7 days.
    let (status, done) = send(server.post("/api/backfill")).await;
    assert_eq!(status, 200, "{done}");
    check(&doc, "post", "/api/backfill", 200, &done);
    assert_eq!(done["recovered"], dropped.len() as u64, "{done}");
    assert_eq!(done["all"], false);
    assert_eq!(store.head().await.unwrap().size as usize, bodies.len());
    // Again, as an audit of every delivery: nothing to recover, everything present.
    let (status, audit) = send(server.post("/api/backfill").json(&json!({"all": true}))).await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["recovered"], 0);
    assert_eq!(
        audit["already_present"],
        (received + 4 * dropped.len()) as u64,
        "{audit}"
    );
    server.caught_up().await;

    // One run at a time: while a run waits out Zoom's Retry-After, a second is a 409.
    zoom.fail_next([Fault::RateLimited {
        retry_after_secs: 2,
    }]);
    let slow = {
        let req = server.post("/api/backfill");
        tokio::spawn(async move { send(req).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, busy) = send(server.post("/api/backfill")).await;
    assert_eq!(status, 409, "{busy}");
    assert!(
        busy["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already running"),
        "{busy}"
    );
    check(&doc, "post", "/api/backfill", 409, &busy);
    let (status, slow) = slow.await.unwrap();
    assert_eq!(status, 200, "{slow}");
    let ready = server.json("/readyz").await;
    assert_eq!(ready["backfill"]["runs_ok"], 3, "{ready:#}");
    assert_eq!(ready["backfill"]["running"], false);

    // Reconcile: Zoom lists one call the log never saw, and none of the ledger's.
    let inside = (Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    zoom.add_engagements([json!({"engagement_id": "ZoomOnly", "start_time": inside})]);
    let report = server.json(&query).await;
    check(&doc, "get", "/api/reconcile", 200, &report);
    let missing: Vec<&Value> = report["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["field"] == "missing_in_ledger")
        .collect();
    assert_eq!(
        missing,
        [
            &json!({"engagement_id": "ZoomOnly", "field": "missing_in_ledger", "zoom": inside, "ledger": null})
        ]
    );
    assert_eq!(report["zoom_engagements"], 1);
    assert_eq!(report["timelines"], false);
    let fields: Vec<&str> = report["tallies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["field"].as_str().unwrap())
        .collect();
    assert!(!fields.contains(&"hold_bounds"), "{fields:?}");
    let with_timelines = server.json(&format!("{query}&timelines=true")).await;
    check(&doc, "get", "/api/reconcile", 200, &with_timelines);
    assert_eq!(with_timelines["timelines"], true);
    assert!(
        with_timelines["tallies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["field"] == "conference_bounds" && t["rate"] == 1.0),
        "{with_timelines:#}"
    );
    server.shutdown().await;
}

/// Percent-encode what a query value must not carry raw (`+` and `:` of an RFC 3339 time).
fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_and_reconcile_through_the_api_on_sqlite() {
    let (store, _dir) = api_support::sqlite();
    scenario(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_and_reconcile_through_the_api_on_postgres() {
    let db = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    scenario(Arc::new(store)).await;
}

#[tokio::test]
async fn without_zoom_both_routes_say_what_to_set() {
    let server = Server::sqlite(Some(TOKEN)).await;
    let doc = server.json("/api/openapi.json").await;
    let (status, body) = send(server.post("/api/backfill")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "not_configured");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("ZCC_ZOOM_CLIENT_SECRET"), "{message}");
    check(&doc, "post", "/api/backfill", 503, &body);
    let (status, body) = server
        .answer("/api/reconcile?since=2026-05-04T00:00:00Z&until=2026-05-05T00:00:00Z")
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "not_configured");
    check(&doc, "get", "/api/reconcile", 503, &body);
    server.shutdown().await;
}

#[tokio::test]
async fn zoom_refusing_the_credentials_is_a_502_that_names_the_client_not_the_secret() {
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let mut client_config = zoom_support::zoom_client(&zoom).config().clone();
    client_config.client_secret = zcc_zoom::Secret::new("a-wrong-secret-never-shown");
    let (store, _dir) = api_support::sqlite();
    let args = ServeArgs {
        api_token: Some(Secret::new(TOKEN)),
        backfill_every: "off".parse::<Every>().unwrap(),
        zoom: Some(zcc_zoom::ZoomClient::new(client_config).unwrap()),
        ..ServeArgs::default()
    };
    let server = Server::start_with(store, args).await;
    let doc = server.json("/api/openapi.json").await;
    let (status, body) = send(server.post("/api/backfill")).await;
    assert_eq!(status, 502, "{body}");
    check(&doc, "post", "/api/backfill", 502, &body);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&zoom.credentials.client_id), "{message}");
    assert!(!message.contains("a-wrong-secret"), "{message}");
    let ready = server.json("/readyz").await;
    assert!(
        ready["backfill"]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("refused the credentials")),
        "{ready:#}"
    );
    server.shutdown().await;
}
