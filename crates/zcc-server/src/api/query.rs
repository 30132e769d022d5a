//! The query parameters of each resource as the OpenAPI document describes them
//! ([`utoipa::IntoParams`]): their names, types and descriptions. The handlers parse the query
//! string strictly with [`super::params::QueryParams`]; the OpenAPI test checks, over HTTP, that the
//! names a handler accepts are exactly the names its operation documents.

use utoipa::IntoParams;

/// `generation` or `rule`: which generation a resource reads.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GenerationQuery {
    /// Read this generation (an id). Excludes `rule`. Default: the active generation.
    pub generation: Option<i64>,
    /// Read the active generation of this rule if it runs it, else its newest ready one (a name,
    /// `name@version`, or a full identity).
    pub rule: Option<String>,
}

/// `GET /api/engagements` and `GET /api/conferences`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Free text: engagements matching every word (case-insensitive). A word matches a part of
    /// an agent's, a supervisor's or the customer's display name, a part of the customer's
    /// number (digits; `+`, spaces, dashes, dots and brackets are ignored, so `+1 555-0100`
    /// and `15550100` find the same call), or the beginning of the engagement id.
    #[param(example = "garcia +1 555")]
    pub q: Option<String>,
    /// `newest` (the default) or `oldest` first, by (started_at, engagement_id).
    #[param(inline, value_type = Option<SortOrder>)]
    pub sort: Option<String>,
    /// Engagements started at or after this time (RFC 3339, or a date: its midnight UTC).
    pub since: Option<String>,
    /// Engagements started before this time (RFC 3339, or a date: its midnight UTC).
    pub until: Option<String>,
    /// Only engagements with this agent or supervisor (user id).
    pub agent: Option<String>,
    /// Only engagements routed through this queue id.
    pub queue: Option<String>,
    /// Only engagements with (true) or without (false) a conference.
    pub has_conference: Option<bool>,
    /// Items per page.
    // The bounds are [`super::params::MAX_LIMIT`] and [`super::params::DEFAULT_LIMIT`]; a test
    // below keeps them equal.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor` (opaque).
    pub cursor: Option<String>,
}

/// The order of a search.
#[derive(Debug, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum SortOrder {
    Newest,
    Oldest,
}

/// An engagement named in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EngagementPath {
    /// The engagement id.
    pub engagement_id: String,
}

/// A generation named in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct GenerationPath {
    /// The generation id.
    pub generation_id: i64,
}

/// `GET /api/reconcile`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReconcileQuery {
    /// Calls that started at or after this time (RFC 3339, or a date: its midnight UTC). Required.
    pub since: String,
    /// Calls that started before this time (RFC 3339, or a date: its midnight UTC). Required.
    pub until: String,
    /// Also compare hold and conference bounds with Zoom's engagement timelines.
    #[param(default = false)]
    pub timelines: Option<bool>,
}

/// `GET` and `POST /api/evaluate`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluateQuery {
    /// The rule to score (`correlated`, `party-count@1`, ...). Required.
    pub rule: String,
    /// When the account began receiving conference events (RFC 3339, or a date): every call that began
    /// after it is scored, one without explicit events as having no conference.
    pub since: Option<String>,
    /// Rule parameters as `k=v`, several comma-separated.
    pub param: Option<String>,
}

/// `GET /api/diff`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The base generation id.
    pub base: i64,
    /// The candidate generation id.
    pub candidate: i64,
}

/// The export file formats, as `format` takes them.
#[derive(Debug, utoipa::ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ExportFormat {
    Jsonl,
    /// CSV safe to open in a spreadsheet: a text cell that would run as a formula (`=`, `+`,
    /// `-`, `@`, tab, carriage return first) gets a leading `'`.
    Csv,
    /// CSV with every cell exactly as received.
    CsvRaw,
    Parquet,
}

/// The table of `GET /api/exports/{table}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TablePath {
    /// engagements, legs, holds, transfers, conference_invitations, conferences, supervision,
    /// derived_events or events.
    pub table: String,
}

/// `GET /api/exports/{table}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// File format. Default: `jsonl`.
    #[param(inline, value_type = Option<ExportFormat>)]
    pub format: Option<String>,
    /// Rows whose time (event time for `events`, else the start of the row's interval) is at or
    /// after this (RFC 3339, or a date: its midnight UTC).
    pub since: Option<String>,
    /// Rows whose time is before this (RFC 3339, or a date: its midnight UTC).
    pub until: Option<String>,
}

/// The feed's `after`, shared by polling and the stream.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterQuery {
    /// Resume after this cursor (an item's `cursor` or a page's `next_cursor`: `P` or `P:K`).
    /// Default: the start of the log.
    pub after: Option<String>,
}

/// The page size of a feed poll.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// Items per page.
    // The bounds are [`super::params::MAX_LIMIT`] and [`super::params::DEFAULT_LIMIT`]; a test
    // below keeps them equal.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    pub limit: Option<i64>,
}

/// The header a reconnecting Server-Sent Events client sends.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct LastEventId {
    /// Sent by a reconnecting SSE client; wins over `after`.
    #[param(rename = "Last-Event-ID", required = false)]
    pub last_event_id: String,
}

#[cfg(test)]
mod tests {
    use utoipa::IntoParams;

    use super::{LimitQuery, SearchQuery};
    use crate::api::params::{DEFAULT_LIMIT, MAX_LIMIT};

    #[test]
    fn the_documented_limit_is_the_handlers_limit() {
        for params in [
            SearchQuery::into_params(|| None),
            LimitQuery::into_params(|| None),
        ] {
            let limit = params
                .iter()
                .find(|p| p.name == "limit")
                .expect("a `limit`");
            let schema = serde_json::to_value(&limit.schema).unwrap();
            assert_eq!(schema["minimum"], 1, "{schema}");
            assert_eq!(schema["maximum"], MAX_LIMIT, "{schema}");
            assert_eq!(schema["default"], DEFAULT_LIMIT, "{schema}");
        }
    }
}

/// `GET /api/quarantine`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuarantineListQuery {
    /// Only entries received at or after this time (RFC 3339, or a date: its midnight UTC).
    pub since: Option<String>,
    /// Items per page.
    #[param(minimum = 1, maximum = 1000, default = 50)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor` (opaque).
    pub cursor: Option<String>,
}

/// A quarantine entry named in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct QuarantinePath {
    /// The entry's id (`GET /api/quarantine` lists them).
    pub quarantine_id: i64,
}
