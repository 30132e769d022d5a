//! `POST /webhooks/zoom`: the Zoom webhook receiver (SPEC 3.1).
//!
//! Answers, checked in this order:
//!
//! 1. 413: the body is over `--max-body-bytes` (recorded as `too_large`).
//! 2. 401: missing or bad signature, or a timestamp beyond the tolerance, stale or future
//!    (recorded as `unauthorized`; nothing stored).
//! 3. 400: signed but not an envelope; the raw bytes go to the quarantine with the reason
//!    (recorded as `quarantined`).
//! 4. 503: storage failed anywhere on the way (recorded as `unavailable`, best effort).
//! 5. 200: `{"status":"stored"|"duplicate","position":N}` once the event's group commit is
//!    durable (the backend writes the delivery row in that same commit), or the URL validation
//!    answer (recorded as `url_validation`, not an event).
//!
//! 401 and 413 do not depend on storage, so their delivery rows are written best effort; every
//! other answer goes out only after what it reports is committed.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::{Deserialize, Serialize};
use zcc_store::ingest::now_ms;
use zcc_store::receive::Received;
use zcc_store::{
    Appended, Delivery, DeliveryMeta, DeliveryOutcome, Digest, Position, Source, StoreError,
};

use crate::error::ApiError;
use crate::metrics::{APPEND_SECONDS, DELIVERIES, DELIVERY_RECORD_FAILURES};
use crate::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, url_validation_token};
use crate::{AppState, Secret};

/// The path Zoom posts to.
pub const PATH: &str = "/webhooks/zoom";

/// The `event` of Zoom's endpoint check.
pub use zcc_store::receive::URL_VALIDATION_EVENT;

/// Request headers kept in the delivery log (SPEC I3). Nothing else is kept: in particular never
/// `authorization` or `cookie` (SPEC I8).
pub const RECORDED_HEADERS: [&str; 7] = [
    "x-zm-request-id",
    "x-zm-trackingid",
    "x-zm-request-timestamp",
    "user-agent",
    "content-type",
    "content-length",
    "traceparent",
];

/// Longest header value kept in the delivery log, in bytes.
const MAX_RECORDED_HEADER_BYTES: usize = 512;

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, post(receive))
}

/// A successful answer.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Accepted {
    Appended {
        status: &'static str,
        position: Position,
    },
    UrlValidation {
        #[serde(rename = "plainToken")]
        plain_token: String,
        #[serde(rename = "encryptedToken")]
        encrypted_token: String,
    },
}

impl From<Appended> for Accepted {
    fn from(appended: Appended) -> Accepted {
        Accepted::Appended {
            status: if appended.is_duplicate() {
                "duplicate"
            } else {
                "stored"
            },
            position: appended.position(),
        }
    }
}

#[tracing::instrument(
    name = "webhook",
    skip_all,
    fields(request_id = tracing::field::Empty, outcome = tracing::field::Empty)
)]
async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let meta = DeliveryMeta {
        received_at_ms: now_ms(),
        headers: recorded_headers(&headers),
        provenance: None,
    };
    if let Some((_, id)) = meta.headers.iter().find(|(k, _)| k == "x-zm-request-id") {
        tracing::Span::current().record("request_id", id.as_str());
    }
    let (outcome, answer) = handle(&state, &headers, body, meta).await;
    let label = outcome.map_or(ABORTED, DeliveryOutcome::as_str);
    tracing::Span::current().record("outcome", label);
    metrics::counter!(DELIVERIES, "outcome" => label).increment(1);
    match answer {
        Ok(accepted) => {
            // Whatever was answered 200 was committed: storage works.
            state.storage_health().ok();
            (StatusCode::OK, Json(accepted)).into_response()
        }
        Err(e) => {
            // Every refusal (4xx) at warn, with its reason; the span carries Zoom's request id.
            // The reasons name headers, never their values: no signature or secret reaches the
            // log. A storage failure (503) is logged once per change of state instead
            // (`storage.rs`): per request, it once filled a disk that was already full.
            if e.status().is_client_error() {
                tracing::warn!(status = e.status().as_u16(), error = %e, "webhook refused");
            }
            e.into_response()
        }
    }
}

/// The metrics label of a delivery whose body never arrived whole (the client went away).
const ABORTED: &str = "aborted";

/// What one delivery came to: its recorded outcome (none when the body never arrived) and the
/// answer.
type Handled = (Option<DeliveryOutcome>, Result<Accepted, ApiError>);

