//! The receiver when its storage cannot keep what it acknowledges: the real server on a real
//! port, over real databases.
//!
//! - The SQLite file deleted (or replaced) under the running server: every delivery gets 503
//!   and `/readyz` is not ready until the file is back at its path; nothing acknowledged is
//!   lost across a restart.
//! - A full file system (a real tmpfs, mounted by the test: it runs as root, as CI does) and a
//!   PostgreSQL database that refuses writes: `/readyz` is not ready until they take writes
//!   again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zcc_server::signature::sign;
use zcc_server::{Secret, ServeArgs, ServeError, run};
use zcc_store::EventLog;
use zcc_store::projection::Backend;
use zcc_store::verify::verify;
use zcc_store_sqlite::SqliteLog;

const SECRET: &str = "test_secret_token";

/// The real server on a loopback port.
struct Server {
    base: String,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl Server {
    async fn start(store: Arc<dyn Backend>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let args = ServeArgs {
            webhook_secret: vec![Secret::new(SECRET)],
            ..ServeArgs::default()
        };
        let task = tokio::spawn(run(args, store, listener, async move {
            let _ = stopped.await;
        }));
        let server = Server {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(stop),
            task,
        };
        for _ in 0..500 {
            if let Ok(r) = server
                .client
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                && r.status() == StatusCode::OK
            {
                return server;
            }
            assert!(!server.task.is_finished(), "the server stopped at start-up");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the server did not answer /healthz");
    }

    /// Deliver the `n`th test event, signed now.
    async fn deliver(&self, n: usize) -> (StatusCode, Value) {
        let body = json!({
            "event": "contact_center.engagement_user_hold",
            "event_ts": 1_777_903_330_000_i64 + n as i64,
            "payload": {
                "account_id": "Acct9xQzLmN0pR2sT4uV6w",
                "object": {"engagement_id": "EngStorage", "seq": n}
            }
        })
        .to_string();
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let resp = self
            .client
            .post(format!("{}/webhooks/zoom", self.base))
            .header("content-type", "application/json")
            .header("x-zm-signature", sign(SECRET, &ts, body.as_bytes()))
            .header("x-zm-request-timestamp", ts)
            .body(body)
            .send()
            .await
            .expect("answered");
        let status = resp.status();
        (status, resp.json().await.expect("a JSON answer"))
    }

    async fn readyz(&self) -> StatusCode {
        self.client
            .get(format!("{}/readyz", self.base))
            .send()
            .await
            .expect("answered")
            .status()
    }

    /// `/readyz` until it answers 200, for at most 3 s: a failed write's outcome answers for
    /// up to a second before the next probe.
    async fn ready_again(&self) -> StatusCode {
        let mut status = self.readyz().await;
        for _ in 0..30 {
            if status == StatusCode::OK {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            status = self.readyz().await;
        }
        status
    }

    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("the server stops within 10 s")
            .unwrap()
            .unwrap();
    }
}

/// `status` is a stored answer at `position`.
fn stored(answer: &(StatusCode, Value), position: i64) {
    assert_eq!(answer.0, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.1, json!({"status": "stored", "position": position}));
}

fn refused(answer: &(StatusCode, Value)) {
    assert_eq!(answer.0, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(answer.1["error"]["code"], "unavailable", "{answer:?}");
}

/// The database file and its `-wal` and `-shm`.
fn db_files(path: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        })
        .collect()
}

#[tokio::test]
async fn a_deleted_or_replaced_database_is_never_acknowledged_until_it_is_restored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let log = Arc::new(SqliteLog::open(path.to_str().unwrap()).unwrap());
    let server = Server::start(log.clone()).await;
    stored(&server.deliver(1).await, 1);
    assert_eq!(server.readyz().await, StatusCode::OK);

    // Unlink the three files. Each keeps a second name (only so that the test can put the
    // very same files back: an unlinked file cannot be linked again).
    let keep = dir.path().join("keep");
    std::fs::create_dir(&keep).unwrap();
    let files = db_files(&path);
    let kept: Vec<PathBuf> = (0..files.len())
        .map(|i| keep.join(format!("f{i}")))
        .collect();
    for (file, other) in files.iter().zip(&kept) {
        std::fs::hard_link(file, other).unwrap();
        std::fs::remove_file(file).unwrap();
    }
    for n in 2..=4 {
        refused(&server.deliver(n).await);
    }
    assert_eq!(server.readyz().await, StatusCode::SERVICE_UNAVAILABLE);

