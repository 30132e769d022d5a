//! `GET /api/evaluate` and `POST /api/evaluate`: score a rule, as `zcc-ledger evaluate` does,
//! against Zoom's explicit conference events (GET) or against a conferences table sent as the
//! body (POST, JSON Lines in the export's shape, such as `simulate --truth` writes).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use zcc_projector::{EvalReport, EvalScope, TruthTable};

use super::auth::Authorized;
use super::openapi::{BadRequest, NotFound, Unauthorized, Unavailable};
use super::params::QueryParams;
use super::query::EvaluateQuery;
use super::schemas;
use crate::AppState;
use crate::error::ApiError;

/// The query parameters both methods take.
const PARAMS: &[&str] = &["rule", "since", "param"];

#[utoipa::path(
    get,
    path = "/evaluate",
    tag = "generations",
    summary = "Score a rule against Zoom's explicit conference events, hidden from the rule while \
               it folds: on the engagements that have them, or with `since` on every engagement \
               that began after it (one without explicit events as having no conference).",
    params(EvaluateQuery),
    responses(
        (status = 200, body = schemas::EvalReport, description = "Precision, recall, F1, errors."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.evaluate", skip_all)]
pub async fn against_explicit(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<EvalReport>, ApiError> {
    score(&state, &params, None).await
}

#[utoipa::path(
    post,
    path = "/evaluate",
    tag = "generations",
    summary = "Score a rule against the conferences table in the body (JSON Lines in the \
               `conferences` export's shape; rows of other tables, as `simulate --truth` writes \
               them, are skipped), so a rule can be improved offline.",
    params(EvaluateQuery),
    request_body(content = String, content_type = "application/x-ndjson",
                 description = "The conferences table, one row per line."),
    responses(
        (status = 200, body = schemas::EvalReport, description = "Precision, recall, F1, errors."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.evaluate.truth", skip_all)]
pub async fn against_truth(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
    body: Bytes,
) -> Result<Json<EvalReport>, ApiError> {
    params.only(PARAMS)?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not UTF-8 text: {e}")))?;
    let truth = TruthTable::from_jsonl("the request body", text).map_err(ApiError::BadRequest)?;
    score(&state, &params, Some(truth)).await
}

async fn score(
    state: &AppState,
    params: &QueryParams,
    truth: Option<TruthTable>,
) -> Result<Json<EvalReport>, ApiError> {
    params.only(PARAMS)?;
    let rule = params
        .text("rule")?
        .ok_or_else(|| ApiError::BadRequest("parameter `rule` is required".into()))?;
    // Rule parameters as the CLI takes them: `k=v`, several comma-separated.
    let rule_params: Vec<String> = params
        .str("param")
        .map(|p| p.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let scope = EvalScope {
        since_ms: params.time("since")?,
        truth,
    };
    let report = zcc_projector::evaluate(&**state.store(), &rule, &rule_params, scope).await?;
    Ok(Json(report))
}
