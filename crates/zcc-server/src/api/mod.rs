//! The JSON API under `/api` (SPEC 7), described for people in `docs/API.md` and for machines
//! by `GET /api/openapi.json` ([`openapi`]).
//!
//! Read in this order:
//!
//! - [`auth`]: the bearer token every handler requires (the [`auth::Authorized`] extractor).
//! - [`params`]: strict query-string parsing (a bad or unknown parameter is a 400 naming it),
//!   the generation chosen by `generation` or `rule`, the opaque search cursor.
//! - [`engagements`]: search, detail, raw events, derived events, conferences.
//! - [`generations`]: list, start a rebuild (background task, progress), activate, diff.
//! - [`evaluate`]: score a rule against the explicit conference events or a truth table.
//! - [`exports`]: the SPEC 8 tables streamed in JSON Lines, CSV or Parquet.
//! - [`subscriptions`]: outbound delivery's subscriptions (`docs/DELIVERY.md`).
//! - [`feed`]: the derived-event feed, polled or as Server-Sent Events, resumable by cursor.
//! - [`quarantine`]: the bodies that were refused, listed and shown whole.
//! - [`backfill`] and [`reconcile`]: Zoom's own record, to recover what it dropped (a run of
//!   [`crate::recovery`]) and to compare the call model with it.
//! - [`openapi`]: the OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//!   operations and their types ([`query`] for parameters, [`schemas`] for answers that have no
//!   type of their own); [`route_table`] is the one list the router and the document are made of.

pub mod auth;
pub mod backfill;
pub mod engagements;
pub mod evaluate;
pub mod exports;
pub mod feed;
pub mod generations;
pub mod openapi;
pub mod params;
pub mod quarantine;
pub mod query;
pub mod reconcile;
pub mod schemas;
pub mod subscriptions;

use axum::Router;
use utoipa::OpenApi as _;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;

/// Where the API is mounted.
pub const PREFIX: &str = "/api";

/// Every route of the API, each a handler with its `#[utoipa::path]` operation (one path per
/// entry; several methods of one path share an entry). The router is made of this list and
/// nothing else, and the OpenAPI document is read from it, so the two cannot drift.
pub fn route_table() -> Vec<UtoipaMethodRouter<AppState>> {
    vec![
        routes!(engagements::search),
        routes!(engagements::detail),
        routes!(engagements::events),
        routes!(engagements::derived_events),
        routes!(engagements::conferences),
        routes!(generations::list, generations::start),
        routes!(generations::show),
        routes!(generations::activate),
        routes!(generations::diff),
        routes!(evaluate::against_explicit, evaluate::against_truth),
        routes!(exports::export),
        routes!(feed::poll),
        routes!(feed::stream),
        routes!(quarantine::list),
        routes!(quarantine::show),
        routes!(backfill::start),
        routes!(reconcile::report),
        routes!(subscriptions::list, subscriptions::add),
        routes!(subscriptions::remove),
        routes!(subscriptions::pause),
        routes!(subscriptions::resume),
        routes!(subscriptions::deliveries),
        routes!(subscriptions::redeliver),
        routes!(openapi::serve),
    ]
}

/// The routes of [`route_table`] under [`PREFIX`], with the document they describe.
fn openapi_router() -> OpenApiRouter<AppState> {
    let api = route_table()
        .into_iter()
        .fold(OpenApiRouter::default(), OpenApiRouter::routes)
        .fallback(unknown_route);
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).nest(PREFIX, api)
}

/// The keys of an OpenAPI path item that are operations.
const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every route as (method, path) the way the router matches them and the document lists
/// them: `("get", "/api/engagements/{engagement_id}")`.
pub fn routes() -> Vec<(String, String)> {
    let mut all = Vec::new();
    for (_, paths, _) in route_table() {
        for (path, item) in paths.paths {
            let item = serde_json::to_value(item).expect("a path item serialises");
            for method in HTTP_METHODS {
                if item.get(method).is_some() {
                    all.push(((*method).to_owned(), format!("{PREFIX}{path}")));
                }
            }
        }
    }
    all
}

/// The `/api` routes, to merge into [`crate::routes`].
pub fn router() -> Router<AppState> {
    openapi_router().split_for_parts().0
}

/// 401 before 404: an unauthenticated caller learns nothing about which paths exist.
async fn unknown_route(_auth: auth::Authorized, uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "no API route {}; GET /api/openapi.json lists them",
        uri.path()
    ))
}
