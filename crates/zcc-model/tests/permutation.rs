//! I4 and I7: the projection is a function of the SET of an engagement's events. Any delivery
//! order, with any duplicates, logged at any positions, gives byte-identical canonical JSON once
//! positions are mapped to the bodies they hold.

mod common;

use std::collections::BTreeMap;

use common::{Call, rule, sha};
use proptest::prelude::*;
use zcc_model::{ExplicitConferences, InputEvent, Position};

/// A busy call: hold, warm transfer, an invitation during the hand-off, a supervisor who
/// listens, barges and takes over, with several events sharing a millisecond.
fn busy() -> Call {
    let mut c = Call::inbound();
    c.started(0.0)
        .task(1.0, "T1", "Support")
        .offer(2.0, 5.0, "T1", "alice")
        .answered(5.0, "alice")
        .customer_answered(5.0)
        .hold(30.0, "alice")
        .transfer(
            30.0,
            "initiated",
            "alice",
            "T1",
            "T2",
            None,
            Some("Billing"),
            "warm",
        )
        .offer(33.0, 40.0, "T2", "bob")
        .answered(40.0, "bob")
        .transfer(
            40.0,
            "accepted",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            Some("Billing"),
            "warm",
        )
        .unhold(45.0, "alice")
        .offer(50.0, 52.0, "T3", "carol")
        .answered(52.0, "carol")
        .monitor(55.0, "sam", "bob", "listen")
        .monitor(58.0, "sam", "bob", "barge")
        .transfer(
            60.0,
            "completed",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            Some("Billing"),
            "warm",
        )
        .user_ended(60.0, "alice")
        .user_ended(70.0, "carol")
        .takeover(80.0, "sam", "bob")
        .user_ended(80.0, "bob")
        .customer_ended(120.0)
        .user_ended(120.0, "sam")
        .ended(121.0);
    c
}

/// Explicit conference events for part of a call, a canceled conference, a rejected invitation.
fn explicit() -> Call {
    let mut c = Call::inbound();
    c.started(0.0)
        .offer(2.0, 5.0, "T1", "alice")
        .answered(5.0, "alice")
        .conf(20.0, "invited", "bob", Some("alice"))
        .res(20.0, "created", "R-bob", "T2", "bob", 20.0)
        .res(25.0, "rejected", "R-bob", "T2", "bob", 20.0)
        .conf(25.0, "rejected", "bob", None)
        .conf(30.0, "invited", "carol", Some("alice"))
        .offer(30.0, 33.0, "T3", "carol")
        .answered(33.0, "carol")
        .conf(33.0, "joined", "carol", None)
        .conf(50.0, "left", "carol", None)
        .user_ended(50.0, "carol")
        .conf(60.0, "invited", "dave", Some("alice"))
        .conf_canceled(65.0)
        .customer_ended(90.0)
        .user_ended(90.0, "alice");
    c
}

