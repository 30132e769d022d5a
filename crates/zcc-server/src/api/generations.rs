//! Generations: list, start a rebuild (a background task; progress is polled), activate, diff.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zcc_projector::{Progress, RebuildOptions, RebuildReport};
use zcc_store::projection::{Generation, GenerationId, GenerationState};

use super::auth::Authorized;
use super::openapi::{BadRequest, Conflict, NotFound, Unauthorized, Unavailable};
use super::params::{QueryParams, rfc3339_ms};
use super::query::{DiffQuery, GenerationPath};
use super::schemas::{self, GenerationList, GenerationStateName, RebuildStarted};
use crate::AppState;
use crate::error::ApiError;

/// What the server knows of the rebuilds it started (kept in memory: a rebuild started by the
/// CLI or before a restart shows only its stored state and checkpoint).
#[derive(Debug, Default, Clone)]
pub struct Rebuilds(Arc<Mutex<HashMap<GenerationId, RebuildStatus>>>);

/// One rebuild started through the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RebuildStatus {
    /// `running`, `done` or `failed`.
    #[schema(value_type = String)]
    pub status: &'static str,
    /// The latest progress report.
    #[schema(value_type = Option<schemas::Progress>)]
    pub progress: Option<Progress>,
    /// What the rebuild did, once done.
    #[schema(value_type = Option<schemas::RebuildReport>)]
    pub report: Option<RebuildReport>,
    /// Why it failed.
    pub error: Option<String>,
}

impl Rebuilds {
    fn update(&self, id: GenerationId, f: impl FnOnce(&mut RebuildStatus)) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(id).or_insert_with(|| RebuildStatus {
            status: "running",
            progress: None,
            report: None,
            error: None,
        });
        f(entry);
    }

    fn get(&self, id: GenerationId) -> Option<RebuildStatus> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&id).cloned()
    }
}

/// A generation as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Generation)]
pub struct GenerationView {
    pub id: i64,
    pub rule_name: String,
    /// The rule identity (name, version and a hash of the parameters).
    pub rule: String,
    /// The rule's parameters.
    #[schema(value_type = Object)]
    pub params: Value,
    #[schema(value_type = GenerationStateName)]
    pub state: &'static str,
    /// The last log position folded into it.
    pub checkpoint: i64,
    /// The log's size now.
    pub log_head: i64,
    /// Positions not folded yet (`log_head - checkpoint`).
    pub behind: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// For a rebuild this server started: running/done/failed, progress, report or error.
    pub rebuild: Option<RebuildStatus>,
}

fn view(g: Generation, head: i64, rebuilds: &Rebuilds) -> GenerationView {
    GenerationView {
        id: g.id.0,
        rule_name: g.rule_name,
        rule: g.rule_identity,
        params: serde_json::from_str(&g.params).unwrap_or(Value::String(g.params)),
        state: g.state.as_str(),
        checkpoint: g.checkpoint.0,
        log_head: head,
        behind: (head - g.checkpoint.0).max(0),
        created_at: rfc3339_ms(g.created_at_ms),
        rebuild: rebuilds.get(g.id),
    }
}

