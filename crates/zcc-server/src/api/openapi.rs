//! `GET /api/openapi.json`: the OpenAPI 3.1 document of `/api`, written by hand next to the
//! router ([`super::ROUTES`]); a test checks that every route is in it and the reverse.

// The builders below take their parts by value so the document reads as one expression;
// `json!` only borrows them.
#![allow(clippy::needless_pass_by_value)]

use axum::Json;
use serde_json::{Value, json};

use super::auth::Authorized;
use super::params::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::ApiError;

pub async fn serve(_auth: Authorized) -> Result<Json<Value>, ApiError> {
    Ok(Json(document()))
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn required_query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": true, "description": description, "schema": schema})
}

fn path(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema})
}

fn time(name: &str, description: &str) -> Value {
    query(
        name,
        description,
        json!({"type": "string", "format": "date-time"}),
    )
}

fn generation_params() -> Vec<Value> {
    vec![
        query(
            "generation",
            "Read this generation (an id). Excludes `rule`. Default: the active generation.",
            json!({"type": "integer"}),
        ),
        query(
            "rule",
            "Read the active generation of this rule if it runs it, else its newest ready one \
             (a name, `name@version`, or a full identity).",
            json!({"type": "string"}),
        ),
    ]
}

fn limit() -> Value {
    query(
        "limit",
        "Items per page.",
        json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
    )
}

fn search_params() -> Vec<Value> {
    let mut p = vec![
        time(
            "since",
            "Engagements started at or after this time (RFC 3339).",
        ),
        time("until", "Engagements started before this time (RFC 3339)."),
        query(
            "agent",
            "Only engagements with this agent or supervisor (user id).",
            json!({"type": "string"}),
        ),
        query(
            "queue",
            "Only engagements routed through this queue id.",
            json!({"type": "string"}),
        ),
        query(
            "has_conference",
            "Only engagements with (true) or without (false) a conference.",
            json!({"type": "boolean"}),
        ),
        limit(),
        query(
            "cursor",
            "The previous page's `next_cursor` (opaque).",
            json!({"type": "string"}),
        ),
    ];
    p.extend(generation_params());
    p
}

fn ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn errors(codes: &[&str]) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    for code in codes {
        let description = match *code {
            "400" => "A bad parameter, named in the message.",
            "401" => "Missing or wrong bearer token.",
            "404" => "Unknown engagement, generation, table or route.",
            "409" => "The generation is in a state the operation does not apply to.",
            _ => "Storage unavailable; try again later.",
        };
        m.insert(
            (*code).to_owned(),
            json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    m
}

fn op(
    summary: &str,
    parameters: Vec<Value>,
    success: (&str, Value),
    error_codes: &[&str],
) -> Value {
    let mut responses = errors(error_codes);
    responses.insert(success.0.to_owned(), success.1);
    json!({"summary": summary, "parameters": parameters, "responses": responses})
}

fn page(item: Value) -> Value {
    json!({"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": item},
        "next_cursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last page."}
    }})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The whole document.
