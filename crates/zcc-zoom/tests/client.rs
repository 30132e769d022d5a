//! The real client against the stand-in Zoom on a loopback port: OAuth, token expiry and
//! revocation, pages, windows, 429 with Retry-After, 5xx, a wrong secret, and no secret in
//! any log line or error.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;
use zcc_zoom::stand_in::{Credentials, Fault, StandIn, webhook_log};
use zcc_zoom::{Retry, Secret, Window, ZoomClient, ZoomConfig, ZoomError, parse_zoom_time};

fn quick_retry() -> Retry {
    Retry {
        attempts: 4,
        base: Duration::from_millis(10),
        max_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
    }
}

fn config(zoom: &StandIn, secret: &str) -> ZoomConfig {
    let c = &zoom.credentials;
    let mut config = ZoomConfig::new(&c.account_id, &c.client_id, Secret::new(secret));
    config.api_url = zoom.url.clone();
    config.oauth_url = zoom.url.clone();
    config.app_id = Some(c.app_id.clone());
    config.retry = quick_retry();
    config
}

async fn start() -> (StandIn, ZoomClient) {
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let client = ZoomClient::new(config(&zoom, &zoom.credentials.client_secret)).unwrap();
    (zoom, client)
}

fn body(n: usize) -> String {
    format!(
        r#"{{"event":"contact_center.engagement_started","event_ts":{n},"payload":{{"account_id":"A","object":{{"engagement_id":"E{n}"}}}}}}"#
    )
}

/// Six days ending now: within the logs' 7 days.
fn recent() -> (DateTime<Utc>, DateTime<Utc>) {
    let to = Utc::now();
    (to - chrono::Duration::days(6), to)
}

#[tokio::test]
async fn the_logs_are_read_page_by_page_with_one_token_and_only_failures_by_default() {
    let (zoom, client) = start().await;
    let (from, to) = recent();
    let at = |i: usize| from + chrono::Duration::seconds(60 + i as i64);
    zoom.add_webhook_logs((0..650).map(|i| webhook_log(&body(i), at(i), 503, 0, &format!("r{i}"))));
    zoom.add_webhook_logs(
        (650..700).map(|i| webhook_log(&body(i), at(i), 200, 0, &format!("r{i}"))),
    );

    let mut pages = client
        .webhook_logs(Window::new(from, to).unwrap(), false)
        .unwrap();
    let mut sizes = Vec::new();
    let mut bodies = Vec::new();
    while let Some(page) = pages.next().await.unwrap() {
        sizes.push(page.items.len());
        bodies.extend(page.items.into_iter().map(|l| l.request_body));
    }
    assert_eq!(sizes, [300, 300, 50], "pages of Zoom's largest size");
    assert_eq!(
        bodies,
        (0..650).map(body).collect::<Vec<_>>(),
        "every failed attempt, once, in order"
    );
    let counts = zoom.counts();
    assert_eq!(counts.tokens_issued, 1, "the token is cached across pages");
    assert_eq!(counts.pages_served, 3);
    for q in zoom.queries() {
        assert_eq!(q["page_size"], "300");
        assert_eq!(q["type"], "2", "failed deliveries only");
    }

    let (all, _) = client
        .webhook_logs(Window::new(from, to).unwrap(), true)
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 700, "--all reads every attempt");
    assert_eq!(all.iter().filter(|l| l.succeeded()).count(), 50);
}

