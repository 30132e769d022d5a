//! Outbound delivery of derived call events as Standard Webhooks (`docs/DELIVERY.md`).
//!
//! Read in this order:
//!
//! - [`secret`]: `whsec_` signing secrets, generated or given;
//! - [`sign`]: the `webhook-signature` of a message, and its verification;
//! - [`fact`]: a projection's derived events as facts, each with its stable `event_id`;
//! - [`correct`]: the pure correction function: what to send when an engagement's facts change;
//! - [`message`]: the body `{"type", "timestamp", "data"}` and the `webhook-id`;
//! - [`filter`]: which subscriptions want which messages (type globs, account);
//! - [`backoff`]: when to try a message again, and when to give up;
//! - [`target`]: refusing loopback, private and link-local targets;
//! - [`worker`]: the delivery worker `serve` runs;
//! - [`subscriber`]: the subscriber's rule (highest revision per `event_id`), as a receiver
//!   codes it.
//!
//! No SQL (storage is `zcc_store::outbound::OutboundStore`) and no HTTP server: the worker is
//! an HTTP client.

pub mod backoff;
pub mod correct;
pub mod fact;
pub mod filter;
pub mod message;
pub mod secret;
pub mod sign;
pub mod subscriber;
pub mod target;
pub mod worker;
