//! The OpenAPI document of `/api`, as the real server (127.0.0.1:0, a fresh SQLite file) serves
//! it: valid OpenAPI 3.1 by the official JSON Schema (vendored in `fixtures/`), listing exactly
//! the routes the router answers, each operation's query parameters exactly those its handler
//! accepts, and the real answers matching the documented schemas.

mod api_support;

use std::collections::BTreeSet;
use std::time::Duration;

use api_support::{Server, TOKEN};
use serde_json::{Value, json};

/// The OpenAPI 3.1 document schema (see `fixtures/openapi-3.1-schema.NOTICE.md`).
const OAS_31_SCHEMA: &str = include_str!("fixtures/openapi-3.1-schema.json");

const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

/// Every `(method, path)` the document lists.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("`paths` is an object") {
        for method in HTTP_METHODS {
            if item.get(*method).is_some() {
                out.insert(((*method).to_owned(), path.clone()));
            }
        }
    }
    out
}

/// The errors of `instance` against `schema` (Draft 2020-12), one line each.
fn schema_errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::draft202012::new(schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}\n{schema:#}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect()
}

/// Every `$ref` in `value`, with where it was found.
fn refs(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.push((at.to_owned(), v.as_str().unwrap_or_default().to_owned()));
                } else {
                    refs(v, &format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_served_document_is_valid_openapi_3_1() {
    let server = Server::sqlite(Some(TOKEN)).await;
    let resp = server.get("/api/openapi.json").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");

    let schema: Value = serde_json::from_str(OAS_31_SCHEMA).expect("the vendored schema is JSON");
    let errors = schema_errors(&schema, &doc);
    assert!(
        errors.is_empty(),
        "not valid OpenAPI 3.1:\n{}",
        errors.join("\n")
    );

    // The validator does refuse what is not OpenAPI 3.1.
    for (what, broken) in [
        ("no info", {
            let mut d = doc.clone();
            d.as_object_mut().unwrap().remove("info");
            d
        }),
        ("a 3.0 version", {
            let mut d = doc.clone();
            d["openapi"] = json!("3.0.3");
            d
        }),
        ("a response without a description", {
            let mut d = doc.clone();
            d["paths"]["/api/engagements"]["get"]["responses"]["200"]
                .as_object_mut()
                .unwrap()
                .remove("description");
            d
        }),
        ("a parameter in the body", {
            let mut d = doc.clone();
            d["paths"]["/api/diff"]["get"]["parameters"][0]["in"] = json!("body");
            d
        }),
    ] {
        assert!(
            !schema_errors(&schema, &broken).is_empty(),
            "a document with {what} passed"
        );
    }

    // Every reference resolves inside the document.
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    assert!(found.len() > 20, "{found:?}");
    for (at, target) in found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: {target} is not local"));
        assert!(
            doc.pointer(pointer).is_some(),
            "{at}: {target} does not resolve"
        );
    }

    // The bearer scheme, required everywhere, and what each operation says.
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer",
               "description": "The API token (ZCC_API_TOKEN). Without one configured the API \
                               is open on loopback."})
    );
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][&method];
        assert!(
            op["summary"].as_str().is_some_and(|s| s.len() > 5),
            "{method} {path}"
        );
        assert!(
            op["responses"]["401"].is_object(),
            "{method} {path}: no 401"
        );
        for p in op["parameters"].as_array().into_iter().flatten() {
            assert!(
                p["description"].as_str().is_some_and(|s| s.len() > 5),
                "{method} {path}: parameter {} has no description",
                p["name"]
            );
        }
        for seg in path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(|c| c == '{' || c == '}');
            let declared = op["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true)
            });
            assert!(declared, "{method} {path}: path parameter {name}");
        }
    }
    server.shutdown().await;
}

