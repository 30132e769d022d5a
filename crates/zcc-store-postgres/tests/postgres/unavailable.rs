//! An unreachable server answers `StoreError::Unavailable`, fast; a bad URL is a configuration
//! error; a log survives an outage of its server.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use zcc_store::conformance::event;
use zcc_store::verify::verify;
use zcc_store::{EventLog, StoreError};
use zcc_store_postgres::{PostgresLog, PostgresOptions};

use crate::support::{TestDb, admin_url};

fn quick() -> PostgresOptions {
    PostgresOptions {
        acquire_timeout: Duration::from_millis(500),
        ..PostgresOptions::default()
    }
}

/// A port on 127.0.0.1 where nothing listens.
async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// `url` with its host and port replaced (user, database and parameters kept).
fn via(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let userinfo = authority
        .rsplit_once('@')
        .map(|(u, _)| format!("{u}@"))
        .unwrap_or_default();
    format!("{scheme}://{userinfo}127.0.0.1:{port}{path}")
}

#[tokio::test]
async fn connect_to_a_closed_port_is_unavailable() {
    let port = closed_port().await;
    let url = format!("postgres://postgres@127.0.0.1:{port}/zcc");
    let started = Instant::now();
    let err = PostgresLog::connect_with(&url, quick()).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "names the server: {err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answers fast: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn bad_urls_are_configuration_errors() {
    let err = PostgresLog::connect("mysql://localhost/x")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");

    // A database that does not exist, reached with the test login's own credentials: the
    // server's 3D000, and the password (if the login has one) nowhere in the error.
    let url = admin_url();
    let admin = PgConnectOptions::from_str(&url).unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    let missing = format!("{base}/zcc_test_database_that_does_not_exist");
    let err = PostgresLog::connect_with(&missing, quick())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("3D000"), "{err}");
    let password = url_password(&url);
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        assert!(
            !err.to_string().contains(&password),
            "no password in errors: {err}"
        );
    }

    // A wrong password: refused where passwords are checked (28P01), let through where the
    // login is trusted (then 3D000); either way a configuration error without the password.
    let wrong = format!(
        "postgres://{}:s3cret@{}:{}/zcc_test_database_that_does_not_exist",
        admin.get_username(),
        admin.get_host(),
        admin.get_port()
    );
    let err = PostgresLog::connect_with(&wrong, quick())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
    assert!(
        !err.to_string().contains("s3cret"),
        "no password in errors: {err}"
    );
    let text = err.to_string();
    assert!(text.contains("28P01") || text.contains("3D000"), "{text}");
}

/// The password of a `postgres://user:password@host/db` URL, if it has one.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    Some(userinfo.split_once(':')?.1.to_owned())
}

/// A TCP relay to the PostgreSQL server; aborting it closes every relayed connection.
fn relay(listener: TcpListener, upstream: SocketAddr) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        while let Ok((mut inbound, _)) = listener.accept().await {
            conns.spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    })
}

#[tokio::test]
async fn calls_during_an_outage_are_unavailable_and_recover() {
    let db = TestDb::create().await;
    let opts = PgConnectOptions::from_str(&db.url).unwrap();
    let upstream: SocketAddr = tokio::net::lookup_host((opts.get_host(), opts.get_port()))
        .await
        .unwrap()
        .next()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = relay(listener, upstream);

    let log = PostgresLog::connect_with(&via(&db.url, port), quick())
        .await
        .unwrap();
    log.append_batch(vec![event(1, None)]).await.unwrap();

    // The server goes away: every open connection drops, new ones are refused.
    server.abort();
    let _ = server.await;
    let started = Instant::now();
    let err = log.append_batch(vec![event(2, None)]).await.unwrap_err();
    assert!(err.is_transient(), "append during an outage: {err:?}");
    let err = log.head().await.unwrap_err();
    assert!(
        matches!(err, StoreError::Unavailable(_)),
        "head during an outage: {err:?}"
    );
    let err = log.ping().await.unwrap_err();
    assert!(
        matches!(err, StoreError::Unavailable(_)),
        "ping during an outage: {err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "three calls answered within their acquire timeouts: {:?}",
        started.elapsed()
    );

    // It comes back on the same port: the same log works again, nothing was half-stored.
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let server = relay(listener, upstream);
    log.ping().await.unwrap();
    assert_eq!(
        log.head().await.unwrap().size,
        1,
        "the failed append left nothing"
    );
    let out = log.append_batch(vec![event(2, None)]).await.unwrap();
    assert_eq!(out[0].position().0, 2);
    assert!(verify(&log, None, |_| {}).await.unwrap().ok());
    log.close().await;
    server.abort();
}
