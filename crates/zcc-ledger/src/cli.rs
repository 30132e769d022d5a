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
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import (- for stdin).
    #[arg(required = true, env = "ZCC_FILE", value_delimiter = ',')]
    pub files: Vec<PathBuf>,
    /// Bodies appended per durable commit.
    #[arg(long, env = "ZCC_BATCH_SIZE", default_value_t = 1000)]
    pub batch_size: usize,
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
    /// The webhook secret to sign with (with --target).
    #[arg(long, env = "ZCC_SECRET", hide_env_values = true)]
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
}
