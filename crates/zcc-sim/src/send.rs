//! Post bodies to a receiver, signed as Zoom signs webhooks, and measure the answers.
//!
//! Each request carries `x-zm-signature: v0=<hex HMAC-SHA256(secret, "v0:{ts}:{body}")>`,
//! `x-zm-request-timestamp` (now, in seconds), a fresh `x-zm-request-id` and
//! `content-type: application/json`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::task::JoinSet;

/// Why sending could not start (or could not go on). Per-request failures are counted in the
/// report instead.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("target URL {url:?} is not an http(s) URL: {reason}")]
    BadTarget { url: String, reason: String },
    #[error("webhook secret is empty")]
    EmptySecret,
    #[error("concurrency must be at least 1")]
    NoConcurrency,
    #[error("could not build the HTTP client: {0}")]
    Client(String),
    #[error("every one of the {attempted} requests to {url} failed; first error: {first}")]
    Unreachable {
        url: String,
        attempted: u64,
        first: String,
    },
}

/// Throughput, latency and answers of one [`post_all`] run.
#[derive(Debug, Clone, PartialEq)]
pub struct SendReport {
    /// Requests attempted.
    pub sent: u64,
    /// Answers by HTTP status.
    pub by_status: BTreeMap<u16, u64>,
    /// Requests that got no HTTP answer (connection refused, reset, timeout).
    pub transport_errors: u64,
    /// The first transport error, for the message.
    pub first_error: Option<String>,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl SendReport {
    /// Requests per second over the whole run.
    pub fn throughput(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.sent as f64 / secs
        } else {
            0.0
        }
    }

    /// Answers with a 2xx status.
    pub fn ok(&self) -> u64 {
        self.by_status.range(200..300).map(|(_, n)| n).sum()
    }
}

impl fmt::Display for SendReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "sent {} in {:.1} s ({:.0}/s); latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; answers:",
            self.sent,
            self.elapsed.as_secs_f64(),
            self.throughput(),
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max),
        )?;
        for (status, n) in &self.by_status {
            write!(f, " {status}={n}")?;
        }
        if self.transport_errors > 0 {
            write!(f, " transport_errors={}", self.transport_errors)?;
        }
        Ok(())
    }
}

/// Zoom's signature header value for `body` sent at `timestamp` (seconds).
pub fn sign(secret: &str, timestamp: u64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length.
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
    };
    mac.update(b"v0:");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b":");
    mac.update(body.as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

enum Outcome {
    Status(u16),
    Failed(String),
}

/// Post every body to `target`, at most `concurrency` at a time and, with `rate`, at most
/// `rate` requests per second. `progress` is called with the number of requests answered
/// (or failed) so far after each one.
pub async fn post_all(
    target: &str,
    secret: &str,
    rate: Option<u32>,
    concurrency: usize,
    bodies: impl Iterator<Item = String> + Send,
    progress: impl Fn(u64) + Send + Sync,
) -> Result<SendReport, SendError> {
    if !(target.starts_with("http://") || target.starts_with("https://")) {
        return Err(SendError::BadTarget {
            url: target.to_owned(),
            reason: "it must start with http:// or https://".into(),
        });
    }
    if secret.is_empty() {
        return Err(SendError::EmptySecret);
    }
    if concurrency == 0 {
        return Err(SendError::NoConcurrency);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(concurrency)
        .build()
        .map_err(|e| SendError::Client(e.to_string()))?;
    let url = reqwest::Url::parse(target).map_err(|e| SendError::BadTarget {
        url: target.to_owned(),
        reason: e.to_string(),
    })?;

    let mut ticker = rate.filter(|r| *r > 0).map(|r| {
        let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(r)));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    let started = Instant::now();
    let mut in_flight: JoinSet<(Duration, Outcome)> = JoinSet::new();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut by_status = BTreeMap::new();
    let mut transport_errors = 0u64;
    let mut first_error = None;
    let mut sent = 0u64;
    let mut done = 0u64;

    let mut record = |res: Result<(Duration, Outcome), tokio::task::JoinError>, done: &mut u64| {
        *done += 1;
        match res {
            Ok((latency, Outcome::Status(s))) => {
                latencies.push(latency);
                *by_status.entry(s).or_insert(0) += 1;
            }
            Ok((_, Outcome::Failed(e))) => {
                transport_errors += 1;
                first_error.get_or_insert(e);
            }
            Err(e) => {
                transport_errors += 1;
                first_error.get_or_insert(format!("request task failed: {e}"));
            }
        }
        progress(*done);
    };

    for body in bodies {
        while in_flight.len() >= concurrency {
            if let Some(res) = in_flight.join_next().await {
                record(res, &mut done);
            }
        }
        if let Some(t) = ticker.as_mut() {
            t.tick().await;
        }
        let ts = now_secs();
        let request = client
            .post(url.clone())
            .header("content-type", "application/json")
            .header("x-zm-request-timestamp", ts.to_string())
            .header("x-zm-signature", sign(secret, ts, &body))
            .header(
                "x-zm-request-id",
                uuid::Uuid::new_v4().to_string().replace('-', "_"),
            )
            .body(body);
        sent += 1;
        in_flight.spawn(async move {
            let t0 = Instant::now();
            let outcome = match request.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    // Read the answer so the connection can be reused.
                    let _ = resp.bytes().await;
                    Outcome::Status(status)
                }
                Err(e) => Outcome::Failed(with_causes(&e)),
            };
            (t0.elapsed(), outcome)
        });
    }
    while let Some(res) = in_flight.join_next().await {
        record(res, &mut done);
    }
    let elapsed = started.elapsed();
    if sent > 0 && transport_errors == sent {
        return Err(SendError::Unreachable {
            url: target.to_owned(),
            attempted: sent,
            first: first_error.unwrap_or_default(),
        });
    }
    latencies.sort_unstable();
    let pct = |p: f64| -> Duration {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[i.min(latencies.len() - 1)]
    };
    Ok(SendReport {
        sent,
        by_status,
        transport_errors,
        first_error,
        elapsed,
        p50: pct(0.50),
        p90: pct(0.90),
        p99: pct(0.99),
        max: latencies.last().copied().unwrap_or_default(),
    })
}

/// An error and its causes, `outer: inner: innermost`: reqwest's own message names only the
/// URL, its causes say what failed (refused, TLS, DNS).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_spec_test_vector() {
        let body = r#"{"event":"contact_center.engagement_user_hold","event_ts":1777903330000,"payload":{"account_id":"Acct9xQzLmN0pR2sT4uV6w","object":{"engagement_id":"EngA1b2C3d4E5f6G7h8I9j"}}}"#;
        assert_eq!(
            sign("test_secret_token", 1_777_903_331, body),
            "v0=7ad484f30cc06fb3a8cf2707f35e92963353ea31edac480825bc3ec04633069c"
        );
    }
}
