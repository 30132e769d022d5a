//! What a script relies on: `--format json` on the reporting commands, environment twins that
//! never reach another command's flag, CSV that a spreadsheet opens safely (and raw CSV on
//! request), a JSON process log, shell completions and the manual page.

mod common;

use common::*;
use serde_json::Value;

/// A call whose flow name and caller's name a spreadsheet would run as formulas.
const HOSTILE_START: &str = r#"{"event":"contact_center.engagement_started","event_ts":1777903330000,"payload":{"account_id":"AcctScript","object":{"engagement_id":"EngFormula1","channel":"voice","engagement_direction":"inbound","flow_name":"=HYPERLINK(\"http://example.invalid\",\"click\")","consumer_number":"+15550100","date_time_ms":1777903330000}}}"#;

fn imported_db(dir: &std::path::Path) -> String {
    let db = sqlite_url(dir);
    let file = dir.join("calls.jsonl");
    std::fs::write(&file, format!("{HOSTILE_START}\n")).unwrap();
    let out = run(&db, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    db
}

fn json(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", stdout(out)))
}

#[test]
fn the_reporting_commands_speak_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported_db(dir.path());

    let rules = json(&run(&db, &["rules", "--format", "json"]));
    let names: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"correlated") && names.contains(&"party-count"),
        "{rules}"
    );
    let default: Vec<&Value> = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["default"] == true)
        .collect();
    assert_eq!(default.len(), 1, "one default rule: {rules}");
    assert_eq!(default[0]["name"], "correlated");

    let generations = json(&run(&db, &["generations", "--format", "json"]));
    let active = &generations.as_array().unwrap()[0];
    assert_eq!(active["state"], "active", "{generations}");
    assert_eq!(active["rule"], "correlated");
    assert_eq!(active["checkpoint"], 1);
    assert_eq!(active["log_size"], 1);

    let text = run(&db, &["checkpoint"]);
    assert!(text.status.success(), "{}", stderr(&text));
    let line = stdout(&text);
    assert_eq!(line.lines().count(), 1, "exactly SIZE:HASH: {line:?}");
    let checkpoint = json(&run(&db, &["checkpoint", "--format", "json"]));
    assert_eq!(checkpoint["size"], 1);
    assert_eq!(checkpoint["checkpoint"].as_str().unwrap(), line.trim());
    assert_eq!(
        format!("1:{}", checkpoint["hash"].as_str().unwrap()),
        line.trim()
    );

    let verified = json(&run(
        &db,
        &["verify", "--format", "json", "--checkpoint", line.trim()],
    ));
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["entries_checked"], 1);
    assert_eq!(verified["checkpoint"]["extends"], true);
    assert!(verified["first_bad"].is_null());

    // A checkpoint the log does not extend: exit 1, and the JSON says why.
    let wrong = format!("1:{}", "0".repeat(64));
    let failed = run(&db, &["verify", "--format", "json", "--checkpoint", &wrong]);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    let failed: Value = serde_json::from_str(&stdout(&failed)).unwrap();
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["checkpoint"]["extends"], false);
    assert!(
        failed["checkpoint"]["reason"].as_str().is_some(),
        "{failed}"
    );
}

#[test]
fn a_twin_meant_for_one_command_never_reaches_another() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported_db(dir.path());
    // `ZCC_FORMAT=parquet` in a `.env` used to break `show`; now no flag reads it.
    let shown = bin()
        .env("ZCC_FORMAT", "parquet")
        .env("ZCC_EXPORT_FORMAT", "csv")
        .args(["--database-url", &db, "show", "EngFormula1"])
        .output()
        .unwrap();
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(stdout(&shown).contains("EngFormula1"));
    // ... while the export's own twin reaches the export.
    let exported = bin()
        .env("ZCC_FORMAT", "parquet")
        .env("ZCC_EXPORT_FORMAT", "csv")
        .args(["--database-url", &db, "export", "engagements"])
        .output()
        .unwrap();
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert!(stdout(&exported).starts_with("engagement_id,account_id,"));
}

/// The cell of `column` in the first data row of a CSV export.
fn csv_cell(csv: &str, column: &str) -> String {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = header.iter().position(|h| h == column).unwrap();
    let row = reader.records().next().unwrap().unwrap();
    row[at].to_owned()
}

