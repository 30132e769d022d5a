//! Zoom's REST side, as the ledger reads it: what Zoom dropped and what Zoom itself recorded.
//!
//! - [`ZoomClient`]: Server-to-Server OAuth (the token cached, fetched again before it expires
//!   or when Zoom refuses it, the request then made once more), GET requests retried on 429 and
//!   5xx with a back-off that honours `Retry-After`, and [`Pages`] that walk a list endpoint by
//!   `next_page_token` at the largest page size, over a window split to Zoom's limits (7 days
//!   for the webhook logs, a month for the datasets).
//! - [`types`]: the webhook delivery logs, the engagement dataset and the engagement
//!   timelines, read tolerantly.
//! - `stand_in` (feature `stand-in`): a Zoom of our own on a loopback port, for tests.
//!
//! This crate is an HTTP client only. It knows nothing of the log or the call model; the use
//! cases that compare the two live in `zcc-app`.

pub mod client;
pub mod config;
pub mod error;
#[cfg(feature = "stand-in")]
pub mod stand_in;
pub mod types;
pub mod window;

pub use client::{PAGE_SIZE, Page, Pages, ZoomClient};
pub use config::{DEFAULT_API_URL, DEFAULT_OAUTH_URL, Retry, Secret, ZoomConfig};
pub use error::ZoomError;
pub use types::{EntityTimeline, Segment, WebhookLog, ZoomEngagement, ZoomTimeline, ZoomUser};
pub use window::{Window, parse_zoom_time, zoom_time};
