//! `GET /api/quarantine` and `GET /api/quarantine/{quarantine_id}` on the real server
//! (127.0.0.1:0), SQLite and PostgreSQL: refused webhooks listed newest first and paged, one
//! shown whole with its request id and exact bytes, the bearer token required, an unknown or
//! malformed id named in the error; and `zcc_quarantine_entries` in `/metrics`.

mod api_support;

use std::sync::Arc;

use api_support::{SECRET, Server, TOKEN, now_secs};
use base64::Engine as _;
use serde_json::Value;
use zcc_server::signature::sign;
use zcc_store::projection::Backend;

/// POST a signed body that is not an envelope, with a request id; expect 400.
async fn refused(server: &Server, body: &[u8], request_id: &str) {
    let ts = now_secs().to_string();
    let resp = server
        .client
        .post(server.url("/webhooks/zoom"))
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", &ts)
        .header("x-zm-signature", sign(SECRET, &ts, body))
        .header("x-zm-request-id", request_id)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "{}", resp.text().await.unwrap());
}

async fn the_quarantine_over_http(store: Arc<dyn Backend>) {
    let server = Server::start(store, Some(TOKEN)).await;
    let bodies: [&[u8]; 3] = [b"[1,2,3]", b"{\"payload\":{}}", b"{\"event\":\"x\xff\"}"];
    for (i, body) in bodies.iter().enumerate() {
        refused(&server, body, &format!("req-q-{i}")).await;
    }

    // The token is required, as everywhere under /api.
    for path in ["/api/quarantine", "/api/quarantine/1"] {
        let resp = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
    }

    let page = server.json("/api/quarantine").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{page}");
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(items[0]["bytes"], bodies[2].len());
    assert_eq!(items[2]["bytes"], bodies[0].len());
    for item in items {
        assert_eq!(item["source"], "http");
        assert_eq!(item["origin"], "http");
        assert!(item["reason"].as_str().is_some_and(|r| !r.is_empty()));
    }
    let paged = api_support::all_pages(&server, "/api/quarantine", 2).await;
    assert_eq!(&paged, items, "two pages of two give the same entries");
    let later = server
        .json("/api/quarantine?since=2999-01-01T00:00:00Z")
        .await;
    assert!(later["items"].as_array().unwrap().is_empty());

    // One whole: the request id of its delivery, the bytes (text only when UTF-8).
    let newest = items[0]["id"].as_i64().unwrap();
    let detail = server.json(&format!("/api/quarantine/{newest}")).await;
    assert_eq!(detail["request_id"], "req-q-2");
    assert_eq!(detail["body"], Value::Null, "not UTF-8: no text");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(detail["body_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, bodies[2], "the refused bytes, exactly");
    assert_eq!(detail["reason"], items[0]["reason"]);
    let oldest = items[2]["id"].as_i64().unwrap();
    let detail = server.json(&format!("/api/quarantine/{oldest}")).await;
    assert_eq!(detail["request_id"], "req-q-0");
    assert_eq!(detail["body"], "[1,2,3]");

    let (status, err) = server.answer("/api/quarantine/999999").await;
    assert_eq!(status, 404);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no quarantine entry 999999"),
        "{err}"
    );
    let (status, err) = server.answer("/api/quarantine/abc").await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"abc\""),
        "{err}"
    );
    let (status, err) = server.answer("/api/quarantine?cursor=x").await;
    assert_eq!(status, 400, "{err}");

    let resp = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    let metrics = resp.text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l == "zcc_quarantine_entries 3"),
        "zcc_quarantine_entries 3 not in /metrics:\n{metrics}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_serves_the_quarantine() {
    let (store, _dir) = api_support::sqlite();
    the_quarantine_over_http(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serves_the_quarantine() {
    let db = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    the_quarantine_over_http(Arc::new(store)).await;
}
