//! A steady load: signed webhooks sent at a fixed rate (request `i` goes out at `i / rate`
//! seconds after the start, whatever the answers before it did), over a few keep-alive
//! connections, each answer's time and log position recorded. The outbound delivery benchmark
//! uses it to measure the delay from a webhook's answer to the delivery of its derived events.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::load::read_answer_body;

/// A webhook's answer: which request, when it came and the log position it names.
pub struct Answered {
    pub request: usize,
    pub at: Instant,
    pub position: i64,
}

/// What a paced run did.
pub struct Paced {
    pub answers: Vec<Answered>,
    /// From the first request's due time to the last answer.
    pub elapsed: Duration,
    /// The latest a request went out after its due time (the load kept its pace if small).
    pub worst_lateness: Duration,
}

/// Send every request to `addr` at `rate` per second over `connections` connections.
pub async fn drive_at(
    addr: &str,
    requests: Arc<Vec<Vec<u8>>>,
    rate: f64,
    connections: usize,
) -> anyhow::Result<Paced> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (addr, requests, next) = (addr.to_owned(), requests.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            connection(&addr, &requests, &next, start, rate).await
        }));
    }
    let mut answers = Vec::with_capacity(requests.len());
    let mut worst_lateness = Duration::ZERO;
    for t in tasks {
        let (a, late) = t.await??;
        answers.extend(a);
        worst_lateness = worst_lateness.max(late);
    }
    Ok(Paced {
        answers,
        elapsed: start.elapsed(),
        worst_lateness,
    })
}

/// One connection taking the next request, sending it when it is due.
async fn connection(
    addr: &str,
    requests: &[Vec<u8>],
    next: &AtomicUsize,
    start: tokio::time::Instant,
    rate: f64,
) -> anyhow::Result<(Vec<Answered>, Duration)> {
    let mut stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(1024);
    let mut answers = Vec::new();
    let mut worst = Duration::ZERO;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(req) = requests.get(i) else { break };
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        worst = worst.max(due.elapsed());
        stream
            .write_all(req)
            .await
            .with_context(|| format!("sending webhook {i}"))?;
        let (status, body) = read_answer_body(&mut stream, &mut buf)
            .await
            .with_context(|| format!("reading the answer to webhook {i}"))?;
        let at = Instant::now();
        if status != 200 {
            bail!(
                "webhook {i} answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let answer: serde_json::Value = serde_json::from_slice(&body)
            .with_context(|| format!("the answer to webhook {i} is not JSON"))?;
        let position = answer["position"]
            .as_i64()
            .with_context(|| format!("the answer to webhook {i} has no position: {answer}"))?;
        answers.push(Answered {
            request: i,
            at,
            position,
        });
    }
    Ok((answers, worst))
}
