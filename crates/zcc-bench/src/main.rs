//! `zcc-bench`: measures each SPEC 9 target against the raw ceiling of the same backend, in the
//! same run, on the same machine. Build in release first (`just bench` does both):
//!
//! ```sh
//! cargo build --release -p zcc-ledger -p zcc-bench
//! target/release/zcc-bench import --backend sqlite --events 200000
//! target/release/zcc-bench ingest --backend sqlite --events 100000
//! target/release/zcc-bench deliver --calls 2000 --delay-calls 400 --rate 500
//! target/release/zcc-bench deliver-acceptance --calls 2000
//! ```

mod acceptance;
mod body;
mod deliver;
mod ingest;
mod load;
mod outbound;
mod pace;
mod raw;
mod receiver;
mod target;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "zcc-bench",
    about = "zcc-ledger benchmarks, as ratios to raw ceilings"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The database a run measures (`--backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Database {
    Sqlite,
    Postgres,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// `zcc-ledger import` of a JSON Lines file vs the raw batched durable append.
    Import {
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: Database,
        #[arg(long, default_value_t = 200_000)]
        events: usize,
    },
    /// Signed webhooks over HTTP to `zcc-ledger serve` vs the raw batched durable append.
    Ingest {
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: Database,
        #[arg(long, default_value_t = 100_000)]
        events: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Runs in a row (each against the ceiling measured around it); more than one also
        /// prints their median.
        #[arg(long, default_value_t = 1)]
        runs: usize,
    },
    /// Outbound delivery: messages per second from `serve` to a local receiver that verifies
    /// every signature, vs the same receiver fed pre-signed bodies by a plain client; and the
    /// delay from a webhook's answer to its derived events' delivery at a steady rate.
    Deliver {
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: Database,
        /// Simulated calls imported for the throughput run (0: skip it).
        #[arg(long, default_value_t = 2_000)]
        calls: usize,
        /// Simulated calls sent as webhooks for the delay run (0: skip it).
        #[arg(long, default_value_t = 400)]
        delay_calls: usize,
        /// Webhooks per second in the delay run.
        #[arg(long, default_value_t = 500.0)]
        rate: f64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Issue 27's acceptance run: a simulated corpus sent over HTTP while `serve` is killed
    /// (SIGKILL) once mid-stream and restarted, to a receiver that answers 500 to a share of
    /// first attempts; the subscriber's state must equal the derived_events export (exit 1
    /// otherwise).
    DeliverAcceptance {
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: Database,
        #[arg(long, default_value_t = 2_000)]
        calls: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Answer 500 to the first attempt at one message in this many.
        #[arg(long, default_value_t = 10)]
        fail_one_in: u32,
        /// Kill the server once this share of the webhooks has been answered.
        #[arg(long, default_value_t = 0.5)]
        kill_at: f64,
        /// `serve --delivery-retry-base-ms` (its default: 5 s).
        #[arg(long, default_value_t = 5_000)]
        retry_base_ms: u64,
        /// Connections sending webhooks at once.
        #[arg(long, default_value_t = 16)]
        connections: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // One thread: the ingest's load generator shares the machine's cores with the receiver
    // it measures, and one thread is all it needs (like `wrk -t1`).
    let one_thread = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    match cli.command {
        Command::Import { backend, events } => {
            one_thread()?.block_on(target::import(backend, events))
        }
        Command::Ingest {
            backend,
            events,
            concurrency,
            runs,
        } => one_thread()?.block_on(ingest::run(backend, events, concurrency, runs)),
        Command::Deliver {
            backend,
            calls,
            delay_calls,
            rate,
            seed,
        } => two_threads()?.block_on(deliver::run(backend, calls, delay_calls, rate, seed)),
        Command::DeliverAcceptance {
            backend,
            calls,
            seed,
            fail_one_in,
            kill_at,
            retry_base_ms,
            connections,
        } => two_threads()?.block_on(acceptance::run(acceptance::Plan {
            backend,
            calls,
            seed,
            fail_one_in,
            kill_at,
            retry_base_ms,
            connections,
        })),
    }
}

/// Two threads: the receiver stands for the integrator's endpoint, not a lean load generator,
/// and in the ceiling it shares this process with the client feeding it.
fn two_threads() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}
