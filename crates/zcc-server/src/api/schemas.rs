//! The schemas of answers that have no Rust type of their own in this crate: bodies the
//! handlers build as JSON values, the export rows (read from the tables' column lists), and the
//! reports of `zcc-projector`. The OpenAPI test checks every documented JSON answer against the
//! real server's, so a schema here that stops matching its handler fails a test.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};
use zcc_model::{ColumnType, Table};

use super::engagements::{GenerationRef, RawEvent};
use super::generations::GenerationView;

/// The schema of one row of `table`: every column, in the export's order, always present.
fn row_schema(table: Table) -> RefOr<Schema> {
    let mut row = ObjectBuilder::new().description(Some(format!(
        "A row of the `{}` table: field names as in the JSON Lines export, times RFC 3339 UTC \
         with milliseconds, lists as arrays, unknown values null.",
        table.name()
    )));
    for column in table.columns() {
        row = row
            .property(column.name, column_schema(column.ty))
            .required(column.name);
    }
    row.into()
}

fn column_schema(ty: ColumnType) -> Schema {
    let nullable = |t: Type| SchemaType::Array(vec![t, Type::Null]);
    let schema = match ty {
        ColumnType::Str => ObjectBuilder::new().schema_type(nullable(Type::String)),
        ColumnType::Int => ObjectBuilder::new().schema_type(nullable(Type::Integer)),
        ColumnType::Bool => ObjectBuilder::new().schema_type(nullable(Type::Boolean)),
        ColumnType::TimeMs => ObjectBuilder::new()
            .schema_type(nullable(Type::String))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        ColumnType::List => {
            return ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::String))
                .into();
        }
        ColumnType::IntList => {
            return ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::Integer))
                .into();
        }
    };
    schema.into()
}

/// Declares a row type whose schema is read from a table's column list.
macro_rules! row_type {
    ($(#[$doc:meta])* $name:ident = $table:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                row_schema($table)
            }
        }

        impl ToSchema for $name {}
    };
}

row_type!(
    /// A row of the `engagements` export.
    EngagementRow = Table::Engagements
);
row_type!(
    /// A row of the `conferences` export.
    ConferenceRow = Table::Conferences
);
row_type!(
    /// A row of the `derived_events` export.
    DerivedEventRow = Table::DerivedEvents
);

/// A generation's state.
#[derive(Debug, ToSchema)]
#[schema(as = GenerationState, rename_all = "lowercase")]
pub enum GenerationStateName {
    Building,
    Ready,
    Active,
    Retired,
}

/// How an event reached the log.
#[derive(Debug, ToSchema)]
#[schema(as = EventSource, rename_all = "lowercase")]
pub enum EventSourceName {
    Http,
    Import,
    Backfill,
}

/// `GET /api/engagements/{engagement_id}/events`.
#[derive(Debug, ToSchema)]
pub struct EngagementEvents {
    pub engagement_id: String,
    /// The raw events in log order.
    pub items: Vec<RawEvent>,
}

/// `GET /api/engagements/{engagement_id}/derived-events`.
#[derive(Debug, ToSchema)]
pub struct EngagementDerivedEvents {
    pub engagement_id: String,
    pub generation: GenerationRef,
    /// The projection's derived events, in order.
    pub items: Vec<DerivedEventRow>,
}

/// `GET /api/generations`.
#[derive(Debug, ToSchema)]
pub struct GenerationList {
    /// Oldest first.
    pub items: Vec<GenerationView>,
    /// The log's size now.
    pub log_head: i64,
}

/// `POST /api/generations`: the rebuild that started.
#[derive(Debug, ToSchema)]
pub struct RebuildStarted {
    /// The new generation's id.
    pub generation: i64,
    /// Its rule identity.
    pub rule: String,
    #[schema(value_type = GenerationStateName)]
    pub state: String,
    pub activate: bool,
    /// Where to poll its progress (also in `Location`).
    pub progress: String,
}

/// `POST /api/generations/{generation_id}/activate`.
#[derive(Debug, ToSchema)]
#[schema(as = Activated)]
pub struct ActivateReport {
    pub activated: i64,
    pub rule_identity: String,
    /// The generation that was active before, now ready.
    pub previous: Option<i64>,
}

/// One engagement that differs.
#[derive(Debug, ToSchema)]
pub struct EngagementDiff {
    pub engagement_id: String,
    /// The kinds of difference, sorted.
    pub kinds: Vec<String>,
}

/// `GET /api/diff`: what the diff of two generations found.
#[derive(Debug, ToSchema)]
pub struct DiffReport {
    pub base: i64,
    pub base_rule: String,
    pub candidate: i64,
    pub candidate_rule: String,
    /// Engagements present in either generation.
    pub engagements: i64,
    /// Engagements whose documents differ.
    pub differing: i64,
    /// How many engagements show each kind of difference.
    pub kinds: std::collections::BTreeMap<String, i64>,
    /// Every differing engagement, in engagement-id order.
    pub engagement_diffs: Vec<EngagementDiff>,
}

/// Which part of a rebuild a progress report is about.
#[derive(Debug, ToSchema)]
#[schema(as = RebuildPhase, rename_all = "snake_case")]
pub enum Phase {
    CatchUp,
    Scan,
    Refold,
}

