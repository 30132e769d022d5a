//! [`ProjectionStore`] for PostgreSQL: generations and per-engagement projection documents
//! (`migrations/postgres/0002_projections.sql`).
//!
//! `write_projections` is one transaction of a few set-based statements whatever the batch
//! size: documents are upserted from `UNNEST`ed arrays (one per column, in lockstep), the
//! agent and queue search rows of those engagements are replaced the same way, and the
//! checkpoint moves last. `activate` demotes the active generation and promotes the new one in
//! one transaction; the partial unique index `generations_one_active` makes two active
//! generations impossible even under concurrent activations.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;
use zcc_store::projection::{
    Generation, GenerationId, GenerationState, ProjectionDoc, ProjectionStore, SearchFilter,
};
use zcc_store::{EngagementId, Position, StoreError};

use crate::PostgresLog;
use crate::error::map_sqlx;

fn generation_row(row: &PgRow, what: &str) -> Result<Generation, StoreError> {
    let err = |e| map_sqlx(what, e);
    let id: i64 = row.try_get("id").map_err(err)?;
    let state: String = row.try_get("state").map_err(err)?;
    let state = GenerationState::parse(&state).ok_or_else(|| {
        StoreError::Other(format!(
            "{what}: generation {id} has unknown state {state:?}"
        ))
    })?;
    Ok(Generation {
        id: GenerationId(id),
        rule_name: row.try_get("rule_name").map_err(err)?,
        rule_identity: row.try_get("rule_identity").map_err(err)?,
        params: row.try_get("params").map_err(err)?,
        state,
        checkpoint: Position(row.try_get("checkpoint").map_err(err)?),
        created_at_ms: row.try_get("created_at").map_err(err)?,
    })
}

fn doc_row(row: &PgRow, what: &str) -> Result<ProjectionDoc, StoreError> {
    let err = |e| map_sqlx(what, e);
    let engagement_id: String = row.try_get("engagement_id").map_err(err)?;
    let list = |col: &str| -> Result<Vec<String>, StoreError> {
        let text: String = row.try_get(col).map_err(err)?;
        serde_json::from_str(&text).map_err(|e| {
            StoreError::Other(format!(
                "{what}: engagement {engagement_id}: {col} {text:?} is not a JSON list: {e}"
            ))
        })
    };
    Ok(ProjectionDoc {
        agents: list("agents")?,
        queues: list("queues")?,
        account_id: row.try_get("account_id").map_err(err)?,
        started_at_ms: row.try_get("started_at").map_err(err)?,
        ended_at_ms: row.try_get("ended_at").map_err(err)?,
        has_conference: row.try_get("has_conference").map_err(err)?,
        doc: row.try_get("doc").map_err(err)?,
        search: row.try_get("search").map_err(err)?,
        engagement_id: EngagementId::from(engagement_id),
    })
}

/// A term of `$11`..`$13` (the columns of [`SearchFilter::text`]) that the document `p` does
/// not match: the rules of [`zcc_store::search::SearchTerm`]. Plain string functions, no
/// `LIKE`, so `%` and `_` in a query are only themselves.
const UNMATCHED_TERM: &str = "SELECT 1 FROM UNNEST($11::text[], $12::text[], $13::text[]) \
     AS t (exact, word, digits) \
     WHERE NOT (starts_with(p.engagement_id, t.exact) \
     OR starts_with(coalesce(p.search, ''), t.word) \
     OR strpos(substr(coalesce(p.search, ''), strpos(coalesce(p.search, ''), chr(10))), t.word) > 0 \
     OR coalesce(strpos(substr(coalesce(p.search, ''), strpos(coalesce(p.search, ''), chr(10))), \
     t.digits), 0) > 0)";

/// A search's terms as three parallel arrays (`None` when there are none).
struct Terms {
    exact: Vec<String>,
    text: Vec<String>,
    digits: Vec<Option<String>>,
}

impl Terms {
    fn of(filter: &SearchFilter) -> Option<Terms> {
        if filter.text.is_empty() {
            return None;
        }
        let t = &filter.text;
        Some(Terms {
            exact: t.iter().map(|t| t.exact.clone()).collect(),
            text: t.iter().map(|t| t.text.clone()).collect(),
            digits: t.iter().map(|t| t.digits.clone()).collect(),
        })
    }
}

fn now_ms() -> i64 {
    zcc_store::ingest::now_ms()
}

/// Refuse a generation that does not exist. `lock` takes its row until the transaction ends
/// (activation, which must not interleave with another); a projection write only looks, so
/// that two writes of one generation can run side by side.
async fn require_generation(
    tx: &mut sqlx::PgConnection,
    id: GenerationId,
    lock: bool,
    what: &str,
) -> Result<(), StoreError> {
    let sql = if lock {
        "SELECT state FROM generations WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT state FROM generations WHERE id = $1"
    };
    let found = sqlx::query(sql)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| map_sqlx(what, e))?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::Refused(format!(
            "{what}: generation {id} does not exist"
        ))),
    }
}

