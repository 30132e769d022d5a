//! The registry, rule identities and parameters; the export rows; evidence; Zoom's own samples.

mod common;

use common::{Call, input, rule};
use zcc_model::rules::{self, DEFAULT_RULE};
use zcc_model::{CallProjection, Cell, ColumnType, DerivedKind, RuleError, Table};

#[test]
fn registry_lists_the_baseline_and_the_default() {
    let names: Vec<String> = rules::registry()
        .iter()
        .map(|r| format!("{}@{}", r.name, r.version))
        .collect();
    assert_eq!(names, ["correlated@3", "party-count@2"]);
    assert_eq!(DEFAULT_RULE, "correlated");
    assert!(rules::lookup("correlated").unwrap().is_default);
    assert_eq!(
        rules::default_rule().identity().name_version(),
        "correlated@3"
    );
}

#[test]
fn identity_hashes_the_effective_parameters() {
    let default = rule("correlated", &[]).identity();
    let explicit_default = rule("correlated@3", &["handoff_grace_ms=2000"]).identity();
    let other = rule("correlated", &["handoff_grace_ms=0"]).identity();
    assert_eq!(
        default, explicit_default,
        "a default spelled out is the same rule"
    );
    assert_ne!(default.params_hash, other.params_hash);
    let shown = default.to_string();
    assert!(shown.starts_with("correlated@3+"), "{shown}");
    assert_eq!(shown.len(), "correlated@3+".len() + 6);
    assert_eq!(default.params["explicit_conferences"], "use");
    // An identity string names the same rule when looked up again.
    assert!(rules::lookup(&shown).is_ok());
}

#[test]
fn parameters_are_validated_with_clear_errors() {
    let err = |name: &str, params: &[&str]| {
        let params: Vec<String> = params.iter().map(|s| s.to_string()).collect();
        rules::build(name, &params).err().expect("must fail")
    };
    assert!(matches!(err("nope", &[]), RuleError::UnknownRule { .. }));
    assert!(matches!(
        err("correlated@7", &[]),
        RuleError::UnknownVersion { .. }
    ));
    assert!(matches!(
        err("correlated", &["grace"]),
        RuleError::Malformed { .. }
    ));
    assert!(matches!(
        err("correlated", &["colour=red"]),
        RuleError::UnknownParam { .. }
    ));
    assert!(matches!(
        err("party-count", &["handoff_grace_ms=1"]),
        RuleError::UnknownParam { .. }
    ));
    assert!(matches!(
        err("correlated", &["handoff_grace_ms=1", "handoff_grace_ms=2"]),
        RuleError::Repeated { .. }
    ));
    let e = err("correlated", &["handoff_grace_ms=-5"]);
    assert_eq!(
        e.to_string(),
        "parameter handoff_grace_ms=\"-5\" is invalid: must be between 0 and 3600000"
    );
    let e = err("correlated", &["explicit_conferences=maybe"]);
    assert_eq!(
        e.to_string(),
        "parameter explicit_conferences=\"maybe\" is invalid: expected one of use, ignore"
    );
    let e = err("correlated", &["handoff_grace_ms=soon"]);
    assert!(e.to_string().contains("expected a whole number"), "{e}");
}

fn conference_call() -> Call {
    let mut c = Call::inbound();
    c.started(0.0) // 1
        .offer(2.0, 5.0, "T1", "alice") // 2, 3
        .answered(5.0, "alice") // 4
        .offer(30.0, 35.0, "T2", "bob") // 5, 6
        .answered(35.0, "bob") // 7
        .user_ended(80.0, "bob") // 8
        .customer_ended(120.0) // 9
        .user_ended(120.0, "alice") // 10
        .ended(121.0); // 11
    c
}

