//! Every model table in every format, read back with independent readers (serde_json, the csv
//! crate, the parquet crate's Arrow reader): same rows, SPEC 8 conventions, the manifest.

mod common;

use arrow_schema::{DataType, Field, TimeUnit};
use common::read::{self, cell_csv, cell_json};
use common::{T0, ms, projections};
use serde_json::{Value, json};
use std::sync::Arc;
use zcc_export::{ExportError, Exporter, Format, Manifest, TableName, Window};
use zcc_model::{CallProjection, Table};
use zcc_store::projection::{GenerationId, ProjectionDoc};

const GEN: GenerationId = GenerationId(7);

/// The stored document of a projection, as the projection store holds it.
fn doc(p: &CallProjection) -> ProjectionDoc {
    ProjectionDoc {
        engagement_id: p.engagement.engagement_id.clone(),
        account_id: p.engagement.account_id.clone(),
        started_at_ms: p.engagement.started_at,
        ended_at_ms: p.engagement.ended_at,
        has_conference: p.has_conference(),
        agents: p.agents(),
        queues: p.engagement.queue_ids.clone(),
        doc: String::from_utf8(p.to_canonical_json()).unwrap(),
        search: None,
    }
}

/// Export `table` through the decode path (documents, as `export_table` reads them).
fn export(table: Table, format: Format, window: Window) -> (Vec<u8>, Manifest) {
    let mut out = Vec::new();
    let mut ex = Exporter::open(TableName::Model(table), format, window, &mut out).unwrap();
    for p in projections() {
        ex.write_doc(GEN, &doc(&p)).unwrap();
    }
    let manifest = ex.finish().unwrap();
    (out, manifest)
}

/// What the rows should be: the model's cells, in the JSON Lines convention.
fn expected(table: Table, window: Window) -> Vec<Vec<Value>> {
    let time = table
        .columns()
        .iter()
        .position(|c| c.name == table.time_column())
        .unwrap();
    projections()
        .iter()
        .flat_map(|p| p.table_rows(table))
        .filter(|row| match &row[time] {
            zcc_model::Cell::TimeMs(t) => window.keeps(*t),
            _ => unreachable!(),
        })
        .map(|row| row.iter().map(cell_json).collect())
        .collect()
}

/// A CSV cell as the spreadsheet-safe `csv` writes it: text starting with a formula character
/// gets a leading `'`; numbers, times and booleans never.
fn guarded(cell: &str, column: &zcc_model::Column) -> String {
    let text = matches!(
        column.ty,
        zcc_model::ColumnType::Str | zcc_model::ColumnType::List
    );
    if text && cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn names(table: Table) -> Vec<String> {
    table.columns().iter().map(|c| c.name.to_owned()).collect()
}

#[test]
fn every_model_table_reads_back_the_same_in_every_format() {
    for &table in Table::ALL {
        let want = expected(table, Window::ALL);
        assert!(
            !want.is_empty(),
            "the fixture has rows for {}",
            table.name()
        );

        let (bytes, m) = export(table, Format::Jsonl, Window::ALL);
        let got = read::jsonl(&bytes);
        assert_eq!(got.columns, names(table), "{} jsonl keys", table.name());
        assert_eq!(got.rows, want, "{} jsonl rows", table.name());
        assert_eq!(m.rows, want.len() as u64);

        // csv-raw holds every cell as the model has it.
        let (bytes, m) = export(table, Format::CsvRaw, Window::ALL);
        let (header, rows) = read::csv_raw(&bytes);
        assert_eq!(header, names(table), "{} csv header", table.name());
        let want_csv: Vec<Vec<String>> = projections()
            .iter()
            .flat_map(|p| p.table_rows(table))
            .map(|r| r.iter().map(cell_csv).collect())
            .collect();
        assert_eq!(rows, want_csv, "{} csv rows", table.name());
        assert_eq!(m.rows, want.len() as u64);
        assert_eq!(m.format, "csv-raw");

        // csv is the same but for the text cells a spreadsheet would run as a formula.
        let (bytes, m) = export(table, Format::Csv, Window::ALL);
        let (header, rows) = read::csv_raw(&bytes);
        assert_eq!(header, names(table), "{} csv header", table.name());
        let columns = table.columns();
        let want_guarded: Vec<Vec<String>> = want_csv
            .iter()
            .map(|row| {
                row.iter()
                    .zip(columns)
                    .map(|(cell, column)| guarded(cell, column))
                    .collect()
            })
            .collect();
        assert_eq!(rows, want_guarded, "{} csv rows", table.name());
        assert_eq!(m.format, "csv");

        let (bytes, m) = export(table, Format::Parquet, Window::ALL);
        let got = read::parquet(bytes);
        assert_eq!(
            got.read.columns,
            names(table),
            "{} parquet columns",
            table.name()
        );
        assert_eq!(got.read.rows, want, "{} parquet rows", table.name());
        assert_eq!(
            got.manifest.as_ref(),
            Some(&m),
            "{} parquet manifest",
            table.name()
        );
        assert_eq!(m.rows, want.len() as u64);
    }
}

fn utc_ms() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn list_of(t: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(t, true)))
}

