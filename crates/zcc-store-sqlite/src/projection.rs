//! [`ProjectionStore`] for SQLite: generations and per-engagement projection documents
//! (`migrations/sqlite/0002_projections.sql`).
//!
//! Reads use the read-only pool. Writes run on the log's writer thread, on its connection, each
//! in one `BEGIN IMMEDIATE` transaction between appends (`activate` flips both states in one).
//! They used to have a connection of their own, which only contended with the log writer for
//! SQLite's single write lock (busy retries on both sides); queued on one connection they take
//! turns, and the rebuild's writes ran ~10% faster (docs/BENCHMARKS.md). Document writes commit
//! without an fsync of their own ([`Durability::Deferred`]); generation changes are `FULL`.
//! Documents are stored compressed ([`crate::doc_codec`]) and read back as their JSON text.

use std::path::Path;

use async_trait::async_trait;
use rusqlite::types::ValueRef;
use rusqlite::{OptionalExtension, Row, params};
use zcc_store::projection::{
    Generation, GenerationId, GenerationState, ProjectionDoc, ProjectionStore, SearchFilter,
};
use zcc_store::{EngagementId, Position, StoreError};

use crate::SqliteLog;
use crate::rows::{collect, query_all};
use crate::writer::Durability;
use crate::{doc_codec, error};

const GENERATION_COLUMNS: &str =
    "id, rule_name, rule_identity, params, state, checkpoint, created_at";
const DOC_COLUMNS: &str = "p.engagement_id, p.account_id, p.started_at, p.ended_at, \
                           p.has_conference, p.agents, p.queues, p.doc, p.search";

/// A term of `?11` (the JSON of [`SearchFilter::text`]) that the document `p` does not match:
/// the rules of [`zcc_store::search::SearchTerm`]. Plain string functions, no `LIKE`, so `%`
/// and `_` in a query are only themselves.
const UNMATCHED_TERM: &str = "SELECT 1 FROM (SELECT json_extract(value, '$.exact') AS exact, \
     json_extract(value, '$.text') AS word, json_extract(value, '$.digits') AS digits \
     FROM json_each(?11)) t \
     WHERE NOT (substr(p.engagement_id, 1, length(t.exact)) = t.exact \
     OR substr(coalesce(p.search, ''), 1, length(t.word)) = t.word \
     OR instr(substr(coalesce(p.search, ''), instr(coalesce(p.search, ''), char(10))), t.word) > 0 \
     OR coalesce(instr(substr(coalesce(p.search, ''), instr(coalesce(p.search, ''), char(10))), \
     t.digits), 0) > 0)";

fn now_ms() -> i64 {
    zcc_store::ingest::now_ms()
}

fn generation_row(row: &Row<'_>) -> rusqlite::Result<Result<Generation, String>> {
    let id: i64 = row.get(0)?;
    let state: String = row.get(4)?;
    let Some(state) = GenerationState::parse(&state) else {
        return Ok(Err(format!("generation {id} has unknown state {state:?}")));
    };
    Ok(Ok(Generation {
        id: GenerationId(id),
        rule_name: row.get(1)?,
        rule_identity: row.get(2)?,
        params: row.get(3)?,
        state,
        checkpoint: Position(row.get(5)?),
        created_at_ms: row.get(6)?,
    }))
}

fn list(row: &Row<'_>, idx: usize, what: &str) -> rusqlite::Result<Result<Vec<String>, String>> {
    let text: String = row.get(idx)?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("{what} {text:?} is not a JSON list: {e}")))
}

