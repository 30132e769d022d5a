//! What the client reads from Zoom's answers, read tolerantly: every field may be missing, a
//! number may come as a string, unknown fields are ignored. An item without what makes it
//! useful (a log without a body, an engagement without an id) is counted, not fatal.

use serde_json::Value;

/// One delivery attempt from `GET /v2/marketplace/apps/{appId}/webhook_logs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookLog {
    /// The event name Zoom gives the attempt.
    pub event: Option<String>,
    /// The HTTP status the endpoint answered, or -1 for an internal error at Zoom.
    pub status: Option<i64>,
    /// Why the attempt failed (1 read time-out, 2 connection refused, ...).
    pub failed_reason_type: Option<i64>,
    /// The exact body Zoom sent (or tried to send).
    pub request_body: String,
    /// When Zoom made the attempt, as Zoom wrote it.
    pub date_time: Option<String>,
    /// The same for every retry of one event (the `x-zm-request-id` of a live delivery).
    pub request_id: Option<String>,
    /// 0 for the first attempt, 1-3 for the retries.
    pub retry_num: Option<i64>,
}

impl WebhookLog {
    /// Read one entry; `None` when it carries no body. A body that Zoom gives as a JSON value
    /// rather than a string is kept as that value's compact text.
    pub fn read(v: &Value) -> Option<WebhookLog> {
        let request_body = match v.get("request_body")? {
            Value::String(s) => s.clone(),
            Value::Null => return None,
            other => other.to_string(),
        };
        Some(WebhookLog {
            event: text(v, "event"),
            status: int(v, "status"),
            failed_reason_type: int(v, "failed_reason_type"),
            request_body,
            date_time: text(v, "date_time"),
            request_id: text(v, "request_id"),
            retry_num: int(v, "retry_num"),
        })
    }

    /// Whether the endpoint accepted this attempt (a 2xx status).
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A user Zoom lists on an engagement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoomUser {
    pub user_id: String,
    pub user_name: Option<String>,
}

/// One engagement of `GET /v2/contact_center/analytics/dataset/historical/engagement`:
/// Zoom's own counts for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoomEngagement {
    pub engagement_id: String,
    pub direction: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub users: Vec<ZoomUser>,
    pub hold_count: Option<i64>,
    pub conference_count: Option<i64>,
    pub warm_conference_count: Option<i64>,
    pub transfer_initiated_count: Option<i64>,
    pub transfer_completed_count: Option<i64>,
    pub warm_transfer_completed_count: Option<i64>,
    pub direct_transfer_count: Option<i64>,
}