/// The whole decision for one delivery.
async fn handle(state: &AppState, headers: &HeaderMap, body: Body, meta: DeliveryMeta) -> Handled {
    let limit = state.max_body_bytes();

    // 1. 413 (and 408 for a body that does not arrive in time)
    let read = tokio::time::timeout(state.body_timeout(), read_body(headers, body, limit));
    let read = read.await.unwrap_or_else(|_| Err(ReadError::TimedOut));
    let body = match read {
        Ok(body) => body,
        Err(ReadError::TimedOut) => {
            // Counted as `aborted`: no delivery row, as for a client gone mid-body.
            let err = ApiError::RequestTimeout(format!(
                "the request body did not arrive within {} ms",
                state.body_timeout().as_millis()
            ));
            return (None, Err(err));
        }
        Err(ReadError::TooLarge) => {
            let err = ApiError::PayloadTooLarge { limit };
            let row = refusal(meta, DeliveryOutcome::TooLarge, &err, None);
            record_best_effort(state, row, false).await;
            return (Some(DeliveryOutcome::TooLarge), Err(err));
        }
        Err(ReadError::Broken(reason)) => {
            // The client went away mid-body: nobody will read the answer, and there is
            // nothing to record but a broken connection.
            let err = ApiError::BadRequest(format!("could not read the request body: {reason}"));
            return (None, Err(err));
        }
    };
    let body_sha256 = Digest::of(&body);

    // 2. 401
    let secret = match state.verifier().verify(
        headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes()),
        headers.get(TIMESTAMP_HEADER).map(|v| v.as_bytes()),
        &body,
        meta.received_at_ms.div_euclid(1000),
    ) {
        Ok(secret) => {
            state.note_webhook();
            secret.clone()
        }
        Err(auth) => {
            let err = ApiError::Unauthorized(auth.to_string());
            let row = refusal(meta, DeliveryOutcome::Unauthorized, &err, Some(body_sha256));
            record_best_effort(state, row, false).await;
            return (Some(DeliveryOutcome::Unauthorized), Err(err));
        }
    };

    // 3.-5. One store operation: 400 (quarantined), 503 (storage failed), 200 (stored or
    // duplicate, answered after the commit), or an endpoint event answered here.
    let started = Instant::now();
    let received = state
        .storage(
            "receiving the event",
            state
                .intake()
                .receive(&body, body_sha256, Source::Http, meta.clone()),
        )
        .await;
    match received {
        Ok(Received::Appended(appended)) => {
            metrics::histogram!(APPEND_SECONDS).record(started.elapsed().as_secs_f64());
            state.observe_log_size(appended.position().0);
            if !appended.is_duplicate() {
                state.notify_projector();
            }
            (Some(DeliveryOutcome::of(appended)), Ok(appended.into()))
        }
        Ok(Received::Quarantined { reason }) => (
            Some(DeliveryOutcome::Quarantined),
            Err(ApiError::BadRequest(format!(
                "signed body is not a webhook envelope: {reason}"
            ))),
        ),
        Ok(Received::UrlValidation) => {
            url_validation(state, meta, &body, body_sha256, &secret).await
        }
        Err(e) => {
            let row = Delivery::refused(meta, DeliveryOutcome::Unavailable, 503, &e.to_string())
                .with_body(body_sha256, None);
            unavailable(state, row, e).await
        }
    }
}

/// Zoom's endpoint check, answered 200 with the token once its delivery is recorded; 503 if it
/// cannot be; quarantined (400) without a token to answer.
async fn url_validation(
    state: &AppState,
    meta: DeliveryMeta,
    body: &Bytes,
    body_sha256: Digest,
    secret: &Secret,
) -> Handled {
    let Some(plain_token) = plain_token(body) else {
        let reason = format!("{URL_VALIDATION_EVENT} without a string payload.plainToken");
        return quarantine(state, meta, body, body_sha256, reason).await;
    };
    let encrypted_token = url_validation_token(secret.expose(), &plain_token);
    let row = Delivery {
        meta,
        outcome: DeliveryOutcome::UrlValidation,
        status: 200,
        position: None,
        body_sha256: Some(body_sha256),
        event_type: Some(URL_VALIDATION_EVENT.to_owned()),
        reason: None,
    };
    // 4. 503 (the answer reports a recorded delivery, so it waits for the commit)
    let recorded = state
        .storage("recording the delivery", state.intake().record(row.clone()))
        .await;
    if let Err(e) = recorded {
        return unavailable(state, row, e).await;
    }
    let answer = Accepted::UrlValidation {
        plain_token,
        encrypted_token,
    };
    (Some(DeliveryOutcome::UrlValidation), Ok(answer))
}

/// 400: put the signed body aside with the reason and record the delivery. Both must commit
/// before the 400 goes out (Zoom never retries a 4xx); if either fails the answer is 503.
async fn quarantine(
    state: &AppState,
    meta: DeliveryMeta,
    body: &Bytes,
    body_sha256: Digest,
    reason: String,
) -> Handled {
    let stored = state
        .storage(
            "quarantining the body",
            state
                .intake()
                .quarantine(body, body_sha256, Source::Http, meta.clone(), &reason),
        )
        .await;
    match stored {
        Ok(()) => (
            Some(DeliveryOutcome::Quarantined),
            Err(ApiError::BadRequest(format!(
                "signed body is not a webhook envelope: {reason}"
            ))),
        ),
        Err(e) => {
            let row = Delivery::refused(meta, DeliveryOutcome::Unavailable, 503, &e.to_string())
                .with_body(body_sha256, None);
            unavailable(state, row, e).await
        }
    }
}

