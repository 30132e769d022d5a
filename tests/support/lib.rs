//! Shared test support: a fresh PostgreSQL database per test.
//!
//! The server comes from `ZCC_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). A missing server is a test failure with a
//! message saying how to start one, never a skip.

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The admin URL tests create their databases through.
pub fn admin_url() -> String {
    std::env::var("ZCC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that exists for one test and is dropped afterwards.
pub struct PgTestDb {
    pub url: String,
    pub name: String,
}

fn url_for(admin: &str, name: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

async fn admin() -> PgConnection {
    let url = admin_url();
    PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is required for this test and is not reachable at {url}: {e}. \
             Start it (for example `pg_ctlcluster <version> main start`) or set ZCC_TEST_POSTGRES_URL."
        )
    })
}

/// Create a fresh, empty database (async tests).
pub async fn fresh_database_async() -> PgTestDb {
    let name = format!("zcc_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = admin().await;
    // The name is made here from a UUID: no outside input reaches this SQL.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let _ = conn.close().await;
    PgTestDb {
        url: url_for(&admin_url(), &name),
        name,
    }
}

/// `name` as an SQL identifier, quoted (a benchmark's template name comes from the environment).
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Create a fresh database as a copy of `template` (a database no one is connected to), or
/// `None` when there is no database of that name: benchmarks keep a filled log as a template
/// and start each run from a copy of it.
pub async fn database_from_template_async(template: &str) -> Option<PgTestDb> {
    let mut conn = admin().await;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(template)
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("cannot look for database {template}: {e}"));
    if !exists {
        let _ = conn.close().await;
        return None;
    }
    let name = format!("zcc_test_{}", uuid::Uuid::new_v4().simple());
    // The new name is made here from a UUID.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE {}",
        quote_identifier(template)
    )))
    .execute(&mut conn)
    .await
    .unwrap_or_else(|e| panic!("cannot copy database {template} into {name}: {e}"));
    // The copy's pages are written out now, not by the checkpointer during the run.
    sqlx::query("CHECKPOINT")
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot checkpoint after copying {template}: {e}"));
    let _ = conn.close().await;
    Some(PgTestDb {
        url: url_for(&admin_url(), &name),
        name,
    })
}

/// Keep a copy of `db` (no one connected to it) as the database `template`, for
/// [`database_from_template_async`].
pub async fn save_as_template_async(db: &PgTestDb, template: &str) {
    admin_execute(&format!(
        "CREATE DATABASE {} TEMPLATE {}",
        quote_identifier(template),
        db.name
    ))
    .await;
}

/// Create a fresh, empty database (from synchronous tests).
pub fn fresh_database() -> PgTestDb {
    block_on(fresh_database_async())
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime")
        .block_on(f)
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Best effort, on a thread of its own so it works inside and outside a runtime.
        let _ = std::thread::spawn(move || {
            block_on(async {
                let mut conn = admin().await;
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
            })
        })
        .join();
    }
}

/// Run one statement as the admin (for example `ALTER DATABASE` on a test's own database).
pub async fn admin_execute(sql: &str) {
    let mut conn = admin().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}

#[cfg(test)]
mod tests {
    use super::url_for;

    #[test]
    fn database_urls() {
        assert_eq!(
            url_for("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            url_for("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
