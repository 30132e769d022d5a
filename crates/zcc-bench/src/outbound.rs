//! A ledger under outbound delivery, on either backend: a fresh database, a simulated corpus,
//! one subscription to a receiver in this process, and where delivery stands, read through
//! the store's own interface (`OutboundStore`, `EventLog`) beside the running server, so the
//! same harness measures SQLite and PostgreSQL.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use zcc_store::outbound::{DeliveryBackend, MessageState, OutboxMessage, SubscriptionId};

use crate::Database;
use crate::receiver::{self, Receiver};
use crate::target::{FreshDb, ledger};

/// A fresh ledger of one backend, with a working directory for its corpus.
pub struct Ledger {
    /// Declared first so it is closed before the database is dropped.
    store: Option<Arc<dyn DeliveryBackend>>,
    pub backend: Database,
    db: FreshDb,
    dir: tempfile::TempDir,
}

/// Where delivery stands, as the store says.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// The publishing cursor's position (-1 before the first step).
    pub cursor: i64,
    /// Entries in the log (the last position).
    pub entries: i64,
    /// Messages waiting to be delivered, every subscription.
    pub pending: i64,
}

/// The outbox of one subscription, counted at the end of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub queued: usize,
    pub delivered: usize,
    pub failed: usize,
    pub pending: usize,
    pub attempts: i64,
}

impl Ledger {
    pub async fn new(backend: Database) -> anyhow::Result<Ledger> {
        Ok(Ledger {
            backend,
            db: FreshDb::new(backend).await,
            dir: tempfile::tempdir_in(".").context("a temporary directory here")?,
            store: None,
        })
    }

    pub fn url(&self) -> String {
        self.db.url()
    }

    /// `simulate --calls N --seed S` into a file of the working directory; its path.
    pub fn simulate(&self, calls: usize, seed: u64) -> anyhow::Result<PathBuf> {
        let file = self.dir.path().join("corpus.jsonl");
        let file_arg = file.to_str().context("a UTF-8 temporary path")?;
        ledger(
            &self.url(),
            &[
                "simulate",
                "--calls",
                &calls.to_string(),
                "--seed",
                &seed.to_string(),
                "--output",
                file_arg,
            ],
        )?;
        Ok(file)
    }

    /// One subscription (a fresh secret) to a receiver started here that answers 500 to the
    /// first attempt at one message in `fail_one_in` (0: none).
    pub async fn subscribe(&mut self, fail_one_in: u32) -> anyhow::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}{}", listener.local_addr()?, receiver::PATH);
        let secret = zcc_deliver::secret::generate();
        let key = zcc_deliver::secret::key(&secret)
            .map_err(|e| anyhow::anyhow!("the generated secret: {e}"))?;
        ledger(
            &self.url(),
            &[
                "subscriptions",
                "add",
                &url,
                "--secret",
                secret.expose(),
                "--allow-private-targets",
            ],
        )?;
        Ok(Receiver::failing_first(listener, key, fail_one_in))
    }

    /// The store, opened beside the server (after a command created its schema).
    async fn store(&mut self) -> anyhow::Result<Arc<dyn DeliveryBackend>> {
        if let Some(s) = &self.store {
            return Ok(Arc::clone(s));
        }
        let url = self.url();
        let store: Arc<dyn DeliveryBackend> = match self.backend {
            Database::Sqlite => Arc::new(
                zcc_store_sqlite::SqliteLog::open(&url)
                    .with_context(|| format!("opening the benchmark's SQLite ledger {url}"))?,
            ),
            Database::Postgres => Arc::new(
                zcc_store_postgres::PostgresLog::connect(&url)
                    .await
                    .context("opening the benchmark's PostgreSQL ledger")?,
            ),
        };
        self.store = Some(Arc::clone(&store));
        Ok(store)
    }

    pub async fn progress(&mut self) -> anyhow::Result<Progress> {
        let store = self.store().await?;
        let cursor = store
            .publish_cursor()
            .await
            .context("reading the publishing cursor")?;
        let head = store.head().await.context("reading the log's head")?;
        let stats = store
            .outbox_stats()
            .await
            .context("reading the outbox's statistics")?;
        Ok(Progress {
            cursor: cursor.generation.map_or(-1, |_| cursor.position.0),
            entries: head.size,
            pending: stats.iter().map(|s| s.pending).sum(),
        })
    }

    /// Every message of the (first) subscription.
    pub async fn messages(&mut self) -> anyhow::Result<Vec<OutboxMessage>> {
        self.store()
            .await?
            .messages(SubscriptionId(1), false, usize::MAX >> 1)
            .await
            .context("listing the outbox of subscription 1")
    }

    pub async fn counts(&mut self) -> anyhow::Result<Counts> {
        let mut c = Counts::default();
        for m in self.messages().await? {
            c.queued += 1;
            c.attempts += m.attempts;
            match m.state {
                MessageState::Delivered => c.delivered += 1,
                MessageState::Failed => c.failed += 1,
                MessageState::Pending => c.pending += 1,
            }
        }
        Ok(c)
    }

    /// Wait until the whole log is published and nothing is pending; when publishing was
    /// first seen caught up with the log. A message is recorded delivered only after the
    /// receiver accepted it, so nothing pending means every message has arrived.
    pub async fn settle(
        &mut self,
        receiver: &Receiver,
        within: Duration,
    ) -> anyhow::Result<Instant> {
        let deadline = Instant::now() + within;
        let mut published = None;
        loop {
            let p = self.progress().await?;
            if p.cursor >= p.entries {
                published.get_or_insert_with(Instant::now);
            }
            if let Some(published) = published
                && p.pending == 0
            {
                return Ok(published);
            }
            if Instant::now() > deadline {
                bail!(
                    "delivery did not finish within {within:?}: {p:?}, {} distinct messages received",
                    receiver.distinct()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
