//! Signing secrets: `whsec_` followed by the base64 of the key bytes (Standard Webhooks).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use zcc_store::outbound::SigningSecret;

/// The prefix of every secret.
pub const PREFIX: &str = "whsec_";
/// Bytes of a generated key (the convention asks for 24 to 64).
pub const GENERATED_BYTES: usize = 32;
/// Fewest key bytes a given secret may have.
pub const MIN_BYTES: usize = 24;
/// Most key bytes a given secret may have.
pub const MAX_BYTES: usize = 64;

/// Why a given secret is refused. It never repeats the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the secret does not start with `whsec_`")]
    Prefix,
    #[error("the part after `whsec_` is not standard base64")]
    Base64,
    #[error("the secret's key is {0} bytes; it must be {MIN_BYTES} to {MAX_BYTES}")]
    Length(usize),
}

/// A new secret: [`GENERATED_BYTES`] random bytes from `rand`'s thread generator (a
/// cryptographically secure generator seeded from the operating system).
pub fn generate() -> SigningSecret {
    let mut key = [0u8; GENERATED_BYTES];
    rand::rng().fill_bytes(&mut key);
    SigningSecret::new(format!("{PREFIX}{}", STANDARD.encode(key)))
}

/// The HMAC key a secret stands for: its base64-decoded part after `whsec_`.
pub fn key(secret: &SigningSecret) -> Result<Vec<u8>, SecretError> {
    let b64 = secret
        .expose()
        .strip_prefix(PREFIX)
        .ok_or(SecretError::Prefix)?;
    STANDARD.decode(b64).map_err(|_| SecretError::Base64)
}

/// Check a secret given by an operator (`--secret`): the prefix, base64, and the key's length.
pub fn validate(secret: &SigningSecret) -> Result<(), SecretError> {
    let len = key(secret)?.len();
    if (MIN_BYTES..=MAX_BYTES).contains(&len) {
        Ok(())
    } else {
        Err(SecretError::Length(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_valid_and_differ() {
        let (a, b) = (generate(), generate());
        assert_eq!(validate(&a), Ok(()));
        assert_eq!(key(&a).unwrap().len(), GENERATED_BYTES);
        assert_ne!(a, b);
    }

    #[test]
    fn bad_secrets_say_why_without_repeating_them() {
        let no_prefix = SigningSecret::new("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert_eq!(validate(&no_prefix), Err(SecretError::Prefix));
        let not_b64 = SigningSecret::new("whsec_!!!");
        assert_eq!(validate(&not_b64), Err(SecretError::Base64));
        let short = SigningSecret::new("whsec_c2hvcnQ=");
        let e = validate(&short).unwrap_err();
        assert_eq!(e, SecretError::Length(5));
        assert!(!e.to_string().contains("c2hvcnQ"));
        assert_eq!(format!("{short:?}"), "SigningSecret(<redacted>)");
    }
}
