//! Zoom's documented conference events: one `conference_id`, rosters, subjects.

use rand::Rng;

use super::{Call, Leg, Member, SEC, Subject, ZoomConference};
use crate::ConferenceShape;
use crate::ids::{b64_id, e164, iso_ms, odd_phone, uuid_v4};
use crate::json::Obj;
use crate::world::{Person, person_name};

impl<R: Rng> Call<'_, R> {
    /// Whether this call's explicit conference events are in the documented shape.
    pub(super) fn documented(&self) -> bool {
        self.flags.explicit_conference && self.flags.conference_shape == ConferenceShape::Documented
    }

    /// `conference_participants[]`: the roster now. The customer (while connected), the host
    /// (while connected), then everyone who joined and has not left, in join order.
    pub(super) fn roster_json(&self, customer: bool) -> String {
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
    pub(super) fn zoom_event(
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
    pub(super) fn zoom_open(&mut self, t: i64, inviter: &Leg) {
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
    pub(super) fn zoom_leave(&mut self, t: i64, user_id: &str, customer: bool) {
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
    pub(super) fn maybe_outside_party(&mut self, from: i64, to: i64) {
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
}
