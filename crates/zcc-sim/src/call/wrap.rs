//! After-call work: what an agent records about the call during wrap-up, as
//! `engagement_disposition_added` and `engagement_note_added` (field sets and order from
//! Zoom's examples).
//!
//! These were added to the simulator after its other events. They draw from a generator of
//! their own (seeded from the engagement id) and are delivered with faults drawn from another
//! (see `Generator::play_next_call`), so every other body, time and delivery of a seed is what
//! it was before them.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Call, Ev, Leg, SEC};
use crate::ids::{b64_id, iso_ms};
use crate::json::Obj;

/// Mixed into the seed of a call's annotation generator.
const ANNOTATION_SEED: u64 = 0xA77E_0DD5_2026_0C0D;

/// The annotation generator of the call `engagement_id` (FNV-1a of the id: stable across
/// platforms and Rust versions, and it draws nothing from the call's generator).
pub(super) fn annotation_rng(engagement_id: &str) -> ChaCha8Rng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in engagement_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(h ^ ANNOTATION_SEED)
}

/// The account's dispositions: (id, name, description). Fixed, like a real account's set.
const DISPOSITIONS: &[(&str, &str, &str)] = &[
    (
        "dQ1kR3vTSx6mN0pWq8yZbA",
        "Resolved",
        "The customer's request was resolved.",
    ),
    (
        "Hk2LmZ9xQ0aB7cD3eF5gHi",
        "Follow-up needed",
        "Someone must call the customer back.",
    ),
    (
        "pR8sT1uV2wX3yZ4aB5cD6e",
        "Escalated",
        "Handed to a specialist team.",
    ),
    (
        "Jm4Nn5Oo6Pp7Qq8Rr9Ss0t",
        "Billing question",
        "A question about an invoice or a payment.",
    ),
    (
        "Wx1Yy2Zz3Aa4Bb5Cc6Dd7e",
        "Wrong number",
        "The caller meant to reach someone else.",
    ),
];

/// What agents write in a note.
const NOTES: &[&str] = &[
    "Customer asked for a copy of the last invoice by email.",
    "Reset the account password; customer confirmed access.",
    "Call back tomorrow morning with the repair date.",
    "Customer unhappy with the waiting time; offered a discount.",
    "Explained the new plan's terms; no change made.",
];

/// The admin who last edited the disposition set (`modified_by`).
const DISPOSITION_EDITOR: &str = "tA7bC8dE9fG0hI1jK2lM3n";

/// `2026-05-04T14:00:25Z`: seconds, as Zoom writes `last_modified_time`.
fn iso_seconds(ms: i64) -> String {
    let full = iso_ms(ms);
    match full.get(..19) {
        Some(head) => format!("{head}Z"),
        None => full,
    }
}

impl<R: Rng> Call<'_, R> {
    /// During `leg`'s wrap-up (`from` to `to`): most agents choose a disposition, some write
    /// a note.
    pub(super) fn after_call_work(&mut self, leg: &Leg, from: i64, to: i64) {
        let latest = (to - SEC).max(from + 1);
        let rng = &mut self.annotation_rng;
        let disposition = rng.random_bool(0.8).then(|| {
            let at = from + rng.random_range(SEC.min(latest - from)..=latest - from);
            (at, DISPOSITIONS[rng.random_range(0..DISPOSITIONS.len())])
        });
        let note = rng.random_bool(0.3).then(|| {
            let at = from + rng.random_range(0..=latest - from);
            (at, b64_id(rng), NOTES[rng.random_range(0..NOTES.len())])
        });
        if let Some((at, (id, name, description))) = disposition {
            let mut o = Obj::new();
            o.s("disposition_id", id)
                .s("disposition_name", name)
                .s("disposition_description", description)
                .s("status", "active")
                .s("last_modified_time", "2026-01-12T09:30:00Z")
                .s("modified_by", DISPOSITION_EDITOR);
            self.annotation_fields(&mut o, leg, at);
            self.emit_annotation(at, "engagement_disposition_added", &o.finish());
        }
        if let Some((at, note_id, text)) = note {
            let mut o = Obj::new();
            o.s("note_id", &note_id)
                .s("note", text)
                .s("last_modified_time", &iso_seconds(at));
            self.annotation_fields(&mut o, leg, at);
            self.emit_annotation(at, "engagement_note_added", &o.finish());
        }
    }

    /// As [`Call::emit`], with the `event_ts` skew drawn from the annotation generator.
    fn emit_annotation(&mut self, time_ms: i64, event: &str, object: &str) {
        let rng = &mut self.annotation_rng;
        let skew = if rng.random_bool(0.35) {
            0
        } else {
            rng.random_range(1..=250)
        };
        let body = self.envelope(time_ms + skew, event, object);
        self.events.push(Ev {
            time_ms,
            body,
            annotation: true,
        });
    }

    /// The channel, engagement, queue, flow, agent and customer fields both events carry.
    fn annotation_fields(&self, o: &mut Obj, leg: &Leg, at: i64) {
        let flow = &self.world.flows[self.flow];
        let q = &self.world.queues[leg.queue];
        o.s("channel", "voice")
            .s("engagement_id", &self.engagement_id)
            .s("engagement_direction", self.direction())
            .s("cc_queue_id", &q.id)
            .s("queue_name", &q.name)
            .s("flow_id", &flow.id)
            .s("flow_name", &flow.name)
            .s("flow_number", &self.flow_number())
            .s("user_id", &leg.person.id)
            .s("user_display_name", &leg.person.name)
            .s("consumer_id", &self.consumer_id)
            .s("consumer_display_name", &self.consumer_name)
            .s("consumer_number", &self.consumer_number)
            .s("date_time_ms", &iso_ms(at));
    }
}