/// `GET /api/generations`: every generation, oldest first.
#[utoipa::path(
    get,
    path = "/generations",
    tag = "generations",
    summary = "Every generation, oldest first, with state and checkpoint against the log head.",
    responses(
        (status = 200, body = GenerationList, description = "The generations."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.generations.list", skip_all)]
pub async fn list(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    params.only(&[])?;
    let store = state.store();
    let head = store.head().await?.size;
    let items: Vec<GenerationView> = store
        .generations()
        .await?
        .into_iter()
        .map(|g| view(g, head, state.rebuilds()))
        .collect();
    Ok(Json(
        serde_json::json!({ "items": items, "log_head": head }),
    ))
}

fn generation_id(raw: &str) -> Result<GenerationId, ApiError> {
    raw.parse::<i64>()
        .map(GenerationId)
        .map_err(|_| ApiError::NotFound(format!("no generation {raw:?} (ids are whole numbers)")))
}

/// `GET /api/generations/{id}`: state and progress (checkpoint against the log's head).
#[utoipa::path(
    get,
    path = "/generations/{generation_id}",
    tag = "generations",
    summary = "One generation's state and progress.",
    params(GenerationPath),
    responses(
        (status = 200, body = GenerationView, description = "The generation."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.generations.show", skip_all, fields(generation = %id))]
pub async fn show(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<Json<GenerationView>, ApiError> {
    params.only(&[])?;
    let id = generation_id(&id)?;
    let store = state.store();
    let g = store
        .generation(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no generation {id}")))?;
    let head = store.head().await?.size;
    Ok(Json(view(g, head, state.rebuilds())))
}

/// The body of `POST /api/generations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRebuild {
    /// The rule's name (`zcc-ledger rules` lists them).
    #[schema(examples("correlated"))]
    pub rule: String,
    /// The rule's parameters, `{"name": "value"}`.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Make the generation active once it is built.
    #[serde(default)]
    #[schema(default = false)]
    pub activate: bool,
}

/// `POST /api/generations`: create a generation of the rule (state `building`) and rebuild it
/// from position 1 in a background task while the active one keeps serving. 202 with its id.
#[utoipa::path(
    post,
    path = "/generations",
    tag = "generations",
    summary = "Start rebuilding a rule's generation from the whole log in the background.",
    request_body = StartRebuild,
    responses(
        (status = 202, body = RebuildStarted,
         description = "The rebuild started; poll the `progress` URL (also in `Location`).",
         headers(("Location" = String, description = "The `progress` URL."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.generations.start", skip_all)]
pub async fn start(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    params.only(&[])?;
    let request: StartRebuild = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body is not {{\"rule\": NAME, \"params\": {{\"k\": \"v\"}}, \"activate\": \
             false}}: {e}"
        ))
    })?;
    let pairs: Vec<String> = request
        .params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let rule = zcc_projector::build_rule(&request.rule, &pairs)?;
    let identity = rule.identity();
    let store = state.store().clone();
    let generation = store
        .create_generation(
            &identity.name,
            &identity.to_string(),
            &zcc_projector::params_json(&identity),
        )
        .await?;
    let id = generation.id;
    let rebuilds = state.rebuilds().clone();
    rebuilds.update(id, |_| {});
    let activate = request.activate;
    let live = state.live_notifier();
    tokio::spawn(async move {
        let sink_rebuilds = rebuilds.clone();
        let sink = move |p: &Progress| sink_rebuilds.update(id, |s| s.progress = Some(p.clone()));
        let scan = store.clone().log_scan();
        let outcome = zcc_projector::resume(
            &*store,
            id,
            activate,
            RebuildOptions::default(),
            scan,
            &sink,
        )
        .await;
        match outcome {
            Ok(report) => {
                tracing::info!(%report, "rebuild finished");
                rebuilds.update(id, |s| {
                    s.status = "done";
                    s.report = Some(report);
                });
                // Anything appended since the rebuild's last catch-up is the live projector's.
                if let Some(notify) = live {
                    notify();
                }
            }
            Err(e) => {
                tracing::error!(generation = %id, error = %e, "rebuild failed");
                rebuilds.update(id, |s| {
                    s.status = "failed";
                    s.error = Some(e.to_string());
                });
            }
        }
    });
    let location = format!("/api/generations/{id}");
    let body = serde_json::json!({
        "generation": id.0,
        "rule": identity.to_string(),
        "state": GenerationState::Building.as_str(),
        "activate": activate,
        "progress": location,
    });
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

/// `POST /api/generations/{id}/activate`: make a ready generation the active one, atomically.
#[utoipa::path(
    post,
    path = "/generations/{generation_id}/activate",
    tag = "generations",
    summary = "Make a ready generation the active one, atomically.",
    params(GenerationPath),
    responses(
        (status = 200, body = schemas::ActivateReport, description = "Activated."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 409, response = inline(Conflict)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.generations.activate", skip_all, fields(generation = %id))]
pub async fn activate(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<Json<zcc_projector::ActivateReport>, ApiError> {
    params.only(&[])?;
    let id = generation_id(&id)?;
    let report = zcc_projector::activate(&**state.store(), id).await?;
    Ok(Json(report))
}

/// `GET /api/diff?base=ID&candidate=ID`: the engagements whose derived facts differ.
#[utoipa::path(
    get,
    path = "/diff",
    tag = "generations",
    summary = "The engagements whose derived facts differ between two generations, with a \
               summary of the kinds of difference.",
    params(DiffQuery),
    responses(
        (status = 200, body = schemas::DiffReport, description = "The difference."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.diff", skip_all)]
pub async fn diff(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<zcc_projector::DiffReport>, ApiError> {
    params.only(&["base", "candidate"])?;
    let required = |name: &str| -> Result<GenerationId, ApiError> {
        params
            .int(name)?
            .map(GenerationId)
            .ok_or_else(|| ApiError::BadRequest(format!("parameter `{name}` is required")))
    };
    let base = required("base")?;
    let candidate = required("candidate")?;
    let report = zcc_projector::diff(&**state.store(), base, candidate).await?;
    Ok(Json(report))
}