    // Restored: the paths name the open files again.
    for (file, other) in files.iter().zip(&kept) {
        std::fs::hard_link(other, file).unwrap();
    }
    assert_eq!(server.readyz().await, StatusCode::OK);
    stored(&server.deliver(5).await, 2);
    stored(&server.deliver(2).await, 3);

    // Replaced: a copy is another file. Moving the original back restores it.
    let aside = keep.join("aside.db");
    std::fs::rename(&path, &aside).unwrap();
    std::fs::copy(&aside, &path).unwrap();
    refused(&server.deliver(3).await);
    assert_eq!(server.readyz().await, StatusCode::SERVICE_UNAVAILABLE);
    std::fs::rename(&aside, &path).unwrap();
    assert_eq!(server.readyz().await, StatusCode::OK);
    stored(&server.deliver(3).await, 4);

    // After a restart every acknowledged event is there, and only those.
    server.shutdown().await;
    drop(log);
    let reopened = SqliteLog::open(path.to_str().unwrap()).unwrap();
    assert_eq!(reopened.head().await.unwrap().size, 4);
    assert!(verify(&reopened, None, |_| {}).await.unwrap().ok());
}

/// A tmpfs of its own, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size_mib: u32) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size_mib}m"),
                "zcc-test",
            ])
            .arg(dir.path())
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "this test fills a small file system of its own: it needs root and \
             `mount -t tmpfs` (CI runs as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Write to `path` until the file system is full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 256 * 1024];
    loop {
        if let Err(e) = f.write_all(&chunk).and_then(|()| f.sync_data()) {
            assert_eq!(e.raw_os_error(), Some(28), "ENOSPC, not {e}");
            return;
        }
    }
}

#[tokio::test]
async fn readyz_fails_while_the_disk_is_full_and_recovers_when_space_is_freed() {
    let fs = Tmpfs::mount(48);
    let path = fs.path().join("ledger.db");
    let log = Arc::new(SqliteLog::open(path.to_str().unwrap()).unwrap());
    let server = Server::start(log.clone()).await;
    stored(&server.deliver(1).await, 1);
    assert_eq!(server.readyz().await, StatusCode::OK);

    let filler = fs.path().join("filler");
    fill(&filler);
    assert_eq!(server.readyz().await, StatusCode::SERVICE_UNAVAILABLE);
    // Whatever the receiver answers meanwhile, it never acknowledges what it did not store.
    let answer = server.deliver(2).await;
    assert!(
        answer.0 == StatusCode::OK || answer.0 == StatusCode::SERVICE_UNAVAILABLE,
        "{answer:?}"
    );
    let acknowledged = i64::from(answer.0 == StatusCode::OK);

    std::fs::remove_file(&filler).unwrap();
    assert_eq!(server.ready_again().await, StatusCode::OK);
    stored(&server.deliver(3).await, 2 + acknowledged);
    server.shutdown().await;
    drop(log);
    let reopened = SqliteLog::open(path.to_str().unwrap()).unwrap();
    assert_eq!(reopened.head().await.unwrap().size, 2 + acknowledged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_while_postgres_refuses_writes_and_recovers() {
    let db = zcc_tests::fresh_database_async().await;
    let log = Arc::new(
        zcc_store_postgres::PostgresLog::connect(&db.url)
            .await
            .unwrap(),
    );
    let server = Server::start(log.clone()).await;
    stored(&server.deliver(1).await, 1);
    assert_eq!(server.readyz().await, StatusCode::OK);

    // Read-only, as a standby or a database switched to read-only is: every new session
    // refuses writes (SQLSTATE 25006). The server's sessions are ended so that it reconnects.
    let reconnect = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' \
         AND pid <> pg_backend_pid()",
        db.name
    );
    zcc_tests::admin_execute(&format!(
        "ALTER DATABASE {} SET default_transaction_read_only = on",
        db.name
    ))
    .await;
    zcc_tests::admin_execute(&reconnect).await;
    // The last write's outcome answers for a second; after it, the probe decides.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut status = server.readyz().await;
    if status == StatusCode::OK {
        // A session ended under the pool can cost one answer: ask once more.
        status = server.readyz().await;
    }
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    refused(&server.deliver(2).await);
    assert_eq!(server.readyz().await, StatusCode::SERVICE_UNAVAILABLE);

    zcc_tests::admin_execute(&format!(
        "ALTER DATABASE {} RESET default_transaction_read_only",
        db.name
    ))
    .await;
    zcc_tests::admin_execute(&reconnect).await;
    assert_eq!(server.ready_again().await, StatusCode::OK);
    stored(&server.deliver(2).await, 2);
    server.shutdown().await;
    log.close().await;
}
