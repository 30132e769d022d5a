//! Outbound delivery's storage: subscriptions, what has been published per engagement, and the
//! outbox of messages per subscription (migration 0010, `docs/DELIVERY.md`). Backends implement
//! [`OutboundStore`] with their own SQL; nothing here knows SQL or HTTP.
//!
//! A trait of its own, beside [`crate::EventLog`] and [`crate::projection::ProjectionStore`]:
//! only `serve` and the `subscriptions` command need it, through [`DeliveryBackend`].

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::projection::{Backend, GenerationId};
use crate::{EngagementId, Position, StoreError};

/// A subscription's id: 1, 2, 3, ... in creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SubscriptionId(pub i64);

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether a subscription receives messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionState {
    /// Messages are queued and sent.
    Active,
    /// Messages are queued, not sent, until resumed.
    Paused,
    /// The endpoint answered 410 Gone: nothing is queued or sent until resumed.
    Disabled,
}

impl SubscriptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Active => "active",
            SubscriptionState::Paused => "paused",
            SubscriptionState::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<SubscriptionState> {
        Some(match s {
            "active" => SubscriptionState::Active,
            "paused" => SubscriptionState::Paused,
            "disabled" => SubscriptionState::Disabled,
            _ => return None,
        })
    }
}

/// A subscription's signing secret (`whsec_...`). Stored, because the server signs with it;
/// its `Debug` never shows it, it has no `Display` and it is never serialised, so it cannot
/// reach a log line or an answer by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl SigningSecret {
    pub fn new(value: impl Into<String>) -> SigningSecret {
        SigningSecret(value.into())
    }

    /// The secret itself, for keying the HMAC or showing it once at creation. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

/// What `subscriptions add` stores.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub url: String,
    pub secret: SigningSecret,
    /// Message-type globs (`conference_*`); empty: every type.
    pub events: Vec<String>,
    /// Whether Zoom's raw events are sent too (`zoom.<event>`).
    pub include_raw: bool,
    /// Only this account's engagements; `None`: every account.
    pub account_id: Option<String>,
}

/// A stored subscription.
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub url: String,
    #[serde(skip)]
    pub secret: SigningSecret,
    pub events: Vec<String>,
    pub include_raw: bool,
    pub account_id: Option<String>,
    pub state: SubscriptionState,
    pub created_at_ms: i64,
}

/// Where publishing stands: the generation it compared against and the last log position whose
/// engagements it compared. `rescan_after` is set while it re-compares every engagement after
/// another generation became active (the last engagement id done, `""` before the first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishCursor {
    pub generation: Option<GenerationId>,
    pub position: Position,
    pub rescan_after: Option<String>,
}

impl Default for PublishCursor {
    /// Nothing published yet.
    fn default() -> PublishCursor {
        PublishCursor {
            generation: None,
            position: Position::START,
            rescan_after: None,
        }
    }
}

/// An engagement's published state: its revision and the facts subscribers were told, as the
/// JSON that `zcc-deliver` writes (an object keyed by `event_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedEngagement {
    pub engagement_id: EngagementId,
    pub revision: i64,
    pub facts: String,
}

/// A message to queue for one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub subscription: SubscriptionId,
    /// Messages with the same key are delivered in queue order; `""` for events of no
    /// engagement.
    pub engagement_key: String,
    /// The `webhook-id` header: the same on every attempt.
    pub webhook_id: String,
    /// The message's `type`.
    pub event_type: String,
    /// The exact body to sign and send.
    pub body: String,
    pub created_at_ms: i64,
}

/// Where a queued message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageState {
    Pending,
    Delivered,
    Failed,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Pending => "pending",
            MessageState::Delivered => "delivered",
            MessageState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MessageState> {
        Some(match s {
            "pending" => MessageState::Pending,
            "delivered" => MessageState::Delivered,
            "failed" => MessageState::Failed,
            _ => return None,
        })
    }
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    /// Queue order (per engagement, delivery order).
    pub id: i64,
    pub subscription: SubscriptionId,
    pub engagement_key: String,
    pub webhook_id: String,
    pub event_type: String,
    pub body: String,
    pub created_at_ms: i64,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_attempt_ms: Option<i64>,
    /// The last attempt's result: an HTTP status (`500`) or what went wrong (`timeout`).
    pub last_status: Option<String>,
    pub state: MessageState,
}

