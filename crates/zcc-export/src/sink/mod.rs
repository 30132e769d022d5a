//! Row sinks: one writer per format, driven by the model's column types. A sink receives rows
//! of typed [`Cell`]s in [`Column`] order, one at a time, and never holds more than a bounded
//! buffer (JSON Lines and CSV: an output buffer; Parquet: one Arrow batch plus the row group in
//! progress, capped in rows and bytes).

mod csv;
mod jsonl;
mod parquet;

use std::io::Write;

use zcc_model::{Cell, Column};

use crate::{ExportError, Format, Manifest};

pub use self::csv::{CsvSink, LIST_SEPARATOR};
pub use self::jsonl::JsonlSink;
pub use self::parquet::{BATCH_ROWS, ParquetSink, ROW_GROUP_BYTES, ROW_GROUP_ROWS};

/// A writer of one table in one format.
pub trait RowSink {
    /// Write one row; `row` holds one cell per column, in column order, of the column's type.
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError>;

    /// Write what is buffered and end the file. Parquet also stores `manifest` as key-value
    /// metadata. Called once; rows written after it are an error.
    fn finish(&mut self, manifest: &Manifest) -> Result<(), ExportError>;
}

impl<T: RowSink + ?Sized> RowSink for Box<T> {
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        (**self).write_row(row)
    }
    fn finish(&mut self, manifest: &Manifest) -> Result<(), ExportError> {
        (**self).finish(manifest)
    }
}

/// A sink for `format` writing `columns` to `out`. Parquet needs `Send` (the encoder's bound);
/// for standard output pass `std::io::stdout()` (which is `Send`), not its lock.
pub fn open_sink<'w, W: Write + Send + 'w>(
    format: Format,
    columns: &'static [Column],
    out: W,
) -> Result<Box<dyn RowSink + Send + 'w>, ExportError> {
    Ok(match format {
        Format::Jsonl => Box::new(JsonlSink::new(columns, out)),
        Format::Csv => Box::new(CsvSink::new(columns, out, true)?),
        Format::CsvRaw => Box::new(CsvSink::new(columns, out, false)?),
        Format::Parquet => Box::new(ParquetSink::new(columns, out)?),
    })
}

/// A JSON Lines or CSV sink over any writer (no `Send` needed). Parquet is refused with an error
/// that says to use [`open_sink`].
pub fn open_text_sink<'w, W: Write + 'w>(
    format: Format,
    columns: &'static [Column],
    out: W,
) -> Result<Box<dyn RowSink + 'w>, ExportError> {
    Ok(match format {
        Format::Jsonl => Box::new(JsonlSink::new(columns, out)),
        Format::Csv => Box::new(CsvSink::new(columns, out, true)?),
        Format::CsvRaw => Box::new(CsvSink::new(columns, out, false)?),
        Format::Parquet => {
            return Err(ExportError::Invalid(
                "Parquet needs a Send writer: use zcc_export::export_table / open_sink".into(),
            ));
        }
    })
}

fn finished() -> ExportError {
    ExportError::Invalid("a row was written after the export was finished".into())
}
