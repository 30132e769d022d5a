//! The writer thread: the only code that changes the database.
//!
//! One OS thread owns the read-write connection. Callers send it a [`Command`] over a channel and
//! await a tokio oneshot reply, so the async runtime never blocks on SQLite and every statement
//! runs on the thread that owns the connection (no per-statement thread hop, unlike
//! sqlx-sqlite). Each command is one `BEGIN IMMEDIATE .. COMMIT`; with `synchronous=FULL` the
//! reply is sent only after the commit is durable (SPEC I2).
//!
//! WAL checkpoints are kept off the commit path. The writer connection runs with
//! `wal_autocheckpoint=0` (SQLite's default would copy ~1000 pages into the database file and
//! fsync it inside every ~30th commit, while every caller of that batch waits), and a second
//! thread with its own connection runs `PRAGMA wal_checkpoint(PASSIVE)` in the background after
//! commits, at most every [`CHECKPOINT_EVERY`]. A passive checkpoint never takes the write lock.
//! Under sustained load it never catches up with the head of the WAL, so the WAL could only
//! grow; once it passes [`WAL_RESTART_PAGES`] the checkpointer asks the writer to checkpoint the
//! small remainder inline after its next commit, so the following transaction starts the WAL
//! file over (and `journal_size_limit` trims it).
//!
//! Projection writes run on this thread too ([`WriterHandle::transaction`]), queued between
//! appends: SQLite has one write lock per file, and a second write connection only made the two
//! spin on it (busy retries) instead of taking turns. Projection documents commit without an
//! fsync of their own ([`Durability::Deferred`]): they are derived, written atomically with
//! the log position they cover, and the next append's fsync makes them durable too.
//!
//! The writer waits for the write lock (held by another process, such as a second
//! `zcc-ledger`) with a busy handler that retries every 100 µs rather than SQLite's default, which sleeps 1 ms,
//! 2 ms, 5 ms, ... while every caller of the batch waits too.
//!
//! The thread caches the head (size, hash) of the log. At the start of every append transaction
//! (which holds the write lock) it compares the cache with the last row, a rowid seek, and
//! reloads on any difference, so neither a failed commit nor another process appending to the
//! same file can make the chain drift.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, LazyLock, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use tokio::sync::oneshot;
use zcc_store::chain::{Chained, entry_hash};
use zcc_store::{
    Appended, ChainVersion, Delivery, DeliveryMeta, DeliveryOutcome, Digest, Head, NewEvent,
    Position, QuarantineEntry, StoreError,
};

use crate::identity::{self, FileIdentity};
use crate::{error, open, read};

/// The checkpointer runs at most this often (after at least one commit).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);
/// Past this many WAL frames (4 KiB pages: 64 MiB), the writer finishes a checkpoint inline so
/// that the WAL starts over.
const WAL_RESTART_PAGES: i64 = 16_384;
/// Past this many WAL frames (64 MiB, as soon as a restart is asked for), a long scan pauses
/// between its read transactions until the WAL has started over (see
/// [`WriterHandle::restart_pending`]): the bound on the WAL while a rebuild runs. The rebuild's
/// folds and writes run on through the pause, and a WAL that starts over is rewritten in place:
/// one that only grows costs the kernel a zeroed page-cache block per frame (docs/BENCHMARKS.md).
const SCAN_YIELD_PAGES: i64 = WAL_RESTART_PAGES;
/// `journal_size_limit`: the WAL file is trimmed to this size when it starts over.
const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;
/// Queued appends merged into one transaction stop growing past this many events.
const MAX_MERGED_EVENTS: usize = 1000;
/// SQLite's own reading of the dedupe key's time (`dedupe_ts`, migrations 0004 and 0005) from
/// the body `body` (a column or a parameter): the envelope's `event_ts` when it is an integer,
/// else 0. Migration 0004 computed every stored row's value with it (a test keeps the two the
/// same); since 0005 the writer uses it only for a body whose `event_ts` the application could
/// not read with certainty ([`NewEvent::dedupe_ts`] is `None`), so that every copy of a body
/// gets the key of the first.
pub(crate) fn dedupe_ts_of(body: &str) -> String {
    format!(
        "CASE WHEN json_valid({body}) THEN CASE WHEN json_type({body}, '$.event_ts') = 'integer' \
         THEN json_extract({body}, '$.event_ts') ELSE 0 END ELSE 0 END"
    )
}

