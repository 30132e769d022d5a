//! Reading exports back: JSON Lines (keys in file order), CSV (with the csv crate) and Parquet
//! (with the parquet crate's Arrow reader), into JSON values for comparison.

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMillisecondType};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use zcc_export::Manifest;
use zcc_export::time::rfc3339_ms;
use zcc_model::Cell;

/// A JSON object with its keys in file order.
pub struct Ordered(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ordered, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(kv) = m.next_entry::<String, Value>()? {
                    v.push(kv);
                }
                Ok(Ordered(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// A table as read back: column names in order and rows of JSON values (times as RFC 3339
/// strings, lists as arrays, null as null: the JSON Lines convention).
#[derive(Debug, PartialEq)]
pub struct Read {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

pub fn cell_json(c: &Cell) -> Value {
    match c {
        Cell::Str(v) => v.clone().map_or(Value::Null, Value::String),
        Cell::Int(v) => v.map_or(Value::Null, Value::from),
        Cell::TimeMs(v) => v.map_or(Value::Null, |t| Value::String(rfc3339_ms(t))),
        Cell::Bool(v) => v.map_or(Value::Null, Value::Bool),
        Cell::List(v) => Value::from(v.clone()),
        Cell::IntList(v) => Value::from(v.clone()),
    }
}

pub fn jsonl(bytes: &[u8]) -> Read {
    let text = std::str::from_utf8(bytes).expect("JSON Lines are UTF-8");
    let mut columns: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Ordered(kv) = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {i}: {e}"));
        let names: Vec<String> = kv.iter().map(|(k, _)| k.clone()).collect();
        match &columns {
            None => columns = Some(names),
            Some(c) => assert_eq!(c, &names, "line {i} has other keys"),
        }
        rows.push(kv.into_iter().map(|(_, v)| v).collect());
    }
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the last line ends with a newline"
    );
    Read {
        columns: columns.unwrap_or_default(),
        rows,
    }
}

/// CSV as raw strings: the header and the fields.
pub fn csv_raw(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r
        .headers()
        .expect("a header row")
        .iter()
        .map(String::from)
        .collect();
    let rows = r
        .records()
        .map(|rec| {
            rec.expect("a CSV record")
                .iter()
                .map(String::from)
                .collect()
        })
        .collect();
    (header, rows)
}

/// The CSV text a cell should become.
pub fn cell_csv(c: &Cell) -> String {
    match c {
        Cell::Str(v) => v.clone().unwrap_or_default(),
        Cell::Int(v) => v.map(|i| i.to_string()).unwrap_or_default(),
        Cell::TimeMs(v) => v.map(rfc3339_ms).unwrap_or_default(),
        Cell::Bool(v) => v.map(|b| b.to_string()).unwrap_or_default(),
        Cell::List(v) => v.join(";"),
        Cell::IntList(v) => v.iter().map(i64::to_string).collect::<Vec<_>>().join(";"),
    }
}

pub struct ParquetRead {
    pub read: Read,
    pub types: Vec<DataType>,
    pub manifest: Option<Manifest>,
    pub row_groups: usize,
}

fn value_at(a: &ArrayRef, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Utf8 => Value::String(a.as_string::<i32>().value(i).to_owned()),
        DataType::Int64 => Value::from(a.as_primitive::<Int64Type>().value(i)),
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Timestamp(_, _) => Value::String(rfc3339_ms(
            a.as_primitive::<TimestampMillisecondType>().value(i),
        )),
        DataType::List(_) => {
            let inner = a.as_list::<i32>().value(i);
            Value::Array((0..inner.len()).map(|j| value_at(&inner, j)).collect())
        }
        other => panic!("unexpected Arrow type {other}"),
    }
}

pub fn parquet(bytes: Vec<u8>) -> ParquetRead {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .expect("a Parquet file");
    let manifest = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| {
            kv.iter()
                .find(|k| k.key == zcc_export::manifest::PARQUET_KEY)
        })
        .and_then(|k| k.value.as_deref())
        .map(|json| Manifest::from_json(json).expect("the embedded manifest parses"));
    let row_groups = builder.metadata().num_row_groups();
    let schema = builder.schema().clone();
    let reader = builder.build().expect("a reader");
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.expect("a batch");
        for i in 0..batch.num_rows() {
            rows.push(batch.columns().iter().map(|c| value_at(c, i)).collect());
        }
    }
    ParquetRead {
        read: Read {
            columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
            rows,
        },
        types: schema
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect(),
        manifest,
        row_groups,
    }
}
