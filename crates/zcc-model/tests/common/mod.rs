//! A small builder of ZCC webhook bodies for scenario tests, and a readable rendering of a
//! projection to compare against expectations.

#![allow(dead_code)]

use sha2::{Digest, Sha256};
use zcc_model::{CallProjection, InputEvent, Position, Rule};

pub const ENG: &str = "EngScenario0000000001";
pub const ACCT: &str = "AcctScenario000000001";
/// 2026-05-04T14:00:00.000Z
pub const T0: i64 = 1_777_903_200_000;

fn iso(ms: i64) -> String {
    let off = ms - T0;
    let (s, milli) = (off.div_euclid(1000), off.rem_euclid(1000));
    let (h, m, sec) = (14 + s / 3600, (s / 60) % 60, s % 60);
    format!("2026-05-04T{h:02}:{m:02}:{sec:02}.{milli:03}Z")
}

pub fn ms(t: f64) -> i64 {
    T0 + (t * 1000.0).round() as i64
}

/// One engagement's bodies, in the order written (which is not the fold's concern).
pub struct Call {
    pub bodies: Vec<String>,
    direction: &'static str,
}

impl Call {
    pub fn inbound() -> Call {
        Call {
            bodies: Vec::new(),
            direction: "inbound",
        }
    }

    pub fn outbound() -> Call {
        Call {
            bodies: Vec::new(),
            direction: "outbound",
        }
    }