/// The append's insert, built once: `?11` is [`NewEvent::dedupe_ts`], and SQLite reads it from
/// the body (`?7`) when that is `None`; `?12` is the chain format of `?9`.
static INSERT_EVENT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO events (position, received_at, event_type, event_time, account_id, \
         engagement_id, body, body_sha256, hash, source, dedupe_ts, chain_version) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, coalesce(?11, {}), ?12) \
         ON CONFLICT (dedupe_ts, body_sha256) DO NOTHING",
        dedupe_ts_of("?7")
    )
});

/// The stored copy of a body (`?1`, with its digest `?2` and [`NewEvent::dedupe_ts`] `?3`),
/// built once.
static FIND_DUPLICATE_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT position FROM events WHERE dedupe_ts = coalesce(?3, {}) AND body_sha256 = ?2",
        dedupe_ts_of("?1")
    )
});

/// How long a write's outcome (an append's, or the readiness probe's) answers for whether the
/// database can take a write, before [`Command::Ready`] probes again.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// How often the writer retries a busy write lock.
const BUSY_RETRY: Duration = Duration::from_micros(100);

thread_local! {
    /// The writer thread's busy timeout (its busy handler is a plain `fn`).
    static BUSY_DEADLINE_RETRIES: Cell<i32> = const { Cell::new(0) };
}

