//! What a script or a log file sees of the command line: a closed pipe
//! (`zcc-ledger export events | head`) ends a command quietly, as for any Unix tool; the log
//! filter is `RUST_LOG`; a log that is not a terminal has no colour codes.

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

/// The log filter is `RUST_LOG` (else `ZCC_LOG`), and a log that is not a terminal holds no
/// colour codes.
#[test]
fn the_log_filter_is_rust_log_and_a_piped_log_has_no_colour() {
    let dir = tempfile::tempdir().unwrap();
    // Each run opens a new database, whose migrations the store logs at info: a level the
    // default filter hides for it.
    let logged = |var: Option<&str>, n: usize| {
        let db = format!("sqlite://{}", dir.path().join(format!("{n}.db")).display());
        let mut cmd = bin();
        cmd.env_remove("RUST_LOG").env_remove("ZCC_LOG");
        if let Some(var) = var {
            cmd.env(var, "info");
        }
        let out = cmd
            .args(["--database-url", &db, "generations"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
    };
    let quiet = logged(None, 0);
    assert!(!quiet.contains("applied schema migration"), "{quiet}");
    for (n, var) in ["RUST_LOG", "ZCC_LOG"].into_iter().enumerate() {
        let log = logged(Some(var), n + 1);
        assert!(
            log.contains("applied schema migration"),
            "{var}=info is the filter: {log}"
        );
        assert!(
            !log.contains('\u{1b}'),
            "{var}: no escape codes in a piped log: {log:?}"
        );
    }
}
