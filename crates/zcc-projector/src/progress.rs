//! Progress reports for long operations (the CLI draws a bar, the server exposes them).

use serde::Serialize;
use zcc_store::projection::GenerationId;

/// Which part of the work a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Folding entries after a generation's checkpoint, engagement by engagement.
    CatchUp,
    /// Streaming the log from the start into a new generation.
    Scan,
    /// Re-folding engagements that reappeared after they were flushed.
    Refold,
}

/// Where one generation's work stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub generation: GenerationId,
    pub phase: Phase,
    /// The last log position read.
    pub position: i64,
    /// The log's size when the work started (the position it is heading for).
    pub head: i64,
    /// Documents written so far.
    pub documents: u64,
}

/// Receives progress reports. Implemented for closures and for `()` (ignore them).
pub trait ProgressSink: Send + Sync {
    fn report(&self, progress: &Progress);
}

impl ProgressSink for () {
    fn report(&self, _: &Progress) {}
}

impl<F: Fn(&Progress) + Send + Sync> ProgressSink for F {
    fn report(&self, progress: &Progress) {
        self(progress)
    }
}
