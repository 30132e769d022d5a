//! One call: a pattern played out as Zoom's webhook bodies plus the truth about it.
//!
//! The sequences are documented in docs/SIMULATOR.md, with which parts come from research and
//! which are guesses. Times are milliseconds since the Unix epoch.

use std::collections::BTreeSet;

use rand::Rng;

use crate::ids::{b64_id, e164, hex_id, iso_ms, odd_phone, uuid_v4};
use crate::json::Obj;
use crate::truth::{
    ConferenceTruth, EngagementTruth, HoldTruth, InvitationTruth, SupervisionTruth, TRUTH_RULE,
    TransferTruth, TruthRow,
};
use crate::world::{Person, World, person_name};
use crate::{ConferenceShape, Pattern};

const PREFIX: &str = "contact_center.";
const SEC: i64 = 1_000;
const MIN: i64 = 60 * SEC;

/// One rendered webhook body and its event time.
#[derive(Debug, Clone)]
pub(crate) struct Ev {
    pub time_ms: i64,
    pub body: String,
}

/// Everything one call produced.
pub(crate) struct CallOutput {
    pub events: Vec<Ev>,
    pub truth: Vec<TruthRow>,
}

/// Per-call switches drawn by the generator.
pub(crate) struct CallFlags {
    pub explicit_conference: bool,
    pub legacy_supervisor: bool,
    /// The payload shape of the explicit conference events, when the call carries them.
    pub conference_shape: ConferenceShape,
}

#[derive(Debug, Clone)]
struct Task {
    id: String,
    created_ms: i64,
    queue: usize,
}

#[derive(Debug, Clone)]
struct Reservation {
    id: String,
    task: Task,
    created_ms: i64,
    user_id: String,
}

/// A connected agent (or a supervisor after a takeover).
#[derive(Debug, Clone)]
struct Leg {
    person: Person,
    supervisor: bool,
    queue: usize,
    reservation: Option<Reservation>,
}

struct OpenConference {
    index: u32,
    started_ms: i64,
    participants: BTreeSet<String>,
    initiated_by: String,
    /// Zoom's `conference_id`, when the documented events carry one.
    conference_id: Option<String>,
    /// Phone numbers of outside parties who joined.
    external: BTreeSet<String>,
}

/// A conference as Zoom's documented events see it: one `conference_id` from the first
/// invitation until the conference ends (fewer than two agents) or is canceled.
struct ZoomConference {
    id: String,
    /// The agent who sent the first invitation (role `host`).
    host: Person,
    host_present: bool,
    /// The queue whose team the events name.
    queue: usize,
    /// Who joined after the host and has not left, in join order.
    members: Vec<Member>,
}

/// A conference participant other than the host and the customer.
#[derive(Debug, Clone)]
enum Member {
    Agent(Person),
    /// An outside phone number: no agent leg, task or reservation.
    Outside {
        number: String,
        name: String,
    },
}

/// The participant a documented conference event is about.
#[derive(Clone, Copy)]
enum Subject<'s> {
    Agent(&'s str),
    Outside(&'s str),
}

/// A supervision session whose end is the end of someone's leg (legacy names have no end event;
/// a takeover lasts as long as the supervisor's leg).
struct PendingSupervision {
    row: SupervisionTruth,
    ends_with: String,
}

/// What every `engagement_transfer_*` body of one transfer shares.
struct Xfer<'a> {
    from: &'a Leg,
    to_task: &'a Task,
    level: &'a str,
    kind: &'a str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum InviteOutcome {
    Accepted,
    Rejected,
    Timeout,
    Canceled,
}

impl InviteOutcome {
    fn name(self) -> &'static str {
        match self {
            InviteOutcome::Accepted => "accepted",
            InviteOutcome::Rejected => "rejected",
            InviteOutcome::Timeout => "timeout",
            InviteOutcome::Canceled => "canceled",
        }
    }
}

struct Call<'a, R: Rng> {
    rng: &'a mut R,
    world: &'a mut World,
    flags: CallFlags,
    pattern: Pattern,
    engagement_id: String,
    inbound: bool,
    flow: usize,
    consumer_id: String,
    consumer_number: String,
    consumer_name: String,
    /// Whether `flow_number` is written without its `+` (Zoom does both).
    bare_flow_number: bool,
    started_ms: i64,
    events: Vec<Ev>,
    rows: Vec<TruthRow>,
    omitted: BTreeSet<String>,
    agents: BTreeSet<String>,
    supervisors: BTreeSet<String>,
    legs: Vec<Leg>,
    conference: Option<OpenConference>,
    /// The documented-shape conference in progress (explicit calls in that shape only).
    zoom_conference: Option<ZoomConference>,
    supervision_open: Vec<PendingSupervision>,
    counters: [u32; 5],
    end_ms: i64,
}

const HOLD: usize = 0;
const CONF: usize = 1;
const INVITE: usize = 2;
const XFER: usize = 3;
const SUP: usize = 4;

/// Play one call of `pattern` starting at `start_ms`.
pub(crate) fn simulate_call(
    rng: &mut impl Rng,
    world: &mut World,
    pattern: Pattern,
    start_ms: i64,
    flags: CallFlags,
) -> CallOutput {
    let inbound = pattern != Pattern::SimpleOutbound;
    let flow = rng.random_range(0..world.flows.len());
    let mut call = Call {
        engagement_id: b64_id(rng),
        consumer_id: b64_id(rng),
        consumer_number: e164(rng),
        consumer_name: person_name(rng),
        bare_flow_number: rng.random_bool(0.3),
        rng,
        world,
        flags,
        pattern,
        inbound,
        flow,
        started_ms: start_ms,
        events: Vec::with_capacity(48),
        rows: Vec::new(),
        omitted: BTreeSet::new(),
        agents: BTreeSet::new(),
        supervisors: BTreeSet::new(),
        legs: Vec::new(),
        conference: None,
        zoom_conference: None,
        supervision_open: Vec::new(),
        counters: [0; 5],
        end_ms: start_ms,
    };
    call.play();
    call.into_output()
}

