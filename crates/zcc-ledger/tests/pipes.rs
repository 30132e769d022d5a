//! What a script or a log file sees of the command line: a closed pipe
//! (`zcc-ledger export events | head`) ends a command quietly, as for any Unix tool; the log
//! filter is `RUST_LOG`; a log that is not a terminal has no colour codes.

mod common;

use std::io::Read;
use std::process::Stdio;

use common::*;

#[test]
fn a_closed_pipe_ends_an_export_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(dir.path());
    let corpus = dir.path().join("calls.jsonl");
    let sim = bin()
        .args(["simulate", "--calls", "200", "--seed", "3", "--output"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(sim.status.success(), "{}", stderr(&sim));
    assert!(
        run(&db, &["import", corpus.to_str().unwrap()])
            .status
            .success()
    );

    let mut child = bin()
        .args(["--database-url", &db, "export", "events"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line's worth, then hang up, as `head -1` does.
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the export cannot have finished into a closed pipe"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.trim().is_empty(),
        "nothing is said of a closed pipe: {err}"
    );
}

/// The log filter is `RUST_LOG` (else `ZCC_LOG`), and a log that is not a terminal holds no
/// colour codes.
#[test]
fn the_log_filter_is_rust_log_and_a_piped_log_has_no_colour() {
    let dir = tempfile::tempdir().unwrap();
    // Each run opens a new database, whose migrations the store logs at info: a level the
    // default filter hides for it.
    let logged = |var: Option<&str>, n: usize| {
        let db = format!("sqlite://{}", dir.path().join(format!("{n}.db")).display());
        let mut cmd = bin();
        cmd.env_remove("RUST_LOG").env_remove("ZCC_LOG");
        if let Some(var) = var {
            cmd.env(var, "info");
        }
        let out = cmd
            .args(["--database-url", &db, "generations"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
    };
    let quiet = logged(None, 0);
    assert!(!quiet.contains("applied schema migration"), "{quiet}");
    for (n, var) in ["RUST_LOG", "ZCC_LOG"].into_iter().enumerate() {
        let log = logged(Some(var), n + 1);
        assert!(
            log.contains("applied schema migration"),
            "{var}=info is the filter: {log}"
        );
        assert!(
            !log.contains('\u{1b}'),
            "{var}: no escape codes in a piped log: {log:?}"
        );
    }
}

/// Every refused webhook is logged at warn with its reason and Zoom's request id, at the default
/// filter, and neither the signature nor the secret reaches the log.
#[tokio::test]
async fn a_refused_webhook_is_logged_with_its_reason_and_request_id() {
    use std::io::{BufRead, BufReader};

    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(dir.path());
    let mut child = bin()
        .env_remove("ZCC_LOG")
        .env_remove("RUST_LOG")
        .env("ZCC_WEBHOOK_SECRET", SECRET)
        .args(["--log-format", "json", "--database-url", &db])
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();

    let body = r#"{"event":"contact_center.engagement_started","payload":{"object":{}}}"#;
    let forged = format!("v0={}", "ab".repeat(32));
    let answer = reqwest::Client::new()
        .post(format!("{url}/webhooks/zoom"))
        .header("x-zm-request-timestamp", now_secs().to_string())
        .header("x-zm-signature", &forged)
        .header("x-zm-request-id", "req_forged_0001")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);

    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let refused = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["message"] == "webhook refused")
        .unwrap_or_else(|| panic!("no refusal logged: {log}"));
    assert_eq!(refused["level"], "WARN", "{refused}");
    assert_eq!(refused["fields"]["status"], 401);
    let reason = refused["fields"]["error"].as_str().unwrap();
    assert!(reason.contains("does not match"), "{reason}");
    assert_eq!(
        refused["span"]["request_id"], "req_forged_0001",
        "{refused}"
    );
    assert!(
        !log.contains(&forged[3..]),
        "the signature was logged: {log}"
    );
    assert!(!log.contains(SECRET), "the secret was logged: {log}");
}
