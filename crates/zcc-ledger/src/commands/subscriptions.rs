//! `subscriptions add | list | pause | resume | remove | deliveries | redeliver`: outbound
//! delivery of derived call events as Standard Webhooks (`docs/DELIVERY.md`). Each subcommand
//! is one call of `zcc_app::subscriptions`; this file parses and prints.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use zcc_app::subscriptions::{self, AddRequest};
use zcc_store::outbound::{DeliveryBackend, OutboxMessage, SigningSecret, SubscriptionId};

/// Most messages `deliveries` lists.
const DELIVERIES_LIMIT: usize = 100;

#[derive(Debug, Args)]
pub struct SubscriptionsArgs {
    #[command(subcommand)]
    pub command: SubscriptionsCommand,
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionsCommand {
    /// Subscribe an endpoint; prints the signing secret once.
    Add(AddArgs),
    /// List the subscriptions (never their secrets).
    List,
    /// Hold a subscription's messages (they keep being queued) until it is resumed.
    Pause { id: i64 },
    /// Make a paused or disabled subscription active again.
    Resume { id: i64 },
    /// Remove a subscription and its queued messages.
    Remove { id: i64 },
    /// A subscription's recent messages, newest first.
    Deliveries {
        id: i64,
        /// Only the failed ones.
        #[arg(long, env = "ZCC_FAILED")]
        failed: bool,
    },
    /// Queue messages again: the failed ones, or with --since every delivered or failed one
    /// queued since then.
    Redeliver {
        id: i64,
        /// RFC 3339 time (2026-05-04T14:00:00Z).
        #[arg(long, env = "ZCC_SINCE")]
        since: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The endpoint (http or https).
    pub url: String,
    /// The signing secret (`whsec_` + base64 of 24 to 64 bytes); generated when not given.
    #[arg(long, env = "ZCC_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Message types to send, as globs (`conference_*,transfer_*`); default every type.
    #[arg(long, env = "ZCC_EVENTS", value_delimiter = ',')]
    pub events: Vec<String>,
    /// Send Zoom's raw events too (`zoom.<event>`).
    #[arg(long, env = "ZCC_INCLUDE_RAW")]
    pub include_raw: bool,
    /// Only this account's engagements.
    #[arg(long, env = "ZCC_ACCOUNT")]
    pub account: Option<String>,
    /// Allow a target on a loopback, private or link-local address.
    #[arg(long, env = "ZCC_ALLOW_PRIVATE_TARGETS")]
    pub allow_private_targets: bool,
}

pub async fn run(
    store: Arc<dyn DeliveryBackend>,
    args: SubscriptionsArgs,
) -> anyhow::Result<ExitCode> {
    let store = &*store;
    match args.command {
        SubscriptionsCommand::Add(a) => {
            let sub = subscriptions::add(
                store,
                AddRequest {
                    url: a.url,
                    secret: a.secret.map(SigningSecret::new),
                    events: a.events,
                    include_raw: a.include_raw,
                    account_id: a.account,
                    allow_private_targets: a.allow_private_targets,
                },
            )
            .await?;
            println!("subscription {} to {} (active)", sub.id, sub.url);
            println!("secret: {}", sub.secret.expose());
            eprintln!("The secret is shown once: keep it where the endpoint verifies signatures.");
        }
        SubscriptionsCommand::List => {
            println!(
                "{:>4}  {:<8}  {:<5}  {:<24}  {:<16}  url",
                "id", "state", "raw", "events", "account"
            );
            for s in subscriptions::list(store).await? {
                let events = if s.events.is_empty() {
                    "*".to_owned()
                } else {
                    s.events.join(",")
                };
                println!(
                    "{:>4}  {:<8}  {:<5}  {:<24}  {:<16}  {}",
                    s.id,
                    s.state.as_str(),
                    s.include_raw,
                    events,
                    s.account_id.as_deref().unwrap_or("*"),
                    s.url
                );
            }
        }
        SubscriptionsCommand::Pause { id } => {
            let s = subscriptions::pause(store, SubscriptionId(id)).await?;
            println!("subscription {} {}", s.id, s.state.as_str());
        }
        SubscriptionsCommand::Resume { id } => {
            let s = subscriptions::resume(store, SubscriptionId(id)).await?;
            println!("subscription {} {}", s.id, s.state.as_str());
        }
        SubscriptionsCommand::Remove { id } => {
            subscriptions::remove(store, SubscriptionId(id)).await?;
            println!("subscription {id} removed");
        }
        SubscriptionsCommand::Deliveries { id, failed } => {
            let id = SubscriptionId(id);
            let messages = subscriptions::deliveries(store, id, failed, DELIVERIES_LIMIT).await?;
            print_messages(&messages);
        }
        SubscriptionsCommand::Redeliver { id, since } => {
            let since_ms = since
                .map(|s| zcc_export::time::parse_rfc3339("--since", &s))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let n = subscriptions::redeliver(store, SubscriptionId(id), since_ms)
                .await
                .with_context(|| format!("redelivering subscription {id}"))?;
            println!("{n} messages of subscription {id} queued again");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_messages(messages: &[OutboxMessage]) {
    println!(
        "{:>8}  {:<9}  {:>8}  {:<24}  {:<34}  {:<26}  {:<24}  last status",
        "id", "state", "attempts", "queued", "webhook-id", "type", "engagement"
    );
    for m in messages {
        println!(
            "{:>8}  {:<9}  {:>8}  {:<24}  {:<34}  {:<26}  {:<24}  {}",
            m.id,
            m.state.as_str(),
            m.attempts,
            zcc_export::time::rfc3339_ms(m.created_at_ms),
            m.webhook_id,
            m.event_type,
            m.engagement_key,
            m.last_status.as_deref().unwrap_or("-")
        );
    }
}
