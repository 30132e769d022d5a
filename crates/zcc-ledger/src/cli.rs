//! Command-line definitions.
//!
//! Every flag has an environment twin. The global flags, `serve`'s and the Zoom credentials keep
//! `ZCC_` + the flag's name (`ZCC_DATABASE_URL`, `ZCC_LISTEN`, `ZCC_WEBHOOK_SECRET`, ...): they
//! configure the service and mean the same wherever they are read. A one-shot command's own flag
//! is `ZCC_` + the command + the flag (`ZCC_EXPORT_FORMAT`, `ZCC_SHOW_FORMAT`), so that a value
//! meant for one command in a `.env` file never reaches another (`ZCC_FORMAT=parquet` broke
//! `show`). A test walks the whole command tree and refuses a twin shared by two flags that are
//! not the same flag (docs/CLI.md).

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

    /// The process log's format on stderr: text for people, json (one object per line) for a
    /// log collector. The filter is `RUST_LOG` (`ZCC_LOG` is read when `RUST_LOG` is unset).
    #[arg(
        long,
        global = true,
        env = "ZCC_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Receive Zoom webhooks (and serve the API and web page) until SIGTERM or Ctrl-C.
    Serve(crate::commands::serve::ServeCommand),
    /// Import archived webhook bodies: JSON Lines (one body per line; .gz read transparently),
    /// a .json file holding one body, or - for stdin.
    Import(ImportArgs),
    /// Recompute every body hash and the hash chain, and check the immutability guards.
    Verify(VerifyArgs),
    /// Print the log's checkpoint SIZE:HASH for an auditor to keep.
    Checkpoint(CheckpointArgs),
    /// Write a table as JSON Lines, CSV or Parquet.
    Export(ExportArgs),
    /// Generate realistic ZCC traffic (seeded), to a file or signed to a receiver.
    Simulate(SimulateArgs),
    /// One call's history: the model, derived events with evidence, and the raw events.
    Show(ShowArgs),
    /// List the inference rules and their parameters.
    Rules(RulesArgs),
    /// List the generations (one rule's projection over the log each) and their states.
    Generations(GenerationsArgs),
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
    /// The bodies that were refused (not webhook envelopes), with their reasons.
    #[command(subcommand)]
    Quarantine(crate::commands::quarantine::QuarantineCommand),
    /// Outbound delivery of derived call events as signed Standard Webhooks.
    Subscriptions(crate::commands::subscriptions::SubscriptionsArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout: `zcc-ledger man | man -l -`, or a command's own
    /// page: `zcc-ledger man export | man -l -`.
    Man(ManArgs),
}

/// `--format` of the commands that print a report: text for people, json for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, env = "ZCC_RULES_FORMAT", value_enum, default_value = "text")]
    pub format: TextOrJson,
}

