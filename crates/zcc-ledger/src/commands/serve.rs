//! `zcc-ledger serve`: the receiver, the API and the web page, with live projection, until
//! SIGTERM or Ctrl-C. With Zoom's credentials set (the `ZCC_ZOOM_*` settings `backfill`
//! reads), also the scheduled backfill (`--backfill-every`) and the API's `POST /api/backfill`
//! and `GET /api/reconcile`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use zcc_server::ServeArgs;
use zcc_store::outbound::DeliveryBackend;

use super::backfill::ZoomArgs;

#[derive(Debug, Args)]
pub struct ServeCommand {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Zoom's REST side: when its credentials are set, the backfill runs every
    /// `--backfill-every` and the API can backfill and reconcile.
    #[command(flatten)]
    pub zoom: ZoomArgs,
}

pub async fn run(
    store: Arc<dyn DeliveryBackend>,
    command: ServeCommand,
) -> anyhow::Result<ExitCode> {
    let mut args = command.serve;
    if command.zoom.given() {
        let client = command
            .zoom
            .client()
            .context("the Zoom settings (ZCC_ZOOM_*) are incomplete or wrong")?;
        args.zoom = Some(client);
    }
    args.validate()?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // Scripts and tests read the bound address from this line (useful with port 0).
    println!("listening on http://{addr}");
    zcc_server::delivery::run_delivering(args, store, listener, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
