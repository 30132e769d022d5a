//! `GET /api/openapi.json`: the OpenAPI 3.1 document of `/api`, generated with `utoipa`.
//!
//! Each handler carries its operation (`#[utoipa::path]`: path, parameters, answers) and each
//! answer its schema (`#[derive(ToSchema)]`); the router and this document are both made from
//! one list, [`super::route_table`]. What belongs to no handler is here: the title, the bearer
//! scheme, the tags and the error answers every operation shares.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, ToResponse, ToSchema};

use super::auth::Authorized;
use super::params::QueryParams;
use crate::error::ApiError;

/// The document's frame; the paths and their schemas come from the route table.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "zcc-ledger API",
        description = "Call history derived from Zoom Contact Center webhooks, with the raw \
                       events behind it. See docs/API.md."
    ),
    security(("bearer" = [])),
    modifiers(&BearerScheme),
    tags(
        (name = "engagements", description = "Engagements: search, detail, raw and derived events, conferences."),
        (name = "generations", description = "Generations of rules: list, rebuild, activate, diff."),
        (name = "exports", description = "The export tables, streamed."),
        (name = "feed", description = "The derived-event feed, polled or as Server-Sent Events."),
        (name = "quarantine", description = "The bodies that were refused, with their reasons."),
        (name = "zoom", description = "Zoom's own record: recover what it dropped, compare the call model with it."),
        (name = "subscriptions", description = "Outbound delivery of derived events as Standard Webhooks: subscriptions and their messages."),
        (name = "document", description = "This description of the API."),
    ),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

/// The `bearer` security scheme every operation requires.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The API token (ZCC_API_TOKEN). Without one configured the API is open \
                         on loopback.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every refusal's body: `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// What was wrong and where (the parameter, the id).
    pub message: String,
}

/// The stable, machine-readable codes of [`ApiError::code`].
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    NotFound,
    Conflict,
    Unavailable,
    Internal,
    PayloadTooLarge,
    RequestTimeout,
    NotConfigured,
    BadGateway,
}

/// Declares an error answer with the [`ErrorBody`], written out in each operation that has it.
macro_rules! error_response {
    ($(#[$doc:meta])* $name:ident, $description:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
                let body = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Error")))
                    .build();
                let response = ResponseBuilder::new()
                    .description($description)
                    .content("application/json", body)
                    .build();
                (stringify!($name), response.into())
            }
        }
    };
}

error_response!(
    /// 400.
    BadRequest,
    "A bad parameter, named in the message."
);
error_response!(
    /// 401.
    Unauthorized,
    "Missing or wrong bearer token."
);
error_response!(
    /// 404.
    NotFound,
    "Unknown engagement, generation, table or route."
);
error_response!(
    /// 409.
    Conflict,
    "The generation is in a state the operation does not apply to."
);
error_response!(
    /// 503.
    Unavailable,
    "Storage unavailable; try again later."
);
error_response!(
    /// 503 (storage) or 503 `not_configured` (Zoom's API credentials are not set).
    ZoomUnavailable,
    "Storage unavailable (try again later), or Zoom's API is not configured on this server \
     (code `not_configured`; the message says what to set)."
);
error_response!(
    /// 502.
    BadGateway,
    "Zoom's API failed or refused; the message names the endpoint and Zoom's answer."
);

/// The whole document, made once from the route table.
pub fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| super::openapi_router().into_openapi())
}

/// The document as served.
fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        document()
            .to_json()
            .expect("the OpenAPI document serialises")
    })
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "document",
    summary = "This document.",
    responses(
        (status = 200, description = "OpenAPI 3.1.", body = Object),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
    )
)]
pub async fn serve(_auth: Authorized, params: QueryParams) -> Result<impl IntoResponse, ApiError> {
    params.only(&[])?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        document_json(),
    ))
}
