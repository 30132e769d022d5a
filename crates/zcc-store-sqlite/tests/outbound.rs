//! Outbound delivery's storage (migration 0009) on a fresh SQLite file: the shared checks.

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_outbound_checks() {
    let db = common::TempDb::new();
    let log = db.open();
    zcc_store::outbound_conformance::run_all(&log).await;
}
