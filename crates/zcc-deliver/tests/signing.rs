//! The signature against the Standard Webhooks test vectors: the reference libraries'
//! own sign tests, in github.com/standard-webhooks/standard-webhooks at commit b2fa7b8:
//!
//! - `libraries/python/tests/test_webhooks.py`, `test_sign_function` (the same vector is
//!   `libraries/javascript/src/webhook.test.ts`, "sign function works");
//! - `libraries/rust/src/lib.rs`, `test_sign`.

use zcc_deliver::secret;
use zcc_deliver::sign::{VerifyError, sign, verify};
use zcc_store::outbound::SigningSecret;

struct Vector {
    secret: &'static str,
    id: &'static str,
    timestamp: i64,
    body: &'static str,
    signature: &'static str,
}

const VECTORS: [Vector; 2] = [
    Vector {
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp: 1_614_265_330,
        body: r#"{"test": 2432232314}"#,
        signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    },
    Vector {
        secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        id: "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        timestamp: 1_649_367_553,
        body: r#"{"email":"test@example.com","username":"test_user"}"#,
        signature: "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
    },
];

#[test]
fn signatures_match_the_reference_libraries() {
    for v in VECTORS {
        let key = secret::key(&SigningSecret::new(v.secret)).unwrap();
        assert_eq!(
            sign(&key, v.id, v.timestamp, v.body.as_bytes()),
            v.signature
        );
    }
}

#[test]
fn verification_accepts_the_vectors_and_refuses_changes() {
    for v in VECTORS {
        let key = secret::key(&SigningSecret::new(v.secret)).unwrap();
        let ts = v.timestamp.to_string();
        let now = v.timestamp + 10;
        let body = v.body.as_bytes();
        assert_eq!(verify(&key, v.id, &ts, v.signature, body, now), Ok(()));
        // One of several space-separated signatures is enough (key rotation).
        let several = format!("v1,bm9wZQ== {}", v.signature);
        assert_eq!(verify(&key, v.id, &ts, &several, body, now), Ok(()));
        let tampered = format!("{} ", v.body);
        assert_eq!(
            verify(&key, v.id, &ts, v.signature, tampered.as_bytes(), now),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(&key, "msg_other", &ts, v.signature, body, now),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(&key, v.id, &ts, v.signature, body, v.timestamp + 301),
            Err(VerifyError::Stale(301))
        );
    }
}

#[test]
fn a_generated_secret_signs_and_verifies() {
    let s = secret::generate();
    assert!(s.expose().starts_with("whsec_"));
    let key = secret::key(&s).unwrap();
    assert!(key.len() >= 24);
    let sig = sign(&key, "msg_1", 1_700_000_000, b"{}");
    assert_eq!(
        verify(&key, "msg_1", "1700000000", &sig, b"{}", 1_700_000_000),
        Ok(())
    );
}
