//! Values that cross the storage boundary.

use std::fmt;

use serde::{Deserialize, Serialize};

pub use crate::chain::ChainVersion;

pub use zcc_events::{EngagementId, Position};

/// A SHA-256 digest, shown as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    pub const ZERO: Digest = Digest([0; 32]);

    /// SHA-256 of some bytes.
    pub fn of(bytes: &[u8]) -> Digest {
        use sha2::Digest as _;
        Digest(sha2::Sha256::digest(bytes).into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Digest, String> {
        let bytes = hex::decode(s).map_err(|e| format!("not hex: {e}"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|v: Vec<u8>| format!("expected 32 bytes, got {}", v.len()))?;
        Ok(Digest(arr))
    }

    /// From a database column; `None` if the length is not 32.
    pub fn from_slice(bytes: &[u8]) -> Option<Digest> {
        bytes.try_into().ok().map(Digest)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Digest::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// How an event reached the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A signed webhook delivery to the receiver.
    Http,
    /// An archived body, `zcc-ledger import`.
    Import,
    /// A body recovered from Zoom's webhook delivery logs (`zcc-ledger backfill`, schema
    /// migration 0008): Zoom's record of what it sent, not signature-checked. Its delivery row
    /// carries a [`Provenance`].
    Backfill,
}

impl Source {
    /// Every source, for whoever must try each.
    pub const ALL: [Source; 3] = [Source::Http, Source::Import, Source::Backfill];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Http => "http",
            Source::Import => "import",
            Source::Backfill => "backfill",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "http" => Some(Source::Http),
            "import" => Some(Source::Import),
            "backfill" => Some(Source::Backfill),
            _ => None,
        }
    }
}

/// An event ready to append: the raw body and what the log indexes.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The exact bytes received. Always valid UTF-8 JSON (checked before it gets here).
    pub body: String,
    pub body_sha256: Digest,
    pub event_type: String,
    /// Event time in ms since the epoch (SPEC I7); the receive time when the body has none.
    pub event_time_ms: i64,
    pub account_id: Option<String>,
    pub engagement_id: Option<EngagementId>,
    pub received_at_ms: i64,
    pub source: Source,
    /// For HTTP deliveries: recorded in the delivery log in the same commit.
    pub delivery: Option<DeliveryMeta>,
    /// The envelope's `event_ts` as a dedupe key may read it
    /// ([`zcc_events::EnvelopeSummary::strict_event_ts`]): `None` when only a reading of the
    /// bytes themselves is certain. A backend keyed on it (SQLite) computes it then.
    pub dedupe_ts: Option<i64>,
}

/// What one append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "position", rename_all = "lowercase")]
pub enum Appended {
    Stored(Position),
    Duplicate(Position),
}

impl Appended {
    pub fn position(self) -> Position {
        match self {
            Appended::Stored(p) | Appended::Duplicate(p) => p,
        }
    }
    pub fn is_duplicate(self) -> bool {
        matches!(self, Appended::Duplicate(_))
    }
}

/// One stored entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub position: Position,
    pub received_at_ms: i64,
    pub event_type: String,
    pub event_time_ms: i64,
    pub account_id: Option<String>,
    pub engagement_id: Option<EngagementId>,
    pub body: String,
    pub body_sha256: Digest,
    /// Chain hash: covers the previous entry's hash, this position and the body hash, and in
    /// format [`ChainVersion::V2`] every other column too ([`crate::chain`]).
    pub hash: Digest,
    pub source: Source,
    /// The format `hash` was computed in.
    pub chain: ChainVersion,
}

/// The size of the log and the hash of its last entry: an auditor's checkpoint `SIZE:HASH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub size: i64,
    pub hash: Digest,
}

impl Head {
    pub const EMPTY: Head = Head {
        size: 0,
        hash: Digest::ZERO,
    };

    /// Parse `SIZE:HASH`.
    pub fn parse(s: &str) -> Result<Head, String> {
        let (size, hash) = s
            .split_once(':')
            .ok_or_else(|| format!("checkpoint {s:?} is not SIZE:HASH"))?;
        let size: i64 = size
            .parse()
            .map_err(|e| format!("checkpoint size {size:?}: {e}"))?;
        if size < 0 {
            return Err(format!("checkpoint size {size} is negative"));
        }
        let hash = Digest::from_hex(hash).map_err(|e| format!("checkpoint hash: {e}"))?;
        Ok(Head { size, hash })
    }
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.size, self.hash)
    }
}

/// Request data recorded with each HTTP delivery (allow-listed headers only, SPEC I3/I8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMeta {
    pub received_at_ms: i64,
    /// Allow-listed request headers, lowercase names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Where a body that did not come as an HTTP request to the receiver was read from (a
    /// recovered body, [`Source::Backfill`]); `None` for the receiver's own deliveries.
    ///
    /// A delivery with a provenance is recorded only when its event is stored: reading again a
    /// body the log already holds is no delivery, so running a recovery again adds no rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

impl DeliveryMeta {
    /// Whether a delivery row is recorded for an append with this outcome.
    pub fn is_recorded(&self, outcome: Appended) -> bool {
        self.provenance.is_none() || !outcome.is_duplicate()
    }
}

/// Where a recovered body was read from: one attempt of Zoom's webhook delivery logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// What it was read from: `webhook_logs`.
    pub via: String,
    /// Zoom's `request_id`, the same for every attempt of one event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// 0 for Zoom's first attempt, 1-3 for its retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_num: Option<i64>,
    /// When Zoom made the attempt, as Zoom wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    /// The HTTP status Zoom saw from the endpoint (-1: an error inside Zoom).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    /// Zoom's reason code for a failed attempt (1 read time-out, 2 connection refused, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_reason_type: Option<i64>,
}

impl Provenance {
    /// The JSON stored in the delivery log's `provenance` column.
    pub fn to_json(&self) -> String {
        // Strings and integers always serialise.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// The outcome of one HTTP delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Stored,
    Duplicate,
    UrlValidation,
    Unauthorized,
    TooLarge,
    Quarantined,
    Unavailable,
}

impl DeliveryOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Stored => "stored",
            DeliveryOutcome::Duplicate => "duplicate",
            DeliveryOutcome::UrlValidation => "url_validation",
            DeliveryOutcome::Unauthorized => "unauthorized",
            DeliveryOutcome::TooLarge => "too_large",
            DeliveryOutcome::Quarantined => "quarantined",
            DeliveryOutcome::Unavailable => "unavailable",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryOutcome> {
        Some(match s {
            "stored" => DeliveryOutcome::Stored,
            "duplicate" => DeliveryOutcome::Duplicate,
            "url_validation" => DeliveryOutcome::UrlValidation,
            "unauthorized" => DeliveryOutcome::Unauthorized,
            "too_large" => DeliveryOutcome::TooLarge,
            "quarantined" => DeliveryOutcome::Quarantined,
            "unavailable" => DeliveryOutcome::Unavailable,
            _ => return None,
        })
    }
}

/// One row of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub meta: DeliveryMeta,
    pub outcome: DeliveryOutcome,
    pub status: u16,
    pub position: Option<Position>,
    pub body_sha256: Option<Digest>,
    pub event_type: Option<String>,
    /// Why it was refused, for refusals.
    pub reason: Option<String>,
}

/// A body put aside because it is not a webhook envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineEntry {
    pub received_at_ms: i64,
    pub source: Source,
    /// Where it came from: `http`, or `FILE:LINE` for imports.
    pub origin: String,
    pub reason: String,
    /// The exact bytes, which may not be UTF-8.
    pub body: Vec<u8>,
    pub body_sha256: Digest,
}
