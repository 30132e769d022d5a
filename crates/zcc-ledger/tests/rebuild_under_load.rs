//! A rebuild run while `simulate --target` posts to `serve` misses no event, and the active
//! generation answers queries throughout.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reproject_during_live_traffic_misses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(dir.path());
    // Some history first, so the rebuild has a log to stream while traffic keeps coming.
    let corpus = dir.path().join("history.jsonl");
    let sim = run(
        &db,
        &[
            "simulate",
            "--calls",
            "300",
            "--seed",
            "2",
            "--output",
            corpus.to_str().unwrap(),
        ],
    );
    assert!(sim.status.success());
    assert!(
        run(&db, &["import", corpus.to_str().unwrap()])
            .status
            .success()
    );

    let server = Server::start(&db);
    let traffic = bin()
        .args([
            "simulate",
            "--calls",
            "400",
            "--seed",
            "9",
            "--concurrency",
            "8",
            "--target",
        ])
        .arg(server.webhook())
        .args(["--secret", SECRET])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut rebuild = bin()
        .args(["--database-url", &db, "reproject", "--rule", "party-count"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The active generation answers throughout.
    let client = reqwest::Client::new();
    let mut answered = 0;
    loop {
        let resp = client
            .get(format!("{}/api/engagements?limit=5", server.url))
            .send()
            .await
            .expect("the API answers during the rebuild");
        assert_eq!(resp.status(), 200);
        answered += 1;
        if rebuild.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rebuild = rebuild.wait_with_output().unwrap();
    assert!(
        rebuild.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuild.stderr)
    );
    let traffic = tokio::task::block_in_place(|| traffic.wait_with_output().unwrap());
    assert!(
        traffic.status.success(),
        "{}",
        String::from_utf8_lossy(&traffic.stdout)
    );

    // Let serve's live projector fold the last deliveries into every kept generation.
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(server);

    // A rebuild of the same rule on the quiet log equals the one built under traffic.
    let again = run(&db, &["reproject", "--rule", "party-count"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let d = run(&db, &["diff", "2", "3", "--format", "json"]);
    assert!(d.status.success(), "{}", stderr(&d));
    let report: serde_json::Value = serde_json::from_str(&stdout(&d)).unwrap();
    assert_eq!(
        report["differing"], 0,
        "the rebuild under load missed events: {report}"
    );
    assert!(report["engagements"].as_u64().unwrap() > 600);
    assert!(answered >= 1);
}
