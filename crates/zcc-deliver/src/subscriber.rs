//! The subscriber's side of corrections (`docs/DELIVERY.md`): keep, per `event_id`, the message
//! with the highest `revision`; a retraction removes the fact. What is kept is exactly each
//! engagement's current derived events, whatever duplicates and out-of-order retries arrived.
//!
//! This is the rule as a receiver would code it, over the bodies it accepted; the end-to-end
//! test and the harness's acceptance run compare its result with the `derived_events` export.

use std::collections::BTreeMap;

use serde_json::Value;

/// What a subscriber holds: per `event_id`, the body of the highest revision seen.
#[derive(Debug, Default, Clone)]
pub struct Subscriber {
    best: BTreeMap<String, (i64, Value)>,
    /// Messages that carried no `event_id` (Zoom's raw events), counted, not kept.
    pub raw: usize,
}

impl Subscriber {
    /// Take one accepted message body. A body without `data.event_id` is a raw event and only
    /// counted; one with an `event_id` but no whole `revision` is refused, naming the message.
    pub fn accept(&mut self, body: &Value) -> Result<(), String> {
        let data = &body["data"];
        let Some(event_id) = data["event_id"].as_str() else {
            self.raw += 1;
            return Ok(());
        };
        let revision = data["revision"]
            .as_i64()
            .ok_or_else(|| format!("the message about {event_id} has no whole revision: {body}"))?;
        if self
            .best
            .get(event_id)
            .is_none_or(|(kept, _)| revision > *kept)
        {
            self.best
                .insert(event_id.to_owned(), (revision, body.clone()));
        }
        Ok(())
    }

    /// The facts held: each standing message's `data` without `event_id` and `revision` (a
    /// `derived_events` export row), by engagement and then `seq`.
    pub fn rows(&self) -> Vec<Value> {
        let mut rows: Vec<Value> = self
            .best
            .values()
            .filter(|(_, m)| m["type"] != "derived_event.retracted")
            .map(|(_, m)| {
                let mut data = m["data"].clone();
                if let Some(o) = data.as_object_mut() {
                    o.remove("event_id");
                    o.remove("revision");
                }
                data
            })
            .collect();
        rows.sort_by_key(row_order);
        rows
    }

    /// [`Subscriber::rows`] per engagement.
    pub fn by_engagement(&self) -> BTreeMap<String, Vec<Value>> {
        group(self.rows())
    }
}

/// Rows (of the subscriber or of the export) per `engagement_id`, each engagement's by `seq`.
pub fn group(rows: impl IntoIterator<Item = Value>) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for row in rows {
        let engagement = row["engagement_id"].as_str().unwrap_or_default().to_owned();
        out.entry(engagement).or_default().push(row);
    }
    for rows in out.values_mut() {
        rows.sort_by_key(row_order);
    }
    out
}

fn row_order(row: &Value) -> (String, i64) {
    (
        row["engagement_id"].as_str().unwrap_or_default().to_owned(),
        row["seq"].as_i64().unwrap_or(i64::MAX),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Subscriber;

    fn fact(id: &str, revision: i64, seq: i64) -> serde_json::Value {
        json!({"type": "agent_joined", "data": {
            "event_id": id, "revision": revision, "engagement_id": "E", "seq": seq,
            "kind": "agent_joined"}})
    }

    #[test]
    fn the_highest_revision_wins_whatever_the_order_and_retractions_remove() {
        let mut s = Subscriber::default();
        let retracted = json!({"type": "derived_event.retracted", "data": {
            "event_id": "evt_b", "revision": 2, "engagement_id": "E", "kind": "agent_joined"}});
        for m in [
            fact("evt_a", 2, 2),
            fact("evt_a", 1, 1),
            retracted,
            fact("evt_b", 1, 3),
            fact("evt_a", 2, 2),
            json!({"type": "zoom.contact_center.engagement_started", "data": {"position": 1}}),
        ] {
            s.accept(&m).unwrap();
        }
        let rows = s.rows();
        assert_eq!(
            rows,
            vec![json!({"engagement_id": "E", "seq": 2, "kind": "agent_joined"})],
            "evt_a at revision 2, evt_b retracted"
        );
        assert_eq!(s.raw, 1);
        assert_eq!(s.by_engagement()["E"], rows);
        let bad = s
            .accept(&json!({"type": "agent_joined", "data": {"event_id": "evt_c"}}))
            .unwrap_err();
        assert!(bad.contains("evt_c"), "{bad}");
    }
}