impl<R: Rng> Call<'_, R> {
    // ----- randomness helpers -------------------------------------------------------------

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..=hi)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    /// Talk time skewed towards short calls: 1 to 15 minutes overall, split over segments.
    fn talk_ms(&mut self, lo: i64, hi: i64) -> i64 {
        let u: f64 = self.rng.random();
        lo + ((hi - lo) as f64 * u * u) as i64
    }

    fn next(&mut self, counter: usize) -> u32 {
        self.counters[counter] += 1;
        self.counters[counter]
    }

    // ----- body rendering -----------------------------------------------------------------

    fn emit(&mut self, time_ms: i64, event: &str, object: &str) {
        // event_ts is close to, but not always equal to, the object's own time.
        let skew = if self.chance(0.35) {
            0
        } else {
            self.between(1, 250)
        };
        let mut env = Obj::new();
        env.s("event", &format!("{PREFIX}{event}"))
            .i("event_ts", time_ms + skew);
        let mut payload = Obj::new();
        payload
            .s("account_id", &self.world.account_id)
            .raw("object", object);
        env.raw("payload", &payload.finish());
        self.events.push(Ev {
            time_ms,
            body: env.finish(),
        });
    }

    fn direction(&self) -> &'static str {
        if self.inbound { "inbound" } else { "outbound" }
    }

    fn flow_number(&self) -> String {
        let n = &self.world.flows[self.flow].number;
        if self.bare_flow_number {
            n.trim_start_matches('+').to_owned()
        } else {
            n.clone()
        }
    }

    /// The leg field set, in the order of Zoom's `engagement_user_answered` example.
    fn leg_obj(&self, time_ms: i64, user: Option<&Person>, queue: usize) -> Obj {
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

    fn leg_event(&mut self, time_ms: i64, event: &str, user: Option<&Person>, queue: usize) {
        let o = self.leg_obj(time_ms, user, queue);
        self.emit(time_ms, event, &o.finish());
    }

    fn caller_callee(&self) -> (String, String) {
        let did = self.world.flows[self.flow].number.clone();
        if self.inbound {
            (self.consumer_number.clone(), did)
        } else {
            (did, self.consumer_number.clone())
        }
    }

    fn task_event(&mut self, time_ms: i64, event: &str, task: &Task, status: &str) {
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

    fn queue_event(&mut self, time_ms: i64, event: &str, task: &Task) {
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

    fn reservation_event(&mut self, time_ms: i64, event: &str, r: &Reservation) {
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

    // ----- building blocks ----------------------------------------------------------------

    fn new_task(&mut self, time_ms: i64, queue: usize) -> Task {
        let task = Task {
            id: hex_id(self.rng, "ZWT"),
            created_ms: time_ms,
            queue,
        };
        self.task_event(time_ms, "task_created", &task, "pending");
        task
    }

    fn offer(&mut self, time_ms: i64, task: &Task, agent: &Person) -> Reservation {
        let r = Reservation {
            id: hex_id(self.rng, "ZWR"),
            task: task.clone(),
            created_ms: time_ms,
            user_id: agent.id.clone(),
        };
        self.reservation_event(time_ms, "task_reservation_created", &r);
        r
    }

    /// Offer `task` to agents until one accepts (sometimes after a ring-no-answer or a
    /// decline). Returns the accepting agent's reservation and the acceptance time.
    fn route(&mut self, mut t: i64, task: &Task, from_queue: bool) -> (Person, Reservation, i64) {
        let mut tried: Vec<usize> = self
            .legs
            .iter()
            .filter(|l| !l.supervisor)
            .map(|l| l.person.idx)
            .collect();
        loop {
            let agent = self.world.pick_agent(self.rng, t, &tried);
            let r = self.offer(t, task, &agent);
            if from_queue && tried.len() == self.legs.len() {
                let exit = t + self.between(0, 15);
                self.queue_event(exit, "task_exited_queue", task);
            }
            let declined = tried.len() < self.legs.len() + 2 && self.chance(0.1);
            if declined {
                let (event, wait) = if self.chance(0.6) {
                    ("task_reservation_timeout", self.between(15 * SEC, 25 * SEC))
                } else {
                    ("task_reservation_rejected", self.between(2 * SEC, 8 * SEC))
                };
                t += wait;
                self.reservation_event(t, event, &r);
                self.world.release_agent(agent.idx, t);
                tried.push(agent.idx);
                t += self.between(300, 4 * SEC);
                continue;
            }
            let accepted = t + self.between(2 * SEC, 20 * SEC);
            self.reservation_event(accepted, "task_reservation_accepted", &r);
            if self.chance(0.4) {
                self.task_event(accepted, "task_updated", task, "assigned");
            }
            return (agent, r, accepted);
        }
    }

    fn connect_agent(&mut self, t: i64, agent: Person, r: Reservation) -> Leg {
        let queue = r.task.queue;
        self.leg_event(t, "engagement_user_answered", Some(&agent), queue);
        self.agents.insert(agent.id.clone());
        let leg = Leg {
            person: agent,
            supervisor: false,
            queue,
            reservation: Some(r),
        };
        self.legs.push(leg.clone());
        leg
    }

    fn leg_index(&self, user_id: &str) -> Option<usize> {
        self.legs.iter().position(|l| l.person.id == user_id)
    }

    fn primary(&self) -> Leg {
        // Callers only ask while someone is connected.
        self.legs.first().cloned().unwrap_or_else(|| Leg {
            person: self.world.agents[0].clone(),
            supervisor: false,
            queue: 0,
            reservation: None,
        })
    }

    /// Talk for a while; with probability `hold_p` the agent puts the customer on hold once.
    fn talk(&mut self, t: i64, lo: i64, hi: i64, hold_p: f64) -> i64 {
        let dur = self.talk_ms(lo, hi);
        if self.chance(hold_p) {
            let at = t + dur / 3 + self.between(0, dur / 3);
            let agent = self.primary();
            let end = self.hold(at, &agent);
            end + (t + dur - at).max(5 * SEC)
        } else {
            t + dur
        }
    }

    /// A hold of 10 s to 3 min by `leg`'s agent. Returns the unhold time.
    fn hold(&mut self, t: i64, leg: &Leg) -> i64 {
        let end = t + self.between(10 * SEC, 3 * MIN);
        self.leg_event(t, "engagement_user_hold", Some(&leg.person), leg.queue);
        self.leg_event(end, "engagement_user_unhold", Some(&leg.person), leg.queue);
        self.hold_row(&leg.person.id, t, end);
        end
    }

    fn hold_row(&mut self, user_id: &str, start: i64, end: i64) {
        let hold_index = self.next(HOLD);
        self.rows.push(TruthRow::Holds(HoldTruth {
            engagement_id: self.engagement_id.clone(),
            account_id: self.world.account_id.clone(),
            hold_index,
            user_id: user_id.to_owned(),
            started_at: iso_ms(start),
            ended_at: iso_ms(end),
            duration_ms: end - start,
            rule: TRUTH_RULE.into(),
        }));
    }

    /// The agent's leg ends: `engagement_user_ended`, wrap-up, reservation completed.
    /// Returns the end of wrap-up.
    fn leave(&mut self, t: i64, user_id: &str) -> i64 {
        let Some(i) = self.leg_index(user_id) else {
            return t;
        };
        let leg = self.legs.remove(i);
        self.leg_event(t, "engagement_user_ended", Some(&leg.person), leg.queue);
        self.conference_leave(t, &leg);
        let wrap_start = t;
        self.leg_event(
            wrap_start,
            "engagement_wrap_up_started",
            Some(&leg.person),
            leg.queue,
        );
        let wrap_end = wrap_start + self.between(5 * SEC, 2 * MIN);
        self.leg_event(
            wrap_end,
            "engagement_wrap_up_ended",
            Some(&leg.person),
            leg.queue,
        );
        if let Some(r) = &leg.reservation {
            let done = wrap_end + self.between(0, 40);
            self.reservation_event(done, "task_reservation_completed", r);
            self.task_event(done, "task_completed", &r.task, "completed");
        }
        if leg.supervisor {
            self.world.release_supervisor(leg.person.idx, wrap_end);
        } else {
            self.world.release_agent(leg.person.idx, wrap_end);
        }
        self.close_supervision_with(t, &leg.person.id);
        wrap_end
    }

    /// An explicit `engagement_conference_*` event in the guessed shape (the leg field set, the
    /// participant as `user_id`, the inviter as `inviter_user_id`); see SIMULATOR.md.
    fn conference_event(
        &mut self,
        t: i64,
        event: &str,
        who: &Person,
        queue: usize,
        inviter: Option<&Person>,
    ) {
        if !self.flags.explicit_conference
            || self.flags.conference_shape != ConferenceShape::Guessed
        {
            return;
        }
        let mut o = self.leg_obj(t, Some(who), queue);
        if let Some(inv) = inviter {
            o.s("inviter_user_id", &inv.id)
                .s("inviter_user_display_name", &inv.name);
        }
        self.emit(t, event, &o.finish());
    }

    fn conference_leave(&mut self, t: i64, leg: &Leg) {
        let Some(conf) = &mut self.conference else {
            return;
        };
        if !conf.participants.contains(&leg.person.id) {
            return;
        }
        self.conference_event(
            t,
            "engagement_conference_participant_left",
            &leg.person,
            leg.queue,
            None,
        );
        self.zoom_leave(t, &leg.person.id, true);
        let remaining = self.legs.iter().filter(|l| !l.supervisor).count();
        if remaining < 2 {
            self.close_conference(t);
        }
    }

    fn close_conference(&mut self, t: i64) {
        let Some(conf) = self.conference.take() else {
            return;
        };
        self.rows.push(TruthRow::Conferences(ConferenceTruth {
            engagement_id: self.engagement_id.clone(),
            account_id: self.world.account_id.clone(),
            conference_index: conf.index,
            started_at: iso_ms(conf.started_ms),
            ended_at: Some(iso_ms(t)),
            duration_ms: Some(t - conf.started_ms),
            participants: conf.participants.into_iter().collect(),
            initiated_by: Some(conf.initiated_by),
            source: self.conference_source().into(),
            rule: TRUTH_RULE.into(),
            evidence: Vec::new(),
            conference_id: conf.conference_id,
            external_participants: conf.external.into_iter().collect(),
        }));
        self.zoom_conference = None;
    }

    fn conference_source(&self) -> &'static str {
        if self.flags.explicit_conference {
            "explicit"
        } else {
            "inferred"
        }
    }

    // ----- documented conference events -----------------------------------------------------

    /// Whether this call's explicit conference events are in the documented shape.
    fn documented(&self) -> bool {
        self.flags.explicit_conference && self.flags.conference_shape == ConferenceShape::Documented
    }

    /// `conference_participants[]`: the roster now. The customer (while connected), the host
    /// (while connected), then everyone who joined and has not left, in join order.
    fn roster_json(&self, customer: bool) -> String {
        let Some(zc) = &self.zoom_conference else {
            return "[]".into();
        };
        let mut items = Vec::with_capacity(zc.members.len() + 2);
        let agent = |p: &Person, role: &str| {
            let mut o = Obj::new();
            o.s("participant_user_id", &p.id)
                .s("participant_display_name", &p.name)
                .s("participant_role", role);
            o.finish()
        };
        let phone = |name: &str, role: &str, number: &str| {
            let mut o = Obj::new();
            o.s("participant_display_name", name)
                .s("participant_role", role)
                .s("participant_phone_number", number);
            o.finish()
        };
        if customer {
            items.push(phone(
                &self.consumer_name,
                "customer",
                &self.consumer_number,
            ));
        }
        if zc.host_present {
            items.push(agent(&zc.host, "host"));
        }
        for m in &zc.members {
            items.push(match m {
                Member::Agent(p) => agent(p, "invitee"),
                Member::Outside { number, name } => phone(name, "invitee", number),
            });
        }
        format!("[{}]", items.join(","))
    }

    /// A documented `engagement_conference_*` event: the engagement fields, `conference_id`,
    /// the roster after the change (unless `roster` is `None`: `engagement_conference_canceled`
    /// has none; `Some(false)` once the customer has hung up) and the subject under its key.
    fn zoom_event(
        &mut self,
        t: i64,
        event: &str,
        subject: Option<(&str, Subject<'_>)>,
        roster: Option<bool>,
    ) {
        let Some(zc) = &self.zoom_conference else {
            return;
        };
        let flow = &self.world.flows[self.flow];
        let mut o = Obj::new();
        o.s("engagement_id", &self.engagement_id)
            .s("engagement_direction", self.direction())
            .s("channel", "voice")
            .s("flow_id", &flow.id)
            .s("flow_name", &flow.name)
            .s("flow_number", &self.flow_number());
        if let Some(team) = self.world.teams.get(zc.queue) {
            let mut tm = Obj::new();
            tm.s("team_id", &team.id).s("team_name", &team.name);
            o.raw("teams", &format!("[{}]", tm.finish()))
                .s("division_id", &team.division_id)
                .s("division_name", &team.division_name);
        }
        o.s("date_time_ms", &iso_ms(t)).s("conference_id", &zc.id);
        if let Some(customer) = roster {
            o.raw("conference_participants", &self.roster_json(customer));
        }
        if let Some((key, who)) = subject {
            let mut p = Obj::new();
            match who {
                Subject::Agent(id) => p.s("participant_user_id", id),
                Subject::Outside(number) => p.s("participant_phone_number", number),
            };
            o.raw(key, &p.finish());
        }
        let body = o.finish();
        self.emit(t, event, &body);
    }

    /// Before `inviter` invites someone at `t`: open Zoom's conference (a new `conference_id`,
    /// `inviter` its host) unless one is open, and on 30% of new ones announce it with the Call
    /// Control API's `call_control_conference_warm_invite_executed` just before.
    fn zoom_open(&mut self, t: i64, inviter: &Leg) {
        if !self.documented() || self.zoom_conference.is_some() {
            return;
        }
        let id = uuid_v4(self.rng);
        self.zoom_conference = Some(ZoomConference {
            id: id.clone(),
            host: inviter.person.clone(),
            host_present: true,
            queue: inviter.queue,
            members: Vec::new(),
        });
        if self.chance(0.3) {
            let at = t - self.between(20, 400);
            let mut o = Obj::new();
            o.s("engagement_id", &self.engagement_id)
                .s("user_id", &inviter.person.id)
                .s("request_id", &b64_id(self.rng))
                .s("date_time_ms", &iso_ms(at))
                .s("conference_id", &id);
            if let Some(team) = self.world.teams.get(inviter.queue) {
                o.s("division_id", &team.division_id)
                    .s("division_name", &team.division_name);
            }
            self.emit(
                at,
                "call_control_conference_warm_invite_executed",
                &o.finish(),
            );
        }
    }

    /// An agent in Zoom's conference leaves at `t`: `_left` with the roster without them.
    fn zoom_leave(&mut self, t: i64, user_id: &str, customer: bool) {
        if !self.documented() {
            return;
        }
        let Some(zc) = &mut self.zoom_conference else {
            return;
        };
        if zc.host_present && zc.host.id == user_id {
            zc.host_present = false;
        } else if let Some(i) = zc
            .members
            .iter()
            .position(|m| matches!(m, Member::Agent(p) if p.id == user_id))
        {
            zc.members.remove(i);
        } else {
            return;
        }
        self.zoom_event(
            t,
            "engagement_conference_participant_left",
            Some(("leaving_participant", Subject::Agent(user_id))),
            Some(customer),
        );
    }

    /// While the conference (two agents and the customer) is on from `from` to `to`, the host
    /// sometimes (15%) brings in an outside phone number, which joins, talks and hangs up
    /// before `to`. Documented shape only.
    fn maybe_outside_party(&mut self, from: i64, to: i64) {
        if !self.documented()
            || self.conference.is_none()
            || self.zoom_conference.is_none()
            || to - from < 45 * SEC
            || !self.chance(0.15)
        {
            return;
        }
        // Zoom's numbers are not always valid E.164.
        let number = if self.chance(0.3) {
            odd_phone(self.rng)
        } else {
            e164(self.rng)
        };
        let name = person_name(self.rng);
        let invited = from + self.between(5 * SEC, (to - from) / 4);
        self.zoom_event(
            invited,
            "engagement_conference_participant_invited",
            Some(("invited_participant", Subject::Outside(&number))),
            Some(true),
        );
        let joined = invited + self.between(4 * SEC, 20 * SEC);
        if let Some(zc) = &mut self.zoom_conference {
            zc.members.push(Member::Outside {
                number: number.clone(),
                name,
            });
        }
        if let Some(conf) = &mut self.conference {
            conf.external.insert(number.clone());
        }
        self.zoom_event(
            joined,
            "engagement_conference_participant_joined",
            Some(("joining_participant", Subject::Outside(&number))),
            Some(true),
        );
        let left = self.between(joined + 5 * SEC, to - 1);
        if let Some(zc) = &mut self.zoom_conference {
            zc.members
                .retain(|m| !matches!(m, Member::Outside { number: n, .. } if *n == number));
        }
        self.zoom_event(
            left,
            "engagement_conference_participant_left",
            Some(("leaving_participant", Subject::Outside(&number))),
            Some(true),
        );
    }

    // ----- openings -----------------------------------------------------------------------

    fn started_event(&mut self, t: i64) {
        let flow = &self.world.flows[self.flow];
        let mut o = Obj::new();
        o.s("engagement_id", &self.engagement_id)
            .s("engagement_direction", self.direction())
            .s("channel", "voice")
            .s("flow_id", &flow.id)
            .s("flow_name", &flow.name)
            .s("date_time_ms", &iso_ms(t));
        self.emit(t, "engagement_started", &o.finish());
    }

    /// IVR, queue, offer, answer. Returns the time agent and customer are connected.
    fn open_inbound(&mut self, t0: i64) -> i64 {
        self.started_event(t0);
        let queue = self.rng.random_range(0..self.world.queues.len());
        let t1 = t0 + self.between(4 * SEC, 40 * SEC);
        let task = self.new_task(t1, queue);
        let entered = t1 + self.between(0, 25);
        self.queue_event(entered, "task_entered_queue", &task);
        let t2 = t1 + self.between(3 * SEC, 90 * SEC);
        let (agent, r, accepted) = self.route(t2, &task, true);
        let answered = accepted + self.between(40, 400);
        self.connect_agent(answered, agent.clone(), r);
        if self.chance(0.5) {
            // Often in the very same millisecond as the agent's answer.
            let at = if self.chance(0.6) {
                answered
            } else {
                answered + self.between(1, 30)
            };
            self.leg_event(at, "engagement_consumer_answered", Some(&agent), queue);
        } else {
            self.omitted.insert("engagement_consumer_answered".into());
        }
        answered
    }

    /// An agent dials out: routing to the agent, then the customer rings and answers.
    fn open_outbound(&mut self, t0: i64) -> i64 {
        self.started_event(t0);
        let queue = self.rng.random_range(0..self.world.queues.len());
        let t1 = t0 + self.between(20, 300);
        let task = self.new_task(t1, queue);
        let agent = self.world.pick_agent(self.rng, t1, &[]);
        let t2 = t1 + self.between(20, 200);
        let r = self.offer(t2, &task, &agent);
        let accepted = t2 + self.between(10, 300);
        self.reservation_event(accepted, "task_reservation_accepted", &r);
        let answered = accepted + self.between(30, 300);
        self.connect_agent(answered, agent.clone(), r);
        let notified = answered + self.between(300, 2 * SEC);
        let mut o = self.leg_obj(notified, Some(&agent), queue);
        o.s("consumer_invite_number", &self.consumer_number.clone())
            .s("consumer_invite_email", "");
        self.emit(notified, "engagement_consumer_notified", &o.finish());
        let connected = notified + self.between(4 * SEC, 25 * SEC);
        self.leg_event(
            connected,
            "engagement_consumer_answered",
            Some(&agent),
            queue,
        );
        connected
    }

    // ----- endings ------------------------------------------------------------------------

    /// The customer (or the last agent) hangs up at `t`; everyone still connected leaves.
    fn finish(&mut self, t: i64) {
        let queue = self.legs.first().map_or(0, |l| l.queue);
        let agent_first = self.chance(0.3) && !self.legs.is_empty();
        let consumer_at = if agent_first {
            t + self.between(0, 400)
        } else {
            t
        };
        let who = self.legs.first().map(|l| l.person.clone());
        self.leg_event(
            consumer_at,
            "engagement_consumer_ended",
            who.as_ref(),
            queue,
        );
        let legs = self.legs.clone();
        let documented = self.documented() && self.zoom_conference.is_some();
        let mut ats = Vec::with_capacity(legs.len());
        for k in 0..legs.len() {
            let at = if agent_first && k == 0 {
                t
            } else {
                consumer_at + self.between(0, 400)
            };
            ats.push(at);
        }
        // The call ending ends any conference: every participant leaves it.
        if let Some(conf) = &self.conference {
            let participants = conf.participants.clone();
            let mut order: Vec<usize> = (0..legs.len())
                .filter(|&k| participants.contains(&legs[k].person.id))
                .collect();
            if documented {
                // Two rosters of the same millisecond would contradict each other in whichever
                // order they are read: give each leaver a millisecond of its own.
                order.sort_by_key(|&k| (ats[k], k));
                let mut prev: Option<i64> = None;
                for &k in &order {
                    if let Some(p) = prev
                        && ats[k] <= p
                    {
                        ats[k] = p + 1;
                    }
                    prev = Some(ats[k]);
                }
            }
            let mut end = consumer_at;
            for (leg, &at) in legs.iter().zip(&ats) {
                if participants.contains(&leg.person.id) {
                    end = end.min(at);
                    self.conference_event(
                        at,
                        "engagement_conference_participant_left",
                        &leg.person,
                        leg.queue,
                        None,
                    );
                }
            }
            if documented {
                // Each leaver's roster lacks them and everyone who left before; the customer is
                // in it until they hang up.
                for &k in &order {
                    self.zoom_leave(ats[k], &legs[k].person.id, ats[k] < consumer_at);
                }
            }
            self.close_conference(end);
        }
        let mut last = consumer_at;
        for (leg, &at) in legs.iter().zip(&ats) {
            last = last.max(self.leave(at, &leg.person.id));
        }
        for open in std::mem::take(&mut self.supervision_open) {
            let mut row = open.row;
            row.ended_at = iso_ms(consumer_at);
            self.rows.push(TruthRow::Supervision(row));
        }
        let ended_at = consumer_at + self.between(50, 900);
        if self.chance(0.03) {
            self.omitted.insert("engagement_ended".into());
        } else {
            let flow = &self.world.flows[self.flow];
            let mut o = Obj::new();
            o.s("engagement_id", &self.engagement_id)
                .s("engagement_direction", self.direction())
                .s("channel", "voice")
                .s("flow_id", &flow.id)
                .s("flow_name", &flow.name)
                .s("date_time_ms", &iso_ms(ended_at));
            self.emit(ended_at, "engagement_ended", &o.finish());
        }
        if self.chance(0.6) {
            let ready = last.max(ended_at) + self.between(20 * SEC, 90 * SEC);
            let mut o = Obj::new();
            o.s("engagement_id", &self.engagement_id)
                .s("engagement_direction", self.direction())
                .s("channel", "voice")
                .s("start_time", &iso_ms(self.started_ms))
                .s("date_time_ms", &iso_ms(ready));
            self.emit(ready, "cx_engagement_end_data_ready", &o.finish());
        }
        self.end_ms = ended_at;
    }

    fn close_supervision_with(&mut self, t: i64, user_id: &str) {
        let (done, open): (Vec<_>, Vec<_>) = std::mem::take(&mut self.supervision_open)
            .into_iter()
            .partition(|p| p.ends_with == user_id);
        self.supervision_open = open;
        for p in done {
            let mut row = p.row;
            row.ended_at = iso_ms(t);
            self.rows.push(TruthRow::Supervision(row));
        }
    }

    // ----- transfers ----------------------------------------------------------------------

    fn transfer_obj(&self, t: i64, event: &str, x: &Xfer<'_>, to_user: Option<&Person>) -> String {
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
    fn transfer(&mut self, t: i64, level: &'static str, warm: bool) -> i64 {
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
    fn transfer_target(
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
    fn warm_hand_off(&mut self, from: &Leg, hold_start: i64, answered: i64) -> (i64, i64) {
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
    fn transfer_completed(&mut self, at: i64, xfer: &Xfer<'_>, agent: &Person) -> bool {
        let sent = !self.chance(0.3);
        if sent {
            let body = self.transfer_obj(at, "engagement_transfer_completed", xfer, Some(agent));
            self.emit(at, "engagement_transfer_completed", &body);
        } else {
            self.omitted.insert("engagement_transfer_completed".into());
        }
        sent
    }

    // ----- conference invitations ---------------------------------------------------------

    /// The primary agent invites another agent. Pre-2026 this looks like routing: a new task
    /// and a reservation on the same engagement while the inviter stays connected. Returns the
    /// time the invitation was settled and whether a conference began.
    fn invite(&mut self, t: i64, outcome: InviteOutcome) -> (i64, bool) {
        let inviter = self.primary();
        let hold = self.chance(0.3);
        if hold {
            self.leg_event(
                t,
                "engagement_user_hold",
                Some(&inviter.person),
                inviter.queue,
            );
        }
        let t_inv = t + if hold { self.between(SEC, 3 * SEC) } else { 0 };
        let exclude: Vec<usize> = self.legs.iter().map(|l| l.person.idx).collect();
        let invitee = self.world.pick_agent(self.rng, t_inv, &exclude);
        self.conference_event(
            t_inv,
            "engagement_conference_participant_invited",
            &invitee,
            inviter.queue,
            Some(&inviter.person),
        );
        self.zoom_open(t_inv, &inviter);
        self.zoom_event(
            t_inv,
            "engagement_conference_participant_invited",
            Some(("invited_participant", Subject::Agent(&invitee.id))),
            Some(true),
        );
        let task = Task {
            id: hex_id(self.rng, "ZWT"),
            created_ms: t_inv + self.between(10, 80),
            queue: inviter.queue,
        };
        self.task_event(task.created_ms, "task_created", &task, "pending");
        let offer_at = task.created_ms + self.between(10, 120);
        let r = self.offer(offer_at, &task, &invitee);
        let (settled, joined) = match outcome {
            InviteOutcome::Accepted => (
                self.invitation_accepted(&inviter, &invitee, offer_at, r),
                true,
            ),
            other => (
                self.invitation_declined(&inviter, &invitee, &task, offer_at, &r, other),
                false,
            ),
        };
        let invitation_index = self.next(INVITE);
        self.rows
            .push(TruthRow::ConferenceInvitations(InvitationTruth {
                engagement_id: self.engagement_id.clone(),
                account_id: self.world.account_id.clone(),
                invitation_index,
                invited_user_id: invitee.id.clone(),
                invited_by: inviter.person.id.clone(),
                invited_at: iso_ms(t_inv),
                outcome: outcome.name().into(),
                outcome_at: iso_ms(settled),
                source: self.conference_source().into(),
                rule: TRUTH_RULE.into(),
            }));
        let mut end = settled;
        if hold {
            let unhold = settled + self.between(500, 3 * SEC);
            self.leg_event(
                unhold,
                "engagement_user_unhold",
                Some(&inviter.person),
                inviter.queue,
            );
            self.hold_row(&inviter.person.id, t, unhold);
            end = unhold;
        }
        (end, joined)
    }

    /// The invitee accepts and connects; the conference begins, or gains a participant.
    /// Returns when the invitee answered.
    fn invitation_accepted(
        &mut self,
        inviter: &Leg,
        invitee: &Person,
        offer_at: i64,
        r: Reservation,
    ) -> i64 {
        let accepted = offer_at + self.between(3 * SEC, 15 * SEC);
        self.reservation_event(accepted, "task_reservation_accepted", &r);
        let answered = accepted + self.between(40, 400);
        self.connect_agent(answered, invitee.clone(), r);
        let joined_at = if self.chance(0.5) {
            answered
        } else {
            answered + self.between(1, 50)
        };
        self.conference_event(
            joined_at,
            "engagement_conference_participant_joined",
            invitee,
            inviter.queue,
            Some(&inviter.person),
        );
        self.join_conference(answered, inviter, invitee);
        if let Some(zc) = &mut self.zoom_conference {
            zc.members.push(Member::Agent(invitee.clone()));
        }
        self.zoom_event(
            joined_at,
            "engagement_conference_participant_joined",
            Some(("joining_participant", Subject::Agent(&invitee.id))),
            Some(true),
        );
        answered
    }

    /// The invitee is now in the conference: it opens with everyone connected (agents, not
    /// supervisors) if none was on.
    fn join_conference(&mut self, answered: i64, inviter: &Leg, invitee: &Person) {
        match &mut self.conference {
            Some(conf) => {
                conf.participants.insert(invitee.id.clone());
            }
            None => {
                let index = self.next(CONF);
                let conference_id = self.zoom_conference.as_ref().map(|z| z.id.clone());
                let participants: BTreeSet<String> = self
                    .legs
                    .iter()
                    .filter(|l| !l.supervisor)
                    .map(|l| l.person.id.clone())
                    .collect();
                self.conference = Some(OpenConference {
                    index,
                    started_ms: answered,
                    participants,
                    initiated_by: inviter.person.id.clone(),
                    conference_id,
                    external: BTreeSet::new(),
                });
            }
        }
    }

    /// The invitation is rejected, times out or is canceled (sometimes with the whole
    /// conference); the invitee's task is canceled. Returns when it was settled.
    fn invitation_declined(
        &mut self,
        inviter: &Leg,
        invitee: &Person,
        task: &Task,
        offer_at: i64,
        r: &Reservation,
        other: InviteOutcome,
    ) -> i64 {
        let (res_event, conf_event, wait) = match other {
            InviteOutcome::Rejected => (
                "task_reservation_rejected",
                "engagement_conference_participant_rejected",
                self.between(2 * SEC, 10 * SEC),
            ),
            InviteOutcome::Timeout => (
                "task_reservation_timeout",
                "engagement_conference_participant_timeout",
                self.between(20 * SEC, 30 * SEC),
            ),
            _ => (
                "task_reservation_canceled",
                "engagement_conference_participant_canceled",
                self.between(3 * SEC, 12 * SEC),
            ),
        };
        let at = offer_at + wait;
        self.reservation_event(at, res_event, r);
        self.conference_event(
            at,
            conf_event,
            invitee,
            inviter.queue,
            Some(&inviter.person),
        );
        let subject_key = match other {
            InviteOutcome::Rejected => "rejecting_participant",
            InviteOutcome::Timeout => "timed_out_participant",
            _ => "canceled_participant",
        };
        self.zoom_event(
            at,
            conf_event,
            Some((subject_key, Subject::Agent(&invitee.id))),
            Some(true),
        );
        if other == InviteOutcome::Canceled && self.conference.is_none() && self.chance(0.5) {
            let canceled_at = at + self.between(0, 20);
            self.conference_event(
                canceled_at,
                "engagement_conference_canceled",
                &inviter.person,
                inviter.queue,
                None,
            );
            // The whole conference is called off: no roster, and the next invitation
            // opens a new one.
            self.zoom_event(canceled_at, "engagement_conference_canceled", None, None);
            self.zoom_conference = None;
        }
        let canceled_at = at + self.between(10, 100);
        self.task_event(canceled_at, "task_canceled", task, "canceled");
        self.world.release_agent(invitee.idx, at);
        at
    }

    // ----- supervision --------------------------------------------------------------------

    fn monitor_event(
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
    fn legacy_event(&mut self, t: i64, mode: &str, agent: &Leg, sup: &Person) {
        let verb = if mode == "listen" { "monitor" } else { mode };
        self.leg_event(
            t,
            &format!("engagement_user_{verb}_initiated"),
            Some(sup),
            agent.queue,
        );
    }

    fn supervision_row(
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
    fn supervise(&mut self, t: i64, mode: &'static str) -> i64 {
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
    fn monitor_session(&mut self, t: i64, mode: &str, agent: &Leg, sup: &Person, dur: i64) -> i64 {
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
    fn barge_session(&mut self, t: i64, agent: &Leg, sup: &Person, dur: i64) -> i64 {
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
    fn takeover(&mut self, t: i64, agent: &Leg, sup: &Person) -> i64 {
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

    // ----- patterns -----------------------------------------------------------------------

    fn play(&mut self) {
        let t0 = self.started_ms;
        let mut t = if self.inbound {
            self.open_inbound(t0)
        } else {
            self.open_outbound(t0)
        };
        match self.pattern {
            Pattern::SimpleInbound | Pattern::SimpleOutbound => {
                t = self.talk(t, MIN, 15 * MIN, 0.1);
            }
            Pattern::HoldResume => {
                let holds = self.between(1, 3);
                for _ in 0..holds {
                    t = self.talk(t, 20 * SEC, 4 * MIN, 0.0);
                    let leg = self.primary();
                    t = self.hold(t, &leg);
                }
                t = self.talk(t, 20 * SEC, 3 * MIN, 0.0);
            }
            Pattern::ColdTransferQueue | Pattern::TransferToAgent | Pattern::WarmTransfer => {
                t = self.talk(t, 30 * SEC, 5 * MIN, 0.1);
                let level = if self.pattern == Pattern::ColdTransferQueue {
                    "queue"
                } else if self.pattern == Pattern::TransferToAgent || self.chance(0.5) {
                    "user"
                } else {
                    "queue"
                };
                t = self.transfer(t, level, self.pattern == Pattern::WarmTransfer);
                t = self.talk(t, MIN, 10 * MIN, 0.15);
            }
            Pattern::Conference => {
                t = self.talk(t, 30 * SEC, 4 * MIN, 0.0);
                let (at, _) = self.invite(t, InviteOutcome::Accepted);
                t = self.talk(at, MIN, 8 * MIN, 0.0);
                self.maybe_outside_party(at, t);
                if self.chance(0.5) {
                    // The invited agent drops; the first agent finishes the call.
                    let invited = self
                        .legs
                        .last()
                        .map(|l| l.person.id.clone())
                        .unwrap_or_default();
                    self.leave(t, &invited);
                    t = self.talk(t, 30 * SEC, 3 * MIN, 0.0);
                }
            }
            Pattern::ConferenceAgentLeaves => {
                t = self.talk(t, 30 * SEC, 4 * MIN, 0.0);
                let (at, _) = self.invite(t, InviteOutcome::Accepted);
                t = self.talk(at, MIN, 5 * MIN, 0.0);
                self.maybe_outside_party(at, t);
                let first = self.primary().person.id;
                self.leave(t, &first);
                t = self.talk(t, MIN, 6 * MIN, 0.1);
            }
            Pattern::InviteRejected | Pattern::InviteTimeout | Pattern::InviteCanceled => {
                t = self.talk(t, 30 * SEC, 4 * MIN, 0.0);
                let outcome = match self.pattern {
                    Pattern::InviteRejected => InviteOutcome::Rejected,
                    Pattern::InviteTimeout => InviteOutcome::Timeout,
                    _ => InviteOutcome::Canceled,
                };
                let (at, _) = self.invite(t, outcome);
                t = at + self.between(5 * SEC, 30 * SEC);
                if self.chance(0.4) {
                    // Try someone else, who accepts.
                    let (at, _) = self.invite(t, InviteOutcome::Accepted);
                    t = at;
                }
                let from = t;
                t = self.talk(t, MIN, 6 * MIN, 0.0);
                // Only when the second invitation made a conference.
                self.maybe_outside_party(from, t);
            }
            Pattern::SupervisorListen
            | Pattern::SupervisorWhisper
            | Pattern::SupervisorBarge
            | Pattern::SupervisorTakeover => {
                t = self.talk(t, 30 * SEC, 3 * MIN, 0.0);
                let mode = match self.pattern {
                    Pattern::SupervisorListen => "listen",
                    Pattern::SupervisorWhisper => "whisper",
                    Pattern::SupervisorBarge => "barge",
                    _ => "takeover",
                };
                t = self.supervise(t, mode);
                t = self.talk(t, 30 * SEC, 5 * MIN, 0.1);
            }
        }
        self.finish(t);
    }

    fn into_output(mut self) -> CallOutput {
        // Deliveries and truth are reported in event-time order within the call.
        self.events.sort_by_key(|e| e.time_ms);
        let mut omitted: Vec<String> = std::mem::take(&mut self.omitted).into_iter().collect();
        omitted.sort();
        let engagement = TruthRow::Engagements(EngagementTruth {
            engagement_id: self.engagement_id.clone(),
            account_id: self.world.account_id.clone(),
            pattern: self.pattern.name().into(),
            direction: self.direction().into(),
            channel: "voice".into(),
            started_at: iso_ms(self.started_ms),
            ended_at: iso_ms(self.end_ms),
            agents: self.agents.iter().cloned().collect(),
            supervisors: self.supervisors.iter().cloned().collect(),
            explicit_conference_events: self.flags.explicit_conference,
            legacy_supervisor_events: self.flags.legacy_supervisor,
            omitted_events: omitted,
            event_count: u32::try_from(self.events.len()).unwrap_or(u32::MAX),
            rule: TRUTH_RULE.into(),
        });
        let mut truth = Vec::with_capacity(self.rows.len() + 1);
        truth.push(engagement);
        truth.append(&mut self.rows);
        CallOutput {
            events: self.events,
            truth,
        }
    }
}