fn doc_row(row: &Row<'_>) -> rusqlite::Result<Result<ProjectionDoc, String>> {
    let engagement_id: String = row.get(0)?;
    let agents = match list(row, 5, "agents")? {
        Ok(a) => a,
        Err(e) => return Ok(Err(format!("engagement {engagement_id}: {e}"))),
    };
    let queues = match list(row, 6, "queues")? {
        Ok(q) => q,
        Err(e) => return Ok(Err(format!("engagement {engagement_id}: {e}"))),
    };
    let doc = match row.get_ref(7)? {
        ValueRef::Blob(stored) => doc_codec::decode(stored),
        other => Err(format!("stored as {}, not a blob", other.data_type())),
    };
    let doc = match doc {
        Ok(d) => d,
        Err(e) => return Ok(Err(format!("engagement {engagement_id}: document: {e}"))),
    };
    Ok(Ok(ProjectionDoc {
        engagement_id: EngagementId::from(engagement_id),
        account_id: row.get(1)?,
        started_at_ms: row.get(2)?,
        ended_at_ms: row.get(3)?,
        has_conference: row.get::<_, i64>(4)? != 0,
        agents,
        queues,
        doc,
        search: row.get(8)?,
    }))
}

impl SqliteLog {
    /// Run `f` in one `BEGIN IMMEDIATE` transaction on the log writer's thread and connection.
    async fn projection_write<T: Send + 'static>(
        &self,
        what: String,
        durability: Durability,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &Path, &str) -> Result<T, StoreError>
        + Send
        + 'static,
    ) -> Result<T, StoreError> {
        self.writer.transaction(what, durability, f).await
    }
}

fn require_generation(
    tx: &rusqlite::Transaction<'_>,
    id: GenerationId,
    path: &Path,
    what: &str,
) -> Result<GenerationState, StoreError> {
    let state: Option<String> = tx
        .query_row("SELECT state FROM generations WHERE id = ?1", [id.0], |r| {
            r.get(0)
        })
        .optional()
        .map_err(error::at(what, path))?;
    let state = state.ok_or_else(|| {
        StoreError::Refused(format!(
            "{what} ({}): generation {id} does not exist",
            path.display()
        ))
    })?;
    GenerationState::parse(&state).ok_or_else(|| {
        StoreError::Other(format!(
            "{what} ({}): generation {id} has unknown state {state:?}",
            path.display()
        ))
    })
}

#[async_trait]
impl ProjectionStore for SqliteLog {
    async fn create_generation(
        &self,
        rule_name: &str,
        rule_identity: &str,
        params: &str,
    ) -> Result<Generation, StoreError> {
        let (name, identity, p) = (
            rule_name.to_owned(),
            rule_identity.to_owned(),
            params.to_owned(),
        );
        self.projection_write(
            format!("creating a generation of {rule_identity}"),
            Durability::Full,
            move |tx, path, what| {
                let created_at_ms = now_ms();
                tx.execute(
                    "INSERT INTO generations (rule_name, rule_identity, params, state, checkpoint, \
                     created_at) VALUES (?1, ?2, ?3, 'building', 0, ?4)",
                    params![name, identity, p, created_at_ms],
                )
                .map_err(error::at(what, path))?;
                Ok(Generation {
                    id: GenerationId(tx.last_insert_rowid()),
                    rule_name: name,
                    rule_identity: identity,
                    params: p,
                    state: GenerationState::Building,
                    checkpoint: Position::START,
                    created_at_ms,
                })
            },
        )
        .await
    }

    async fn generations(&self) -> Result<Vec<Generation>, StoreError> {
        self.readers
            .run(|conn, path| {
                let sql = format!("SELECT {GENERATION_COLUMNS} FROM generations ORDER BY id");
                query_all(conn, path, "listing generations", &sql, [], generation_row)
            })
            .await
    }

    async fn generation(&self, id: GenerationId) -> Result<Option<Generation>, StoreError> {
        self.readers
            .run(move |conn, path| {
                let what = format!("reading generation {id}");
                let sql = format!("SELECT {GENERATION_COLUMNS} FROM generations WHERE id = ?1");
                let rows = query_all(conn, path, &what, &sql, [id.0], generation_row)?;
                Ok(rows.into_iter().next())
            })
            .await
    }

