//! Write every model table of the test fixture (a conference with holds and a supervisor, a
//! warm transfer, an open call) in every format into a directory, with manifests: sample files
//! for `scripts/check_exports.py`, DuckDB or pandas.
//!
//! `cargo run -p zcc-export --example sample_exports -- DIR`

#[path = "../tests/common/mod.rs"]
mod common;

use zcc_export::{Exporter, Format, TableName, Window};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: sample_exports DIR")?;
    std::fs::create_dir_all(&dir)?;
    let projections = common::projections();
    for table in TableName::all().filter(|t| *t != TableName::Events) {
        for &format in Format::ALL {
            let path = std::path::Path::new(&dir).join(format!("{table}.{format}"));
            let file = std::fs::File::create(&path)?;
            let mut ex = Exporter::open(table, format, Window::ALL, &file)?;
            for p in &projections {
                ex.write_projection(p)?;
            }
            let mut m = ex.manifest_mut().clone();
            m.rule = Some(projections[0].rule.to_string());
            m.generation = Some(1);
            *ex.manifest_mut() = m;
            let m = ex.finish()?;
            m.write_beside(&path)?;
            println!("{}: {} rows", path.display(), m.rows);
        }
    }
    Ok(())
}
