//! The first pass: transfers, folded before anything else so a reservation can be matched to
//! a transfer's target task whatever the order of their event times.

use super::{Facts, TransferB, fill_facts};
use crate::model::{Position, TransferOutcome};
use crate::signal::{TransferFacts, TransferStep};

impl Facts {
    pub(super) fn find_transfer(&self, step: TransferStep, facts: &TransferFacts) -> Option<usize> {
        if let Some(tt) = &facts.to_task {
            return self
                .transfers
                .iter()
                .position(|t| t.facts.to_task.as_ref() == Some(tt));
        }
        if step == TransferStep::Initiated {
            return None;
        }
        let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        self.transfers.iter().rposition(|t| {
            !t.finished()
                && t.facts.to_task.is_none()
                && same(&t.facts.task, &facts.task)
                && same(&t.facts.from_user, &facts.from_user)
        })
    }

    pub(super) fn on_transfer(
        &mut self,
        at: i64,
        pos: Position,
        step: TransferStep,
        facts: &TransferFacts,
    ) {
        let idx = match self.find_transfer(step, facts) {
            Some(i) => i,
            None => {
                self.transfers.push(TransferB {
                    facts: TransferFacts::default(),
                    started_at: at,
                    accepted_at: None,
                    outcome: TransferOutcome::Unknown,
                    outcome_at: None,
                    start_ev: Vec::new(),
                    accept_ev: Vec::new(),
                    outcome_ev: Vec::new(),
                    other_ev: Vec::new(),
                });
                self.transfers.len() - 1
            }
        };
        let t = &mut self.transfers[idx];
        fill_facts(&mut t.facts, facts);
        match step {
            TransferStep::Initiated => {
                if t.start_ev.is_empty() {
                    t.started_at = at;
                }
                t.start_ev.push(pos);
            }
            TransferStep::Queued | TransferStep::Reserved => t.other_ev.push(pos),
            TransferStep::Accepted => {
                t.accepted_at.get_or_insert(at);
                t.accept_ev.push(pos);
                if t.outcome == TransferOutcome::Unknown || t.outcome.is_failure() {
                    t.outcome = TransferOutcome::Accepted;
                    t.outcome_at = Some(at);
                }
            }
            TransferStep::Rejected | TransferStep::Timeout | TransferStep::Canceled => {
                t.outcome_ev.push(pos);
                if t.outcome != TransferOutcome::Completed {
                    t.outcome = match step {
                        TransferStep::Rejected => TransferOutcome::Rejected,
                        TransferStep::Timeout => TransferOutcome::Timeout,
                        _ => TransferOutcome::Canceled,
                    };
                    t.outcome_at = Some(at);
                }
            }
            TransferStep::Completed => {
                t.outcome_ev.push(pos);
                if t.outcome != TransferOutcome::Completed {
                    t.outcome = TransferOutcome::Completed;
                    t.outcome_at = Some(at);
                }
            }
        }
        // A transfer first seen through a later step starts at its earliest event.
        if t.start_ev.is_empty() && at < t.started_at {
            t.started_at = at;
        }
    }
}
