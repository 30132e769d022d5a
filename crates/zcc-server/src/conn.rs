//! Accepting connections: HTTP/1.1 through hyper, with a time-out for a request's headers
//! (which is also the idle time-out of a keep-alive connection) and a bound on the number of
//! connections served at once. A connection over the bound is answered `503` (Zoom retries
//! 5xx, never 4xx) and closed. Graceful shutdown through hyper-util.
//!
//! `axum::serve` has neither time-outs nor a bound: a client that sends half its headers and
//! stalls would hold its connection (and a file descriptor) for ever (issue 31).

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// How connections are served.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// The longest a connection may take to send a request's headers, counted from when it
    /// is ready for a request: so also how long an idle keep-alive connection is kept.
    pub header_timeout: Duration,
    /// Connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
}

/// The answer to a connection over the bound, written by hyper so the request is read first.
const BUSY_BODY: &str =
    r#"{"error":{"code":"unavailable","message":"too many connections; try again later"}}"#;

/// Serve `app` on `listener` until `shutdown` resolves; then stop accepting, let the requests
/// in flight finish, close idle connections and return.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let mut busy = http1::Builder::new();
    busy.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(false);
    let busy_answers = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => {
                let service = TowerToHyperService::new(app.clone());
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(permit);
                });
            }
            Err(_) => {
                metrics::counter!(crate::metrics::CONNECTIONS_REFUSED).increment(1);
                // The 503s themselves are bounded too: beyond twice the bound, connections
                // are closed unanswered.
                if let Ok(permit) = Arc::clone(&busy_answers).try_acquire_owned() {
                    tokio::spawn(answer_busy(
                        busy.clone(),
                        stream,
                        limits.header_timeout,
                        permit,
                    ));
                }
            }
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Answer one request on `stream` with 503 and close it.
async fn answer_busy(
    builder: http1::Builder,
    stream: TcpStream,
    limit: Duration,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    let service = hyper::service::service_fn(|_req: hyper::Request<Incoming>| async {
        let response = hyper::Response::builder()
            .status(hyper::StatusCode::SERVICE_UNAVAILABLE)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::RETRY_AFTER, "1")
            .header(hyper::header::CONNECTION, "close")
            .body(http_body_util::Full::new(bytes::Bytes::from_static(
                BUSY_BODY.as_bytes(),
            )))?;
        Ok::<_, hyper::http::Error>(response)
    });
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(limit * 2, conn).await;
}

/// An accept error: per-connection errors are skipped; running out of file descriptors waits
/// a moment (as `axum::serve` does) rather than spinning.
async fn accept_failed(e: &io::Error) {
    use io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed; waiting a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
