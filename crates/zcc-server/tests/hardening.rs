//! Issue 31, the receiver's side: the real server on 127.0.0.1:0 with real HMAC signatures, on
//! a fresh SQLite file and a fresh PostgreSQL database per test.
//!
//! - valid JSON that serde_json refuses (a number beyond f64, a lone surrogate escape, deep
//!   nesting, a leading byte-order mark) is stored byte for byte, never answered 400;
//! - a storage failure is logged once per change of state, and counted;
//! - pages carry a Content-Security-Policy, framing and referrer headers; the session cookie
//!   expires; a stalled database answers 503 within the storage time-out;
//! - slow headers, stalled bodies and idle connections are cut; over the connection bound the
//!   answer is 503.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zcc_server::signature::sign;
use zcc_server::{Secret, ServeArgs, ServeError, run};
use zcc_store::projection::Backend;
use zcc_store::{EventLog, Position};
use zcc_store_postgres::PostgresLog;
use zcc_store_sqlite::SqliteLog;
use zcc_tests::PgTestDb;

const SECRET: &str = "test_secret_token";

fn args() -> ServeArgs {
    ServeArgs {
        webhook_secret: vec![Secret::new(SECRET)],
        ..ServeArgs::default()
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A fresh database of either backend, kept for the test's life.
enum Db {
    Sqlite {
        dir: tempfile::TempDir,
        log: Arc<SqliteLog>,
    },
    Postgres {
        db: PgTestDb,
        log: Arc<PostgresLog>,
    },
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Sqlite,
    Postgres,
}

impl Db {
    async fn new(kind: Kind) -> Db {
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("ledger.db");
                let log = Arc::new(SqliteLog::open(path.to_str().unwrap()).expect("open SQLite"));
                Db::Sqlite { dir, log }
            }
            Kind::Postgres => {
                let db = zcc_tests::fresh_database_async().await;
                let log = Arc::new(
                    PostgresLog::connect(&db.url)
                        .await
                        .expect("open PostgreSQL"),
                );
                Db::Postgres { db, log }
            }
        }
    }

    fn backend(&self) -> Arc<dyn Backend> {
        match self {
            Db::Sqlite { log, .. } => log.clone(),
            Db::Postgres { log, .. } => log.clone(),
        }
    }

    fn log(&self) -> &dyn EventLog {
        match self {
            Db::Sqlite { log, .. } => &**log,
            Db::Postgres { log, .. } => &**log,
        }
    }

    fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        match self {
            Db::Sqlite { dir, .. } => Some(dir.path().join("ledger.db")),
            Db::Postgres { .. } => None,
        }
    }

    fn postgres_url(&self) -> Option<&str> {
        match self {
            Db::Sqlite { .. } => None,
            Db::Postgres { db, .. } => Some(&db.url),
        }
    }
}

