//! One module per subcommand; each returns the process exit code.

pub(crate) mod backfill;
mod checkpoint;
mod compare;
mod export;
mod generations;
mod import;
pub(crate) mod reconcile;
mod select;
mod serve;
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
        Command::Rules => generations::rules(),
        command => {
            let lock_wait = match &command {
                Command::Serve(args) => Some(args.storage_timeout()),
                _ => None,
            };
            let full = open_store_with(&url, lock_wait).await?;
            let store: std::sync::Arc<dyn Backend> = full.clone();
            match command {
                Command::Import(args) => import::run(store, args).await,
                Command::Verify(args) => verify::run(store, args).await,
                Command::Checkpoint => checkpoint::run(store).await,
                Command::Export(args) => export::run(store, args).await,
                Command::Serve(args) => serve::run(full, args).await,
                Command::Show(args) => show::run(store, args).await,
                Command::Generations => generations::list(store).await,
                Command::Reproject(args) => generations::reproject(store, args).await,
                Command::Activate { generation } => generations::activate(store, &generation).await,
                Command::Retire { generation } => generations::retire(store, &generation).await,
                Command::Diff(args) => compare::diff(store, args).await,
                Command::Evaluate(args) => compare::evaluate(store, args).await,
                Command::Backfill(args) => backfill::run(store, args).await,
                Command::Reconcile(args) => reconcile::run(store, args).await,
                Command::Subscriptions(args) => subscriptions::run(full, args).await,
                Command::Simulate(_) | Command::Rules => unreachable!("handled above"),
            }
        }
    }
}