/// `path` with its parameters filled in.
fn concrete(path: &str, engagement: &str, generation: i64) -> String {
    path.replace("{engagement_id}", engagement)
        .replace("{generation_id}", &generation.to_string())
        .replace("{table}", "events")
        .replace("{quarantine_id}", "1")
        .replace("{subscription_id}", "1")
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_router_answers() {
    let server = Server::sqlite(Some(TOKEN)).await;
    let doc = server.json("/api/openapi.json").await;
    let listed = documented(&doc);
    let table: BTreeSet<(String, String)> = zcc_server::api::routes().into_iter().collect();
    assert_eq!(
        listed, table,
        "the served document and the route table differ"
    );
    assert_eq!(listed.len(), 27, "{listed:?}");

    let paths: BTreeSet<&String> = listed.iter().map(|(_, p)| p).collect();
    for path in paths {
        let url = server.url(&concrete(path, "E1", 1));
        for method in HTTP_METHODS {
            let req = match *method {
                "get" => server.client.get(&url),
                "post" => server.client.post(&url).body("{}"),
                "put" => server.client.put(&url),
                "delete" => server.client.delete(&url),
                _ => server.client.patch(&url),
            };
            let resp = server.auth(req).send().await.unwrap();
            let status = resp.status().as_u16();
            if listed.contains(&((*method).to_owned(), path.clone())) {
                // Routed: whatever the answer, it is not the router's.
                assert_ne!(status, 405, "{method} {path}");
                if status == 404 {
                    let body = resp.text().await.unwrap();
                    assert!(!body.contains("no API route"), "{method} {path}: {body}");
                }
            } else {
                assert_eq!(
                    status, 405,
                    "{method} {path} is answered but not documented"
                );
            }
        }
    }
    // A path the document does not list is the router's 404.
    let (status, body) = server.answer("/api/not-a-route").await;
    assert_eq!(status, 404);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no API route")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn each_operation_documents_exactly_the_query_parameters_its_handler_accepts() {
    let server = Server::sqlite(Some(TOKEN)).await;
    let doc = server.json("/api/openapi.json").await;
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][&method];
        let documented: BTreeSet<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        // A handler refuses an unknown parameter and names the ones it takes.
        let url = server.url(&format!("{}?zz_unknown=1", concrete(&path, "E1", 1)));
        let req = match method.as_str() {
            "get" => server.client.get(&url),
            "delete" => server.client.delete(&url),
            _ => server.client.post(&url).body("{}"),
        };
        let resp = server.auth(req).send().await.unwrap();
        assert_eq!(
            resp.status(),
            400,
            "{method} {path} took an unknown parameter"
        );
        let body: Value = resp.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        let (_, takes) = message
            .split_once("this resource takes: ")
            .unwrap_or_else(|| panic!("{method} {path}: {message}"));
        let accepted: BTreeSet<String> = takes
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        assert_eq!(
            documented, accepted,
            "{method} {path}: documented vs accepted"
        );
    }
    server.shutdown().await;
}

/// The schema of `method path`'s `status` answer in `content_type`, made a standalone schema
/// (the document's components beside it, so its references resolve).
fn answer_schema(doc: &Value, method: &str, path: &str, status: u16, content_type: &str) -> Value {
    let mut response = &doc["paths"][path][method]["responses"][status.to_string()];
    if let Some(target) = response["$ref"].as_str() {
        response = doc
            .pointer(target.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("{method} {path} {status}: {target} does not resolve"));
    }
    let schema = &response["content"][content_type]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} documents no {content_type} answer for {status}"
    );
    json!({"allOf": [schema], "components": doc["components"]})
}

/// The media type of an answer, without its parameters (`text/csv; charset=utf-8` is `text/csv`).
fn media_type(resp: &reqwest::Response) -> String {
    let value = resp.headers()["content-type"].to_str().unwrap();
    value.split(';').next().unwrap().trim().to_owned()
}

