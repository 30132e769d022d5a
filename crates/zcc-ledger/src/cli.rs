//! Command-line definitions. Every flag has an environment twin `ZCC_` + the flag's name.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "zcc-ledger",
    version,
    about = "An auditable, replayable ledger of Zoom Contact Center webhooks"
)]
pub struct Cli {
    /// Where the ledger lives: sqlite://FILE (default) or postgres://...
    #[arg(
        long,
        global = true,
        env = "ZCC_DATABASE_URL",
        default_value = "sqlite://zcc-ledger.db"
    )]
    pub database_url: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Receive Zoom webhooks (and serve the API and web page) until SIGTERM or Ctrl-C.
    Serve(zcc_server::ServeArgs),
    /// Import archived webhook bodies: JSON Lines (one body per line; .gz read transparently),
    /// a .json file holding one body, or - for stdin.
    Import(ImportArgs),
    /// Recompute every body hash and the hash chain, and check the immutability guards.
    Verify(VerifyArgs),
    /// Print the log's checkpoint SIZE:HASH for an auditor to keep.
    Checkpoint,
    /// Write a table as JSON Lines, CSV or Parquet.
    Export(ExportArgs),
    /// Generate realistic ZCC traffic (seeded), to a file or signed to a receiver.
    Simulate(SimulateArgs),
    /// One call's history: the model, derived events with evidence, and the raw events.
    Show(ShowArgs),
    /// List the inference rules and their parameters.
    Rules,
    /// List the generations (one rule's projection over the log each) and their states.
    Generations,
    /// Build a generation of a rule from the whole log while the active one keeps serving.
    Reproject(ReprojectArgs),
    /// Make a generation the one queries and exports read (atomically).
    Activate {
        /// The generation id (`zcc-ledger generations`).
        generation: String,
    },
    /// Stop keeping a generation current (the active one cannot be retired).
    Retire {
        /// The generation id (`zcc-ledger generations`).
        generation: String,
    },
    /// List the engagements whose derived facts differ between two generations.
    Diff(DiffArgs),
    /// Score a rule against Zoom's explicit conference events (hidden from the rule).
    Evaluate(EvaluateArgs),
    /// Recover from Zoom's webhook logs what Zoom gave up delivering (ZCC_ZOOM_* credentials).
    Backfill(crate::commands::backfill::BackfillArgs),
    /// Compare the active generation with Zoom's own record of each call.
    Reconcile(crate::commands::reconcile::ReconcileArgs),
    /// Outbound delivery of derived call events as signed Standard Webhooks.
    Subscriptions(crate::commands::subscriptions::SubscriptionsArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import (- for stdin).
    #[arg(required = true, env = "ZCC_FILE", value_delimiter = ',')]
    pub files: Vec<PathBuf>,
    /// Bodies appended per durable commit.
    #[arg(long, env = "ZCC_BATCH_SIZE", default_value_t = 1000)]
    pub batch_size: usize,
    /// Only append: leave folding the new events to the next `serve`, `export` or `import`
    /// (for bulk loads of archives, followed by one catch-up).
    #[arg(long, env = "ZCC_NO_PROJECT")]
    pub no_project: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Also prove that the log extends this earlier checkpoint (SIZE:HASH).
    #[arg(long, env = "ZCC_CHECKPOINT")]
    pub checkpoint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
    Parquet,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The table: events, engagements, legs, holds, transfers, conference_invitations,
    /// conferences, supervision, derived_events.
    pub table: String,
    #[arg(long, env = "ZCC_FORMAT", value_enum, default_value = "jsonl")]
    pub format: Format,
    /// Output file (- or nothing for stdout). A manifest is written beside a file.
    #[arg(long, env = "ZCC_OUTPUT")]
    pub output: Option<PathBuf>,
    /// Only rows at or after this time (RFC 3339).
    #[arg(long, env = "ZCC_SINCE")]
    pub since: Option<String>,
    /// Only rows before this time (RFC 3339).
    #[arg(long, env = "ZCC_UNTIL")]
    pub until: Option<String>,
    /// Read this rule's generation (default: the active generation).
    #[arg(long, env = "ZCC_RULE", conflicts_with = "generation")]
    pub rule: Option<String>,
    /// Read this generation (default: the active generation).
    #[arg(long, env = "ZCC_GENERATION")]
    pub generation: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub engagement_id: String,
    #[arg(long, env = "ZCC_FORMAT", value_enum, default_value = "text")]
    pub format: ShowFormat,
    /// Read this rule's generation (default: the active generation).
    #[arg(long, env = "ZCC_RULE", conflicts_with = "generation")]
    pub rule: Option<String>,
    /// Read this generation (default: the active generation).
    #[arg(long, env = "ZCC_GENERATION")]
    pub generation: Option<i64>,
}

