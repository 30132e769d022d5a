//! `zcc-ledger`: a thin shell over the libraries. Each subcommand lives in `commands/`.

mod backend;
mod cli;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the system allocator: a rebuild parses and folds millions of small
/// objects on one thread pool and frees them on another, where glibc's per-thread arenas spend
/// a quarter of the time in malloc and free (docs/BENCHMARKS.md, "Rebuild").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A .env file may hold ZCC_* settings (never required).
    let _ = dotenvy::dotenv();
    let cli = cli::Cli::parse();
    // A closed pipe (`zcc-ledger generations | head`) ends a command quietly, as for any Unix
    // tool, instead of a panic on the next print. Not for `serve`: a long-running service must
    // never be ended by a reader of its output going away (its sockets never raise SIGPIPE).
    if !matches!(cli.command, cli::Command::Serve(_)) {
        sigpipe::reset();
    }
    // The log filter: `RUST_LOG`, as the ecosystem expects, else `ZCC_LOG` (kept as an alias);
    // colour only on a terminal, so a log file or a journal holds no escape codes.
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("ZCC_LOG"))
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("warn,zcc_server=info,zcc_ledger=info")
        });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