/// Zoom's documented shape: a warm-invite API request, a roster that corrects a lost join,
/// an outside party, two conferences, events sharing a millisecond, and a transfer hand-off.
fn documented() -> Call {
    const C1: &str = "6f1c2b3a-0000-4000-8000-000000000001";
    const C2: &str = "6f1c2b3a-0000-4000-8000-000000000002";
    let cust = ("customer", "+14155550123");
    let mut c = Call::inbound();
    c.started(0.0)
        .offer(2.0, 5.0, "T1", "alice")
        .answered(5.0, "alice")
        .warm_invite(19.9, "alice", C1)
        .zconf(
            20.0,
            "invited",
            C1,
            Some("bob"),
            Some(&[cust, ("host", "alice")]),
        )
        .offer(20.0, 22.0, "T2", "bob")
        .answered(22.0, "bob")
        // Bob's `_joined` is lost; the outside party's roster shows him in.
        .zconf(
            25.0,
            "invited",
            C1,
            Some("+1479235161723"),
            Some(&[cust, ("host", "alice"), ("invitee", "bob")]),
        )
        .zconf(
            26.0,
            "joined",
            C1,
            Some("+1479235161723"),
            Some(&[
                cust,
                ("host", "alice"),
                ("invitee", "bob"),
                ("invitee", "+1479235161723"),
            ]),
        )
        .zconf(
            40.0,
            "left",
            C1,
            Some("+1479235161723"),
            Some(&[cust, ("host", "alice"), ("invitee", "bob")]),
        )
        .zconf(
            50.0,
            "left",
            C1,
            Some("bob"),
            Some(&[cust, ("host", "alice")]),
        )
        .user_ended(50.0, "bob")
        .zconf(
            60.0,
            "invited",
            C2,
            Some("carol"),
            Some(&[cust, ("host", "alice")]),
        )
        .offer(60.0, 61.0, "T3", "carol")
        .answered(61.0, "carol")
        .zconf(
            61.0,
            "joined",
            C2,
            Some("carol"),
            Some(&[cust, ("host", "alice"), ("invitee", "carol")]),
        )
        .zconf(
            70.0,
            "invited",
            C2,
            Some("dave"),
            Some(&[cust, ("host", "alice"), ("invitee", "carol")]),
        )
        .zconf(
            75.0,
            "timeout",
            C2,
            Some("dave"),
            Some(&[cust, ("host", "alice"), ("invitee", "carol")]),
        )
        .zconf(
            80.0,
            "left",
            C2,
            Some("carol"),
            Some(&[cust, ("host", "alice")]),
        )
        .user_ended(80.0, "carol")
        .transfer(
            90.0,
            "initiated",
            "alice",
            "T1",
            "T4",
            Some("erin"),
            None,
            "warm",
        )
        .offer(90.5, 92.0, "T4", "erin")
        .answered(92.0, "erin")
        .user_ended(94.0, "alice")
        .customer_ended(120.0)
        .user_ended(120.0, "erin")
        .ended(121.0);
    c
}

/// Lost events: no engagement_started, an accepted offer never answered, a double-fired
/// answer, no engagement_ended, a user_ended for nobody.
fn lossy() -> Call {
    let mut c = Call::inbound();
    c.offer(2.0, 5.0, "T1", "alice")
        .answered(5.0, "alice")
        .answered(5.0, "alice")
        .answered(5.3, "alice")
        .offer(20.0, 22.0, "T2", "bob")
        .hold(30.0, "alice")
        .hold(30.5, "alice")
        .unhold(31.0, "alice")
        .user_ended(40.0, "zed")
        .customer_ended(60.0);
    c
}

/// The phases around the legs: the flow, a queue wait, an offer that timed out and one that
/// was rejected before one was accepted, a cold transfer through a second queue, wrap-ups
/// (one repeated at another millisecond, one never ended), dispositions and notes, some
/// sharing a millisecond with the events around them.
fn phases() -> Call {
    let mut c = Call::inbound();
    c.started(0.0)
        .task(12.0, "T1", "Support")
        .queue(12.0, "entered", "T1", "Support")
        .res(30.0, "created", "R1", "T1", "alice", 30.0)
        .queue(30.0, "exited", "T1", "Support")
        .res(48.0, "timeout", "R1", "T1", "alice", 30.0)
        .res(48.5, "created", "R2", "T1", "bob", 48.5)
        .res(52.0, "rejected", "R2", "T1", "bob", 48.5)
        .offer(53.0, 58.0, "T1", "carol")
        .answered(58.0, "carol")
        .note(90.0, "carol", "N1", "Customer asked about the invoice.")
        .transfer(
            120.0,
            "initiated",
            "carol",
            "T1",
            "T2",
            None,
            Some("Billing"),
            "cold",
        )
        .queue(120.5, "entered", "T2", "Billing")
        .user_ended(121.0, "carol")
        .wrap_up(121.0, "carol")
        .wrap_up(121.2, "carol")
        .disposition(140.0, "carol", "D1", "Transferred")
        .note(140.0, "carol", "N2", "Sent to billing.")
        .wrap_up_ended(150.0, "carol")
        .queue(160.0, "exited", "T2", "Billing")
        .offer(160.0, 165.0, "T2", "dave")
        .answered(165.0, "dave")
        .customer_ended(300.0)
        .user_ended(300.0, "dave")
        .wrap_up(300.0, "dave")
        .disposition(320.0, "dave", "D2", "Resolved")
        .ended(301.0);
    c
}

