//! Supervisors: listening, whispering, barging in and taking over, in both namings.

use rand::Rng;

use super::{Call, Leg, MIN, PendingSupervision, SEC, SUP};
use crate::ids::iso_ms;
use crate::json::Obj;
use crate::truth::{SupervisionTruth, TRUTH_RULE, TruthRow};
use crate::world::Person;

impl<R: Rng> Call<'_, R> {
    pub(super) fn monitor_event(
        &mut self,
        t: i64,
        event: &str,
        agent: &Leg,
        sup: &Person,
        action: Option<&str>,
    ) {
        let flow = &self.world.flows[self.flow];
        let q = &self.world.queues[agent.queue];
        let mut o = Obj::new();
        o.s("engagement_id", &self.engagement_id)
            .s("engagement_direction", self.direction())
            .s("channel", "voice");
        if let Some(a) = action {
            o.s("action_type", a);
        }
        o.s("flow_id", &flow.id)
            .s("flow_name", &flow.name)
            .s("cc_queue_id", &q.id)
            .s("queue_name", &q.name)
            .s("user_id", &agent.person.id)
            .s("user_display_name", &agent.person.name);
        if event == "engagement_takeover_started" {
            o.s("takeover_user_id", &sup.id)
                .s("takeover_user_display_name", &sup.name);
        } else {
            o.s("monitoring_user_id", &sup.id)
                .s("monitoring_user_display_name", &sup.name);
        }
        o.s("contact_center_number", &self.world.flows[self.flow].number)
            .s("consumer_id", &self.consumer_id)
            .s("consumer_number", &self.consumer_number)
            .s("consumer_display_name", &self.consumer_name)
            .s("date_time_ms", &iso_ms(t));
        self.emit(t, event, &o.finish());
    }

    /// 2023 naming (`engagement_user_{mode}_initiated`): the leg field set with the supervisor
    /// as `user_id` (a guess; the payload is unpublished). There is no end event.
    pub(super) fn legacy_event(&mut self, t: i64, mode: &str, agent: &Leg, sup: &Person) {
        let verb = if mode == "listen" { "monitor" } else { mode };
        self.leg_event(
            t,
            &format!("engagement_user_{verb}_initiated"),
            Some(sup),
            agent.queue,
        );
    }

    pub(super) fn supervision_row(
        &mut self,
        sup: &Person,
        agent: &Leg,
        mode: &str,
        start: i64,
        end: Option<i64>,
        ends_with: &str,
    ) {
        let session_index = self.next(SUP);
        let row = SupervisionTruth {
            engagement_id: self.engagement_id.clone(),
            account_id: self.world.account_id.clone(),
            session_index,
            supervisor_user_id: sup.id.clone(),
            agent_user_id: agent.person.id.clone(),
            mode: mode.into(),
            started_at: iso_ms(start),
            ended_at: end.map(iso_ms).unwrap_or_default(),
            naming: if self.flags.legacy_supervisor {
                "legacy"
            } else {
                "monitor"
            }
            .into(),
            rule: TRUTH_RULE.into(),
        };
        match end {
            Some(_) => self.rows.push(TruthRow::Supervision(row)),
            None => self.supervision_open.push(PendingSupervision {
                row,
                ends_with: ends_with.to_owned(),
            }),
        }
    }

    /// A supervisor session on the primary agent starting at `t`. Returns when it ends (for a
    /// takeover, when the original agent has left).
    pub(super) fn supervise(&mut self, t: i64, mode: &'static str) -> i64 {
        let agent = self.primary();
        let sup = self.world.pick_supervisor(self.rng, t);
        self.supervisors.insert(sup.id.clone());
        let dur = self.between(30 * SEC, 4 * MIN);
        match mode {
            "listen" | "whisper" => self.monitor_session(t, mode, &agent, &sup, dur),
            "barge" => self.barge_session(t, &agent, &sup, dur),
            _ => self.takeover(t, &agent, &sup),
        }
    }

    /// Listening or whispering for `dur`. Returns when it ends.
    pub(super) fn monitor_session(
        &mut self,
        t: i64,
        mode: &str,
        agent: &Leg,
        sup: &Person,
        dur: i64,
    ) -> i64 {
        let legacy = self.flags.legacy_supervisor;
        if legacy {
            self.legacy_event(t, mode, agent, sup);
            self.supervision_row(sup, agent, mode, t, None, &agent.person.id.clone());
            self.world.release_supervisor(sup.idx, t + dur);
            t + dur
        } else {
            self.monitor_event(t, "engagement_monitor_started", agent, sup, Some(mode));
            self.monitor_event(t + dur, "engagement_monitor_ended", agent, sup, Some(mode));
            self.supervision_row(sup, agent, mode, t, Some(t + dur), "");
            self.world.release_supervisor(sup.idx, t + dur);
            t + dur
        }
    }

    /// Barging in for `dur`, in half the sessions after listening first. Returns when it ends.
    pub(super) fn barge_session(&mut self, t: i64, agent: &Leg, sup: &Person, dur: i64) -> i64 {
        let legacy = self.flags.legacy_supervisor;
        // Half the sessions listen first, then switch to barge.
        let barge_at = if self.chance(0.5) {
            let switch = t + self.between(15 * SEC, 90 * SEC);
            if legacy {
                self.legacy_event(t, "listen", agent, sup);
            } else {
                self.monitor_event(t, "engagement_monitor_started", agent, sup, Some("listen"));
                self.monitor_event(
                    switch,
                    "engagement_monitor_ended",
                    agent,
                    sup,
                    Some("listen"),
                );
            }
            self.supervision_row(sup, agent, "listen", t, Some(switch), "");
            switch
        } else {
            t
        };
        let end = barge_at + dur;
        if legacy {
            self.legacy_event(barge_at, "barge", agent, sup);
            self.supervision_row(
                sup,
                agent,
                "barge",
                barge_at,
                None,
                &agent.person.id.clone(),
            );
        } else {
            self.monitor_event(
                barge_at,
                "engagement_monitor_started",
                agent,
                sup,
                Some("barge"),
            );
            self.monitor_event(end, "engagement_monitor_ended", agent, sup, Some("barge"));
            self.supervision_row(sup, agent, "barge", barge_at, Some(end), "");
        }
        self.world.release_supervisor(sup.idx, end);
        end
    }

    /// Takeover: listen, then take the call; the agent leaves, the supervisor stays. Returns
    /// when the agent has left.
    pub(super) fn takeover(&mut self, t: i64, agent: &Leg, sup: &Person) -> i64 {
        let legacy = self.flags.legacy_supervisor;
        let take_at = t + self.between(20 * SEC, 2 * MIN);
        if legacy {
            self.legacy_event(t, "listen", agent, sup);
            self.supervision_row(sup, agent, "listen", t, Some(take_at), "");
            self.legacy_event(take_at, "takeover", agent, sup);
        } else {
            self.monitor_event(t, "engagement_monitor_started", agent, sup, Some("listen"));
            self.monitor_event(
                take_at,
                "engagement_monitor_ended",
                agent,
                sup,
                Some("listen"),
            );
            self.supervision_row(sup, agent, "listen", t, Some(take_at), "");
            let at = take_at + self.between(0, 20);
            self.monitor_event(at, "engagement_takeover_started", agent, sup, None);
        }
        self.legs.push(Leg {
            person: sup.clone(),
            supervisor: true,
            queue: agent.queue,
            reservation: None,
        });
        if self.chance(0.5) {
            let at = take_at + self.between(50, 300);
            self.leg_event(at, "engagement_user_answered", Some(sup), agent.queue);
        }
        self.supervision_row(sup, agent, "takeover", take_at, None, &sup.id.clone());
        let left = take_at + self.between(200, 1_500);
        self.leave(left, &agent.person.id);
        left
    }
}
