//! Hand-built engagements folded by the default rule: the projections every format test
//! exports. Bodies are ZCC webhook bodies parsed by `zcc_events::parse_event`, as in the log.

#![allow(dead_code)]

pub mod read;

use sha2::{Digest, Sha256};
use zcc_model::{CallProjection, InputEvent};

pub const ACCT: &str = "AcctExport00000000001";
/// 2026-05-04T14:00:00.000Z
pub const T0: i64 = 1_777_903_200_000;

pub fn ms(t: f64) -> i64 {
    T0 + (t * 1000.0).round() as i64
}

fn iso(ms: i64) -> String {
    zcc_export::time::rfc3339_ms(ms)
}

/// One engagement's bodies; positions continue a shared log counter.
pub struct Call {
    pub eng: String,
    pub bodies: Vec<String>,
}

impl Call {
    pub fn new(eng: &str) -> Call {
        Call {
            eng: eng.to_owned(),
            bodies: Vec::new(),
        }
    }

    fn push(&mut self, event: &str, t: f64, mut object: serde_json::Value) -> &mut Self {
        let o = object.as_object_mut().expect("object");
        o.insert("engagement_id".into(), self.eng.clone().into());
        o.entry("channel").or_insert("voice".into());
        o.entry("engagement_direction").or_insert("inbound".into());
        if !o.contains_key("last_modified_time_ms") {
            o.insert("date_time_ms".into(), iso(ms(t)).into());
        }
        let body = serde_json::json!({
            "event": format!("contact_center.{event}"),
            "event_ts": ms(t),
            "payload": {"account_id": ACCT, "object": object},
        });
        self.bodies.push(body.to_string());
        self
    }

    fn leg(&mut self, event: &str, t: f64, user: Option<&str>) -> &mut Self {
        let mut o = serde_json::json!({
            "flow_id": "ZWWFlowMain", "flow_name": "Main IVR",
            "cc_queue_id": "QueSupport", "queue_name": "Support",
            "consumer_id": "CnsPat", "consumer_number": "+15555550123",
            "consumer_display_name": "Pat \"Quoted\", Caller",
        });
        if let Some(u) = user {
            o["user_id"] = u.into();
            o["user_display_name"] = format!("{u} Agent").into();
        }
        self.push(event, t, o)
    }

    pub fn started(&mut self, t: f64) -> &mut Self {
        self.push(
            "engagement_started",
            t,
            serde_json::json!({"flow_id": "ZWWFlowMain", "flow_name": "Main IVR"}),
        )
    }
    pub fn ended(&mut self, t: f64) -> &mut Self {
        self.push("engagement_ended", t, serde_json::json!({}))
    }
    pub fn customer_ended(&mut self, t: f64) -> &mut Self {
        self.leg("engagement_consumer_ended", t, None)
    }
    pub fn answered(&mut self, t: f64, user: &str) -> &mut Self {
        self.leg("engagement_user_answered", t, Some(user))
    }
    pub fn user_ended(&mut self, t: f64, user: &str) -> &mut Self {
        self.leg("engagement_user_ended", t, Some(user))
    }
    pub fn hold(&mut self, t: f64, user: &str) -> &mut Self {
        self.leg("engagement_user_hold", t, Some(user))
    }
    pub fn unhold(&mut self, t: f64, user: &str) -> &mut Self {
        self.leg("engagement_user_unhold", t, Some(user))
    }

    fn res(&mut self, t: f64, step: &str, task: &str, user: &str, created: f64) -> &mut Self {
        let o = serde_json::json!({
            "task_reservation_id": format!("ZWR-{task}-{user}"), "task_id": task,
            "assigned_user_id": user,
            "cc_queue_id": "QueSupport", "queue_name": "Support",
            "created_time_ms": iso(ms(created)), "last_modified_time_ms": iso(ms(t)),
        });
        self.push(&format!("task_reservation_{step}"), t, o)
    }

    /// Offer `task` to `user` at `t`, accepted at `accepted`.
    pub fn offer(&mut self, t: f64, accepted: f64, task: &str, user: &str) -> &mut Self {
        self.res(t, "created", task, user, t)
            .res(accepted, "accepted", task, user, t)
    }

