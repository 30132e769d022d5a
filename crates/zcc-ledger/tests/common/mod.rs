//! Helpers for the end-to-end tests of the `zcc-ledger` binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use hmac::{Hmac, Mac};

pub const SECRET: &str = "e2e-secret";

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zcc-ledger"));
    c.env_remove("ZCC_DATABASE_URL").env("ZCC_LOG", "warn");
    c
}

/// Run `zcc-ledger ARGS` against `db` and capture everything.
pub fn run(db: &str, args: &[&str]) -> Output {
    bin()
        .arg("--database-url")
        .arg(db)
        .args(args)
        .output()
        .expect("zcc-ledger runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The sample bodies of every documented event type (`tests/fixtures/README.md`).
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/zoom-examples")
}

pub fn sample_files() -> Vec<PathBuf> {
    json_files(&samples_dir())
}

/// Zoom's documented 2026 conference events and the warm-invite API event.
pub fn conference_sample_files() -> Vec<PathBuf> {
    json_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/zoom-examples-2026"),
    )
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the sample bodies are beside the checkout")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// A running `zcc-ledger serve`; killed on drop.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    pub fn start(db: &str) -> Server {
        let mut child = bin()
            .args(["--database-url", db, "serve", "--listen", "127.0.0.1:0"])
            .env("ZCC_WEBHOOK_SECRET", SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from serve: {line:?}"))
            .to_owned();
        Server { child, url }
    }

    pub fn webhook(&self) -> String {
        format!("{}/webhooks/zoom", self.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Zoom's signature headers for `body` at timestamp `ts`.
pub fn signature(secret: &str, ts: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// POST a signed body; returns (status, JSON answer).
pub async fn post(client: &reqwest::Client, url: &str, body: String) -> (u16, serde_json::Value) {
    let ts = now_secs();
    let sig = signature(SECRET, ts, body.as_bytes());
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", ts.to_string())
        .header("x-zm-signature", sig)
        .body(body)
        .send()
        .await
        .expect("request sent");
    let status = resp.status().as_u16();
    let json = resp.json().await.unwrap_or(serde_json::Value::Null);
    (status, json)
}

pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("ledger.db").display())
}

/// Import `corpus` into a new SQLite ledger in `dir` (the import must succeed); its URL.
pub fn imported_ledger(dir: &Path, corpus: &Path) -> String {
    let db = sqlite_url(dir);
    let imp = run(&db, &["import", corpus.to_str().unwrap()]);
    assert_eq!(imp.status.code(), Some(0), "{}", stderr(&imp));
    db
}
