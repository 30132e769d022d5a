//! Shared harness of the API tests: the real server on 127.0.0.1:0 over a real store (a fresh
//! SQLite file, or a fresh PostgreSQL database), fed with simulated calls POSTed as signed
//! webhooks, and waited on until the live projector has folded everything.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zcc_server::signature::sign;
use zcc_server::{Secret, ServeArgs, ServeError, run};
use zcc_sim::{SimConfig, SimItem};
use zcc_store::projection::Backend;
use zcc_store_sqlite::SqliteLog;

pub const SECRET: &str = "test_secret_token";
pub const TOKEN: &str = "api-token-for-tests";

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Backend>,
    pub token: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServeError>>>,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh SQLite store in its own temporary directory.
pub fn sqlite() -> (Arc<dyn Backend>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let log = SqliteLog::open(path.to_str().unwrap()).expect("open SQLite");
    (Arc::new(log), dir)
}

impl Server {
    /// The server over a fresh SQLite file, with `token` as the API token (or none).
    pub async fn sqlite(token: Option<&str>) -> Server {
        let (store, dir) = sqlite();
        let mut s = Server::start(store, token).await;
        s._dir = Some(dir);
        s
    }

    pub async fn start(store: Arc<dyn Backend>, token: Option<&str>) -> Server {
        let args = ServeArgs {
            webhook_secret: vec![Secret::new(SECRET)],
            api_token: token.map(Secret::new),
            ..ServeArgs::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(args, store.clone(), listener, async move {
            let _ = stopped.await;
        }));
        let server = Server {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            store,
            token: token.map(str::to_owned),
            stop: Some(stop),
            task: Some(task),
            _dir: None,
        };
        // Ready once the API answers (the default generation exists from then on).
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(r) = server.get("/api/generations").send().await
                && r.status() == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A GET with the bearer token (when one is configured).
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.auth(self.client.get(self.url(path)))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.auth(self.client.post(self.url(path)))
    }

    pub fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// GET `path` and expect 200 with JSON.
    pub async fn json(&self, path: &str) -> Value {
        let resp = self.get(path).send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// GET `path` and return the status and the JSON answer.
    pub async fn answer(&self, path: &str) -> (u16, Value) {
        let resp = self.get(path).send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("GET {path}: {status} is not JSON ({e}): {text}"));
        (status, json)
    }

    /// POST one signed webhook body; expect 200.
    pub async fn webhook(&self, body: &str) {
        let ts = now_secs().to_string();
        let resp = self
            .client
            .post(self.url("/webhooks/zoom"))
            .header("content-type", "application/json")
            .header("x-zm-request-timestamp", &ts)
            .header("x-zm-signature", sign(SECRET, &ts, body.as_bytes()))
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }

    /// Deliver `calls` simulated calls (seed `seed`) as signed webhooks, then wait for the
    /// live projector. Returns the number of bodies POSTed.
    pub async fn load(&self, calls: u64, seed: u64) -> usize {
        let config = SimConfig {
            calls,
            seed,
            ..SimConfig::default()
        };
        let mut posted = 0;
        for item in zcc_sim::generate(&config).unwrap() {
            if let SimItem::Webhook(d) = item {
                self.webhook(&d.body).await;
                posted += 1;
            }
        }
        self.caught_up().await;
        posted
    }

    /// Wait until every ready or active generation has folded the whole log.
    pub async fn caught_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let list = self.json("/api/generations").await;
            let head = list["log_head"].as_i64().unwrap();
            let behind = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|g| g["state"] == "ready" || g["state"] == "active")
                .any(|g| g["checkpoint"].as_i64().unwrap() < head);
            if !behind {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "generations did not catch up: {list}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("the server stops")
                .unwrap()
                .unwrap();
        }
    }
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Every page of a cursor-paged resource, concatenated.
pub async fn all_pages(server: &Server, path: &str, limit: usize) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let sep = if path.contains('?') { '&' } else { '?' };
    for _ in 0..10_000 {
        let mut url = format!("{path}{sep}limit={limit}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = server.json(&url).await;
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit);
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
    panic!("paging did not end");
}

impl Server {
    /// The server over `store` with `args` as given (a webhook secret [`SECRET`] is added when
    /// none is), e.g. with Zoom's client configured.
    pub async fn start_with(store: Arc<dyn Backend>, mut args: ServeArgs) -> Server {
        if args.webhook_secret.is_empty() {
            args.webhook_secret = vec![Secret::new(SECRET)];
        }
        let token = args.api_token.as_ref().map(|t| t.expose().to_owned());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(args, store.clone(), listener, async move {
            let _ = stopped.await;
        }));
        let server = Server {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            store,
            token,
            stop: Some(stop),
            task: Some(task),
            _dir: None,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !server
            .get("/api/generations")
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server
    }

    /// The server's `/metrics` text.
    pub async fn metrics(&self) -> String {
        let resp = self.client.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.text().await.unwrap()
    }
}

/// The value of the sample `name{labels}` (labels exactly as rendered, e.g.
/// `outcome="recovered"`; empty for none) in Prometheus text, if present.
pub fn sample(metrics: &str, name: &str, labels: &str) -> Option<f64> {
    let key = if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{labels}}}")
    };
    metrics.lines().find_map(|line| {
        let (k, v) = line.rsplit_once(' ')?;
        (k == key).then(|| v.parse().ok()).flatten()
    })
}
