//! The server's two errors: [`ServeError`] (the server cannot start or stopped abnormally) and
//! [`ApiError`] (one request is refused; it renders itself as the HTTP answer).

use std::net::SocketAddr;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
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

    #[error("storage unavailable")]
    Unavailable(#[source] StoreError),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable, machine-readable code in the answer's body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unavailable(_) => "unavailable",
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
        let message = match &self {
            ApiError::Unavailable(cause) => {
                tracing::error!(error = %cause, "answering 503: storage unavailable");
                "storage is unavailable; try again later".to_owned()
            }
            other => other.to_string(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
            },
        };
        (status, Json(body)).into_response()
    }
}
