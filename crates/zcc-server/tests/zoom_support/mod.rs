//! Shared by the tests that talk to the stand-in Zoom: the real client for it, a simulated
//! corpus, and its delivery with a tenth of the bodies dropped (only in Zoom's webhook logs).

#![allow(dead_code)]

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use zcc_sim::{SimConfig, SimItem};
use zcc_zoom::stand_in::{StandIn, webhook_log};
use zcc_zoom::{Retry, ZoomClient, ZoomConfig};

use crate::api_support::Server;

/// The real client for the stand-in, retrying quickly.
pub fn zoom_client(zoom: &StandIn) -> ZoomClient {
    let c = &zoom.credentials;
    let mut config = ZoomConfig::new(
        &c.account_id,
        &c.client_id,
        zcc_zoom::Secret::new(&c.client_secret),
    );
    config.api_url = zoom.url.clone();
    config.oauth_url = zoom.url.clone();
    config.app_id = Some(c.app_id.clone());
    config.retry = Retry {
        attempts: 3,
        base: Duration::from_millis(10),
        ..Retry::default()
    };
    ZoomClient::new(config).unwrap()
}

/// The distinct bodies of `calls` simulated calls.
pub fn corpus(calls: u64, seed: u64) -> Vec<String> {
    let config = SimConfig {
        calls,
        seed,
        ..SimConfig::default()
    };
    let mut seen = HashSet::new();
    zcc_sim::generate(&config)
        .unwrap()
        .filter_map(|item| match item {
            SimItem::Webhook(d) => Some(d.body),
            SimItem::Truth(_) => None,
        })
        .filter(|b| seen.insert(b.clone()))
        .collect()
}

/// Deliver every body but each tenth as a signed webhook; give the stand-in Zoom's logs of
/// each tenth: the first try and three retries, all failed. Returns the bodies dropped.
pub async fn deliver_most(server: &Server, zoom: &StandIn, bodies: &[String]) -> Vec<String> {
    let mut dropped = Vec::new();
    let mut logs = Vec::new();
    let at = Utc::now() - chrono::Duration::hours(2);
    for (i, body) in bodies.iter().enumerate() {
        if i % 10 == 4 {
            for retry in 0..4 {
                let t = at + chrono::Duration::minutes([0, 5, 25, 85][retry]);
                logs.push(webhook_log(body, t, 503, retry as i64, &format!("req-{i}")));
            }
            dropped.push(body.clone());
        } else {
            server.webhook(body).await;
            logs.push(webhook_log(body, at, 200, 0, &format!("req-{i}")));
        }
    }
    zoom.add_webhook_logs(logs);
    dropped
}
