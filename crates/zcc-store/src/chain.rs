//! The hash chain, in two formats. Each entry records the format it was chained with
//! ([`LogEntry::chain`](crate::LogEntry::chain)); `hash(0)` is 32 zero bytes in both.
//!
//! - **v1** (entries appended before schema migration 0006):
//!   `hash(n) = SHA-256(hash(n-1) || be64(n) || SHA-256(body(n)))`. It proves the body, not the
//!   columns stored beside it.
//! - **v2** (every entry appended since):
//!   `hash(n) = SHA-256(hash(n-1) || be64(n) || SHA-256(body(n)) || 0x02 || be64(received_at)
//!   || be64(event_time) || str(source) || str(event_type) || opt(account_id) ||
//!   opt(engagement_id))`, where `str(s) = be32(len(s)) || s` (UTF-8) and `opt` is `str` or
//!   `0xFFFFFFFF` for NULL. It covers every column of [`LogEntry`](crate::LogEntry).
//!
//! The v2 input is longer than v1's fixed 72 bytes and carries the version byte, so no v1
//! input is ever a v2 input. See docs/ARCHITECTURE.md, "Hash chain".

use sha2::Digest as _;

use crate::types::{Digest, LogEntry, NewEvent, Position, Source};

/// The format of an entry's chain hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChainVersion {
    /// Previous hash, position and body hash only.
    V1,
    /// Every stored column (see the module docs).
    V2,
}

impl ChainVersion {
    /// What appends write.
    pub const CURRENT: ChainVersion = ChainVersion::V2;

    /// The number stored in the database's `chain_version` column.
    pub fn as_i64(self) -> i64 {
        match self {
            ChainVersion::V1 => 1,
            ChainVersion::V2 => 2,
        }
    }

    /// From the stored number; `None` for a format this build does not know.
    pub fn from_i64(n: i64) -> Option<ChainVersion> {
        match n {
            1 => Some(ChainVersion::V1),
            2 => Some(ChainVersion::V2),
            _ => None,
        }
    }
}

impl std::fmt::Display for ChainVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}", self.as_i64())
    }
}

/// What an entry's chain hash covers, borrowed from an entry being appended or read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chained<'a> {
    pub position: Position,
    pub body_sha256: Digest,
    pub received_at_ms: i64,
    pub event_type: &'a str,
    pub event_time_ms: i64,
    pub account_id: Option<&'a str>,
    pub engagement_id: Option<&'a str>,
    pub source: Source,
}

impl<'a> Chained<'a> {
    /// An event about to be stored at `position`.
    pub fn of_new(position: Position, e: &'a NewEvent) -> Chained<'a> {
        Chained {
            position,
            body_sha256: e.body_sha256,
            received_at_ms: e.received_at_ms,
            event_type: &e.event_type,
            event_time_ms: e.event_time_ms,
            account_id: e.account_id.as_deref(),
            engagement_id: e.engagement_id.as_deref(),
            source: e.source,
        }
    }

    /// A stored entry as read back.
    pub fn of_entry(e: &'a LogEntry) -> Chained<'a> {
        Chained {
            position: e.position,
            body_sha256: e.body_sha256,
            received_at_ms: e.received_at_ms,
            event_type: &e.event_type,
            event_time_ms: e.event_time_ms,
            account_id: e.account_id.as_deref(),
            engagement_id: e.engagement_id.as_deref(),
            source: e.source,
        }
    }
}

/// The chain hash of an entry in the given format, after the previous entry's hash.
pub fn entry_hash(version: ChainVersion, prev: &Digest, e: &Chained<'_>) -> Digest {
    match version {
        ChainVersion::V1 => chain_hash(prev, e.position, &e.body_sha256),
        ChainVersion::V2 => {
            let mut h = sha2::Sha256::new();
            h.update(prev.0);
            h.update(e.position.0.to_be_bytes());
            h.update(e.body_sha256.0);
            h.update([2u8]);
            h.update(e.received_at_ms.to_be_bytes());
            h.update(e.event_time_ms.to_be_bytes());
            text(&mut h, Some(e.source.as_str()));
            text(&mut h, Some(e.event_type));
            text(&mut h, e.account_id);
            text(&mut h, e.engagement_id);
            Digest(h.finalize().into())
        }
    }
}

/// `be32(len) || bytes`, or `0xFFFFFFFF` for NULL. A text longer than 4 GiB cannot be stored.
fn text(h: &mut sha2::Sha256, s: Option<&str>) {
    match s {
        Some(s) => {
            h.update(u32::try_from(s.len()).unwrap_or(u32::MAX - 1).to_be_bytes());
            h.update(s.as_bytes());
        }
        None => h.update(u32::MAX.to_be_bytes()),
    }
}

/// The v1 chain hash: `SHA-256(hash(n-1) || be64(n) || SHA-256(body(n)))`.
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

    #[test]
    fn v2_covers_every_column_and_differs_from_v1() {
        let base = Chained {
            position: Position(7),
            body_sha256: Digest::of(b"{}"),
            received_at_ms: 1_777_903_400_000,
            event_type: "contact_center.engagement_started",
            event_time_ms: 1_777_903_300_000,
            account_id: Some("A"),
            engagement_id: Some("E"),
            source: Source::Http,
        };
        let prev = Digest::of(b"prev");
        let h = entry_hash(ChainVersion::V2, &prev, &base);
        assert_eq!(h, entry_hash(ChainVersion::V2, &prev, &base));
        assert_ne!(h, entry_hash(ChainVersion::V1, &prev, &base));
        assert_eq!(
            entry_hash(ChainVersion::V1, &prev, &base),
            chain_hash(&prev, base.position, &base.body_sha256)
        );
        let changed = [
            Chained {
                position: Position(8),
                ..base
            },
            Chained {
                body_sha256: Digest::of(b"[]"),
                ..base
            },
            Chained {
                received_at_ms: base.received_at_ms + 1,
                ..base
            },
            Chained {
                event_type: "contact_center.engagement_ended",
                ..base
            },
            Chained {
                event_time_ms: base.event_time_ms + 1,
                ..base
            },
            Chained {
                account_id: None,
                ..base
            },
            Chained {
                account_id: Some(""),
                ..base
            },
            Chained {
                engagement_id: None,
                ..base
            },
            // The same bytes moved from one text to the next must not collide.
            Chained {
                account_id: Some("AE"),
                engagement_id: Some(""),
                ..base
            },
            Chained {
                source: Source::Import,
                ..base
            },
        ];
        for c in changed {
            assert_ne!(h, entry_hash(ChainVersion::V2, &prev, &c), "{c:?}");
        }
        assert_ne!(h, entry_hash(ChainVersion::V2, &Digest::ZERO, &base));
    }
}