/// Check an answer against its documented schema.
fn check(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let schema = answer_schema(doc, method, path, status, "application/json");
    let errors = schema_errors(&schema, body);
    assert!(
        errors.is_empty(),
        "{method} {path} {status} does not match its schema:\n{}\n{body:#}",
        errors.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answers_match_the_documented_schemas() {
    let server = Server::sqlite(Some(TOKEN)).await;
    server.load(30, 7).await;
    let doc = server.json("/api/openapi.json").await;

    // Start a rebuild, wait for it, so the generation list carries a rebuild's progress and
    // report, and the diff has two generations to compare.
    let resp = server
        .post("/api/generations")
        .json(&json!({"rule": "party-count"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    assert!(resp.headers().contains_key("location"));
    let started: Value = resp.json().await.unwrap();
    check(&doc, "post", "/api/generations", 202, &started);
    let id = started["generation"].as_i64().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while server.json(&format!("/api/generations/{id}")).await["rebuild"]["status"] != "done" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the rebuild did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let list = server.json("/api/generations").await;
    let base = list["items"][0]["id"].as_i64().unwrap();
    let page = server.json("/api/engagements?limit=3").await;
    let engagement = page["items"][0]["engagement_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A refused webhook, so the quarantine has an entry to list and show.
    let ts = api_support::now_secs().to_string();
    let refused = server
        .client
        .post(server.url("/webhooks/zoom"))
        .header("x-zm-request-timestamp", &ts)
        .header(
            "x-zm-signature",
            zcc_server::signature::sign(api_support::SECRET, &ts, b"[1]"),
        )
        .body("[1]")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let quarantined = server.json("/api/quarantine").await["items"][0]["id"].clone();

    let gets = [
        ("/api/engagements", "/api/engagements?limit=3".to_owned()),
        (
            "/api/engagements/{engagement_id}",
            format!("/api/engagements/{engagement}"),
        ),
        (
            "/api/engagements/{engagement_id}/events",
            format!("/api/engagements/{engagement}/events"),
        ),
        (
            "/api/engagements/{engagement_id}/derived-events",
            format!("/api/engagements/{engagement}/derived-events"),
        ),
        ("/api/conferences", "/api/conferences?limit=50".to_owned()),
        ("/api/generations", "/api/generations".to_owned()),
        (
            "/api/generations/{generation_id}",
            format!("/api/generations/{id}"),
        ),
        ("/api/diff", format!("/api/diff?base={base}&candidate={id}")),
        ("/api/evaluate", "/api/evaluate?rule=party-count".to_owned()),
        (
            "/api/derived-events",
            "/api/derived-events?limit=20".to_owned(),
        ),
        ("/api/quarantine", "/api/quarantine?limit=5".to_owned()),
        (
            "/api/quarantine/{quarantine_id}",
            format!("/api/quarantine/{quarantined}"),
        ),
    ];
    for (path, url) in &gets {
        let body = server.json(url).await;
        check(&doc, "get", path, 200, &body);
    }
    // The check does refuse an answer that lacks what its schema requires.
    let mut detail = server.json(&gets[1].1).await;
    detail["events"][0]
        .as_object_mut()
        .unwrap()
        .remove("position");
    let schema = answer_schema(&doc, "get", gets[1].0, 200, "application/json");
    assert!(!schema_errors(&schema, &detail).is_empty());
    // The conferences and the feed are not empty, so their rows were checked.
    for listing in ["/api/conferences", "/api/derived-events"] {
        let items = server.json(listing).await["items"].clone();
        assert!(!items.as_array().unwrap().is_empty(), "{listing} is empty");
    }

    let resp = server
        .post(&format!("/api/generations/{id}/activate"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let activated: Value = resp.json().await.unwrap();
    check(
        &doc,
        "post",
        "/api/generations/{generation_id}/activate",
        200,
        &activated,
    );

    check_error_answers(&server, &doc).await;
    check_media_types(&server, &doc).await;
    server.shutdown().await;
}

/// The error answers match the `Error` schema the operations give them.
async fn check_error_answers(server: &Server, doc: &Value) {
    let (status, body) = server.answer("/api/engagements?limit=0").await;
    assert_eq!(status, 400);
    check(doc, "get", "/api/engagements", 400, &body);
    let (status, body) = server.answer("/api/quarantine/999999").await;
    assert_eq!(status, 404);
    check(doc, "get", "/api/quarantine/{quarantine_id}", 404, &body);
    let (status, body) = server.answer("/api/engagements/no-such-engagement").await;
    assert_eq!(status, 404);
    check(doc, "get", "/api/engagements/{engagement_id}", 404, &body);
    let resp = server
        .client
        .get(server.url("/api/generations"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    check(
        doc,
        "get",
        "/api/generations",
        401,
        &resp.json().await.unwrap(),
    );
    let resp = server
        .post("/api/generations/999/activate")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    check(
        doc,
        "post",
        "/api/generations/{generation_id}/activate",
        404,
        &resp.json().await.unwrap(),
    );
}

/// The answers that are not JSON are in a documented media type.
async fn check_media_types(server: &Server, doc: &Value) {
    let exports = &doc["paths"]["/api/exports/{table}"]["get"]["responses"]["200"]["content"];
    for format in ["jsonl", "csv", "parquet"] {
        let resp = server
            .get(&format!("/api/exports/engagements?format={format}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let content_type = media_type(&resp);
        assert!(
            exports[&content_type].is_object(),
            "{format}: {content_type}"
        );
    }
    let resp = server
        .get("/api/derived-events/stream")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let content_type = media_type(&resp);
    drop(resp);
    let stream = &doc["paths"]["/api/derived-events/stream"]["get"]["responses"]["200"]["content"];
    assert!(stream[&content_type].is_object(), "{content_type}");
}
