//! The server's two errors: [`ServeError`] (the server cannot start or stopped abnormally) and
//! [`ApiError`] (one request is refused; it renders itself as the HTTP answer).

use std::net::SocketAddr;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zcc_app::call::{CallError, Unreadable};
use zcc_app::export::ExportFailed;
use zcc_app::select::SelectError;
use zcc_store::StoreError;

/// Why `serve` cannot start, or stopped other than by its shutdown signal.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("no webhook secret configured: set ZCC_WEBHOOK_SECRET or pass --webhook-secret")]
    NoWebhookSecret,

    #[error(
        "refusing to listen on {addr}, beyond loopback, without an API token: \
         set ZCC_API_TOKEN or pass --api-token, or listen on 127.0.0.1"
    )]
    PublicWithoutToken { addr: SocketAddr },

    #[error("bad setting {setting}: {reason}")]
    Invalid {
        setting: &'static str,
        reason: String,
    },

    #[error("cannot prepare the projections: {0}")]
    Projections(String),

    #[error("cannot start outbound delivery: {0}")]
    Delivery(String),

    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// A refused request. 4xx answers carry `{"error": {"code": ..., "message": ...}}` naming what
/// was wrong; 5xx answers are opaque to the caller and their cause is logged once, here.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },

    #[error("{0}")]
    Unauthorized(String),

    #[error("{0}")]
    BadRequest(String),

    /// The request did not arrive in time (a stalled body).
    #[error("{0}")]
    RequestTimeout(String),

    /// An unknown engagement, generation or route.
    #[error("{0}")]
    NotFound(String),

    /// The request is valid but does not apply now (activating a generation still building).
    #[error("{0}")]
    Conflict(String),

    #[error("storage unavailable")]
    Unavailable(#[source] StoreError),

    /// What the request needs is not configured on this server (Zoom's API credentials); the
    /// message says what to set.
    #[error("{0}")]
    NotConfigured(String),

    /// Zoom's API failed or refused (its credentials, its rate limits, its outage); the
    /// message names the endpoint and Zoom's answer, never a secret.
    #[error("{0}")]
    BadGateway(String),

    /// A fault of the server itself (an unreadable stored document, a failed task). Opaque to
    /// the caller; logged once.
    #[error("internal error")]
    Internal(String),
}

/// Storage errors by kind: what may pass (the database is locked, full, gone) is a 503, so the
/// caller tries again; anything else (a corrupt row, a refused write, a driver fault) is a fault
/// of this server or its data, a 500 whose cause is logged. The webhook receiver answers every
/// storage failure with a 503 regardless (SPEC I2: Zoom retries a 5xx, and a 503 says "later").
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        if e.is_transient() {
            ApiError::Unavailable(e)
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

impl From<SelectError> for ApiError {
    fn from(e: SelectError) -> ApiError {
        match e {
            SelectError::Store(e) => e.into(),
            e @ SelectError::Both => ApiError::BadRequest(e.to_string()),
            e @ SelectError::Building { .. } => ApiError::Conflict(e.to_string()),
            e => ApiError::NotFound(e.to_string()),
        }
    }
}

impl From<CallError> for ApiError {
    fn from(e: CallError) -> ApiError {
        match e {
            CallError::Select(e) => e.into(),
            CallError::Store(e) => e.into(),
            e @ CallError::Unknown(_) => ApiError::NotFound(e.to_string()),
            CallError::Unreadable(e) => e.into(),
        }
    }
}

impl From<Unreadable> for ApiError {
    fn from(e: Unreadable) -> ApiError {
        ApiError::Internal(e.to_string())
    }
}

impl From<ExportFailed> for ApiError {
    fn from(e: ExportFailed) -> ApiError {
        match e {
            ExportFailed::Select(e) => e.into(),
            ExportFailed::CatchUp(e) => e.into(),
            ExportFailed::Export(zcc_export::ExportError::Store(e)) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<zcc_projector::ProjectorError> for ApiError {
    fn from(e: zcc_projector::ProjectorError) -> ApiError {
        use zcc_projector::ProjectorError as P;
        match e {
            P::Store(e) => e.into(),
            P::UnknownGeneration(id) => ApiError::NotFound(format!("no generation {id}")),
            e @ P::WrongState { .. } => ApiError::Conflict(e.to_string()),
            e @ P::Rule { .. } => ApiError::BadRequest(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<zcc_app::backfill::BackfillError> for ApiError {
    fn from(e: zcc_app::backfill::BackfillError) -> ApiError {
        use zcc_app::backfill::BackfillError as B;
        match e {
            e @ B::Zoom(_) => ApiError::BadGateway(e.to_string()),
            B::Store { what, source } if source.is_transient() => ApiError::Unavailable(
                zcc_store::StoreError::Unavailable(format!("{what}: {source}")),
            ),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<crate::recovery::RunError> for ApiError {
    fn from(e: crate::recovery::RunError) -> ApiError {
        use crate::recovery::RunError as R;
        match e {
            e @ R::Busy { .. } => ApiError::Conflict(e.to_string()),
            R::NotConfigured(why) => ApiError::NotConfigured(why),
            R::Failed(e) => e.into(),
        }
    }
}

impl From<zcc_app::reconcile::ReconcileError> for ApiError {
    fn from(e: zcc_app::reconcile::ReconcileError) -> ApiError {
        use zcc_app::reconcile::ReconcileError as R;
        match e {
            e @ (R::Zoom(_) | R::Timelines(_)) => ApiError::BadGateway(e.to_string()),
            R::Store(e) => e.into(),
            R::Select(e) => e.into(),
            R::Unreadable(e) => e.into(),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) | ApiError::NotConfigured(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code in the answer's body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::NotConfigured(_) => "not_configured",
            ApiError::BadGateway(_) => "bad_gateway",
            ApiError::Internal(_) => "internal",
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut failed = None;
        let message = match &self {
            ApiError::Unavailable(cause) => {
                // Logged once per change of state by `storage::observe`, not once per answer.
                failed = Some(crate::storage::StorageFailed(cause.to_string().into()));
                "storage is unavailable; try again later".to_owned()
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "answering 500");
                "internal error; the server logged the cause".to_owned()
            }
            other => other.to_string(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(failed) = failed {
            response.extensions_mut().insert(failed);
        }
        response
    }
}
