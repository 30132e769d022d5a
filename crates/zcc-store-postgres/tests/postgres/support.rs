//! A fresh PostgreSQL database per test.
//!
//! The server comes from `ZCC_TEST_POSTGRES_URL` (an admin URL; default
//! `postgres://postgres@127.0.0.1:5432/postgres`). Each [`TestDb`] creates
//! `zcc_test_<uuid>` there and drops it (`WITH (FORCE)`) when it goes out of scope, even when
//! the test panics. An unreachable server fails the test with instructions; nothing is skipped.

use std::sync::Arc;

use sqlx::{Connection, PgConnection};
use zcc_store::EventLog;
use zcc_store_postgres::PostgresLog;

pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn admin_url() -> String {
    std::env::var("ZCC_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// A database that exists for one test.
pub struct TestDb {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl TestDb {
    pub async fn create() -> TestDb {
        let admin_url = admin_url();
        let mut admin = admin_connection(&admin_url).await;
        let name = format!("zcc_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        TestDb {
            name,
            url,
            admin_url,
        }
    }

    /// A log on this database (its own pool).
    pub async fn log(&self) -> PostgresLog {
        PostgresLog::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connecting to test database {}: {e}", self.name))
    }

    /// A raw connection, for tests that go around the log.
    pub async fn raw(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("raw connection to {}: {e}", self.name))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        run_detached(self.admin_url.clone(), sql);
    }
}

/// Run one admin statement, best effort, on a thread of its own: Drop cannot await, and may run
/// inside a runtime.
fn run_detached(admin_url: String, sql: String) {
    let worker = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await;
                let _ = admin.close().await;
            }
        });
    });
    let _ = worker.join();
}

async fn admin_connection(admin_url: &str) -> PgConnection {
    match PgConnection::connect(admin_url).await {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL is not reachable for the tests ({e}).\n\
             These tests need a real server where they may create databases. Start one, e.g.\n\
             \x20 sudo service postgresql start    (Debian/Ubuntu package; trust auth for 127.0.0.1)\n\
             \x20 docker run --rm -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16\n\
             or point ZCC_TEST_POSTGRES_URL at an admin URL (default {DEFAULT_ADMIN_URL})."
        ),
    }
}

/// The admin URL with its database replaced by `name` (query parameters kept).
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Two cluster roles for one test, dropped on drop. Create them before the [`TestDb`] they own
/// objects in, so that the database is dropped first.
pub struct Roles {
    pub owner: String,
    pub app: String,
    admin_url: String,
}

/// The password the test roles get (so the tests also work where trust auth is off).
pub const ROLE_PASSWORD: &str = "zcc-test-role";

impl Roles {
    pub async fn create() -> Roles {
        let admin_url = admin_url();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let roles = Roles {
            owner: format!("zcc_test_owner_{id}"),
            app: format!("zcc_test_app_{id}"),
            admin_url,
        };
        let mut admin = admin_connection(&roles.admin_url).await;
        for role in [&roles.owner, &roles.app] {
            let sql = format!("CREATE ROLE {role} LOGIN PASSWORD '{ROLE_PASSWORD}'");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("CREATE ROLE {role} failed: {e}"));
        }
        let _ = admin.close().await;
        roles
    }
}

impl Drop for Roles {
    fn drop(&mut self) {
        let sql = format!("DROP ROLE IF EXISTS {}, {}", self.owner, self.app);
        run_detached(self.admin_url.clone(), sql);
    }
}

/// `url` as another role (with [`ROLE_PASSWORD`]), same server and database.
pub fn as_role(url: &str, role: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let rest = rest.rsplit_once('@').map_or(rest, |(_, hostpart)| hostpart);
    format!("{scheme}://{role}:{ROLE_PASSWORD}@{rest}")
}

/// Fresh logs for the conformance suite; the databases live as long as this value.
#[derive(Default)]
pub struct LogFactory {
    dbs: tokio::sync::Mutex<Vec<TestDb>>,
}

impl LogFactory {
    pub async fn make(&self) -> Arc<dyn EventLog> {
        self.make_postgres().await
    }

    /// A fresh log as its own type (for the suites of other traits than [`EventLog`]).
    pub async fn make_postgres(&self) -> Arc<zcc_store_postgres::PostgresLog> {
        let db = TestDb::create().await;
        let log = db.log().await;
        self.dbs.lock().await.push(db);
        Arc::new(log)
    }
}

#[test]
fn database_is_swapped_in_the_url() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/postgres?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}
