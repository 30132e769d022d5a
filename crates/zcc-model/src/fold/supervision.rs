//! Supervisors: monitoring sessions (listen, whisper, barge) and takeovers.

use super::{Facts, LegB, Link, SupB};
use crate::model::{Party, Position, SupervisionMode, Via};

/// How close to a change of mode a `monitor_ended` naming the mode that was left must come to be
/// that change's own notice rather than the end of the session that followed it.
const SWITCH_NOTICE_MS: i64 = 2_000;

impl Facts {
    pub(super) fn on_monitor(
        &mut self,
        at: i64,
        pos: Position,
        supervisor: &str,
        name: &Option<String>,
        agent: &Option<String>,
        mode: SupervisionMode,
    ) {
        // A supervisor's own answer that arrived first was taken for an unknown agent: undo it.
        if let Some(i) = self.open_leg(supervisor)
            && self.legs[i].via == Via::Unknown
        {
            self.legs[i].dropped = true;
        }
        if let Some(i) = self.open_sup(supervisor) {
            if self.supervision[i].mode == mode {
                self.supervision[i].start_ev.push(pos);
                return;
            }
            let s = &mut self.supervision[i];
            s.ended_at = Some(at);
            s.end_ev.push(pos);
        }
        self.supervision.push(SupB {
            supervisor: supervisor.to_owned(),
            name: name.clone(),
            agent: agent.clone(),
            mode,
            started_at: at,
            ended_at: None,
            start_ev: vec![pos],
            end_ev: Vec::new(),
            leg: None,
        });
    }

    /// A monitoring session ends. Zoom keeps one session per supervisor and a change of mode
    /// starts the next one; a `monitor_ended` that names the mode just left, at that change,
    /// is the change's notice: it joins the evidence of the session the change ended, and the
    /// session that followed stays open. Any other ends the supervisor's open session.
    pub(super) fn on_monitor_ended(
        &mut self,
        at: i64,
        pos: Position,
        supervisor: &Option<String>,
        mode: Option<&SupervisionMode>,
    ) {
        let open: Vec<usize> = (0..self.supervision.len())
            .filter(|&i| {
                let s = &self.supervision[i];
                s.ended_at.is_none()
                    && s.mode != SupervisionMode::Takeover
                    && supervisor.as_ref().is_none_or(|u| &s.supervisor == u)
            })
            .collect();
        for i in open {
            if let Some(left) = mode.and_then(|m| self.switched_from(i, m, at)) {
                self.supervision[left].end_ev.push(pos);
                continue;
            }
            let s = &mut self.supervision[i];
            s.ended_at = Some(at);
            s.end_ev.push(pos);
        }
    }

    /// The session of mode `mode` that a change of mode ended when open session `i` began, if
    /// that change came within [`SWITCH_NOTICE_MS`] of `at`.
    fn switched_from(&self, i: usize, mode: &SupervisionMode, at: i64) -> Option<usize> {
        let next = &self.supervision[i];
        if &next.mode == mode || (at - next.started_at).abs() > SWITCH_NOTICE_MS {
            return None;
        }
        self.supervision.iter().position(|s| {
            s.supervisor == next.supervisor
                && &s.mode == mode
                && s.ended_at == Some(next.started_at)
        })
    }

    pub(super) fn on_takeover(
        &mut self,
        at: i64,
        pos: Position,
        supervisor: &str,
        name: &Option<String>,
        agent: &Option<String>,
    ) {
        if let Some(s) = self.supervision.iter_mut().rev().find(|s| {
            s.supervisor == supervisor
                && s.mode == SupervisionMode::Takeover
                && s.ended_at.is_none()
        }) {
            s.start_ev.push(pos);
            return;
        }
        if let Some(i) = self.open_sup(supervisor) {
            let s = &mut self.supervision[i];
            s.ended_at = Some(at);
            s.end_ev.push(pos);
        }
        let leg = match self.open_leg(supervisor) {
            Some(i) => {
                let l = &mut self.legs[i];
                l.via = Via::Takeover;
                l.link = Link::Takeover(agent.clone());
                l.other_ev.push(pos);
                i
            }
            None => {
                self.legs.push(LegB {
                    party: Party::Agent,
                    user: Some(supervisor.to_owned()),
                    name: name.clone(),
                    joined_at: at,
                    left_at: None,
                    via: Via::Takeover,
                    link: Link::Takeover(agent.clone()),
                    task: None,
                    join_ev: vec![pos],
                    leave_ev: Vec::new(),
                    other_ev: Vec::new(),
                    dropped: false,
                });
                self.legs.len() - 1
            }
        };
        self.supervision.push(SupB {
            supervisor: supervisor.to_owned(),
            name: name.clone(),
            agent: agent.clone(),
            mode: SupervisionMode::Takeover,
            started_at: at,
            ended_at: None,
            start_ev: vec![pos],
            end_ev: Vec::new(),
            leg: Some(leg),
        });
    }
}
