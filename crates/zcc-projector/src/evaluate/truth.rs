//! A conferences table to score against instead of Zoom's explicit events.

use std::collections::BTreeMap;

use zcc_model::{Conference, ConferenceSource};

/// A conferences table in the export's shape (`engagement_id`, `started_at`, `ended_at`,
/// `participants`), such as the simulator's truth: what really happened, by engagement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TruthTable {
    /// Where it came from, for the report.
    pub name: String,
    pub conferences: BTreeMap<String, Vec<Conference>>,
}

impl TruthTable {
    /// Read JSON Lines rows of the `conferences` table. Rows that carry a `table` field other
    /// than `conferences` (the simulator's truth holds every table) are skipped. An error names
    /// the line and what was wrong.
    pub fn from_jsonl(name: &str, text: &str) -> Result<TruthTable, String> {
        let mut conferences: BTreeMap<String, Vec<Conference>> = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let at = |what: String| format!("{name}:{}: {what}", n + 1);
            if line.trim().is_empty() {
                continue;
            }
            let row: serde_json::Value =
                serde_json::from_str(line).map_err(|e| at(format!("not JSON ({e})")))?;
            if row.get("table").is_some_and(|t| t != "conferences") {
                continue;
            }
            let text_field = |key: &str| {
                row.get(key)
                    .and_then(serde_json::Value::as_str)
                    .ok_or_else(|| at(format!("{key} is missing or not a string")))
            };
            let time = |key: &str| -> Result<Option<i64>, String> {
                match row.get(key) {
                    None | Some(serde_json::Value::Null) => Ok(None),
                    Some(serde_json::Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
                        .map(|t| Some(t.timestamp_millis()))
                        .map_err(|e| at(format!("{key} {s:?} is not an RFC 3339 time ({e})"))),
                    Some(other) => Err(at(format!("{key} is {other}, not a time"))),
                }
            };
            let engagement_id = text_field("engagement_id")?.to_owned();
            let started_at = time("started_at")?.ok_or_else(|| at("started_at is null".into()))?;
            let mut participants: Vec<String> = row
                .get("participants")
                .and_then(serde_json::Value::as_array)
                .ok_or_else(|| at("participants is missing or not a list".into()))?
                .iter()
                .map(|p| {
                    p.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| at(format!("participant {p} is not a string")))
                })
                .collect::<Result<_, _>>()?;
            participants.sort();
            let list = conferences.entry(engagement_id).or_default();
            list.push(Conference {
                conference_index: list.len() as i64 + 1,
                started_at,
                ended_at: time("ended_at")?,
                participants,
                initiated_by: None,
                source: ConferenceSource::Inferred,
                evidence: Vec::new(),
                conference_id: None,
                external_participants: Vec::new(),
                api_call: None,
            });
        }
        for list in conferences.values_mut() {
            list.sort_by_key(|c| c.started_at);
        }
        Ok(TruthTable {
            name: name.to_owned(),
            conferences,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::TruthTable;

    #[test]
    fn a_truth_table_is_read_and_its_errors_name_the_line() {
        let text = concat!(
            r#"{"table":"legs","engagement_id":"e1"}"#,
            "\n",
            r#"{"table":"conferences","engagement_id":"e1","started_at":"2026-05-04T14:00:35.000Z","ended_at":null,"participants":["b","a"]}"#,
            "\n\n",
            r#"{"engagement_id":"e2","started_at":"2026-05-04T14:00:00Z","ended_at":"2026-05-04T14:01:00Z","participants":[]}"#,
            "\n",
        );
        let t = TruthTable::from_jsonl("t.jsonl", text).unwrap();
        assert_eq!(t.conferences.len(), 2);
        assert_eq!(t.conferences["e1"][0].participants, ["a", "b"]);
        assert_eq!(t.conferences["e1"][0].ended_at, None);
        assert_eq!(t.conferences["e2"][0].ended_at, Some(1_777_903_260_000));
        let err = TruthTable::from_jsonl(
            "t.jsonl",
            "\n{\"engagement_id\":\"e\",\"started_at\":\"2026-05-04T14:00:00Z\",\"participants\":\"a\"}",
        )
        .unwrap_err();
        assert!(err.starts_with("t.jsonl:2: participants"), "{err}");
    }
}