#[test]
fn derived_events_cite_the_bodies_they_rest_on() {
    let p = rule("correlated", &[]).project(&conference_call().events());
    let find = |kind: DerivedKind| {
        p.derived_events
            .iter()
            .find(|d| d.kind == kind)
            .unwrap_or_else(|| panic!("{kind} missing"))
    };
    assert_eq!(find(DerivedKind::CallStarted).evidence, [1]);
    // Bob's join rests on his answer and the reservation that brought him.
    assert_eq!(
        find(DerivedKind::ConferenceStarted).evidence,
        [2, 3, 4, 5, 6, 7]
    );
    assert_eq!(find(DerivedKind::ConferenceEnded).evidence, [8]);
    assert_eq!(find(DerivedKind::ConferenceInvited).evidence, [5]);
    assert_eq!(find(DerivedKind::ConferenceInviteAccepted).evidence, [6]);
    assert_eq!(find(DerivedKind::CallEnded).evidence, [11]);
    let rule_id = p.rule.to_string();
    assert!(p.derived_events.iter().all(|d| d.rule == rule_id));
    assert!(
        p.derived_events
            .iter()
            .all(|d| d.engagement_id == common::ENG)
    );
    assert_eq!(p.conferences[0].evidence, [2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn conferences_table_has_the_spec_columns_in_order() {
    let names: Vec<&str> = Table::Conferences
        .columns()
        .iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        [
            "engagement_id",
            "account_id",
            "conference_index",
            "started_at",
            "ended_at",
            "duration_ms",
            "participants",
            "initiated_by",
            "source",
            "rule",
            "evidence",
            "conference_id",
            "external_participants",
            "participant_names",
            "initiated_by_name"
        ]
    );
    let p = rule("correlated", &[]).project(&conference_call().events());
    let rows = p.table_rows(Table::Conferences);
    assert_eq!(rows.len(), 1);
    let t = |s: f64| Cell::TimeMs(Some(common::T0 + (s * 1000.0) as i64));
    assert_eq!(
        rows[0],
        vec![
            Cell::Str(Some(common::ENG.into())),
            Cell::Str(Some(common::ACCT.into())),
            Cell::Int(Some(1)),
            t(35.0),
            t(80.0),
            Cell::Int(Some(45_000)),
            Cell::List(vec!["alice".into(), "bob".into()]),
            Cell::Str(Some("alice".into())),
            Cell::Str(Some("inferred".into())),
            Cell::Str(Some(p.rule.to_string())),
            Cell::IntList(vec![2, 3, 4, 5, 6, 7, 8]),
            Cell::Str(None),
            Cell::List(vec![]),
            Cell::List(vec!["alice Agent".into(), "bob Agent".into()]),
            Cell::Str(Some("alice Agent".into())),
        ]
    );
}

/// The cells of `column` in every row of `table`.
fn column(p: &CallProjection, table: Table, column: &str) -> Vec<Cell> {
    let i = table
        .columns()
        .iter()
        .position(|c| c.name == column)
        .unwrap_or_else(|| panic!("{} has no column {column}", table.name()));
    p.table_rows(table)
        .into_iter()
        .map(|r| r[i].clone())
        .collect()
}

/// Every table that names agents by id has their display names beside them, after the columns
/// it had before: from the legs and the supervision sessions, null (an empty string in a list)
/// for a user the call never names.
#[test]
fn agent_names_stand_beside_their_ids_in_every_table() {
    let mut c = Call::inbound();
    c.started(0.0)
        .offer(2.0, 5.0, "T1", "alice")
        .answered(5.0, "alice")
        .hold(10.0, "alice")
        .unhold(20.0, "alice")
        .monitor(25.0, "sue", "carol", "listen")
        .transfer(
            30.0,
            "initiated",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            None,
            "warm",
        )
        .offer(31.0, 33.0, "T2", "bob")
        .answered(33.0, "bob")
        .transfer(
            34.0,
            "completed",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            None,
            "warm",
        )
        .user_ended(35.0, "alice")
        .transfer(
            40.0,
            "initiated",
            "bob",
            "T2",
            "T3",
            Some("dave"),
            None,
            "cold",
        )
        .monitor_ended(50.0, "sue", "carol")
        .customer_ended(60.0)
        .user_ended(60.0, "bob")
        .ended(61.0);
    let p = rule("correlated", &[]).project(&c.events());
    let s = |v: &str| Cell::Str(Some(v.to_owned()));
    let names = |v: &[&str]| Cell::List(v.iter().map(|n| (*n).to_owned()).collect());
    assert_eq!(
        column(&p, Table::Engagements, "agent_names"),
        [names(&["alice Agent", "bob Agent"])]
    );
    assert_eq!(column(&p, Table::Holds, "user_name"), [s("alice Agent")]);
    assert_eq!(
        column(&p, Table::Transfers, "from_user_name"),
        [s("alice Agent"), s("bob Agent")]
    );
    assert_eq!(
        column(&p, Table::Transfers, "to_user_name"),
        [s("bob Agent"), Cell::Str(None)],
        "dave never joined: no name"
    );
    assert_eq!(
        column(&p, Table::Supervision, "agent_name"),
        [Cell::Str(None)],
        "carol is not on this call"
    );
    assert_eq!(
        column(&p, Table::Supervision, "supervisor_name"),
        [s("sue Supervisor")]
    );
    let derived = p.table_rows(Table::DerivedEvents);
    let agents = column(&p, Table::DerivedEvents, "agents");
    let agent_names = column(&p, Table::DerivedEvents, "agent_names");
    assert!(!derived.is_empty());
    for (ids, named) in agents.iter().zip(&agent_names) {
        let (Cell::List(ids), Cell::List(named)) = (ids, named) else {
            panic!("agents and agent_names are lists: {ids:?} {named:?}");
        };
        assert_eq!(ids.len(), named.len(), "{ids:?} / {named:?}");
        for (id, name) in ids.iter().zip(named) {
            let want = match id.as_str() {
                "alice" => "alice Agent",
                "bob" => "bob Agent",
                "sue" => "sue Supervisor",
                _ => "",
            };
            assert_eq!(name, want, "the name of {id}");
        }
    }
    // The columns earlier versions had keep their places: the names come last.
    let tails: [(Table, &[&str]); 7] = [
        (Table::Engagements, &["agent_names"]),
        (Table::Holds, &["user_name"]),
        (Table::Transfers, &["from_user_name", "to_user_name"]),
        (
            Table::ConferenceInvitations,
            &["invited_user_name", "invited_by_name"],
        ),
        (
            Table::Conferences,
            &["participant_names", "initiated_by_name"],
        ),
        (Table::Supervision, &["agent_name"]),
        (Table::DerivedEvents, &["agent_names"]),
    ];
    for (table, tail) in tails {
        let cols: Vec<&str> = table.columns().iter().map(|c| c.name).collect();
        assert!(cols.ends_with(tail), "{}: {cols:?}", table.name());
        let last_before = if table == Table::Conferences {
            "external_participants"
        } else {
            "evidence"
        };
        assert_eq!(
            cols[cols.len() - tail.len() - 1],
            last_before,
            "{}",
            table.name()
        );
    }
}

#[test]
fn every_table_row_matches_its_columns() {
    let p = rule("correlated", &[]).project(&conference_call().events());
    for &table in Table::ALL {
        assert_eq!(Table::from_name(table.name()), Some(table));
        let cols = table.columns();
        assert!(
            cols.iter().any(|c| c.name == table.time_column()),
            "{}",
            table.name()
        );
        for row in p.table_rows(table) {
            assert_eq!(row.len(), cols.len(), "{}", table.name());
            for (cell, col) in row.iter().zip(cols) {
                let ok = matches!(
                    (cell, col.ty),
                    (Cell::Str(_), ColumnType::Str)
                        | (Cell::Int(_), ColumnType::Int)
                        | (Cell::TimeMs(_), ColumnType::TimeMs)
                        | (Cell::Bool(_), ColumnType::Bool)
                        | (Cell::List(_), ColumnType::List)
                        | (Cell::IntList(_), ColumnType::IntList)
                );
                assert!(ok, "{}.{} holds {cell:?}", table.name(), col.name);
            }
        }
    }
    assert_eq!(p.table_rows(Table::Legs).len(), 3);
    assert_eq!(
        p.table_rows(Table::Engagements)[0][15],
        Cell::Bool(Some(true))
    );
}

#[test]
fn zoom_samples_fold_without_surprises() {
    // Every published sample body, as if one engagement received them all: the fold must not
    // panic, must cite only logged positions, and must read the engagement's attributes.
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/zoom-examples"
    );
    let entries = std::fs::read_dir(dir).expect("the sample corpus (SPEC 1) is readable");
    let mut bodies: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter(|b| zcc_events::parse_event(b.as_bytes()).is_ok())
        .collect();
    bodies.sort();
    assert!(bodies.len() > 100, "found {}", bodies.len());
    let events = input(&bodies);
    for name in ["correlated", "party-count"] {
        let p = rule(name, &[]).project(&events);
        let max = bodies.len() as i64;
        let all_ev = p
            .derived_events
            .iter()
            .flat_map(|d| d.evidence.iter())
            .chain(p.legs.iter().flat_map(|l| l.evidence.iter()));
        for &pos in all_ev {
            assert!((1..=max).contains(&pos.get()));
        }
        assert!(p.engagement.account_id.is_some());
        assert!(p.engagement.started_at.is_some());
        assert!(!p.legs.is_empty());
        assert!(!p.transfers.is_empty());
        assert!(!p.supervision.is_empty());
    }
}