/// Project `events` and render it with every position replaced by its body's hash rank.
fn canonical(events: &[InputEvent], params: &[&str], explicit: ExplicitConferences) -> Vec<u8> {
    let mut hashes: Vec<[u8; 32]> = events.iter().map(|e| e.body_sha256).collect();
    hashes.sort();
    hashes.dedup();
    let by_pos: BTreeMap<Position, Position> = events
        .iter()
        .map(|e| {
            let rank = hashes.binary_search(&e.body_sha256).expect("present") as i64;
            (e.position, Position(rank))
        })
        .collect();
    let mut p = rule("correlated", params).project_with(events, explicit);
    p.remap_evidence(|pos| by_pos[&pos]);
    p.to_canonical_json()
}

/// Deliver `bodies` in `order`, then the `dups` again; position = arrival number.
fn deliver<'a>(bodies: &'a [String], order: &[usize], dups: &[usize]) -> Vec<InputEvent<'a>> {
    let arrivals: Vec<&'a String> = order
        .iter()
        .chain(dups.iter())
        .map(|&i| &bodies[i])
        .collect();
    arrivals
        .iter()
        .enumerate()
        .map(|(n, b)| InputEvent::read(Position(n as i64 + 1), sha(b), b).expect("parses"))
        .collect()
}