#[test]
fn conferences_have_the_spec_columns_in_order_in_every_format() {
    let spec = [
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
    ];
    // The agents' names come after the columns SPEC 8 lists.
    let mut columns = spec.to_vec();
    columns.extend(["participant_names", "initiated_by_name"]);
    let (bytes, _) = export(Table::Conferences, Format::Jsonl, Window::ALL);
    assert_eq!(read::jsonl(&bytes).columns, columns);
    let line = std::str::from_utf8(&bytes)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let rule = zcc_model::rules::default_rule().identity().to_string();
    assert_eq!(
        line,
        format!(
            "{{\"engagement_id\":\"EngExportConference01\",\"account_id\":\"AcctExport00000000001\",\
             \"conference_index\":1,\"started_at\":\"2026-05-04T14:00:35.000Z\",\
             \"ended_at\":\"2026-05-04T14:01:20.000Z\",\"duration_ms\":45000,\
             \"participants\":[\"alice\",\"bob\"],\"initiated_by\":\"alice\",\"source\":\"inferred\",\
             \"rule\":\"{rule}\",\"evidence\":[2,3,4,7,8,9,12],\"conference_id\":null,\
             \"external_participants\":[],\"participant_names\":[\"alice Agent\",\"bob Agent\"],\
             \"initiated_by_name\":\"alice Agent\"}}"
        )
    );

    let (bytes, _) = export(Table::Conferences, Format::Csv, Window::ALL);
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(
        text,
        format!(
            "{}\nEngExportConference01,AcctExport00000000001,1,2026-05-04T14:00:35.000Z,\
             2026-05-04T14:01:20.000Z,45000,alice;bob,alice,inferred,{rule},2;3;4;7;8;9;12,,,\
             alice Agent;bob Agent,alice Agent\n",
            columns.join(",")
        )
    );

    let (bytes, _) = export(Table::Conferences, Format::Parquet, Window::ALL);
    let got = read::parquet(bytes);
    assert_eq!(got.read.columns, columns);
    assert_eq!(
        got.types,
        [
            DataType::Utf8,
            DataType::Utf8,
            DataType::Int64,
            utc_ms(),
            utc_ms(),
            DataType::Int64,
            list_of(DataType::Utf8),
            DataType::Utf8,
            DataType::Utf8,
            DataType::Utf8,
            list_of(DataType::Int64),
            DataType::Utf8,
            list_of(DataType::Utf8),
            list_of(DataType::Utf8),
            DataType::Utf8,
        ]
    );
}

