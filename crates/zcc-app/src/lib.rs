//! The use-case layer: what a user of zcc-ledger does, written once.
//!
//! The shells (the `zcc-ledger` command line and `zcc-server`) parse their input, call one
//! function here, and present its result; they hold no steps of their own. This crate does no
//! parsing of command lines or HTTP and knows no SQL: it composes the store's traits, the
//! projector and the exporters.

pub mod backfill;
pub mod reconcile;
