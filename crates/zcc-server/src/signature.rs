//! Zoom's webhook signature (SPEC 3.1).
//!
//! `x-zm-signature` = `v0=` + lowercase hex HMAC-SHA256(secret, `v0:{x-zm-request-timestamp}:{raw body}`),
//! compared in constant time over the raw bytes as received (never a re-serialisation), against
//! each configured secret in turn. `x-zm-request-timestamp` (seconds) must be within the
//! tolerance of now, in the past or in the future.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-zm-signature";
/// The header carrying the request time, in seconds since the epoch.
pub const TIMESTAMP_HEADER: &str = "x-zm-request-timestamp";

/// Why a request is not authentic. Each message names the header and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing x-zm-signature header")]
    MissingSignature,
    #[error("missing x-zm-request-timestamp header")]
    MissingTimestamp,
    #[error("x-zm-signature is not \"v0=\" followed by 64 hex digits")]
    MalformedSignature,
    #[error("x-zm-request-timestamp {0:?} is not a whole number of seconds")]
    BadTimestamp(String),
    #[error("x-zm-signature does not match the body with any configured webhook secret")]
    NoMatch,
    #[error("x-zm-request-timestamp is {age} s old; the tolerance is {tolerance} s")]
    Stale { age: i64, tolerance: i64 },
    #[error("x-zm-request-timestamp is {ahead} s in the future; the tolerance is {tolerance} s")]
    Future { ahead: i64, tolerance: i64 },
}

/// Checks signatures against the configured secrets.
#[derive(Debug, Clone)]
pub struct Verifier {
    secrets: Vec<Secret>,
    tolerance_secs: i64,
}

impl Verifier {
    pub fn new(secrets: Vec<Secret>, tolerance_secs: i64) -> Verifier {
        Verifier {
            secrets,
            tolerance_secs,
        }
    }

    /// Verify one request given its two headers' raw values, its raw body and the current time
    /// in seconds. Returns the secret that verified it (URL validation answers with that one).
    pub fn verify(
        &self,
        signature: Option<&[u8]>,
        timestamp: Option<&[u8]>,
        body: &[u8],
        now_secs: i64,
    ) -> Result<&Secret, AuthError> {
        let signature = signature.ok_or(AuthError::MissingSignature)?;
        let timestamp = timestamp.ok_or(AuthError::MissingTimestamp)?;
        let tag = signature
            .strip_prefix(b"v0=")
            .and_then(|hex_tag| hex::decode(hex_tag).ok())
            .filter(|tag| tag.len() == 32)
            .ok_or(AuthError::MalformedSignature)?;
        let sent_at = parse_seconds(timestamp)?;
        let secret = self
            .secrets
            .iter()
            .find(|secret| {
                mac(secret.expose(), timestamp, body)
                    .verify_slice(&tag)
                    .is_ok()
            })
            .ok_or(AuthError::NoMatch)?;
        let tolerance = self.tolerance_secs;
        let age = now_secs.saturating_sub(sent_at);
        if age > tolerance {
            return Err(AuthError::Stale { age, tolerance });
        }
        if -age > tolerance {
            return Err(AuthError::Future {
                ahead: -age,
                tolerance,
            });
        }
        Ok(secret)
    }
}

fn parse_seconds(raw: &[u8]) -> Result<i64, AuthError> {
    std::str::from_utf8(raw)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| {
            let shown: String = String::from_utf8_lossy(raw).chars().take(40).collect();
            AuthError::BadTimestamp(shown)
        })
}

fn mac(secret: &str, timestamp: &[u8], body: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(b"v0:");
    mac.update(timestamp);
    mac.update(b":");
    mac.update(body);
    mac
}

/// The `x-zm-signature` value Zoom would send: `v0=` + lowercase hex. For senders and tests.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let tag = mac(secret, timestamp.as_bytes(), body)
        .finalize()
        .into_bytes();
    format!("v0={}", hex::encode(tag))
}

