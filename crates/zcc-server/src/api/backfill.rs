//! `POST /api/backfill`: recover from Zoom's webhook logs what Zoom gave up delivering, now
//! (the same run `serve` makes on its schedule, [`crate::recovery`]; one at a time).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zcc_zoom::Window;

use super::auth::Authorized;
use super::openapi::{BadGateway, BadRequest, Conflict, Unauthorized, ZoomUnavailable};
use super::params::QueryParams;
use crate::AppState;
use crate::error::ApiError;

/// The body of `POST /api/backfill` (all optional; no body is `{}`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBackfill {
    /// Start of the window (RFC 3339, or a date: its midnight UTC), within the last 7 days
    /// (Zoom keeps its logs no longer). Default: 7 days ago.
    pub since: Option<String>,
    /// End of the window (RFC 3339, or a date: its midnight UTC). Default: now.
    pub until: Option<String>,
    /// Read every delivery attempt, not only the failed ones: a completeness audit.
    #[serde(default)]
    #[schema(default = false)]
    pub all: bool,
}

/// What a backfill did. `read` = `recovered` + `already_present` + `rejected` + `skipped`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BackfillDone {
    /// The window read.
    #[schema(format = DateTime)]
    pub since: String,
    #[schema(format = DateTime)]
    pub until: String,
    pub all: bool,
    /// Delivery attempts read from Zoom.
    pub read: u64,
    /// Bodies appended to the log now.
    pub recovered: u64,
    /// Attempts whose body the log already held.
    pub already_present: u64,
    /// Attempts whose body is not a webhook envelope (quarantined, once).
    pub rejected: u64,
    /// Attempts with nothing to recover (no body, Zoom's URL validation).
    pub skipped: u64,
}

fn time(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|v| {
            zcc_export::time::parse_instant(v).map_err(|e| {
                ApiError::BadRequest(format!(
                    "body field `{name}`: {v:?} is not an RFC 3339 time or a date ({e}); \
                     examples: 2026-05-04T14:00:00Z, 2026-05-04"
                ))
            })
        })
        .transpose()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[utoipa::path(
    post,
    path = "/backfill",
    tag = "zoom",
    summary = "Recover from Zoom's webhook logs every body the log lacks (failed deliveries of \
               the last 7 days by default), and answer what was done.",
    request_body(content = StartBackfill, description = "Optional; no body reads the failed \
                 deliveries of the last 7 days."),
    responses(
        (status = 200, body = BackfillDone, description = "The run's summary."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 409, response = inline(Conflict)),
        (status = 502, response = inline(BadGateway)),
        (status = 503, response = inline(ZoomUnavailable)),
    )
)]
#[tracing::instrument(name = "api.backfill", skip_all)]
pub async fn start(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
    body: axum::body::Bytes,
) -> Result<Json<BackfillDone>, ApiError> {
    params.only(&[])?;
    let request: StartBackfill = if body.iter().all(u8::is_ascii_whitespace) {
        StartBackfill::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::BadRequest(format!(
                "the body is not {{\"since\": RFC3339, \"until\": RFC3339, \"all\": false}} \
                 (each optional): {e}"
            ))
        })?
    };
    let now = Utc::now();
    // As far back as Zoom keeps its logs (a minute inside, so the request is still within them
    // when it arrives): Zoom refuses anything older.
    let kept = crate::recovery::scheduled_window(now).from;
    let until = time("until", request.until.as_deref())?.unwrap_or(now);
    let since = time("since", request.since.as_deref())?.unwrap_or(kept);
    if since < kept - chrono::Duration::minutes(1) {
        return Err(ApiError::BadRequest(format!(
            "body field `since` {} is older than the 7 days Zoom keeps its webhook logs \
             (the oldest: {})",
            rfc3339(since),
            rfc3339(kept)
        )));
    }
    let window = Window::new(since, until).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "body field `since` {} is not before `until` {}",
            rfc3339(since),
            rfc3339(until)
        ))
    })?;
    // A run once started finishes, even if the caller goes away: its own task.
    let all = request.all;
    let run_state = state.clone();
    let summary = tokio::spawn(async move {
        let recovery = run_state.recovery().clone();
        recovery.run(&run_state, window, all).await
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the backfill task failed: {e}")))??;
    Ok(Json(BackfillDone {
        since: rfc3339(since),
        until: rfc3339(until),
        all: request.all,
        read: summary.read,
        recovered: summary.recovered,
        already_present: summary.already_present,
        rejected: summary.rejected,
        skipped: summary.skipped,
    }))
}
