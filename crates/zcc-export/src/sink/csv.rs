//! CSV: a header row of column names, times as RFC 3339 strings, lists joined with `;`, null
//! (and an empty list) as an empty field.

use std::io::Write;

use zcc_model::{Cell, Column};

use super::{RowSink, finished};
use crate::time::rfc3339_ms;
use crate::{ExportError, Manifest};

/// What joins the items of a list in a CSV field.
pub const LIST_SEPARATOR: char = ';';

pub struct CsvSink<W: Write> {
    out: Option<csv::Writer<W>>,
    buf: String,
}

impl<W: Write> CsvSink<W> {
    pub fn new(columns: &[Column], out: W) -> Result<CsvSink<W>, ExportError> {
        let mut w = csv::WriterBuilder::new()
            .buffer_capacity(256 << 10)
            .from_writer(out);
        w.write_record(columns.iter().map(|c| c.name))?;
        Ok(CsvSink {
            out: Some(w),
            buf: String::with_capacity(256),
        })
    }
}

fn format_cell(buf: &mut String, cell: &Cell) {
    use std::fmt::Write as _;
    buf.clear();
    match cell {
        Cell::Str(Some(s)) => buf.push_str(s),
        Cell::Int(Some(i)) => {
            let _ = write!(buf, "{i}");
        }
        Cell::TimeMs(Some(t)) => buf.push_str(&rfc3339_ms(*t)),
        Cell::Bool(Some(b)) => buf.push_str(if *b { "true" } else { "false" }),
        Cell::Str(None) | Cell::Int(None) | Cell::TimeMs(None) | Cell::Bool(None) => {}
        Cell::List(items) => {
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(LIST_SEPARATOR);
                }
                buf.push_str(s);
            }
        }
        Cell::IntList(items) => {
            for (i, n) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(LIST_SEPARATOR);
                }
                let _ = write!(buf, "{n}");
            }
        }
    }
}

impl<W: Write> RowSink for CsvSink<W> {
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        let w = self.out.as_mut().ok_or_else(finished)?;
        for cell in row {
            format_cell(&mut self.buf, cell);
            w.write_field(self.buf.as_bytes())?;
        }
        // An empty record ends the one built field by field.
        w.write_record(None::<&[u8]>)?;
        Ok(())
    }

    fn finish(&mut self, _manifest: &Manifest) -> Result<(), ExportError> {
        let w = self.out.take().ok_or_else(finished)?;
        let mut inner = w.into_inner().map_err(|e| e.into_error())?;
        inner.flush()?;
        Ok(())
    }
}