    /// A transfer step from `from` (on `task`) to `to_user` on the new task `to_task`.
    pub fn transfer(
        &mut self,
        t: f64,
        step: &str,
        from: &str,
        task: &str,
        to_task: &str,
        to_user: &str,
    ) -> &mut Self {
        let o = serde_json::json!({
            "task_id": task, "transfer_to_task_id": to_task,
            "transfer_type": "warm", "transfer_level": "user",
            "user_id": from, "user_display_name": format!("{from} Agent"),
            "transfer_to_user_id": to_user,
            "cc_queue_id": "QueSupport", "queue_name": "Support",
        });
        self.push(&format!("engagement_transfer_{step}"), t, o)
    }

    pub fn monitor(&mut self, t: f64, sup: &str, agent: &str, action: &str) -> &mut Self {
        let o = serde_json::json!({
            "action_type": action, "user_id": agent,
            "monitoring_user_id": sup, "monitoring_user_display_name": format!("{sup} Supervisor"),
        });
        self.push("engagement_monitor_started", t, o)
    }
    pub fn monitor_ended(&mut self, t: f64, sup: &str, agent: &str) -> &mut Self {
        let o = serde_json::json!({"user_id": agent, "monitoring_user_id": sup});
        self.push("engagement_monitor_ended", t, o)
    }
}

/// A conference (alice then bob), holds by alice inside it, a supervisor listening in.
pub fn conference_call() -> Call {
    let mut c = Call::new("EngExportConference01");
    c.started(0.0)
        .offer(2.0, 5.0, "T1", "alice")
        .answered(5.0, "alice")
        .hold(10.0, "alice")
        .unhold(15.0, "alice")
        .offer(30.0, 35.0, "T2", "bob")
        .answered(35.0, "bob")
        .monitor(40.0, "sue", "alice", "listen")
        .monitor_ended(50.0, "sue", "alice")
        .user_ended(80.0, "bob")
        .customer_ended(120.0)
        .user_ended(120.0, "alice")
        .ended(121.0);
    c
}

/// A warm transfer from alice to carol: a hand-off, not a conference.
pub fn transfer_call() -> Call {
    let mut c = Call::new("EngExportTransfer0002");
    c.started(200.0)
        .offer(201.0, 203.0, "T3", "alice")
        .answered(203.0, "alice")
        .transfer(230.0, "initiated", "alice", "T3", "T4", "carol")
        .offer(231.0, 233.0, "T4", "carol")
        .answered(233.0, "carol")
        .transfer(236.0, "completed", "alice", "T3", "T4", "carol")
        .user_ended(236.0, "alice")
        .customer_ended(300.0)
        .user_ended(300.0, "carol")
        .ended(301.0);
    c
}

/// A call still open: no end, an open hold (null end times and durations).
pub fn open_call() -> Call {
    let mut c = Call::new("EngExportOpen00000003");
    c.started(400.0)
        .offer(401.0, 402.0, "T5", "dave")
        .answered(402.0, "dave")
        .hold(410.0, "dave");
    c
}

/// The three calls folded by the default rule, positions 1.. in the order above.
pub fn projections() -> Vec<CallProjection> {
    let rule = zcc_model::rules::default_rule();
    let mut next = 1;
    [conference_call(), transfer_call(), open_call()]
        .iter()
        .map(|c| {
            let events: Vec<InputEvent> = c
                .bodies
                .iter()
                .map(|b| {
                    let e = InputEvent::read(
                        zcc_model::Position(next),
                        Sha256::digest(b.as_bytes()).into(),
                        b,
                    )
                    .expect("test bodies parse");
                    next += 1;
                    e
                })
                .collect();
            rule.project(&events)
        })
        .collect()
}

/// Every body of the three calls, in log order.
pub fn bodies() -> Vec<String> {
    [conference_call(), transfer_call(), open_call()]
        .into_iter()
        .flat_map(|c| c.bodies)
        .collect()
}
