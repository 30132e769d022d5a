//! `/healthz` (the process answers) and `/readyz` (storage answers and can take a write:
//! [`zcc_store::EventLog::ready`]). `/readyz`'s details also say when the last signed webhook
//! arrived and what the backfill from Zoom's webhook logs last came to
//! ([`crate::recovery::RecoveryStatus`]): information, not readiness (a failed backfill does not
//! make the receiver unready).

use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use zcc_store::StoreError;

use crate::AppState;
use crate::error::ApiError;

/// How long `/readyz` waits for storage before calling it unavailable.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

#[tracing::instrument(skip_all)]
async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

#[tracing::instrument(skip_all)]
async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let log = state.log();
    match tokio::time::timeout(READY_TIMEOUT, log.ready()).await {
        Ok(Ok(())) => Ok(Json(json!({
            "status": "ready",
            "backend": log.backend(),
            "last_webhook_at": state.last_webhook_at(),
            "backfill": state.recovery().status(),
        }))),
        Ok(Err(e)) => Err(ApiError::Unavailable(e)),
        Err(_) => Err(ApiError::Unavailable(StoreError::Unavailable(format!(
            "{} did not say whether it takes a write within {} s",
            log.backend(),
            READY_TIMEOUT.as_secs()
        )))),
    }
}
