//! A closed pipe (`zcc-ledger export events | head`) ends a command quietly, as for any Unix
//! tool: no panic, no error message.

mod common;

use std::io::Read;
use std::process::Stdio;

use common::*;

#[test]
fn a_closed_pipe_ends_an_export_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(dir.path());
    let corpus = dir.path().join("calls.jsonl");
    let sim = bin()
        .args(["simulate", "--calls", "200", "--seed", "3", "--output"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(sim.status.success(), "{}", stderr(&sim));
    assert!(
        run(&db, &["import", corpus.to_str().unwrap()])
            .status
            .success()
    );

    let mut child = bin()
        .args(["--database-url", &db, "export", "events"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line's worth, then hang up, as `head -1` does.
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the export cannot have finished into a closed pipe"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.trim().is_empty(),
        "nothing is said of a closed pipe: {err}"
    );
}
