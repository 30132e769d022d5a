//! Crash safety: `serve` under load is killed with SIGKILL. After a restart every event that was
//! answered 200 is in the log at the position it was given, the chain verifies, and the log goes
//! on from where it stopped.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;

fn body(worker: usize, n: usize) -> String {
    format!(
        "{{\"event\":\"contact_center.engagement_user_hold\",\"event_ts\":{},\"payload\":{{\"account_id\":\"Acct\",\"object\":{{\"engagement_id\":\"Eng{worker}x{}\",\"user_id\":\"U{worker}\",\"seq\":{n},\"pad\":\"{}\"}}}}}}",
        1_777_903_330_000u64 + n as u64,
        n / 10,
        "x".repeat(700)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(dir.path());
    let mut server = Server::start(&db);
    let url = server.webhook();
    let acked: Arc<Mutex<BTreeMap<String, i64>>> = Arc::default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let mut workers = Vec::new();
    for w in 0..32 {
        let (client, url, acked) = (client.clone(), url.clone(), acked.clone());
        workers.push(tokio::spawn(async move {
            for n in 0.. {
                let b = body(w, n);
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
                acked.lock().unwrap().insert(sha, position);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().expect("SIGKILL the server");
    server.child.wait().unwrap();
    for w in workers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 100,
        "the server was under load ({} acknowledged)",
        acked.len()
    );

    // The chain verifies after the crash.
    let v = run(&db, &["verify"]);
    assert!(v.status.success(), "verify after SIGKILL: {}", stdout(&v));

    // Every acknowledged event is there, at the position it was given.
    let export = run(&db, &["export", "events"]);
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
    let size = stored.len() as i64;

    // The log goes on from where it stopped.
    let server = Server::start(&db);
    let (status, answer) = post(&client, &server.webhook(), body(999, 1)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["status"], "stored");
    assert_eq!(answer["position"], size + 1);
}
