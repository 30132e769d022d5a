//! The shared `EventLog` conformance suite, on a fresh SQLite file per check.

mod common;

use std::sync::{Arc, Mutex};

use zcc_store::EventLog;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_event_log_conformance_suite() {
    // Keep every directory alive until the end: each check's log lives in its own.
    let dirs = Arc::new(Mutex::new(Vec::new()));
    zcc_store::conformance::run_all(|| {
        let dirs = Arc::clone(&dirs);
        async move {
            let db = common::TempDb::new();
            let log: Arc<dyn EventLog> = db.shared();
            dirs.lock().unwrap().push(db);
            log
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_audit_conformance_suite() {
    let dirs = Arc::new(Mutex::new(Vec::new()));
    zcc_store::conformance::audit::run_all(|| {
        let dirs = Arc::clone(&dirs);
        async move {
            let db = common::TempDb::new();
            let log = Arc::new(db.open());
            dirs.lock().unwrap().push(db);
            log
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_projection_conformance_suite() {
    let dirs = Arc::new(Mutex::new(Vec::new()));
    zcc_store::conformance::projections::run_all(|| {
        let dirs = Arc::clone(&dirs);
        async move {
            let db = common::TempDb::new();
            let log = Arc::new(db.open());
            dirs.lock().unwrap().push(db);
            log
        }
    })
    .await;
}
