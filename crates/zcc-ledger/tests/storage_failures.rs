//! Issue 31, findings 4 and 8 end to end, on both backends: while storage fails, `serve`
//! answers every webhook 503 within its storage time-out, counts each failure in `/metrics`,
//! and logs the failure once and the recovery once: not once per request.
//!
//! The failure is real: another connection holds the database's write lock (SQLite
//! `BEGIN IMMEDIATE`; PostgreSQL `LOCK TABLE events IN EXCLUSIVE MODE`).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sqlx::Connection;

/// Requests sent while storage fails.
const FAILING: usize = 40;

struct Serve {
    child: Child,
    url: String,
    log: std::path::PathBuf,
}

impl Serve {
    fn start(db: &str, dir: &std::path::Path, storage_timeout_ms: u64) -> Serve {
        let log = dir.join("serve.log");
        let mut child = bin()
            .args(["--database-url", db, "serve", "--listen", "127.0.0.1:0"])
            .args(["--storage-timeout-ms", &storage_timeout_ms.to_string()])
            .env("ZCC_WEBHOOK_SECRET", SECRET)
            // What an operator sees by default.
            .env_remove("ZCC_LOG")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from serve: {line:?}"))
            .to_owned();
        Serve { child, url, log }
    }

    /// Stop (SIGTERM, as an operator would) and return what the process logged.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log).unwrap()
    }
}

fn body(n: usize) -> String {
    format!(
        r#"{{"event":"contact_center.engagement_user_hold","event_ts":{},"payload":{{"account_id":"Acct","object":{{"engagement_id":"EngLock{n}","user_id":"U1"}}}}}}"#,
        1_777_903_330_000u64 + n as u64
    )
}

/// `zcc_storage_failures_total` from `/metrics` (0 when not yet there).
async fn failures_counted(client: &reqwest::Client, base: &str) -> f64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("zcc_storage_failures_total "))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// Lock the database, fire [`FAILING`] webhooks at once, check the answers and their timing,
/// unlock, check a webhook is stored again, then check the metrics and the process log.
async fn logged_once_per_change_of_state(
    db: &str,
    dir: &std::path::Path,
    lock: impl std::future::Future<Output = Box<dyn std::any::Any + Send>>,
) {
    let storage_timeout_ms = 2_000;
    let serve = Serve::start(db, dir, storage_timeout_ms);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let (status, _) = post(&client, &format!("{}/webhooks/zoom", serve.url), body(0)).await;
    assert_eq!(status, 200, "the first webhook is stored");

    let held = lock.await;
    let started = Instant::now();
    let answers = futures::future::join_all((1..=FAILING).map(|n| {
        let (client, url) = (client.clone(), format!("{}/webhooks/zoom", serve.url));
        async move {
            let sent = Instant::now();
            let (status, answer) = post(&client, &url, body(n)).await;
            (status, answer, sent.elapsed())
        }
    }))
    .await;
    for (status, answer, took) in &answers {
        assert_eq!(*status, 503, "a stalled database answers 503: {answer}");
        assert!(
            *took < Duration::from_millis(storage_timeout_ms + 1_500),
            "a 503 took {took:?}; the storage time-out is {storage_timeout_ms} ms"
        );
    }
    let stalled_for = started.elapsed();
    drop(held);

    // Recovered: stored again (retry until the lock is really gone).
    let mut stored = false;
    for _ in 0..50 {
        let (status, _) = post(&client, &format!("{}/webhooks/zoom", serve.url), body(1)).await;
        if status == 200 {
            stored = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stored, "a webhook is stored once the lock is released");
    let counted = failures_counted(&client, &serve.url).await;
    assert!(
        counted >= FAILING as f64,
        "zcc_storage_failures_total is {counted}, after {FAILING} failed webhooks"
    );

    let log = serve.stop();
    let failing = log.matches("storage is failing").count();
    let recovered = log.matches("storage recovered").count();
    assert_eq!(failing, 1, "the failure is logged once:\n{log}");
    assert_eq!(recovered, 1, "the recovery is logged once:\n{log}");
    let noisy: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    // The failure itself; the live projector, which runs at most every 2 s, may add a line
    // per run while the database is stalled.
    // The SQLite checkpointer may add one more.
    let projector_runs = (stalled_for.as_secs() / 2 + 2) as usize;
    assert!(
        noisy.len() <= 2 + projector_runs,
        "{} warning or error lines for {FAILING} failed webhooks:\n{log}",
        noisy.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_failures_are_logged_once_and_counted_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(dir.path());
    let path = dir.path().join("ledger.db");
    let lock = async move {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        Box::new(std::sync::Mutex::new(conn)) as Box<dyn std::any::Any + Send>
    };
    logged_once_per_change_of_state(&db, dir.path(), lock).await;
}

/// A PostgreSQL connection holding `LOCK TABLE events` until dropped (on its own thread, as
/// dropping the lock must not need the test's runtime).
struct PgLock {
    release: Option<std::sync::mpsc::Sender<()>>,
    done: Option<std::thread::JoinHandle<()>>,
}

impl Drop for PgLock {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(done) = self.done.take() {
            let _ = done.join();
        }
    }
}

fn pg_lock(url: String) -> PgLock {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (locked, is_locked) = std::sync::mpsc::channel::<()>();
    let done = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            let mut tx = conn.begin().await.unwrap();
            sqlx::query("LOCK TABLE events IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .unwrap();
            locked.send(()).unwrap();
            let _ = tokio::task::spawn_blocking(move || released.recv()).await;
            tx.rollback().await.unwrap();
        });
    });
    is_locked.recv().expect("the table is locked");
    PgLock {
        release: Some(release),
        done: Some(done),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_failures_are_logged_once_and_counted_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let pg = zcc_tests::fresh_database_async().await;
    let url = pg.url.clone();
    let lock = async move { Box::new(pg_lock(url)) as Box<dyn std::any::Any + Send> };
    logged_once_per_change_of_state(&pg.url, dir.path(), lock).await;
}
