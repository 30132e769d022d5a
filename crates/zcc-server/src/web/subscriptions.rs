//! The subscriptions page (`/subscriptions`): each outbound delivery subscription with its
//! filters, state and outbox (pending messages, the oldest one's age), and its recent
//! failures (last status, attempts, next attempt). A pure function of what the handler loads.
//! A subscription's secret is never loaded into the view, so it cannot be shown.

use maud::{Markup, html};
use zcc_store::outbound::{MessageState, OutboxMessage, Subscription};

use super::html::{fmt_duration, page, time_el};

/// Recent failures shown per subscription.
pub const FAILURES: usize = 10;

/// One subscription as the page shows it.
pub struct SubscriptionRow {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub include_raw: bool,
    pub account_id: Option<String>,
    pub state: &'static str,
    pub pending: i64,
    /// When the oldest pending message was queued.
    pub oldest_pending_ms: Option<i64>,
    /// Messages whose last attempt failed (failed, or pending a retry), newest first.
    pub failures: Vec<OutboxMessage>,
}

impl SubscriptionRow {
    /// What the page shows of `s` (everything but its secret).
    pub fn new(s: &Subscription) -> SubscriptionRow {
        SubscriptionRow {
            id: s.id.0,
            url: s.url.clone(),
            events: s.events.clone(),
            include_raw: s.include_raw,
            account_id: s.account_id.clone(),
            state: s.state.as_str(),
            pending: 0,
            oldest_pending_ms: None,
            failures: Vec::new(),
        }
    }
}

/// Whether a message counts as a recent failure: its last attempt did not deliver it.
pub fn is_failure(m: &OutboxMessage) -> bool {
    m.attempts > 0 && m.state != MessageState::Delivered
}

/// Everything the page shows.
pub struct SubscriptionsView<'a> {
    /// `None` when this server does not deliver (no outbound store).
    pub rows: Option<&'a [SubscriptionRow]>,
    pub now_ms: i64,
    pub signed_in: bool,
}

/// The whole HTML document.
pub fn render(v: &SubscriptionsView<'_>) -> String {
    let body = html! {
        h1 { "Subscriptions" }
        p { "Outbound delivery of derived call events as signed webhooks (docs/DELIVERY.md). \
             Secrets are shown once, when a subscription is added, and never here." }
        @match v.rows {
            None => p class="empty" { "This server does not deliver outbound messages." },
            Some([]) => p class="empty" {
                "No subscriptions. Add one with " code { "zcc-ledger subscriptions add URL" }
                " or " code { "POST /api/subscriptions" } "."
            },
            Some(rows) => {
                (table(rows, v.now_ms))
                @for row in rows {
                    (failures(row, v.now_ms))
                }
            }
        }
    };
    page("Subscriptions", v.signed_in, &body)
}

fn table(rows: &[SubscriptionRow], now_ms: i64) -> Markup {
    html! {
        div class="table-scroll" {
            table class="subscriptions" {
                caption { "Subscriptions, oldest first" }
                thead {
                    tr {
                        @for h in ["Id", "URL", "Filters", "State", "Pending", "Oldest pending", "Recent failures"] {
                            th scope="col" { (h) }
                        }
                    }
                }
                tbody {
                    @for r in rows {
                        tr {
                            td { (r.id) }
                            td { code { (r.url) } }
                            td { (filters(r)) }
                            td { (r.state) }
                            td { (r.pending) }
                            td {
                                @match r.oldest_pending_ms {
                                    Some(t) => (fmt_duration(now_ms - t)),
                                    None => "–",
                                }
                            }
                            td {
                                @if r.failures.is_empty() { "none" }
                                @else { a href={ "#failures-" (r.id) } { (r.failures.len()) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Types, raw events and account, in words.
fn filters(r: &SubscriptionRow) -> Markup {
    html! {
        @if r.events.is_empty() { "every type" }
        @else {
            @for (i, g) in r.events.iter().enumerate() {
                @if i > 0 { ", " }
                code { (g) }
            }
        }
        @if r.include_raw { "; Zoom's raw events" }
        @if let Some(a) = &r.account_id { "; account " code { (a) } }
    }
}

/// A subscription's recent failures, when it has any.
fn failures(r: &SubscriptionRow, now_ms: i64) -> Markup {
    html! {
        @if !r.failures.is_empty() {
            section id={ "failures-" (r.id) } {
                h2 { "Recent failures of subscription " (r.id) }
                div class="table-scroll" {
                    table class="failures" {
                        thead {
                            tr {
                                @for h in ["Message", "Type", "Engagement", "Last status", "Attempts", "Last attempt", "Next attempt"] {
                                    th scope="col" { (h) }
                                }
                            }
                        }
                        tbody {
                            @for m in &r.failures {
                                tr {
                                    td { code { (m.webhook_id) } }
                                    td { (m.event_type) }
                                    td { (m.engagement_key) }
                                    td { (m.last_status.as_deref().unwrap_or("–")) }
                                    td { (m.attempts) }
                                    td { @if let Some(t) = m.last_attempt_ms { (time_el(t)) } @else { "–" } }
                                    td { (next_attempt(m, now_ms)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// When a failing message is tried again: a time and how far off, or that it is not.
fn next_attempt(m: &OutboxMessage, now_ms: i64) -> Markup {
    html! {
        @match m.state {
            MessageState::Pending if m.next_attempt_ms <= now_ms => "due now",
            MessageState::Pending => {
                (time_el(m.next_attempt_ms)) " (in " (fmt_duration(m.next_attempt_ms - now_ms)) ")"
            }
            _ => "failed: waits for redeliver",
        }
    }
}
