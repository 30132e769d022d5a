//! `GET /api/reconcile`: Zoom's own record of each call against the active generation
//! (`zcc_app::reconcile`; `docs/RECONCILE.md` says what is compared).

use axum::Json;
use axum::extract::State;
use zcc_app::reconcile::{ReconcileReport, ReconcileRequest, reconcile};
use zcc_zoom::Window;

use super::auth::Authorized;
use super::openapi::{BadGateway, BadRequest, NotFound, Unauthorized, ZoomUnavailable};
use super::params::QueryParams;
use super::query::ReconcileQuery;
use super::schemas;
use crate::AppState;
use crate::error::ApiError;

#[utoipa::path(
    get,
    path = "/reconcile",
    tag = "zoom",
    summary = "Compare Zoom's engagement dataset (and with `timelines`, its engagement \
               timelines) with the active generation, for the calls that started in a window.",
    params(ReconcileQuery),
    responses(
        (status = 200, body = schemas::ReconcileReport,
         description = "One row per disagreement, and the agreement per field."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 502, response = inline(BadGateway)),
        (status = 503, response = inline(ZoomUnavailable)),
    )
)]
#[tracing::instrument(name = "api.reconcile", skip_all)]
pub async fn report(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<ReconcileReport>, ApiError> {
    params.only(&["since", "until", "timelines"])?;
    let required = |name: &str| {
        params.time(name)?.ok_or_else(|| {
            ApiError::BadRequest(format!(
                "parameter `{name}` is required (RFC 3339; example: 2026-05-04T00:00:00Z)"
            ))
        })
    };
    let (since, until) = (required("since")?, required("until")?);
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let window = Window::new(at(since), at(until)).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "parameter `since` {:?} is not before `until` {:?}",
            params.str("since").unwrap_or_default(),
            params.str("until").unwrap_or_default()
        ))
    })?;
    let request = ReconcileRequest {
        window,
        timelines: params.bool("timelines")?.unwrap_or(false),
    };
    let zoom = state.recovery().zoom()?;
    Ok(Json(reconcile(&**state.store(), zoom, &request).await?))
}