#[derive(Debug, Args)]
pub struct GenerationsArgs {
    #[arg(
        long,
        env = "ZCC_GENERATIONS_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub format: TextOrJson,
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// text prints exactly `SIZE:HASH`; json an object with `size` and `hash`.
    #[arg(
        long,
        env = "ZCC_CHECKPOINT_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub format: TextOrJson,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command whose page to print (default: the main page, which lists them all).
    #[arg(env = "ZCC_MAN_COMMAND")]
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(env = "ZCC_COMPLETIONS_SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import (- for stdin).
    #[arg(required = true, env = "ZCC_IMPORT_FILE", value_delimiter = ',')]
    pub files: Vec<PathBuf>,
    /// Bodies appended per durable commit.
    #[arg(long, env = "ZCC_IMPORT_BATCH_SIZE", default_value_t = 1000)]
    pub batch_size: usize,
    /// Only append: leave folding the new events to the next `serve`, `export` or `import`
    /// (for bulk loads of archives, followed by one catch-up).
    #[arg(long, env = "ZCC_IMPORT_NO_PROJECT")]
    pub no_project: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Also prove that the log extends this earlier checkpoint (SIZE:HASH).
    #[arg(long, env = "ZCC_VERIFY_CHECKPOINT")]
    pub checkpoint: Option<String>,
    #[arg(long, env = "ZCC_VERIFY_FORMAT", value_enum, default_value = "text")]
    pub format: TextOrJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    /// CSV safe to open in a spreadsheet (text that would run as a formula gets a leading `'`).
    Csv,
    /// CSV with every cell exactly as received.
    CsvRaw,
    Parquet,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The table: events, engagements, legs, holds, transfers, conference_invitations,
    /// conferences, supervision, derived_events.
    pub table: String,
    #[arg(long, env = "ZCC_EXPORT_FORMAT", value_enum, default_value = "jsonl")]
    pub format: ExportFormat,
    /// Output file (- or nothing for stdout). A manifest is written beside a file.
    #[arg(long, env = "ZCC_EXPORT_OUTPUT")]
    pub output: Option<PathBuf>,
    /// Only rows at or after this time (RFC 3339).
    #[arg(long, env = "ZCC_EXPORT_SINCE")]
    pub since: Option<String>,
    /// Only rows before this time (RFC 3339).
    #[arg(long, env = "ZCC_EXPORT_UNTIL")]
    pub until: Option<String>,
    /// Read this rule's generation (default: the active generation).
    #[arg(long, env = "ZCC_EXPORT_RULE", conflicts_with = "generation")]
    pub rule: Option<String>,
    /// Read this generation (default: the active generation).
    #[arg(long, env = "ZCC_EXPORT_GENERATION")]
    pub generation: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub engagement_id: zcc_store::EngagementId,
    #[arg(long, env = "ZCC_SHOW_FORMAT", value_enum, default_value = "text")]
    pub format: ShowFormat,
    /// Read this rule's generation (default: the active generation).
    #[arg(long, env = "ZCC_SHOW_RULE", conflicts_with = "generation")]
    pub rule: Option<String>,
    /// Read this generation (default: the active generation).
    #[arg(long, env = "ZCC_SHOW_GENERATION")]
    pub generation: Option<i64>,
}

#[derive(Debug, Args)]
pub struct ReprojectArgs {
    /// The rule (`zcc-ledger rules` lists them).
    #[arg(long, env = "ZCC_REPROJECT_RULE", required_unless_present = "resume")]
    pub rule: Option<String>,
    /// A rule parameter as k=v (repeatable).
    #[arg(long, env = "ZCC_REPROJECT_PARAM", value_delimiter = ',')]
    pub param: Vec<String>,
    /// Activate the generation once it has caught up.
    #[arg(long, env = "ZCC_REPROJECT_ACTIVATE")]
    pub activate: bool,
    /// Resume an interrupted rebuild of this generation.
    #[arg(long, env = "ZCC_REPROJECT_RESUME", conflicts_with = "rule")]
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
    #[arg(long, env = "ZCC_DIFF_FORMAT", value_enum, default_value = "text")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The rule to score (`zcc-ledger rules`).
    pub rule: String,
    /// When the account began receiving conference events (RFC 3339): every call
    /// that began after it is scored, one without explicit events as having no conference.
    #[arg(long, env = "ZCC_EVALUATE_SINCE")]
    pub since: Option<String>,
    /// Score against this conferences table (JSON Lines in the export's shape, such as
    /// `simulate --truth`) instead of Zoom's explicit conference events.
    #[arg(long, env = "ZCC_EVALUATE_TRUTH")]
    pub truth: Option<std::path::PathBuf>,
    /// A rule parameter as k=v (repeatable).
    #[arg(long, env = "ZCC_EVALUATE_PARAM", value_delimiter = ',')]
    pub param: Vec<String>,
    #[arg(long, env = "ZCC_EVALUATE_FORMAT", value_enum, default_value = "text")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// How many calls.
    #[arg(long, env = "ZCC_SIMULATE_CALLS")]
    pub calls: u64,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, env = "ZCC_SIMULATE_SEED", default_value_t = 1)]
    pub seed: u64,
    /// JSON Lines of raw bodies in delivery order (- or nothing for stdout).
    #[arg(long, env = "ZCC_SIMULATE_OUTPUT", conflicts_with = "target")]
    pub output: Option<PathBuf>,
    /// Post the bodies, signed, to this webhook URL instead.
    #[arg(long, env = "ZCC_SIMULATE_TARGET")]
    pub target: Option<String>,
    /// The webhook secret to sign with (with --target): the same variable `serve` reads, so one
    /// `.env` serves both; of a comma-separated list, the first.
    #[arg(long, env = "ZCC_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Requests per second at most (with --target); unlimited by default.
    #[arg(long, env = "ZCC_SIMULATE_RATE")]
    pub rate: Option<u32>,
    /// Requests in flight at once (with --target).
    #[arg(long, env = "ZCC_SIMULATE_CONCURRENCY", default_value_t = 32)]
    pub concurrency: usize,
    /// Also write what really happened (the truth), one JSON row per line with its table.
    #[arg(long, env = "ZCC_SIMULATE_TRUTH")]
    pub truth: Option<PathBuf>,
    /// Share of calls that carry Zoom's explicit conference events (0 to 1).
    #[arg(
        long,
        env = "ZCC_SIMULATE_EXPLICIT_CONFERENCE_SHARE",
        default_value_t = 0.3
    )]
    pub explicit_conference_share: f64,
    /// The payload shape of those events: `documented` (Zoom's 2026 payloads, with
    /// `conference_id` and the roster) or `guessed` (the older shape, byte for byte).
    #[arg(
        long,
        env = "ZCC_SIMULATE_CONFERENCE_SHAPE",
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use clap::CommandFactory;

    use super::Cli;

    /// Twins that several flags share on purpose: they name one thing wherever they are read.
    /// `simulate --secret` signs with the secret `serve` verifies with, so one `.env` serves
    /// both; the operator's permission for private delivery targets (SPEC 7) is one setting,
    /// checked when a subscription is added and again when `serve` delivers.
    const SHARED_ON_PURPOSE: &[&str] = &["ZCC_WEBHOOK_SECRET", "ZCC_ALLOW_PRIVATE_TARGETS"];

    /// Every (environment twin, command path, flag id) of the command tree.
    fn twins(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String, String)>) {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                // A flag is known by its id and its help: the same flag flattened into several
                // commands has both the same; two flags that merely share a name do not.
                let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                let id = if arg.is_global_set() {
                    format!("(global) {}", arg.get_id())
                } else {
                    format!("{}: {help}", arg.get_id())
                };
                out.push((env.to_string_lossy().into_owned(), path.to_owned(), id));
            }
        }
        for sub in cmd.get_subcommands() {
            twins(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn no_environment_twin_reaches_a_flag_it_was_not_meant_for() {
        let mut all = Vec::new();
        twins(&Cli::command(), "zcc-ledger", &mut all);
        assert!(all.len() > 40, "the walk found the flags: {all:?}");
        let mut by_env: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
        for (env, path, id) in &all {
            by_env.entry(env).or_default().push((path, id));
        }
        for (env, users) in by_env {
            assert!(env.starts_with("ZCC_"), "{env} does not start with ZCC_");
            if SHARED_ON_PURPOSE.contains(&env) {
                continue;
            }
            // The same flag seen again: a global flag in every subcommand, or one group of
            // flags (the Zoom credentials) flattened into several commands.
            let first = users[0].1;
            assert!(
                users.iter().all(|(_, id)| *id == first),
                "{env} is the twin of different flags: {users:?}"
            );
        }
    }

    #[test]
    fn the_command_tree_is_well_formed() {
        Cli::command().debug_assert();
    }
}
