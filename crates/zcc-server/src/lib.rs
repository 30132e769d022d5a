//! The HTTP side of zcc-ledger: the library behind `zcc-ledger serve`.
//!
//! Read in this order:
//!
//! - [`config`]: [`ServeArgs`] (clap, every flag with its `ZCC_` environment twin) and
//!   [`Secret`], which never prints.
//! - [`state`]: [`AppState`], shared by every handler: the log, the group committer, the
//!   signature verifier.
//! - [`webhooks`]: `POST /webhooks/zoom`, the receiver (SPEC 3.1), using [`signature`].
//! - [`api`]: the JSON API under `/api` (engagements, conferences, generations, diff, exports,
//!   the derived-event feed, the OpenAPI document), behind the bearer token; `docs/API.md`.
//! - [`health`]: `/healthz`, `/readyz`. [`metrics`]: `/metrics`.
//! - [`recovery`]: the backfill from Zoom's webhook logs, on a schedule and on request.
//! - [`delivery`]: outbound delivery while serving ([`delivery::run_delivering`]: the
//!   publisher and the delivery worker beside [`run`]).
//! - [`storage`]: storage failures, logged once per change of state and counted.
//! - [`error`]: [`ServeError`] (cannot start) and [`ApiError`] (one request refused, rendered as
//!   the HTTP answer).
//!
//! Each resource module has its own `router()`; [`routes`] merges them, so later resources
//! (`/api`, the web pages) add one line. [`run`] serves a router on a listener the caller bound
//! until the caller's shutdown future resolves, with the live projector keeping every generation
//! that is not retired current. This crate knows HTTP but no SQL: storage is whatever
//! [`zcc_store::projection::Backend`] it is given.

pub mod api;
pub mod config;
pub mod conn;
pub mod delivery;
pub mod error;
pub mod health;
pub mod metrics;
pub mod recovery;
pub mod signature;
pub mod state;
pub mod storage;
pub mod web;
pub mod webhooks;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use tower_http::trace::TraceLayer;
use zcc_store::projection::Backend;

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
        .merge(api::router())
        .merge(web::router())
}

/// The complete application for `state`: what [`run`] serves, and what router tests call with
/// `oneshot`.
pub fn router(state: AppState) -> Router {
    routes()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            storage::observe,
        ))
        // A 5xx is not logged per answer: storage failures are logged once per change of
        // state (`storage`), other 500s by `ApiError` with their cause.
        .layer(
            TraceLayer::new_for_http().on_failure(
                tower_http::trace::DefaultOnFailure::new().level(tracing::Level::DEBUG),
            ),
        )
        .with_state(state)
}

/// Serve until `shutdown` resolves, then stop accepting connections, let the requests in flight
/// finish and be answered (their commits included), and return. Connections are served by
/// [`conn::serve`]: a header time-out (also the idle keep-alive time-out) and at most
/// `--max-connections` at once, one more answered 503.
///
/// The caller binds `listener` (tests bind `127.0.0.1:0`); its address must be loopback unless
/// an API token is configured. Call [`ServeArgs::validate`] before binding to fail early.
///
/// Before serving, a database without generations gets the default rule's, active (SPEC 6),
/// projections written before the store kept search text get it (in the background), and the
/// live projector starts: it catches every generation that is not retired up with the
/// log now, after each stored webhook, and on a periodic tick (appends by other processes).
/// With Zoom's client configured (`ServeArgs::zoom`), the backfill runs every
/// `--backfill-every` ([`recovery::spawn_schedule`]).
pub async fn run(
    args: ServeArgs,
    store: Arc<dyn Backend>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_with(args, store, None, listener, shutdown).await
}

/// Compute, in the background, the search text of documents written before the store kept it
/// ([`zcc_projector::fill_search_text`]); until it is done they are found by their id only.
fn spawn_search_backfill(store: Arc<dyn Backend>) {
    tokio::spawn(async move {
        if let Err(e) = zcc_projector::fill_search_text(&*store).await {
            tracing::error!(
                error = %e,
                "computing the search text of older projections failed: they are found by \
                 their id only until the next start"
            );
        }
    });
}

/// [`run`], with `/api/subscriptions` answered from `outbound` when given
/// ([`delivery::run_delivering`]).
pub(crate) async fn serve_with(
    args: ServeArgs,
    store: Arc<dyn Backend>,
    outbound: Option<state::Outbound>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr = listener.local_addr().map_err(|source| ServeError::Io {
        what: "cannot read the listener's address",
        source,
    })?;
    args.check_listen(addr)?;
    let limits = conn::ConnLimits {
        header_timeout: args.header_timeout(),
        max_connections: args.max_connections,
    };
    zcc_app::prepare_store(&*store)
        .await
        .map_err(|e| ServeError::Projections(e.to_string()))?;
    spawn_search_backfill(Arc::clone(&store));
    let live = zcc_projector::LiveProjector::spawn(Arc::clone(&store));
    live.notify();
    let state = match outbound {
        Some(outbound) => AppState::with_outbound(args, store, Some(live), outbound)?,
        None => AppState::new(args, store, Some(live))?,
    };
    state.refresh_log_size().await;
    recovery::spawn_schedule(&state);
    tracing::info!(%addr, backend = state.log().backend(), "serving");
    let stopping = state.clone();
    let shutdown = async move {
        shutdown.await;
        // Event streams never end by themselves: end them so the requests in flight can.
        stopping.begin_shutdown();
    };
    conn::serve(listener, router(state), limits, shutdown)
        .await
        .map_err(|source| ServeError::Io {
            what: "the HTTP server failed",
            source,
        })?;
    tracing::info!(%addr, "stopped");
    Ok(())
}
