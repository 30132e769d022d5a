//! Crash safety: `serve` under load is killed with SIGKILL, again and again, on SQLite and on
//! PostgreSQL. After each kill the server starts again on the same database and the load goes
//! on. At the end every event that was answered 200, in any cycle, is in the log at the
//! position it was given, the chain verifies, and the log goes on from where it stopped.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// Kills per backend.
const CYCLES: usize = 5;
/// Concurrent senders.
const WORKERS: usize = 24;

fn body(cycle: usize, worker: usize, n: usize) -> String {
    format!(
        "{{\"event\":\"contact_center.engagement_user_hold\",\"event_ts\":{},\"payload\":{{\"account_id\":\"Acct\",\"object\":{{\"engagement_id\":\"Eng{cycle}w{worker}x{}\",\"user_id\":\"U{worker}\",\"seq\":{n},\"pad\":\"{}\"}}}}}}",
        1_777_903_330_000u64 + n as u64,
        n / 10,
        "x".repeat(700)
    )
}

type Acked = Arc<Mutex<BTreeMap<String, i64>>>;

/// Load `server` from [`WORKERS`] senders until it dies; every 200 is recorded (body SHA-256
/// to position).
fn load(server: &Server, cycle: usize, acked: &Acked) -> Vec<tokio::task::JoinHandle<()>> {
    let url = server.webhook();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    (0..WORKERS)
        .map(|w| {
            let (client, url, acked) = (client.clone(), url.clone(), acked.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let b = body(cycle, w, n);
                    let ts = now_secs();
                    let sig = signature(SECRET, ts, b.as_bytes());
                    let sent = client
                        .post(&url)
                        .header("x-zm-request-timestamp", ts.to_string())
                        .header("x-zm-signature", sig)
                        .body(b.clone())
                        .send()
                        .await;
                    let Ok(resp) = sent else { return };
                    if resp.status().as_u16() != 200 {
                        continue;
                    }
                    let Ok(answer) = resp.json::<serde_json::Value>().await else {
                        return;
                    };
                    let position = answer["position"]
                        .as_i64()
                        .expect("a 200 names its position");
                    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b.as_bytes()));
                    let before = acked.lock().unwrap().insert(sha, position);
                    assert!(before.is_none(), "each body is sent once");
                }
            })
        })
        .collect()
}

async fn sigkill_under_load_many_times(db: &str) {
    let started = Instant::now();
    let acked: Acked = Arc::default();
    let mut per_cycle = Vec::new();
    for cycle in 0..CYCLES {
        let mut server = Server::start(db);
        let before = acked.lock().unwrap().len();
        let workers = load(&server, cycle, &acked);
        // Kill at a different moment of the load each time.
        tokio::time::sleep(Duration::from_millis(700 + 150 * cycle as u64)).await;
        server.child.kill().expect("SIGKILL the server");
        server.child.wait().unwrap();
        for w in workers {
            w.await.unwrap();
        }
        per_cycle.push(acked.lock().unwrap().len() - before);
    }
    let acked = acked.lock().unwrap().clone();
    for (cycle, n) in per_cycle.iter().enumerate() {
        assert!(
            *n > 20,
            "cycle {cycle}: the server was under load when killed ({n} acknowledged); {per_cycle:?}"
        );
    }

    // The chain verifies after the crashes.
    let v = run(db, &["verify"]);
    assert!(
        v.status.success(),
        "verify after {CYCLES} SIGKILLs: {}{}",
        stdout(&v),
        stderr(&v)
    );

    // Every acknowledged event is there, at the position it was given.
    let export = run(db, &["export", "events"]);
    assert!(export.status.success(), "{}", stderr(&export));
    let stored: BTreeMap<String, i64> = stdout(&export)
        .lines()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                row["body_sha256"].as_str().unwrap().to_owned(),
                row["position"].as_i64().unwrap(),
            )
        })
        .collect();
    for (sha, position) in &acked {
        assert_eq!(
            stored.get(sha),
            Some(position),
            "acknowledged body {sha} lost or moved"
        );
    }
    // Positions are gapless.
    let mut positions: Vec<i64> = stored.values().copied().collect();
    positions.sort_unstable();
    assert!(
        positions.iter().copied().eq(1..=positions.len() as i64),
        "the log's positions have a gap"
    );
    let size = stored.len() as i64;

    // The log goes on from where it stopped.
    let server = Server::start(db);
    let client = reqwest::Client::new();
    let (status, answer) = post(&client, &server.webhook(), body(999, 0, 1)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["status"], "stored");
    assert_eq!(answer["position"], size + 1);
    eprintln!(
        "{CYCLES} SIGKILLs, {} acknowledged ({per_cycle:?} per cycle), log of {size}, in {:?}",
        acked.len(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_event_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sigkill_under_load_many_times(&sqlite_url(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_event_postgres() {
    let pg = zcc_tests::fresh_database_async().await;
    sigkill_under_load_many_times(&pg.url).await;
}
