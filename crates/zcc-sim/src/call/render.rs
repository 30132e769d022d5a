//! Rendering bodies: the field sets Zoom's events share.

use rand::Rng;

use super::{Call, Ev, PREFIX, Reservation, Task};
use crate::ids::iso_ms;
use crate::json::Obj;
use crate::world::Person;

impl<R: Rng> Call<'_, R> {
    pub(super) fn emit(&mut self, time_ms: i64, event: &str, object: &str) {
        // event_ts is close to, but not always equal to, the object's own time.
        let skew = if self.chance(0.35) {
            0
        } else {
            self.between(1, 250)
        };
        let body = self.envelope(time_ms + skew, event, object);
        self.events.push(Ev {
            time_ms,
            body,
            annotation: false,
        });
    }

    /// Zoom's envelope around `object`.
    pub(super) fn envelope(&self, event_ts: i64, event: &str, object: &str) -> String {
        let mut env = Obj::new();
        env.s("event", &format!("{PREFIX}{event}"))
            .i("event_ts", event_ts);
        let mut payload = Obj::new();
        payload
            .s("account_id", &self.world.account_id)
            .raw("object", object);
        env.raw("payload", &payload.finish());
        env.finish()
    }

    pub(super) fn direction(&self) -> &'static str {
        if self.inbound { "inbound" } else { "outbound" }
    }

    pub(super) fn flow_number(&self) -> String {
        let n = &self.world.flows[self.flow].number;
        if self.bare_flow_number {
            n.trim_start_matches('+').to_owned()
        } else {
            n.clone()
        }
    }

    /// The leg field set, in the order of Zoom's `engagement_user_answered` example.
    pub(super) fn leg_obj(&self, time_ms: i64, user: Option<&Person>, queue: usize) -> Obj {
        let flow = &self.world.flows[self.flow];
        let q = &self.world.queues[queue];
        let mut o = Obj::new();
        o.s("engagement_id", &self.engagement_id)
            .s("engagement_direction", self.direction())
            .s("channel", "voice")
            .s("date_time_ms", &iso_ms(time_ms))
            .s("flow_id", &flow.id)
            .s("flow_name", &flow.name)
            .s("cc_queue_id", &q.id)
            .s("queue_name", &q.name)
            .s("consumer_number", &self.consumer_number);
        if let Some(u) = user {
            o.s("user_id", &u.id).s("user_display_name", &u.name);
        }
        o.s("flow_number", &self.flow_number())
            .s("consumer_id", &self.consumer_id)
            .s("consumer_display_name", &self.consumer_name);
        o
    }

    pub(super) fn leg_event(
        &mut self,
        time_ms: i64,
        event: &str,
        user: Option<&Person>,
        queue: usize,
    ) {
        let o = self.leg_obj(time_ms, user, queue);
        self.emit(time_ms, event, &o.finish());
    }

    pub(super) fn caller_callee(&self) -> (String, String) {
        let did = self.world.flows[self.flow].number.clone();
        if self.inbound {
            (self.consumer_number.clone(), did)
        } else {
            (did, self.consumer_number.clone())
        }
    }

    pub(super) fn task_event(&mut self, time_ms: i64, event: &str, task: &Task, status: &str) {
        let flow = &self.world.flows[self.flow];
        let q = &self.world.queues[task.queue];
        let (caller, callee) = self.caller_callee();
        let mut o = Obj::new();
        o.s("task_id", &task.id)
            .s("flow_id", &flow.id)
            .s("task_status", status)
            .s("flow_name", &flow.name)
            .s("channel_id", &self.world.channel_id)
            .s("channel_name", "voice")
            .i("task_priority", 0)
            .s("cc_queue_id", &q.id)
            .s("queue_name", &q.name)
            .s("created_time_ms", &iso_ms(task.created_ms))
            .s("last_modified_time_ms", &iso_ms(time_ms))
            .s("engagement_id", &self.engagement_id)
            .b("auto_assign", !self.inbound)
            .i("task_timeout", 86_400)
            .s("caller_number", &caller)
            .s("callee_number", &callee);
        self.emit(time_ms, event, &o.finish());
    }

    pub(super) fn queue_event(&mut self, time_ms: i64, event: &str, task: &Task) {
        let flow = &self.world.flows[self.flow];
        let q = &self.world.queues[task.queue];
        let mut o = Obj::new();
        o.s("flow_id", &flow.id)
            .s("flow_name", &flow.name)
            .s("task_id", &task.id)
            .s("cc_queue_id", &q.id)
            .s("queue_name", &q.name)
            .s("channel", "voice")
            .s("queue_description", &format!("{} queue", q.name))
            .i("dispositions_count", 3)
            .i("disposition_sets_count", 1)
            .i("max_wait_time", q.max_wait_time)
            .i("wrap_up_time", q.wrap_up_time)
            .i("max_engagement_in_queue", 50)
            .b("short_abandon_enable", false)
            .i("short_abandon_threshold", 10)
            .i("distribution_type", 1)
            .i("distribution_duration_in_seconds", 30)
            .s("connecting_media_id", "connectingAudioMp3")
            .s("connecting_media_name", "Connecting tone")
            .s("holding_media_id", "holdingAudioMp3")
            .s("holding_media_name", "Hold music")
            .s("message_accept", "manual")
            .s("engagement_id", &self.engagement_id)
            .s("date_time_ms", &iso_ms(time_ms));
        self.emit(time_ms, event, &o.finish());
    }

    pub(super) fn reservation_event(&mut self, time_ms: i64, event: &str, r: &Reservation) {
        let flow = &self.world.flows[self.flow];
        let q = &self.world.queues[r.task.queue];
        let (caller, callee) = self.caller_callee();
        // Zoom's examples omit engagement_direction on rejected, timeout and canceled.
        let with_direction = matches!(
            event,
            "task_reservation_created" | "task_reservation_accepted" | "task_reservation_completed"
        );
        let mut o = Obj::new();
        o.s("task_reservation_id", &r.id)
            .s("flow_id", &flow.id)
            .s("assigned_user_id", &r.user_id)
            .s("flow_name", &flow.name)
            .s("task_id", &r.task.id)
            .s("channel", "voice")
            .s("cc_queue_id", &q.id)
            .s("queue_name", &q.name)
            .s("created_time_ms", &iso_ms(r.created_ms))
            .s("last_modified_time_ms", &iso_ms(time_ms))
            .s("engagement_id", &self.engagement_id);
        if with_direction {
            o.s("engagement_direction", self.direction());
        }
        o.b("auto_assign", !self.inbound)
            .i("task_timeout", 86_400)
            .s("caller_number", &caller)
            .s("callee_number", &callee);
        self.emit(time_ms, event, &o.finish());
    }
}
