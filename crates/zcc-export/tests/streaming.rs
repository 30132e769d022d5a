//! Memory stays flat: rows reach the writer as they are produced, a bounded buffer behind,
//! and Parquet flushes row groups before the end. Many pages of engagements.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use zcc_export::sink::{BATCH_ROWS, ROW_GROUP_ROWS};
use zcc_export::{Exporter, Format, TableName, Window};
use zcc_model::{CallProjection, Table};

/// Counts the bytes that reached it; keeps them for reading back.
struct Counting {
    seen: Arc<AtomicU64>,
    kept: Option<Arc<Mutex<Vec<u8>>>>,
}

impl Write for Counting {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.seen.fetch_add(b.len() as u64, Ordering::Relaxed);
        if let Some(k) = &self.kept {
            k.lock().unwrap().extend_from_slice(b);
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn copy_of(base: &CallProjection, i: usize) -> CallProjection {
    let mut p = base.clone();
    let id = zcc_model::EngagementId::from(format!("EngStream{i:012}"));
    p.engagement.engagement_id.clone_from(&id);
    for d in &mut p.derived_events {
        d.engagement_id.clone_from(&id);
    }
    p
}

const ENGAGEMENTS: usize = 12_000;
const PAGE: usize = 1_000;

#[test]
fn rows_reach_the_writer_as_pages_are_exported() {
    let base = common::projections().remove(0);
    let per = base.derived_events.len();
    let total_rows = (ENGAGEMENTS * per) as u64;
    assert!(
        total_rows as usize > ROW_GROUP_ROWS,
        "enough rows for several row groups"
    );
    for format in [Format::Jsonl, Format::Csv, Format::Parquet] {
        let seen = Arc::new(AtomicU64::new(0));
        let kept = Arc::new(Mutex::new(Vec::new()));
        let out = Counting {
            seen: seen.clone(),
            kept: (format == Format::Parquet).then(|| kept.clone()),
        };
        let table = TableName::Model(Table::DerivedEvents);
        let mut ex = Exporter::open(table, format, Window::ALL, out).unwrap();
        let mut after_page = Vec::new();
        for page in 0..ENGAGEMENTS / PAGE {
            for i in 0..PAGE {
                ex.write_projection(&copy_of(&base, page * PAGE + i))
                    .unwrap();
            }
            after_page.push(seen.load(Ordering::Relaxed));
        }
        let m = ex.finish().unwrap();
        let end = seen.load(Ordering::Relaxed);
        assert_eq!(m.rows, total_rows, "{format}");
        assert_eq!(m.scanned, ENGAGEMENTS as u64);
        match format {
            Format::Parquet => {
                // Row groups leave as they fill: bytes before the end, and more than one group.
                let first_flush = after_page.iter().position(|&b| b > 0).expect("a flush");
                let rows_then = ((first_flush + 1) * PAGE * per) as u64;
                assert!(rows_then <= ROW_GROUP_ROWS as u64 + (PAGE * per + BATCH_ROWS) as u64);
                assert!(
                    *after_page.last().unwrap() < end,
                    "the footer comes at finish"
                );
                let bytes = std::mem::take(&mut *kept.lock().unwrap());
                let back = common::read::parquet(bytes);
                assert!(back.row_groups >= 2, "{} row groups", back.row_groups);
                assert_eq!(back.read.rows.len() as u64, total_rows);
                assert_eq!(back.manifest.unwrap().rows, total_rows);
            }
            _ => {
                // Never more than the output buffer behind what was produced.
                let pages = after_page.len() as u64;
                for (i, &b) in after_page.iter().enumerate() {
                    let produced = end * (i as u64 + 1) / pages;
                    assert!(
                        b + (300 << 10) >= produced,
                        "{format}: page {i}: {b} bytes out of ~{produced} produced"
                    );
                }
            }
        }
    }
}
