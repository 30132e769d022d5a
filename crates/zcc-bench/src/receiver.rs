//! The outbound delivery benchmark's receiver: an axum server on 127.0.0.1 that verifies every
//! Standard Webhooks signature with `zcc_deliver::sign::verify` (as an integrator's endpoint
//! would), answers 200 to a good one and 401 to a bad one, and records when each message
//! first arrived.
//!
//! Also what a plain sender to it looks like ([`presigned`]): the raw ceiling posts the same
//! bodies, signed before the clock starts, through the lean load generator of
//! [`crate::load`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use zcc_deliver::sign::{self, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// The receiver's path.
pub const PATH: &str = "/hook";

/// A message's first arrival.
pub struct Arrival {
    pub at: Instant,
    pub webhook_id: String,
    pub body: Bytes,
}

#[derive(Default)]
pub struct Log {
    /// First arrivals, in order.
    pub arrivals: Vec<Arrival>,
    /// Arrivals of a message already received (a retry, or an attempt whose outcome the
    /// sender did not record).
    pub repeats: usize,
    /// Messages refused: what was wrong.
    pub bad: Vec<String>,
    seen: HashSet<String>,
}

#[derive(Clone)]
pub struct Receiver {
    key: Arc<Vec<u8>>,
    log: Arc<Mutex<Log>>,
}

impl Receiver {
    /// Serve on `listener` with the subscription's key (the decoded `whsec_` secret).
    pub fn start(listener: tokio::net::TcpListener, key: Vec<u8>) -> Receiver {
        let receiver = Receiver {
            key: Arc::new(key),
            log: Arc::default(),
        };
        let app = Router::new()
            .route(PATH, post(endpoint))
            .with_state(receiver.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("the benchmark's receiver stopped: {e}");
            }
        });
        receiver
    }

    /// How many distinct messages arrived.
    pub fn distinct(&self) -> usize {
        self.log.lock().expect("the log's lock").arrivals.len()
    }

    /// Everything recorded so far.
    pub fn take(&self) -> Log {
        std::mem::take(&mut *self.log.lock().expect("the log's lock"))
    }
}

async fn endpoint(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let id = h(ID_HEADER);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let verified = sign::verify(
        &r.key,
        &id,
        &h(TIMESTAMP_HEADER),
        &h(SIGNATURE_HEADER),
        &body,
        now,
    );
    let mut log = r.log.lock().expect("the log's lock");
    if let Err(e) = verified {
        log.bad.push(format!("{id}: {e}"));
        return StatusCode::UNAUTHORIZED;
    }
    if log.seen.insert(id.clone()) {
        log.arrivals.push(Arrival {
            at,
            webhook_id: id,
            body,
        });
    } else {
        log.repeats += 1;
    }
    StatusCode::OK
}

/// The exact bytes of a signed POST of each `(webhook_id, body)` to the receiver at `host`,
/// all with one timestamp (a run lasts well under the 300 s tolerance).
pub fn presigned(host: &str, key: &[u8], messages: &[(String, Bytes)]) -> Vec<Vec<u8>> {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    messages
        .iter()
        .map(|(id, body)| {
            let signature = sign::sign(key, id, ts, body);
            let mut req = format!(
                "POST {PATH} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
                 {ID_HEADER}: {id}\r\n{TIMESTAMP_HEADER}: {ts}\r\n{SIGNATURE_HEADER}: {signature}\r\n\
                 content-length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            req.extend_from_slice(body);
            req
        })
        .collect()
}