fn scenario() -> impl Strategy<Value = (usize, Vec<usize>, Vec<usize>)> {
    let calls = [busy(), explicit(), lossy(), documented(), phases()];
    let sizes: Vec<usize> = calls.iter().map(|c| c.bodies.len()).collect();
    (0..calls.len()).prop_flat_map(move |k| {
        let n = sizes[k];
        (
            Just(k),
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            prop::collection::vec(0..n, 0..8),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_order_with_any_duplicates_gives_the_same_bytes((k, order, dups) in scenario()) {
        let call = vec![busy(), explicit(), lossy(), documented(), phases()].swap_remove(k);
        let n = call.bodies.len();
        let written: Vec<usize> = (0..n).collect();
        for (params, explicit) in [
            (&[][..], ExplicitConferences::Use),
            (&[][..], ExplicitConferences::Hide),
            (&["handoff_grace_ms=0"][..], ExplicitConferences::Use),
        ] {
            let want = canonical(&deliver(&call.bodies, &written, &[]), params, explicit);
            let got = canonical(&deliver(&call.bodies, &order, &dups), params, explicit);
            prop_assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
    }
}

#[test]
fn the_busy_call_is_what_its_definitions_say() {
    // The permutation property is only as good as the projection it preserves.
    let p = rule("correlated", &[]).project(&busy().events());
    let confs: Vec<(i64, Option<i64>, Vec<String>)> = p
        .conferences
        .iter()
        .map(|c| {
            (
                c.started_at - common::T0,
                c.ended_at.map(|e| e - common::T0),
                c.participants.clone(),
            )
        })
        .collect();
    // Carol's invitation during Alice->Bob's hand-off makes a conference until Carol leaves.
    assert_eq!(
        confs,
        vec![(
            52_000,
            Some(70_000),
            vec!["alice".into(), "bob".into(), "carol".into()]
        )]
    );
    assert_eq!(p.supervision.len(), 3);
    assert!(
        p.legs
            .iter()
            .any(|l| l.user_id.as_deref() == Some("sam") && l.via == zcc_model::Via::Takeover)
    );
}

#[test]
fn the_phases_call_keeps_its_flow_queues_offers_wrap_ups_dispositions_and_notes() {
    use zcc_model::{OfferOutcome, PhaseKind};
    let p = rule("correlated", &[]).project(&phases().events());
    let at = |t: i64| t - common::T0;
    let phases: Vec<(PhaseKind, Option<&str>, i64, Option<i64>)> = p
        .phases
        .iter()
        .map(|x| {
            (
                x.kind,
                x.name.as_deref(),
                at(x.started_at),
                x.ended_at.map(at),
            )
        })
        .collect();
    assert_eq!(
        phases,
        vec![
            (PhaseKind::Flow, Some("Main IVR"), 0, Some(12_000)),
            (PhaseKind::Queue, Some("Support"), 12_000, Some(30_000)),
            (PhaseKind::Queue, Some("Billing"), 120_500, Some(160_000)),
        ]
    );
    let offers: Vec<(&str, OfferOutcome, i64, Option<i64>)> = p
        .offers
        .iter()
        .map(|o| {
            (
                o.user_id.as_deref().unwrap(),
                o.outcome,
                at(o.offered_at),
                o.outcome_at.map(at),
            )
        })
        .collect();
    assert_eq!(
        offers,
        vec![
            ("alice", OfferOutcome::Timeout, 30_000, Some(48_000)),
            ("bob", OfferOutcome::Rejected, 48_500, Some(52_000)),
            ("carol", OfferOutcome::Accepted, 53_000, Some(58_000)),
            ("dave", OfferOutcome::Accepted, 160_000, Some(165_000)),
        ]
    );
    assert_eq!(p.offers[0].queue_name.as_deref(), Some("Support"));
    let wraps: Vec<(&str, i64, Option<i64>, usize)> = p
        .wrap_ups
        .iter()
        .map(|w| {
            (
                w.user_id.as_str(),
                at(w.started_at),
                w.ended_at.map(at),
                w.evidence.len(),
            )
        })
        .collect();
    assert_eq!(
        wraps,
        vec![
            ("carol", 121_000, Some(150_000), 3),
            ("dave", 300_000, None, 1)
        ]
    );
    let dispositions: Vec<(&str, &str, i64)> = p
        .dispositions
        .iter()
        .map(|d| {
            (
                d.user_id.as_deref().unwrap(),
                d.disposition_name.as_deref().unwrap(),
                at(d.at),
            )
        })
        .collect();
    assert_eq!(
        dispositions,
        vec![
            ("carol", "Transferred", 140_000),
            ("dave", "Resolved", 320_000)
        ]
    );
    let notes: Vec<(&str, i64)> = p
        .notes
        .iter()
        .map(|n| (n.text.as_deref().unwrap(), at(n.at)))
        .collect();
    assert_eq!(
        notes,
        vec![
            ("Customer asked about the invoice.", 90_000),
            ("Sent to billing.", 140_000)
        ]
    );
    // The customer was connected when the first agent answered (no consumer_answered), not
    // during the flow and the queue.
    let customer = p
        .legs
        .iter()
        .find(|l| l.party == zcc_model::Party::Customer)
        .unwrap();
    assert_eq!(at(customer.joined_at), 58_000);
    // Every record cites evidence.
    assert!(p.phases.iter().all(|x| !x.evidence.is_empty()));
    assert!(p.offers.iter().all(|x| !x.evidence.is_empty()));
}

/// A conference as the documented call's check reads it: start and end (from the call's
/// start), agents, outside parties, and whether an API request started it.
type ConfView = (i64, Option<i64>, Vec<String>, Vec<String>, bool);

#[test]
fn the_documented_call_is_what_its_definitions_say() {
    let p = rule("correlated", &[]).project(&documented().events());
    let confs: Vec<ConfView> = p
        .conferences
        .iter()
        .map(|c| {
            (
                c.started_at - common::T0,
                c.ended_at.map(|e| e - common::T0),
                c.participants.clone(),
                c.external_participants.clone(),
                c.api_call.is_some(),
            )
        })
        .collect();
    assert_eq!(
        confs,
        vec![
            (
                22_000,
                Some(50_000),
                vec!["alice".into(), "bob".into()],
                vec!["+1479235161723".into()],
                true
            ),
            (
                61_000,
                Some(80_000),
                vec!["alice".into(), "carol".into()],
                vec![],
                false
            ),
        ]
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn canonical_json_reads_back_to_the_same_bytes() {
    for call in [busy(), explicit(), lossy(), documented(), phases()] {
        let p = rule("correlated", &[]).project(&call.events());
        let bytes = p.to_canonical_json();
        let back = zcc_model::CallProjection::from_canonical_json(&bytes).expect("reads back");
        assert_eq!(back, p);
        assert_eq!(back.to_canonical_json(), bytes);
    }
}
