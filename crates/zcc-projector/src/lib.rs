//! Keeps projections current and manages generations. Talks to storage only through
//! `zcc-store`'s [`Backend`](zcc_store::projection::Backend) traits: no SQL, no HTTP.
//!
//! Code map, in reading order (design in `docs/PROJECTIONS.md`):
//! - `document`: one engagement's log entries to its stored [`ProjectionDoc`]; the one path
//!   every other module projects through, so all of them write the same bytes (I4);
//! - `generation`: which rule a generation runs, [`ensure_default_generation`], [`activate`],
//!   [`retire`];
//! - `catch_up`: [`catch_up`] / [`catch_up_all`], re-folding each touched engagement from all
//!   its events, one transaction per page;
//! - `live`: [`LiveProjector`], the task the server and import notify after each commit;
//! - `rebuild`: [`reproject`] / [`resume`], the streaming, parallel rebuild of a generation;
//! - `diff` and `evaluate`: comparing generations, scoring a rule against explicit events;
//! - `search`: [`fill_search_text`], the search text of documents written before it was kept.
//!
//! Every operation returns a plain report struct (serde `Serialize`, `Display` for text).
//!
//! [`ProjectionDoc`]: zcc_store::projection::ProjectionDoc

mod catch_up;
mod diff;
mod document;
mod error;
mod evaluate;
mod generation;
mod live;
mod par;
mod progress;
mod rebuild;
mod search;

pub use catch_up::{CATCH_UP_MAX_PAGE, CATCH_UP_PAGE, CatchUpReport, catch_up, catch_up_all};
pub use diff::{DiffReport, EngagementDiff, compare, diff};
pub use document::{
    PROJECTION_DIAGNOSTICS, fold_engagement, input_event, input_events, search_text, to_doc,
};
pub use error::ProjectorError;
pub use evaluate::{
    BOUNDS_TOLERANCE_MS, ConferenceSummary, Disagreement, DisagreementKind, EngagementScore,
    EvalReport, EvalScope, TruthTable, evaluate,
};
pub use generation::{
    ActivateReport, activate, active, build_rule, ensure_default_generation, params_json, retire,
    rule_of,
};
pub use live::{
    BUSY_FACTOR, DEFAULT_MIN_INTERVAL, DEFAULT_TICK, LiveHandle, LiveProjector, MAX_INTERVAL,
};
pub use progress::{Phase, Progress, ProgressSink};
pub use rebuild::{
    RebuildOptions, RebuildReport, RebuildRequest, reproject, reproject_with, resume,
};
pub use search::{
    SEARCH_BACKFILL_BATCH, SearchBackfillReport, fill_search_text, fill_search_text_in,
};
/// How the fold parses a body it reads typed (the rebuild benchmark's ceiling parses this way).
pub use zcc_model::FOLD_PARSE;
pub use zcc_store::{LogScan, ScanEntry};

/// The call an entry of the log belongs to: its engagement id, unless that is empty or only
/// blanks. Such an event stays in the log (SPEC I6) and in the raw `events` export, but names
/// no call, so no rule folds it into one (a row whose `engagement_id` is blank would join every
/// other such event into one meaningless call).
pub(crate) fn call_of(engagement_id: Option<&str>) -> Option<&str> {
    engagement_id.filter(|id| !id.trim().is_empty())
}
