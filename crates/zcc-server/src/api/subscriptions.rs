//! Subscriptions to outbound delivery (`docs/DELIVERY.md`): list, add, remove, pause, resume,
//! a subscription's deliveries, redelivery. Each handler is one call of
//! `zcc_app::subscriptions`, like the CLI's `subscriptions` command. They answer 503 in a
//! server started without outbound delivery ([`crate::run`] rather than
//! [`crate::delivery::run_delivering`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zcc_app::subscriptions::{self, AddRequest, SubscriptionError};
use zcc_store::StoreError;
use zcc_store::outbound::{OutboxMessage, SigningSecret, Subscription, SubscriptionId};

use super::auth::Authorized;
use super::openapi::{BadRequest, NotFound, Unauthorized, Unavailable};
use super::params::{QueryParams, rfc3339_ms};
use crate::AppState;
use crate::error::ApiError;
use crate::state::Outbound;

/// Most messages `deliveries` lists.
const DELIVERIES_LIMIT: usize = 100;

/// A subscription named in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SubscriptionPath {
    /// The subscription id.
    pub subscription_id: i64,
}

/// `GET /api/subscriptions/{subscription_id}/deliveries`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only the failed messages.
    pub failed: Option<bool>,
}

/// `POST /api/subscriptions/{subscription_id}/redeliver`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedeliverQuery {
    /// Every delivered or failed message queued at or after this time (RFC 3339, or a date: its
    /// midnight UTC); without it, the failed ones.
    pub since: Option<String>,
}

/// A subscription as the API shows it (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Subscription)]
pub struct SubscriptionView {
    pub id: i64,
    pub url: String,
    /// Message-type globs; empty: every type.
    pub events: Vec<String>,
    pub include_raw: bool,
    pub account_id: Option<String>,
    /// `active`, `paused` or `disabled`.
    pub state: String,
    pub created_at: String,
}

impl From<&Subscription> for SubscriptionView {
    fn from(s: &Subscription) -> SubscriptionView {
        SubscriptionView {
            id: s.id.0,
            url: s.url.clone(),
            events: s.events.clone(),
            include_raw: s.include_raw,
            account_id: s.account_id.clone(),
            state: s.state.as_str().to_owned(),
            created_at: rfc3339_ms(s.created_at_ms),
        }
    }
}

/// `GET /api/subscriptions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionList {
    pub items: Vec<SubscriptionView>,
}

/// `POST /api/subscriptions`: what to subscribe.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddSubscription {
    /// The endpoint (http or https).
    pub url: String,
    /// `whsec_` + base64 of 24 to 64 bytes; generated when absent.
    pub secret: Option<String>,
    /// Message-type globs (`conference_*`); absent or empty: every type.
    #[serde(default)]
    pub events: Vec<String>,
    /// Send Zoom's raw events too.
    #[serde(default)]
    pub include_raw: bool,
    /// Only this account's engagements.
    pub account_id: Option<String>,
}

/// `POST /api/subscriptions`: the subscription, with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSubscription {
    pub subscription: SubscriptionView,
    /// The signing secret: keep it now, it is never shown again.
    pub secret: String,
}

/// One queued message.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OutboundMessage)]
pub struct MessageView {
    pub id: i64,
    /// The `webhook-id` header.
    pub webhook_id: String,
    /// The message's `type`.
    pub event_type: String,
    /// The engagement it belongs to (empty for events of no engagement).
    pub engagement_id: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub queued_at: String,
    pub next_attempt_at: String,
    pub last_attempt_at: Option<String>,
    /// The last attempt's HTTP status, or what went wrong.
    pub last_status: Option<String>,
}

impl From<&OutboxMessage> for MessageView {
    fn from(m: &OutboxMessage) -> MessageView {
        MessageView {
            id: m.id,
            webhook_id: m.webhook_id.clone(),
            event_type: m.event_type.clone(),
            engagement_id: m.engagement_key.clone(),
            state: m.state.as_str().to_owned(),
            attempts: m.attempts,
            queued_at: rfc3339_ms(m.created_at_ms),
            next_attempt_at: rfc3339_ms(m.next_attempt_ms),
            last_attempt_at: m.last_attempt_ms.map(rfc3339_ms),
            last_status: m.last_status.clone(),
        }
    }
}

/// `GET /api/subscriptions/{subscription_id}/deliveries`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    pub items: Vec<MessageView>,
}

/// `POST /api/subscriptions/{subscription_id}/redeliver`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Redelivered {
    /// Messages queued again.
    pub queued: u64,
}

impl From<SubscriptionError> for ApiError {
    fn from(e: SubscriptionError) -> ApiError {
        match e {
            SubscriptionError::Store(e) => e.into(),
            SubscriptionError::Unknown(_) => ApiError::NotFound(e.to_string()),
            SubscriptionError::Target(_)
            | SubscriptionError::Secret(_)
            | SubscriptionError::Events(_) => ApiError::BadRequest(e.to_string()),
        }
    }
}

fn outbound(state: &AppState) -> Result<&Outbound, ApiError> {
    state.outbound().ok_or_else(|| {
        ApiError::Unavailable(StoreError::Unavailable(
            "outbound delivery does not run in this server".to_owned(),
        ))
    })
}

fn subscription_id(raw: &str) -> Result<SubscriptionId, ApiError> {
    raw.parse().map(SubscriptionId).map_err(|_| {
        ApiError::BadRequest(format!(
            "path parameter `subscription_id`: {raw:?} is not a subscription id (a number)"
        ))
    })
}

