//! The outbound delivery benchmark's receiver: an axum server on 127.0.0.1 that verifies every
//! Standard Webhooks signature with `zcc_deliver::sign::verify` (as an integrator's endpoint
//! would), answers 200 to a good one and 401 to a bad one, and records when each message
//! was first accepted. For the acceptance run it can also answer 500 to the first attempt at
//! a share of the messages ([`Receiver::failing_first`]).
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

/// A message's first accepted arrival.
pub struct Arrival {
    pub at: Instant,
    pub webhook_id: String,
    pub body: Bytes,
}

#[derive(Default)]
pub struct Log {
    /// First accepted arrivals, in order.
    pub arrivals: Vec<Arrival>,
    /// Arrivals of a message already accepted (an attempt whose outcome the sender did not
    /// record, or a redelivery).
    pub repeats: usize,
    /// First attempts answered 500 on purpose.
    pub failed_first: usize,
    /// Messages refused: what was wrong.
    pub bad: Vec<String>,
    /// Ids accepted.
    seen: HashSet<String>,
    /// Ids answered 500 once.
    refused_once: HashSet<String>,
}

#[derive(Clone)]
pub struct Receiver {
    key: Arc<Vec<u8>>,
    log: Arc<Mutex<Log>>,
    /// Answer 500 to the first attempt at one message in this many (0: never).
    fail_one_in: u128,
}

impl Receiver {
    /// Serve on `listener` with the subscription's key (the decoded `whsec_` secret).
    pub fn start(listener: tokio::net::TcpListener, key: Vec<u8>) -> Receiver {
        Receiver::failing_first(listener, key, 0)
    }

    /// [`Receiver::start`], answering 500 to the first attempt at one message in `one_in`
    /// (chosen by its `webhook-id`, a hash, so about that share; 0: none).
    pub fn failing_first(listener: tokio::net::TcpListener, key: Vec<u8>, one_in: u32) -> Receiver {
        let receiver = Receiver {
            key: Arc::new(key),
            log: Arc::default(),
            fail_one_in: u128::from(one_in),
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
    if r.fail_one_in > 0
        && !log.seen.contains(&id)
        && unlucky(&id, r.fail_one_in)
        && log.refused_once.insert(id.clone())
    {
        log.failed_first += 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
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

/// Whether a message is one of the `one_in` whose first attempt fails: its id's hex digits
/// (`msg_` + 32) as a number, modulo `one_in`.
fn unlucky(webhook_id: &str, one_in: u128) -> bool {
    let digits = webhook_id.strip_prefix("msg_").unwrap_or(webhook_id);
    u128::from_str_radix(digits, 16).is_ok_and(|n| n % one_in == 0)
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