#[async_trait]
impl ProjectionStore for PostgresLog {
    async fn create_generation(
        &self,
        rule_name: &str,
        rule_identity: &str,
        params: &str,
    ) -> Result<Generation, StoreError> {
        let what = format!("creating a generation of {rule_identity}");
        let row = sqlx::query(
            "INSERT INTO generations (rule_name, rule_identity, params, state, checkpoint, \
             created_at) VALUES ($1, $2, $3, 'building', 0, $4) \
             RETURNING id, rule_name, rule_identity, params, state, checkpoint, created_at",
        )
        .bind(rule_name)
        .bind(rule_identity)
        .bind(params)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await
        .map_err(|e| map_sqlx(&what, e))?;
        generation_row(&row, &what)
    }

    async fn generations(&self) -> Result<Vec<Generation>, StoreError> {
        let what = "listing generations";
        let rows = sqlx::query(
            "SELECT id, rule_name, rule_identity, params, state, checkpoint, created_at \
             FROM generations ORDER BY id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|e| map_sqlx(what, e))?;
        rows.iter().map(|r| generation_row(r, what)).collect()
    }

    async fn generation(&self, id: GenerationId) -> Result<Option<Generation>, StoreError> {
        let what = format!("reading generation {id}");
        let row = sqlx::query(
            "SELECT id, rule_name, rule_identity, params, state, checkpoint, created_at \
             FROM generations WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| map_sqlx(&what, e))?;
        row.map(|r| generation_row(&r, &what)).transpose()
    }

    async fn set_state(&self, id: GenerationId, state: GenerationState) -> Result<(), StoreError> {
        let what = format!("setting generation {id} {}", state.as_str());
        if state == GenerationState::Active {
            return Err(StoreError::Refused(format!(
                "{what}: use activate, which demotes the active one in the same transaction"
            )));
        }
        let done = sqlx::query("UPDATE generations SET state = $2 WHERE id = $1")
            .bind(id.0)
            .bind(state.as_str())
            .execute(self.pool())
            .await
            .map_err(|e| map_sqlx(&what, e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Refused(format!(
                "{what}: generation {id} does not exist"
            )));
        }
        Ok(())
    }

    async fn activate(&self, id: GenerationId) -> Result<(), StoreError> {
        let what = format!("activating generation {id}");
        let err = |e| map_sqlx(&what, e);
        let mut tx = self.pool().begin().await.map_err(err)?;
        require_generation(&mut tx, id, true, &what).await?;
        sqlx::query("UPDATE generations SET state = 'ready' WHERE state = 'active' AND id <> $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        sqlx::query("UPDATE generations SET state = 'active' WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    /// Two at once: the server writes a rebuild's next batch while it still commits the one
    /// before, where the client folds batches faster than one connection writes them (on two
    /// cores shared with the server it seldom does; docs/BENCHMARKS.md, "PostgreSQL's write
    /// side").
    fn concurrent_writes(&self) -> usize {
        2
    }

    async fn write_projections(
        &self,
        id: GenerationId,
        mut docs: Vec<ProjectionDoc>,
        checkpoint: Position,
    ) -> Result<(), StoreError> {
        let what = format!(
            "writing {} projections of generation {id} up to position {checkpoint}",
            docs.len()
        );
        let err = |e| map_sqlx(&what, e);
        // Rows are locked in engagement-id order, the same in every write, so two writes that
        // meet on an engagement wait for each other instead of deadlocking.
        docs.sort_unstable_by(|a, b| a.engagement_id.cmp(&b.engagement_id));
        let n = docs.len();
        let mut ids = Vec::with_capacity(n);
        let mut accounts = Vec::with_capacity(n);
        let mut started = Vec::with_capacity(n);
        let mut ended = Vec::with_capacity(n);
        let mut conf = Vec::with_capacity(n);
        let mut agents = Vec::with_capacity(n);
        let mut queues = Vec::with_capacity(n);
        let mut bodies = Vec::with_capacity(n);
        let mut searches = Vec::with_capacity(n);
        let (mut agent_eng, mut agent_user) = (Vec::new(), Vec::new());
        let (mut queue_eng, mut queue_id) = (Vec::new(), Vec::new());
        for d in docs {
            // Each (engagement, agent) and (engagement, queue) once: the side rows are
            // inserted without ON CONFLICT (below).
            for (i, a) in d.agents.iter().enumerate() {
                if !d.agents[..i].contains(a) {
                    agent_eng.push(d.engagement_id.as_str().to_owned());
                    agent_user.push(a.clone());
                }
            }
            for (i, q) in d.queues.iter().enumerate() {
                if !d.queues[..i].contains(q) {
                    queue_eng.push(d.engagement_id.as_str().to_owned());
                    queue_id.push(q.clone());
                }
            }
            agents.push(serde_json::to_string(&d.agents).expect("strings serialise"));
            queues.push(serde_json::to_string(&d.queues).expect("strings serialise"));
            ids.push(String::from(d.engagement_id));
            accounts.push(d.account_id);
            started.push(d.started_at_ms);
            ended.push(d.ended_at_ms);
            conf.push(d.has_conference);
            bodies.push(d.doc);
            searches.push(d.search);
        }
        let mut tx = self.pool().begin().await.map_err(err)?;
        require_generation(&mut tx, id, false, &what).await?;
        // One `UNNEST` per array in the select list (equal lengths, so they run in lockstep),
        // not `FROM UNNEST(a, b, ...)`: that form materialises its rows, and a rebuild's batch
        // of ~2000 documents (several MB) spills to a temp file past the default `work_mem`.
        // A batch's upsert takes ~15% less server time this way.
        if !ids.is_empty() {
            sqlx::query(
                "INSERT INTO projections (generation, engagement_id, account_id, started_at, \
                 ended_at, has_conference, agents, queues, doc, search) \
                 SELECT $1, UNNEST($2::text[]), UNNEST($3::text[]), UNNEST($4::int8[]), \
                 UNNEST($5::int8[]), UNNEST($6::bool[]), UNNEST($7::text[]), \
                 UNNEST($8::text[]), UNNEST($9::text[]), UNNEST($10::text[]) \
                 ON CONFLICT (generation, engagement_id) DO UPDATE SET \
                 account_id = excluded.account_id, started_at = excluded.started_at, \
                 ended_at = excluded.ended_at, has_conference = excluded.has_conference, \
                 agents = excluded.agents, queues = excluded.queues, doc = excluded.doc, \
                 search = excluded.search",
            )
            .bind(id.0)
            .bind(&ids)
            .bind(&accounts)
            .bind(&started)
            .bind(&ended)
            .bind(&conf)
            .bind(&agents)
            .bind(&queues)
            .bind(&bodies)
            .bind(&searches)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
            // The side rows of these engagements are replaced: deleted, then inserted as
            // plain rows (a third of the cost of `ON CONFLICT DO NOTHING`'s speculative
            // insertion). No other transaction can insert them in between: each engagement's
            // document row, upserted above, stays locked by this one until it commits, and
            // every writer upserts the document before it touches the side rows.
            sqlx::query(
                "DELETE FROM projection_agents WHERE generation = $1 AND engagement_id = ANY($2)",
            )
            .bind(id.0)
            .bind(&ids)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
            sqlx::query(
                "DELETE FROM projection_queues WHERE generation = $1 AND engagement_id = ANY($2)",
            )
            .bind(id.0)
            .bind(&ids)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
            sqlx::query(
                "INSERT INTO projection_agents (generation, user_id, engagement_id) \
                 SELECT $1, UNNEST($2::text[]), UNNEST($3::text[])",
            )
            .bind(id.0)
            .bind(&agent_user)
            .bind(&agent_eng)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
            sqlx::query(
                "INSERT INTO projection_queues (generation, queue_id, engagement_id) \
                 SELECT $1, UNNEST($2::text[]), UNNEST($3::text[])",
            )
            .bind(id.0)
            .bind(&queue_id)
            .bind(&queue_eng)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        }
        // Last, so that the generation's row is held only while this transaction commits (a
        // second write of the generation waits here for the first one's commit, not longer).
        sqlx::query("UPDATE generations SET checkpoint = $2 WHERE id = $1")
            .bind(id.0)
            .bind(checkpoint.0)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn projection(
        &self,
        id: GenerationId,
        engagement_id: &EngagementId,
    ) -> Result<Option<ProjectionDoc>, StoreError> {
        let what = format!("reading the projection of {engagement_id} in generation {id}");
        let row = sqlx::query(
            "SELECT engagement_id, account_id, started_at, ended_at, has_conference, agents, \
             queues, doc, search FROM projections WHERE generation = $1 AND engagement_id = $2",
        )
        .bind(id.0)
        .bind(engagement_id.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(|e| map_sqlx(&what, e))?;
        row.map(|r| doc_row(&r, &what)).transpose()
    }

    async fn scan_projections(
        &self,
        id: GenerationId,
        after: Option<&EngagementId>,
        limit: usize,
    ) -> Result<Vec<ProjectionDoc>, StoreError> {
        let what = format!("scanning the projections of generation {id}");
        let rows = sqlx::query(
            "SELECT engagement_id, account_id, started_at, ended_at, has_conference, agents, \
             queues, doc, search FROM projections WHERE generation = $1 \
             AND ($2::text IS NULL OR engagement_id > $2) \
             ORDER BY engagement_id LIMIT $3",
        )
        .bind(id.0)
        .bind(after.map(EngagementId::as_str))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await
        .map_err(|e| map_sqlx(&what, e))?;
        rows.iter().map(|r| doc_row(r, &what)).collect()
    }

    async fn search(
        &self,
        id: GenerationId,
        filter: &SearchFilter,
        after: Option<(i64, String)>,
        limit: usize,
    ) -> Result<Vec<ProjectionDoc>, StoreError> {
        let what = format!("searching the projections of generation {id}");
        let (after_at, after_id) = match after {
            Some((at, e)) => (Some(at), Some(e)),
            None => (None, None),
        };
        let (order, after_op) = filter.order_sql();
        let terms = Terms::of(filter);
        let sql = format!(
            "SELECT p.engagement_id, p.account_id, p.started_at, p.ended_at, p.has_conference, \
             p.agents, p.queues, p.doc, p.search FROM projections p \
             WHERE p.generation = $1 AND p.started_at IS NOT NULL \
             AND ($2::int8 IS NULL OR p.started_at >= $2) \
             AND ($3::int8 IS NULL OR p.started_at < $3) \
             AND ($4::bool IS NULL OR p.has_conference = $4) \
             AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM projection_agents a \
                  WHERE a.generation = $1 AND a.user_id = $5 AND a.engagement_id = p.engagement_id)) \
             AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM projection_queues q \
                  WHERE q.generation = $1 AND q.queue_id = $6 AND q.engagement_id = p.engagement_id)) \
             AND ($10::text IS NULL OR starts_with(p.engagement_id, $10)) \
             AND ($11::text[] IS NULL OR NOT EXISTS ({UNMATCHED_TERM})) \
             AND ($7::int8 IS NULL OR (p.started_at, p.engagement_id) {after_op} ($7, $8::text)) \
             ORDER BY {order} LIMIT $9"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .bind(filter.started_from_ms)
            .bind(filter.started_before_ms)
            .bind(filter.has_conference)
            .bind(filter.agent.as_deref())
            .bind(filter.queue.as_deref())
            .bind(after_at)
            .bind(after_id)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(filter.engagement_prefix.as_deref())
            .bind(terms.as_ref().map(|t| &t.exact))
            .bind(terms.as_ref().map(|t| &t.text))
            .bind(terms.as_ref().map(|t| &t.digits))
            .fetch_all(self.pool())
            .await
            .map_err(|e| map_sqlx(&what, e))?;
        rows.iter().map(|r| doc_row(r, &what)).collect()
    }

    async fn unsearchable_projections(
        &self,
        limit: usize,
    ) -> Result<Vec<(GenerationId, ProjectionDoc)>, StoreError> {
        let what = "reading projections without search text";
        // Through the partial index `projections_unsearched` (0012).
        let rows = sqlx::query(
            "SELECT generation, engagement_id, account_id, started_at, ended_at, \
             has_conference, agents, queues, doc, search FROM projections \
             WHERE search IS NULL ORDER BY generation, engagement_id LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await
        .map_err(|e| map_sqlx(what, e))?;
        rows.iter()
            .map(|r| {
                let generation: i64 = r.try_get("generation").map_err(|e| map_sqlx(what, e))?;
                Ok((GenerationId(generation), doc_row(r, what)?))
            })
            .collect()
    }

    async fn fill_search_text(
        &self,
        texts: Vec<(GenerationId, EngagementId, String)>,
    ) -> Result<u64, StoreError> {
        let what = format!("setting the search text of {} projections", texts.len());
        if texts.is_empty() {
            return Ok(0);
        }
        let mut generations = Vec::with_capacity(texts.len());
        let mut ids = Vec::with_capacity(texts.len());
        let mut searches = Vec::with_capacity(texts.len());
        for (generation, id, text) in texts {
            generations.push(generation.0);
            ids.push(String::from(id));
            searches.push(text);
        }
        let done = sqlx::query(
            "UPDATE projections p SET search = t.search \
             FROM UNNEST($1::int8[], $2::text[], $3::text[]) AS t (generation, engagement_id, search) \
             WHERE p.generation = t.generation AND p.engagement_id = t.engagement_id \
             AND p.search IS NULL",
        )
        .bind(&generations)
        .bind(&ids)
        .bind(&searches)
        .execute(self.pool())
        .await
        .map_err(|e| map_sqlx(&what, e))?;
        Ok(done.rows_affected())
    }
}
