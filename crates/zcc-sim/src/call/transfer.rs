//! Transfers: to a queue or an agent, cold or warm, with their events and truth row.

use rand::Rng;

use super::{Call, Leg, MIN, Reservation, SEC, Task, XFER, Xfer};
use crate::ids::{hex_id, iso_ms};
use crate::json::Obj;
use crate::truth::{TRUTH_RULE, TransferTruth, TruthRow};
use crate::world::Person;

impl<R: Rng> Call<'_, R> {
    pub(super) fn transfer_obj(
        &self,
        t: i64,
        event: &str,
        x: &Xfer<'_>,
        to_user: Option<&Person>,
    ) -> String {
        let (from, to_task, level, kind) = (x.from, x.to_task, x.level, x.kind);
        let flow = &self.world.flows[self.flow];
        let from_q = &self.world.queues[from.queue];
        let to_q = &self.world.queues[to_task.queue];
        let from_task = from.reservation.as_ref().map(|r| r.task.id.clone());
        let mut o = Obj::new();
        if let Some(task_id) = &from_task {
            o.s("task_id", task_id);
        }
        o.s("transfer_to_task_id", &to_task.id)
            .s("task_status", "assigned");
        if event != "engagement_transfer_timeout" {
            let status = if event == "engagement_transfer_completed" {
                "assigned"
            } else {
                "pending"
            };
            o.s("transfer_to_task_status", status);
        }
        o.i("task_timeout", 86_400)
            .i("transfer_to_task_timeout", 86_400)
            .s("transfer_level", level)
            .s("transfer_type", kind)
            .s("engagement_id", &self.engagement_id)
            .s("engagement_direction", self.direction())
            .s("channel", "voice")
            .s("flow_id", &flow.id)
            .s("flow_name", &flow.name)
            .s("flow_number", &self.flow_number());
        let with_flow_fields = matches!(
            event,
            "engagement_transfer_initiated"
                | "engagement_transfer_completed"
                | "engagement_transfer_canceled"
        );
        if with_flow_fields {
            o.s("transfer_to_flow_id", &flow.id)
                .s("transfer_to_flow_name", &flow.name);
        }
        o.s("cc_queue_id", &from_q.id).s("queue_name", &from_q.name);
        if level == "queue" {
            o.s("transfer_to_cc_queue_id", &to_q.id)
                .s("transfer_to_queue_name", &to_q.name);
        }
        o.s("user_id", &from.person.id)
            .s("user_display_name", &from.person.name);
        if let Some(u) = to_user {
            o.s("transfer_to_user_id", &u.id)
                .s("transfer_to_user_display_name", &u.name);
        }
        o.s("consumer_id", &self.consumer_id)
            .s("consumer_display_name", &self.consumer_name)
            .s("consumer_number", &self.consumer_number)
            .s("date_time_ms", &iso_ms(t));
        o.finish()
    }

    /// Transfer from the primary agent to a queue or straight to an agent; cold (the
    /// transferring agent is released at once) or warm (consult, then hand-off). Returns the
    /// time the new agent is alone with the customer.
    pub(super) fn transfer(&mut self, t: i64, level: &'static str, warm: bool) -> i64 {
        let from = self.primary();
        let kind = if warm { "warm" } else { "cold" };
        let to_queue = if level == "queue" {
            let mut q = self.rng.random_range(0..self.world.queues.len());
            if q == from.queue {
                q = (q + 1) % self.world.queues.len();
            }
            q
        } else {
            from.queue
        };
        let hold_start = t;
        let t_init = if warm {
            self.leg_event(
                hold_start,
                "engagement_user_hold",
                Some(&from.person),
                from.queue,
            );
            t + self.between(SEC, 3 * SEC)
        } else {
            t
        };
        let to_task = Task {
            id: hex_id(self.rng, "ZWT"),
            created_ms: t_init + self.between(5, 40),
            queue: to_queue,
        };
        let xfer = Xfer {
            from: &from,
            to_task: &to_task,
            level,
            kind,
        };
        // A direct transfer names its target agent from the start.
        let direct_target = (level == "user").then(|| {
            let exclude = [from.person.idx];
            self.world.pick_agent(self.rng, t_init, &exclude)
        });
        let body = self.transfer_obj(
            t_init,
            "engagement_transfer_initiated",
            &xfer,
            direct_target.as_ref(),
        );
        self.emit(t_init, "engagement_transfer_initiated", &body);
        self.task_event(to_task.created_ms, "task_created", &to_task, "pending");
        let mut cursor = to_task.created_ms;
        if level == "queue" {
            cursor += self.between(0, 20);
            self.queue_event(cursor, "task_entered_queue", &to_task);
            let queued = cursor + self.between(10, 200);
            let body = self.transfer_obj(queued, "engagement_transfer_queued", &xfer, None);
            self.emit(queued, "engagement_transfer_queued", &body);
            cursor = queued;
        }
        let mut from_left = None;
        if !warm {
            let left = t_init + self.between(300, 2 * SEC);
            self.leave(left, &from.person.id);
            from_left = Some(left);
        }
        let offer_at = cursor
            + if level == "queue" {
                self.between(5 * SEC, 60 * SEC)
            } else {
                self.between(300, 2 * SEC)
            };
        let (agent, r) = self.transfer_target(&xfer, direct_target, offer_at);
        let accepted = offer_at + self.between(2 * SEC, 15 * SEC);
        self.reservation_event(accepted, "task_reservation_accepted", &r);
        let t_acc = accepted + self.between(0, 40);
        let body = self.transfer_obj(t_acc, "engagement_transfer_accepted", &xfer, Some(&agent));
        self.emit(t_acc, "engagement_transfer_accepted", &body);
        let answered = t_acc + self.between(40, 400);
        self.connect_agent(answered, agent.clone(), r);
        let (completed_at, alone_from) = if warm {
            let (done, left) = self.warm_hand_off(&from, hold_start, answered);
            from_left = Some(left);
            (done, left)
        } else {
            (answered + self.between(0, 300), answered)
        };
        let completed_sent = self.transfer_completed(completed_at, &xfer, &agent);
        let transfer_index = self.next(XFER);
        self.rows.push(TruthRow::Transfers(TransferTruth {
            engagement_id: self.engagement_id.clone(),
            account_id: self.world.account_id.clone(),
            transfer_index,
            from_user_id: from.person.id.clone(),
            to_queue_id: (level == "queue").then(|| self.world.queues[to_queue].id.clone()),
            to_user_id: Some(agent.id),
            transfer_type: kind.into(),
            transfer_level: level.into(),
            started_at: iso_ms(t_init),
            outcome: "completed".into(),
            outcome_at: iso_ms(if warm { alone_from } else { answered }),
            target_answered_at: iso_ms(answered),
            from_left_at: iso_ms(from_left.unwrap_or(alone_from)),
            to_task_id: to_task.id.clone(),
            completed_event_sent: completed_sent,
            rule: TRUTH_RULE.into(),
        }));
        alone_from
    }

    /// Who receives the transfer and their reservation: the agent named from the start, or
    /// the one the queue offers it to.
    pub(super) fn transfer_target(
        &mut self,
        xfer: &Xfer<'_>,
        direct_target: Option<Person>,
        offer_at: i64,
    ) -> (Person, Reservation) {
        let to_task = xfer.to_task;
        match direct_target {
            Some(agent) => {
                let r = self.offer(offer_at, to_task, &agent);
                (agent, r)
            }
            None => {
                let exclude = [xfer.from.person.idx];
                let agent = self.world.pick_agent(self.rng, offer_at, &exclude);
                let r = self.offer(offer_at, to_task, &agent);
                let exited = offer_at + self.between(0, 15);
                self.queue_event(exited, "task_exited_queue", to_task);
                let reserved = offer_at + self.between(0, 30);
                let body =
                    self.transfer_obj(reserved, "engagement_transfer_reserved", xfer, Some(&agent));
                self.emit(reserved, "engagement_transfer_reserved", &body);
                (agent, r)
            }
        }
    }

    /// A warm transfer's hand-off: consult with the customer on hold, then a short three-way
    /// introduction, then the transferring agent leaves (a hand-off, not a conference).
    /// Returns when the transfer was done and when the transferring agent left.
    pub(super) fn warm_hand_off(
        &mut self,
        from: &Leg,
        hold_start: i64,
        answered: i64,
    ) -> (i64, i64) {
        let unhold = answered + self.between(20 * SEC, 2 * MIN);
        self.leg_event(
            unhold,
            "engagement_user_unhold",
            Some(&from.person),
            from.queue,
        );
        self.hold_row(&from.person.id, hold_start, unhold);
        let done = unhold + self.between(5 * SEC, 60 * SEC);
        let left = done + self.between(0, 500);
        self.leave(left, &from.person.id);
        (done, left)
    }

    /// `engagement_transfer_completed`, which Zoom sometimes does not send. Returns whether it
    /// was sent.
    pub(super) fn transfer_completed(&mut self, at: i64, xfer: &Xfer<'_>, agent: &Person) -> bool {
        let sent = !self.chance(0.3);
        if sent {
            let body = self.transfer_obj(at, "engagement_transfer_completed", xfer, Some(agent));
            self.emit(at, "engagement_transfer_completed", &body);
        } else {
            self.omitted.insert("engagement_transfer_completed".into());
        }
        sent
    }
}