/// `GET /api/subscriptions`.
#[utoipa::path(
    get,
    path = "/subscriptions",
    tag = "subscriptions",
    summary = "Every subscription to outbound delivery, oldest first (never their secrets).",
    responses(
        (status = 200, body = SubscriptionList, description = "The subscriptions."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.subscriptions.list", skip_all)]
pub async fn list(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<SubscriptionList>, ApiError> {
    params.only(&[])?;
    let out = outbound(&state)?;
    let subs = subscriptions::list(&*out.store).await?;
    Ok(Json(SubscriptionList {
        items: subs.iter().map(SubscriptionView::from).collect(),
    }))
}

/// `POST /api/subscriptions`.
#[utoipa::path(
    post,
    path = "/subscriptions",
    tag = "subscriptions",
    summary = "Subscribe an endpoint; the answer shows the signing secret, once.",
    request_body = AddSubscription,
    responses(
        (status = 201, body = CreatedSubscription, description = "Subscribed, active."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.subscriptions.add", skip_all)]
pub async fn add(
    _auth: Authorized,
    State(state): State<AppState>,
    params: QueryParams,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    params.only(&[])?;
    let out = outbound(&state)?;
    let req: AddSubscription = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body is not {{\"url\", \"secret\", \"events\", \"include_raw\", \
             \"account_id\"}}: {e}"
        ))
    })?;
    let sub = subscriptions::add(
        &*out.store,
        AddRequest {
            url: req.url,
            secret: req.secret.map(SigningSecret::new),
            events: req.events,
            include_raw: req.include_raw,
            account_id: req.account_id,
            allow_private_targets: out.allow_private_targets,
        },
    )
    .await?;
    let created = CreatedSubscription {
        subscription: SubscriptionView::from(&sub),
        secret: sub.secret.expose().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `DELETE /api/subscriptions/{subscription_id}`.
#[utoipa::path(
    delete,
    path = "/subscriptions/{subscription_id}",
    tag = "subscriptions",
    summary = "Remove a subscription and its queued messages.",
    params(SubscriptionPath),
    responses(
        (status = 204, description = "Removed."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.subscriptions.remove", skip_all)]
pub async fn remove(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<StatusCode, ApiError> {
    params.only(&[])?;
    let out = outbound(&state)?;
    subscriptions::remove(&*out.store, subscription_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/subscriptions/{subscription_id}/pause`.
#[utoipa::path(
    post,
    path = "/subscriptions/{subscription_id}/pause",
    tag = "subscriptions",
    summary = "Hold a subscription's messages (they keep being queued) until it is resumed.",
    params(SubscriptionPath),
    responses(
        (status = 200, body = SubscriptionView, description = "Paused."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.subscriptions.pause", skip_all)]
pub async fn pause(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<Json<SubscriptionView>, ApiError> {
    params.only(&[])?;
    let out = outbound(&state)?;
    let sub = subscriptions::pause(&*out.store, subscription_id(&id)?).await?;
    Ok(Json(SubscriptionView::from(&sub)))
}

/// `POST /api/subscriptions/{subscription_id}/resume`.
#[utoipa::path(
    post,
    path = "/subscriptions/{subscription_id}/resume",
    tag = "subscriptions",
    summary = "Make a paused or disabled subscription active again.",
    params(SubscriptionPath),
    responses(
        (status = 200, body = SubscriptionView, description = "Active."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.subscriptions.resume", skip_all)]
pub async fn resume(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<Json<SubscriptionView>, ApiError> {
    params.only(&[])?;
    let out = outbound(&state)?;
    let sub = subscriptions::resume(&*out.store, subscription_id(&id)?).await?;
    Ok(Json(SubscriptionView::from(&sub)))
}

/// `GET /api/subscriptions/{subscription_id}/deliveries`.
#[utoipa::path(
    get,
    path = "/subscriptions/{subscription_id}/deliveries",
    tag = "subscriptions",
    summary = "A subscription's recent messages, newest first.",
    params(SubscriptionPath, DeliveriesQuery),
    responses(
        (status = 200, body = MessageList, description = "At most 100 messages."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.subscriptions.deliveries", skip_all)]
pub async fn deliveries(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<Json<MessageList>, ApiError> {
    params.only(&["failed"])?;
    let failed = params.bool("failed")?.unwrap_or(false);
    let out = outbound(&state)?;
    let id = subscription_id(&id)?;
    let messages = subscriptions::deliveries(&*out.store, id, failed, DELIVERIES_LIMIT).await?;
    Ok(Json(MessageList {
        items: messages.iter().map(MessageView::from).collect(),
    }))
}

/// `POST /api/subscriptions/{subscription_id}/redeliver`.
#[utoipa::path(
    post,
    path = "/subscriptions/{subscription_id}/redeliver",
    tag = "subscriptions",
    summary = "Queue a subscription's failed messages again, or with `since` every delivered or \
               failed one queued since then.",
    params(SubscriptionPath, RedeliverQuery),
    responses(
        (status = 200, body = Redelivered, description = "How many were queued again."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(Unavailable)),
    )
)]
#[tracing::instrument(name = "api.subscriptions.redeliver", skip_all)]
pub async fn redeliver(
    _auth: Authorized,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<Json<Redelivered>, ApiError> {
    params.only(&["since"])?;
    let since = params.time("since")?;
    let out = outbound(&state)?;
    let id = subscription_id(&id)?;
    let queued = subscriptions::redeliver(&*out.store, id, since).await?;
    Ok(Json(Redelivered { queued }))
}
