//! What the call went through besides its legs: the routing phases (a task created, queued,
//! taken out of its queue), agents' wrap-up, and the dispositions and notes they added. None
//! of it changes legs, conferences or derived events; it is kept for the timeline and the
//! records of the same names.

use super::{Facts, QueueB, WrapUpB, fill_str};
use crate::model::{Disposition, Note, Position};
use crate::signal::{Attrs, TaskStep};

impl Facts {
    /// The earliest routing event marks the end of the flow: of those at the same time, the
    /// first in fold order (never the lowest position, which depends on arrival).
    pub(super) fn routing_step(&mut self, at: i64, pos: Position) {
        if self.routing_began.is_none_or(|b| at < b.0) {
            self.routing_began = Some((at, pos));
        }
    }

    /// `task_created`, `task_entered_queue`, `task_exited_queue`.
    pub(super) fn on_task(
        &mut self,
        at: i64,
        pos: Position,
        step: TaskStep,
        task: &str,
        attrs: &Attrs<'_>,
    ) {
        self.routing_step(at, pos);
        match step {
            TaskStep::Created => {}
            TaskStep::EnteredQueue => {
                let same = self.queue_waits.iter_mut().rev().find(|w| {
                    w.task == task
                        && w.exited_at.is_none()
                        && (w.queue_id.is_none()
                            || attrs.queue_id.is_none()
                            || w.queue_id.as_deref() == attrs.queue_id)
                });
                if let Some(w) = same {
                    // The same entry again (another body of it).
                    w.ev.push(pos);
                    fill_str(&mut w.queue_id, attrs.queue_id);
                    fill_str(&mut w.queue_name, attrs.queue_name);
                    return;
                }
                let mut w = QueueB {
                    task: task.to_owned(),
                    queue_id: None,
                    queue_name: None,
                    entered_at: at,
                    exited_at: None,
                    ev: vec![pos],
                };
                fill_str(&mut w.queue_id, attrs.queue_id);
                fill_str(&mut w.queue_name, attrs.queue_name);
                self.queue_waits.push(w);
            }
            TaskStep::ExitedQueue => {
                let open = self
                    .queue_waits
                    .iter_mut()
                    .rev()
                    .find(|w| w.task == task && w.exited_at.is_none() && w.entered_at <= at);
                if let Some(w) = open {
                    w.exited_at = Some(at);
                    w.ev.push(pos);
                } else if let Some(w) = self
                    .queue_waits
                    .iter_mut()
                    .rev()
                    .find(|w| w.task == task && w.exited_at == Some(at))
                {
                    // The same exit again.
                    w.ev.push(pos);
                }
            }
        }
    }

    pub(super) fn on_wrap_up_started(&mut self, at: i64, pos: Position, user: &str) {
        if let Some(w) = self
            .wrap_up_spells
            .iter_mut()
            .rev()
            .find(|w| w.user == user && w.ended_at.is_none())
        {
            w.ev.push(pos);
            return;
        }
        self.wrap_up_spells.push(WrapUpB {
            user: user.to_owned(),
            started_at: at,
            ended_at: None,
            ev: vec![pos],
        });
    }

    /// Closes the agent's open wrap-up; an end with no start before it is left out.
    pub(super) fn on_wrap_up_ended(&mut self, at: i64, pos: Position, user: &str) {
        let spell =
            self.wrap_up_spells.iter_mut().rev().find(|w| {
                w.user == user && w.started_at <= at && w.ended_at.is_none_or(|e| e == at)
            });
        if let Some(w) = spell {
            w.ended_at = Some(at);
            w.ev.push(pos);
        }
    }

    pub(super) fn on_disposition(
        &mut self,
        at: i64,
        pos: Position,
        user: &Option<String>,
        id: &Option<String>,
        name: &Option<String>,
    ) {
        let same = self
            .dispositions
            .iter_mut()
            .find(|d| d.at == at && d.user_id == *user && d.disposition_id == *id);
        if let Some(d) = same {
            d.evidence.push(pos);
            if d.disposition_name.is_none() {
                d.disposition_name.clone_from(name);
            }
            return;
        }
        self.dispositions.push(Disposition {
            at,
            user_id: user.clone(),
            disposition_id: id.clone(),
            disposition_name: name.clone(),
            evidence: vec![pos],
        });
    }

    pub(super) fn on_note(
        &mut self,
        at: i64,
        pos: Position,
        user: &Option<String>,
        id: &Option<String>,
        text: &Option<String>,
    ) {
        let same = self
            .notes
            .iter_mut()
            .find(|n| n.at == at && n.user_id == *user && n.note_id == *id && n.text == *text);
        if let Some(n) = same {
            n.evidence.push(pos);
            return;
        }
        self.notes.push(Note {
            at,
            user_id: user.clone(),
            note_id: id.clone(),
            text: text.clone(),
            evidence: vec![pos],
        });
    }
}
