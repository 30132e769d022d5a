//! `verify`: recompute every body hash and the chain, check positions and guards, and check
//! that the log extends an auditor's checkpoint.

use serde::Serialize;

use crate::{EventLog, StoreError, chain::chain_hash, types::*};

/// What `verify` found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    pub head: Head,
    pub entries_checked: i64,
    /// The first position whose entry does not verify, and why.
    pub first_bad: Option<(i64, String)>,
    /// Immutability guards that should exist but do not.
    pub missing_guards: Vec<String>,
    /// When a checkpoint was given: whether the log extends it.
    pub checkpoint: Option<CheckpointResult>,
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
pub async fn verify(
    log: &dyn EventLog,
    checkpoint: Option<Head>,
    mut progress: impl FnMut(i64) + Send,
) -> Result<VerifyReport, StoreError> {
    let head = log.head().await?;
    let missing_guards = log.missing_guards().await?;
    let mut prev = Digest::ZERO;
    let mut after = Position::START;
    let mut first_bad = None;
    let mut checked = 0i64;
    let mut checkpoint_hash_seen: Option<Digest> = None;
    'scan: loop {
        let batch = log.read_after(after, BATCH).await?;
        if batch.is_empty() {
            break;
        }
        for e in batch {
            let expected_pos = after.next();
            if let Some(reason) = check_entry(&e, expected_pos, &prev) {
                first_bad = Some((expected_pos.0.min(e.position.0), reason));
                break 'scan;
            }
            prev = e.hash;
            after = e.position;
            checked += 1;
            if checkpoint.is_some_and(|c| c.size == e.position.0) {
                checkpoint_hash_seen = Some(e.hash);
            }
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
    })
}

fn check_entry(e: &LogEntry, expected: Position, prev: &Digest) -> Option<String> {
    if e.position != expected {
        return Some(format!(
            "gap: expected position {expected}, found {}",
            e.position
        ));
    }
    let body_hash = Digest::of(e.body.as_bytes());
    if body_hash != e.body_sha256 {
        return Some(format!(
            "body does not match its stored SHA-256 (stored {}, recomputed {body_hash})",
            e.body_sha256
        ));
    }
    let chained = chain_hash(prev, e.position, &e.body_sha256);
    if chained != e.hash {
        return Some(format!(
            "chain hash mismatch (stored {}, recomputed {chained})",
            e.hash
        ));
    }
    None
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