    fn push(&mut self, event: &str, t: f64, mut object: serde_json::Value) -> &mut Self {
        let o = object.as_object_mut().expect("object");
        o.insert("engagement_id".into(), ENG.into());
        o.entry("channel").or_insert("voice".into());
        o.entry("engagement_direction")
            .or_insert(self.direction.into());
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
            "consumer_display_name": "Pat Caller",
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
    pub fn customer_answered(&mut self, t: f64) -> &mut Self {
        self.leg("engagement_consumer_answered", t, None)
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
    pub fn wrap_up(&mut self, t: f64, user: &str) -> &mut Self {
        self.leg("engagement_wrap_up_started", t, Some(user))
    }
    pub fn wrap_up_ended(&mut self, t: f64, user: &str) -> &mut Self {
        self.leg("engagement_wrap_up_ended", t, Some(user))
    }
    /// `engagement_disposition_added` by `user`.
    pub fn disposition(&mut self, t: f64, user: &str, id: &str, name: &str) -> &mut Self {
        let o = serde_json::json!({
            "disposition_id": id, "disposition_name": name, "status": "active",
            "last_modified_time": "2026-01-12T09:30:00Z", "modified_by": "AdminUser",
            "cc_queue_id": "QueSupport", "queue_name": "Support",
            "user_id": user, "user_display_name": format!("{user} Agent"),
        });
        self.push("engagement_disposition_added", t, o)
    }
    /// `engagement_note_added` by `user`.
    pub fn note(&mut self, t: f64, user: &str, id: &str, text: &str) -> &mut Self {
        let o = serde_json::json!({
            "note_id": id, "note": text,
            "cc_queue_id": "QueSupport", "queue_name": "Support",
            "user_id": user, "user_display_name": format!("{user} Agent"),
        });
        self.push("engagement_note_added", t, o)
    }
    /// `task_entered_queue` or `task_exited_queue` (`step` `entered` or `exited`) of `task`.
    pub fn queue(&mut self, t: f64, step: &str, task: &str, queue: &str) -> &mut Self {
        let o = serde_json::json!({
            "task_id": task, "flow_id": "ZWWFlowMain", "flow_name": "Main IVR",
            "cc_queue_id": format!("Que{queue}"), "queue_name": queue,
            "max_wait_time": 300, "wrap_up_time": 60,
        });
        self.push(&format!("task_{step}_queue"), t, o)
    }
    pub fn hold(&mut self, t: f64, user: &str) -> &mut Self {
        self.leg("engagement_user_hold", t, Some(user))
    }
    pub fn unhold(&mut self, t: f64, user: &str) -> &mut Self {
        self.leg("engagement_user_unhold", t, Some(user))
    }

    pub fn task(&mut self, t: f64, task: &str, queue: &str) -> &mut Self {
        let o = serde_json::json!({
            "task_id": task, "task_status": "pending",
            "cc_queue_id": format!("Que{queue}"), "queue_name": queue,
            "caller_number": "+15555550123", "callee_number": "+15555550100",
            "created_time_ms": iso(ms(t)), "last_modified_time_ms": iso(ms(t)),
        });
        self.push("task_created", t, o)
    }

    /// A reservation step (`created`, `accepted`, `rejected`, `timeout`, `canceled`,
    /// `rescinded`, `completed`) of the offer `res` of `task` to `user`, offered at `created`.
    pub fn res(
        &mut self,
        t: f64,
        step: &str,
        res: &str,
        task: &str,
        user: &str,
        created: f64,
    ) -> &mut Self {
        let o = serde_json::json!({
            "task_reservation_id": res, "task_id": task, "assigned_user_id": user,
            "cc_queue_id": "QueSupport", "queue_name": "Support",
            "created_time_ms": iso(ms(created)), "last_modified_time_ms": iso(ms(t)),
        });
        self.push(&format!("task_reservation_{step}"), t, o)
    }

    /// Offer `task` to `user` at `t`, accepted at `accepted`.
    pub fn offer(&mut self, t: f64, accepted: f64, task: &str, user: &str) -> &mut Self {
        let res = format!("ZWR-{task}-{user}");
        self.res(t, "created", &res, task, user, t)
            .res(accepted, "accepted", &res, task, user, t)
    }

    /// A transfer step from `from` (on `task`) to a new task `to_task`.
    #[allow(clippy::too_many_arguments)]
    pub fn transfer(
        &mut self,
        t: f64,
        step: &str,
        from: &str,
        task: &str,
        to_task: &str,
        to_user: Option<&str>,
        to_queue: Option<&str>,
        kind: &str,
    ) -> &mut Self {
        let mut o = serde_json::json!({
            "task_id": task, "transfer_to_task_id": to_task,
            "transfer_type": kind,
            "transfer_level": if to_queue.is_some() { "queue" } else { "user" },
            "user_id": from, "user_display_name": format!("{from} Agent"),
            "cc_queue_id": "QueSupport", "queue_name": "Support",
        });
        if let Some(u) = to_user {
            o["transfer_to_user_id"] = u.into();
        }
        if let Some(q) = to_queue {
            o["transfer_to_cc_queue_id"] = format!("Que{q}").into();
            o["transfer_to_queue_name"] = q.into();
        }
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
    /// `monitor_ended` naming the mode it ends (`action_type`).
    pub fn monitor_ended_as(&mut self, t: f64, sup: &str, agent: &str, action: &str) -> &mut Self {
        let o =
            serde_json::json!({"action_type": action, "user_id": agent, "monitoring_user_id": sup});
        self.push("engagement_monitor_ended", t, o)
    }
    /// The 2023 naming: `engagement_user_{verb}_initiated`, the initiating supervisor as
    /// `user_id` and no supervisor field.
    pub fn legacy_initiated(&mut self, t: f64, verb: &str, sup: &str) -> &mut Self {
        let o =
            serde_json::json!({"user_id": sup, "user_display_name": format!("{sup} Supervisor")});
        self.push(&format!("engagement_user_{verb}_initiated"), t, o)
    }
    pub fn takeover(&mut self, t: f64, sup: &str, agent: &str) -> &mut Self {
        let o = serde_json::json!({
            "user_id": agent, "takeover_user_id": sup,
            "takeover_user_display_name": format!("{sup} Supervisor"),
        });
        self.push("engagement_takeover_started", t, o)
    }

    /// An explicit `engagement_conference_participant_{step}` for `user`.
    pub fn conf(&mut self, t: f64, step: &str, user: &str, inviter: Option<&str>) -> &mut Self {
        let mut o = serde_json::json!({"user_id": user});
        if let Some(i) = inviter {
            o["inviter_user_id"] = i.into();
        }
        self.push(&format!("engagement_conference_participant_{step}"), t, o)
    }
    /// A conference event in the shape Zoom documents (2026): `conference_id`, the subject
    /// under its own key (an id starting with `+` is a phone number), and the roster after the
    /// change as `(role, id)` pairs (`None`: no roster). `step` `conference_canceled` is
    /// `engagement_conference_canceled`.
    pub fn zconf(
        &mut self,
        t: f64,
        step: &str,
        conference_id: &str,
        subject: Option<&str>,
        roster: Option<&[(&str, &str)]>,
    ) -> &mut Self {
        let party = |id: &str| {
            if id.starts_with('+') {
                serde_json::json!({"participant_phone_number": id})
            } else {
                serde_json::json!({"participant_user_id": id})
            }
        };
        let mut o = serde_json::json!({
            "engagement_direction": "inbound", "channel": "voice",
            "flow_id": "ZWWFlowMain", "flow_name": "Main IVR",
            "teams": [{"team_id": "TeamA", "team_name": "Support team"}],
            "division_id": "DivA", "division_name": "Support",
            "conference_id": conference_id,
        });
        if let Some(roster) = roster {
            let list: Vec<serde_json::Value> = roster
                .iter()
                .map(|(role, id)| {
                    let mut e = party(id);
                    e["participant_role"] = (*role).into();
                    e["participant_display_name"] = format!("{id} Name").into();
                    e
                })
                .collect();
            o["conference_participants"] = list.into();
        }
        let key = match step {
            "invited" => "invited_participant",
            "joined" => "joining_participant",
            "left" => "leaving_participant",
            "rejected" => "rejecting_participant",
            "timeout" => "timed_out_participant",
            _ => "canceled_participant",
        };
        if let Some(id) = subject {
            o[key] = party(id);
        }
        let event = if step == "conference_canceled" {
            "engagement_conference_canceled".to_owned()
        } else {
            format!("engagement_conference_participant_{step}")
        };
        self.push(&event, t, o)
    }
    /// `call_control_conference_warm_invite_executed`: `user`'s app asked for conference `id`.
    pub fn warm_invite(&mut self, t: f64, user: &str, conference_id: &str) -> &mut Self {
        let o = serde_json::json!({
            "user_id": user, "request_id": "ReqWarmInvite01",
            "conference_id": conference_id,
        });
        self.push("call_control_conference_warm_invite_executed", t, o)
    }
    pub fn conf_canceled(&mut self, t: f64) -> &mut Self {
        self.push("engagement_conference_canceled", t, serde_json::json!({}))
    }

    /// The bodies as logged events, positions 1, 2, 3... in the order written.
    pub fn events(&self) -> Vec<InputEvent<'_>> {
        input(&self.bodies)
    }
}

/// The common opening: the call starts, a task enters Support, Alice is offered it and answers.
pub fn opening(c: &mut Call) -> &mut Call {
    c.started(0.0)
        .task(1.0, "T1", "Support")
        .offer(2.0, 5.0, "T1", "alice")
        .answered(5.0, "alice")
}

/// The customer hangs up at `t`; each agent's leg ends, wrap-up starts; the engagement ends.
pub fn closing(c: &mut Call, t: f64, agents: &[&str]) {
    c.customer_ended(t);
    for a in agents {
        c.user_ended(t, a).wrap_up(t + 0.5, a);
    }
    c.ended(t + 1.0);
}

pub fn sha(body: &str) -> [u8; 32] {
    Sha256::digest(body.as_bytes()).into()
}

pub fn input(bodies: &[String]) -> Vec<InputEvent<'_>> {
    bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            InputEvent::read(Position(i as i64 + 1), sha(b), b).expect("builder bodies parse")
        })
        .collect()
}

