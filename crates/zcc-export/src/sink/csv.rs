//! CSV: a header row of column names, times as RFC 3339 strings, lists joined with `;`, null
//! (and an empty list) as an empty field.
//!
//! Spreadsheet-safe by default: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return is written with a leading `'`, so that a spreadsheet shows it as text instead
//! of running it as a formula (OWASP's "CSV injection"). The text comes from webhook bodies (a
//! customer's name, a caller's number), so anyone able to call the contact center chooses it.
//! Numbers, times and booleans are the exporter's own and never guarded. `csv-raw` writes every
//! cell exactly as received, for tools that read CSV as data (docs/EXPORTS.md).

use std::io::Write;

use zcc_model::{Cell, Column};

use super::{RowSink, finished};
use crate::time::rfc3339_ms;
use crate::{ExportError, Manifest};

/// What joins the items of a list in a CSV field.
pub const LIST_SEPARATOR: char = ';';

/// The first characters that make a spreadsheet read a cell as a formula.
const FORMULA_TRIGGERS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

pub struct CsvSink<W: Write> {
    out: Option<csv::Writer<W>>,
    buf: String,
    guard_formulas: bool,
}

impl<W: Write> CsvSink<W> {
    /// `guard_formulas`: prefix text cells that a spreadsheet would run as a formula with `'`.
    pub fn new(
        columns: &[Column],
        out: W,
        guard_formulas: bool,
    ) -> Result<CsvSink<W>, ExportError> {
        let mut w = csv::WriterBuilder::new()
            .buffer_capacity(256 << 10)
            .from_writer(out);
        w.write_record(columns.iter().map(|c| c.name))?;
        Ok(CsvSink {
            out: Some(w),
            buf: String::with_capacity(256),
            guard_formulas,
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
            if self.guard_formulas
                && matches!(cell, Cell::Str(_) | Cell::List(_))
                && self.buf.starts_with(FORMULA_TRIGGERS)
            {
                self.buf.insert(0, '\'');
            }
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
