//! The Zoom Contact Center event model.
//!
//! This crate does no IO. It reads a raw webhook body into an [`EnvelopeSummary`] (what the log
//! indexes) and, later, into typed family objects for the call model.

mod envelope;

pub use envelope::{EnvelopeError, EnvelopeSummary, read_envelope};