/// Retry every [`BUSY_RETRY`] until the connection's busy timeout has passed.
fn busy_retry(attempt: i32) -> bool {
    if attempt >= BUSY_DEADLINE_RETRIES.with(Cell::get) {
        return false;
    }
    std::thread::sleep(BUSY_RETRY);
    true
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

pub(crate) enum Command {
    Append(Vec<NewEvent>, Reply<Vec<Appended>>),
    Deliveries(Vec<Delivery>, Reply<()>),
    Quarantine(Vec<QuarantineEntry>, Reply<()>),
    Ping(Reply<()>),
    /// Whether the database can take a write now (`/readyz`): its file is still the one at
    /// its path, and the last write, or a probe at most [`PROBE_EVERY`] old, succeeded.
    Ready(Reply<()>),
    /// Any other write (the projection tables), run on this thread's connection: the job
    /// opens and commits its own transaction and sends its own reply.
    Exec(Job),
}

/// A write for [`Command::Exec`].
pub(crate) type Job = Box<dyn FnOnce(&mut Connection, &Path) + Send>;

/// The handle the [`crate::SqliteLog`] keeps. Dropping it stops the thread after the queued
/// commands and waits for it, so the file is closed when the log is dropped.
pub(crate) struct WriterHandle {
    tx: Option<mpsc::Sender<Command>>,
    thread: Option<JoinHandle<()>>,
    checkpointer: Option<JoinHandle<()>>,
    /// Set while the WAL is long and waits for the writer's inline checkpoint.
    restart: Arc<AtomicBool>,
    /// Frames in the WAL at the checkpointer's last look.
    wal_frames: Arc<AtomicI64>,
}

impl WriterHandle {
    /// Start the thread on an open, migrated connection.
    pub(crate) fn start(conn: Connection, path: PathBuf) -> Result<WriterHandle, StoreError> {
        let head = read::last_entry(&conn, &path)?;
        let busy_ms: i64 = conn
            .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
            .map_err(error::at("reading busy_timeout", &path))?;
        let busy_timeout = Duration::from_millis(busy_ms.max(0).unsigned_abs());
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(error::at("setting wal_autocheckpoint=0", &path))?;
        conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)
            .map_err(error::at("setting journal_size_limit", &path))?;
        conn.busy_handler(Some(busy_retry))
            .map_err(error::at("setting the busy handler", &path))?;
        let retries =
            i32::try_from(busy_timeout.as_micros() / BUSY_RETRY.as_micros()).unwrap_or(i32::MAX);

        let checkpoint_conn = open::open_checkpointer(&path, busy_timeout)?;
        let (commits_tx, commits_rx) = mpsc::sync_channel(1);
        let restart = Arc::new(AtomicBool::new(false));
        let wal_frames = Arc::new(AtomicI64::new(0));
        let checkpointer = {
            let (path, restart, frames) = (path.clone(), restart.clone(), wal_frames.clone());
            std::thread::Builder::new()
                .name("zcc-sqlite-checkpointer".into())
                .spawn(move || {
                    checkpoint_loop(&checkpoint_conn, &path, &commits_rx, &restart, &frames);
                })
                .map_err(|e| {
                    StoreError::Other(format!("starting the SQLite checkpointer thread: {e}"))
                })?
        };

        let (tx, rx) = mpsc::channel();
        let identity = FileIdentity::capture(&path);
        let mut writer = Writer {
            conn,
            identity,
            vanished: None,
            failing: None,
            last_write: None,
            path,
            head,
            commits: commits_tx,
            restart: restart.clone(),
            last_inline: None,
        };
        let thread = std::thread::Builder::new()
            .name("zcc-sqlite-writer".into())
            .spawn(move || {
                BUSY_DEADLINE_RETRIES.with(|c| c.set(retries));
                writer.run(&rx);
            })
            .map_err(|e| StoreError::Other(format!("starting the SQLite writer thread: {e}")))?;
        Ok(WriterHandle {
            tx: Some(tx),
            thread: Some(thread),
            checkpointer: Some(checkpointer),
            restart,
            wal_frames,
        })
    }

    /// Whether the WAL has grown past [`SCAN_YIELD_PAGES`] and the writer has yet to run the
    /// checkpoint that lets it start over. A long reader (the log scan) holds back between its
    /// read transactions while this is set, since a WAL can only start over once no reader is
    /// still reading from it. Under [`WAL_RESTART_PAGES`] nothing is asked.
    pub(crate) fn restart_pending(&self) -> bool {
        self.restart.load(Ordering::Acquire)
            && self.wal_frames.load(Ordering::Relaxed) >= SCAN_YIELD_PAGES
    }

    /// Send a command built around a fresh reply channel and await the answer.
    pub(crate) async fn call<T>(
        &self,
        make: impl FnOnce(Reply<T>) -> Command,
    ) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        let sent = self.tx.as_ref().map(|tx| tx.send(make(reply)));
        if !matches!(sent, Some(Ok(()))) {
            return Err(StoreError::Unavailable(
                "the SQLite writer thread has stopped".into(),
            ));
        }
        rx.await.map_err(|_| {
            StoreError::Unavailable("the SQLite writer thread stopped before answering".into())
        })?
    }
}

/// Whether a transaction's commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// `synchronous=FULL`: the commit is on disk when it returns (appends, generation state).
    Full,
    /// `synchronous=NORMAL` for this one commit: no fsync of its own. For derived data written
    /// atomically with the position it covers (projection documents and their checkpoint): a
    /// power loss can only roll back the last such commits, and catch-up redoes them from the
    /// log. The next `Full` commit (every append) syncs the WAL, these frames included.
    Deferred,
}

impl WriterHandle {
    /// Run `f` in one `BEGIN IMMEDIATE` transaction on the writer's connection, between
    /// appends (the projection tables' writes): one queue for SQLite's one write lock.
    pub(crate) async fn transaction<T: Send + 'static>(
        &self,
        what: String,
        durability: Durability,
        f: impl FnOnce(&Transaction<'_>, &Path, &str) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.call(move |reply| {
            Command::Exec(Box::new(move |conn: &mut Connection, path: &Path| {
                let deferred = durability == Durability::Deferred;
                let result = (|| {
                    if deferred {
                        conn.pragma_update(None, "synchronous", "NORMAL")
                            .map_err(error::at(&what, path))?;
                    }
                    let tx = conn
                        .transaction_with_behavior(TransactionBehavior::Immediate)
                        .map_err(error::at(&what, path))?;
                    let out = f(&tx, path, &what)?;
                    tx.commit().map_err(error::at(&what, path))?;
                    Ok(out)
                })();
                // Back to FULL whatever happened: the next append must be durable.
                let restored = if deferred {
                    conn.pragma_update(None, "synchronous", "FULL")
                        .map_err(error::at(&what, path))
                } else {
                    Ok(())
                };
                let _ = reply.send(result.and_then(|out| restored.map(|()| out)));
            }))
        })
        .await
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the SQLite writer thread panicked");
        }
        // The writer (and with it the sender of commit notices) is gone: the checkpointer
        // stops.
        if let Some(thread) = self.checkpointer.take()
            && thread.join().is_err()
        {
            tracing::error!("the SQLite checkpointer thread panicked");
        }
    }
}

