//! The call model and its inference rules.
//!
//! This crate does no IO. A rule folds the set of one engagement's events (typed by `zcc-events`)
//! into a [`CallProjection`]: the engagement, legs, holds, transfers, conference invitations,
//! conferences, supervision sessions, derived call events, and the phases around the legs
//! (flow and queue, offers, wrap-ups, dispositions, notes), each citing the log positions it
//! rests on and the identity of the rule that made it. The inference rules are described in
//! `docs/INFERENCE.md`.
//!
//! Code map, in reading order:
//! - `input`: [`InputEvent`] (what the fold reads of a body, borrowed, or its typed event), the
//!   fold order (dedupe by body hash, then event time, kind rank, body hash) and the adapter
//!   from `zcc_events::FoldFields` to the fold's own `signal` vocabulary;
//! - `fold`: signals to legs, holds, transfers, invitations and supervision (shared by rules):
//!   a first pass over transfers, the main pass, then the clean-up passes (`fold::finish`);
//!   `fold::phases` keeps the routing phases and after-call work, which change none of those;
//! - `conference`: the sweep that turns presences and hand-off edges into conferences;
//! - `explicit`: conferences from Zoom's `engagement_conference_*` events (rosters, subjects),
//!   and how they combine with the inferred ones;
//! - `assemble`: the records and derived events of the projection, from the facts and a rule's
//!   conferences;
//! - `model`: the output types and their canonical JSON; `tables`: rows for the exports, one
//!   definition per table (columns and cells together);
//! - `rule`: the [`Rule`] trait, identities and parameters; `rules`: the registry and the rules
//!   themselves ([`rules::Correlated`], [`rules::PartyCount`]), each with its own way of finding
//!   conferences.

mod assemble;
mod conference;
mod explicit;
mod fold;
mod input;
mod model;
mod rule;
pub mod rules;
mod signal;
mod tables;

pub use input::{FOLD_PARSE, InputEvent, fold_order};
pub use model::{
    ApiCall, CallProjection, Conference, ConferenceInvitation, ConferenceSource, DerivedEvent,
    DerivedKind, Diagnostic, Disposition, Engagement, EngagementId, Hold, InvitationOutcome, Leg,
    Note, Offer, OfferOutcome, Party, Phase, PhaseKind, Position, Supervision, SupervisionMode,
    Transfer, TransferOutcome, Via, WrapUp,
};
pub use rule::{
    ExplicitConferences, ParamKind, ParamSpec, Rule, RuleError, RuleIdentity, RuleInfo, RuleParams,
};
pub use tables::{Cell, Column, ColumnType, Table};
