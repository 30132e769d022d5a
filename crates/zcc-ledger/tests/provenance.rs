//! `zcc-ledger show` says where each raw event came from: a webhook whose signature `serve`
//! verified, an imported archive, or a body `backfill` recovered from Zoom's webhook logs (the
//! stand-in Zoom on a loopback port), with the attempt it was read from and that it was not
//! signature-checked. On SQLite and on PostgreSQL.

mod common;

use std::process::Output;

use chrono::{DateTime, Utc};
use serde_json::Value;
use zcc_zoom::stand_in::{Credentials, StandIn, webhook_log};

const ENGAGEMENT: &str = "EngProvenance1";

fn body(event: &str, ts: i64) -> String {
    format!(
        r#"{{"event":"contact_center.{event}","event_ts":{ts},"payload":{{"account_id":"A","object":{{"engagement_id":"{ENGAGEMENT}","date_time_ms":{ts},"user_id":"U1"}}}}}}"#
    )
}

/// `zcc-ledger ARGS` off the runtime that serves the stand-in, with its credentials.
async fn run_zoom(zoom: &StandIn, db: &str, args: &[&str]) -> Output {
    let mut cmd = common::bin();
    let c = &zoom.credentials;
    cmd.arg("--database-url")
        .arg(db)
        .args(args)
        .env("ZCC_ZOOM_API_URL", &zoom.url)
        .env("ZCC_ZOOM_OAUTH_URL", &zoom.url)
        .env("ZCC_ZOOM_ACCOUNT_ID", &c.account_id)
        .env("ZCC_ZOOM_CLIENT_ID", &c.client_id)
        .env("ZCC_ZOOM_CLIENT_SECRET", &c.client_secret)
        .env("ZCC_ZOOM_APP_ID", &c.app_id);
    tokio::task::spawn_blocking(move || cmd.output().expect("zcc-ledger runs"))
        .await
        .unwrap()
}

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

/// One event of each origin in one engagement: imported, delivered to `serve`, recovered.
/// Returns Zoom's time of the recovered attempt as the stand-in wrote it.
async fn three_origins(db: &str, dir: &std::path::Path) -> String {
    let t0 = Utc::now() - chrono::Duration::hours(2);
    let at = |minutes: i64| (t0 + chrono::Duration::minutes(minutes)).timestamp_millis();
    let archive = dir.join("archive.jsonl");
    std::fs::write(&archive, body("engagement_started", at(0)) + "\n").unwrap();
    let o = run(db, &["import", archive.to_str().unwrap()]).await;
    assert!(o.status.success(), "{}", common::stderr(&o));

    let server = {
        let db = db.to_owned();
        tokio::task::spawn_blocking(move || common::Server::start(&db))
            .await
            .unwrap()
    };
    let client = reqwest::Client::new();
    let (status, answer) = common::post(
        &client,
        &server.webhook(),
        body("engagement_user_hold", at(1)),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    drop(server);

    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let attempt_at: DateTime<Utc> = t0 + chrono::Duration::minutes(30);
    zoom.add_webhook_logs([webhook_log(
        &body("engagement_user_unhold", at(2)),
        attempt_at,
        503,
        3,
        "req-prov-3",
    )]);
    let o = run_zoom(&zoom, db, &["backfill"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert!(
        common::stdout(&o).contains("recovered 1"),
        "{}",
        common::stdout(&o)
    );
    attempt_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn show_says_where_each_event_came_from(db: &str, dir: &std::path::Path) {
    let zoom_time = three_origins(db, dir).await;

    let o = run(db, &["show", ENGAGEMENT, "--format", "json"]).await;
    assert!(o.status.success(), "{}", common::stderr(&o));
    let shown: Value = serde_json::from_slice(&o.stdout).unwrap();
    let events = shown["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{shown:#}");
    let by_event = |suffix: &str| {
        events
            .iter()
            .find(|e| e["event"].as_str().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} in {shown:#}"))
            .clone()
    };
    let imported = by_event("engagement_started");
    assert_eq!(imported["source"], "import");
    assert_eq!(imported["signature_verified"], false);
    assert_eq!(imported["provenance"], Value::Null);
    assert_eq!(imported["origin"], "imported from an archive, no signature");
    let webhook = by_event("engagement_user_hold");
    assert_eq!(webhook["source"], "http");
    assert_eq!(webhook["signature_verified"], true);
    assert_eq!(webhook["provenance"], Value::Null);
    let recovered = by_event("engagement_user_unhold");
    assert_eq!(recovered["source"], "backfill");
    assert_eq!(recovered["signature_verified"], false);
    let p = &recovered["provenance"];
    assert_eq!(p["via"], "webhook_logs");
    assert_eq!(p["request_id"], "req-prov-3");
    assert_eq!(p["retry_num"], 3);
    assert_eq!(p["date_time"], zoom_time.as_str());
    assert_eq!(p["status"], 503);
    let expected = format!(
        "recovered from Zoom's webhook logs (request req-prov-3, retry 3, Zoom's time \
         {zoom_time}, Zoom saw status 503), not signature-checked"
    );
    assert_eq!(recovered["origin"], expected.as_str());

    let o = run(db, &["show", ENGAGEMENT]).await;
    assert!(o.status.success(), "{}", common::stderr(&o));
    let text = common::stdout(&o);
    let line = |suffix: &str| {
        text.lines()
            .find(|l| l.contains(&format!("contact_center.{suffix} ")))
            .unwrap_or_else(|| panic!("no raw event line for {suffix} in:\n{text}"))
            .to_owned()
    };
    assert!(
        line("engagement_started").ends_with("[imported from an archive, no signature]"),
        "{text}"
    );
    assert!(
        line("engagement_user_hold").ends_with("[webhook, signature verified]"),
        "{text}"
    );
    assert!(
        line("engagement_user_unhold").ends_with(&format!("[{expected}]")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_says_where_each_event_came_from_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::sqlite_url(dir.path());
    show_says_where_each_event_came_from(&db, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_says_where_each_event_came_from_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let pg = zcc_tests::fresh_database_async().await;
    show_says_where_each_event_came_from(&pg.url, dir.path()).await;
}
