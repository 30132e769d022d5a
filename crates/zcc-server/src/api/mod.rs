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
//! - [`exports`]: the SPEC 8 tables streamed in JSON Lines, CSV or Parquet.
//! - [`feed`]: the derived-event feed, polled or as Server-Sent Events, resumable by cursor.
//! - [`openapi`]: the OpenAPI 3.1 document, hand-written next to [`ROUTES`].

pub mod auth;
pub mod engagements;
pub mod exports;
pub mod feed;
pub mod generations;
pub mod openapi;
pub mod params;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::error::ApiError;

/// Every route of the API: (method, path as in the router and the OpenAPI document). A test
/// checks that each appears in [`openapi::document`] and answers 401 without the token.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/engagements"),
    ("get", "/api/engagements/{engagement_id}"),
    ("get", "/api/engagements/{engagement_id}/events"),
    ("get", "/api/engagements/{engagement_id}/derived-events"),
    ("get", "/api/conferences"),
    ("get", "/api/generations"),
    ("post", "/api/generations"),
    ("get", "/api/generations/{generation_id}"),
    ("post", "/api/generations/{generation_id}/activate"),
    ("get", "/api/diff"),
    ("get", "/api/exports/{table}"),
    ("get", "/api/derived-events"),
    ("get", "/api/derived-events/stream"),
    ("get", "/api/openapi.json"),
];

/// The `/api` routes, to merge into [`crate::routes`].
pub fn router() -> Router<AppState> {
    let api = Router::new()
        .route("/engagements", get(engagements::search))
        .route("/engagements/{engagement_id}", get(engagements::detail))
        .route(
            "/engagements/{engagement_id}/events",
            get(engagements::events),
        )
        .route(
            "/engagements/{engagement_id}/derived-events",
            get(engagements::derived_events),
        )
        .route("/conferences", get(engagements::conferences))
        .route(
            "/generations",
            get(generations::list).post(generations::start),
        )
        .route("/generations/{generation_id}", get(generations::show))
        .route(
            "/generations/{generation_id}/activate",
            post(generations::activate),
        )
        .route("/diff", get(generations::diff))
        .route("/exports/{table}", get(exports::export))
        .route("/derived-events", get(feed::poll))
        .route("/derived-events/stream", get(feed::stream))
        .route("/openapi.json", get(openapi::serve))
        .fallback(unknown_route);
    Router::new().nest("/api", api)
}

/// 401 before 404: an unauthenticated caller learns nothing about which paths exist.
async fn unknown_route(_auth: auth::Authorized, uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "no API route {}; GET /api/openapi.json lists them",
        uri.path()
    ))
}
