//! The hash chain: `hash(n) = SHA-256(hash(n-1) || be64(n) || sha256(body(n)))`, `hash(0) = 0^32`.

use sha2::Digest as _;

use crate::types::{Digest, Position};

/// The chain hash of the entry at `position`, given the previous entry's hash.
pub fn chain_hash(prev: &Digest, position: Position, body_sha256: &Digest) -> Digest {
    let mut h = sha2::Sha256::new();
    h.update(prev.0);
    h.update(position.0.to_be_bytes());
    h.update(body_sha256.0);
    Digest(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_depends_on_every_input() {
        let body = Digest::of(b"{}");
        let a = chain_hash(&Digest::ZERO, Position(1), &body);
        assert_ne!(a, chain_hash(&Digest::ZERO, Position(2), &body));
        assert_ne!(a, chain_hash(&a, Position(1), &body));
        assert_ne!(
            a,
            chain_hash(&Digest::ZERO, Position(1), &Digest::of(b"[]"))
        );
        assert_eq!(a, chain_hash(&Digest::ZERO, Position(1), &body));
    }
}
