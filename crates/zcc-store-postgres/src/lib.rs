//! The PostgreSQL event log: [`PostgresLog`] implements [`zcc_store::EventLog`].
//!
//! Read in this order:
//! - this file: connecting ([`PostgresLog::connect`]), the pool, migrations (embedded from
//!   `migrations/postgres`, run at connect);
//! - `append`: how a batch is appended (one transaction under one advisory lock, so positions
//!   are gapless and commit-ordered with any number of writer processes);
//! - `read`: the queries that read entries, deliveries and quarantine back;
//! - `scan`: the fast whole-log scan of rebuilds ([`zcc_store::LogScan`]);
//! - `audit`: the delivery rows of log positions and the quarantine ([`zcc_store::AuditLog`]);
//! - `guards`: the append-only triggers and how `missing_guards` checks them;
//! - `error`: sqlx errors to [`StoreError`] by SQLSTATE class.
//!
//! docs/POSTGRES.md explains the design, its cost, and how an operator hardens the roles.

mod append;
pub use append::APPEND_LOCK;
mod audit;
mod error;
mod guards;
mod outbound;
mod projection;
mod read;
mod scan;
pub use scan::SCAN_SEGMENT_ROWS;

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use zcc_store::{
    Appended, Delivery, EngagementId, EventLog, Head, LogEntry, LogScan, NewEvent, Position,
    QuarantineEntry, StoreError,
};

use crate::error::{map_migrate, map_sqlx};

/// The schema migrations, embedded at compile time. Version numbers match `migrations/sqlite`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// How [`PostgresLog::connect_with`] sets up its pool.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Connections in the pool.
    pub max_connections: u32,
    /// How long a call waits for a connection before it fails with [`StoreError::Unavailable`].
    /// Short, so that an outage answers a webhook 503 well inside Zoom's 3 s.
    pub acquire_timeout: Duration,
    /// How long an append waits for the log's append lock (server `lock_timeout`) before it
    /// fails with [`StoreError::Unavailable`].
    pub lock_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(2),
            lock_timeout: Duration::from_secs(10),
        }
    }
}

/// The event log in a PostgreSQL database. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct PostgresLog {
    pool: PgPool,
    /// When the last write (an append, or the readiness probe) ended, and how.
    last_write: Arc<Mutex<Option<WriteOutcome>>>,
}

/// When a write ended, and how.
type WriteOutcome = (Instant, Result<(), StoreError>);

/// How long a write's outcome answers for whether the database can take a write, before
/// [`EventLog::ready`] probes again.
const PROBE_EVERY: Duration = Duration::from_secs(1);

impl PostgresLog {
    /// Connect with [`PostgresOptions::default`] and run the migrations.
    pub async fn connect(url: &str) -> Result<PostgresLog, StoreError> {
        PostgresLog::connect_with(url, PostgresOptions::default()).await
    }

    /// Connect and run the migrations. An unreachable server gives
    /// [`StoreError::Unavailable`] after `acquire_timeout`; a URL that is not a PostgreSQL URL,
    /// an unknown database or a bad role gives [`StoreError::Config`]. Error messages name the
    /// host and port, never the URL (it may hold a password).
    #[tracing::instrument(skip_all)]
    pub async fn connect_with(
        url: &str,
        options: PostgresOptions,
    ) -> Result<PostgresLog, StoreError> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("not a usable PostgreSQL URL: {e}")))?
            .application_name("zcc-ledger")
            .options([(
                "lock_timeout",
                format!("{}ms", options.lock_timeout.as_millis()),
            )]);
        let server = format!(
            "PostgreSQL at {}:{} (database {:?})",
            connect.get_host(),
            connect.get_port(),
            connect.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(|e| map_sqlx(&format!("connecting to {server}"), e))?;
        migrate(&pool).await.map_err(|e| match e {
            StoreError::Migration(m) => StoreError::Migration(format!("{server}: {m}")),
            other => other,
        })?;
        Ok(PostgresLog::new(pool))
    }

    fn new(pool: PgPool) -> PostgresLog {
        PostgresLog {
            pool,
            last_write: Arc::new(Mutex::new(None)),
        }
    }

    /// Remember how a write ended, for [`EventLog::ready`]: success, or a failure for want
    /// of storage (unreachable, read-only, full). Refusals say nothing about that.
    fn note_write<T>(&self, result: &Result<T, StoreError>) {
        let outcome = match result {
            Ok(_) => Ok(()),
            Err(e) if e.is_transient() => Err(e.clone()),
            Err(_) => return,
        };
        *self.last_write.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), outcome));
    }

    /// One small write into `readiness_probe` (migration 0007).
    async fn probe(&self) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO readiness_probe (id, checked_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET checked_at = EXCLUDED.checked_at",
        )
        .bind(zcc_store::ingest::now_ms())
        .execute(&self.pool)
        .await
        .map_err(|e| map_sqlx("probing whether the database takes a write", e))?;
        Ok(())
    }

    /// Wrap a pool whose database is already migrated (for example one shared with the
    /// projection store). Runs the migrations again, which is a no-op when they are applied.
    pub async fn from_pool(pool: PgPool) -> Result<PostgresLog, StoreError> {
        migrate(&pool).await?;
        Ok(PostgresLog::new(pool))
    }

    /// The connection pool, for code that keeps its own tables in the same database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Close the pool: wait for connections in use to come back, then close them all.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Apply pending migrations. When every migration is applied already (with the same checksum)
