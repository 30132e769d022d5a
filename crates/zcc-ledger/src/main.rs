//! `zcc-ledger`: a thin shell over the libraries. Each subcommand lives in `commands/`.

mod backend;
mod cli;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the system allocator: a rebuild parses and folds millions of small
/// objects on one thread pool and frees them on another, where glibc's per-thread arenas spend
/// a quarter of the time in malloc and free (docs/BENCHMARKS.md, "Rebuild"). Built without
/// transparent huge pages (`no_thp`): faulting them in zeroed 2 MiB at a time cost a rebuild
/// ~4% of its CPU and held ~50 MiB more at its peak.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The process log on stderr. The filter is `RUST_LOG`, as the ecosystem expects, else `ZCC_LOG`
/// (kept as an alias). Text has colour only on a terminal, so a log file or a journal holds no
/// escape codes; json is one object per line for a log collector.
fn init_logging(format: cli::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("ZCC_LOG"))
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("warn,zcc_server=info,zcc_ledger=info")
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        cli::LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        cli::LogFormat::Json => builder.json().init(),
    }
}

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
    init_logging(cli.log_format);
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