/// The checkpointer thread: after commits, at most every [`CHECKPOINT_EVERY`], a passive
/// checkpoint (copies committed WAL frames into the database file without taking the write
/// lock). Stops when the writer does.
fn checkpoint_loop(
    conn: &Connection,
    path: &Path,
    commits: &mpsc::Receiver<()>,
    restart: &AtomicBool,
    frames: &AtomicI64,
) {
    let mut last = Instant::now();
    while commits.recv().is_ok() {
        let wait = CHECKPOINT_EVERY.saturating_sub(last.elapsed());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        last = Instant::now();
        match passive_checkpoint(conn) {
            Ok((_busy, log, _done)) => {
                frames.store(log, Ordering::Relaxed);
                if log >= WAL_RESTART_PAGES {
                    restart.store(true, Ordering::Release);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "background WAL checkpoint failed");
            }
        }
    }
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: (busy, frames in the WAL, frames checkpointed).
fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
}

struct Writer {
    conn: Connection,
    /// The files this connection has open, to notice when their paths name others.
    identity: FileIdentity,
    /// Why the database file is no longer the file at its path, while it is not.
    vanished: Option<String>,
    /// Failed writes since the last one that succeeded, while writes fail (logged once).
    failing: Option<u64>,
    /// When the last write (an append, or the readiness probe) ended, and how: a failure for
    /// want of storage (full, read-only, gone), or success.
    last_write: Option<(Instant, Result<(), StoreError>)>,
    path: PathBuf,
    head: Head,
    /// Wakes the checkpointer after a commit (a full channel means it is already woken).
    commits: mpsc::SyncSender<()>,
    /// Set by the checkpointer when the WAL is long: finish a checkpoint inline.
    restart: Arc<AtomicBool>,
    /// The last inline checkpoint: while a reader holds frames back, one is tried at most
    /// every [`CHECKPOINT_EVERY`], not after every commit.
    last_inline: Option<Instant>,
}

impl Writer {
    /// Handle commands until every sender is gone. Appends queued back to back are merged into
    /// one transaction (up to [`MAX_MERGED_EVENTS`] events): while one commit is being made
    /// durable, the group committer keeps sending batches, and the next transaction takes all
    /// of them at once instead of waiting for a round trip through the async runtime.
    fn run(&mut self, rx: &mpsc::Receiver<Command>) {
        let mut next = None;
        loop {
            let cmd = match next.take() {
                Some(cmd) => cmd,
                None => match rx.recv() {
                    Ok(cmd) => cmd,
                    Err(_) => return,
                },
            };
            let Command::Append(events, reply) = cmd else {
                self.dispatch(cmd);
                self.after_commit();
                continue;
            };
            let mut group = vec![(events, reply)];
            let mut total = group[0].0.len();
            while total < MAX_MERGED_EVENTS {
                match rx.try_recv() {
                    Ok(Command::Append(events, reply)) => {
                        total += events.len();
                        group.push((events, reply));
                    }
                    Ok(other) => {
                        next = Some(other);
                        break;
                    }
                    Err(_) => break,
                }
            }
            self.append_group(group, total);
            self.after_commit();
        }
    }