pub fn document() -> Value {
    let std_errors = ["400", "401", "503"];
    let with_404 = ["400", "401", "404", "503"];
    let engagement_id = path(
        "engagement_id",
        "The engagement id.",
        json!({"type": "string"}),
    );
    let generation_id = path(
        "generation_id",
        "The generation id.",
        json!({"type": "integer"}),
    );
    let feed_after = query(
        "after",
        "Resume after this cursor (an item's `cursor` or a page's `next_cursor`: `P` or `P:K`). Default: the start of the log.",
        json!({"type": "string"}),
    );
    let mut feed_params = vec![feed_after.clone(), limit()];
    feed_params.extend(generation_params());
    let mut stream_params = vec![feed_after];
    stream_params.extend(generation_params());
    stream_params.push(json!({"name": "Last-Event-ID", "in": "header", "required": false,
        "description": "Sent by a reconnecting SSE client; wins over `after`.", "schema": {"type": "string"}}));
    let mut export_params = vec![
        path(
            "table",
            "engagements, legs, holds, transfers, conference_invitations, conferences, supervision, derived_events or events.",
            json!({"type": "string"}),
        ),
        query(
            "format",
            "File format.",
            json!({"type": "string", "enum": ["jsonl", "csv", "parquet"], "default": "jsonl"}),
        ),
        time(
            "since",
            "Rows whose time (event time for `events`, else the start of the row's interval) is at or after this.",
        ),
        time("until", "Rows whose time is before this."),
    ];
    export_params.extend(generation_params());

    let mut search = op(
        "Search engagements, ordered by (started_at, engagement_id).",
        search_params(),
        (
            "200",
            ok(
                "One page of engagement summaries (rows of the `engagements` export).",
                page(reference("Row")),
            ),
        ),
        &with_404,
    );
    search["description"] = json!("Engagements without a known start are not listed.");

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "zcc-ledger API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Call history derived from Zoom Contact Center webhooks, with the raw events behind it. See docs/API.md."
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/engagements": {"get": search},
            "/api/engagements/{engagement_id}": {"get": op(
                "One engagement: the projection (call model and derived events) of the chosen generation and the raw events.",
                [vec![engagement_id.clone()], generation_params()].concat(),
                ("200", ok("The detail.", reference("Detail"))),
                &with_404,
            )},
            "/api/engagements/{engagement_id}/events": {"get": op(
                "The engagement's raw events in log order.",
                vec![engagement_id.clone()],
                ("200", ok("The raw events.", json!({"type": "object", "properties": {
                    "engagement_id": {"type": "string"},
                    "items": {"type": "array", "items": reference("RawEvent")}}}))),
                &with_404,
            )},
            "/api/engagements/{engagement_id}/derived-events": {"get": op(
                "The engagement's derived events (rows of the `derived_events` export).",
                [vec![engagement_id], generation_params()].concat(),
                ("200", ok("The derived events.", json!({"type": "object", "properties": {
                    "engagement_id": {"type": "string"},
                    "generation": reference("GenerationRef"),
                    "items": {"type": "array", "items": reference("Row")}}}))),
                &with_404,
            )},
            "/api/conferences": {"get": op(
                "Rows of the `conferences` table over an engagement search; `since`/`until` apply to each conference's start and `limit` counts engagements.",
                search_params(),
                ("200", ok("One page of conference rows.", page(reference("Row")))),
                &with_404,
            )},
            "/api/generations": {
                "get": op(
                    "Every generation, oldest first, with state and checkpoint against the log head.",
                    vec![],
                    ("200", ok("The generations.", json!({"type": "object", "properties": {
                        "items": {"type": "array", "items": reference("Generation")},
                        "log_head": {"type": "integer"}}}))),
                    &std_errors,
                ),
                "post": {
                    "summary": "Start rebuilding a rule's generation from the whole log in the background.",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["rule"], "additionalProperties": false,
                        "properties": {
                            "rule": {"type": "string", "examples": ["correlated"]},
                            "params": {"type": "object", "additionalProperties": {"type": "string"}},
                            "activate": {"type": "boolean", "default": false}}}}}},
                    "responses": {
                        "202": ok("The rebuild started; poll the `progress` URL (also in `Location`).", json!({"type": "object", "properties": {
                            "generation": {"type": "integer"}, "rule": {"type": "string"},
                            "state": {"type": "string"}, "activate": {"type": "boolean"},
                            "progress": {"type": "string"}}})),
                        "400": errors(&["400"])["400"],
                        "401": errors(&["401"])["401"],
                        "503": errors(&["503"])["503"]
                    }
                }
            },
            "/api/generations/{generation_id}": {"get": op(
                "One generation's state and progress.",
                vec![generation_id.clone()],
                ("200", ok("The generation.", reference("Generation"))),
                &with_404,
            )},
            "/api/generations/{generation_id}/activate": {"post": op(
                "Make a ready generation the active one, atomically.",
                vec![generation_id],
                ("200", ok("Activated.", json!({"type": "object", "properties": {
                    "activated": {"type": "integer"}, "rule_identity": {"type": "string"},
                    "previous": {"type": ["integer", "null"]}}}))),
                &["401", "404", "409", "503"],
            )},
            "/api/diff": {"get": op(
                "The engagements whose derived facts differ between two generations, with a summary of the kinds of difference.",
                vec![
                    required_query("base", "The base generation id.", json!({"type": "integer"})),
                    required_query("candidate", "The candidate generation id.", json!({"type": "integer"})),
                ],
                ("200", ok("The difference.", json!({"type": "object", "properties": {
                    "base": {"type": "integer"}, "base_rule": {"type": "string"},
                    "candidate": {"type": "integer"}, "candidate_rule": {"type": "string"},
                    "engagements": {"type": "integer"}, "differing": {"type": "integer"},
                    "kinds": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "engagement_diffs": {"type": "array", "items": {"type": "object", "properties": {
                        "engagement_id": {"type": "string"},
                        "kinds": {"type": "array", "items": {"type": "string"}}}}}}}))),
                &with_404,
            )},
            "/api/exports/{table}": {"get": {
                "summary": "Stream one export table. The manifest follows as the HTTP trailer `x-zcc-manifest` (send `TE: trailers`); Parquet also embeds it.",
                "parameters": export_params,
                "responses": {
                    "200": {"description": "The file, streamed.", "headers": {"Trailer": {"schema": {"type": "string"}, "description": "x-zcc-manifest"}},
                        "content": {
                            "application/x-ndjson": {"schema": {"type": "string"}},
                            "text/csv": {"schema": {"type": "string"}},
                            "application/vnd.apache.parquet": {"schema": {"type": "string", "contentMediaType": "application/vnd.apache.parquet"}}}},
                    "400": errors(&["400"])["400"], "401": errors(&["401"])["401"],
                    "404": errors(&["404"])["404"], "503": errors(&["503"])["503"]
                }
            }},
            "/api/derived-events": {"get": op(
                "Poll the derived-event feed after a cursor.",
                feed_params,
                ("200", ok("Feed items and where to resume.", json!({"type": "object",
                    "required": ["items", "next_cursor", "checkpoint"], "properties": {
                    "items": {"type": "array", "items": reference("FeedItem")},
                    "next_cursor": {"type": "string"},
                    "checkpoint": {"type": "integer"}}}))),
                &with_404,
            )},
            "/api/derived-events/stream": {"get": {
                "summary": "The derived-event feed as Server-Sent Events (`event: derived_event`, `id:` the item's cursor, `data:` a FeedItem).",
                "parameters": stream_params,
                "responses": {
                    "200": {"description": "An endless event stream.", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                    "400": errors(&["400"])["400"], "401": errors(&["401"])["401"],
                    "404": errors(&["404"])["404"]
                }
            }},
            "/api/openapi.json": {"get": op(
                "This document.",
                vec![],
                ("200", ok("OpenAPI 3.1.", json!({"type": "object"}))),
                &["401"],
            )}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                "description": "The API token (ZCC_API_TOKEN). Without one configured the API is open on loopback."}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string", "enum": ["bad_request", "unauthorized", "not_found", "conflict", "unavailable", "internal", "payload_too_large"]},
                        "message": {"type": "string"}}}}},
                "Row": {"type": "object", "description": "A row of an export table: field names as the JSON Lines export, times RFC 3339 UTC with milliseconds, lists as arrays."},
                "GenerationRef": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "rule": {"type": "string"},
                    "state": {"type": "string", "enum": ["building", "ready", "active", "retired"]},
                    "checkpoint": {"type": "integer"}}},
                "Generation": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "rule_name": {"type": "string"}, "rule": {"type": "string"},
                    "params": {"type": "object"},
                    "state": {"type": "string", "enum": ["building", "ready", "active", "retired"]},
                    "checkpoint": {"type": "integer"}, "log_head": {"type": "integer"}, "behind": {"type": "integer"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "rebuild": {"type": ["object", "null"], "description": "For a rebuild this server started: status (running, done, failed), progress, report, error."}}},
                "RawEvent": {"type": "object", "properties": {
                    "position": {"type": "integer"}, "received_at": {"type": "string", "format": "date-time"},
                    "event": {"type": "string"}, "event_time": {"type": "string", "format": "date-time"},
                    "account_id": {"type": ["string", "null"]}, "engagement_id": {"type": ["string", "null"]},
                    "source": {"type": "string", "enum": ["http", "import"]},
                    "body_sha256": {"type": "string"}, "hash": {"type": "string"},
                    "body": {"type": "string", "description": "The exact bytes received."}}},
                "Detail": {"type": "object", "properties": {
                    "engagement_id": {"type": "string"},
                    "generation": reference("GenerationRef"),
                    "projection": {"type": ["object", "null"], "description": "The stored projection: rule, engagement, legs, holds, transfers, conference_invitations, conferences (with Zoom's conference_id, external_participants and the api_call that started one, where there were), supervision, derived_events, and diagnostics (kind, message, evidence: where explicit conference events were incomplete, unreadable or contradicted the legs; absent when none). Times in ms since the epoch, evidence as log positions."},
                    "events": {"type": "array", "items": reference("RawEvent")}}},
                "FeedItem": {"type": "object", "properties": {
                    "cursor": {"type": "string"}, "position": {"type": "integer"},
                    "generation": {"type": "integer"}, "event": reference("Row")}}
            }
        }
    })
}