#[test]
fn csv_is_safe_in_a_spreadsheet_unless_raw_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported_db(dir.path());
    let flow = r#"=HYPERLINK("http://example.invalid","click")"#;

    let safe = run(&db, &["export", "engagements", "--format", "csv"]);
    assert!(safe.status.success(), "{}", stderr(&safe));
    let safe = stdout(&safe);
    assert_eq!(csv_cell(&safe, "flow_name"), format!("'{flow}"));
    assert_eq!(csv_cell(&safe, "customer_number"), "'+15550100");
    // The exporter's own numbers and times are never touched.
    assert!(!csv_cell(&safe, "started_at").starts_with('\''));

    let raw = run(&db, &["export", "engagements", "--format", "csv-raw"]);
    assert!(raw.status.success(), "{}", stderr(&raw));
    let raw = stdout(&raw);
    assert_eq!(csv_cell(&raw, "flow_name"), flow);
    assert_eq!(csv_cell(&raw, "customer_number"), "+15550100");

    // A bare date is that day's midnight UTC (the call began 2026-05-04T14:02:10Z).
    let day = run(
        &db,
        &[
            "export",
            "engagements",
            "--since",
            "2026-05-04",
            "--until",
            "2026-05-05",
        ],
    );
    assert!(day.status.success(), "{}", stderr(&day));
    assert_eq!(stdout(&day).lines().count(), 1);
    let next_day = run(&db, &["export", "engagements", "--since", "2026-05-05"]);
    assert_eq!(stdout(&next_day).lines().count(), 0);

    // JSON Lines is data, never guarded.
    let jsonl = run(&db, &["export", "engagements"]);
    let row: Value = serde_json::from_str(stdout(&jsonl).lines().next().unwrap()).unwrap();
    assert_eq!(row["flow_name"], flow);
}

#[test]
fn the_process_log_can_be_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(dir.path());
    let out = bin()
        .env_remove("ZCC_LOG")
        .env("RUST_LOG", "info")
        .args(["--log-format", "json", "--database-url", &db, "generations"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("migration"))),
        "{log}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
}

#[test]
fn completions_and_the_manual_come_from_the_command_tree() {
    let bash = bin().args(["completions", "bash"]).output().unwrap();
    assert!(bash.status.success(), "{}", stderr(&bash));
    let bash = stdout(&bash);
    assert!(
        bash.contains("zcc-ledger") && bash.contains("reproject"),
        "{bash}"
    );
    assert!(bash.contains("--database-url"));

    let man = bin().arg("man").output().unwrap();
    assert!(man.status.success(), "{}", stderr(&man));
    let man = stdout(&man);
    assert!(
        man.starts_with(".ie") || man.contains(".TH zcc-ledger"),
        "{man}"
    );
    assert!(man.contains("reproject"));

    let export = bin().args(["man", "export"]).output().unwrap();
    assert!(export.status.success(), "{}", stderr(&export));
    let export = stdout(&export);
    assert!(export.contains("zcc\\-ledger\\-export") || export.contains("zcc-ledger-export"));
    assert!(
        export.contains("csv\\-raw") || export.contains("csv-raw"),
        "{export}"
    );

    let unknown = bin().args(["man", "exprot"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let err = stderr(&unknown);
    assert!(
        err.contains("no command `exprot`") && err.contains("export"),
        "{err}"
    );
}

/// An event whose engagement id is empty or blank stays in the log, but names no call: no
/// model table has a row with a blank `engagement_id`, under any rule, live or rebuilt.
#[test]
fn no_rule_makes_a_call_of_a_blank_engagement_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported_db(dir.path());
    let blank = dir.path().join("blank.jsonl");
    std::fs::write(
        &blank,
        concat!(
            r#"{"event":"contact_center.engagement_started","event_ts":1777903331000,"payload":{"account_id":"A","object":{"engagement_id":"","channel":"voice","date_time_ms":1777903331000}}}"#,
            "\n",
            r#"{"event":"contact_center.engagement_user_hold","event_ts":1777903332000,"payload":{"account_id":"A","object":{"engagement_id":"   ","user_id":"u1","date_time_ms":1777903332000}}}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = run(&db, &["import", blank.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&db, &["reproject", "--rule", "party-count"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Generation 3: the default rule rebuilt from the log, beside the live-kept generation 1.
    let out = run(&db, &["reproject", "--rule", "correlated"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let tables = [
        "engagements",
        "legs",
        "holds",
        "transfers",
        "conference_invitations",
        "conferences",
        "supervision",
        "derived_events",
    ];
    for generation in ["1", "2", "3"] {
        let mut rows = 0;
        for table in tables {
            let out = run(&db, &["export", table, "--generation", generation]);
            assert!(out.status.success(), "{}", stderr(&out));
            for line in stdout(&out).lines() {
                rows += 1;
                let row: Value = serde_json::from_str(line).unwrap();
                let id = row["engagement_id"].as_str().unwrap_or_default();
                assert!(
                    !id.trim().is_empty(),
                    "generation {generation}, {table}: a row of a blank engagement id: {line}"
                );
            }
        }
        assert!(rows > 0, "generation {generation} has the real call's rows");
    }
    // The raw log keeps all three bodies.
    let events = run(&db, &["export", "events"]);
    assert_eq!(stdout(&events).lines().count(), 3);
}