impl ZoomEngagement {
    /// Read one entry; `None` without an `engagement_id`.
    pub fn read(v: &Value) -> Option<ZoomEngagement> {
        let engagement_id = text(v, "engagement_id").filter(|s| !s.is_empty())?;
        let users = v
            .get("users")
            .and_then(Value::as_array)
            .map(|users| {
                users
                    .iter()
                    .filter_map(|u| {
                        Some(ZoomUser {
                            user_id: text(u, "user_id").filter(|s| !s.is_empty())?,
                            user_name: text(u, "user_name"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(ZoomEngagement {
            engagement_id,
            direction: text(v, "direction"),
            start_time: text(v, "start_time"),
            end_time: text(v, "end_time"),
            users,
            hold_count: int(v, "hold_count"),
            conference_count: int(v, "conference_count"),
            warm_conference_count: int(v, "warm_conference_count"),
            transfer_initiated_count: int(v, "transfer_initiated_count"),
            transfer_completed_count: int(v, "transfer_completed_count"),
            warm_transfer_completed_count: int(v, "warm_transfer_completed_count"),
            direct_transfer_count: int(v, "direct_transfer_count"),
        })
    }
}

/// One segment of an entity's timeline: what the participant was doing from `start_time` to
/// `end_time` (`agent_hold_segment`, `agent_conference_segment`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub segment_type: String,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub end_reason: Option<String>,
}

/// One participant's timeline: who (`entity_id`, `entity_type` such as `Agent` or `Queue`)
/// and its segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTimeline {
    pub entity_id: Option<String>,
    pub entity_type: Option<String>,
    pub segments: Vec<Segment>,
}

/// One engagement of `GET /v2/contact_center/analytics/dataset/historical/engagement_timelines`:
/// Zoom's own timeline of every participant of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoomTimeline {
    pub engagement_id: String,
    pub entity_timelines: Vec<EntityTimeline>,
}

impl ZoomTimeline {
    /// Read one entry; `None` without an `engagement_id`. A segment without a type is left
    /// out; an entity without segments is kept (with none).
    pub fn read(v: &Value) -> Option<ZoomTimeline> {
        let engagement_id = text(v, "engagement_id").filter(|s| !s.is_empty())?;
        let entity_timelines = list(v, "entity_timelines")
            .map(|t| {
                let entity = t.get("entity").unwrap_or(&Value::Null);
                EntityTimeline {
                    entity_id: text(entity, "entity_id"),
                    entity_type: text(entity, "entity_type"),
                    segments: list(t, "segments")
                        .filter_map(|s| {
                            Some(Segment {
                                segment_type: text(s, "segment_type").filter(|t| !t.is_empty())?,
                                start_time: text(s, "start_time"),
                                end_time: text(s, "end_time"),
                                end_reason: text(s, "end_reason"),
                            })
                        })
                        .collect(),
                }
            })
            .collect();
        Some(ZoomTimeline {
            engagement_id,
            entity_timelines,
        })
    }

    /// Every segment of one of `types`, of any entity, with the entity's id.
    pub fn segments<'a>(
        &'a self,
        types: &'a [&str],
    ) -> impl Iterator<Item = (Option<&'a str>, &'a Segment)> + 'a {
        self.entity_timelines.iter().flat_map(move |e| {
            e.segments
                .iter()
                .filter(move |s| types.contains(&s.segment_type.as_str()))
                .map(move |s| (e.entity_id.as_deref(), s))
        })
    }
}

/// The objects of a list field (anything else in it, or no list, is nothing).
fn list<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> + 'a {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|item| item.is_object())
}

/// A string field; a number is taken as its text.
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer field; a string of digits is taken as its number, a whole float as its value.
fn int(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_are_read_tolerantly() {
        let log = WebhookLog::read(&json!({
            "event": "contact_center.engagement_started", "status": "503", "retry_num": 3,
            "request_body": "{\"event\":\"x\",\"payload\":{}}", "request_id": "r1",
            "something_new": [1, 2]
        }))
        .unwrap();
        assert_eq!(log.status, Some(503));
        assert!(!log.succeeded());
        assert_eq!(log.retry_num, Some(3));
        assert_eq!(log.request_body, "{\"event\":\"x\",\"payload\":{}}");
        assert!(WebhookLog::read(&json!({"event": "x"})).is_none());

        let e = ZoomEngagement::read(&json!({
            "engagement_id": "E1", "hold_count": 2.0, "conference_count": "1",
            "users": [{"user_id": "u1", "user_name": "Ann"}, {"user_name": "no id"}, 7]
        }))
        .unwrap();
        assert_eq!(e.hold_count, Some(2));
        assert_eq!(e.conference_count, Some(1));
        assert_eq!(e.transfer_completed_count, None);
        assert_eq!(e.users.len(), 1);
        assert!(ZoomEngagement::read(&json!({"hold_count": 1})).is_none());

        let t = ZoomTimeline::read(&json!({
            "engagement_id": "E1", "channels": ["voice"],
            "entity_timelines": [
                {"entity": {"entity_id": "u1", "entity_type": "Agent"},
                 "segments": [
                    {"segment_type": "agent_hold_segment", "start_time": "2026-05-04T14:00:00Z",
                     "end_time": "2026-05-04T14:01:00Z", "end_reason": "unhold"},
                    {"start_time": "2026-05-04T14:02:00Z"},
                    "not an object"
                 ]},
                {"entity": {"entity_id": "q1", "entity_type": "Queue"}},
                3
            ]
        }))
        .unwrap();
        assert_eq!(t.entity_timelines.len(), 2);
        assert_eq!(t.entity_timelines[0].segments.len(), 1);
        let holds: Vec<_> = t.segments(&["agent_hold_segment"]).collect();
        assert_eq!(holds.len(), 1);
        assert_eq!(holds[0].0, Some("u1"));
        assert!(ZoomTimeline::read(&json!({"entity_timelines": []})).is_none());
    }
}
