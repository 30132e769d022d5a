//! Conferences from presences: a sweep over time that counts the agents on the call with the
//! customer, where agents joined by a hand-off edge count once.

use std::collections::BTreeSet;

use crate::fold::{Facts, LegB, Link};
use crate::model::{ConferenceSource, Position, Via};

/// The customer's presence as the sweep takes it: (from, to, evidence of leaving).
pub(crate) type CustomerSpan<'a> = Option<(i64, Option<i64>, &'a [Position])>;

/// One agent's presence, as a conference sees it.
#[derive(Debug, Clone)]
pub(crate) struct Presence {
    pub user: String,
    pub from: i64,
    pub to: Option<i64>,
    pub join_ev: Vec<Position>,
    pub leave_ev: Vec<Position>,
    pub invited_by: Option<String>,
}

/// A conference with what happened inside it, for the derived events.
#[derive(Debug, Clone)]
pub(crate) struct ConfOut {
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub participants: Vec<String>,
    pub initiated_by: Option<String>,
    pub source: ConferenceSource,
    pub evidence: Vec<Position>,
    pub start_users: Vec<String>,
    pub start_ev: Vec<Position>,
    pub end_users: Vec<String>,
    pub end_ev: Vec<Position>,
    /// (time, user, evidence) of agents joining while it was on.
    pub joined: Vec<(i64, String, Vec<Position>)>,
    /// (time, user, evidence) of agents leaving while it stayed on.
    pub left: Vec<(i64, String, Vec<Position>)>,
    pub conference_id: Option<String>,
    pub external_participants: Vec<String>,
    pub api_call: Option<crate::model::ApiCall>,
}

fn present(p: &Presence, t: i64) -> bool {
    p.from <= t && p.to.is_none_or(|e| e > t)
}

fn find(parent: &mut [usize], x: usize) -> usize {
    let mut r = x;
    while parent[r] != r {
        r = parent[r];
    }
    let mut c = x;
    while parent[c] != r {
        let n = parent[c];
        parent[c] = r;
        c = n;
    }
    r
}

/// Conference periods: while the customer is connected and the agents present form at least two
/// groups (an edge `(i, j)` puts presences `i` and `j` in one group while both are present).
pub(crate) fn sweep(
    presences: &[Presence],
    edges: &[(usize, usize)],
    customer: CustomerSpan<'_>,
    source: ConferenceSource,
) -> Vec<ConfOut> {
    let Some((c_from, c_to, c_leave_ev)) = customer else {
        return Vec::new();
    };
    let ps: Vec<&Presence> = presences
        .iter()
        .filter(|p| p.to.is_none_or(|t| t > p.from))
        .collect();
    let idx: Vec<usize> = presences
        .iter()
        .enumerate()
        .filter(|(_, p)| p.to.is_none_or(|t| t > p.from))
        .map(|(i, _)| i)
        .collect();
    let bounds = boundaries(&ps, c_from, c_to);
    let customer_on = |t: i64| c_from <= t && c_to.is_none_or(|e| e > t);

    // For each elementary interval, whether a conference is on and who is present.
    let mut out: Vec<ConfOut> = Vec::new();
    let mut open: Option<ConfOut> = None;
    let mut prev_present: Vec<usize> = Vec::new();
    for (bi, &t) in bounds.iter().enumerate() {
        let now: Vec<usize> = (0..ps.len()).filter(|&i| present(ps[i], t)).collect();
        let groups = group_count(ps.len(), &idx, edges, &now);
        let on = customer_on(t) && groups >= 2;
        let last = bi + 1 == bounds.len();
        match (&mut open, on) {
            (None, true) => open = Some(start(&ps, &now, t, source)),
            (Some(c), true) => track(c, &ps, &now, &prev_present, t),
            (Some(c), false) => {
                let mut end_ev: Vec<Position> = Vec::new();
                for &i in &prev_present {
                    if !now.contains(&i) {
                        end_ev.extend(&ps[i].leave_ev);
                    }
                }
                if !customer_on(t) {
                    end_ev.extend(c_leave_ev);
                }
                c.ended_at = Some(t);
                c.end_users = users(&ps, &prev_present);
                c.evidence.extend(&end_ev);
                c.end_ev = end_ev;
                out.push(open.take().expect("matched Some"));
            }
            (None, false) => {}
        }
        if last && let Some(c) = &mut open {
            c.end_users = users(&ps, &now);
        }
        prev_present = now;
    }
    if let Some(c) = open.take() {
        out.push(c);
    }
    for c in &mut out {
        c.participants.sort();
        c.participants.dedup();
        c.evidence.sort_unstable();
        c.evidence.dedup();
    }
    out
}

/// The sweep's instants: every presence's bounds and the customer's, in order.
fn boundaries(ps: &[&Presence], c_from: i64, c_to: Option<i64>) -> Vec<i64> {
    let mut bounds: BTreeSet<i64> = BTreeSet::new();
    for p in ps {
        bounds.insert(p.from);
        if let Some(t) = p.to {
            bounds.insert(t);
        }
    }
    bounds.insert(c_from);
    if let Some(t) = c_to {
        bounds.insert(t);
    }
    bounds.into_iter().collect()
}

