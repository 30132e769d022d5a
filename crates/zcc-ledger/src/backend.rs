//! Choosing the backend, once, from the URL scheme.

use std::sync::Arc;

use anyhow::{Context, bail};
use zcc_store::projection::Backend;

/// Open (and migrate) the store named by `url`: the log and the projections. Commands that only
/// need the log pass it where an `Arc<dyn EventLog>` is expected (trait upcasting).
pub async fn open_log(url: &str) -> anyhow::Result<Arc<dyn Backend>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let log = zcc_store_postgres::PostgresLog::connect(url)
            .await
            .with_context(|| format!("opening the PostgreSQL ledger at {}", redact(url)))?;
        Ok(Arc::new(log))
    } else if url.starts_with("sqlite:") || !url.contains("://") {
        let log = zcc_store_sqlite::SqliteLog::open(url)
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
