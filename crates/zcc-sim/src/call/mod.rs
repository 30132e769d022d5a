//! One call: a pattern played out as Zoom's webhook bodies plus the truth about it. This module
//! holds the call's state, its building blocks (routing, legs, holds), openings, endings and the
//! patterns; `render` the shared field sets, `zoom` the documented conference events, and
//! `transfer`, `invite` and `supervise` the scenarios of those names.
//!
//! The sequences are documented in docs/SIMULATOR.md, with which parts come from research and
//! which are guesses. Times are milliseconds since the Unix epoch.

mod invite;
mod render;
mod supervise;
mod transfer;
mod wrap;
mod zoom;

use std::collections::BTreeSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::ids::{b64_id, e164, hex_id, iso_ms};
use crate::json::Obj;
use crate::truth::{
    ConferenceTruth, EngagementTruth, HoldTruth, SupervisionTruth, TRUTH_RULE, TruthRow,
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
    /// An after-call annotation (disposition, note): drawn, and delivered, from streams of its
    /// own (see [`wrap`]).
    pub annotation: bool,
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
    /// The after-call annotations' own generator, seeded from the engagement id, so that
    /// adding them drew nothing from `rng` and every other body stayed as it was.
    annotation_rng: ChaCha8Rng,
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
    let engagement_id = b64_id(rng);
    let annotation_rng = wrap::annotation_rng(&engagement_id);
    let mut call = Call {
        engagement_id,
        annotation_rng,
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
        self.after_call_work(&leg, wrap_start, wrap_end);
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
