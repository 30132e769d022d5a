//! Parquet through Arrow: one Arrow builder per column, a `RecordBatch` every [`BATCH_ROWS`]
//! rows, row groups capped at [`ROW_GROUP_ROWS`] rows or [`ROW_GROUP_BYTES`] encoded bytes so
//! memory stays flat however long the table. Strings are `Utf8`, whole numbers `Int64`, times
//! `Timestamp(Millisecond, "UTC")`, lists `List<Utf8>` / `List<Int64>`; Snappy compression.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int64Builder, ListBuilder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use zcc_model::{Cell, Column, ColumnType};

use super::{RowSink, finished};
use crate::manifest::PARQUET_KEY;
use crate::{ExportError, Manifest};

/// Rows per Arrow batch handed to the encoder.
pub const BATCH_ROWS: usize = 8192;
/// Most rows in one row group.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;
/// Most estimated encoded bytes in one row group (the raw log's bodies make large rows).
pub const ROW_GROUP_BYTES: usize = 64 << 20;

/// The Arrow type of a column type.
pub fn arrow_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Str => DataType::Utf8,
        ColumnType::Int => DataType::Int64,
        ColumnType::TimeMs => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        ColumnType::Bool => DataType::Boolean,
        ColumnType::List => DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        ColumnType::IntList => {
            DataType::List(Arc::new(Field::new_list_field(DataType::Int64, true)))
        }
    }
}

/// The Arrow schema of a table: every column nullable, in column order.
pub fn arrow_schema(columns: &[Column]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(c.name, arrow_type(c.ty), true))
            .collect::<Vec<_>>(),
    ))
}

enum Builder {
    Str(StringBuilder),
    Int(Int64Builder),
    Time(TimestampMillisecondBuilder),
    Bool(BooleanBuilder),
    List(ListBuilder<StringBuilder>),
    IntList(ListBuilder<Int64Builder>),
}

impl Builder {
    fn new(ty: ColumnType) -> Builder {
        match ty {
            ColumnType::Str => Builder::Str(StringBuilder::new()),
            ColumnType::Int => Builder::Int(Int64Builder::new()),
            ColumnType::TimeMs => {
                Builder::Time(TimestampMillisecondBuilder::new().with_timezone("UTC"))
            }
            ColumnType::Bool => Builder::Bool(BooleanBuilder::new()),
            ColumnType::List => Builder::List(ListBuilder::new(StringBuilder::new())),
            ColumnType::IntList => Builder::IntList(ListBuilder::new(Int64Builder::new())),
        }
    }

    /// Append `cell`; false when its type is not the column's.
    fn append(&mut self, cell: &Cell) -> bool {
        match (self, cell) {
            (Builder::Str(b), Cell::Str(v)) => b.append_option(v.as_deref()),
            (Builder::Int(b), Cell::Int(v)) => b.append_option(*v),
            (Builder::Time(b), Cell::TimeMs(v)) => b.append_option(*v),
            (Builder::Bool(b), Cell::Bool(v)) => b.append_option(*v),
            (Builder::List(b), Cell::List(items)) => {
                for s in items {
                    b.values().append_value(s);
                }
                b.append(true);
            }
            (Builder::IntList(b), Cell::IntList(items)) => {
                b.values().append_slice(items);
                b.append(true);
            }
            _ => return false,
        }
        true
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Str(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Time(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::List(b) => Arc::new(b.finish()),
            Builder::IntList(b) => Arc::new(b.finish()),
        }
    }
}

pub struct ParquetSink<W: Write + Send> {
    columns: &'static [Column],
    schema: SchemaRef,
    builders: Vec<Builder>,
    pending: usize,
    writer: Option<ArrowWriter<W>>,
}

impl<W: Write + Send> ParquetSink<W> {
    pub fn new(columns: &'static [Column], out: W) -> Result<ParquetSink<W>, ExportError> {
        let schema = arrow_schema(columns);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .set_created_by(concat!("zcc-ledger ", env!("CARGO_PKG_VERSION")).to_owned())
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props))?;
        Ok(ParquetSink {
            columns,
            schema,
            builders: columns.iter().map(|c| Builder::new(c.ty)).collect(),
            pending: 0,
            writer: Some(writer),
        })
    }

    fn flush_batch(&mut self) -> Result<(), ExportError> {
        if self.pending == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        self.pending = 0;
        self.writer.as_mut().ok_or_else(finished)?.write(&batch)?;
        Ok(())
    }
}

impl<W: Write + Send> RowSink for ParquetSink<W> {
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        if self.writer.is_none() {
            return Err(finished());
        }
        for ((builder, cell), col) in self.builders.iter_mut().zip(row).zip(self.columns) {
            if !builder.append(cell) {
                return Err(ExportError::Invalid(format!(
                    "Parquet column {}: expected {}, got {cell:?}",
                    col.name,
                    crate::manifest::type_name(col.ty)
                )));
            }
        }
        self.pending += 1;
        if self.pending >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn finish(&mut self, manifest: &Manifest) -> Result<(), ExportError> {
        self.flush_batch()?;
        let mut writer = self.writer.take().ok_or_else(finished)?;
        writer.append_key_value_metadata(KeyValue::new(
            PARQUET_KEY.to_owned(),
            serde_json::to_string(manifest).expect("a manifest always serialises"),
        ));
        let mut inner = writer.into_inner()?;
        inner.flush()?;
        Ok(())
    }
}
