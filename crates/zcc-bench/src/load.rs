//! The load generator of the ingest benchmark: a fixed number of HTTP/1.1 keep-alive
//! connections, each with one request in flight, every answer read whole before the next
//! request goes out on that connection.
//!
//! It is built the way `wrk` is, so that it takes as little as it can of the CPU it shares with
//! the receiver: every request is rendered to its exact bytes (signature included) before the
//! clock starts, a request is one `write`, and an answer is parsed with `httparse` (the parser
//! hyper uses) only as far as its status and `content-length`. All connections run on the
//! caller's runtime; the benchmark's is a single thread (see `main.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A signed webhook, before it is rendered for a host.
pub struct Signed {
    pub body: String,
    /// The `x-zm-signature` value.
    pub signature: String,
}

/// The exact bytes of `POST /webhooks/zoom` for each signed body, as Zoom sends them.
pub fn render(host: &str, timestamp: u64, signed: &[Signed]) -> Vec<Vec<u8>> {
    signed
        .iter()
        .map(|s| {
            let mut req = format!(
                "POST /webhooks/zoom HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
                 x-zm-request-timestamp: {timestamp}\r\nx-zm-signature: {}\r\n\
                 content-length: {}\r\n\r\n",
                s.signature,
                s.body.len()
            )
            .into_bytes();
            req.extend_from_slice(s.body.as_bytes());
            req
        })
        .collect()
}

/// Send every request to `addr` over `concurrency` connections; the latency of each, from the
/// request's write to the end of its answer. Any answer but 2xx stops the run with an error
/// naming the request.
pub async fn drive(
    addr: &str,
    requests: Arc<Vec<Vec<u8>>>,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (addr, requests, next) = (addr.to_owned(), requests.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            connection(&addr, &requests, &next).await
        }));
    }
    let mut latencies = Vec::with_capacity(requests.len());
    for t in tasks {
        latencies.extend(t.await??);
    }
    Ok(latencies)
}

/// One keep-alive connection taking the next unsent request until none is left.
async fn connection(
    addr: &str,
    requests: &[Vec<u8>],
    next: &AtomicUsize,
) -> anyhow::Result<Vec<Duration>> {
    let mut stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(1024);
    let mut latencies = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(req) = requests.get(i) else { break };
        let sent = Instant::now();
        stream
            .write_all(req)
            .await
            .with_context(|| format!("sending request {i}"))?;
        let status = read_answer(&mut stream, &mut buf)
            .await
            .with_context(|| format!("reading the answer to request {i}"))?;
        latencies.push(sent.elapsed());
        if !(200..300).contains(&status) {
            bail!("request {i} answered {status}");
        }
    }
    Ok(latencies)
}

/// Read one whole answer off `stream` (bytes past it stay in `buf`); its status code.
async fn read_answer(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<u16> {
    loop {
        if let Some((status, len)) = parse_head(buf)? {
            while buf.len() < len {
                read_more(stream, buf).await?;
            }
            buf.drain(..len);
            return Ok(status);
        }
        read_more(stream, buf).await?;
    }
}

/// [`read_answer`], keeping the answer's body (the receiver's `{"position":N}`).
pub async fn read_answer_body(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> anyhow::Result<(u16, Vec<u8>)> {
    loop {
        if let Some((status, len)) = parse_head(buf)? {
            while buf.len() < len {
                read_more(stream, buf).await?;
            }
            let answer: Vec<u8> = buf.drain(..len).collect();
            let body = answer
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(len, |p| p + 4);
            return Ok((status, answer[body..].to_vec()));
        }
        read_more(stream, buf).await?;
    }
}

/// The status and whole length (head and body) of the answer at the start of `buf`, once its
/// head has arrived.
fn parse_head(buf: &[u8]) -> anyhow::Result<Option<(u16, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut answer = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = answer.parse(buf).context("a malformed answer")? else {
        return Ok(None);
    };
    let status = answer.code.context("an answer without a status")?;
    let body = answer
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| {
            std::str::from_utf8(h.value)
                .ok()?
                .trim()
                .parse::<usize>()
                .ok()
        })
        .with_context(|| format!("a {status} answer without a content-length"))?;
    Ok(Some((status, head + body)))
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    buf.reserve(1024);
    if stream.read_buf(buf).await? == 0 {
        bail!("the server closed the connection mid-answer");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_head;

    #[test]
    fn an_answer_is_complete_once_its_body_has_arrived() {
        let answer =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4\r\n\r\n{}{}";
        let head = answer.len() - 4;
        assert_eq!(parse_head(&answer[..head - 1]).unwrap(), None);
        assert_eq!(parse_head(answer).unwrap(), Some((200, answer.len())));
        assert!(parse_head(b"HTTP/1.1 503 Service Unavailable\r\n\r\n").is_err());
    }
}
