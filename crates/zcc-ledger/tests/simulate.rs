//! `simulate` to a file then `import`, and the same run posted signed to `serve` with
//! `--target`, give the same log contents (the same set of body hashes).

mod common;

use std::collections::BTreeSet;

use common::*;

fn body_hashes(db: &str) -> BTreeSet<String> {
    let out = run(db, &["export", "events"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            row["body_sha256"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn import_and_http_target_store_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("calls.jsonl");
    let sim = bin()
        .args(["simulate", "--calls", "400", "--seed", "21", "--output"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(sim.status.success(), "{}", stderr(&sim));

    let imported = format!("sqlite://{}", dir.path().join("imported.db").display());
    let imp = run(&imported, &["import", corpus.to_str().unwrap()]);
    assert_eq!(imp.status.code(), Some(0), "{}", stderr(&imp));

    let served = format!("sqlite://{}", dir.path().join("served.db").display());
    let server = Server::start(&served);
    let post = bin()
        .args(["simulate", "--calls", "400", "--seed", "21", "--target"])
        .arg(server.webhook())
        // The same variable `serve` reads; of a comma-separated list, the first secret signs.
        .env(
            "ZCC_WEBHOOK_SECRET",
            format!("{SECRET},a-second-app-secret"),
        )
        .args(["--concurrency", "16"])
        .output()
        .unwrap();
    assert!(post.status.success(), "{}{}", stdout(&post), stderr(&post));
    let report = stdout(&post);
    assert!(report.contains("200="), "every answer is a 200: {report}");
    assert!(!report.contains("transport_errors"), "{report}");
    drop(server);

    let a = body_hashes(&imported);
    let b = body_hashes(&served);
    assert!(a.len() > 5000, "a realistic corpus ({} events)", a.len());
    assert_eq!(a, b, "import and HTTP delivery stored different events");
    for db in [&imported, &served] {
        assert!(run(db, &["verify"]).status.success());
    }
}

/// `simulate --target` speaks HTTPS (Zoom's endpoints are HTTPS, behind a TLS proxy): an
/// `https://` target is connected to, and a failure says why, cause and all.
#[test]
fn an_https_target_is_connected_to_and_a_failure_says_why() {
    // Nothing listens on the discard port of loopback.
    let out = bin()
        .args(["simulate", "--calls", "1", "--seed", "1", "--secret", "s"])
        .args(["--target", "https://127.0.0.1:9/webhooks/zoom"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("https://127.0.0.1:9/webhooks/zoom"), "{err}");
    assert!(
        err.contains("Connection refused"),
        "the cause, not only the URL: {err}"
    );
    assert!(
        !err.contains("scheme"),
        "https is a scheme it speaks: {err}"
    );
}