/// How many groups the presences `now` form: two present at once and joined by an edge (`idx`
/// maps an edge's presence numbers to the sweep's) are one group.
fn group_count(count: usize, idx: &[usize], edges: &[(usize, usize)], now: &[usize]) -> usize {
    let mut parent: Vec<usize> = (0..count).collect();
    for &(a, b) in edges {
        let (Some(a), Some(b)) = (
            idx.iter().position(|&x| x == a),
            idx.iter().position(|&x| x == b),
        ) else {
            continue;
        };
        if now.contains(&a) && now.contains(&b) {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            parent[ra] = rb;
        }
    }
    let groups: BTreeSet<usize> = now.iter().map(|&i| find(&mut parent, i)).collect();
    groups.len()
}

/// The users of a set of presences, sorted, each once.
fn users(ps: &[&Presence], set: &[usize]) -> Vec<String> {
    let s: BTreeSet<String> = set.iter().map(|&i| ps[i].user.clone()).collect();
    s.into_iter().collect()
}

/// A conference starting at `t` with the presences `now`; whoever arrived at `t` by
/// invitation names who initiated it.
fn start(ps: &[&Presence], now: &[usize], t: i64, source: ConferenceSource) -> ConfOut {
    let starters: Vec<usize> = now.iter().copied().filter(|&i| ps[i].from == t).collect();
    let mut initiated_by: Vec<&String> = starters
        .iter()
        .filter_map(|&i| ps[i].invited_by.as_ref())
        .collect();
    initiated_by.sort();
    let mut start_ev: Vec<Position> = Vec::new();
    for &i in now {
        start_ev.extend(&ps[i].join_ev);
    }
    ConfOut {
        started_at: t,
        ended_at: None,
        participants: users(ps, now),
        initiated_by: initiated_by.first().map(|s| (*s).clone()),
        source,
        evidence: start_ev.clone(),
        start_users: users(ps, now),
        start_ev,
        end_users: Vec::new(),
        end_ev: Vec::new(),
        joined: Vec::new(),
        left: Vec::new(),
        conference_id: None,
        external_participants: Vec::new(),
        api_call: None,
    }
}

/// Who joined and who left a conference that goes on at `t`.
fn track(c: &mut ConfOut, ps: &[&Presence], now: &[usize], prev_present: &[usize], t: i64) {
    for &i in now {
        if !prev_present.contains(&i) {
            c.joined
                .push((t, ps[i].user.clone(), ps[i].join_ev.clone()));
            c.evidence.extend(&ps[i].join_ev);
            c.participants.push(ps[i].user.clone());
        }
    }
    for &i in prev_present {
        if !now.contains(&i) {
            c.left.push((t, ps[i].user.clone(), ps[i].leave_ev.clone()));
            c.evidence.extend(&ps[i].leave_ev);
        }
    }
}

/// Agent legs as presences, with the hand-off edges of SPEC 5: a transfer's target with the
/// transferring agent, a takeover's supervisor with the agent taken over, and (when
/// `handoff_grace_ms > 0`) any two agents neither invited whose overlap ends within the grace.
pub(crate) fn leg_presences(
    facts: &Facts,
    handoff_grace_ms: Option<i64>,
) -> (Vec<Presence>, Vec<usize>, Vec<(usize, usize)>) {
    let legs: Vec<(usize, &LegB)> = facts
        .legs
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.dropped && l.party == crate::model::Party::Agent && l.user.is_some())
        .collect();
    let presences: Vec<Presence> = legs
        .iter()
        .map(|(_, l)| Presence {
            user: l.user.clone().unwrap_or_default(),
            from: l.joined_at,
            to: l.left_at,
            join_ev: l.join_ev.clone(),
            leave_ev: l.leave_ev.clone(),
            invited_by: match l.link {
                Link::Invitation(i) | Link::ExplicitInvitation(i) => {
                    facts.invitations[i].by.clone()
                }
                _ => None,
            },
        })
        .collect();
    let leg_index: Vec<usize> = legs.iter().map(|(i, _)| *i).collect();
    let Some(grace) = handoff_grace_ms else {
        return (presences, leg_index, Vec::new());
    };
    let mut edges = Vec::new();
    for (a, (_, la)) in legs.iter().enumerate() {
        // Partners named by the link.
        let partner_user: Option<Option<&String>> = match &la.link {
            Link::Transfer(t) => Some(facts.transfers[*t].facts.from_user.as_ref()),
            Link::Takeover(agent) => Some(agent.as_ref()),
            _ => None,
        };
        if let Some(partner) = partner_user {
            for (b, (_, lb)) in legs.iter().enumerate() {
                if a == b || !lb.overlaps(la.joined_at, la.left_at) {
                    continue;
                }
                let named = match partner {
                    Some(u) => lb.user.as_ref() == Some(u),
                    // No transferring agent named: whoever was on when the target arrived.
                    None => lb.is_open_at(la.joined_at) && lb.via != Via::ConferenceInvitation,
                };
                if named {
                    edges.push((a, b));
                }
            }
        }
        if grace > 0 && la.via != Via::ConferenceInvitation {
            for (b, (_, lb)) in legs.iter().enumerate().skip(a + 1) {
                if lb.via == Via::ConferenceInvitation || lb.user == la.user {
                    continue;
                }
                let from = la.joined_at.max(lb.joined_at);
                let to = match (la.left_at, lb.left_at) {
                    (Some(x), Some(y)) => x.min(y),
                    (Some(x), None) | (None, Some(x)) => x,
                    (None, None) => continue,
                };
                if to > from && to - from <= grace {
                    edges.push((a, b));
                }
            }
        }
    }
    (presences, leg_index, edges)
}