/// nothing is run, so a hardened application role that may not create tables can start
/// (docs/POSTGRES.md, "Roles"); otherwise the migrator runs and needs the owner role.
async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    if migrations_applied(pool).await? {
        return Ok(());
    }
    MIGRATOR.run(pool).await.map_err(map_migrate)
}

/// Whether the database has exactly the embedded migrations applied. A modified applied
/// migration is an error; an unknown applied one (a newer release ran here) is left to the
/// migrator to report.
async fn migrations_applied(pool: &PgPool) -> Result<bool, StoreError> {
    let err = |e| map_sqlx("reading applied migrations", e);
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(pool)
        .await
        .map_err(err)?;
    if table.is_none() {
        return Ok(false);
    }
    let applied: Vec<(i64, Vec<u8>, bool)> =
        sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations")
            .fetch_all(pool)
            .await
            .map_err(err)?;
    let embedded: Vec<_> = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .collect();
    for (version, checksum, success) in &applied {
        match embedded.iter().find(|m| m.version == *version) {
            Some(m) if !success => {
                return Err(StoreError::Migration(format!(
                    "migration {version} ({}) is recorded as failed",
                    m.description
                )));
            }
            Some(m) if *m.checksum != **checksum => {
                return Err(StoreError::Migration(format!(
                    "migration {version} ({}) was applied but has been modified since",
                    m.description
                )));
            }
            Some(_) => {}
            None => return Ok(false),
        }
    }
    Ok(embedded.len() == applied.len())
}

#[async_trait]
impl EventLog for PostgresLog {
    /// [`PostgresLog::scan_blocking`]: four columns streamed segment by segment.
    fn log_scan(self: Arc<Self>) -> Option<Arc<dyn LogScan>> {
        Some(self)
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn append_batch(&self, events: Vec<NewEvent>) -> Result<Vec<Appended>, StoreError> {
        let result = append::append_batch(&self.pool, events).await;
        self.note_write(&result);
        result
    }

    async fn record_deliveries(&self, deliveries: Vec<Delivery>) -> Result<(), StoreError> {
        append::record_deliveries(&self.pool, deliveries).await
    }

    async fn quarantine(&self, entries: Vec<QuarantineEntry>) -> Result<(), StoreError> {
        append::quarantine(&self.pool, entries).await
    }

    async fn head(&self) -> Result<Head, StoreError> {
        read::head(&self.pool).await
    }

    async fn read_after(&self, after: Position, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        read::read_after(&self.pool, after, limit).await
    }

    async fn engagement_events(
        &self,
        engagement_id: &EngagementId,
    ) -> Result<Vec<LogEntry>, StoreError> {
        read::engagement_events(&self.pool, engagement_id).await
    }

    async fn engagements_events(
        &self,
        engagement_ids: &[EngagementId],
        up_to: Position,
    ) -> Result<Vec<LogEntry>, StoreError> {
        read::engagements_events(&self.pool, engagement_ids, up_to).await
    }

    async fn entry(&self, position: Position) -> Result<Option<LogEntry>, StoreError> {
        read::entry(&self.pool, position).await
    }

    async fn missing_guards(&self) -> Result<Vec<String>, StoreError> {
        guards::missing_guards(&self.pool).await
    }

    async fn quarantined(&self, limit: usize) -> Result<Vec<QuarantineEntry>, StoreError> {
        read::quarantined(&self.pool, limit).await
    }

    async fn deliveries(&self, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        read::deliveries(&self.pool, limit).await
    }

    /// The last write's outcome when it is under [`PROBE_EVERY`] old, else a probe write.
    async fn ready(&self) -> Result<(), StoreError> {
        let recent = self
            .last_write
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|(at, _)| at.elapsed() < PROBE_EVERY)
            .map(|(_, outcome)| outcome.clone());
        if let Some(outcome) = recent {
            return outcome;
        }
        let result = self.probe().await;
        self.note_write(&result);
        result
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(|e| map_sqlx("ping", e))?;
        Ok(())
    }

    /// `ANALYZE` of the log and the projection tables: a server without autovacuum (or before
    /// it gets round to a freshly loaded table) has no statistics, and the planner then turns
    /// a one-engagement lookup into a parallel bitmap scan and sort (75–111 ms instead of ~1 ms
    /// on a 1M-event log, docs/BENCHMARKS.md).
    async fn refresh_statistics(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE events, projections, projection_agents, projection_queues")
            .execute(&self.pool)
            .await
            .map_err(|e| map_sqlx("refreshing the planner statistics (ANALYZE)", e))?;
        Ok(())
    }
}
