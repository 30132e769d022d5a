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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_timelines_names_a_hold_only_zoom_saw() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let secret = zoom.credentials.client_secret.clone();
    let t0 = Utc::now() - chrono::Duration::days(2);
    let file = dir.path().join("calls.jsonl");
    std::fs::write(&file, body(1, t0.timestamp_millis()) + "\n").unwrap();
    let o = common::run(&db, &["import", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let at = |secs: i64| {
        (t0 + chrono::Duration::seconds(secs))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    zoom.add_engagements([
        json!({"engagement_id": "Eng1", "start_time": at(0), "users": [],
        "hold_count": 0, "conference_count": 0, "transfer_completed_count": 0}),
    ]);
    // Zoom's timeline has a hold the ledger never heard of.
    zoom.add_engagement_timelines([json!({"engagement_id": "Eng1", "entity_timelines": [
        {"entity": {"entity_id": "q1", "entity_type": "Queue"},
         "segments": [{"segment_type": "queue_waiting_segment", "start_time": at(0), "end_time": at(20)}]},
        {"entity": {"entity_id": "u1", "entity_type": "Agent"},
         "segments": [{"segment_type": "agent_hold_segment", "start_time": at(60), "end_time": at(90)}]}
    ]})]);
    let (since, until) = (at(-3600), at(3600));
    let window = ["reconcile", "--since", &since, "--until", &until];
    let o = run(&zoom, &secret, &db, &window).await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "without --timelines the counts agree"
    );
    assert!(!common::stdout(&o).contains("hold_bounds"));

    let o = run(
        &zoom,
        &secret,
        &db,
        &[&window[..], &["--timelines", "--format", "jsonl"]].concat(),
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    let rows: Vec<Value> = common::stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ms = |secs: i64| {
        (t0 + chrono::Duration::seconds(secs))
            .format("%Y-%m-%dT%H:%M:%S.000Z")
            .to_string()
    };
    assert_eq!(
        rows,
        [json!({"engagement_id": "Eng1", "field": "hold_bounds",
                "zoom": [{"start": ms(60), "end": ms(90)}], "ledger": []})]
    );
    let o = run(
        &zoom,
        &secret,
        &db,
        &[&window[..], &["--timelines"]].concat(),
    )
    .await;
    let text = common::stdout(&o);
    assert!(
        text.contains("conference_bounds") && text.contains("100.00%"),
        "{text}"
    );
    assert!(
        text.contains("hold_bounds") && text.contains("0.00%"),
        "{text}"
    );
}

/// `zcc-ledger serve` with the `ZCC_ZOOM_*` settings of `env` (and `--backfill-every 1s`).
fn serve_with_zoom(db: &str, env: &[(&str, &str)]) -> std::process::Child {
    use std::process::Stdio;
    let mut cmd = common::bin();
    cmd.args([
        "--database-url",
        db,
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--backfill-every",
        "1s",
    ])
    .env("ZCC_WEBHOOK_SECRET", common::SECRET)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("serve starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_backfills_on_its_schedule_with_the_zoom_settings() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let c = zoom.credentials.clone();
    let dropped = body(
        7,
        (Utc::now() - chrono::Duration::hours(3)).timestamp_millis(),
    );
    let at = Utc::now() - chrono::Duration::hours(2);
    zoom.add_webhook_logs((0..4).map(|r| webhook_log(&dropped, at, 503, r, "req-7")));

    // Half the credentials: serve refuses to start and names what is missing.
    let half = serve_with_zoom(&db, &[("ZCC_ZOOM_ACCOUNT_ID", &c.account_id)]);
    let o = tokio::task::spawn_blocking(move || half.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("ZCC_ZOOM_CLIENT_ID is not set"),
        "{}",
        common::stderr(&o)
    );

    let mut child = serve_with_zoom(
        &db,
        &[
            ("ZCC_ZOOM_API_URL", &zoom.url),
            ("ZCC_ZOOM_OAUTH_URL", &zoom.url),
            ("ZCC_ZOOM_ACCOUNT_ID", &c.account_id),
            ("ZCC_ZOOM_CLIENT_ID", &c.client_id),
            ("ZCC_ZOOM_CLIENT_SECRET", &c.client_secret),
            ("ZCC_ZOOM_APP_ID", &c.app_id),
        ],
    );
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let engagement = loop {
        let resp = client
            .get(format!("{url}/api/engagements/Eng7"))
            .send()
            .await
            .unwrap();
        if resp.status() == 200 {
            break resp.json::<Value>().await.unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Eng7 was never recovered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(
        engagement["events"][0]["source"], "backfill",
        "{engagement:#}"
    );
    let ready: Value = client
        .get(format!("{url}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["backfill"]["every"], "1s");
    assert!(ready["backfill"]["last_ok_at"].is_string(), "{ready:#}");
    let metrics = client
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("zcc_backfill_events_total{outcome=\"recovered\"} 1"),
        "{metrics}"
    );
    let _ = child.kill();
    let o = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        !common::stderr(&o).contains(&c.client_secret),
        "the client secret reached serve's log"
    );
}
