//! `completions SHELL` and `man [COMMAND]`: generated from the command tree itself, so they
//! never drift from the flags.

use std::process::ExitCode;

use anyhow::anyhow;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "zcc-ledger", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

pub fn man(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let root = Cli::command();
    let page = match &args.command {
        None => root,
        Some(name) => {
            let sub = root.find_subcommand(name).ok_or_else(|| {
                let known: Vec<&str> = root
                    .get_subcommands()
                    .map(clap::Command::get_name)
                    .collect();
                anyhow!(
                    "man: no command `{name}`; the commands are {}",
                    known.join(", ")
                )
            })?;
            // The page of `zcc-ledger export` is `zcc-ledger-export(1)`, as git names its own.
            sub.clone().name(format!("zcc-ledger-{name}"))
        }
    };
    clap_mangen::Man::new(page).render(&mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
