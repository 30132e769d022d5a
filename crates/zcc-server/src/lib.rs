//! The HTTP side of zcc-ledger: the library behind `zcc-ledger serve`.
//!
//! Read in this order:
//!
//! - [`config`]: [`ServeArgs`] (clap, every flag with its `ZCC_` environment twin) and
//!   [`Secret`], which never prints.
//! - [`state`]: [`AppState`], shared by every handler: the log, the group committer, the
//!   signature verifier.
//! - [`webhooks`]: `POST /webhooks/zoom`, the receiver (SPEC 3.1), using [`signature`].
//! - [`health`]: `/healthz`, `/readyz`. [`metrics`]: `/metrics`.
//! - [`error`]: [`ServeError`] (cannot start) and [`ApiError`] (one request refused, rendered as
//!   the HTTP answer).
//!
//! Each resource module has its own `router()`; [`routes`] merges them, so later resources
//! (`/api`, the web pages) add one line. [`run`] serves a router on a listener the caller bound
//! until the caller's shutdown future resolves. This crate knows HTTP but no SQL: storage is
//! whatever [`zcc_store::EventLog`] it is given.

pub mod config;
pub mod error;
pub mod health;
pub mod metrics;
pub mod signature;
pub mod state;
pub mod webhooks;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use tower_http::trace::TraceLayer;
use zcc_store::EventLog;

pub use config::{Secret, ServeArgs};
pub use error::{ApiError, ServeError};
pub use state::AppState;

/// Every route, before the state is attached: merge more resources into it, then
/// `.with_state(state)`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(webhooks::router())
        .merge(health::router())
        .merge(metrics::router())
}

/// The complete application for `state`: what [`run`] serves, and what router tests call with
/// `oneshot`.
pub fn router(state: AppState) -> Router {
    routes().layer(TraceLayer::new_for_http()).with_state(state)
}

/// Serve until `shutdown` resolves, then stop accepting connections, let the requests in flight
/// finish and be answered (their commits included), and return.
///
/// The caller binds `listener` (tests bind `127.0.0.1:0`); its address must be loopback unless
/// an API token is configured. Call [`ServeArgs::validate`] before binding to fail early.
pub async fn run(
    args: ServeArgs,
    log: Arc<dyn EventLog>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr = listener.local_addr().map_err(|source| ServeError::Io {
        what: "cannot read the listener's address",
        source,
    })?;
    args.check_listen(addr)?;
    let state = AppState::new(args, log)?;
    state.refresh_log_size().await;
    tracing::info!(%addr, backend = state.log().backend(), "serving");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| ServeError::Io {
            what: "the HTTP server failed",
            source,
        })?;
    tracing::info!(%addr, "stopped");
    Ok(())
}