/// The real server on a loopback port.
struct Server {
    addr: std::net::SocketAddr,
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
        let task = tokio::spawn(run(args, log, listener, async move {
            let _ = stopped.await;
        }));
        let server = Server {
            addr,
            base: format!("http://{addr}"),
            // No pooled connections: each request is a connection of its own, so none holds
            // a slot of the connection bound between requests.
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            stop: Some(stop),
            task,
        };
        for _ in 0..500 {
            assert!(
                !server.task.is_finished(),
                "the server stopped while starting"
            );
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

    async fn post_signed(&self, body: &[u8]) -> (StatusCode, Value) {
        let ts = now_secs().to_string();
        let resp = self
            .client
            .post(format!("{}/webhooks/zoom", self.base))
            .header("content-type", "application/json")
            .header("x-zm-signature", sign(SECRET, &ts, body))
            .header("x-zm-request-timestamp", ts)
            .body(body.to_vec())
            .send()
            .await
            .expect("request answered");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("answer {status} is not JSON ({e}): {text}"));
        (status, json)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request answered")
    }

    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("server stops within 10 s")
            .unwrap()
            .unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 7: valid JSON that serde_json refuses is stored
// ---------------------------------------------------------------------------------------------

/// Valid JSON (RFC 8259) bodies with an envelope that serde_json's reader refuses, each with
/// the engagement it names.
pub fn valid_json_serde_refuses() -> Vec<(&'static str, Vec<u8>)> {
    let body = |engagement: &str, extra: &str| {
        format!(
            r#"{{"event":"contact_center.engagement_user_hold","event_ts":1777903330000,"payload":{{"account_id":"AcctHard","object":{{"engagement_id":"{engagement}","date_time_ms":1777903330000{extra}}}}}}}"#
        )
    };
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(body("EngBom", "").as_bytes());
    vec![
        ("EngBigNumber", body("EngBigNumber", r#","big":1e400,"small":-1E+999"#).into_bytes()),
        ("EngLongInteger", body("EngLongInteger", &format!(r#","n":{}"#, "9".repeat(400))).into_bytes()),
        ("EngLoneSurrogate", body("EngLoneSurrogate", r#","note":"a\ud800b","\udfff":"\udc00""#).into_bytes()),
        ("EngDeep", body("EngDeep", &format!(r#","deep":{deep}"#)).into_bytes()),
        ("EngBom", bom),
        (
            "EngHugeEventTs",
            br#"{"event":"contact_center.engagement_user_hold","event_ts":1e400,"payload":{"object":{"engagement_id":"EngHugeEventTs"}}}"#.to_vec(),
        ),
    ]
}

async fn valid_json_is_stored_byte_for_byte(kind: Kind) {
    let db = Db::new(kind).await;
    let server = Server::start(args(), db.backend()).await;
    for (n, (engagement, body)) in valid_json_serde_refuses().into_iter().enumerate() {
        let (status, answer) = server.post_signed(&body).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{kind:?}: the body of {engagement} is valid JSON with an envelope: {answer}"
        );
        let position = n as i64 + 1;
        assert_eq!(
            answer,
            json!({"status": "stored", "position": position}),
            "{engagement}"
        );
        let entry = db
            .log()
            .entry(Position(position))
            .await
            .unwrap()
            .expect("the stored entry");
        assert_eq!(
            entry.body.as_bytes(),
            &body[..],
            "{kind:?}: {engagement} kept byte for byte"
        );
        assert_eq!(entry.engagement_id.as_deref(), Some(engagement), "{kind:?}");
        // A second delivery of the same bytes is a duplicate, at the same position.
        let (status, answer) = server.post_signed(&body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            answer,
            json!({"status": "duplicate", "position": position}),
            "{kind:?}: {engagement}"
        );
    }
    assert!(
        db.log().quarantined(10).await.unwrap().is_empty(),
        "nothing quarantined"
    );
    // Still 400 for what is not JSON.
    for bad in [
        &b"{\"event\":\"x\",\"payload\":{}"[..],
        b"\xEF\xBB\xBF",
        b"{\"event\":\"x\",\"payload\":{},}",
    ] {
        let (status, _) = server.post_signed(bad).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{kind:?}: {}",
            String::from_utf8_lossy(bad)
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_json_serde_refuses_is_stored_sqlite() {
    valid_json_is_stored_byte_for_byte(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_json_serde_refuses_is_stored_postgres() {
    valid_json_is_stored_byte_for_byte(Kind::Postgres).await;
}

// ---------------------------------------------------------------------------------------------
// Finding 8: page headers, session expiry, the storage time-out
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn pages_forbid_framing_scripts_and_referrers() {
    let db = Db::new(Kind::Sqlite).await;
    let server = Server::start(args(), db.backend()).await;
    for path in ["/", "/engagements/EngNone", "/signin", "/assets/web.css"] {
        let resp = server.get(path).await;
        let h = resp.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"))
            .to_str()
            .unwrap();
        for directive in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "style-src 'self'",
            "script-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp} lacks {directive}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    }
    // The pages need nothing the policy forbids: no inline script (the one script is this
    // server's file), no inline style.
    let page = server.get("/").await.text().await.unwrap();
    let scripts: Vec<&str> = page.split("<script").skip(1).collect();
    assert_eq!(scripts.len(), 1, "{page}");
    assert!(
        scripts[0].starts_with(r#" src="/assets/local-time.js" defer></script>"#),
        "{page}"
    );
    assert!(!page.contains("style="), "{page}");
    let script = server.get("/assets/local-time.js").await;
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    server.shutdown().await;
}

/// The session cookie for `token`, signed to expire at `expires` (seconds since the epoch),
/// made here the way the server documents it.
fn session_cookie(token: &str, expires: i64) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(format!("zcc-ledger web session v2 {expires}").as_bytes());
    format!(
        "zcc_session={expires}.{}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[tokio::test]
async fn the_session_cookie_expires() {
    let db = Db::new(Kind::Sqlite).await;
    let token = "web-session-token";
    let server = Server::start(
        ServeArgs {
            api_token: Some(Secret::new(token)),
            ..args()
        },
        db.backend(),
    )
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .post(format!("{}/signin", server.base))
        .form(&[("token", token), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let set = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.contains("Max-Age=28800"), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();

    let page = |cookie: String| {
        let client = client.clone();
        let url = format!("{}/", server.base);
        async move {
            client
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        page(cookie).await,
        StatusCode::OK,
        "the fresh session opens the page"
    );
    let now = now_secs();
    assert_eq!(page(session_cookie(token, now + 60)).await, StatusCode::OK);
    // Expired: refused by the server, whatever the browser kept.
    assert_eq!(
        page(session_cookie(token, now - 1)).await,
        StatusCode::UNAUTHORIZED
    );
    // Further ahead than a session lasts: not one this server made.
    assert_eq!(
        page(session_cookie(token, now + 30 * 86_400)).await,
        StatusCode::UNAUTHORIZED
    );
    // The former cookie, which never expired, is no longer a session.
    let v1 = {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(token.as_bytes()).unwrap();
        mac.update(b"zcc-ledger web session v1");
        format!("zcc_session={}", hex::encode(mac.finalize().into_bytes()))
    };
    assert_eq!(page(v1).await, StatusCode::UNAUTHORIZED);
    server.shutdown().await;
}

/// A connection that holds the database's write lock until dropped.
enum Lock {
    Sqlite(rusqlite::Connection),
    Postgres(sqlx::PgConnection),
}

impl Lock {
    async fn take(db: &Db) -> Lock {
        match db {
            Db::Sqlite { .. } => {
                let conn = rusqlite::Connection::open(db.sqlite_path().unwrap()).unwrap();
                conn.execute_batch("BEGIN IMMEDIATE").unwrap();
                Lock::Sqlite(conn)
            }
            Db::Postgres { .. } => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(db.postgres_url().unwrap())
                    .await
                    .unwrap();
                sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
                sqlx::query("LOCK TABLE events IN EXCLUSIVE MODE")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                Lock::Postgres(conn)
            }
        }
    }

    async fn release(self) {
        match self {
            Lock::Sqlite(conn) => conn.execute_batch("ROLLBACK").unwrap(),
            Lock::Postgres(mut conn) => {
                sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
            }
        }
    }
}

fn event_body(n: i64) -> Vec<u8> {
    format!(
        r#"{{"event":"contact_center.engagement_user_hold","event_ts":{},"payload":{{"object":{{"engagement_id":"EngStall{n}"}}}}}}"#,
        1_777_903_330_000 + n
    )
    .into_bytes()
}

async fn a_stalled_database_answers_503_within_the_storage_timeout(kind: Kind) {
    let db = Db::new(kind).await;
    // The backends' own lock waits stay at their defaults (SQLite 5 s, PostgreSQL 10 s): the
    // server's time-out (default 2 s) is what bounds the answer.
    let server = Server::start(args(), db.backend()).await;
    let (status, _) = server.post_signed(&event_body(0)).await;
    assert_eq!(status, StatusCode::OK);

    let lock = Lock::take(&db).await;
    let started = Instant::now();
    let (status, answer) = server.post_signed(&event_body(1)).await;
    let took = started.elapsed();
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{kind:?}: {answer}"
    );
    assert!(
        took >= Duration::from_millis(1_500) && took < Duration::from_millis(3_000),
        "{kind:?}: the 503 came after {took:?}; the storage time-out is 2 s"
    );
    lock.release().await;

    // The stalled append may still have committed: Zoom's retry then gets its position.
    let mut answered = None;
    for _ in 0..100 {
        let (status, answer) = server.post_signed(&event_body(1)).await;
        if status == StatusCode::OK {
            answered = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = answered.expect("stored once the lock is gone");
    assert_eq!(answer["position"], 2, "{kind:?}: {answer}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_database_answers_503_within_the_storage_timeout_sqlite() {
    a_stalled_database_answers_503_within_the_storage_timeout(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_database_answers_503_within_the_storage_timeout_postgres() {
    a_stalled_database_answers_503_within_the_storage_timeout(Kind::Postgres).await;
}

// ---------------------------------------------------------------------------------------------
// Finding 6: slow headers, stalled bodies, idle connections, the connection bound
// ---------------------------------------------------------------------------------------------

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Read until the server closes the connection (or `limit` passes); what was read, and when
/// the connection closed.
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    limit: Duration,
) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), None),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&got).into_owned(),
                    Some(started.elapsed()),
                );
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn limited(header_ms: u64, body_ms: u64, max_connections: usize) -> ServeArgs {
    ServeArgs {
        header_timeout_ms: header_ms,
        body_timeout_ms: body_ms,
        max_connections,
        ..args()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_idle_connections_are_cut() {
    let db = Db::new(Kind::Sqlite).await;
    let server = Server::start(limited(500, 500, 64), db.backend()).await;

    // Slowloris: half the headers, then nothing.
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"POST /webhooks/zoom HTTP/1.1\r\nHost: zcc\r\nx-zm-request-timestamp: 1")
        .await
        .unwrap();
    // A connection that never sends a byte.
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // A keep-alive connection left idle after one request.
    let mut idle = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: zcc\r\n\r\n")
        .await
        .unwrap();

    for (name, stream) in [
        ("half the headers", &mut slow),
        ("nothing", &mut silent),
        ("idle keep-alive", &mut idle),
    ] {
        let (got, closed) = read_until_closed(stream, Duration::from_secs(3)).await;
        let closed = closed
            .unwrap_or_else(|| panic!("a connection that sent {name} is still open after 3 s"));
        assert!(
            closed < Duration::from_millis(1_500),
            "{name}: closed after {closed:?}"
        );
        if name == "idle keep-alive" {
            assert!(got.starts_with("HTTP/1.1 200"), "{got}");
        }
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_cut() {
    let db = Db::new(Kind::Sqlite).await;
    let server = Server::start(limited(5_000, 500, 64), db.backend()).await;
    let body = event_body(7);
    let ts = now_secs().to_string();
    let head = format!(
        "POST /webhooks/zoom HTTP/1.1\r\nHost: zcc\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-zm-request-timestamp: {ts}\r\nx-zm-signature: {}\r\n\r\n",
        body.len(),
        sign(SECRET, &ts, &body)
    );
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    let started = Instant::now();
    let (got, closed) = read_until_closed(&mut stream, Duration::from_secs(4)).await;
    assert!(
        got.starts_with("HTTP/1.1 408"),
        "a stalled body is answered 408: {got:?}"
    );
    assert!(got.contains("request_timeout"), "{got}");
    let closed = closed.expect("the connection is closed after a stalled body");
    assert!(
        started.elapsed() < Duration::from_millis(2_000),
        "cut after {closed:?}"
    );
    assert!(db.log().head().await.unwrap().size == 0, "nothing stored");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_connection_bound_the_answer_is_503() {
    let db = Db::new(Kind::Sqlite).await;
    let server = Server::start(limited(10_000, 3_000, 4), db.backend()).await;
    // Four keep-alive connections hold every slot: each was served once (so it has a slot;
    // one refused because a connection of the start-up had not closed yet is tried again).
    let mut held = Vec::new();
    for _ in 0..40 {
        if held.len() == 4 {
            break;
        }
        let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: zcc\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("answered")
            .unwrap();
        if buf[..n].starts_with(b"HTTP/1.1 200") {
            held.push(s);
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(held.len(), 4, "four connections hold the four slots");
    let client = reqwest::Client::new();
    let (status, answer) = {
        let resp = client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .expect("the fifth connection is answered");
        (resp.status(), resp.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert!(answer.contains("unavailable"), "{answer}");
    // A webhook over the bound: 503 as well, never 429 or another 4xx.
    let body = event_body(9);
    let ts = now_secs().to_string();
    let resp = client
        .post(format!("{}/webhooks/zoom", server.base))
        .header("x-zm-signature", sign(SECRET, &ts, &body))
        .header("x-zm-request-timestamp", ts)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);

    // A slot frees: served again.
    drop(held.pop());
    let mut ok = false;
    for _ in 0..50 {
        if client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "a freed slot serves again");
    drop(held);
    server.shutdown().await;
}
