//! Parse throughput: a plain `serde_json::Value` parse against the typed model
//! (`parse_event`, and without extras as the fold reads it) and the log's envelope reader (`read_envelope`), over Zoom's sample bodies
//! and a realistic 1.1 KB body. Target: the typed parse costs at most twice the Value parse.
//! Also prints the floor of any reading with `serde_json`: the body checked token by token into
//! `IgnoredAny`, nothing kept.
//!
//! Run: `cargo bench -p zcc-events --bench parse` (optional argument: seconds per measurement).

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::de::IgnoredAny;
use serde_json::Value;
use zcc_events::{ParseOptions, parse_event, parse_event_with, read_envelope, read_fold_fields};

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/zoom-examples"
);

/// A compact transfer event of about 1.1 KB, the size of a typical production body.
fn realistic_body() -> Vec<u8> {
    let body = serde_json::json!({
        "event": "contact_center.engagement_transfer_accepted",
        "event_ts": 1777903418700i64,
        "payload": {
            "account_id": "Acct9xQzLmN0pR2sT4uV6w",
            "object": {
                "engagement_id": "EngA1b2C3d4E5f6G7h8I9j",
                "engagement_direction": "inbound",
                "channel": "voice",
                "task_id": "ZWT1111AAAA2222BBBB3333CCCC4444DDDD",
                "task_status": "assigned",
                "task_timeout": 86400,
                "transfer_to_task_id": "ZWT5555EEEE6666FFFF7777GGGG8888HHHH",
                "transfer_to_task_status": "pending",
                "transfer_level": "queue",
                "transfer_type": "warm",
                "flow_id": "ZWW0A1B2C3D4E5F60718293A4B5C6D7E8F9",
                "flow_name": "Main IVR",
                "flow_number": "+15555550100",
                "cc_queue_id": "QueSupport0a1b2c3d4e5f",
                "queue_name": "Support",
                "transfer_to_cc_queue_id": "QueBilling0a1b2c3d4e5f",
                "transfer_to_queue_name": "Billing",
                "user_id": "AgtAlice0a1b2c3d4e5f6g",
                "user_display_name": "Alice Agent",
                "transfer_to_user_id": "AgtBob00a1b2c3d4e5f6g7",
                "transfer_to_user_display_name": "Bob Agent",
                "consumer_id": "CnsMr0a1b2c3d4e5f6g7h8",
                "consumer_display_name": "Pat Caller",
                "consumer_number": "+15555550123",
                "date_time_ms": "2026-05-04T14:03:38.700Z",
                "variables": [
                    {"name": "account_tier", "value": "gold"},
                    {"name": "crm_case", "value": "CASE-0001"}
                ]
            }
        }
    });
    serde_json::to_vec(&body).unwrap()
}

/// Events per second of `f` over `bodies`, run for about `budget`.
fn rate(bodies: &[Vec<u8>], budget: Duration, mut f: impl FnMut(&[u8])) -> f64 {
    // Warm up, then measure whole passes until the budget is spent.
    for b in bodies {
        f(b);
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for b in bodies {
            f(b);
        }
        n += bodies.len() as u64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn report(label: &str, bodies: &[Vec<u8>], budget: Duration) -> f64 {
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let value = rate(bodies, budget, |b| {
        black_box(serde_json::from_slice::<Value>(black_box(b)).ok());
    });
    let typed = rate(bodies, budget, |b| {
        black_box(parse_event(black_box(b)).ok());
    });
    let lean = rate(bodies, budget, |b| {
        black_box(parse_event_with(black_box(b), ParseOptions { skip_extra: true }).ok());
    });
    let envelope = rate(bodies, budget, |b| {
        black_box(read_envelope(black_box(b)).ok());
    });
    // The fold's borrowed reading, where it takes the body (the typed parse where it does not).
    let texts: Vec<&str> = bodies
        .iter()
        .filter_map(|b| std::str::from_utf8(b).ok())
        .collect();
    let borrowed = texts
        .iter()
        .filter(|t| read_fold_fields(t).is_some())
        .count();
    let fold = rate(bodies, budget, |b| {
        let text = std::str::from_utf8(black_box(b)).unwrap_or_default();
        match read_fold_fields(text) {
            Some(fields) => {
                black_box(fields);
            }
            None => {
                black_box(parse_event_with(b, ParseOptions { skip_extra: true }).ok());
            }
        }
    });
    // The floor of any reading with this JSON crate: every token checked, nothing kept.
    let floor = rate(bodies, budget, |b| {
        black_box(serde_json::from_slice::<IgnoredAny>(black_box(b)).ok());
    });
    let ratio = value / typed;
    println!(
        "{label}: {} bodies, {} B average",
        bodies.len(),
        bytes / bodies.len().max(1)
    );
    println!("  serde_json::Value parse  {:>10.0} events/s", value);
    println!("  parse_event (typed)      {:>10.0} events/s", typed);
    println!("  parse_event, skip_extra  {:>10.0} events/s", lean);
    println!("  read_envelope            {:>10.0} events/s", envelope);
    println!(
        "  fold fields, borrowed    {:>10.0} events/s ({borrowed} of {} bodies read borrowed)",
        fold,
        bodies.len()
    );
    println!("  JSON checked, nothing kept {:>8.0} events/s", floor);
    println!("  typed cost / Value cost  {ratio:>10.2}  (target <= 2.00)");
    ratio
}

fn main() {
    let secs: f64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(1.0);
    let budget = Duration::from_secs_f64(secs);

    let mut samples: Vec<Vec<u8>> = std::fs::read_dir(SAMPLES)
        .unwrap_or_else(|e| panic!("cannot list the samples in {SAMPLES}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| serde_json::from_slice::<Value>(b).is_ok())
        .collect();
    samples.sort();

    let r1 = report("Zoom sample bodies", &samples, budget);
    let r2 = report("realistic 1.1 KB body", &[realistic_body()], budget);
    let worst = r1.max(r2);
    println!(
        "worst ratio {worst:.2}: {}",
        if worst <= 2.0 {
            "within target"
        } else {
            "OVER TARGET"
        }
    );
}