#[test]
fn times_nulls_lists_and_quotes_follow_the_conventions() {
    // The open call has no end: null in JSON Lines, an empty CSV field, null in Parquet.
    let (bytes, _) = export(Table::Engagements, Format::Jsonl, Window::ALL);
    let j = read::jsonl(&bytes);
    let col = |name: &str| j.columns.iter().position(|c| c == name).unwrap();
    let open = &j.rows[2];
    assert_eq!(open[col("engagement_id")], json!("EngExportOpen00000003"));
    assert_eq!(open[col("ended_at")], Value::Null);
    assert_eq!(open[col("duration_ms")], Value::Null);
    assert_eq!(open[col("has_conference")], json!(false));
    assert_eq!(
        j.rows[0][col("started_at")],
        json!("2026-05-04T14:00:00.000Z")
    );
    assert_eq!(j.rows[0][col("agents")], json!(["alice", "bob"]));
    assert_eq!(
        j.rows[0][col("agent_names")],
        json!(["alice Agent", "bob Agent"]),
        "names in the order of the ids"
    );
    assert_eq!(j.rows[0][col("evidence")], json!([1, 15]));
    assert_eq!(
        j.rows[0][col("customer_name")],
        json!("Pat \"Quoted\", Caller")
    );
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains("\"ended_at\":null,\"duration_ms\":null"),
        "{text}"
    );

    let (bytes, _) = export(Table::Engagements, Format::Csv, Window::ALL);
    let (_, rows) = read::csv_raw(&bytes);
    assert_eq!(rows[2][col("ended_at")], "");
    assert_eq!(rows[2][col("duration_ms")], "");
    assert_eq!(rows[0][col("agents")], "alice;bob");
    assert_eq!(rows[0][col("agent_names")], "alice Agent;bob Agent");
    assert_eq!(rows[0][col("evidence")], "1;15");
    assert_eq!(rows[0][col("has_conference")], "true");
    assert_eq!(rows[0][col("started_at")], "2026-05-04T14:00:00.000Z");
    assert_eq!(rows[0][col("customer_name")], "Pat \"Quoted\", Caller");
    assert!(
        String::from_utf8(bytes)
            .unwrap()
            .contains(",\"Pat \"\"Quoted\"\", Caller\",")
    );

    // Parquet holds the instant itself: milliseconds since the epoch, zone UTC.
    let (bytes, _) = export(Table::Engagements, Format::Parquet, Window::ALL);
    let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        bytes::Bytes::from(bytes),
    )
    .unwrap()
    .build()
    .unwrap()
    .next()
    .unwrap()
    .unwrap();
    use arrow_array::cast::AsArray;
    let started = b
        .column_by_name("started_at")
        .unwrap()
        .as_primitive::<arrow_array::types::TimestampMillisecondType>();
    assert_eq!(started.value(0), T0);
    assert_eq!(started.timezone(), Some("UTC"));
    let ended = b.column_by_name("ended_at").unwrap();
    assert!(ended.is_valid(0) && ended.is_null(2));
    let agents = b
        .column_by_name("agents")
        .unwrap()
        .as_list::<i32>()
        .value(0);
    assert_eq!(
        agents.as_string::<i32>().iter().collect::<Vec<_>>(),
        [Some("alice"), Some("bob")]
    );
    let has = b.column_by_name("has_conference").unwrap().as_boolean();
    assert_eq!((has.value(0), has.value(1)), (true, false));
}

#[test]
fn the_window_filters_on_the_start_of_each_row() {
    // since inclusive (the conference starts at 35 s), until exclusive (the transfer completes
    // and alice leaves at 236 s).
    let window = Window {
        since_ms: Some(ms(35.0)),
        until_ms: Some(ms(236.0)),
    };
    for &table in Table::ALL {
        for format in [Format::Jsonl, Format::Parquet] {
            let (bytes, m) = export(table, format, window);
            let rows = match format {
                Format::Parquet => read::parquet(bytes).read.rows,
                _ => read::jsonl(&bytes).rows,
            };
            assert_eq!(rows, expected(table, window), "{} {format}", table.name());
            assert_eq!(m.rows, rows.len() as u64);
            assert_eq!(m.scanned, 3, "every engagement is read");
        }
    }
    let kept = |table: Table| {
        let (bytes, _) = export(table, Format::Jsonl, window);
        let r = read::jsonl(&bytes);
        let t = names(table)
            .iter()
            .position(|c| c == table.time_column())
            .unwrap();
        r.rows
            .into_iter()
            .map(|row| row[t].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(kept(Table::Conferences), ["2026-05-04T14:00:35.000Z"]);
    assert_eq!(kept(Table::Engagements), ["2026-05-04T14:03:20.000Z"]);
    assert_eq!(kept(Table::Transfers), ["2026-05-04T14:03:50.000Z"]);
    assert_eq!(
        kept(Table::Holds),
        Vec::<String>::new(),
        "alice's hold began at 10 s"
    );
    let derived = kept(Table::DerivedEvents);
    assert_eq!(derived.first().unwrap(), "2026-05-04T14:00:35.000Z");
    assert_eq!(
        derived.last().unwrap(),
        "2026-05-04T14:03:53.000Z",
        "236 s is excluded"
    );
    assert_eq!(
        kept(Table::Legs).len(),
        5,
        "bob, sue, customer, alice and carol of call 2"
    );
}

#[test]
fn the_manifest_says_what_the_export_holds() {
    let window = Window {
        since_ms: Some(ms(0.5)),
        until_ms: None,
    };
    let (bytes, m) = export(Table::Conferences, Format::Parquet, window);
    assert_eq!(m.table, "conferences");
    assert_eq!(m.format, "parquet");
    assert_eq!(m.rows, 1);
    assert_eq!(m.scanned, 3);
    assert_eq!(m.since.as_deref(), Some("2026-05-04T14:00:00.500Z"));
    assert_eq!(m.until, None);
    assert_eq!(m.manifest_version, 1);
    let cols: Vec<(&str, &str)> = m
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.ty.as_str()))
        .collect();
    assert_eq!(cols[3], ("started_at", "timestamp_ms_utc"));
    assert_eq!(cols[6], ("participants", "list<string>"));
    assert_eq!(cols[10], ("evidence", "list<int64>"));
    assert!(
        m.created_at.ends_with('Z') && m.created_at.len() == 24,
        "{}",
        m.created_at
    );
    // The same manifest travels inside the Parquet file and round-trips through JSON.
    assert_eq!(read::parquet(bytes).manifest, Some(m.clone()));
    assert_eq!(Manifest::from_json(&m.to_json()).unwrap(), m);

    // Beside a file: FILE.manifest.json.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conferences.parquet");
    let written = m.write_beside(&path).unwrap();
    assert_eq!(
        written,
        dir.path().join("conferences.parquet.manifest.json")
    );
    let back = Manifest::from_json(&std::fs::read_to_string(&written).unwrap()).unwrap();
    assert_eq!(back, m);
}

