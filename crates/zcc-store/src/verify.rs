//! `verify`: recompute every body hash and the chain, check positions and guards, and check
//! that the log extends an auditor's checkpoint.

use serde::Serialize;

use zcc_events::parse_time_str;

use crate::chain::{Chained, entry_hash};
use crate::ingest::{BodyColumns, body_columns};
use crate::{EventLog, StoreError, types::*};

/// What `verify` found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    pub head: Head,
    pub entries_checked: i64,
    /// The first position whose entry does not verify, and why: the reason starts with
    /// `column NAME:` for the column that does not verify.
    pub first_bad: Option<(i64, String)>,
    /// Immutability guards that should exist but do not.
    pub missing_guards: Vec<String>,
    /// When a checkpoint was given: whether the log extends it.
    pub checkpoint: Option<CheckpointResult>,
    /// How many of the entries checked are in chain format v1 (appended before schema
    /// migration 0006): for them `received_at` and `source` are not under the chain.
    pub chain_v1_entries: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckpointResult {
    pub checkpoint: Head,
    pub extends: bool,
    pub reason: Option<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.first_bad.is_none()
            && self.missing_guards.is_empty()
            && self.checkpoint.as_ref().is_none_or(|c| c.extends)
    }
}

/// Entries read per round trip while verifying.
const BATCH: usize = 10_000;

/// Verify the whole log. `progress` is called with the number of entries checked so far.
///
/// Every entry is checked in position order, each column against what proves it:
/// - `position`: no gap;
/// - `body` / `body_sha256`: the SHA-256 of the body;
/// - `event_type`, `account_id`, `engagement_id`, `event_time`: read again from the body with
///   the append's own reading ([`crate::ingest`]); an `event_time` that is another time the
///   body carries is accepted (a reading of SPEC I7 by an earlier build);
/// - `hash`, and through it in chain format v2 `received_at`, `source` and every column
///   above ([`crate::chain`]);
/// - what a backend stores beyond [`LogEntry`] ([`EventLog::check_stored_columns`]).
///
/// The first entry that fails is reported with its position and the column.
///
/// The log is verified up to the head read when the verification starts: entries appended
/// while it runs (a serving ledger, a writer's last commits landing after it was stopped) are
/// left for the next verification, not reported as a mismatch with the head.
pub async fn verify(
    log: &dyn EventLog,
    checkpoint: Option<Head>,
    progress: impl FnMut(i64) + Send,
) -> Result<VerifyReport, StoreError> {
    let head = log.head().await?;
    verify_up_to(log, head, checkpoint, progress).await
}

/// [`verify`] of the log up to `head` (a head this log reported).
pub async fn verify_up_to(
    log: &dyn EventLog,
    head: Head,
    checkpoint: Option<Head>,
    mut progress: impl FnMut(i64) + Send,
) -> Result<VerifyReport, StoreError> {
    let missing_guards = log.missing_guards().await?;
    let mut prev = Digest::ZERO;
    let mut after = Position::START;
    let mut first_bad = None;
    let mut checked = 0i64;
    let mut checkpoint_hash_seen: Option<Digest> = None;
    let mut chain_v1_entries = 0i64;
    loop {
        let remaining = usize::try_from(head.size - after.0).unwrap_or(0);
        if remaining == 0 {
            break;
        }
        let batch = log.read_after(after, BATCH.min(remaining)).await?;
        let Some(last) = batch.last().map(|e| e.position) else {
            break;
        };
        let from = after;
        let mut bad = None;
        for e in &batch {
            let expected_pos = after.next();
            if let Some(problem) = check_entry(e, expected_pos, &prev) {
                let reason = match problem {
                    Problem::Found(reason) => reason,
                    Problem::ReceivedAtOrHash => {
                        let next = log.entry(e.position.next()).await?;
                        received_at_or_hash(e, next.as_ref())
                    }
                };
                bad = Some((expected_pos.0.min(e.position.0), reason));
                break;
            }
            prev = e.hash;
            after = e.position;
            checked += 1;
            if e.chain == ChainVersion::V1 {
                chain_v1_entries += 1;
            }
            if checkpoint.is_some_and(|c| c.size == e.position.0) {
                checkpoint_hash_seen = Some(e.hash);
            }
        }
        // The backend's own columns, up to the first entry found bad above.
        let up_to = bad.as_ref().map_or(last, |(p, _)| Position(p - 1));
        if up_to > from
            && let Some((position, reason)) = log.check_stored_columns(from, up_to).await?
        {
            checked = position.0 - 1;
            bad = Some((position.0, reason));
        }
        if bad.is_some() {
            first_bad = bad;
            break;
        }
        progress(checked);
    }
    if first_bad.is_none() && checked != head.size {
        first_bad = Some((
            checked + 1,
            format!("head says {} entries but {} were read", head.size, checked),
        ));
    }
    if first_bad.is_none() && prev != head.hash {
        first_bad = Some((
            head.size,
            "head hash differs from the recomputed chain".into(),
        ));
    }
    let checkpoint = checkpoint.map(|c| check_checkpoint(c, head, checkpoint_hash_seen));
    Ok(VerifyReport {
        head,
        entries_checked: checked,
        first_bad,
        missing_guards,
        checkpoint,
        chain_v1_entries: chain_v1_entries.min(checked),
    })
}