pub fn rule(name: &str, params: &[&str]) -> Box<dyn Rule> {
    let params: Vec<String> = params.iter().map(|s| s.to_string()).collect();
    zcc_model::rules::build(name, &params).expect("rule builds")
}

fn secs(ms: i64) -> String {
    let off = ms - T0;
    if off % 1000 == 0 {
        format!("{}", off / 1000)
    } else {
        format!("{:.3}", off as f64 / 1000.0)
    }
}

fn opt(t: Option<i64>) -> String {
    t.map(secs).unwrap_or_else(|| "open".to_owned())
}

fn word<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn o(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

/// A readable rendering of a projection (times in seconds after the scenario's start; the
/// rule, evidence and names are left out: they have their own tests).
pub fn render(p: &CallProjection) -> String {
    let mut out = String::new();
    let e = &p.engagement;
    out.push_str(&format!(
        "call {} {} {}..{}{}{}\n",
        o(&e.direction),
        o(&e.channel),
        opt(e.started_at),
        opt(e.ended_at),
        if e.start_observed {
            ""
        } else {
            " start-inferred"
        },
        if e.end_observed || e.ended_at.is_none() {
            ""
        } else {
            " end-inferred"
        },
    ));
    for l in &p.legs {
        out.push_str(&format!(
            "leg {} {} {}..{} {}\n",
            word(&l.party),
            o(&l.user_id),
            secs(l.joined_at),
            opt(l.left_at),
            word(&l.via),
        ));
    }
    for h in &p.holds {
        out.push_str(&format!(
            "hold {} {}..{}\n",
            o(&h.user_id),
            secs(h.started_at),
            opt(h.ended_at)
        ));
    }
    for t in &p.transfers {
        out.push_str(&format!(
            "transfer {}->{} queue={} {} at {} accepted={} {}@{}\n",
            o(&t.from_user),
            o(&t.to_user),
            o(&t.to_queue_name),
            o(&t.transfer_type),
            secs(t.started_at),
            opt(t.accepted_at),
            word(&t.outcome),
            opt(t.outcome_at),
        ));
    }
    for i in &p.conference_invitations {
        out.push_str(&format!(
            "invite {} by {} at {} {}@{} {}\n",
            o(&i.invited_user),
            o(&i.invited_by),
            secs(i.invited_at),
            word(&i.outcome),
            opt(i.outcome_at),
            word(&i.source),
        ));
    }
    for c in &p.conferences {
        out.push_str(&format!(
            "conference {} {}..{} [{}] by {} {}\n",
            c.conference_index,
            secs(c.started_at),
            opt(c.ended_at),
            c.participants.join(","),
            o(&c.initiated_by),
            word(&c.source),
        ));
        if let Some(id) = &c.conference_id {
            out.push_str(&format!("conference-id {id}\n"));
        }
        if !c.external_participants.is_empty() {
            out.push_str(&format!(
                "external [{}]\n",
                c.external_participants.join(",")
            ));
        }
    }
    for s in &p.supervision {
        out.push_str(&format!(
            "supervision {} {} of {} {}..{}\n",
            s.supervisor,
            s.mode.as_str(),
            o(&s.agent),
            secs(s.started_at),
            opt(s.ended_at),
        ));
    }
    for d in &p.diagnostics {
        out.push_str(&format!("diagnostic {}\n", d.kind));
    }
    out
}

/// The derived events, one per line: `time kind [agents]`.
pub fn render_derived(p: &CallProjection) -> String {
    p.derived_events
        .iter()
        .map(|d| format!("{} {} [{}]\n", secs(d.at), d.kind, d.agents.join(",")))
        .collect()
}

/// Compare with an expectation written as an indented block.
pub fn check(actual: &str, expected: &str) {
    let want: String = expected
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    if actual != want {
        panic!("projection differs\n--- expected\n{want}--- actual\n{actual}");
    }
}