    async fn set_state(&self, id: GenerationId, state: GenerationState) -> Result<(), StoreError> {
        if state == GenerationState::Active {
            return Err(StoreError::Refused(format!(
                "setting generation {id} active: use activate, which retires the active one in \
                 the same transaction"
            )));
        }
        self.projection_write(
            format!("setting generation {id} {}", state.as_str()),
            Durability::Full,
            move |tx, path, what| {
                require_generation(tx, id, path, what)?;
                tx.execute(
                    "UPDATE generations SET state = ?2 WHERE id = ?1",
                    params![id.0, state.as_str()],
                )
                .map_err(error::at(what, path))?;
                Ok(())
            },
        )
        .await
    }

    async fn activate(&self, id: GenerationId) -> Result<(), StoreError> {
        self.projection_write(
            format!("activating generation {id}"),
            Durability::Full,
            move |tx, path, what| {
                require_generation(tx, id, path, what)?;
                tx.execute(
                    "UPDATE generations SET state = 'ready' WHERE state = 'active' AND id <> ?1",
                    [id.0],
                )
                .map_err(error::at(what, path))?;
                tx.execute(
                    "UPDATE generations SET state = 'active' WHERE id = ?1",
                    [id.0],
                )
                .map_err(error::at(what, path))?;
                Ok(())
            },
        )
        .await
    }

    async fn write_projections(
        &self,
        id: GenerationId,
        docs: Vec<ProjectionDoc>,
        checkpoint: Position,
    ) -> Result<(), StoreError> {
        // Encoded before the job is queued, on the blocking pool: the writer thread is the one
        // serial resource, and compression needs no connection.
        let docs = tokio::task::spawn_blocking(move || {
            docs.into_iter()
                .map(|d| {
                    let stored = doc_codec::encode(&d.doc);
                    (d, stored)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| StoreError::Other(format!("encoding projection documents: {e}")))?;
        self.projection_write(
            format!(
                "writing {} projections of generation {id} up to position {checkpoint}",
                docs.len()
            ),
            Durability::Deferred,
            move |tx, path, what| {
                require_generation(tx, id, path, what)?;
                let err = error::at(what, path);
                // A document new to the generation (every one of a rebuild's first pass) is one
                // insert and its side rows; only a replaced one (the live projector's re-folds)
                // pays for the update and for clearing its old side rows.
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO projections (generation, engagement_id, account_id, \
                         started_at, ended_at, has_conference, agents, queues, doc, search) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                         ON CONFLICT (generation, engagement_id) DO NOTHING",
                    )
                    .map_err(&err)?;
                let mut update = tx
                    .prepare_cached(
                        "UPDATE projections SET account_id = ?3, started_at = ?4, ended_at = ?5, \
                         has_conference = ?6, agents = ?7, queues = ?8, doc = ?9, search = ?10 \
                         WHERE generation = ?1 AND engagement_id = ?2",
                    )
                    .map_err(&err)?;
                // A replaced document's side rows, by primary key: the old row's lists name them
                // (the two are always written together). Migration 0013.
                let mut old_lists = tx
                    .prepare_cached(
                        "SELECT agents, queues FROM projections \
                         WHERE generation = ?1 AND engagement_id = ?2",
                    )
                    .map_err(&err)?;
                let mut del_agents = tx
                    .prepare_cached(
                        "DELETE FROM projection_agents WHERE generation = ?1 \
                         AND user_id IN (SELECT value FROM json_each(?3)) AND engagement_id = ?2",
                    )
                    .map_err(&err)?;
                let mut del_queues = tx
                    .prepare_cached(
                        "DELETE FROM projection_queues WHERE generation = ?1 \
                         AND queue_id IN (SELECT value FROM json_each(?3)) AND engagement_id = ?2",
                    )
                    .map_err(&err)?;
                let mut add_agent = tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO projection_agents (generation, user_id, engagement_id) \
                         VALUES (?1, ?2, ?3)",
                    )
                    .map_err(&err)?;
                let mut add_queue = tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO projection_queues (generation, queue_id, engagement_id) \
                         VALUES (?1, ?2, ?3)",
                    )
                    .map_err(&err)?;
                for (d, stored) in &docs {
                    let agents = serde_json::to_string(&d.agents).expect("strings serialise");
                    let queues = serde_json::to_string(&d.queues).expect("strings serialise");
                    let row = params![
                        id.0,
                        d.engagement_id.as_str(),
                        d.account_id,
                        d.started_at_ms,
                        d.ended_at_ms,
                        i64::from(d.has_conference),
                        agents,
                        queues,
                        stored,
                        d.search
                    ];
                    let inserted = insert.execute(row).map_err(&err)? == 1;
                    if !inserted {
                        let key = params![id.0, d.engagement_id.as_str()];
                        let (old_agents, old_queues): (String, String) = old_lists
                            .query_row(key, |r| Ok((r.get(0)?, r.get(1)?)))
                            .map_err(&err)?;
                        update.execute(row).map_err(&err)?;
                        del_agents
                            .execute(params![id.0, d.engagement_id.as_str(), old_agents])
                            .map_err(&err)?;
                        del_queues
                            .execute(params![id.0, d.engagement_id.as_str(), old_queues])
                            .map_err(&err)?;
                    }
                    for a in &d.agents {
                        add_agent.execute(params![id.0, a, d.engagement_id.as_str()]).map_err(&err)?;
                    }
                    for q in &d.queues {
                        add_queue.execute(params![id.0, q, d.engagement_id.as_str()]).map_err(&err)?;
                    }
                }
                tx.execute(
                    "UPDATE generations SET checkpoint = ?2 WHERE id = ?1",
                    params![id.0, checkpoint.0],
                )
                .map_err(&err)?;
                Ok(())
            },
        )
        .await
    }

