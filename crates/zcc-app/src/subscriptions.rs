//! Managing subscriptions to outbound delivery (`docs/DELIVERY.md`): add, list, pause, resume,
//! remove, a subscription's deliveries, and redelivery. The CLI's `subscriptions` command (and
//! later `/api/subscriptions`) call these and only present the result.

use zcc_deliver::filter::validate_glob;
use zcc_deliver::secret::{self, SecretError};
use zcc_deliver::target::{self, TargetError};
use zcc_store::StoreError;
use zcc_store::outbound::{
    NewSubscription, OutboundStore, OutboxMessage, SigningSecret, Subscription, SubscriptionId,
    SubscriptionState,
};

/// What `subscriptions add` asks for.
#[derive(Debug, Clone)]
pub struct AddRequest {
    pub url: String,
    /// `None`: generate one.
    pub secret: Option<SigningSecret>,
    pub events: Vec<String>,
    pub include_raw: bool,
    pub account_id: Option<String>,
    /// Whether loopback, private and link-local targets are allowed.
    pub allow_private_targets: bool,
}

/// Why a subscription operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("--secret: {0}")]
    Secret(#[from] SecretError),
    #[error("--events: {0}")]
    Events(String),
    #[error("no subscription {0}")]
    Unknown(SubscriptionId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Add a subscription, active. The answer carries the secret: show it once, never again.
pub async fn add<S: OutboundStore + ?Sized>(
    store: &S,
    req: AddRequest,
) -> Result<Subscription, SubscriptionError> {
    target::check_url(&req.url, req.allow_private_targets)?;
    for glob in &req.events {
        validate_glob(glob).map_err(SubscriptionError::Events)?;
    }
    let secret = match req.secret {
        Some(s) => {
            secret::validate(&s)?;
            s
        }
        None => secret::generate(),
    };
    Ok(store
        .create_subscription(NewSubscription {
            url: req.url,
            secret,
            events: req.events,
            include_raw: req.include_raw,
            account_id: req.account_id,
        })
        .await?)
}

/// Every subscription, oldest first.
pub async fn list<S: OutboundStore + ?Sized>(
    store: &S,
) -> Result<Vec<Subscription>, SubscriptionError> {
    Ok(store.subscriptions().await?)
}

async fn set<S: OutboundStore + ?Sized>(
    store: &S,
    id: SubscriptionId,
    state: SubscriptionState,
) -> Result<Subscription, SubscriptionError> {
    if !store.set_subscription_state(id, state).await? {
        return Err(SubscriptionError::Unknown(id));
    }
    store
        .subscription(id)
        .await?
        .ok_or(SubscriptionError::Unknown(id))
}

/// Hold a subscription's messages (they keep being queued) until it is resumed.
pub async fn pause<S: OutboundStore + ?Sized>(
    store: &S,
    id: SubscriptionId,
) -> Result<Subscription, SubscriptionError> {
    set(store, id, SubscriptionState::Paused).await
}

/// Make a paused or disabled subscription active again.
pub async fn resume<S: OutboundStore + ?Sized>(
    store: &S,
    id: SubscriptionId,
) -> Result<Subscription, SubscriptionError> {
    set(store, id, SubscriptionState::Active).await
}

/// Remove a subscription and its queued messages.
pub async fn remove<S: OutboundStore + ?Sized>(
    store: &S,
    id: SubscriptionId,
) -> Result<(), SubscriptionError> {
    if store.remove_subscription(id).await? {
        Ok(())
    } else {
        Err(SubscriptionError::Unknown(id))
    }
}

/// A subscription's messages, newest first (only failed ones when `failed_only`).
pub async fn deliveries<S: OutboundStore + ?Sized>(
    store: &S,
    id: SubscriptionId,
    failed_only: bool,
    limit: usize,
) -> Result<Vec<OutboxMessage>, SubscriptionError> {
    if store.subscription(id).await?.is_none() {
        return Err(SubscriptionError::Unknown(id));
    }
    Ok(store.messages(id, failed_only, limit).await?)
}

/// Queue messages again: the failed ones, or with `since_ms` every delivered or failed one
/// queued since then. Returns how many.
pub async fn redeliver<S: OutboundStore + ?Sized>(
    store: &S,
    id: SubscriptionId,
    since_ms: Option<i64>,
) -> Result<u64, SubscriptionError> {
    if store.subscription(id).await?.is_none() {
        return Err(SubscriptionError::Unknown(id));
    }
    Ok(store
        .redeliver(id, since_ms, zcc_store::ingest::now_ms())
        .await?)
}
