//! One module per subcommand; each returns the process exit code.

pub(crate) mod backfill;
mod checkpoint;
mod compare;
mod export;
mod generations;
mod import;
mod manual;
pub(crate) mod quarantine;
pub(crate) mod reconcile;
mod select;
pub(crate) mod serve;
mod show;
mod simulate;
pub(crate) mod subscriptions;
mod verify;

use std::process::ExitCode;

use zcc_store::projection::Backend;

use crate::backend::open_store_with;
use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let url = cli.database_url;
    match cli.command {
        Command::Simulate(args) => simulate::run(args).await,
        Command::Rules(args) => generations::rules(&args),
        Command::Completions(args) => manual::completions(&args),
        Command::Man(args) => manual::man(&args),
        command => {
            let lock_wait = match &command {
                Command::Serve(args) => Some(args.serve.storage_timeout()),
                _ => None,
            };
            let full = open_store_with(&url, lock_wait).await?;
            let store: std::sync::Arc<dyn Backend> = full.clone();
            match command {
                Command::Import(args) => import::run(store, args).await,
                Command::Verify(args) => verify::run(store, args).await,
                Command::Checkpoint(args) => checkpoint::run(store, &args).await,
                Command::Export(args) => export::run(store, args).await,
                Command::Serve(args) => serve::run(full, args).await,
                Command::Show(args) => show::run(store, args).await,
                Command::Generations(args) => generations::list(store, &args).await,
                Command::Reproject(args) => generations::reproject(store, args).await,
                Command::Activate { generation } => generations::activate(store, &generation).await,
                Command::Retire { generation } => generations::retire(store, &generation).await,
                Command::Diff(args) => compare::diff(store, args).await,
                Command::Evaluate(args) => compare::evaluate(store, args).await,
                Command::Backfill(args) => backfill::run(store, args).await,
                Command::Reconcile(args) => reconcile::run(store, args).await,
                Command::Quarantine(command) => quarantine::run(store, command).await,
                Command::Subscriptions(args) => subscriptions::run(full, args).await,
                Command::Simulate(_)
                | Command::Rules(_)
                | Command::Completions(_)
                | Command::Man(_) => unreachable!("handled above"),
            }
        }
    }
}