#[test]
fn an_empty_export_is_still_a_readable_file() {
    let window = Window {
        since_ms: Some(ms(10_000.0)),
        until_ms: None,
    };
    let (bytes, m) = export(Table::Conferences, Format::Parquet, window);
    assert_eq!(m.rows, 0);
    let got = read::parquet(bytes);
    assert_eq!(got.read.columns, names(Table::Conferences));
    assert!(got.read.rows.is_empty());
    let (bytes, _) = export(Table::Conferences, Format::Csv, window);
    assert_eq!(read::csv_raw(&bytes), (names(Table::Conferences), vec![]));
    let (bytes, _) = export(Table::Conferences, Format::Jsonl, window);
    assert!(bytes.is_empty());
}

#[test]
fn a_document_that_does_not_decode_names_its_engagement() {
    let mut d = doc(&projections()[0]);
    d.doc = "{\"rule\":42}".into();
    let mut ex = Exporter::open(
        TableName::Model(Table::Holds),
        Format::Csv,
        Window::ALL,
        Vec::new(),
    )
    .unwrap();
    let e = ex.write_doc(GEN, &d).unwrap_err();
    assert!(matches!(e, ExportError::Decode { .. }));
    let msg = e.to_string();
    assert!(
        msg.starts_with(
            "generation 7, engagement EngExportConference01: the stored projection does not decode"
        ),
        "{msg}"
    );
    // Log entries are not projections, and the other way round.
    let e = ex.write_entry(&sample_entry()).unwrap_err().to_string();
    assert_eq!(e, "the holds export was given log entries");
}

fn sample_entry() -> zcc_store::LogEntry {
    zcc_store::LogEntry {
        position: zcc_store::Position(1),
        received_at_ms: T0,
        event_type: "contact_center.engagement_started".into(),
        event_time_ms: T0,
        account_id: None,
        engagement_id: None,
        body: "{}".into(),
        body_sha256: zcc_store::Digest::of(b"{}"),
        hash: zcc_store::Digest::ZERO,
        source: zcc_store::Source::Import,
        chain: zcc_store::ChainVersion::V2,
    }
}

#[test]
fn table_and_format_names_parse_with_errors_that_list_the_choices() {
    let t: TableName = "conference_invitations".parse().unwrap();
    assert_eq!(t, TableName::Model(Table::ConferenceInvitations));
    assert_eq!("events".parse::<TableName>().unwrap(), TableName::Events);
    assert_eq!(TableName::all().count(), 9);
    let e = "calls".parse::<TableName>().unwrap_err().to_string();
    assert_eq!(
        e,
        "unknown table \"calls\"; tables: engagements, legs, holds, transfers, \
         conference_invitations, conferences, supervision, derived_events, events"
    );
    assert_eq!("parquet".parse::<Format>().unwrap(), Format::Parquet);
    let e = "xlsx".parse::<Format>().unwrap_err().to_string();
    assert_eq!(
        e,
        "unknown export format \"xlsx\"; formats: jsonl, csv, parquet"
    );
}