    /// One transaction for several queued appends; each caller gets its own outcomes, or the
    /// shared error (as the events of one batch always did).
    fn append_group(&mut self, group: Vec<(Vec<NewEvent>, Reply<Vec<Appended>>)>, total: usize) {
        if group.len() == 1 {
            let Some((events, reply)) = group.into_iter().next() else {
                return;
            };
            self.dispatch(Command::Append(events, reply));
            return;
        }
        let mut all = Vec::with_capacity(total);
        let mut replies = Vec::with_capacity(group.len());
        for (events, reply) in group {
            replies.push((events.len(), reply));
            all.extend(events);
        }
        let result = self.append(&all);
        self.note_write("append", &result);
        match result {
            Ok(outcomes) => {
                let mut outcomes = outcomes.into_iter();
                for (n, reply) in replies {
                    let _ = reply.send(Ok(outcomes.by_ref().take(n).collect()));
                }
            }
            Err(e) => {
                for (_, reply) in replies {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }

    /// Wake the checkpointer, and finish a checkpoint inline when it asked for one.
    fn after_commit(&mut self) {
        let _ = self.commits.try_send(());
        let due = self
            .last_inline
            .is_none_or(|at| at.elapsed() >= CHECKPOINT_EVERY);
        if due && self.restart.load(Ordering::Acquire) {
            self.last_inline = Some(Instant::now());
            // The background checkpoint has copied all but the last few commits: copy those
            // too, so the next transaction can start the WAL over. Best effort. The flag is
            // cleared only once every frame is copied (a reader in the middle of a read
            // transaction can hold some back; then the next commit tries again): a scan
            // waiting on it starts its next read transaction after that, reads from the
            // database file alone, and does not stop the WAL from starting over.
            match passive_checkpoint(&self.conn) {
                Ok((_busy, log, done)) if done >= log => {
                    self.restart.store(false, Ordering::Release);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, path = %self.path.display(), "inline WAL checkpoint failed");
                    self.restart.store(false, Ordering::Release);
                }
            }
        }
    }

    fn dispatch(&mut self, cmd: Command) {
        match cmd {
            Command::Append(events, reply) => {
                let n = events.len();
                let result = self.append(&events);
                self.note_write(&format!("append of {n} events"), &result);
                let _ = reply.send(result);
            }
            Command::Deliveries(deliveries, reply) => {
                let result = self.in_transaction("recording deliveries", |tx, path| {
                    for d in &deliveries {
                        insert_delivery(tx, path, &DeliveryRow::from(d))?;
                    }
                    Ok(())
                });
                self.note_write("recording of deliveries", &result);
                let _ = reply.send(result);
            }
            Command::Quarantine(entries, reply) => {
                let result = self.in_transaction("quarantining bodies", |tx, path| {
                    insert_quarantine(tx, path, &entries)
                });
                self.note_write("quarantine", &result);
                let _ = reply.send(result);
            }
            Command::Ready(reply) => {
                let _ = reply.send(self.ready());
            }
            Command::Exec(job) => job(&mut self.conn, &self.path),
            Command::Ping(reply) => {
                let result = self
                    .conn
                    .query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                    .map(drop)
                    .map_err(error::at("pinging the database", &self.path));
                let _ = reply.send(result);
            }
        }
    }

    fn in_transaction(
        &mut self,
        what: &str,
        body: impl FnOnce(&Transaction<'_>, &Path) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.check_file()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(error::at(what, &self.path))?;
        body(&tx, &self.path)?;
        tx.commit().map_err(error::at(what, &self.path))?;
        // Committed, but to the file at the path? Otherwise nobody is told it is stored.
        self.check_file()
    }

    /// Whether the path still names the database file this writer has open: an error naming
    /// what happened when it does not. Logs once when that changes, either way.
    fn check_file(&mut self) -> Result<(), StoreError> {
        match self.identity.check() {
            Ok(()) => {
                if let Some(was) = self.vanished.take() {
                    tracing::warn!(
                        path = %self.path.display(),
                        was = %was,
                        "the database file is back at its path: appends are acknowledged again"
                    );
                }
                Ok(())
            }
            Err(why) => {
                let message = format!(
                    "{why}: this process's database file is no longer the file at its path, so \
                     nothing written to it would survive a restart; writes are refused until \
                     the file is moved or linked back to its path, or the process is \
                     restarted on the file that is there now"
                );
                if self.vanished.as_deref() != Some(why.as_str()) {
                    tracing::error!(path = %self.path.display(), "{message}");
                }
                self.vanished = Some(why);
                Err(StoreError::Unavailable(message))
            }
        }
    }

    /// Record how a write ended, for [`Command::Ready`], and log a failure once: when writes
    /// start failing (unless the vanished file was just logged), and when they succeed again.
    fn note_write<T>(&mut self, what: &str, result: &Result<T, StoreError>) {
        match result {
            Ok(_) => {
                self.last_write = Some((Instant::now(), Ok(())));
                if let Some(failed) = self.failing.take() {
                    tracing::info!(
                        path = %self.path.display(),
                        failed,
                        "SQLite writes succeed again"
                    );
                }
            }
            Err(e) => {
                // A vanished file is checked anew on every call; its failures say nothing
                // about whether the file takes writes once it is back.
                if e.is_transient() && self.vanished.is_none() {
                    self.last_write = Some((Instant::now(), Err(e.clone())));
                }
                if let Some(failed) = &mut self.failing {
                    *failed += 1;
                } else {
                    self.failing = Some(1);
                    if self.vanished.is_none() {
                        tracing::error!(
                            error = %e,
                            path = %self.path.display(),
                            "SQLite {what} failed; further failures are not logged until a \
                             write succeeds again"
                        );
                    }
                }
            }
        }
    }

    /// [`Command::Ready`]: the file is still at its path, its file system is writable and not
    /// full ([`identity::check_space`]), and the database took a write within [`PROBE_EVERY`]
    /// (an append, or this probe: a one-row write into `readiness_probe`, migration 0007).
    fn ready(&mut self) -> Result<(), StoreError> {
        self.check_file()?;
        // A full or read-only file system can still take the commits that fit in the WAL's
        // allocated space; readiness says no before they stop fitting.
        identity::check_space(&self.path).map_err(StoreError::Unavailable)?;
        if let Some((at, outcome)) = &self.last_write
            && at.elapsed() < PROBE_EVERY
        {
            return outcome.clone();
        }
        let result = self.probe();
        self.note_write("readiness probe", &result);
        if result.is_ok() {
            self.after_commit();
        }
        result
    }

    /// One small write, committed without an fsync of its own (`synchronous=NORMAL`): the
    /// frame is still written to the WAL, which is where a full or read-only disk shows.
    fn probe(&mut self) -> Result<(), StoreError> {
        let what = "probing whether the database takes a write";
        let path = self.path.clone();
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(error::at(what, &path))?;
        let result = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(error::at(what, &path))?;
            tx.execute(
                "INSERT INTO readiness_probe (id, checked_at) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                [zcc_store::ingest::now_ms()],
            )
            .map_err(error::at(what, &path))?;
            tx.commit().map_err(error::at(what, &path))
        })();
        // Back to FULL whatever happened: the next append must be durable.
        let restored = self
            .conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(error::at(what, &path));
        result.and(restored)
    }

    /// One batch, one transaction. On any error the transaction rolls back (on drop) and the
    /// cached head is reloaded at the start of the next one.
    fn append(&mut self, events: &[NewEvent]) -> Result<Vec<Appended>, StoreError> {
        self.check_file()?;
        let path = self.path.as_path();
        let at = |what| error::at(what, path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(at("starting an append transaction"))?;
        let mut head = self.head;
        let last = read::last_entry(&tx, path)?;
        if last != head {
            tracing::info!(cached = %head, stored = %last, "log head changed outside this writer; reloading");
            head = last;
        }
        let mut outcomes = Vec::with_capacity(events.len());
        {
            // The dedupe key (migrations 0004, 0005): (dedupe_ts, body_sha256), where
            // dedupe_ts is the envelope's integer event_ts, as read at `prepare` when that
            // reading is certain and by SQLite from the bytes otherwise, so every copy of a
            // body has the key of the first.
            let mut find = tx
                .prepare_cached(&FIND_DUPLICATE_SQL)
                .map_err(at("preparing the dedupe lookup"))?;
            let mut insert = tx
                .prepare_cached(&INSERT_EVENT_SQL)
                .map_err(at("preparing the event insert"))?;
            for e in events {
                // Insert first and look up only on a conflict: a new body costs one statement.
                // A body repeated within the batch conflicts with its first copy, which this
                // transaction already sees, so the lookup finds that copy's position. A
                // conflict on anything else (a position) is an error, not a duplicate.
                let position = Position(head.size + 1);
                let hash = entry_hash(
                    ChainVersion::CURRENT,
                    &head.hash,
                    &Chained::of_new(position, e),
                );
                let inserted = insert
                    .execute(params![
                        position.0,
                        e.received_at_ms,
                        e.event_type,
                        e.event_time_ms,
                        e.account_id,
                        e.engagement_id.as_deref(),
                        e.body,
                        &e.body_sha256.0[..],
                        &hash.0[..],
                        e.source.as_str(),
                        e.dedupe_ts,
                        ChainVersion::CURRENT.as_i64(),
                    ])
                    .map_err(|err| {
                        error::map(
                            &err,
                            &format!("inserting event {position} ({})", e.event_type),
                            path,
                        )
                    })?;
                let outcome = if inserted == 1 {
                    head = Head {
                        size: position.0,
                        hash,
                    };
                    Appended::Stored(position)
                } else {
                    let existing: i64 = find
                        .query_row(params![e.body, &e.body_sha256.0[..], e.dedupe_ts], |r| {
                            r.get(0)
                        })
                        .map_err(|err| {
                            error::map(
                                &err,
                                &format!("looking up the stored copy of body {}", e.body_sha256),
                                path,
                            )
                        })?;
                    Appended::Duplicate(Position(existing))
                };
                outcomes.push(outcome);
            }
        }
        for (e, outcome) in events.iter().zip(&outcomes) {
            if let Some(meta) = e.delivery.as_ref().filter(|m| m.is_recorded(*outcome)) {
                // `Delivery::of_append`, borrowed from the event: nothing copied on the one
                // writer thread.
                let delivery = DeliveryRow {
                    meta,
                    outcome: DeliveryOutcome::of(*outcome),
                    status: 200,
                    position: Some(outcome.position()),
                    body_sha256: Some(&e.body_sha256),
                    event_type: Some(&e.event_type),
                    reason: None,
                };
                insert_delivery(&tx, path, &delivery)?;
            }
        }
        tx.commit().map_err(at("committing an append"))?;
        self.head = head;
        // Committed, but to the file at the path? Only then may anyone be told it is stored.
        self.check_file()?;
        Ok(outcomes)
    }
}

/// A row of the delivery log, borrowed from a [`Delivery`] or from the event it delivered.
struct DeliveryRow<'a> {
    meta: &'a DeliveryMeta,
    outcome: DeliveryOutcome,
    status: u16,
    position: Option<Position>,
    body_sha256: Option<&'a Digest>,
    event_type: Option<&'a str>,
    reason: Option<&'a str>,
}

impl<'a> From<&'a Delivery> for DeliveryRow<'a> {
    fn from(d: &'a Delivery) -> Self {
        DeliveryRow {
            meta: &d.meta,
            outcome: d.outcome,
            status: d.status,
            position: d.position,
            body_sha256: d.body_sha256.as_ref(),
            event_type: d.event_type.as_deref(),
            reason: d.reason.as_deref(),
        }
    }
}

