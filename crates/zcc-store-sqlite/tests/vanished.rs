//! The database file deleted under an open log: appends and readiness fail with an error that
//! says so, the process log says it once, and both recover when the file is back at its path.
//! (This binary holds one test: it installs the process's log subscriber.)

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use zcc_store::conformance::event;
use zcc_store::{Appended, EventLog, Position, StoreError};

/// Everything logged, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self, level: &str, containing: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains(level) && l.contains(containing))
            .count()
    }
}

#[tokio::test]
async fn a_deleted_database_refuses_writes_logs_once_and_recovers_when_moved_back() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let db = common::TempDb::new();
    let log = db.open();
    log.append_batch(vec![event(1, None)]).await.unwrap();
    log.ready().await.unwrap();

    let aside = db.dir.path().join("aside.db");
    std::fs::rename(&db.path, &aside).unwrap();
    for n in 2..=6 {
        let err = log.append_batch(vec![event(n, None)]).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Unavailable(m) if m.contains("has been deleted")),
            "{err}"
        );
        let err = log.ready().await.unwrap_err();
        assert!(err.is_transient(), "{err}");
    }
    assert_eq!(
        captured.lines("ERROR", "no longer the file at its path"),
        1,
        "one error line for the change of state, not one per refusal"
    );

    std::fs::rename(&aside, &db.path).unwrap();
    log.ready().await.unwrap();
    assert_eq!(
        log.append_batch(vec![event(2, None)]).await.unwrap(),
        vec![Appended::Stored(Position(2))],
        "nothing of the refused appends was stored"
    );
    assert_eq!(captured.lines("WARN", "back at its path"), 1);
    assert_eq!(captured.lines("ERROR", "no longer the file at its path"), 1);
}
