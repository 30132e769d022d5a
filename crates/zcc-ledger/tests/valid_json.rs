//! Issue 31, finding 7, through `import`: valid JSON that serde_json refuses (a number beyond
//! f64, a lone surrogate escape, nesting over 128 levels, a leading byte-order mark) is
//! appended, and exported byte for byte, on SQLite and PostgreSQL.

mod common;

use common::*;

fn body(engagement: &str, extra: &str) -> String {
    format!(
        r#"{{"event":"contact_center.engagement_user_hold","event_ts":1777903330000,"payload":{{"account_id":"AcctImport","object":{{"engagement_id":"{engagement}","user_id":"U1"{extra}}}}}}}"#
    )
}

fn import_valid_json(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}1{}", "[".repeat(1000), "]".repeat(1000));
    let lines = [
        body("EngImportBig", r#","big":1e400"#),
        body("EngImportSurrogate", r#","note":"\ud800""#),
        body("EngImportDeep", &format!(r#","deep":{deep}"#)),
    ];
    let jsonl = dir.path().join("bodies.jsonl");
    std::fs::write(&jsonl, lines.join("\n") + "\n").unwrap();
    // A whole-file body with a byte-order mark, as some editors save it.
    let bom = format!("\u{feff}{}", body("EngImportBom", ""));
    let bom_file = dir.path().join("bom.json");
    std::fs::write(&bom_file, &bom).unwrap();

    let out = run(
        db,
        &[
            "import",
            jsonl.to_str().unwrap(),
            bom_file.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "every body is valid JSON with an envelope: {}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        stdout(&out).trim(),
        "read 4, appended 4, duplicates 0, rejected 0"
    );

    let export = run(db, &["export", "events", "--format", "jsonl"]);
    assert!(export.status.success(), "{}", stderr(&export));
    let stored: Vec<(String, String)> = stdout(&export)
        .lines()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                row["engagement_id"].as_str().unwrap_or_default().to_owned(),
                row["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("EngImportBig", &lines[0]),
        ("EngImportSurrogate", &lines[1]),
        ("EngImportDeep", &lines[2]),
        ("EngImportBom", &bom),
    ]
    .iter()
    .map(|(e, b)| ((*e).to_owned(), (*b).clone()))
    .collect();
    assert_eq!(
        stored, want,
        "stored byte for byte, the byte-order mark kept"
    );

    let v = run(db, &["verify"]);
    assert!(v.status.success(), "{}", stdout(&v));
}

#[test]
fn valid_json_serde_refuses_is_imported_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    import_valid_json(&sqlite_url(dir.path()));
}

#[test]
fn valid_json_serde_refuses_is_imported_postgres() {
    let pg = zcc_tests::fresh_database();
    import_valid_json(&pg.url);
}