fn insert_delivery(
    tx: &Transaction<'_>,
    path: &Path,
    d: &DeliveryRow<'_>,
) -> Result<(), StoreError> {
    let headers = serde_json::to_string(&d.meta.headers)
        .map_err(|e| StoreError::Other(format!("encoding delivery headers: {e}")))?;
    let provenance = d
        .meta
        .provenance
        .as_ref()
        .map(zcc_store::Provenance::to_json);
    tx.prepare_cached(
        "INSERT INTO deliveries (received_at, outcome, status, position, body_sha256, \
         event_type, reason, headers, provenance) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            d.meta.received_at_ms,
            d.outcome.as_str(),
            d.status,
            d.position.map(|p| p.0),
            d.body_sha256.as_ref().map(|h| &h.0[..]),
            d.event_type,
            d.reason,
            headers,
            provenance,
        ])
    })
    .map(drop)
    .map_err(|e| {
        error::map(
            &e,
            &format!("recording a {} delivery", d.outcome.as_str()),
            path,
        )
    })
}

fn insert_quarantine(
    tx: &Transaction<'_>,
    path: &Path,
    entries: &[QuarantineEntry],
) -> Result<(), StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO quarantine (received_at, source, origin, reason, body, body_sha256) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(error::at("preparing the quarantine insert", path))?;
    for q in entries {
        stmt.execute(params![
            q.received_at_ms,
            q.source.as_str(),
            q.origin,
            q.reason,
            q.body,
            &q.body_sha256.0[..],
        ])
        .map_err(|e| error::map(&e, &format!("quarantining a body from {}", q.origin), path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::types::Value;
    use zcc_store::Source;
    use zcc_store::ingest::prepare;

    use super::dedupe_ts_of;

    /// Wherever `prepare` claims to know a body's dedupe time, SQLite's own reading of the
    /// bytes (the one every row stored before migration 0005 carries) gives the same value:
    /// otherwise a copy of such a row would miss it and be stored twice.
    #[test]
    fn the_applications_reading_of_event_ts_agrees_with_sqlites() {
        let bodies = [
            r#"{"event":"a","event_ts":1777903330000,"payload":{}}"#,
            r#"{"event":"a","payload":{},"event_ts":-5}"#,
            r#"{"event":"a","event_ts":0,"payload":{}}"#,
            r#"{"event":"a","event_ts":9223372036854775807,"payload":{}}"#,
            r#"{"event":"a","event_ts":-9223372036854775808,"payload":{}}"#,
            r#"{"event":"a","event_ts":9223372036854775808,"payload":{}}"#,
            r#"{"event":"a","event_ts":18446744073709551616,"payload":{}}"#,
            r#"{"event":"a","event_ts":-0,"payload":{}}"#,
            r#"{"event":"a","event_ts":1.0,"payload":{}}"#,
            r#"{"event":"a","event_ts":1e3,"payload":{}}"#,
            r#"{"event":"a","event_ts":"1777903330000","payload":{}}"#,
            r#"{"event":"a","event_ts":null,"payload":{}}"#,
            r#"{"event":"a","event_ts":true,"payload":{}}"#,
            r#"{"event":"a","event_ts":[1],"payload":{}}"#,
            r#"{"event":"a","event_ts":{"ms":1},"payload":{}}"#,
            r#"{"event":"a","payload":{}}"#,
            r#"{"event":"a","payload":{"event_ts":7}}"#,
            r#"{"event":"a","event_ts":1,"event_ts":2,"payload":{}}"#,
            r#"{"event":"a","event\u005fts":7,"payload":{}}"#,
            r#"{"event":"a","event_ts":7,"event\u005fts":8,"payload":{}}"#,
            r#"{"event":"a","event_tsx":7,"payload":{}}"#,
            r#"{"event":"a","EVENT_TS":7,"payload":{}}"#,
            " \t\r\n{\"event\":\"a\",\"event_ts\" : 12 ,\"payload\":{}}\n",
            r#"{"event":"a","event_ts":12,"payload":{"object":{"s":"\ud83d\ude00 \u0000"}}}"#,
        ];
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut stmt = conn
            .prepare(&format!("SELECT {}", dedupe_ts_of("?1")))
            .unwrap();
        let (mut known, mut left) = (0, 0);
        for body in bodies {
            let event = prepare(body.as_bytes(), Source::Import, 0, None)
                .unwrap_or_else(|e| panic!("{body}: {e}"));
            let sqlite: Value = stmt.query_row([body], |r| r.get(0)).unwrap();
            match event.dedupe_ts {
                Some(n) => {
                    known += 1;
                    assert_eq!(sqlite, Value::Integer(n), "{body}");
                }
                None => left += 1,
            }
        }
        assert!(
            known >= 15 && left >= 5,
            "{known} read here, {left} left to SQLite"
        );
    }
}
