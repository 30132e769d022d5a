//! The writer thread: the only code that changes the database.
//!
//! One OS thread owns the read-write connection. Callers send it a [`Command`] over a channel and
//! await a tokio oneshot reply, so the async runtime never blocks on SQLite and every statement
//! runs on the thread that owns the connection (no per-statement thread hop, unlike
//! sqlx-sqlite). Each command is one `BEGIN IMMEDIATE .. COMMIT`; with `synchronous=FULL` the
//! reply is sent only after the commit is durable (SPEC I2).
//!
//! The thread caches the head (size, hash) of the log. At the start of every append transaction
//! (which holds the write lock) it compares the cache with the last row, a rowid seek, and
//! reloads on any difference, so neither a failed commit nor another process appending to the
//! same file can make the chain drift.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use tokio::sync::oneshot;
use zcc_store::chain::chain_hash;
use zcc_store::{
    Appended, Delivery, DeliveryOutcome, Digest, Head, NewEvent, Position, QuarantineEntry,
    StoreError,
};

use crate::{error, read};

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

pub(crate) enum Command {
    Append(Vec<NewEvent>, Reply<Vec<Appended>>),
    Deliveries(Vec<Delivery>, Reply<()>),
    Quarantine(Vec<QuarantineEntry>, Reply<()>),
    Ping(Reply<()>),
}

/// The handle the [`crate::SqliteLog`] keeps. Dropping it stops the thread after the queued
/// commands and waits for it, so the file is closed when the log is dropped.
pub(crate) struct WriterHandle {
    tx: Option<mpsc::Sender<Command>>,
    thread: Option<JoinHandle<()>>,
}

impl WriterHandle {
    /// Start the thread on an open, migrated connection.
    pub(crate) fn start(conn: Connection, path: PathBuf) -> Result<WriterHandle, StoreError> {
        let head = read::last_entry(&conn, &path)?;
        let (tx, rx) = mpsc::channel();
        let mut writer = Writer { conn, path, head };
        let thread = std::thread::Builder::new()
            .name("zcc-sqlite-writer".into())
            .spawn(move || {
                while let Ok(cmd) = rx.recv() {
                    writer.handle(cmd);
                }
            })
            .map_err(|e| StoreError::Other(format!("starting the SQLite writer thread: {e}")))?;
        Ok(WriterHandle {
            tx: Some(tx),
            thread: Some(thread),
        })
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

impl Drop for WriterHandle {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the SQLite writer thread panicked");
        }
    }
}

struct Writer {
    conn: Connection,
    path: PathBuf,
    head: Head,
}

impl Writer {
    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Append(events, reply) => {
                let n = events.len();
                let result = self.append(&events);
                if let Err(e) = &result {
                    tracing::warn!(error = %e, batch = n, "SQLite append failed");
                }
                let _ = reply.send(result);
            }
            Command::Deliveries(deliveries, reply) => {
                let _ = reply.send(self.in_transaction("recording deliveries", |tx, path| {
                    for d in &deliveries {
                        insert_delivery(tx, path, d)?;
                    }
                    Ok(())
                }));
            }
            Command::Quarantine(entries, reply) => {
                let _ = reply.send(self.in_transaction("quarantining bodies", |tx, path| {
                    insert_quarantine(tx, path, &entries)
                }));
            }
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(error::at(what, &self.path))?;
        body(&tx, &self.path)?;
        tx.commit().map_err(error::at(what, &self.path))
    }

    /// One batch, one transaction. On any error the transaction rolls back (on drop) and the
    /// cached head is reloaded at the start of the next one.
    fn append(&mut self, events: &[NewEvent]) -> Result<Vec<Appended>, StoreError> {
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
        let mut in_batch: HashMap<Digest, Position> = HashMap::new();
        {
            let mut find = tx
                .prepare_cached("SELECT position FROM events WHERE body_sha256 = ?1")
                .map_err(at("preparing the dedupe lookup"))?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (position, received_at, event_type, event_time, \
                     account_id, engagement_id, body, body_sha256, hash, source) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                     ON CONFLICT (body_sha256) DO NOTHING",
                )
                .map_err(at("preparing the event insert"))?;
            for e in events {
                if let Some(p) = in_batch.get(&e.body_sha256) {
                    outcomes.push(Appended::Duplicate(*p));
                    continue;
                }
                // Insert first and look up only on a conflict: a new body costs one statement.
                let position = Position(head.size + 1);
                let hash = chain_hash(&head.hash, position, &e.body_sha256);
                let inserted = insert
                    .execute(params![
                        position.0,
                        e.received_at_ms,
                        e.event_type,
                        e.event_time_ms,
                        e.account_id,
                        e.engagement_id,
                        e.body,
                        &e.body_sha256.0[..],
                        &hash.0[..],
                        e.source.as_str(),
                    ])
                    .map_err(|err| {
                        error::map(
                            &err,
                            &format!("inserting event {position} ({})", e.event_type),
                            path,
                        )
                    })?;
                let outcome = if inserted == 1 {
                    in_batch.insert(e.body_sha256, position);
                    head = Head {
                        size: position.0,
                        hash,
                    };
                    Appended::Stored(position)
                } else {
                    let existing: i64 = find
                        .query_row([&e.body_sha256.0[..]], |r| r.get(0))
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
            if let Some(meta) = &e.delivery {
                let delivery = Delivery {
                    meta: meta.clone(),
                    outcome: if outcome.is_duplicate() {
                        DeliveryOutcome::Duplicate
                    } else {
                        DeliveryOutcome::Stored
                    },
                    status: 200,
                    position: Some(outcome.position()),
                    body_sha256: Some(e.body_sha256),
                    event_type: Some(e.event_type.clone()),
                    reason: None,
                };
                insert_delivery(&tx, path, &delivery)?;
            }
        }
        tx.commit().map_err(at("committing an append"))?;
        self.head = head;
        Ok(outcomes)
    }
}

fn insert_delivery(tx: &Transaction<'_>, path: &Path, d: &Delivery) -> Result<(), StoreError> {
    let headers = serde_json::to_string(&d.meta.headers)
        .map_err(|e| StoreError::Other(format!("encoding delivery headers: {e}")))?;
    tx.prepare_cached(
        "INSERT INTO deliveries (received_at, outcome, status, position, body_sha256, \
         event_type, reason, headers) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
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