/// Where a rebuild stands.
#[derive(Debug, ToSchema)]
#[schema(as = RebuildProgress)]
pub struct Progress {
    pub generation: i64,
    pub phase: Phase,
    /// The last log position read.
    pub position: i64,
    /// The log's size when the work started.
    pub head: i64,
    /// Documents written so far.
    pub documents: i64,
}

/// What a finished rebuild did.
#[derive(Debug, ToSchema)]
pub struct RebuildReport {
    pub generation: i64,
    pub rule_identity: String,
    pub state: GenerationStateName,
    /// Where the scan started (0, or the checkpoint of a resumed rebuild).
    pub resumed_from: i64,
    /// Log entries streamed by the scan.
    pub entries: i64,
    /// Documents written by the scan.
    pub documents: i64,
    /// Engagements re-folded because they reappeared after being flushed.
    pub refolded: i64,
    /// Entries folded by the final catch-up.
    pub caught_up: i64,
    /// The longest write of a batch of documents (about the longest a webhook queued behind
    /// the rebuild's writes could have waited).
    pub longest_write_ms: i64,
    pub elapsed_ms: i64,
    pub events_per_second: f64,
}

/// A field `GET /api/reconcile` compares (`zcc_app::reconcile::Field`).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ReconcileField {
    MissingInLedger,
    MissingInZoom,
    ConferenceCount,
    HoldCount,
    TransferCompletedCount,
    Agents,
    HoldBounds,
    ConferenceBounds,
}

/// One disagreement between Zoom's record and the ledger.
#[derive(Debug, ToSchema)]
pub struct Disagreement {
    pub engagement_id: String,
    pub field: ReconcileField,
    /// Zoom's value: a count, a sorted list of user ids, a start time (`missing_in_ledger`),
    /// a list of `{"start", "end"}` (the bounds), or null.
    pub zoom: serde_json::Value,
    /// The ledger's value, in the same terms.
    pub ledger: serde_json::Value,
}

/// How often one field agreed.
#[derive(Debug, ToSchema)]
pub struct Tally {
    pub field: ReconcileField,
    /// Engagements the field was compared for.
    pub compared: i64,
    pub agreed: i64,
    /// `agreed / compared`, 1 when nothing was compared.
    pub rate: f64,
}

/// `GET /api/reconcile`: Zoom's record against the active generation.
#[derive(Debug, ToSchema)]
pub struct ReconcileReport {
    /// The generation compared (the active one).
    pub generation: i64,
    /// Its rule identity.
    pub rule: String,
    /// Calls that started in the window, per side.
    pub zoom_engagements: i64,
    pub ledger_engagements: i64,
    /// By engagement id, then field.
    pub disagreements: Vec<Disagreement>,
    /// Whether Zoom's engagement timelines were compared.
    pub timelines: bool,
    /// Zoom's timelines read.
    pub zoom_timelines: i64,
    /// One per field compared.
    pub tallies: Vec<Tally>,
}

/// How a rule's conferences and the reference disagree on an engagement.
#[derive(Debug, ToSchema)]
#[schema(as = EvalDisagreementKind, rename_all = "snake_case")]
pub enum EvalDisagreementKind {
    /// A reference conference the rule did not find.
    Missed,
    /// A conference the rule found that the reference does not have.
    Spurious,
    /// Matched, with other agents.
    Participants,
    /// Matched, with a start or end further than the tolerance.
    Bounds,
}

/// One conference, as the evaluation compares it (times in ms since the Unix epoch).
#[derive(Debug, ToSchema)]
pub struct ConferenceSummary {
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub participants: Vec<String>,
}

/// One disagreement of an evaluation.
#[derive(Debug, ToSchema)]
pub struct EvalDisagreement {
    pub engagement_id: String,
    pub kind: EvalDisagreementKind,
    pub reference: Option<ConferenceSummary>,
    pub predicted: Option<ConferenceSummary>,
}

/// One engagement's score.
#[derive(Debug, ToSchema)]
pub struct EngagementScore {
    pub engagement_id: String,
    pub reference: i64,
    pub predicted: i64,
    pub matched: i64,
    pub false_positives: i64,
    pub false_negatives: i64,
    /// The largest start or end error of a matched pair, in ms.
    pub max_error_ms: i64,
    pub disagreements: Vec<EvalDisagreement>,
}

/// `GET`/`POST /api/evaluate`: how a rule scores against the reference.
#[derive(Debug, ToSchema)]
pub struct EvalReport {
    /// The rule scored (its identity).
    pub rule: String,
    /// What it was scored against: the explicit events' rule, or the truth table's name.
    pub reference_rule: String,
    /// Engagements scored.
    pub engagements: i64,
    /// The `since` given (ms), if any.
    pub since_ms: Option<i64>,
    /// The conferences table scored against, if not the explicit events.
    pub truth: Option<String>,
    pub reference_conferences: i64,
    pub predicted_conferences: i64,
    pub true_positives: i64,
    pub false_positives: i64,
    pub false_negatives: i64,
    /// Null when there is nothing to divide by.
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub median_start_error_ms: Option<i64>,
    pub median_end_error_ms: Option<i64>,
    /// Up to ten engagements, most misses first, then largest error.
    pub worst: Vec<EngagementScore>,
    /// How many disagreements of each kind.
    pub disagreement_counts: std::collections::BTreeMap<String, i64>,
    /// Every disagreement, by engagement.
    pub disagreements: Vec<EvalDisagreement>,
}
