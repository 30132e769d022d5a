//! Free-text search (`q`) end to end, on SQLite and on PostgreSQL: the real server on
//! 127.0.0.1:0 fed with simulated calls as signed webhooks, searched through `GET
//! /api/engagements` and the call list's search box. Every answer is compared with the search
//! rules applied to each call's own projection, and the call a query was made from must be in
//! it. Projections written before the store kept search text become searchable when the server
//! starts.

mod api_support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use api_support::{Server, TOKEN};
use serde_json::Value;
use zcc_model::{CallProjection, Party};
use zcc_store::projection::Backend;
use zcc_store::search::{matches, parse_query};

/// Every simulated call with its projection, as the API's detail gives it.
async fn calls(server: &Server) -> Vec<(String, CallProjection)> {
    let list = server.json("/api/engagements?limit=1000").await;
    let mut out = Vec::new();
    for row in list["items"].as_array().unwrap() {
        let id = row["engagement_id"].as_str().unwrap().to_owned();
        let detail = server.json(&format!("/api/engagements/{id}")).await;
        let p: CallProjection = serde_json::from_value(detail["projection"].clone())
            .unwrap_or_else(|e| panic!("the projection of {id} reads back: {e}"));
        out.push((id, p));
    }
    out
}

/// The engagement ids `GET /api/engagements?q=` answers.
async fn api_search(server: &Server, q: &str) -> BTreeSet<String> {
    let resp = server
        .get("/api/engagements")
        .query(&[("q", q), ("limit", "1000")])
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "q={q:?}: {text}");
    let page: Value = serde_json::from_str(&text).unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["engagement_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The engagement ids the call list links to for `q`, and the page.
async fn web_search(server: &Server, q: &str) -> (BTreeSet<String>, String) {
    let resp = server
        .get("/")
        .query(&[("q", q), ("limit", "500")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "the call list for q={q:?}");
    let html = resp.text().await.unwrap();
    let ids = html
        .split(r#"href="/engagements/"#)
        .skip(1)
        .map(|rest| rest.split(['"', '?']).next().unwrap().to_owned())
        .collect();
    (ids, html)
}

/// The calls the search rules pick for `q`, from each call's own projection.
fn expected(calls: &[(String, CallProjection)], q: &str) -> BTreeSet<String> {
    let terms = parse_query(q);
    calls
        .iter()
        .filter(|(id, p)| matches(&terms, id, Some(&zcc_projector::search_text(id, p))))
        .map(|(id, _)| id.clone())
        .collect()
}

/// A call with an agent's display name, a supervisor's, the customer's name and number, as
/// (id, agent name, supervisor name or another agent's, customer name, customer number).
fn sample(calls: &[(String, CallProjection)]) -> (String, String, String, String, String) {
    calls
        .iter()
        .find_map(|(id, p)| {
            let agent = p
                .legs
                .iter()
                .find(|l| l.party == Party::Agent)
                .and_then(|l| l.display_name.clone())?;
            let supervisor = p
                .supervision
                .iter()
                .find_map(|s| s.supervisor_name.clone())?;
            let e = &p.engagement;
            Some((
                id.clone(),
                agent,
                supervisor,
                e.customer_name.clone()?,
                e.customer_number.clone()?,
            ))
        })
        .expect("a simulated call with an agent, a supervisor and a named customer")
}

/// The middle of the last word of `name` (a part of a name), upper-cased.
fn part_of(name: &str) -> String {
    let last: Vec<char> = name.split_whitespace().last().unwrap().chars().collect();
    assert!(
        last.len() >= 3,
        "{name:?} has a last word to take a part of"
    );
    last[1..last.len() - 1]
        .iter()
        .collect::<String>()
        .to_uppercase()
}

/// `+15551234567` written as `+1 555-123-4567`: spaces and dashes between the digits.
fn spaced(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let (a, rest) = digits.split_at(1);
    let (b, rest) = rest.split_at(3.min(rest.len()));
    let (c, d) = rest.split_at(3.min(rest.len()));
    format!("+{a} {b}-{c}-{d}")
}

/// A name, a part of a name in another case, a supervisor, the customer's name and number
/// (with `+`, without, with spaces and dashes, its last digits), an id's beginning (as written
/// and in lower case) each find the call, in the API and on the call list; a word nothing has
/// finds nothing, and every word must match.
async fn text_search(server: &Server) {
    let calls = calls(server).await;
    assert!(calls.len() >= 10, "{} calls", calls.len());
    let (id, agent, supervisor, customer, number) = sample(&calls);
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let finds_the_call = [
        agent.clone(),
        part_of(&agent),
        agent.to_lowercase(),
        supervisor.clone(),
        customer.clone(),
        format!("{} {}", part_of(&customer), part_of(&agent)),
        number.clone(),
        format!("+{digits}"),
        digits.clone(),
        spaced(&number),
        digits[digits.len() - 4..].to_owned(),
        id[..id.len() - 4].to_owned(),
        id[..6].to_lowercase(),
        id.clone(),
    ];
    for q in &finds_the_call {
        let want = expected(&calls, q);
        assert!(want.contains(&id), "the rules find {id} by {q:?}");
        assert_eq!(api_search(server, q).await, want, "API, q={q:?}");
        assert_eq!(web_search(server, q).await.0, want, "call list, q={q:?}");
    }
    for q in [
        "zzqxj".to_owned(),
        format!("{agent} zzqxj"),
        "%".to_owned(),
        "_".to_owned(),
    ] {
        assert!(expected(&calls, &q).is_empty(), "nothing has {q:?}");
        assert!(api_search(server, &q).await.is_empty(), "API, q={q:?}");
        let (ids, html) = web_search(server, &q).await;
        assert!(ids.is_empty(), "call list, q={q:?}");
        assert!(html.contains("No calls match."), "q={q:?}");
    }
    // The search box says what it matches and shows the query back.
    let (_, html) = web_search(server, &agent).await;
    assert!(
        html.contains(&format!(
            r#"placeholder="{}""#,
            zcc_server::web::list::SEARCH_PLACEHOLDER
        )),
        "{html}"
    );
    assert!(
        html.contains("name=\"q\" type=\"search\""),
        "one search box: {html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_finds_calls_by_names_numbers_and_id_beginnings() {
    let server = Server::sqlite(Some(TOKEN)).await;
    server.load(20, 11).await;
    text_search(&server).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_finds_calls_by_names_numbers_and_id_beginnings() {
    let db = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    let server = Server::start(Arc::new(store), Some(TOKEN)).await;
    server.load(20, 11).await;
    text_search(&server).await;
    server.shutdown().await;
}

/// Wait until `q` finds `id` (the backfill runs in the background at start).
async fn until_found(server: &Server, q: &str, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !api_search(server, q).await.contains(id) {
        assert!(
            Instant::now() < deadline,
            "{id} is not found by {q:?} after the server started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A call with a named agent: (id, that agent's name).
fn named(calls: &[(String, CallProjection)]) -> (String, String) {
    calls
        .iter()
        .find_map(|(id, p)| {
            let name = p.legs.iter().find_map(|l| {
                (l.party == Party::Agent)
                    .then(|| l.display_name.clone())
                    .flatten()
            })?;
            Some((id.clone(), name))
        })
        .expect("a simulated call with a named agent")
}

/// Serve, load calls, stop; `make_old` turns the database back into one from before
/// migration 0012 (on SQLite also before 0013: its two indexes are made again) and reopens it;
/// serve again: the old calls are found by name.
async fn old_rows_become_searchable<F, Fut>(store: Arc<dyn Backend>, make_old: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Backend>>,
{
    let server = Server::start(store, Some(TOKEN)).await;
    server.load(6, 5).await;
    let (id, name) = named(&calls(&server).await);
    assert!(api_search(&server, &name).await.contains(&id));
    server.shutdown().await;

    let store = make_old().await;
    let server = Server::start(store, Some(TOKEN)).await;
    // Until the backfill is done the id as typed finds the call all the same.
    assert!(api_search(&server, &id).await.contains(&id));
    until_found(&server, &name, &id).await;
    until_found(&server, &part_of(&name), &id).await;
    assert!(
        server
            .store
            .unsearchable_projections(10)
            .await
            .unwrap()
            .is_empty(),
        "every document has its search text"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_projections_from_before_search_text_become_searchable() {
    let (store, dir) = api_support::sqlite();
    let path = dir.path().join("ledger.db");
    old_rows_become_searchable(store, || async {
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(
            "DROP INDEX projections_unsearched; \
             ALTER TABLE projections DROP COLUMN search; \
             CREATE INDEX projection_agents_engagement \
                 ON projection_agents (generation, engagement_id); \
             CREATE INDEX projection_queues_engagement \
                 ON projection_queues (generation, engagement_id); \
             PRAGMA user_version = 11;",
        )
        .expect("the database as before 0012");
        let log = zcc_store_sqlite::SqliteLog::open(path.to_str().unwrap()).expect("reopen");
        Arc::new(log) as Arc<dyn Backend>
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_projections_from_before_search_text_become_searchable() {
    let db = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    old_rows_become_searchable(Arc::new(store), || async {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
            .await
            .unwrap();
        sqlx::raw_sql(
            "DROP INDEX projections_unsearched; \
             ALTER TABLE projections DROP COLUMN search; \
             DELETE FROM _sqlx_migrations WHERE version = 12;",
        )
        .execute(&mut conn)
        .await
        .expect("the database as before 0012");
        let log = zcc_store_postgres::PostgresLog::connect(&db.url)
            .await
            .expect("reconnect");
        Arc::new(log) as Arc<dyn Backend>
    })
    .await;
}
