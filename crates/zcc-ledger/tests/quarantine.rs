//! `zcc-ledger quarantine list|show`: the bodies that were refused, as an operator reads them
//! and as a script does (JSON Lines, the exact bytes with --raw, a closed pipe), on SQLite and
//! on PostgreSQL. Entries come in as they do in production: lines of an import, and a signed
//! webhook delivered to `serve` that is not an envelope.

mod common;

use std::io::Read;
use std::process::{Output, Stdio};

use serde_json::Value;

async fn run(db: &str, args: &[&str]) -> Output {
    let (db, args): (String, Vec<String>) = (
        db.to_owned(),
        args.iter().map(|a| (*a).to_owned()).collect(),
    );
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::run(&db, &args)
    })
    .await
    .unwrap()
}

/// The body that is not an envelope a webhook delivers: signed, JSON, no `event`.
const WEBHOOK_BODY: &str = r#"{"payload":{"object":{}}}"#;

/// Import two refused lines (one not UTF-8) and deliver one refused webhook with a request id.
async fn refusals(db: &str, dir: &std::path::Path) -> Vec<u8> {
    let mut file = b"{\"event\":\"contact_center.engagement_started\",\"payload\":{}}\n".to_vec();
    let not_utf8 = b"{\"event\":\"x\xff\xfe\"}".to_vec();
    file.extend_from_slice(&not_utf8);
    file.extend_from_slice(b"\n[1,2,3]\n");
    let archive = dir.join("bad.jsonl");
    std::fs::write(&archive, &file).unwrap();
    let o = run(db, &["import", archive.to_str().unwrap()]).await;
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));

    let server = {
        let db = db.to_owned();
        tokio::task::spawn_blocking(move || common::Server::start(&db))
            .await
            .unwrap()
    };
    let ts = common::now_secs();
    let resp = reqwest::Client::new()
        .post(server.webhook())
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", ts.to_string())
        .header(
            "x-zm-signature",
            common::signature(common::SECRET, ts, WEBHOOK_BODY.as_bytes()),
        )
        .header("x-zm-request-id", "req-quarantine-1")
        .body(WEBHOOK_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    drop(server);
    not_utf8
}

async fn list_and_show(db: &str, dir: &std::path::Path) {
    let not_utf8 = refusals(db, dir).await;

    // Newest first: the webhook, then the import's lines 3 and 2.
    let o = run(db, &["quarantine", "list", "--format", "jsonl"]).await;
    assert!(o.status.success(), "{}", common::stderr(&o));
    let rows: Vec<Value> = common::stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let origins: Vec<&str> = rows.iter().map(|r| r["origin"].as_str().unwrap()).collect();
    let file = dir.join("bad.jsonl").display().to_string();
    assert_eq!(
        origins,
        ["http", &format!("{file}:3"), &format!("{file}:2")]
    );
    assert_eq!(rows[0]["source"], "http");
    assert_eq!(rows[1]["source"], "import");
    assert_eq!(rows[2]["bytes"], not_utf8.len());
    for r in &rows {
        assert!(r["reason"].as_str().is_some_and(|s| !s.is_empty()), "{r}");
        assert!(r["received_at"].as_str().unwrap().ends_with('Z'), "{r}");
        assert_eq!(r["body_sha256"].as_str().unwrap().len(), 64);
    }
    let id = |i: usize| rows[i]["id"].as_i64().unwrap().to_string();

    let o = run(db, &["quarantine", "list", "--limit", "1"]).await;
    let text = common::stdout(&o);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with(&format!("{:>6}  ", id(0))) && text.contains("  http  "),
        "{text}"
    );
    let o = run(
        db,
        &["quarantine", "list", "--since", "2999-01-01T00:00:00Z"],
    )
    .await;
    assert!(o.status.success());
    assert_eq!(common::stdout(&o), "", "nothing received since then");
    let o = run(db, &["quarantine", "list", "--since", "yesterday"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("--since \"yesterday\""),
        "{}",
        common::stderr(&o)
    );

    // The webhook: its request id; the body byte for byte.
    let o = run(db, &["quarantine", "show", &id(0)]).await;
    assert!(o.status.success(), "{}", common::stderr(&o));
    let text = common::stdout(&o);
    for part in [
        &format!("quarantine entry {}", id(0)),
        "source      http (origin http)",
        "request id  req-quarantine-1",
        &format!("reason      {}", rows[0]["reason"].as_str().unwrap()),
        WEBHOOK_BODY,
    ] {
        assert!(text.contains(part), "{part:?} not in:\n{text}");
    }
    let o = run(db, &["quarantine", "show", &id(0), "--raw"]).await;
    assert_eq!(o.stdout, WEBHOOK_BODY.as_bytes());
    // The import's line that is not UTF-8: escaped in the report, exact with --raw.
    let o = run(db, &["quarantine", "show", &id(2)]).await;
    let text = common::stdout(&o);
    assert!(text.contains("request id  none"), "{text}");
    assert!(text.contains("not UTF-8"), "{text}");
    let o = run(db, &["quarantine", "show", &id(2), "--raw"]).await;
    assert_eq!(o.stdout, not_utf8, "the refused bytes, exactly");

    let o = run(db, &["quarantine", "show", "999999"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("no quarantine entry 999999"),
        "{}",
        common::stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantine_list_and_show_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    list_and_show(&common::sqlite_url(dir.path()), dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantine_list_and_show_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let pg = zcc_tests::fresh_database_async().await;
    list_and_show(&pg.url, dir.path()).await;
}

#[test]
fn a_closed_pipe_ends_a_quarantine_listing_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::sqlite_url(dir.path());
    let lines: String = (0..3000).map(|n| format!("not json {n}\n")).collect();
    let archive = dir.path().join("noise.jsonl");
    std::fs::write(&archive, lines).unwrap();
    let o = common::run(&db, &["import", archive.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));

    let mut child = common::bin()
        .args([
            "--database-url",
            &db,
            "quarantine",
            "list",
            "--limit",
            "5000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
        "the listing cannot have finished into a closed pipe"
    );
    assert!(
        err.trim().is_empty(),
        "nothing is said of a closed pipe: {err}"
    );
}
