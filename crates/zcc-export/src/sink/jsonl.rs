//! JSON Lines: one object per row, keys in column order, times as RFC 3339 strings, lists as
//! arrays, null as `null`.

use std::io::{BufWriter, Write};

use zcc_model::{Cell, Column};

use super::{RowSink, finished};
use crate::time::rfc3339_ms;
use crate::{ExportError, Manifest};

pub struct JsonlSink<W: Write> {
    /// `"name":` per column, escaped once.
    keys: Vec<Vec<u8>>,
    out: Option<BufWriter<W>>,
}

impl<W: Write> JsonlSink<W> {
    pub fn new(columns: &[Column], out: W) -> JsonlSink<W> {
        let keys = columns
            .iter()
            .map(|c| {
                let mut k = serde_json::to_vec(c.name).expect("a name serialises");
                k.push(b':');
                k
            })
            .collect();
        JsonlSink {
            keys,
            out: Some(BufWriter::with_capacity(256 << 10, out)),
        }
    }
}

fn write_str(w: &mut impl Write, s: &str) -> std::io::Result<()> {
    serde_json::to_writer(w, s).map_err(std::io::Error::from)
}

fn write_cell(w: &mut impl Write, cell: &Cell) -> std::io::Result<()> {
    match cell {
        Cell::Str(Some(s)) => write_str(w, s),
        Cell::Int(Some(i)) => write!(w, "{i}"),
        Cell::TimeMs(Some(t)) => write!(w, "\"{}\"", rfc3339_ms(*t)),
        Cell::Bool(Some(b)) => w.write_all(if *b { b"true" } else { b"false" }),
        Cell::Str(None) | Cell::Int(None) | Cell::TimeMs(None) | Cell::Bool(None) => {
            w.write_all(b"null")
        }
        Cell::List(items) => {
            w.write_all(b"[")?;
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                write_str(w, s)?;
            }
            w.write_all(b"]")
        }
        Cell::IntList(items) => {
            w.write_all(b"[")?;
            for (i, n) in items.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                write!(w, "{n}")?;
            }
            w.write_all(b"]")
        }
    }
}

impl<W: Write> RowSink for JsonlSink<W> {
    fn write_row(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        let w = self.out.as_mut().ok_or_else(finished)?;
        w.write_all(b"{")?;
        for (i, (key, cell)) in self.keys.iter().zip(row).enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(key)?;
            write_cell(w, cell)?;
        }
        w.write_all(b"}\n")?;
        Ok(())
    }

    fn finish(&mut self, _manifest: &Manifest) -> Result<(), ExportError> {
        let w = self.out.take().ok_or_else(finished)?;
        let mut inner = w.into_inner().map_err(|e| e.into_error())?;
        inner.flush()?;
        Ok(())
    }
}