/// The `encryptedToken` of a URL validation answer: hex HMAC-SHA256(secret, plainToken).
pub fn url_validation_token(secret: &str, plain_token: &str) -> String {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(plain_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "test_secret_token";
    const TS: &str = "1777903331";
    const BODY: &str = r#"{"event":"contact_center.engagement_user_hold","event_ts":1777903330000,"payload":{"account_id":"Acct9xQzLmN0pR2sT4uV6w","object":{"engagement_id":"EngA1b2C3d4E5f6G7h8I9j"}}}"#;
    const SIGNATURE: &str = "v0=7ad484f30cc06fb3a8cf2707f35e92963353ea31edac480825bc3ec04633069c";
    const NOW: i64 = 1_777_903_331;

    fn verifier(secrets: &[&str]) -> Verifier {
        Verifier::new(secrets.iter().map(|s| Secret::new(*s)).collect(), 300)
    }

    fn check(v: &Verifier, sig: &str, ts: &str, body: &str, now: i64) -> Result<String, AuthError> {
        v.verify(
            Some(sig.as_bytes()),
            Some(ts.as_bytes()),
            body.as_bytes(),
            now,
        )
        .map(|s| s.expose().to_owned())
    }

    #[test]
    fn spec_signature_test_vector() {
        assert_eq!(sign(SECRET, TS, BODY.as_bytes()), SIGNATURE);
        assert_eq!(
            check(&verifier(&[SECRET]), SIGNATURE, TS, BODY, NOW),
            Ok(SECRET.into())
        );
    }

    #[test]
    fn spec_url_validation_test_vector() {
        assert_eq!(
            url_validation_token(SECRET, "qgg8vlvZRS6UYooatFL8Aw"),
            "4efea922935c335d972476de138d2208a0d46ab28c79ee592d497a1b216419b8"
        );
    }

    #[test]
    fn any_configured_secret_verifies_and_is_reported() {
        let v = verifier(&["other_app_secret", SECRET]);
        assert_eq!(check(&v, SIGNATURE, TS, BODY, NOW), Ok(SECRET.into()));
        let wrong = verifier(&["other_app_secret"]);
        assert_eq!(
            check(&wrong, SIGNATURE, TS, BODY, NOW),
            Err(AuthError::NoMatch)
        );
    }

    #[test]
    fn signature_covers_raw_bytes_and_timestamp() {
        let v = verifier(&[SECRET]);
        // The same JSON with one extra space is a different body.
        let respaced = BODY.replacen(':', ": ", 1);
        assert_eq!(
            check(&v, SIGNATURE, TS, &respaced, NOW),
            Err(AuthError::NoMatch)
        );
        assert_eq!(
            check(&v, SIGNATURE, "1777903332", BODY, NOW),
            Err(AuthError::NoMatch)
        );
        let upper = SIGNATURE.to_uppercase().replacen("V0=", "v0=", 1);
        assert_eq!(
            check(&v, &upper, TS, BODY, NOW),
            Ok(SECRET.into()),
            "hex digits decode either case"
        );
    }

    #[test]
    fn missing_and_malformed_headers() {
        let v = verifier(&[SECRET]);
        let body = BODY.as_bytes();
        assert_eq!(
            v.verify(None, Some(TS.as_bytes()), body, NOW),
            Err(AuthError::MissingSignature)
        );
        assert_eq!(
            v.verify(Some(SIGNATURE.as_bytes()), None, body, NOW),
            Err(AuthError::MissingTimestamp)
        );
        for bad in ["7ad484f3", "v1=7ad4", "v0=zz", "v0=7ad484f30cc06fb3", ""] {
            assert_eq!(
                check(&v, bad, TS, BODY, NOW),
                Err(AuthError::MalformedSignature),
                "{bad:?}"
            );
        }
        for bad in ["", "-5", "17779e3", "1777903331.5", " 1777903331"] {
            assert_eq!(
                check(&v, SIGNATURE, bad, BODY, NOW),
                Err(AuthError::BadTimestamp(bad.into())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn stale_and_future_timestamps_beyond_tolerance() {
        let v = verifier(&[SECRET]);
        assert!(
            check(&v, SIGNATURE, TS, BODY, NOW + 300).is_ok(),
            "exactly 300 s old"
        );
        assert!(
            check(&v, SIGNATURE, TS, BODY, NOW - 300).is_ok(),
            "exactly 300 s ahead"
        );
        assert_eq!(
            check(&v, SIGNATURE, TS, BODY, NOW + 301),
            Err(AuthError::Stale {
                age: 301,
                tolerance: 300
            })
        );
        assert_eq!(
            check(&v, SIGNATURE, TS, BODY, NOW - 301),
            Err(AuthError::Future {
                ahead: 301,
                tolerance: 300
            })
        );
        let msg = AuthError::Stale {
            age: 301,
            tolerance: 300,
        }
        .to_string();
        assert!(msg.contains("301 s old") && msg.contains("x-zm-request-timestamp"));
    }
}