    async fn projection(
        &self,
        id: GenerationId,
        engagement_id: &EngagementId,
    ) -> Result<Option<ProjectionDoc>, StoreError> {
        let engagement = engagement_id.clone();
        self.readers
            .run(move |conn, path| {
                let what = format!("reading the projection of {engagement} in generation {id}");
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {DOC_COLUMNS} FROM projections p \
                         WHERE p.generation = ?1 AND p.engagement_id = ?2"
                    ))
                    .map_err(error::at(&what, path))?;
                let rows = stmt
                    .query_map(params![id.0, engagement.as_str()], doc_row)
                    .map_err(error::at(&what, path))?;
                Ok(collect(rows, &what, path)?.into_iter().next())
            })
            .await
    }

    async fn scan_projections(
        &self,
        id: GenerationId,
        after: Option<&EngagementId>,
        limit: usize,
    ) -> Result<Vec<ProjectionDoc>, StoreError> {
        let after = after.map(|a| a.as_str().to_owned());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.readers
            .run(move |conn, path| {
                let what = format!("scanning the projections of generation {id}");
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {DOC_COLUMNS} FROM projections p WHERE p.generation = ?1 \
                         AND (?2 IS NULL OR p.engagement_id > ?2) \
                         ORDER BY p.engagement_id LIMIT ?3"
                    ))
                    .map_err(error::at(&what, path))?;
                let rows = stmt
                    .query_map(params![id.0, after, limit], doc_row)
                    .map_err(error::at(&what, path))?;
                collect(rows, &what, path)
            })
            .await
    }

    async fn search(
        &self,
        id: GenerationId,
        filter: &SearchFilter,
        after: Option<(i64, String)>,
        limit: usize,
    ) -> Result<Vec<ProjectionDoc>, StoreError> {
        let filter = filter.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.readers
            .run(move |conn, path| {
                let what = format!("searching the projections of generation {id}");
                // One statement per direction: each filter is open when its parameter is NULL.
                let (order, after_op) = filter.order_sql();
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {DOC_COLUMNS} FROM projections p \
                         WHERE p.generation = ?1 AND p.started_at IS NOT NULL \
                         AND (?2 IS NULL OR p.started_at >= ?2) \
                         AND (?3 IS NULL OR p.started_at < ?3) \
                         AND (?4 IS NULL OR p.has_conference = ?4) \
                         AND (?5 IS NULL OR EXISTS (SELECT 1 FROM projection_agents a \
                              WHERE a.generation = ?1 AND a.user_id = ?5 \
                              AND a.engagement_id = p.engagement_id)) \
                         AND (?6 IS NULL OR EXISTS (SELECT 1 FROM projection_queues q \
                              WHERE q.generation = ?1 AND q.queue_id = ?6 \
                              AND q.engagement_id = p.engagement_id)) \
                         AND (?10 IS NULL OR substr(p.engagement_id, 1, length(?10)) = ?10) \
                         AND (?11 IS NULL OR NOT EXISTS ({UNMATCHED_TERM})) \
                         AND (?7 IS NULL OR (p.started_at, p.engagement_id) {after_op} (?7, ?8)) \
                         ORDER BY {order} LIMIT ?9"
                    ))
                    .map_err(error::at(&what, path))?;
                let (after_at, after_id) = match after {
                    Some((at, id)) => (Some(at), Some(id)),
                    None => (None, None),
                };
                let terms = (!filter.text.is_empty())
                    .then(|| serde_json::to_string(&filter.text).expect("terms serialise"));
                let rows = stmt
                    .query_map(
                        params![
                            id.0,
                            filter.started_from_ms,
                            filter.started_before_ms,
                            filter.has_conference.map(i64::from),
                            filter.agent,
                            filter.queue,
                            after_at,
                            after_id,
                            limit,
                            filter.engagement_prefix,
                            terms
                        ],
                        doc_row,
                    )
                    .map_err(error::at(&what, path))?;
                collect(rows, &what, path)
            })
            .await
    }

    async fn unsearchable_projections(
        &self,
        limit: usize,
    ) -> Result<Vec<(GenerationId, ProjectionDoc)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.readers
            .run(move |conn, path| {
                let what = "reading projections without search text";
                // Through the partial index `projections_unsearched` (0012).
                let sql = format!(
                    "SELECT {DOC_COLUMNS}, p.generation FROM projections p \
                     WHERE p.search IS NULL ORDER BY p.generation, p.engagement_id LIMIT ?1"
                );
                query_all(conn, path, what, &sql, [limit], |row| {
                    let generation = GenerationId(row.get(9)?);
                    Ok(doc_row(row)?.map(|doc| (generation, doc)))
                })
            })
            .await
    }

    async fn fill_search_text(
        &self,
        texts: Vec<(GenerationId, EngagementId, String)>,
    ) -> Result<u64, StoreError> {
        self.projection_write(
            format!("setting the search text of {} projections", texts.len()),
            Durability::Deferred,
            move |tx, path, what| {
                let err = error::at(what, path);
                let mut set = tx
                    .prepare_cached(
                        "UPDATE projections SET search = ?3 \
                         WHERE generation = ?1 AND engagement_id = ?2 AND search IS NULL",
                    )
                    .map_err(&err)?;
                let mut done = 0;
                for (generation, engagement_id, text) in &texts {
                    done += set
                        .execute(params![generation.0, engagement_id.as_str(), text])
                        .map_err(&err)? as u64;
                }
                Ok(done)
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn synchronous(log: &SqliteLog, durability: Durability) -> i64 {
        log.writer
            .transaction(
                "reading synchronous".into(),
                durability,
                |tx, path, what| {
                    tx.query_row("PRAGMA synchronous", [], |r| r.get(0))
                        .map_err(error::at(what, path))
                },
            )
            .await
            .unwrap()
    }

    /// Projection documents commit without their own fsync; everything after them, appends
    /// first of all, is back to `synchronous=FULL` (SPEC I2).
    #[tokio::test]
    async fn only_projection_documents_skip_their_own_fsync() {
        let dir = tempfile::tempdir().unwrap();
        let log = SqliteLog::open(dir.path().join("t.db").to_str().unwrap()).unwrap();
        assert_eq!(synchronous(&log, Durability::Deferred).await, 1, "NORMAL");
        let generation = log
            .create_generation("correlated", "correlated@1", "{}")
            .await
            .unwrap();
        log.write_projections(generation.id, Vec::new(), Position(0))
            .await
            .unwrap();
        assert_eq!(synchronous(&log, Durability::Full).await, 2, "FULL again");
    }
}
