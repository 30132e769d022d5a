//! The Zoom Contact Center event model.
//!
//! This crate does no IO. It reads a raw webhook body three ways:
//!
//! - [`read_envelope`]: the few fields the log indexes (name, event time, account, engagement),
//!   fast, without building the whole document;
//! - [`parse_event`]: the typed model the call model folds: an [`EventKind`], the envelope
//!   fields, the event time (SPEC I7) and a typed [`Family`] object, with a [`FieldWarning`]
//!   for every field of the wrong type (SPEC 10);
//! - [`read_fold_fields`]: only what the call model's fold reads, borrowed from the body's
//!   text, for the bodies it can read that way; the same [`FoldFields`] as
//!   [`ZccEvent::fold_fields`] of the typed model.
//!
//! Code map: `kind` (the open set of event names, tie-break ranks), `ids` (id newtypes, phone
//! numbers, open enums), `position` (the log position every crate cites), `time` (time parsing
//! and the event-time rule), `family` (the typed objects), `reader` (the tolerant field
//! reader), `event` (`parse_event`), `fold` ([`read_fold_fields`]: the fields the call model's
//! fold reads, borrowed from the body), `envelope` (`read_envelope` and the envelope errors).
//! Event families, fields and ordering are documented in `docs/EVENTS.md`.

mod envelope;
mod event;
mod family;
mod fold;
mod ids;
mod kind;
mod position;
mod reader;
mod time;
mod tolerant;
mod warning;

pub use envelope::{EnvelopeError, EnvelopeSummary, read_envelope};
pub use event::{
    OrderKey, ParseOptions, ZccEvent, parse_event, parse_event_str_with, parse_event_with,
};
pub use family::{
    AnnotationObject, CallControlObject, ConferenceObject, ConferenceParticipant, ConsumerRef,
    EngagementObject, Family, LegObject, RecordingObject, ReservationObject, SupervisionObject,
    TaskObject, TeamRef, TransferObject, UserRef,
};
pub use fold::{FoldFields, ObjectFields, read_fold_fields};
pub use ids::{
    AccountId, ActionType, Channel, ConsumerId, Direction, EngagementId, FlowId, InboxId,
    PhoneNumber, QueueId, RecordingId, ReservationId, TaskId, TaskStatus, TransferLevel,
    TransferType, UserId, normalize_phone,
};
pub use kind::{EventKind, FamilyKind, NamedMode};
pub use position::Position;
pub use time::{
    PLAUSIBLE_MS, PLAUSIBLE_TEXT, TimeFields, parse_time_str, plausible_ms, select_event_time,
};
pub use warning::{FieldWarning, WarningAction};
