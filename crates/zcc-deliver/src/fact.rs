//! A projection's derived events as facts: each with its `event_id`, the fields of its
//! `derived_events` export row, and a digest of those fields (what publishing compares).
//!
//! **`event_id`** (`docs/DELIVERY.md`): `evt_` + the first 16 bytes, in hex, of
//! SHA-256(`zcc-fact/1` 0x00 engagement_id 0x00 kind 0x00 agents joined by 0x1F 0x00 ordinal),
//! where the agents are the derived event's own list (in its order: for a transfer, from then
//! to) and the ordinal is the fact's index, from 0, among the engagement's derived events with
//! the same kind and agents, in the projection's order. It leaves out the time, the evidence
//! positions and `seq`: a late event may move all three while the fact still stands. A fact
//! keeps its id across re-folds, and across generations whose rules find it, as long as no
//! equal (kind, agents) fact appears before it.

use std::collections::HashMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use zcc_model::{CallProjection, Cell, Column, Table};

/// One derived event as subscribers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub event_id: String,
    /// The SPEC 5 name (`conference_started`): the message's `type`.
    pub kind: String,
    pub engagement_id: String,
    pub account_id: Option<String>,
    /// The `derived_events` export row's fields, as in the JSON Lines export.
    pub row: Map<String, Value>,
    /// Hex SHA-256 of the row's JSON: a fact whose digest changed is sent again.
    pub digest: String,
}

/// The `event_id` of a fact (see the module's documentation).
pub fn event_id(engagement_id: &str, kind: &str, agents: &[String], ordinal: usize) -> String {
    let mut h = Sha256::new();
    h.update(b"zcc-fact/1\0");
    h.update(engagement_id.as_bytes());
    h.update(b"\0");
    h.update(kind.as_bytes());
    h.update(b"\0");
    h.update(agents.join("\u{1f}").as_bytes());
    h.update(b"\0");
    h.update(ordinal.to_string().as_bytes());
    format!("evt_{}", hex::encode(&h.finalize()[..16]))
}

/// Every derived event of `projection`, in its order, as a fact.
pub fn facts(projection: &CallProjection) -> Vec<Fact> {
    let columns = Table::DerivedEvents.columns();
    let mut seen: HashMap<(String, Vec<String>), usize> = HashMap::new();
    let engagement_id = &projection.engagement.engagement_id;
    projection
        .derived_events
        .iter()
        .zip(projection.table_rows(Table::DerivedEvents))
        .map(|(event, cells)| {
            let kind = event.kind.as_str().to_owned();
            let ordinal = seen
                .entry((kind.clone(), event.agents.clone()))
                .or_default();
            let id = event_id(engagement_id, &kind, &event.agents, *ordinal);
            *ordinal += 1;
            let row = row_json(columns, cells);
            let digest = hex::encode(Sha256::digest(
                serde_json::to_vec(&row).expect("a row serialises"),
            ));
            Fact {
                event_id: id,
                kind,
                engagement_id: engagement_id.as_str().to_owned(),
                account_id: projection.engagement.account_id.clone(),
                row,
                digest,
            }
        })
        .collect()
}

/// One export row as a JSON object: names and formats as in the JSON Lines export (times
/// RFC 3339 UTC with milliseconds, lists as arrays, null as null).
pub fn row_json(columns: &[Column], cells: Vec<Cell>) -> Map<String, Value> {
    let mut obj = Map::with_capacity(columns.len() + 2);
    for (col, cell) in columns.iter().zip(cells) {
        let v = match cell {
            Cell::Str(s) => s.map_or(Value::Null, Value::String),
            Cell::Int(i) => i.map_or(Value::Null, Value::from),
            Cell::TimeMs(t) => t.map_or(Value::Null, |t| Value::String(rfc3339_ms(t))),
            Cell::Bool(b) => b.map_or(Value::Null, Value::Bool),
            Cell::List(l) => Value::from(l),
            Cell::IntList(l) => Value::from(l),
        };
        obj.insert(col.name.to_owned(), v);
    }
    obj
}

/// `2026-05-04T14:00:25.340Z` (the exports' format).
pub fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_depends_on_engagement_kind_agents_and_ordinal_only() {
        let a = vec!["u1".to_owned(), "u2".to_owned()];
        let id = event_id("E1", "transfer_initiated", &a, 0);
        assert!(id.starts_with("evt_") && id.len() == 36, "{id}");
        assert_eq!(id, event_id("E1", "transfer_initiated", &a, 0));
        let reversed = vec!["u2".to_owned(), "u1".to_owned()];
        for other in [
            event_id("E2", "transfer_initiated", &a, 0),
            event_id("E1", "transfer_accepted", &a, 0),
            event_id("E1", "transfer_initiated", &reversed, 0),
            event_id("E1", "transfer_initiated", &a, 1),
        ] {
            assert_ne!(id, other);
        }
    }
}
