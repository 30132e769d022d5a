//! Reading rows: a statement's rows decoded by a row function, every failure naming what was
//! being read and the database file.

use std::path::Path;

use rusqlite::{Connection, Row};
use zcc_store::StoreError;

use crate::error;

/// A row decoder: a driver error, or a row the decoder refuses with its reason.
pub(crate) type Decode<T> = fn(&Row<'_>) -> rusqlite::Result<Result<T, String>>;

/// Collect decoded rows, turning a refused row into [`StoreError::Other`] naming the file.
pub(crate) fn collect<T>(
    rows: impl Iterator<Item = rusqlite::Result<Result<T, String>>>,
    what: &str,
    path: &Path,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for r in rows {
        match r.map_err(error::at(what, path))? {
            Ok(v) => out.push(v),
            Err(reason) => {
                return Err(StoreError::Other(format!(
                    "{what} ({}): {reason}",
                    path.display()
                )));
            }
        }
    }
    Ok(out)
}

/// Every row of `sql` (prepared once per connection) with `params`, decoded by `decode`.
pub(crate) fn query_all<T>(
    conn: &Connection,
    path: &Path,
    what: &str,
    sql: &str,
    params: impl rusqlite::Params,
    decode: Decode<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(error::at(what, path))?;
    let rows = stmt
        .query_map(params, decode)
        .map_err(error::at(what, path))?;
    collect(rows, what, path)
}
