//! `zcc-ledger quarantine list [--since T] [--limit N] [--format text|jsonl]` and
//! `zcc-ledger quarantine show ID [--raw]`: the bodies that were refused because they are not
//! webhook envelopes, with their reasons (`zcc_app::quarantine`).

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use zcc_app::quarantine::{DEFAULT_LIMIT, QuarantineError, Refused};
use zcc_export::time::{parse_rfc3339, rfc3339_ms};
use zcc_store::projection::Backend;
use zcc_store::{QuarantineQuery, QuarantineSummary};

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// The refused bodies, newest first: id, time, source, origin, size and reason.
    List(ListArgs),
    /// One refused body: its reason, when and through which source it came, the request id of
    /// its delivery, and the body (byte for byte with --raw).
    Show(ShowArgs),
}

/// `text` for people, `jsonl` for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries received at or after this time (RFC 3339).
    #[arg(long, env = "ZCC_QUARANTINE_SINCE")]
    pub since: Option<String>,
    /// At most this many entries.
    #[arg(long, env = "ZCC_QUARANTINE_LIMIT", default_value_t = DEFAULT_LIMIT)]
    pub limit: usize,
    #[arg(
        long,
        env = "ZCC_QUARANTINE_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The entry's id (`zcc-ledger quarantine list`).
    pub id: i64,
    /// Write only the body, exactly the bytes that were refused.
    #[arg(long, env = "ZCC_QUARANTINE_RAW")]
    pub raw: bool,
}

pub async fn run(store: Arc<dyn Backend>, command: QuarantineCommand) -> anyhow::Result<ExitCode> {
    match command {
        QuarantineCommand::List(args) => list(store, args).await,
        QuarantineCommand::Show(args) => show(store, args).await,
    }
}

async fn list(store: Arc<dyn Backend>, args: ListArgs) -> anyhow::Result<ExitCode> {
    let since_ms = args
        .since
        .as_deref()
        .map(|s| parse_rfc3339("--since", s.trim()))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let query = QuarantineQuery {
        since_ms,
        before_id: None,
        limit: args.limit,
    };
    let entries = zcc_app::quarantine::list(store.as_ref(), &query).await?;
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Jsonl => {
            for e in &entries {
                writeln!(out, "{}", summary_json(e))?;
            }
        }
        ListFormat::Text => {
            if entries.is_empty() {
                eprintln!("the quarantine holds no entry{}", since_note(&args.since));
            }
            for e in &entries {
                writeln!(
                    out,
                    "{:>6}  {}  {:<8}  {}  {} bytes  {}",
                    e.id,
                    rfc3339_ms(e.received_at_ms),
                    e.source.as_str(),
                    e.origin,
                    e.body_len,
                    e.reason
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn since_note(since: &Option<String>) -> String {
    since
        .as_deref()
        .map_or_else(String::new, |s| format!(" received since {s}"))
}

/// One entry of `list --format jsonl`.
fn summary_json(e: &QuarantineSummary) -> serde_json::Value {
    json!({
        "id": e.id,
        "received_at": rfc3339_ms(e.received_at_ms),
        "source": e.source.as_str(),
        "origin": e.origin,
        "reason": e.reason,
        "bytes": e.body_len,
        "body_sha256": e.body_sha256.to_hex(),
    })
}

async fn show(store: Arc<dyn Backend>, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let refused = match zcc_app::quarantine::show(store.as_ref(), args.id).await {
        Err(e @ QuarantineError::Unknown(_)) => {
            bail!("{e} (`zcc-ledger quarantine list` shows the ids)")
        }
        other => other?,
    };
    let mut out = std::io::stdout().lock();
    if args.raw {
        out.write_all(&refused.record.entry.body)?;
    } else {
        out.write_all(report(&refused).as_bytes())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The text report of one entry: what, when, whence, why, then the body as text.
fn report(refused: &Refused) -> String {
    let r = &refused.record;
    let e = &r.entry;
    let mut s = format!(
        "quarantine entry {}\n  received    {}\n  source      {} (origin {})\n  request id  {}\n  \
         reason      {}\n  body        {} bytes, SHA-256 {}\n\n",
        r.id,
        rfc3339_ms(e.received_at_ms),
        e.source.as_str(),
        e.origin,
        refused.request_id.as_deref().unwrap_or("none"),
        e.reason,
        e.body.len(),
        e.body_sha256,
    );
    match std::str::from_utf8(&e.body) {
        Ok(text) => s.extend(text.chars().flat_map(|c| {
            // Control characters (an escape sequence in a hostile body) are shown, not sent to
            // the terminal; --raw writes them as they are.
            let shown: Vec<char> = if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            shown
        })),
        Err(_) => {
            s.push_str("(not UTF-8; shown with escapes; --raw writes the exact bytes)\n");
            s.push_str(&e.body.escape_ascii().to_string());
        }
    }
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}
