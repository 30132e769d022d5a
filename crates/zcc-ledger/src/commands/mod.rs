//! One module per subcommand; each returns the process exit code.

mod checkpoint;
mod export;
mod import;
mod serve;
mod simulate;
mod verify;

use std::process::ExitCode;

use crate::backend::open_log;
use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let url = cli.database_url;
    match cli.command {
        Command::Import(args) => import::run(open_log(&url).await?, args).await,
        Command::Verify(args) => verify::run(open_log(&url).await?, args).await,
        Command::Checkpoint => checkpoint::run(open_log(&url).await?).await,
        Command::Export(args) => export::run(open_log(&url).await?, args).await,
        Command::Simulate(args) => simulate::run(args).await,
        Command::Serve(args) => serve::run(open_log(&url).await?, args).await,
    }
}
