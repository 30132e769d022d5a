//! The `/api` resources end to end: the real server on 127.0.0.1:0 over a fresh SQLite file
//! (and one run over PostgreSQL), fed with simulated calls POSTed as signed webhooks and
//! folded by the live projector.

mod api_support;

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::time::Duration;

use api_support::{Server, TOKEN, all_pages};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use zcc_server::api::routes;
use zcc_store::Position;

// ---------------------------------------------------------------------------------------------
// Authentication and errors
// ---------------------------------------------------------------------------------------------

fn concrete(path: &str) -> String {
    path.replace("{engagement_id}", "E1")
        .replace("{generation_id}", "1")
        .replace("{table}", "events")
        .replace("{subscription_id}", "1")
}

#[tokio::test]
async fn every_route_needs_the_token_and_errors_are_json() {
    let server = Server::sqlite(Some(TOKEN)).await;
    for (method, path) in routes() {
        let url = server.url(&concrete(&path));
        for auth in [None, Some("Bearer wrong-token"), Some("Basic dXNlcjpwYXNz")] {
            let mut req = match method.as_str() {
                "get" => server.client.get(&url),
                "delete" => server.client.delete(&url),
                _ => server.client.post(&url).body("{}"),
            };
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 401, "{method} {path} with {auth:?}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthorized", "{body}");
            assert!(body["error"]["message"].as_str().unwrap().len() > 5);
        }
    }
    // Unknown API paths: 401 first, then a JSON 404.
    let resp = server
        .client
        .get(server.url("/api/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let (status, body) = server.answer("/api/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");

    // With the token: the bad parameter is named.
    for (path, needle) in [
        ("/api/engagements?limit=0", "`limit`"),
        ("/api/engagements?limit=1001", "`limit`"),
        ("/api/engagements?since=yesterday", "`since`"),
        ("/api/engagements?until=2026-13-01T00:00:00Z", "`until`"),
        ("/api/engagements?has_conference=maybe", "`has_conference`"),
        ("/api/engagements?cursor=zz", "`cursor`"),
        ("/api/engagements?colour=blue", "`colour`"),
        ("/api/engagements?limit=1&limit=2", "`limit`"),
        ("/api/engagements?generation=x", "`generation`"),
        ("/api/engagements?generation=1&rule=correlated", "`rule`"),
        ("/api/diff?base=1", "`candidate`"),
        ("/api/exports/events?format=xml", "`format`"),
        ("/api/derived-events?after=x", "`after`"),
    ] {
        let (status, body) = server.answer(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "bad_request");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{path}: {message}");
    }
    for path in [
        "/api/engagements/NoSuchEngagement",
        "/api/engagements/NoSuchEngagement/events",
        "/api/engagements/NoSuchEngagement/derived-events",
        "/api/engagements?generation=999",
        "/api/engagements?rule=no-such-rule",
        "/api/generations/999",
        "/api/generations/x",
        "/api/exports/no_such_table",
        "/api/diff?base=1&candidate=999",
    ] {
        let (status, body) = server.answer(path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let resp = server
        .post("/api/generations/999/activate")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = server
        .post("/api/generations")
        .body(r#"{"rule":"no-such-rule"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no-such-rule")
    );
    let resp = server
        .post("/api/generations")
        .body(r#"{"rules":"correlated"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    server.shutdown().await;
}

#[tokio::test]
async fn without_a_token_the_api_is_open_on_loopback() {
    let server = Server::sqlite(None).await;
    let list = server.json("/api/generations").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "a new database gets the default generation");
    assert_eq!(items[0]["state"], "active");
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Search, detail, raw and derived events, conferences
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_sorts_both_ways_and_finds_an_id_by_its_beginning() {
    let server = Server::sqlite(Some(TOKEN)).await;
    server.load(30, 7).await;
    let all = all_pages(&server, "/api/engagements", 1000).await;
    let ids: Vec<&str> = all
        .iter()
        .map(|r| r["engagement_id"].as_str().unwrap())
        .collect();
    // `sort=oldest`: the same rows the other way, paged the other way.
    let oldest = all_pages(&server, "/api/engagements?sort=oldest", 1000).await;
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(oldest, reversed);
    for limit in [1, 4, 7] {
        let paged = all_pages(&server, "/api/engagements?sort=oldest", limit).await;
        assert_eq!(paged, reversed, "pages of {limit}, oldest first");
    }
    // `q`: engagements by the beginning of their id.
    let first_id = ids[0];
    let prefix = &first_id[..first_id.len() - 3];
    let by_prefix = all_pages(&server, &format!("/api/engagements?q={prefix}"), 2).await;
    let want: Vec<&Value> = all
        .iter()
        .filter(|r| r["engagement_id"].as_str().unwrap().starts_with(prefix))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(by_prefix.iter().collect::<Vec<_>>(), want);
    let (status, body) = server.answer("/api/engagements?sort=sideways").await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("sort"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_pages_detail_and_conferences() {
    let server = Server::sqlite(Some(TOKEN)).await;
    server.load(30, 7).await;

    // Paging: the same rows in the same order as one big page, no duplicates, no gaps.
    let all = all_pages(&server, "/api/engagements", 1000).await;
    assert!(all.len() >= 25, "{} engagements", all.len());
    let ids: Vec<&str> = all
        .iter()
        .map(|r| r["engagement_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    let keys: Vec<(String, &str)> = all
        .iter()
        .map(|r| {
            (
                r["started_at"].as_str().unwrap().to_owned(),
                r["engagement_id"].as_str().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(keys, sorted, "newest first by (started_at, engagement_id)");
    for limit in [1, 4, 7] {
        let paged = all_pages(&server, "/api/engagements", limit).await;
        assert_eq!(paged, all, "pages of {limit}");
    }

    // Filters.
    let with_conf = all_pages(&server, "/api/engagements?has_conference=true", 5).await;
    assert!(!with_conf.is_empty(), "the simulation has conferences");
    assert!(with_conf.iter().all(|r| r["has_conference"] == true));
    let without = all_pages(&server, "/api/engagements?has_conference=false", 5).await;
    assert_eq!(with_conf.len() + without.len(), all.len());
    let agent = all
        .iter()
        .find_map(|r| r["agents"].as_array().and_then(|a| a.first()).cloned())
        .unwrap();
    let agent = agent.as_str().unwrap();
    let by_agent = all_pages(&server, &format!("/api/engagements?agent={agent}"), 3).await;
    assert!(!by_agent.is_empty());
    assert!(
        by_agent
            .iter()
            .all(|r| r["agents"].as_array().unwrap().iter().any(|a| a == agent))
    );
    let mid = all[all.len() / 2]["started_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let since = all_pages(&server, &format!("/api/engagements?since={mid}"), 4).await;
    let until = all_pages(&server, &format!("/api/engagements?until={mid}"), 4).await;
    assert_eq!(since.len() + until.len(), all.len());
    assert!(
        since
            .iter()
            .all(|r| r["started_at"].as_str().unwrap() >= mid.as_str())
    );

    // Detail: the projection and every raw event with position, hashes and exact body.
    let id = with_conf[0]["engagement_id"].as_str().unwrap();
    let detail = server.json(&format!("/api/engagements/{id}")).await;
    assert_eq!(detail["engagement_id"], id);
    assert_eq!(detail["generation"]["state"], "active");
    let projection = &detail["projection"];
    assert_eq!(projection["engagement"]["engagement_id"], id);
    assert!(!projection["conferences"].as_array().unwrap().is_empty());
    let events = detail["events"].as_array().unwrap();
    assert!(events.len() >= 3);
    let mut positions = Vec::new();
    for e in events {
        let p = e["position"].as_i64().unwrap();
        let body = e["body"].as_str().unwrap();
        assert_eq!(
            e["body_sha256"],
            hex::encode(Sha256::digest(body.as_bytes()))
        );
        let stored = server.store.entry(Position(p)).await.unwrap().unwrap();
        assert_eq!(stored.body, body, "the exact bytes");
        assert_eq!(e["hash"], stored.hash.to_hex());
        assert_eq!(e["engagement_id"], id);
        assert!(e["received_at"].as_str().unwrap().ends_with('Z'));
        positions.push(p);
    }
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "log order");
    let derived = projection["derived_events"].as_array().unwrap();
    assert!(!derived.is_empty());
    for d in derived {
        for p in d["evidence"].as_array().unwrap() {
            assert!(
                positions.contains(&p.as_i64().unwrap()),
                "evidence {p} is a raw event"
            );
        }
    }
    let raw = server.json(&format!("/api/engagements/{id}/events")).await;
    assert_eq!(&raw["items"], &detail["events"]);
    let rows = server
        .json(&format!("/api/engagements/{id}/derived-events"))
        .await;
    assert_eq!(rows["items"].as_array().unwrap().len(), derived.len());
    assert_eq!(rows["items"][0]["kind"], derived[0]["kind"]);

    // Conferences: rows of every engagement with a conference, paged by engagement.
    let confs = all_pages(&server, "/api/conferences", 3).await;
    let conf_engagements: BTreeSet<&str> = confs
        .iter()
        .map(|r| r["engagement_id"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = with_conf
        .iter()
        .map(|r| r["engagement_id"].as_str().unwrap())
        .collect();
    assert_eq!(conf_engagements, expected);
    let total: i64 = with_conf
        .iter()
        .map(|r| r["conference_count"].as_i64().unwrap())
        .sum();
    assert_eq!(confs.len() as i64, total);
    assert!(confs[0]["participants"].as_array().unwrap().len() >= 2);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// The derived-event feed
// ---------------------------------------------------------------------------------------------

/// One parsed Server-Sent Event.
#[derive(Debug, Clone)]
struct Sse {
    id: Option<String>,
    event: Option<String>,
    data: String,
}

/// Read `n` `derived_event`s from an SSE response (skipping comments), or fewer if `within`
/// passes first.
async fn read_sse(resp: &mut reqwest::Response, n: usize, within: Duration) -> Vec<Sse> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while out.len() < n {
        let chunk = match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Err(_) => break,
            Ok(c) => c.unwrap(),
        };
        let Some(chunk) = chunk else { break };
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf[..end].to_owned();
            buf.drain(..end + 2);
            let mut ev = Sse {
                id: None,
                event: None,
                data: String::new(),
            };
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    ev.id = Some(v.trim_start().to_owned());
                } else if let Some(v) = line.strip_prefix("event:") {
                    ev.event = Some(v.trim_start().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    ev.data.push_str(v.trim_start());
                }
            }
            if ev.event.as_deref() == Some("derived_event") && out.len() < n {
                out.push(ev);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_polls_and_streams_each_derived_event_once_across_a_reconnect() {
    let server = Server::sqlite(Some(TOKEN)).await;
    server.load(12, 11).await;

    // Polling in one big page is the reference.
    let page = server.json("/api/derived-events?limit=1000").await;
    let reference: Vec<Value> = page["items"].as_array().unwrap().clone();
    assert!(reference.len() > 30, "{} items", reference.len());
    // Each derived event of every projection appears exactly once, at its highest evidence.
    let engagements = all_pages(&server, "/api/engagements", 1000).await;
    let mut expected = 0;
    for e in &engagements {
        let id = e["engagement_id"].as_str().unwrap();
        let rows = server
            .json(&format!("/api/engagements/{id}/derived-events"))
            .await;
        expected += rows["items"].as_array().unwrap().len();
    }
    assert_eq!(reference.len(), expected);
    let mut seen = HashMap::new();
    for item in &reference {
        let ev = &item["event"];
        let highest = ev["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_i64().unwrap())
            .max();
        assert_eq!(Some(item["position"].as_i64().unwrap()), highest);
        let key = (
            ev["engagement_id"].clone().to_string(),
            ev["seq"].as_i64().unwrap(),
        );
        assert!(seen.insert(key, ()).is_none(), "emitted twice: {item}");
    }
    let positions: Vec<i64> = reference
        .iter()
        .map(|i| i["position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]), "in log order");
    assert_eq!(page["next_cursor"], page["checkpoint"].to_string().as_str());

    // Small pages give the same items.
    let mut paged = Vec::new();
    let mut after = "0".to_owned();
    loop {
        let p = server
            .json(&format!("/api/derived-events?after={after}&limit=3"))
            .await;
        let items = p["items"].as_array().unwrap();
        paged.extend(items.iter().cloned());
        after = p["next_cursor"].as_str().unwrap().to_owned();
        if items.is_empty() {
            break;
        }
    }
    assert_eq!(paged, reference);

    // SSE: read some, drop the connection, resume with Last-Event-ID, get the rest once.
    let mut first = server
        .get("/api/derived-events/stream")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert!(
        first.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let head = read_sse(&mut first, 7, Duration::from_secs(10)).await;
    assert_eq!(head.len(), 7);
    drop(first);
    let last_id = head.last().unwrap().id.clone().unwrap();
    let mut second = server
        .get("/api/derived-events/stream?after=0")
        .header("last-event-id", &last_id)
        .send()
        .await
        .unwrap();
    let rest = read_sse(&mut second, reference.len() - 7, Duration::from_secs(10)).await;
    let extra = read_sse(&mut second, 1, Duration::from_millis(600)).await;
    assert!(extra.is_empty(), "nothing after the end: {extra:?}");
    let streamed: Vec<Value> = head
        .iter()
        .chain(&rest)
        .map(|e| {
            let v: Value = serde_json::from_str(&e.data).unwrap();
            assert_eq!(v["cursor"].as_str(), e.id.as_deref());
            v
        })
        .collect();
    assert_eq!(streamed, reference, "every item exactly once, in order");

    // New events reach an open stream.
    let mut live = server
        .get(&format!(
            "/api/derived-events/stream?after={}",
            page["next_cursor"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    let body = json!({
        "event": "contact_center.engagement_started",
        "event_ts": 1_777_903_330_000_i64,
        "payload": {"account_id": "Acct", "object": {
            "engagement_id": "EngLiveFeed1", "date_time_ms": 1_777_903_330_000_i64,
            "channel": "voice", "direction": "inbound"}}
    })
    .to_string();
    server.webhook(&body).await;
    let got = read_sse(&mut live, 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "a live event arrives");
    let v: Value = serde_json::from_str(&got[0].data).unwrap();
    assert_eq!(v["event"]["engagement_id"], "EngLiveFeed1");
    assert_eq!(v["event"]["kind"], "call_started");
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Generations
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generations_rebuild_progress_activate_and_diff() {
    let server = Server::sqlite(Some(TOKEN)).await;
    server.load(15, 3).await;
    let list = server.json("/api/generations").await;
    let head = list["log_head"].as_i64().unwrap();
    let default = list["items"][0].clone();
    assert_eq!(default["state"], "active");
    assert_eq!(default["checkpoint"], head);
    assert_eq!(default["behind"], 0);

    let resp = server
        .post("/api/generations")
        .json(&json!({"rule": "party-count", "params": {}, "activate": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let started: Value = resp.json().await.unwrap();
    let id = started["generation"].as_i64().unwrap();
    assert_eq!(location, format!("/api/generations/{id}"));
    assert!(
        started["rule"]
            .as_str()
            .unwrap()
            .starts_with("party-count@")
    );

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let done = loop {
        let g = server.json(&location).await;
        assert_ne!(g["state"], "retired");
        if g["state"] == "ready" {
            break g;
        }
        assert!(tokio::time::Instant::now() < deadline, "rebuild stuck: {g}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(done["checkpoint"], head);
    assert_eq!(done["rebuild"]["status"], "done", "{done}");
    assert!(done["rebuild"]["report"]["entries"].as_u64().unwrap() > 0);

    let default_id = default["id"].as_i64().unwrap();
    let diff = server
        .json(&format!("/api/diff?base={default_id}&candidate={id}"))
        .await;
    assert_eq!(diff["base"], default_id);
    assert_eq!(diff["candidate"], id);
    assert!(diff["engagements"].as_u64().unwrap() > 0);

    // Search reads the rule asked for.
    let by_rule = server
        .json("/api/engagements?rule=party-count&limit=1")
        .await;
    assert!(
        by_rule["items"][0]["rule"]
            .as_str()
            .unwrap()
            .starts_with("party-count@")
    );

    let resp = server
        .post(&format!("/api/generations/{id}/activate"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let report: Value = resp.json().await.unwrap();
    assert_eq!(report["activated"], id);
    assert_eq!(report["previous"], default_id);
    let list = server.json("/api/generations").await;
    let states: Vec<(i64, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_i64().unwrap(),
                g["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [(default_id, "ready".into()), (id, "active".into())]
    );
    let detail_rule = server.json("/api/engagements?limit=1").await;
    assert!(
        detail_rule["items"][0]["rule"]
            .as_str()
            .unwrap()
            .starts_with("party-count@")
    );

    // Both generations stay current as events arrive.
    server.load(2, 99).await;
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------------------------

/// A raw HTTP/1.1 GET that asks for trailers: the decoded body and the trailer fields.
fn get_with_trailers(
    base: &str,
    path: &str,
    token: &str,
) -> (String, Vec<u8>, HashMap<String, String>) {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nTE: trailers\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    let mut rest = &raw[split + 4..];
    let mut body = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16).unwrap();
        rest = &rest[eol + 2..];
        if size == 0 {
            break;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
    let mut trailers = HashMap::new();
    for line in std::str::from_utf8(rest).unwrap().split("\r\n") {
        if let Some((k, v)) = line.split_once(':') {
            trailers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    (head, body, trailers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_stream_every_format_with_the_manifest_as_a_trailer() {
    let server = Server::sqlite(Some(TOKEN)).await;
    let posted = server.load(10, 5).await;
    let head = server.store.head().await.unwrap().size;
    assert!(head as usize <= posted);

    for table in ["events", "conferences", "engagements", "derived_events"] {
        let mut counts = Vec::new();
        for format in ["jsonl", "csv", "parquet"] {
            let path = format!("/api/exports/{table}?format={format}");
            let resp = server.get(&path).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            let bytes = resp.bytes().await.unwrap();
            let rows = match format {
                "jsonl" => {
                    let text = std::str::from_utf8(&bytes).unwrap();
                    for line in text.lines() {
                        let _: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
                    }
                    text.lines().count()
                }
                "csv" => {
                    let mut r = csv::Reader::from_reader(&bytes[..]);
                    let headers = r.headers().unwrap().clone();
                    if table == "conferences" {
                        assert_eq!(&headers[0], "engagement_id");
                        assert_eq!(&headers[2], "conference_index");
                    }
                    r.records().inspect(|rec| assert!(rec.is_ok())).count()
                }
                _ => {
                    use parquet::file::reader::{FileReader, SerializedFileReader};
                    let reader = SerializedFileReader::new(bytes.clone()).unwrap();
                    let meta = reader.metadata().file_metadata();
                    let kv = meta.key_value_metadata().cloned().unwrap_or_default();
                    assert!(
                        kv.iter().any(|k| k.key.contains("manifest")),
                        "the manifest is embedded"
                    );
                    meta.num_rows() as usize
                }
            };
            counts.push(rows);
        }
        assert!(
            counts.iter().all(|c| *c == counts[0]),
            "{table}: {counts:?}"
        );
        if table == "events" {
            assert_eq!(counts[0] as i64, head);
        } else {
            assert!(counts[0] > 0, "{table} has rows");
        }

        // The manifest as a trailer, for a client that asks for trailers.
        let base = server.base.clone();
        let path = format!("/api/exports/{table}?format=csv");
        let (resp_head, body, trailers) =
            tokio::task::spawn_blocking(move || get_with_trailers(&base, &path, TOKEN))
                .await
                .unwrap();
        assert!(resp_head.starts_with("HTTP/1.1 200"), "{resp_head}");
        let manifest: Value = serde_json::from_str(&trailers["x-zcc-manifest"]).unwrap();
        assert_eq!(manifest["table"], table);
        assert_eq!(manifest["format"], "csv");
        assert_eq!(manifest["rows"].as_u64().unwrap() as usize, counts[0]);
        let mut r = csv::Reader::from_reader(&body[..]);
        assert_eq!(r.records().count(), counts[0]);
        if table != "events" {
            assert!(manifest["rule"].as_str().unwrap().contains('@'));
        }
    }

    // A time window.
    let all = server
        .get("/api/exports/events")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let times: Vec<String> = all
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["event_time"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    let mid = &sorted[sorted.len() / 2];
    let since = server
        .get(&format!("/api/exports/events?since={mid}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let expected = times.iter().filter(|t| t.as_str() >= mid.as_str()).count();
    assert_eq!(since.lines().count(), expected);
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn openapi_lists_every_route_and_is_well_formed() {
    let server = Server::sqlite(None).await;
    let doc = server.json("/api/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            documented.insert((method.clone(), path.clone()));
            let responses = op["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path}"));
            assert!(!responses.is_empty());
            for (code, r) in responses {
                assert!(code.len() == 3 && code.parse::<u16>().is_ok(), "{code}");
                assert!(r["description"].is_string(), "{method} {path} {code}");
            }
            // Every path parameter is declared.
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                let declared = op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true)
                });
                assert!(declared, "{method} {path}: path parameter {name}");
            }
        }
    }
    let routes: BTreeSet<(String, String)> = routes().into_iter().collect();
    assert_eq!(documented, routes);
    // Every $ref resolves.
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(doc["components"]["schemas"][name].is_object(), "{name}");
    }
    // And every documented route is routed (not 404/405) on the real server.
    for (method, path) in routes {
        let url = server.url(&concrete(&path));
        let resp = match method.as_str() {
            "get" => server.client.get(&url).send().await.unwrap(),
            "delete" => server.client.delete(&url).send().await.unwrap(),
            _ => server.client.post(&url).body("{}").send().await.unwrap(),
        };
        let status = resp.status().as_u16();
        let body = if path.ends_with("/stream") {
            String::new()
        } else {
            resp.text().await.unwrap()
        };
        assert!(status != 405, "{method} {path}: {status}");
        if status == 404 {
            assert!(
                !body.contains("no API route"),
                "{method} {path} is not routed: {body}"
            );
        }
    }
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serves_the_same_api() {
    let db = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    let server = Server::start(std::sync::Arc::new(store), Some(TOKEN)).await;
    server.load(8, 21).await;
    let all = all_pages(&server, "/api/engagements", 1000).await;
    assert!(all.len() >= 6);
    assert_eq!(all_pages(&server, "/api/engagements", 3).await, all);
    let id = all[0]["engagement_id"].as_str().unwrap();
    let detail = server.json(&format!("/api/engagements/{id}")).await;
    assert!(
        detail["projection"]["derived_events"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );
    let first = &detail["events"][0];
    let stored = server
        .store
        .entry(Position(first["position"].as_i64().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first["hash"], stored.hash.to_hex());
    let feed = server.json("/api/derived-events?limit=1000").await;
    assert!(!feed["items"].as_array().unwrap().is_empty());
    let resp = server
        .get("/api/exports/conferences?format=parquet")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    server.shutdown().await;
}
