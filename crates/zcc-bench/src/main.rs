//! `zcc-bench`: measures each SPEC 9 target against the raw ceiling of the same backend, in the
//! same run, on the same machine. Build in release first (`just bench` does both):
//!
//! ```sh
//! cargo build --release -p zcc-ledger -p zcc-bench
//! target/release/zcc-bench import --backend sqlite --events 200000
//! target/release/zcc-bench ingest --backend sqlite --events 100000
//! target/release/zcc-bench deliver --calls 2000 --delay-calls 400 --rate 500
//! ```

mod body;
mod deliver;
mod ingest;
mod load;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// `zcc-ledger import` of a JSON Lines file vs the raw batched durable append.
    Import {
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: Backend,
        #[arg(long, default_value_t = 200_000)]
        events: usize,
    },
    /// Signed webhooks over HTTP to `zcc-ledger serve` vs the raw batched durable append.
    Ingest {
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: Backend,
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
    /// Outbound delivery (SQLite): messages per second from `serve` to a local receiver that
    /// verifies every signature, vs the same receiver fed pre-signed bodies by a plain client;
    /// and the delay from a webhook's answer to its derived events' delivery at a steady rate.
    Deliver {
        /// Simulated calls imported for the throughput run.
        #[arg(long, default_value_t = 2_000)]
        calls: usize,
        /// Simulated calls sent as webhooks for the delay run.
        #[arg(long, default_value_t = 400)]
        delay_calls: usize,
        /// Webhooks per second in the delay run.
        #[arg(long, default_value_t = 500.0)]
        rate: f64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
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
            calls,
            delay_calls,
            rate,
            seed,
        } => {
            // Two threads: the receiver stands for the integrator's endpoint, not a lean load
            // generator, and in the ceiling it shares this process with the client feeding it.
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?
                .block_on(deliver::run(calls, delay_calls, rate, seed))
        }
    }
}
