//! The use-case layer: what a user of zcc-ledger does, written once.
//!
//! The shells (the `zcc-ledger` command line and `zcc-server`) parse their input, call one
//! function here, and present its result; they hold no steps of their own. This crate does no
//! parsing of command lines or HTTP and knows no SQL: it composes the store's traits, the
//! projector and the exporters.
//!
//! - [`select`]: which generation a read uses ([`select::choose`]), one meaning everywhere;
//! - [`call`]: one engagement's projection and raw events, and the one decode of a stored
//!   projection; [`origin`]: where each raw event came from;
//! - [`quarantine`]: the bodies that were refused, with their reasons;
//! - [`import`]: archived bodies into the log, then folded;
//! - [`export`]: SPEC 8 tables, with one freshness policy;
//! - [`subscriptions`] and [`publish`]: outbound delivery of derived call events, what
//!   subscribers are told and when (`docs/DELIVERY.md`; the worker is `zcc_deliver::worker`);
//! - [`backfill`] and [`reconcile`]: Zoom's REST side, to recover what it dropped and to
//!   compare the call model with its own record (`docs/RECONCILE.md`).

pub mod backfill;
pub mod call;
pub mod export;
pub mod import;
pub mod origin;
pub mod publish;
pub mod quarantine;
pub mod reconcile;
pub mod select;
pub mod subscriptions;

use zcc_projector::ProjectorError;
use zcc_store::projection::{Backend, Generation};

/// Make a database ready to be written: a new one gets the default rule's generation, active
/// (SPEC 6), so queries and exports work right after the first import. Called where the log is
/// written (`serve`, `import`); reads never create anything ([`select::choose`]).
pub async fn prepare_store<S: Backend + ?Sized>(
    store: &S,
) -> Result<Option<Generation>, ProjectorError> {
    zcc_projector::ensure_default_generation(store).await
}