/// What is wrong with an entry.
enum Problem {
    /// The reason, naming the column.
    Found(String),
    /// A v2 chain hash that no other column explains: `received_at` or `hash` was changed, and
    /// the next entry tells which.
    ReceivedAtOrHash,
}

fn found(column: &str, why: impl std::fmt::Display) -> Option<Problem> {
    Some(Problem::Found(format!("column {column}: {why}")))
}

fn show(s: Option<&str>) -> String {
    s.map_or_else(|| "NULL".to_owned(), |s| format!("{s:?}"))
}

fn check_entry(e: &LogEntry, expected: Position, prev: &Digest) -> Option<Problem> {
    if e.position != expected {
        return found(
            "position",
            format!("gap: expected position {expected}, found {}", e.position),
        );
    }
    let chained = Chained::of_entry(e);
    if let Some(problem) = check_body(e, prev, chained) {
        return Some(problem);
    }
    // What the append read from the body, read again the same way.
    let read = match body_columns(e.body.as_bytes(), e.received_at_ms) {
        Ok(read) => read,
        Err(err) => return found("body", format!("not a webhook envelope: {err}")),
    };
    if let Some(problem) = check_read_columns(e, &read) {
        return Some(problem);
    }
    if let Some(problem) = check_event_time(e, prev, chained, &read) {
        return Some(problem);
    }
    if chains_to(e, prev, &chained, e.chain) {
        return None;
    }
    explain_hash_mismatch(e, prev, chained, read.event_time_ms)
}

/// Whether `c`, chained in format `version` after `prev`, gives the entry's stored hash.
fn chains_to(e: &LogEntry, prev: &Digest, c: &Chained<'_>, version: ChainVersion) -> bool {
    entry_hash(version, prev, c) == e.hash
}

/// The body against its stored SHA-256: which of the two changed, told by the chain hash.
fn check_body(e: &LogEntry, prev: &Digest, chained: Chained<'_>) -> Option<Problem> {
    let matches = |c: &Chained<'_>, version: ChainVersion| chains_to(e, prev, c, version);
    let body_hash = Digest::of(e.body.as_bytes());
    if body_hash != e.body_sha256 {
        let with_body_hash = Chained {
            body_sha256: body_hash,
            ..chained
        };
        if matches(&with_body_hash, e.chain) {
            return found(
                "body_sha256",
                format!(
                    "stored {}, but the body's SHA-256 is {body_hash}, which the chain hash covers",
                    e.body_sha256
                ),
            );
        }
        return found(
            "body",
            format!(
                "the body does not match its stored SHA-256 (stored {}, recomputed {body_hash})",
                e.body_sha256
            ),
        );
    }
    None
}

/// The columns the append read from the body (`event_type`, `account_id`, `engagement_id`),
/// against a new reading of it.
fn check_read_columns(e: &LogEntry, read: &BodyColumns) -> Option<Problem> {
    if e.event_type != read.event_type {
        return found(
            "event_type",
            format!(
                "stored {:?}, the body says {:?}",
                e.event_type, read.event_type
            ),
        );
    }
    if e.account_id != read.account_id {
        return found(
            "account_id",
            format!(
                "stored {}, the body says {}",
                show(e.account_id.as_deref()),
                show(read.account_id.as_deref())
            ),
        );
    }
    if e.engagement_id != read.engagement_id {
        return found(
            "engagement_id",
            format!(
                "stored {}, the body says {}",
                show(e.engagement_id.as_deref()),
                show(read.engagement_id.as_deref())
            ),
        );
    }
    None
}

/// The stored `event_time`: this build's reading of the body, or another time the body
/// carries; for a body with no time of its own, the receive time stored in both columns.
fn check_event_time(
    e: &LogEntry,
    prev: &Digest,
    chained: Chained<'_>,
    read: &BodyColumns,
) -> Option<Problem> {
    let matches = |c: &Chained<'_>, version: ChainVersion| chains_to(e, prev, c, version);
    let reading = read.event_time_ms;
    if e.event_time_ms != reading && !body_times(&e.body).contains(&e.event_time_ms) {
        if read.has_own_time {
            return found(
                "event_time",
                format!(
                    "stored {}, the body says {reading} and carries no time {}",
                    e.event_time_ms, e.event_time_ms
                ),
            );
        }
        // No time in the body: the append stored the receive time in both columns.
        let as_appended = Chained {
            received_at_ms: e.event_time_ms,
            ..chained
        };
        if e.chain == ChainVersion::V2 && matches(&as_appended, e.chain) {
            return found(
                "received_at",
                format!(
                    "stored {}, but the entry was chained with {} (its event_time: the body has                      no time of its own)",
                    e.received_at_ms, e.event_time_ms
                ),
            );
        }
        let column = match e.chain {
            ChainVersion::V2 => "event_time",
            ChainVersion::V1 => "event_time or received_at",
        };
        return found(
            column,
            format!(
                "event_time {} differs from received_at {}, but the body has no time of its                  own, so the append stored the same value in both",
                e.event_time_ms, e.received_at_ms
            ),
        );
    }
    None
}

