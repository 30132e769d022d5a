//! Agents' display names beside their ids in every export, end to end through the binary: a
//! simulated ledger exported as JSON Lines and CSV, each name checked against the names the
//! `legs` and `supervision` exports give those users.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

/// Simulate `calls` calls and import them into a SQLite ledger in `dir`; the ledger's URL.
fn simulated_ledger(dir: &std::path::Path, calls: &str) -> String {
    let corpus = dir.join("calls.jsonl");
    let sim = bin()
        .args(["simulate", "--calls", calls, "--seed", "23", "--output"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(sim.status.success(), "{}", stderr(&sim));
    imported_ledger(dir, &corpus)
}

fn export(db: &str, table: &str) -> Vec<Value> {
    let out = run(db, &["export", table, "--format", "jsonl"]);
    assert!(out.status.success(), "export {table}: {}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Display names by (engagement, user id): the first leg of that user with a name, then the
/// supervision sessions.
type Names = BTreeMap<(String, String), String>;

fn names(db: &str) -> Names {
    let mut names = Names::new();
    let eng = |r: &Value| r["engagement_id"].as_str().unwrap().to_owned();
    for leg in export(db, "legs") {
        if let (Some(id), Some(name)) = (leg["user_id"].as_str(), leg["display_name"].as_str()) {
            names
                .entry((eng(&leg), id.to_owned()))
                .or_insert_with(|| name.to_owned());
        }
    }
    for s in export(db, "supervision") {
        if let Some(name) = s["supervisor_name"].as_str() {
            let id = s["supervisor"].as_str().unwrap().to_owned();
            names
                .entry((eng(&s), id))
                .or_insert_with(|| name.to_owned());
        }
    }
    names
}

/// The name a row should carry for the id in `id_column`: the user's name, or null.
fn check_one(names: &Names, table: &str, rows: &[Value], id_column: &str, name_column: &str) {
    for r in rows {
        let engagement = r["engagement_id"].as_str().unwrap().to_owned();
        let want = r[id_column]
            .as_str()
            .and_then(|id| names.get(&(engagement.clone(), id.to_owned())))
            .map_or(Value::Null, |n| Value::from(n.as_str()));
        assert_eq!(
            r[name_column], want,
            "{table}.{name_column} of {engagement}: {r}"
        );
    }
}

/// The names a row should carry for the ids in `ids_column`, in their order ("" when unknown).
fn check_list(names: &Names, table: &str, rows: &[Value], ids_column: &str, names_column: &str) {
    for r in rows {
        let engagement = r["engagement_id"].as_str().unwrap().to_owned();
        let want: Vec<&str> = r[ids_column]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| {
                names
                    .get(&(engagement.clone(), id.as_str().unwrap().to_owned()))
                    .map_or("", String::as_str)
            })
            .collect();
        assert_eq!(
            r[names_column],
            Value::from(want),
            "{table}.{names_column} of {engagement}: {r}"
        );
    }
}

#[test]
fn every_export_that_names_agents_by_id_names_them_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = simulated_ledger(dir.path(), "60");
    let names = names(&db);
    assert!(!names.is_empty(), "the simulated agents have names");

    let one: [(&str, &str, &str); 7] = [
        ("holds", "user_id", "user_name"),
        ("transfers", "from_user", "from_user_name"),
        ("transfers", "to_user", "to_user_name"),
        (
            "conference_invitations",
            "invited_user",
            "invited_user_name",
        ),
        ("conference_invitations", "invited_by", "invited_by_name"),
        ("conferences", "initiated_by", "initiated_by_name"),
        ("supervision", "agent", "agent_name"),
    ];
    let mut named = 0;
    for (table, ids, name) in one {
        let rows = export(&db, table);
        assert!(!rows.is_empty(), "the simulated mix has {table}");
        check_one(&names, table, &rows, ids, name);
        named += rows.iter().filter(|r| r[name].is_string()).count();
    }
    assert!(named > 0, "some rows carry a name");
    for (table, ids, name) in [
        ("engagements", "agents", "agent_names"),
        ("conferences", "participants", "participant_names"),
        ("derived_events", "agents", "agent_names"),
    ] {
        let rows = export(&db, table);
        assert!(!rows.is_empty(), "the simulated mix has {table}");
        check_list(&names, table, &rows, ids, name);
    }

    // CSV: the same columns, the names last in conferences (after the SPEC 8 columns), lists
    // joined with `;` in the order of the ids.
    let out = run(&db, &["export", "conferences", "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header[header.len() - 4..],
        [
            "conference_id",
            "external_participants",
            "participant_names",
            "initiated_by_name"
        ]
    );
    let jsonl = export(&db, "conferences");
    for (record, row) in reader.records().zip(&jsonl) {
        let record = record.unwrap();
        let joined: Vec<&str> = row["participant_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(&record[header.len() - 2], joined.join(";"));
        assert_eq!(
            &record[header.len() - 1],
            row["initiated_by_name"].as_str().unwrap_or("")
        );
    }
}