/// 503: record the attempt if storage lets us, and answer "try again later".
async fn unavailable(state: &AppState, row: Delivery, cause: StoreError) -> Handled {
    // The 503 does not wait for its delivery row: storage is what failed.
    let background = state.clone();
    tokio::spawn(async move { record_best_effort(&background, row, true).await });
    (
        Some(DeliveryOutcome::Unavailable),
        Err(ApiError::Unavailable(cause)),
    )
}

/// A delivery row for a refusal that does not depend on storage (401, 413).
fn refusal(
    meta: DeliveryMeta,
    outcome: DeliveryOutcome,
    err: &ApiError,
    body_sha256: Option<Digest>,
) -> Delivery {
    Delivery {
        meta,
        outcome,
        status: err.status().as_u16(),
        position: None,
        body_sha256,
        event_type: None,
        reason: Some(err.to_string()),
    }
}

/// Record a delivery row whose answer does not wait for it. A failure is counted, and reported
/// to the storage health (logged once per change of state) unless `answering_503`: then the
/// answer itself reports the failure behind it.
async fn record_best_effort(state: &AppState, row: Delivery, answering_503: bool) {
    let outcome = row.outcome;
    let recorded = state
        .storage(
            "recording the delivery",
            state.log().record_deliveries(vec![row]),
        )
        .await;
    if let Err(e) = recorded {
        metrics::counter!(DELIVERY_RECORD_FAILURES).increment(1);
        tracing::debug!(error = %e, outcome = outcome.as_str(), "delivery not recorded");
        if !answering_503 {
            state.storage_health().failed(&e);
        }
    }
}

enum ReadError {
    TooLarge,
    Broken(String),
    /// The body did not arrive whole within `--body-timeout-ms`.
    TimedOut,
}

/// Read the raw body, refusing more than `limit` bytes (a declared `content-length` over the
/// limit is refused before reading).
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ReadError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ReadError::TooLarge),
        Err(e) => Err(ReadError::Broken(e.to_string())),
    }
}

/// The allow-listed headers, lowercase names, in arrival order (values cut at 512 bytes).
pub fn recorded_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| RECORDED_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            let bytes = value.as_bytes();
            let kept = &bytes[..bytes.len().min(MAX_RECORDED_HEADER_BYTES)];
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(kept).into_owned(),
            )
        })
        .collect()
}

/// `payload.plainToken` of a URL validation body.
fn plain_token(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Validation {
        payload: Payload,
    }
    #[derive(Deserialize)]
    struct Payload {
        #[serde(rename = "plainToken")]
        plain_token: String,
    }
    // A leading byte-order mark is no part of the JSON (the envelope reader skips it too).
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice::<Validation>(body)
        .ok()
        .map(|v| v.payload.plain_token)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn only_allow_listed_headers_are_recorded() {
        let mut h = HeaderMap::new();
        h.insert("x-zm-request-id", HeaderValue::from_static("req-1"));
        h.insert("authorization", HeaderValue::from_static("Basic c2VjcmV0"));
        h.insert("cookie", HeaderValue::from_static("session=secret"));
        h.insert("x-zm-signature", HeaderValue::from_static("v0=abc"));
        h.insert(
            "user-agent",
            HeaderValue::from_static("Zoom Marketplace/1.0a"),
        );
        h.insert("traceparent", HeaderValue::from_static("00-abc-def-01"));
        h.insert("x-other", HeaderValue::from_static("other"));
        let kept = recorded_headers(&h);
        assert_eq!(
            kept,
            vec![
                ("x-zm-request-id".to_owned(), "req-1".to_owned()),
                ("user-agent".to_owned(), "Zoom Marketplace/1.0a".to_owned()),
                ("traceparent".to_owned(), "00-abc-def-01".to_owned()),
            ]
        );
    }

    #[test]
    fn long_header_values_are_cut() {
        let mut h = HeaderMap::new();
        let long = "a".repeat(2000);
        h.insert("x-zm-trackingid", HeaderValue::from_str(&long).unwrap());
        let kept = recorded_headers(&h);
        assert_eq!(kept[0].1.len(), MAX_RECORDED_HEADER_BYTES);
    }

    #[test]
    fn plain_token_is_read_from_the_payload() {
        let body = br#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1,"event":"endpoint.url_validation"}"#;
        assert_eq!(plain_token(body).as_deref(), Some("qgg8vlvZRS6UYooatFL8Aw"));
        assert_eq!(
            plain_token(br#"{"event":"endpoint.url_validation","payload":{}}"#),
            None
        );
        assert_eq!(
            plain_token(br#"{"event":"endpoint.url_validation","payload":{"plainToken":5}}"#),
            None
        );
    }

    #[test]
    fn answers_serialise_as_spec_says() {
        let stored: Accepted = Appended::Stored(Position(7)).into();
        assert_eq!(
            serde_json::to_string(&stored).unwrap(),
            r#"{"status":"stored","position":7}"#
        );
        let dup: Accepted = Appended::Duplicate(Position(3)).into();
        assert_eq!(
            serde_json::to_string(&dup).unwrap(),
            r#"{"status":"duplicate","position":3}"#
        );
        let v = Accepted::UrlValidation {
            plain_token: "p".into(),
            encrypted_token: "e".into(),
        };
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"plainToken":"p","encryptedToken":"e"}"#
        );
    }
}
