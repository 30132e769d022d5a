//! The webhook receiver end to end: the real server on 127.0.0.1:0, real HMAC signatures, a
//! fresh SQLite file per test. Each answer of SPEC 3.1, the delivery log, the quarantine,
//! group commit under concurrency and graceful shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode as AxumStatus};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore, oneshot};
use tokio::task::JoinHandle;
use tower::ServiceExt as _;
use zcc_server::signature::{sign, url_validation_token};
use zcc_server::{AppState, Secret, ServeArgs, ServeError, router, run};
use zcc_store::projection::{
    Backend, Generation, GenerationId, GenerationState, ProjectionDoc, ProjectionStore,
    SearchFilter,
};
use zcc_store::{
    Appended, AuditLog, Delivery, DeliveryOutcome, Digest, EventLog, Head, LogEntry, NewEvent,
    Position, QuarantineEntry, QuarantineQuery, QuarantineRecord, QuarantineSummary, StoreError,
};
use zcc_store_sqlite::{SqliteLog, SqliteOptions};

const SECRET: &str = "test_secret_token";

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

fn args(secrets: &[&str]) -> ServeArgs {
    ServeArgs {
        webhook_secret: secrets.iter().map(|s| Secret::new(*s)).collect(),
        ..ServeArgs::default()
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A fresh SQLite database in its own temporary directory.
struct Db {
    dir: tempfile::TempDir,
    log: Arc<SqliteLog>,
}

impl Db {
    fn new() -> Db {
        Db::with_options(SqliteOptions::default())
    }

    fn with_options(options: SqliteOptions) -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.db");
        let log = SqliteLog::open_with(path.to_str().unwrap(), options).expect("open SQLite");
        Db {
            dir,
            log: Arc::new(log),
        }
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("ledger.db")
    }
}

/// The real server, serving on a loopback port until dropped or shut down.
struct Server {
    base: String,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl Server {
    async fn start(args: ServeArgs, log: Arc<dyn Backend>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(run(args, log, listener, shutdown));
        let server = Server {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(stop),
            task,
        };
        // `run` prepares the projections (a write) before it serves: wait for it, so a test
        // that then locks the database does not fail the start-up instead.
        for _ in 0..500 {
            if server.task.is_finished() {
                break;
            }
            if let Ok(r) = server
                .client
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                && r.status() == StatusCode::OK
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server
    }

    /// POST raw bytes to the receiver with the given headers.
    async fn post(
        &self,
        body: impl Into<Vec<u8>>,
        headers: &[(&str, String)],
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(format!("{}/webhooks/zoom", self.base))
            .header("content-type", "application/json; charset=utf-8")
            .body(body.into());
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let resp = req.send().await.expect("request answered");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("answer {status} is not JSON ({e}): {text}"));
        (status, json)
    }

    /// POST a body signed with `secret` at the current time.
    async fn post_signed(&self, secret: &str, body: &str) -> (StatusCode, Value) {
        self.post(body, &signed(secret, now_secs(), body.as_bytes()))
            .await
    }

    async fn shutdown(mut self) -> Result<(), ServeError> {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("server stops within 10 s")
            .unwrap()
    }
}

type Headers = Vec<(&'static str, String)>;

fn signed(secret: &str, ts: i64, body: &[u8]) -> Headers {
    let ts = ts.to_string();
    vec![
        ("x-zm-signature", sign(secret, &ts, body)),
        ("x-zm-request-timestamp", ts),
    ]
}

fn event(engagement: &str, n: usize) -> String {
    json!({
        "event": "contact_center.engagement_user_hold",
        "event_ts": 1_777_903_330_000_i64 + n as i64,
        "payload": {
            "account_id": "Acct9xQzLmN0pR2sT4uV6w",
            "object": {"engagement_id": engagement, "seq": n}
        }
    })
    .to_string()
}

fn url_validation_body(plain_token: &str) -> String {
    format!(
        r#"{{"payload":{{"plainToken":"{plain_token}"}},"event_ts":1777903330000,"event":"endpoint.url_validation"}}"#
    )
}

async fn deliveries(log: &SqliteLog) -> Vec<Delivery> {
    let mut rows = log.deliveries(1000).await.unwrap();
    rows.reverse(); // oldest first
    rows
}

// ---------------------------------------------------------------------------------------------
// 200: stored, duplicate, SPEC test vectors, several secrets
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn stores_then_reports_duplicate_with_the_same_position() {
    let db = Db::new();
    let server = Server::start(args(&[SECRET]), db.log.clone()).await;
    // Not compact JSON: the log must keep these exact bytes.
    let body = "{ \"event\": \"contact_center.engagement_started\",\n  \"payload\": {\"object\": {\"engagement_id\": \"E1\"}} }";

    let (status, answer) = server.post_signed(SECRET, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"status": "stored", "position": 1}));

    let (status, answer) = server.post_signed(SECRET, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"status": "duplicate", "position": 1}));

    let head = db.log.head().await.unwrap();
    assert_eq!(head.size, 1, "a duplicate is stored once");
    let entry = db.log.entry(Position(1)).await.unwrap().unwrap();
    assert_eq!(entry.body, body, "raw bytes kept");
    assert_eq!(entry.engagement_id.as_deref(), Some("E1"));

    let rows = deliveries(&db.log).await;
    let seen: Vec<_> = rows.iter().map(|d| (d.outcome, d.position)).collect();
    assert_eq!(
        seen,
        [
            (DeliveryOutcome::Stored, Some(Position(1))),
            (DeliveryOutcome::Duplicate, Some(Position(1)))
        ],
        "both attempts are in the delivery log"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn spec_signature_test_vector_is_accepted_verbatim() {
    let db = Db::new();
    // The vector's timestamp is fixed in the past: widen the window to send it unchanged.
    let args = ServeArgs {
        timestamp_tolerance_secs: 100 * 365 * 24 * 3600,
        ..args(&[SECRET])
    };
    let server = Server::start(args, db.log.clone()).await;
    let body = r#"{"event":"contact_center.engagement_user_hold","event_ts":1777903330000,"payload":{"account_id":"Acct9xQzLmN0pR2sT4uV6w","object":{"engagement_id":"EngA1b2C3d4E5f6G7h8I9j"}}}"#;
    let headers = [
        (
            "x-zm-signature",
            "v0=7ad484f30cc06fb3a8cf2707f35e92963353ea31edac480825bc3ec04633069c".to_owned(),
        ),
        ("x-zm-request-timestamp", "1777903331".to_owned()),
    ];
    let (status, answer) = server.post(body, &headers).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"status": "stored", "position": 1}));
    let entry = db.log.entry(Position(1)).await.unwrap().unwrap();
    assert_eq!(entry.body, body);
    assert_eq!(entry.account_id.as_deref(), Some("Acct9xQzLmN0pR2sT4uV6w"));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn url_validation_answers_the_spec_vector_and_is_a_delivery_not_an_event() {
    let db = Db::new();
    let server = Server::start(args(&[SECRET]), db.log.clone()).await;
    let (status, answer) = server
        .post_signed(SECRET, &url_validation_body("qgg8vlvZRS6UYooatFL8Aw"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer,
        json!({
            "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
            "encryptedToken": "4efea922935c335d972476de138d2208a0d46ab28c79ee592d497a1b216419b8"
        })
    );
    assert_eq!(db.log.head().await.unwrap(), Head::EMPTY, "not an event");
    let rows = deliveries(&db.log).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outcome, DeliveryOutcome::UrlValidation);
    assert_eq!(rows[0].status, 200);
    assert_eq!(
        rows[0].event_type.as_deref(),
        Some("endpoint.url_validation")
    );

    // Verified like any other request.
    let body = url_validation_body("abc");
    let (status, _) = server.post(body.as_str(), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_second_secret_is_accepted_and_url_validation_answers_with_it() {
    let db = Db::new();
    let server = Server::start(
        args(&["first_app_secret", "second_app_secret"]),
        db.log.clone(),
    )
    .await;

    let (status, answer) = server
        .post_signed("second_app_secret", &event("E2", 1))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "stored");

    let (status, answer) = server
        .post_signed("second_app_secret", &url_validation_body("plain123"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["encryptedToken"],
        url_validation_token("second_app_secret", "plain123")
    );
    assert_ne!(
        answer["encryptedToken"],
        url_validation_token("first_app_secret", "plain123")
    );

    let (status, answer) = server
        .post_signed("first_app_secret", &url_validation_body("plain123"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["encryptedToken"],
        url_validation_token("first_app_secret", "plain123")
    );
    server.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// 401
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn unauthorized_requests_get_401_and_store_nothing() {
    let db = Db::new();
    let server = Server::start(args(&[SECRET]), db.log.clone()).await;
    let body = event("E3", 1);
    let ts = now_secs().to_string();
    let good = sign(SECRET, &ts, body.as_bytes());
    let bad_sig = format!("v0={}", "0".repeat(64));
    let wrong_secret = sign("some_other_secret", &ts, body.as_bytes());

    let cases: Vec<(&str, Headers, &str)> = vec![
        (
            "missing signature",
            vec![("x-zm-request-timestamp", ts.clone())],
            "missing x-zm-signature",
        ),
        (
            "missing timestamp",
            vec![("x-zm-signature", good.clone())],
            "missing x-zm-request-timestamp",
        ),
        (
            "bad signature",
            vec![
                ("x-zm-signature", bad_sig),
                ("x-zm-request-timestamp", ts.clone()),
            ],
            "does not match",
        ),
        (
            "wrong secret",
            vec![
                ("x-zm-signature", wrong_secret),
                ("x-zm-request-timestamp", ts.clone()),
            ],
            "does not match",
        ),
        (
            "malformed signature",
            vec![
                ("x-zm-signature", "sha256=abc".into()),
                ("x-zm-request-timestamp", ts.clone()),
            ],
            "v0=",
        ),
        (
            "signature for another timestamp",
            vec![
                ("x-zm-signature", good),
                ("x-zm-request-timestamp", (now_secs() - 1).to_string()),
            ],
            "does not match",
        ),
    ];
    for (what, headers, message) in &cases {
        let (status, answer) = server.post(body.as_str(), headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], "unauthorized", "{what}");
        let got = answer["error"]["message"].as_str().unwrap();
        assert!(
            got.contains(message),
            "{what}: {got:?} should mention {message:?}"
        );
    }
    assert_eq!(db.log.head().await.unwrap().size, 0, "nothing stored");
    let rows = deliveries(&db.log).await;
    assert_eq!(rows.len(), cases.len(), "every refused attempt is recorded");
    for row in &rows {
        assert_eq!(
            (row.outcome, row.status),
            (DeliveryOutcome::Unauthorized, 401)
        );
        assert_eq!(row.body_sha256, Some(Digest::of(body.as_bytes())));
        assert!(row.reason.is_some());
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn stale_and_future_timestamps_beyond_tolerance_get_401() {
    let db = Db::new();
    let server = Server::start(args(&[SECRET]), db.log.clone()).await;
    let body = event("E4", 1);

    let (status, answer) = server
        .post(
            body.as_str(),
            &signed(SECRET, now_secs() - 400, body.as_bytes()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("old"),
        "{answer}"
    );

    let (status, answer) = server
        .post(
            body.as_str(),
            &signed(SECRET, now_secs() + 400, body.as_bytes()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("future"),
        "{answer}"
    );
    assert_eq!(db.log.head().await.unwrap().size, 0);

    // Inside the window, either way, is fine.
    let (status, _) = server
        .post(
            body.as_str(),
            &signed(SECRET, now_secs() - 200, body.as_bytes()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = server
        .post(
            body.as_str(),
            &signed(SECRET, now_secs() + 200, body.as_bytes()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["status"], "duplicate");
    server.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// 413
// ---------------------------------------------------------------------------------------------

/// A valid envelope padded to exactly `len` bytes.
fn padded_event(len: usize) -> String {
    let head = r#"{"event":"contact_center.engagement_started","payload":{"pad":""#;
    let tail = r#""}}"#;
    let pad = "x".repeat(len - head.len() - tail.len());
    let body = format!("{head}{pad}{tail}");
    assert_eq!(body.len(), len);
    body
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_before_any_signature_check() {
    let db = Db::new();
    let server = Server::start(args(&[SECRET]), db.log.clone()).await;
    let limit = 1_048_576;

    let at_limit = padded_event(limit);
    let (status, answer) = server.post_signed(SECRET, &at_limit).await;
    assert_eq!(status, StatusCode::OK, "exactly 1 MiB is allowed: {answer}");

    let over = padded_event(limit + 1);
    let (status, answer) = server.post_signed(SECRET, &over).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer["error"]["code"], "payload_too_large");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1048576")
    );

    // Unsigned and too large: the size is checked first.
    let (status, _) = server.post(over.as_str(), &[]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(db.log.head().await.unwrap().size, 1);
    let outcomes: Vec<_> = deliveries(&db.log)
        .await
        .iter()
        .map(|d| (d.outcome, d.status))
        .collect();
    assert_eq!(
        outcomes,
        [
            (DeliveryOutcome::Stored, 200),
            (DeliveryOutcome::TooLarge, 413),
            (DeliveryOutcome::TooLarge, 413)
        ]
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_configured_limit_applies_to_bodies_without_content_length() {
    let db = Db::new();
    let state = AppState::new(
        ServeArgs {
            max_body_bytes: 100,
            ..args(&[SECRET])
        },
        db.log.clone(),
        None,
    )
    .unwrap();
    // Through the router directly: no content-length header, so the streaming limit decides.
    let body = padded_event(101);
    let ts = now_secs().to_string();
    let req = Request::post("/webhooks/zoom")
        .header("x-zm-signature", sign(SECRET, &ts, body.as_bytes()))
        .header("x-zm-request-timestamp", &ts)
        .body(Body::from(body))
        .unwrap();
    let resp = router(state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), AxumStatus::PAYLOAD_TOO_LARGE);

    let body = padded_event(100);
    let req = Request::post("/webhooks/zoom")
        .header("x-zm-signature", sign(SECRET, &ts, body.as_bytes()))
        .header("x-zm-request-timestamp", &ts)
        .body(Body::from(body))
        .unwrap();
    let resp = router(state).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), AxumStatus::OK);
}

// ---------------------------------------------------------------------------------------------
// 400 + quarantine
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn signed_bodies_that_are_not_envelopes_get_400_and_go_to_quarantine() {
    let db = Db::new();
    let server = Server::start(args(&[SECRET]), db.log.clone()).await;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not json".to_vec(), "body is not JSON"),
        (
            b"[1,2]".to_vec(),
            "body is JSON but not an object (found an array)",
        ),
        (
            br#"{"payload":{}}"#.to_vec(),
            "envelope has no \"event\" field",
        ),
        (
            br#"{"event":"x","payload":3}"#.to_vec(),
            "\"payload\" is not an object",
        ),
        (b"".to_vec(), "empty body"),
        (b"{\"event\":\"\xff\"}".to_vec(), "not valid UTF-8"),
        (
            br#"{"event":"endpoint.url_validation","payload":{}}"#.to_vec(),
            "without a string payload.plainToken",
        ),
    ];
    for (body, reason) in &cases {
        let (status, answer) = server
            .post(body.clone(), &signed(SECRET, now_secs(), body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{reason}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_request");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(reason),
            "{message:?} should contain {reason:?}"
        );
    }
    assert_eq!(db.log.head().await.unwrap().size, 0, "nothing in the log");

    let mut quarantined = db.log.quarantined(100).await.unwrap();
    quarantined.reverse();
    assert_eq!(quarantined.len(), cases.len());
    for (entry, (body, reason)) in quarantined.iter().zip(&cases) {
        assert_eq!(&entry.body, body, "exact bytes quarantined");
        assert_eq!(entry.body_sha256, Digest::of(body));
        assert!(
            entry.reason.contains(reason),
            "{:?} vs {reason:?}",
            entry.reason
        );
        assert_eq!(entry.origin, "http");
    }
    let rows = deliveries(&db.log).await;
    assert_eq!(rows.len(), cases.len());
    assert!(
        rows.iter()
            .all(|d| d.outcome == DeliveryOutcome::Quarantined && d.status == 400)
    );
    server.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// 503
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn storage_failure_gets_503_never_4xx_and_a_retry_succeeds() {
    // A real failure: another connection holds the database's write lock, so the log's writer
    // gives up after its busy timeout (SQLITE_BUSY, StoreError::Unavailable).
    let db = Db::with_options(SqliteOptions {
        busy_timeout: Duration::from_millis(200),
        ..SqliteOptions::default()
    });
    let server = Server::start(args(&[SECRET]), db.log.clone()).await;
    let locker = rusqlite::Connection::open(db.path()).unwrap();
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();

    let body = event("E5", 1);
    let (status, answer) = server.post_signed(SECRET, &body).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(answer["error"]["code"], "unavailable");

    // A body for the quarantine cannot be put aside either: 503, not 400 (Zoom retries 5xx).
    let (status, _) = server.post_signed(SECRET, "not json").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    // Nor can a URL validation be recorded.
    let (status, _) = server.post_signed(SECRET, &url_validation_body("p")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    locker.execute_batch("ROLLBACK").unwrap();
    let (status, answer) = server.post_signed(SECRET, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"status": "stored", "position": 1}));
    server.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Delivery log: allow-listed headers only, no secrets anywhere in the database
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn delivery_log_keeps_allow_listed_headers_and_never_secrets() {
    let db = Db::new();
    let server = Server::start(args(&[SECRET]), db.log.clone()).await;
    let body = event("E6", 1);
    let mut headers = signed(SECRET, now_secs(), body.as_bytes());
    headers.extend([
        (
            "x-zm-request-id",
            "6009d653_d487_445d_8406_42b654974899".to_owned(),
        ),
        ("x-zm-trackingid", "v=2.0;clid=us06;rid=TRACK123".to_owned()),
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned(),
        ),
        ("user-agent", "Zoom Marketplace/1.0a".to_owned()),
        ("authorization", "Basic QVVUSF9TRUNSRVRfVkFMVUU=".to_owned()),
        ("cookie", "session=COOKIE_SECRET_VALUE".to_owned()),
        ("x-custom", "not-recorded".to_owned()),
    ]);
    let (status, _) = server.post(body.as_str(), &headers).await;
    assert_eq!(status, StatusCode::OK);
    // A refused delivery is recorded the same way.
    let (status, _) = server.post(body.as_str(), &headers[2..]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let rows = deliveries(&db.log).await;
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let names: Vec<&str> = row.meta.headers.iter().map(|(k, _)| k.as_str()).collect();
        for wanted in [
            "x-zm-request-id",
            "x-zm-trackingid",
            "traceparent",
            "user-agent",
            "content-type",
            "content-length",
        ] {
            assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
        }
        for never in ["authorization", "cookie", "x-zm-signature", "x-custom"] {
            assert!(!names.contains(&never), "{never} recorded: {names:?}");
        }
        let request_id = row
            .meta
            .headers
            .iter()
            .find(|(k, _)| k == "x-zm-request-id");
        assert_eq!(
            request_id.unwrap().1,
            "6009d653_d487_445d_8406_42b654974899"
        );
        assert!(row.meta.received_at_ms > 0);
    }
    assert!(
        rows[0]
            .meta
            .headers
            .iter()
            .any(|(k, v)| k == "x-zm-request-timestamp" && !v.is_empty())
    );
    server.shutdown().await.unwrap();

    // Nothing secret reached the database files at all (SPEC I8).
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        let mut path = db.path().into_os_string();
        path.push(suffix);
        if let Ok(b) = std::fs::read(&path) {
            bytes.extend(b);
        }
    }
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        contains("6009d653_d487_445d_8406_42b654974899"),
        "sanity: headers are in the file"
    );
    for secret in ["QVVUSF9TRUNSRVRfVkFMVUU", "COOKIE_SECRET_VALUE", SECRET] {
        assert!(!contains(secret), "{secret} found in the database");
    }
}

// ---------------------------------------------------------------------------------------------
// Group commit under concurrency
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_deliveries_all_stored_with_positions_1_to_200() {
    let db = Db::new();
    let server = Arc::new(Server::start(args(&[SECRET]), db.log.clone()).await);
    let mut tasks = Vec::new();
    for n in 0..200 {
        let server = Arc::clone(&server);
        tasks.push(tokio::spawn(async move {
            server.post_signed(SECRET, &event("E7", n)).await
        }));
    }
    let mut positions = Vec::new();
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["status"], "stored");
        positions.push(answer["position"].as_i64().unwrap());
    }
    positions.sort_unstable();
    assert_eq!(positions, (1..=200).collect::<Vec<i64>>());
    assert_eq!(db.log.head().await.unwrap().size, 200);
    let stored = deliveries(&db.log)
        .await
        .iter()
        .filter(|d| d.outcome == DeliveryOutcome::Stored)
        .count();
    assert_eq!(stored, 200);
    let server = Arc::into_inner(server).expect("all requests done");
    server.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Graceful shutdown
// ---------------------------------------------------------------------------------------------

/// A test-only wrapper around the real SQLite log (not a mock: every call reaches the
/// database). Optionally it holds each append until the test lets it through and says when one
/// is waiting, which makes "a request in flight" deterministic; and it can be switched to
/// answer `ping` with `StoreError::Unavailable`.
struct TestLog {
    inner: Arc<SqliteLog>,
    gated: bool,
    waiting: Notify,
    gate: Semaphore,
    unavailable: AtomicBool,
}

impl TestLog {
    fn new(inner: Arc<SqliteLog>) -> TestLog {
        TestLog {
            inner,
            gated: false,
            waiting: Notify::new(),
            gate: Semaphore::new(0),
            unavailable: AtomicBool::new(false),
        }
    }
}

#[async_trait]
impl EventLog for TestLog {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn append_batch(&self, events: Vec<NewEvent>) -> Result<Vec<Appended>, StoreError> {
        if self.gated {
            self.waiting.notify_one();
            let _permit = self.gate.acquire().await.unwrap();
        }
        self.inner.append_batch(events).await
    }
    async fn record_deliveries(&self, deliveries: Vec<Delivery>) -> Result<(), StoreError> {
        self.inner.record_deliveries(deliveries).await
    }
    async fn quarantine(&self, entries: Vec<QuarantineEntry>) -> Result<(), StoreError> {
        self.inner.quarantine(entries).await
    }
    async fn head(&self) -> Result<Head, StoreError> {
        self.inner.head().await
    }
    async fn read_after(&self, after: Position, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        self.inner.read_after(after, limit).await
    }
    async fn engagement_events(
        &self,
        engagement_id: &zcc_store::EngagementId,
    ) -> Result<Vec<LogEntry>, StoreError> {
        self.inner.engagement_events(engagement_id).await
    }
    async fn engagements_events(
        &self,
        engagement_ids: &[zcc_store::EngagementId],
        up_to: Position,
    ) -> Result<Vec<LogEntry>, StoreError> {
        self.inner.engagements_events(engagement_ids, up_to).await
    }
    async fn entry(&self, position: Position) -> Result<Option<LogEntry>, StoreError> {
        self.inner.entry(position).await
    }
    async fn missing_guards(&self) -> Result<Vec<String>, StoreError> {
        self.inner.missing_guards().await
    }
    async fn quarantined(&self, limit: usize) -> Result<Vec<QuarantineEntry>, StoreError> {
        self.inner.quarantined(limit).await
    }
    async fn deliveries(&self, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        self.inner.deliveries(limit).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("switched off by the test".into()));
        }
        self.inner.ping().await
    }
}

/// The audit reads are the real SQLite store's, unchanged.
#[async_trait]
impl AuditLog for TestLog {
    async fn deliveries_at(&self, positions: &[Position]) -> Result<Vec<Delivery>, StoreError> {
        self.inner.deliveries_at(positions).await
    }
    async fn quarantine_page(
        &self,
        query: &QuarantineQuery,
    ) -> Result<Vec<QuarantineSummary>, StoreError> {
        self.inner.quarantine_page(query).await
    }
    async fn quarantine_entry(&self, id: i64) -> Result<Option<QuarantineRecord>, StoreError> {
        self.inner.quarantine_entry(id).await
    }
    async fn quarantine_size(&self) -> Result<i64, StoreError> {
        self.inner.quarantine_size().await
    }
}

/// The projections are the real SQLite store's, unchanged.
#[async_trait]
impl ProjectionStore for TestLog {
    async fn create_generation(
        &self,
        rule_name: &str,
        rule_identity: &str,
        params: &str,
    ) -> Result<Generation, StoreError> {
        self.inner
            .create_generation(rule_name, rule_identity, params)
            .await
    }
    async fn generations(&self) -> Result<Vec<Generation>, StoreError> {
        self.inner.generations().await
    }
    async fn generation(&self, id: GenerationId) -> Result<Option<Generation>, StoreError> {
        self.inner.generation(id).await
    }
    async fn set_state(&self, id: GenerationId, state: GenerationState) -> Result<(), StoreError> {
        self.inner.set_state(id, state).await
    }
    async fn activate(&self, id: GenerationId) -> Result<(), StoreError> {
        self.inner.activate(id).await
    }
    async fn write_projections(
        &self,
        id: GenerationId,
        docs: Vec<ProjectionDoc>,
        checkpoint: Position,
    ) -> Result<(), StoreError> {
        self.inner.write_projections(id, docs, checkpoint).await
    }
    async fn projection(
        &self,
        id: GenerationId,
        engagement_id: &zcc_store::EngagementId,
    ) -> Result<Option<ProjectionDoc>, StoreError> {
        self.inner.projection(id, engagement_id).await
    }
    async fn scan_projections(
        &self,
        id: GenerationId,
        after: Option<&zcc_store::EngagementId>,
        limit: usize,
    ) -> Result<Vec<ProjectionDoc>, StoreError> {
        self.inner.scan_projections(id, after, limit).await
    }
    async fn search(
        &self,
        id: GenerationId,
        filter: &SearchFilter,
        after: Option<(i64, String)>,
        limit: usize,
    ) -> Result<Vec<ProjectionDoc>, StoreError> {
        self.inner.search(id, filter, after, limit).await
    }
    async fn unsearchable_projections(
        &self,
        limit: usize,
    ) -> Result<Vec<(GenerationId, ProjectionDoc)>, StoreError> {
        self.inner.unsearchable_projections(limit).await
    }
    async fn fill_search_text(
        &self,
        texts: Vec<(GenerationId, zcc_store::EngagementId, String)>,
    ) -> Result<u64, StoreError> {
        self.inner.fill_search_text(texts).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_answers_the_request_in_flight_then_stops() {
    let db = Db::new();
    let gated = Arc::new(TestLog {
        gated: true,
        ..TestLog::new(db.log.clone())
    });
    let server = Server::start(args(&[SECRET]), gated.clone()).await;
    let base = server.base.clone();
    let client = server.client.clone();

    let body = event("E8", 1);
    let headers = signed(SECRET, now_secs(), body.as_bytes());
    let mut req = client
        .post(format!("{base}/webhooks/zoom"))
        .body(body.clone());
    for (k, v) in &headers {
        req = req.header(*k, v);
    }
    let in_flight = tokio::spawn(req.send());
    gated.waiting.notified().await; // its append is now waiting for the commit

    let stopping = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !stopping.is_finished(),
        "the server waits for the request in flight"
    );

    gated.gate.add_permits(1); // let the commit through
    let resp = in_flight
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(resp.status(), StatusCode::OK);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer, json!({"status": "stored", "position": 1}));
    stopping
        .await
        .unwrap()
        .expect("run returns Ok after shutdown");

    assert_eq!(db.log.head().await.unwrap().size, 1);
    let refused = client.get(format!("{base}/healthz")).send().await;
    assert!(refused.is_err(), "no longer accepting connections");
}

// ---------------------------------------------------------------------------------------------
// Health, readiness, metrics (router tests with oneshot)
// ---------------------------------------------------------------------------------------------

async fn get(state: &AppState, path: &str) -> (AxumStatus, String) {
    let resp = router(state.clone())
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn healthz_readyz_and_metrics() {
    let db = Db::new();
    let state = AppState::new(args(&[SECRET]), db.log.clone(), None).unwrap();

    let (status, body) = get(&state, "/healthz").await;
    assert_eq!(status, AxumStatus::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"status": "ok"})
    );

    let (status, body) = get(&state, "/readyz").await;
    assert_eq!(status, AxumStatus::OK);
    let ready = serde_json::from_str::<Value>(&body).unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["backend"], "sqlite");
    // No signed webhook yet, and no Zoom credentials for the backfill (docs/RECONCILE.md).
    assert_eq!(ready["last_webhook_at"], Value::Null);
    assert_eq!(ready["backfill"]["configured"], false);

    let body = event("E9", 1);
    let ts = now_secs().to_string();
    let req = Request::post("/webhooks/zoom")
        .header("x-zm-signature", sign(SECRET, &ts, body.as_bytes()))
        .header("x-zm-request-timestamp", &ts)
        .body(Body::from(body))
        .unwrap();
    let resp = router(state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), AxumStatus::OK);

    // A generation that nothing folds (this state runs no live projector) trails the log by
    // the one event.
    zcc_projector::ensure_default_generation(db.log.as_ref())
        .await
        .unwrap();
    let (status, text) = get(&state, "/metrics").await;
    assert_eq!(status, AxumStatus::OK);
    let lag = text
        .lines()
        .find(|l| l.starts_with("zcc_projection_lag_events{generation=\"1\""))
        .unwrap_or_else(|| panic!("no projection lag in /metrics:\n{text}"));
    assert!(
        lag.contains("state=\"active\"") && lag.ends_with(" 1"),
        "{lag}"
    );
    for needle in [
        "zcc_webhook_deliveries_total{outcome=\"stored\"}",
        "zcc_webhook_append_seconds_bucket",
        "zcc_append_batch_size_bucket",
        "zcc_append_batch_seconds_bucket",
        "zcc_log_size",
    ] {
        assert!(
            text.contains(needle),
            "{needle} missing from /metrics:\n{text}"
        );
    }
}

#[tokio::test]
async fn readyz_is_503_when_storage_does_not_answer() {
    // `SELECT 1` on a live SQLite connection cannot fail on demand, so this uses the test-only
    // wrapper around the real database, switched to report the storage as unavailable.
    let db = Db::new();
    let log = Arc::new(TestLog::new(db.log.clone()));
    let state = AppState::new(args(&[SECRET]), log.clone(), None).unwrap();
    let (status, _) = get(&state, "/readyz").await;
    assert_eq!(status, AxumStatus::OK);

    log.unavailable.store(true, Ordering::SeqCst);
    let (status, body) = get(&state, "/readyz").await;
    assert_eq!(status, AxumStatus::SERVICE_UNAVAILABLE);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("switched off"),
        "5xx answers are opaque: {body}"
    );
}

// ---------------------------------------------------------------------------------------------
// Start-up refusals
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn refuses_to_start_without_a_secret_or_beyond_loopback_without_a_token() {
    let db = Db::new();
    let err = AppState::new(ServeArgs::default(), db.log.clone(), None)
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("set ZCC_WEBHOOK_SECRET or pass --webhook-secret"),
        "{err}"
    );

    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let err = run(
        args(&[SECRET]),
        db.log.clone(),
        listener,
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ServeError::PublicWithoutToken { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("ZCC_API_TOKEN"), "{err}");
}
