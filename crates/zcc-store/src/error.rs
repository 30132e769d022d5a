//! Storage errors a caller can act on.

/// What went wrong in storage.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached, is locked, full or gone: retry later (HTTP 503).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The database refused a change (for example an UPDATE on the append-only log).
    #[error("storage refused the operation: {0}")]
    Refused(String),
    /// Stored data does not match what the log promises (bad hash, gap, ...).
    #[error("log corrupt at position {position}: {reason}")]
    Corrupt { position: i64, reason: String },
    /// The URL or configuration names no usable database.
    #[error("bad database configuration: {0}")]
    Config(String),
    /// Schema migration failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Anything else from the driver.
    #[error("storage error: {0}")]
    Other(String),
}

impl StoreError {
    /// Whether the caller should answer "try again later" (HTTP 503) rather than fail for good.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}
