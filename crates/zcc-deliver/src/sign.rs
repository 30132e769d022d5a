//! The Standard Webhooks signature: `v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`
//! under the secret's key, sent as `webhook-signature` beside `webhook-id` and
//! `webhook-timestamp`. [`verify`] is what a receiver does (the tests' receiver uses it).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header names.
pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// How far a receiver lets `webhook-timestamp` be from its clock (the convention's default).
pub const TOLERANCE_SECS: i64 = 300;

/// The `webhook-signature` value of a message under `key` (a secret's decoded bytes).
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1,{}", STANDARD.encode(mac(key, id, timestamp, body)))
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Why a message does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("`webhook-timestamp` {0:?} is not a whole number of seconds")]
    Timestamp(String),
    #[error("`webhook-timestamp` is {0} s from now, more than {TOLERANCE_SECS} s")]
    Stale(i64),
    #[error("no `v1` signature in `webhook-signature` matches the body")]
    NoMatch,
}

/// Check a message as a receiver does: the timestamp within [`TOLERANCE_SECS`] of `now_secs`,
/// and one of the space-separated `v1,` signatures matching (in constant time).
pub fn verify(
    key: &[u8],
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<(), VerifyError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::Timestamp(timestamp.to_owned()))?;
    if (now_secs - ts).abs() > TOLERANCE_SECS {
        return Err(VerifyError::Stale(now_secs - ts));
    }
    for candidate in signatures.split_whitespace() {
        let Some(b64) = candidate.strip_prefix("v1,") else {
            continue;
        };
        let Ok(given) = STANDARD.decode(b64) else {
            continue;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(format!("{id}.{ts}.").as_bytes());
        mac.update(body);
        if mac.verify_slice(&given).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::NoMatch)
}