#[tokio::test]
async fn a_long_window_is_read_in_spans_zoom_accepts() {
    let (zoom, client) = start().await;
    let from = parse_zoom_time("2026-01-01T00:00:00Z").unwrap();
    let to = parse_zoom_time("2026-03-02T00:00:00Z").unwrap();
    zoom.add_engagements((0..60).map(|d| {
        let start = from + chrono::Duration::days(d) + chrono::Duration::hours(12);
        json!({"engagement_id": format!("E{d}"), "start_time": start.to_rfc3339(), "hold_count": d})
    }));
    let (engagements, unreadable) = client
        .engagements(Window::new(from, to).unwrap())
        .collect()
        .await
        .unwrap();
    assert_eq!(unreadable, 0);
    let mut ids: Vec<_> = engagements
        .iter()
        .map(|e| e.engagement_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60, "every call of the 60 days");
    let queries = zoom.queries();
    assert_eq!(queries.len(), 3, "60 days in spans of at most a month");
    for q in queries {
        let span = parse_zoom_time(&q["to"]).unwrap() - parse_zoom_time(&q["from"]).unwrap();
        assert!(span <= chrono::Duration::days(28), "{q:?}");
    }
}

#[tokio::test]
async fn engagement_timelines_are_read_by_their_start_time_window_page_by_page() {
    let (zoom, client) = start().await;
    let from = parse_zoom_time("2026-01-01T00:00:00Z").unwrap();
    let to = parse_zoom_time("2026-02-15T00:00:00Z").unwrap();
    let at = |m: i64| (from + chrono::Duration::minutes(m)).to_rfc3339();
    // 400 calls in the window (two pages of the first span), one before it, one with no
    // segments (no start: in no window), one without an id.
    let timeline = |id: &str, m: i64| {
        json!({"engagement_id": id, "channels": ["voice"], "entity_timelines": [
            {"entity": {"entity_id": "q1", "entity_type": "Queue"},
             "segments": [{"segment_type": "queue_waiting_segment", "start_time": at(m), "end_time": at(m + 1)}]},
            {"entity": {"entity_id": "u1", "entity_type": "Agent"},
             "segments": [{"segment_type": "agent_hold_segment", "start_time": at(m + 2), "end_time": at(m + 3)}]}
        ]})
    };
    zoom.add_engagement_timelines((0..400).map(|i| timeline(&format!("E{i}"), i * 10)));
    zoom.add_engagement_timelines([
        timeline("Before", -600),
        json!({"engagement_id": "Empty", "entity_timelines": []}),
        timeline("", 5),
    ]);
    let (timelines, unreadable) = client
        .engagement_timelines(Window::new(from, to).unwrap())
        .collect()
        .await
        .unwrap();
    assert_eq!(timelines.len(), 400);
    assert_eq!(unreadable, 1, "the one without an id");
    let holds: Vec<_> = timelines[7].segments(&["agent_hold_segment"]).collect();
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].0, Some("u1"));
    assert_eq!(holds[0].1.start_time.as_deref(), Some(at(72).as_str()));
    let queries = zoom.queries();
    assert_eq!(
        queries.len(),
        3,
        "two pages of the first month, one of the rest"
    );
    for q in &queries {
        assert!(
            q.contains_key("start_time_from") && q.contains_key("start_time_to"),
            "{q:?}"
        );
        assert!(!q.contains_key("from"), "{q:?}");
    }
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_honouring_retry_after() {
    let (zoom, client) = start().await;
    let (from, to) = recent();
    zoom.add_webhook_logs([webhook_log(
        &body(1),
        from + chrono::Duration::hours(1),
        500,
        0,
        "r1",
    )]);
    zoom.fail_next([
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        Fault::ServerError(503),
    ]);
    let started = Instant::now();
    let (logs, _) = client
        .webhook_logs(Window::new(from, to).unwrap(), false)
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(zoom.counts().faults, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as Retry-After asked, not the 10 ms back-off"
    );

    zoom.fail_next([Fault::ServerError(502); 4]);
    let err = client
        .webhook_logs(Window::new(from, to).unwrap(), false)
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert!(
        matches!(err, ZoomError::GaveUp { attempts: 4, .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("/webhook_logs") && message.contains("HTTP 502"),
        "{message}"
    );
}

#[tokio::test]
async fn an_expired_token_is_replaced_before_use_and_a_revoked_one_after_a_401() {
    let (zoom, client) = start().await;
    let (from, to) = recent();
    let window = Window::new(from, to).unwrap();
    zoom.set_token_ttl(1);
    client
        .webhook_logs(window, true)
        .unwrap()
        .collect()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    client
        .webhook_logs(window, true)
        .unwrap()
        .collect()
        .await
        .unwrap();
    let counts = zoom.counts();
    assert_eq!(
        counts.tokens_issued, 2,
        "a token past its use-by time is not sent"
    );
    assert_eq!(counts.unauthorized, 0);

    zoom.set_token_ttl(3600);
    client
        .webhook_logs(window, true)
        .unwrap()
        .collect()
        .await
        .unwrap();
    let before = zoom.counts();
    zoom.expire_tokens();
    client
        .webhook_logs(window, true)
        .unwrap()
        .collect()
        .await
        .unwrap();
    let after = zoom.counts();
    assert_eq!(after.unauthorized, 1, "one 401");
    assert_eq!(
        after.tokens_issued,
        before.tokens_issued + 1,
        "then a new token"
    );
    assert_eq!(
        after.pages_served,
        before.pages_served + 1,
        "and the request made again"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_an_error_that_names_the_client_but_not_the_secret() {
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let wrong = "wrong-secret-value-1234";
    let client = ZoomClient::new(config(&zoom, wrong)).unwrap();
    let (from, to) = recent();
    let err = client
        .webhook_logs(Window::new(from, to).unwrap(), false)
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, ZoomError::Auth { status: 401, .. }),
        "{message}"
    );
    assert!(message.contains(&zoom.credentials.client_id), "{message}");
    assert!(message.contains(&zoom.credentials.account_id), "{message}");
    assert!(message.contains("/oauth/token"), "{message}");
    assert!(
        message.contains("Invalid client_id or client_secret"),
        "{message}"
    );
    assert!(!message.contains(wrong) && !format!("{err:?}").contains(wrong));
    assert!(!format!("{client:?}").contains(wrong));
    assert_eq!(zoom.counts().tokens_refused, 1, "a refusal is not retried");
}

#[tokio::test]
async fn missing_settings_are_named_before_any_request() {
    let mut c = ZoomConfig::new("acct", "", Secret::new("s"));
    assert!(
        ZoomClient::new(c.clone())
            .unwrap_err()
            .to_string()
            .contains("ZCC_ZOOM_CLIENT_ID")
    );
    c.client_id = "id".into();
    c.api_url = "ftp://example".into();
    assert!(
        ZoomClient::new(c.clone())
            .unwrap_err()
            .to_string()
            .contains("ZCC_ZOOM_API_URL")
    );
    c.api_url = zcc_zoom::DEFAULT_API_URL.into();
    let client = ZoomClient::new(c).unwrap();
    let (from, to) = recent();
    let err = client
        .webhook_logs(Window::new(from, to).unwrap(), false)
        .unwrap_err();
    assert!(err.to_string().contains("ZCC_ZOOM_APP_ID"), "{err}");
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn neither_the_secret_nor_a_token_reaches_the_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (zoom, client) = start().await;
    let (from, to) = recent();
    let window = Window::new(from, to).unwrap();
    zoom.add_webhook_logs([webhook_log(
        &body(1),
        from + chrono::Duration::hours(1),
        500,
        0,
        "r1",
    )]);
    zoom.fail_next([
        Fault::ServerError(500),
        Fault::RateLimited {
            retry_after_secs: 0,
        },
    ]);
    client
        .webhook_logs(window, false)
        .unwrap()
        .collect()
        .await
        .unwrap();
    zoom.expire_tokens();
    client
        .webhook_logs(window, false)
        .unwrap()
        .collect()
        .await
        .unwrap();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("retrying Zoom"),
        "the retries were logged: {log}"
    );
    assert!(
        log.contains("fetching a new one"),
        "the 401 was logged: {log}"
    );
    assert!(!log.contains(&zoom.credentials.client_secret), "{log}");
    assert!(!log.contains("sit-"), "an access token was logged: {log}");
}
