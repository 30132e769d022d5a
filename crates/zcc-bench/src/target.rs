//! Running the real `zcc-ledger` binary, and the import benchmark.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

use crate::{Database, raw};

/// The release `zcc-ledger` next to this binary (or `ZCC_BENCH_BIN`).
pub fn ledger_bin() -> anyhow::Result<PathBuf> {
    if let Ok(p) = std::env::var("ZCC_BENCH_BIN") {
        return Ok(PathBuf::from(p));
    }
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("zcc-ledger");
    if !bin.exists() {
        bail!(
            "{} not found: build it first with `cargo build --release -p zcc-ledger -p zcc-bench`",
            bin.display()
        );
    }
    Ok(bin)
}

/// `zcc-ledger serve` on 127.0.0.1:0 over `db_url`, taking webhooks signed with `secret`,
/// with `extra` flags; the child and the `host:port` it listens on.
pub fn start_serve(db_url: &str, secret: &str, extra: &[&str]) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(ledger_bin()?)
        .args(["--database-url", db_url, "serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("ZCC_WEBHOOK_SECRET", secret)
        .env("ZCC_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting zcc-ledger serve")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("serve's stdout")?).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("listening on http://")
        .with_context(|| format!("unexpected first line from serve: {line:?}"))?
        .to_owned();
    Ok((child, base))
}

/// Run `zcc-ledger --database-url db_url ARGS...`; its stdout, or an error naming the command
/// and what it printed on stderr.
pub fn ledger(db_url: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(ledger_bin()?)
        .args(["--database-url", db_url])
        .args(args)
        .env("ZCC_LOG", "warn")
        .output()
        .with_context(|| format!("running zcc-ledger {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "zcc-ledger {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A fresh database of the chosen backend, dropped with the value.
pub enum FreshDb {
    Sqlite(tempfile::TempDir),
    Postgres(zcc_tests::PgTestDb),
}

impl FreshDb {
    pub async fn new(backend: Database) -> FreshDb {
        match backend {
            Database::Sqlite => FreshDb::Sqlite(tempfile::tempdir_in(".").expect("a temp dir")),
            Database::Postgres => FreshDb::Postgres(zcc_tests::fresh_database_async().await),
        }
    }

    pub fn url(&self) -> String {
        match self {
            FreshDb::Sqlite(dir) => format!("sqlite://{}", dir.path().join("ledger.db").display()),
            FreshDb::Postgres(db) => db.url.clone(),
        }
    }
}

/// The raw batched durable-append ceiling of `backend`, in rows/s, on a fresh database.
pub async fn raw_ceiling(backend: Database, rows: &[raw::RawRow]) -> anyhow::Result<f64> {
    raw_ceiling_of(backend, rows, raw::SqliteLayout::Reference).await
}

/// [`raw_ceiling`] with a chosen SQLite index layout (PostgreSQL has one).
pub async fn raw_ceiling_of(
    backend: Database,
    rows: &[raw::RawRow],
    layout: raw::SqliteLayout,
) -> anyhow::Result<f64> {
    let db = FreshDb::new(backend).await;
    match &db {
        FreshDb::Sqlite(dir) => raw::sqlite(&dir.path().join("raw.db"), rows, layout),
        FreshDb::Postgres(pg) => raw::postgres(&pg.url, rows).await,
    }
}

pub async fn import(backend: Database, events: usize) -> anyhow::Result<()> {
    let rows = raw::rows(events);
    let ceiling = raw_ceiling(backend, &rows).await?;
    eprintln!("raw ceiling ({backend:?}): {ceiling:.0} rows/s");

    let dir = tempfile::tempdir_in(".")?;
    let file = dir.path().join("bench.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    for r in &rows {
        out.write_all(r.body.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    drop(rows);

    // The append path alone (`--no-project`), then the whole command, which also folds the
    // imported events into the active generation.
    for (what, extra) in [
        ("import (append)", Some("--no-project")),
        ("import (append + project)", None),
    ] {
        let db = FreshDb::new(backend).await;
        let started = Instant::now();
        let status = Command::new(ledger_bin()?)
            .args(["--database-url", &db.url(), "import"])
            .args(extra)
            .arg(&file)
            .env("ZCC_LOG", "warn")
            .status()
            .context("running zcc-ledger import")?;
        let secs = started.elapsed().as_secs_f64();
        if !status.success() {
            bail!("zcc-ledger import failed: {status}");
        }
        let ours = events as f64 / secs;
        println!(
            "| {what} | {backend:?} | {events} | {ceiling:.0} rows/s | {ours:.0} events/s | {:.2} |",
            ours / ceiling
        );
    }
    Ok(())
}
