//! `import`, `export events`, `checkpoint` and `verify` through the real binary, on SQLite and
//! PostgreSQL.

mod common;

use common::*;

fn import_samples_roundtrip(db: &str) {
    let files = sample_files();
    assert_eq!(files.len(), 108, "the sample set has 108 bodies");
    let mut args = vec!["import".to_owned()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();

    let first = run(db, &argv);
    assert_eq!(
        first.status.code(),
        Some(1),
        "one body is rejected: {}",
        stderr(&first)
    );
    assert_eq!(
        stdout(&first).trim(),
        "read 108, appended 107, duplicates 0, rejected 1"
    );
    let err = stderr(&first);
    assert!(
        err.contains("contact_center.message_status.json: body is not JSON"),
        "the rejection names the file and the JSON error: {err}"
    );

    let again = run(db, &argv);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        stdout(&again).trim(),
        "read 108, appended 0, duplicates 107, rejected 1"
    );

    // Every body comes back byte for byte, with its type, time and engagement.
    let export = run(db, &["export", "events", "--format", "jsonl"]);
    assert!(export.status.success(), "{}", stderr(&export));
    let rows: Vec<serde_json::Value> = stdout(&export)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 107);
    for (row, file) in rows.iter().zip(
        files
            .iter()
            .filter(|f| !f.ends_with("contact_center.message_status.json")),
    ) {
        let raw = std::fs::read_to_string(file).unwrap();
        assert_eq!(
            row["body"].as_str().unwrap(),
            raw,
            "body of {}",
            file.display()
        );
        let parsed: serde_json::Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(row["event"], parsed["event"], "{}", file.display());
        assert_eq!(
            row["engagement_id"],
            parsed["payload"]["object"]
                .get("engagement_id")
                .cloned()
                .unwrap_or(serde_json::Value::Null),
            "{}",
            file.display()
        );
        assert!(row["event_time"].as_str().unwrap().ends_with('Z'));
    }

    // Checkpoint, grow, verify against the checkpoint.
    let cp = run(db, &["checkpoint"]);
    // Exactly SIZE:HASH on stdout, so `verify --checkpoint "$(zcc-ledger checkpoint)"` works.
    let checkpoint = stdout(&cp).trim_end_matches('\n').to_owned();
    assert!(!checkpoint.contains('\n'), "one line: {checkpoint}");
    assert!(checkpoint.starts_with("107:"), "{checkpoint}");
    assert_eq!(checkpoint.len(), "107:".len() + 64, "{checkpoint}");
    let extra = tempfile::NamedTempFile::with_suffix(".jsonl").unwrap();
    std::fs::write(
        extra.path(),
        "{\"event\":\"contact_center.engagement_user_unhold\",\"event_ts\":1,\"payload\":{\"object\":{\"engagement_id\":\"X\"}}}\n",
    )
    .unwrap();
    let grow = run(db, &["import", extra.path().to_str().unwrap()]);
    assert_eq!(
        stdout(&grow).trim(),
        "read 1, appended 1, duplicates 0, rejected 0"
    );
    assert_eq!(grow.status.code(), Some(0));
    let v = run(db, &["verify", "--checkpoint", &checkpoint]);
    assert!(v.status.success(), "{}{}", stdout(&v), stderr(&v));
    let forged = format!("107:{}", "0".repeat(64));
    let v = run(db, &["verify", "--checkpoint", &forged]);
    assert_eq!(v.status.code(), Some(1), "a forged checkpoint fails");
}

#[test]
fn samples_import_export_verify_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    import_samples_roundtrip(&sqlite_url(dir.path()));
}

#[test]
fn samples_import_export_verify_postgres() {
    let db = zcc_tests::fresh_database();
    import_samples_roundtrip(&db.url);
}

#[test]
fn missing_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &sqlite_url(dir.path()),
        &["import", "/nonexistent/calls.jsonl"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/calls.jsonl"));
}

#[test]
fn jsonl_lines_gz_and_stdin_with_bad_lines() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(dir.path());
    let good = |n: u32| {
        format!(
            "{{\"event\":\"contact_center.engagement_user_hold\",\"event_ts\":{n},\"payload\":{{\"object\":{{\"engagement_id\":\"E{n}\"}}}}}}"
        )
    };
    let lines = [
        good(1),
        "not json".into(),
        "[1,2]".into(),
        "{\"payload\":{}}".into(),
        good(2),
        String::new(),
        good(1),
    ];
    let gz_path = dir.path().join("calls.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(lines.join("\n").as_bytes()).unwrap();
    gz.finish().unwrap();
    let o = run(&db, &["import", gz_path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o).trim(),
        "read 6, appended 2, duplicates 1, rejected 3"
    );
    let err = stderr(&o);
    assert!(err.contains("calls.jsonl.gz:2: body is not JSON"), "{err}");
    assert!(
        err.contains("calls.jsonl.gz:3: body is JSON but not an object"),
        "{err}"
    );
    assert!(
        err.contains("calls.jsonl.gz:4: envelope has no \"event\" field"),
        "{err}"
    );

    let mut child = bin()
        .args(["--database-url", &db, "import", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", good(3)).as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o).trim(),
        "read 1, appended 1, duplicates 0, rejected 0"
    );
}

/// Zoom's eight documented 2026 conference bodies import with exit 0, and the call they
/// describe is read from them.
fn import_conference_samples(db: &str) {
    let files = conference_sample_files();
    assert_eq!(
        files.len(),
        8,
        "seven conference events and the warm-invite API event"
    );
    let mut args = vec!["import".to_owned()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(db, &argv);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "read 8, appended 8, duplicates 0, rejected 0"
    );

    // The samples all carry the same instant and end with the conference canceled: no
    // conference lasted, but the invitation is there, made by the roster's host.
    let export = run(
        db,
        &["export", "conference_invitations", "--format", "jsonl"],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    let rows: Vec<serde_json::Value> = stdout(&export)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["engagement_id"], "KGyggzS9QXWjt7L7yl2OxQ");
    assert_eq!(rows[0]["invited_user"], "ppsafdjsahfdag");
    assert_eq!(rows[0]["invited_by"], "dsafdsaghjfdsg");
    assert_eq!(rows[0]["source"], "explicit");
    let export = run(db, &["export", "conferences", "--format", "csv"]);
    assert!(export.status.success(), "{}", stderr(&export));
    assert!(
        stdout(&export).starts_with("engagement_id,")
            && stdout(&export).contains(
                "conference_id,external_participants,participant_names,initiated_by_name"
            ),
        "{}",
        stdout(&export)
    );
    let show = run(db, &["show", "KGyggzS9QXWjt7L7yl2OxQ"]);
    assert!(show.status.success(), "{}", stderr(&show));
    assert!(
        stdout(&show).contains("engagement_conference_participant_joined"),
        "{}",
        stdout(&show)
    );
}

#[test]
fn conference_samples_import_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    import_conference_samples(&sqlite_url(dir.path()));
}

#[test]
fn conference_samples_import_postgres() {
    let db = zcc_tests::fresh_database();
    import_conference_samples(&db.url);
}
