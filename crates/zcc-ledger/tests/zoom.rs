//! `zcc-ledger backfill` and `zcc-ledger reconcile` as an operator runs them, against the
//! stand-in Zoom on a loopback port: summary lines, exit codes, output formats, and the
//! client secret kept out of every message.

mod common;

use std::process::Output;

use chrono::Utc;
use serde_json::{Value, json};
use zcc_zoom::stand_in::{Credentials, StandIn, webhook_log};

/// Run `zcc-ledger ARGS` against `db` with the stand-in's credentials, off the runtime that
/// serves the stand-in.
async fn run(zoom: &StandIn, secret: &str, db: &str, args: &[&str]) -> Output {
    let mut cmd = common::bin();
    let c = &zoom.credentials;
    cmd.arg("--database-url")
        .arg(db)
        .args(args)
        .env("ZCC_ZOOM_API_URL", &zoom.url)
        .env("ZCC_ZOOM_OAUTH_URL", &zoom.url)
        .env("ZCC_ZOOM_ACCOUNT_ID", &c.account_id)
        .env("ZCC_ZOOM_CLIENT_ID", &c.client_id)
        .env("ZCC_ZOOM_CLIENT_SECRET", secret)
        .env("ZCC_ZOOM_APP_ID", &c.app_id);
    tokio::task::spawn_blocking(move || cmd.output().expect("zcc-ledger runs"))
        .await
        .unwrap()
}

fn body(n: u32, ts: i64) -> String {
    format!(
        r#"{{"event":"contact_center.engagement_started","event_ts":{ts},"payload":{{"account_id":"A","object":{{"engagement_id":"Eng{n}","date_time_ms":{ts}}}}}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_recovers_once_and_says_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let secret = zoom.credentials.client_secret.clone();
    let now = Utc::now();
    let t0 = now - chrono::Duration::hours(30);
    let bodies: Vec<String> = (0..20)
        .map(|n| {
            body(
                n,
                (t0 + chrono::Duration::minutes(n.into())).timestamp_millis(),
            )
        })
        .collect();
    // 18 delivered (imported here), 2 never: four failed attempts each in Zoom's logs.
    let delivered = dir.path().join("delivered.jsonl");
    std::fs::write(&delivered, bodies[..18].join("\n") + "\n").unwrap();
    let o = common::run(&db, &["import", delivered.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    for (i, b) in bodies.iter().enumerate().skip(18) {
        for retry in 0..4 {
            let at = t0 + chrono::Duration::minutes(i as i64 + 5 * retry);
            zoom.add_webhook_logs([webhook_log(b, at, 503, retry, &format!("req-{i}"))]);
        }
    }

    let o = run(&zoom, &secret, &db, &["backfill"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_eq!(
        common::stdout(&o).trim(),
        "read 8, recovered 2, already present 6, rejected 0, skipped 0"
    );
    let o = common::run(&db, &["verify"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = common::run(&db, &["checkpoint"]);
    assert!(
        common::stdout(&o).starts_with("20:"),
        "{}",
        common::stdout(&o)
    );

    let o = run(&zoom, &secret, &db, &["backfill", "--all"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_eq!(
        common::stdout(&o).trim(),
        "read 8, recovered 0, already present 8, rejected 0, skipped 0"
    );

    // A body that is not an envelope: quarantined, exit 1 as in import.
    zoom.add_webhook_logs([webhook_log(
        "[1,2,3]",
        now - chrono::Duration::hours(1),
        -1,
        0,
        "req-bad",
    )]);
    let o = run(&zoom, &secret, &db, &["backfill"]).await;
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    assert!(
        common::stdout(&o).contains("rejected 1"),
        "{}",
        common::stdout(&o)
    );

    // A window Zoom does not keep, and a wrong secret: exit 2, messages that say what and
    // where, and never the secret.
    let o = run(
        &zoom,
        &secret,
        &db,
        &[
            "backfill",
            "--since",
            "2026-01-01T00:00:00Z",
            "--until",
            "2026-01-02T00:00:00Z",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("within the past 7 days"),
        "{}",
        common::stderr(&o)
    );
    let o = run(&zoom, "not-the-secret-42", &db, &["backfill"]).await;
    assert_eq!(o.status.code(), Some(2));
    let err = common::stderr(&o);
    assert!(
        err.contains("Zoom refused the credentials") && err.contains("/oauth/token"),
        "{err}"
    );
    assert!(!err.contains("not-the-secret-42"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_writes_one_row_per_disagreement_and_exits_by_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let secret = zoom.credentials.client_secret.clone();
    let t0 = Utc::now() - chrono::Duration::days(2);
    let ts = t0.timestamp_millis();
    let file = dir.path().join("calls.jsonl");
    std::fs::write(&file, body(1, ts) + "\n").unwrap();
    let o = common::run(&db, &["import", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let start = |d: chrono::Duration| (t0 + d).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    zoom.add_engagements([
        json!({"engagement_id": "Eng1", "start_time": start(chrono::Duration::zero()), "users": [], "hold_count": 0, "conference_count": 0, "transfer_completed_count": 0}),
        json!({"engagement_id": "ZoomOnly", "start_time": start(chrono::Duration::hours(2)), "users": [{"user_id": "u1"}], "hold_count": 1}),
    ]);
    let since = start(-chrono::Duration::hours(1));
    let until = start(chrono::Duration::hours(1));
    let o = run(
        &zoom,
        &secret,
        &db,
        &["reconcile", "--since", &since, "--until", &until],
    )
    .await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        common::stdout(&o),
        common::stderr(&o)
    );
    let text = common::stdout(&o);
    assert!(text.contains("0 disagreements"), "{text}");
    assert!(
        text.contains("hold_count") && text.contains("100.00%"),
        "{text}"
    );

    let until = start(chrono::Duration::hours(3));
    let out = dir.path().join("rows.jsonl");
    let o = run(
        &zoom,
        &secret,
        &db,
        &[
            "reconcile",
            "--since",
            &since,
            "--until",
            &until,
            "--format",
            "jsonl",
            "--output",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    let rows: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            json!({"engagement_id": "ZoomOnly", "field": "missing_in_ledger", "zoom": start(chrono::Duration::hours(2)), "ledger": null})
        ]
    );

    let o = run(
        &zoom,
        &secret,
        &db,
        &["reconcile", "--since", "yesterday", "--until", &until],
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("--since \"yesterday\" is not an RFC 3339 time"),
        "{}",
        common::stderr(&o)
    );
}
