//! Export throughput per table and format: decode stored projection documents (as
//! `export_table` does), select and write rows to a byte counter. No storage: this is the
//! export crate's own cost. Run: `cargo bench -p zcc-export --bench throughput`
//! (`ZCC_BENCH_ENGAGEMENTS=N` to change the size; default 20000).

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::time::Instant;

use zcc_export::{Exporter, Format, TableName, Window};
use zcc_store::projection::{GenerationId, ProjectionDoc};
use zcc_store::{Digest, LogEntry, Position, Source};

struct Count(u64);

impl Write for Count {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 += b.len() as u64;
        std::hint::black_box(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn docs(n: usize) -> Vec<ProjectionDoc> {
    let base = common::projections();
    (0..n)
        .map(|i| {
            let mut p = base[i % base.len()].clone();
            let id = zcc_model::EngagementId::from(format!("EngBench{i:012}"));
            p.engagement.engagement_id.clone_from(&id);
            for d in &mut p.derived_events {
                d.engagement_id.clone_from(&id);
            }
            ProjectionDoc {
                engagement_id: id,
                account_id: p.engagement.account_id.clone(),
                started_at_ms: p.engagement.started_at,
                ended_at_ms: p.engagement.ended_at,
                has_conference: p.has_conference(),
                agents: p.agents(),
                queues: p.engagement.queue_ids.clone(),
                doc: String::from_utf8(p.to_canonical_json()).unwrap(),
                search: None,
            }
        })
        .collect()
}

fn entries(n: usize) -> Vec<LogEntry> {
    let bodies = common::bodies();
    (0..n)
        .map(|i| {
            let body = bodies[i % bodies.len()].clone();
            LogEntry {
                position: Position(i as i64 + 1),
                received_at_ms: common::T0 + i as i64,
                event_type: "contact_center.engagement_user_answered".into(),
                event_time_ms: common::T0 + i as i64,
                account_id: Some(common::ACCT.into()),
                engagement_id: Some(format!("EngBench{:012}", i / 11).into()),
                body_sha256: Digest::of(body.as_bytes()),
                hash: Digest::of(body.as_bytes()),
                body,
                source: Source::Import,
                chain: zcc_store::ChainVersion::V2,
            }
        })
        .collect()
}

fn main() {
    let n: usize = std::env::var("ZCC_BENCH_ENGAGEMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let docs = docs(n);
    let log = entries(n * 11);
    let avg_body = log.iter().map(|e| e.body.len()).sum::<usize>() / log.len();
    println!(
        "{n} engagements; {} log entries (average body {avg_body} B)",
        log.len()
    );
    println!(
        "{:<24} {:>8} {:>10} {:>9} {:>12} {:>10} {:>9}",
        "table", "format", "rows", "seconds", "rows/s", "engs/s", "MB out"
    );
    for table in TableName::all() {
        for &format in Format::ALL {
            let mut out = Count(0);
            let start = Instant::now();
            let mut ex = Exporter::open(table, format, Window::ALL, &mut out).unwrap();
            match table {
                TableName::Events => {
                    for e in &log {
                        ex.write_entry(e).unwrap();
                    }
                }
                TableName::Model(_) => {
                    for d in &docs {
                        ex.write_doc(GenerationId(1), d).unwrap();
                    }
                }
            }
            let m = ex.finish().unwrap();
            let secs = start.elapsed().as_secs_f64();
            println!(
                "{:<24} {:>8} {:>10} {:>9.3} {:>12.0} {:>10.0} {:>9.1}",
                table.name(),
                format.name(),
                m.rows,
                secs,
                m.rows as f64 / secs,
                m.scanned as f64 / secs,
                out.0 as f64 / 1e6
            );
        }
    }
}