/// What an attempt decided about its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Delivered,
    /// Try again at this time (ms since the epoch).
    RetryAt(i64),
    /// Retries exhausted: failed, until redelivered.
    Failed,
    /// 410 Gone: the message failed and the subscription is disabled, in one commit.
    Gone,
}

/// One attempt at a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub message: i64,
    pub at_ms: i64,
    /// An HTTP status (`500`) or what went wrong (`timeout`, `connect: ...`).
    pub status: String,
    pub outcome: AttemptOutcome,
}

/// The outbox of one subscription at a glance (for `/metrics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxStats {
    pub subscription: SubscriptionId,
    pub pending: i64,
    /// When the oldest pending message was queued.
    pub oldest_pending_ms: Option<i64>,
}

#[async_trait]
pub trait OutboundStore: Send + Sync + 'static {
    async fn create_subscription(&self, new: NewSubscription) -> Result<Subscription, StoreError>;

    /// Every subscription, oldest first.
    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;

    async fn subscription(&self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError>;

    /// Set a subscription's state; `false` when there is no such subscription.
    async fn set_subscription_state(
        &self,
        id: SubscriptionId,
        state: SubscriptionState,
    ) -> Result<bool, StoreError>;

    /// Remove a subscription and its outbox in one commit; `false` when there is none.
    async fn remove_subscription(&self, id: SubscriptionId) -> Result<bool, StoreError>;

    /// The publishing cursor (the default one before anything was published).
    async fn publish_cursor(&self) -> Result<PublishCursor, StoreError>;

    /// The published state of these engagements (those that have one), in any order.
    async fn published(
        &self,
        engagement_ids: &[EngagementId],
    ) -> Result<Vec<PublishedEngagement>, StoreError>;

    /// In one commit: replace these engagements' published state, queue the messages (in the
    /// order given) and move the cursor from `expected` to `next`. Refused
    /// ([`StoreError::Refused`]) when the stored cursor is not `expected`: another publisher
    /// moved it, and this one must read again.
    async fn publish(
        &self,
        expected: &PublishCursor,
        next: PublishCursor,
        engagements: Vec<PublishedEngagement>,
        messages: Vec<NewMessage>,
    ) -> Result<(), StoreError>;

    /// Up to `limit` pending messages of an active subscription that are due at `now_ms` and
    /// first in their engagement's queue, in queue order. Backends walk the pending messages
    /// alone (migration 0011), so a read costs about as much however many were delivered.
    async fn due_messages(
        &self,
        subscription: SubscriptionId,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError>;

    /// Record attempts: each one's status, and its message's next state (for
    /// [`AttemptOutcome::Gone`], the subscription's too), all in one commit. The worker records
    /// the answers that arrived together at once: one commit for many messages.
    async fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError>;

    /// [`OutboundStore::record_attempts`] of one attempt.
    async fn record_attempt(&self, attempt: Attempt) -> Result<(), StoreError> {
        self.record_attempts(std::slice::from_ref(&attempt)).await
    }

    /// A subscription's messages, newest first; only failed ones when `failed_only`.
    async fn messages(
        &self,
        subscription: SubscriptionId,
        failed_only: bool,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError>;

    /// Queue a subscription's messages again, due at `now_ms` with no attempts: the failed
    /// ones, or with `since_ms` every delivered or failed one queued at or after it. Returns
    /// how many.
    async fn redeliver(
        &self,
        subscription: SubscriptionId,
        since_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<u64, StoreError>;

    /// Pending messages per subscription that has any.
    async fn outbox_stats(&self) -> Result<Vec<OutboxStats>, StoreError>;
}

/// A backend that also stores outbound delivery: what `serve` and `subscriptions` open.
pub trait DeliveryBackend: Backend + OutboundStore {}

impl<T: Backend + OutboundStore> DeliveryBackend for T {}