/// The chain hash does not cover the stored columns: find the one that was changed.
fn explain_hash_mismatch(
    e: &LogEntry,
    prev: &Digest,
    chained: Chained<'_>,
    reading: i64,
) -> Option<Problem> {
    let matches = |c: &Chained<'_>, version: ChainVersion| chains_to(e, prev, c, version);
    let other = match e.chain {
        ChainVersion::V1 => ChainVersion::V2,
        ChainVersion::V2 => ChainVersion::V1,
    };
    if matches(&chained, other) {
        return found(
            "chain_version",
            format!(
                "stored {}, but the entry was chained in format {other}",
                e.chain.as_i64()
            ),
        );
    }
    let mismatch = format!(
        "chain hash mismatch (stored {}, recomputed {})",
        e.hash,
        entry_hash(e.chain, prev, &chained)
    );
    if e.chain == ChainVersion::V1 {
        // v1 covers the position and the body hash, both checked above.
        return found("hash", mismatch);
    }
    let flipped = Source::ALL
        .into_iter()
        .filter(|s| *s != e.source)
        .find(|other| {
            matches(
                &Chained {
                    source: *other,
                    ..chained
                },
                e.chain,
            )
        });
    if let Some(flipped) = flipped {
        return found(
            "source",
            format!(
                "stored {:?}, but the entry was chained as {:?}",
                e.source.as_str(),
                flipped.as_str()
            ),
        );
    }
    if e.event_time_ms != reading
        && matches(
            &Chained {
                event_time_ms: reading,
                ..chained
            },
            e.chain,
        )
    {
        return found(
            "event_time",
            format!(
                "stored {}, but the entry was chained with {reading}, as the body says",
                e.event_time_ms
            ),
        );
    }
    Some(Problem::ReceivedAtOrHash)
}

/// A v2 entry whose chain hash no column but `received_at` or the hash itself explains: if the
/// next entry chains on the stored hash, that hash is the original and `received_at` changed.
fn received_at_or_hash(e: &LogEntry, next: Option<&LogEntry>) -> String {
    match next {
        Some(n) if entry_hash(n.chain, &e.hash, &Chained::of_entry(n)) == n.hash => format!(
            "column received_at: stored {}, which the chain hash does not cover (every other              column agrees with the body and the chain, and entry {} chains on the stored hash)",
            e.received_at_ms, n.position
        ),
        Some(n) => format!(
            "column hash: chain hash mismatch (stored {}; entry {} does not chain on it either)",
            e.hash, n.position
        ),
        None => format!(
            "column received_at or hash: chain hash mismatch on the last entry (stored {}); a              checkpoint taken at this position tells which",
            e.hash
        ),
    }
}

/// Every time the body carries (the envelope's `event_ts`, each time field of the object):
/// the values an earlier reading of SPEC I7 may have stored as the event time.
fn body_times(body: &str) -> Vec<i64> {
    use serde_json::Value;
    fn time(v: &Value) -> Option<i64> {
        match v {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 9.2e18)
                    .map(|f| f as i64)
            }),
            Value::String(s) => parse_time_str(s),
            _ => None,
        }
    }
    let Ok(root) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    let mut out: Vec<i64> = root.get("event_ts").and_then(time).into_iter().collect();
    if let Some(object) = root
        .get("payload")
        .and_then(|p| p.get("object"))
        .and_then(Value::as_object)
    {
        out.extend(
            object
                .iter()
                .filter(|(k, _)| k.contains("time") || k.ends_with("_ts"))
                .filter_map(|(_, v)| time(v)),
        );
    }
    out
}

fn check_checkpoint(c: Head, head: Head, seen: Option<Digest>) -> CheckpointResult {
    let fail = |reason: String| CheckpointResult {
        checkpoint: c,
        extends: false,
        reason: Some(reason),
    };
    if c.size > head.size {
        return fail(format!(
            "checkpoint has {} entries but the log has only {}",
            c.size, head.size
        ));
    }
    let actual = if c.size == 0 {
        Some(Digest::ZERO)
    } else {
        seen
    };
    match actual {
        Some(h) if h == c.hash => CheckpointResult {
            checkpoint: c,
            extends: true,
            reason: None,
        },
        Some(h) => fail(format!(
            "entry {} has hash {h}, the checkpoint says {}",
            c.size, c.hash
        )),
        None => fail(format!(
            "entry {} was not reached (the log is corrupt before it)",
            c.size
        )),
    }
}
