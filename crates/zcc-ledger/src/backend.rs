//! Choosing the backend, once, from the URL scheme.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use zcc_store::outbound::DeliveryBackend;

/// Open (and migrate) the store named by `url`: the log and the projections. Commands that only
/// need the log pass it where an `Arc<dyn EventLog>` is expected (trait upcasting).
///
/// `lock_wait`, when given, is how long the database itself waits for a lock (SQLite's busy
/// time-out, PostgreSQL's `lock_timeout` and pool acquisition): `serve` passes its
/// `--storage-timeout-ms`, so a stalled database fails the write rather than holding the writer.
///
/// The store also keeps outbound delivery's state ([`DeliveryBackend`]): `serve` and
/// `subscriptions` use it; the other commands see it as a
/// [`Backend`](zcc_store::projection::Backend).
pub async fn open_store_with(
    url: &str,
    lock_wait: Option<Duration>,
) -> anyhow::Result<Arc<dyn DeliveryBackend>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut options = zcc_store_postgres::PostgresOptions::default();
        if let Some(wait) = lock_wait {
            options.lock_timeout = wait;
            options.acquire_timeout = wait;
        }
        let log = zcc_store_postgres::PostgresLog::connect_with(url, options)
            .await
            .with_context(|| format!("opening the PostgreSQL ledger at {}", redact(url)))?;
        Ok(Arc::new(log))
    } else if url.starts_with("sqlite:") || !url.contains("://") {
        let mut options = zcc_store_sqlite::SqliteOptions::default();
        if let Some(wait) = lock_wait {
            options.busy_timeout = wait;
        }
        let log = zcc_store_sqlite::SqliteLog::open_with(url, options)
            .with_context(|| format!("opening the SQLite ledger at {url}"))?;
        Ok(Arc::new(log))
    } else {
        bail!("unsupported --database-url {url:?}: use sqlite://FILE or postgres://...")
    }
}

/// A URL with its password hidden, for messages (SPEC I8).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