#[derive(Debug, Args)]
pub struct ReprojectArgs {
    /// The rule (`zcc-ledger rules` lists them).
    #[arg(long, env = "ZCC_RULE", required_unless_present = "resume")]
    pub rule: Option<String>,
    /// A rule parameter as k=v (repeatable).
    #[arg(long, env = "ZCC_PARAM", value_delimiter = ',')]
    pub param: Vec<String>,
    /// Activate the generation once it has caught up.
    #[arg(long, env = "ZCC_ACTIVATE")]
    pub activate: bool,
    /// Resume an interrupted rebuild of this generation.
    #[arg(long, env = "ZCC_RESUME", conflicts_with = "rule")]
    pub resume: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The base generation id.
    pub base: String,
    /// The candidate generation id.
    pub candidate: String,
    #[arg(long, env = "ZCC_FORMAT", value_enum, default_value = "text")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The rule to score (`zcc-ledger rules`).
    pub rule: String,
    /// When the account began receiving conference events (RFC 3339): every call
    /// that began after it is scored, one without explicit events as having no conference.
    #[arg(long, env = "ZCC_SINCE")]
    pub since: Option<String>,
    /// Score against this conferences table (JSON Lines in the export's shape, such as
    /// `simulate --truth`) instead of Zoom's explicit conference events.
    #[arg(long, env = "ZCC_TRUTH")]
    pub truth: Option<std::path::PathBuf>,
    /// A rule parameter as k=v (repeatable).
    #[arg(long, env = "ZCC_PARAM", value_delimiter = ',')]
    pub param: Vec<String>,
    #[arg(long, env = "ZCC_FORMAT", value_enum, default_value = "text")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// How many calls.
    #[arg(long, env = "ZCC_CALLS")]
    pub calls: u64,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, env = "ZCC_SEED", default_value_t = 1)]
    pub seed: u64,
    /// JSON Lines of raw bodies in delivery order (- or nothing for stdout).
    #[arg(long, env = "ZCC_OUTPUT", conflicts_with = "target")]
    pub output: Option<PathBuf>,
    /// Post the bodies, signed, to this webhook URL instead.
    #[arg(long, env = "ZCC_TARGET")]
    pub target: Option<String>,
    /// The webhook secret to sign with (with --target): the same variable `serve` reads, so one
    /// `.env` serves both; of a comma-separated list, the first.
    #[arg(long, env = "ZCC_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Requests per second at most (with --target); unlimited by default.
    #[arg(long, env = "ZCC_RATE")]
    pub rate: Option<u32>,
    /// Requests in flight at once (with --target).
    #[arg(long, env = "ZCC_CONCURRENCY", default_value_t = 32)]
    pub concurrency: usize,
    /// Also write what really happened (the truth), one JSON row per line with its table.
    #[arg(long, env = "ZCC_TRUTH")]
    pub truth: Option<PathBuf>,
    /// Share of calls that carry Zoom's explicit conference events (0 to 1).
    #[arg(long, env = "ZCC_EXPLICIT_CONFERENCE_SHARE", default_value_t = 0.3)]
    pub explicit_conference_share: f64,
    /// The payload shape of those events: `documented` (Zoom's 2026 payloads, with
    /// `conference_id` and the roster) or `guessed` (the older shape, byte for byte).
    #[arg(
        long,
        env = "ZCC_CONFERENCE_SHAPE",
        value_enum,
        default_value = "documented"
    )]
    pub conference_shape: ConferenceShapeArg,
}

/// `--conference-shape`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConferenceShapeArg {
    Documented,
    Guessed,
}

impl From<ConferenceShapeArg> for zcc_sim::ConferenceShape {
    fn from(shape: ConferenceShapeArg) -> Self {
        match shape {
            ConferenceShapeArg::Documented => zcc_sim::ConferenceShape::Documented,
            ConferenceShapeArg::Guessed => zcc_sim::ConferenceShape::Guessed,
        }
    }
}
