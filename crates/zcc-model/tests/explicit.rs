//! Zoom's documented conference events (2026): conferences built from rosters and subjects, how
//! a later roster corrects a lost event, several conferences, outside parties, a hand-off next
//! to a conference, and partial evidence. Each case is written from SPEC 5's definitions.

mod common;

use common::{Call, check, closing, opening, render, render_derived, rule};
use zcc_model::{CallProjection, ExplicitConferences};

const C1: &str = "cc2bc81c-f6fe-4445-89c2-21a04994fb3d";
const C2: &str = "5b2e7a4e-9d7c-4a51-8c5e-1f0d2b3c4d5e";
const CUSTOMER: (&str, &str) = ("customer", "+14155550123");

fn correlated(c: &Call) -> CallProjection {
    rule("correlated", &[]).project(&c.events())
}

fn golden(p: &CallProjection, expected: &str) {
    check(&format!("{}--\n{}", render(p), render_derived(p)), expected);
}

fn model_only(p: &CallProjection, expected: &str) {
    check(&render(p), expected);
}

/// Alice invites Bob into conference `C1`; Bob's leg connects at 32, Zoom's `_joined` follows.
fn bob_joins(c: &mut Call) -> &mut Call {
    c.zconf(
        30.0,
        "invited",
        C1,
        Some("bob"),
        Some(&[CUSTOMER, ("host", "alice")]),
    )
    .offer(30.5, 32.0, "T2", "bob")
    .answered(32.0, "bob")
    .zconf(
        32.1,
        "joined",
        C1,
        Some("bob"),
        Some(&[CUSTOMER, ("host", "alice"), ("invitee", "bob")]),
    )
}

#[test]
fn documented_events_make_an_explicit_conference() {
    let mut c = Call::inbound();
    bob_joins(opening(&mut c))
        .zconf(
            80.0,
            "left",
            C1,
            Some("bob"),
            Some(&[CUSTOMER, ("host", "alice")]),
        )
        .user_ended(80.0, "bob");
    closing(&mut c, 120.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 32..80 conference_invitation
        invite bob by alice at 30 accepted@32.100 explicit
        conference 1 32..80 [alice,bob] by alice explicit
        conference-id cc2bc81c-f6fe-4445-89c2-21a04994fb3d
        --
        0 call_started []
        5 agent_joined [alice]
        30 conference_invited [bob,alice]
        32 agent_joined [bob]
        32 conference_started [alice,bob]
        32.100 conference_invite_accepted [bob,alice]
        80 conference_ended [alice,bob]
        80 agent_left [bob]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

#[test]
fn a_later_roster_corrects_a_lost_join_and_a_lost_leave() {
    // Bob's `_joined` is lost: Carol's `_joined` roster shows him in. Then Bob's `_left` is
    // lost: the next roster no longer holds him, and his leg had ended at 70.
    let mut c = Call::inbound();
    opening(&mut c)
        .zconf(
            30.0,
            "invited",
            C1,
            Some("bob"),
            Some(&[CUSTOMER, ("host", "alice")]),
        )
        .offer(30.5, 32.0, "T2", "bob")
        .answered(32.0, "bob")
        .zconf(
            40.0,
            "invited",
            C1,
            Some("carol"),
            Some(&[CUSTOMER, ("host", "alice"), ("invitee", "bob")]),
        )
        .offer(40.5, 45.0, "T3", "carol")
        .answered(45.0, "carol")
        .zconf(
            45.1,
            "joined",
            C1,
            Some("carol"),
            Some(&[
                CUSTOMER,
                ("host", "alice"),
                ("invitee", "bob"),
                ("invitee", "carol"),
            ]),
        )
        .user_ended(70.0, "bob")
        .zconf(
            90.0,
            "left",
            C1,
            Some("carol"),
            Some(&[CUSTOMER, ("host", "alice")]),
        )
        .user_ended(90.0, "carol");
    closing(&mut c, 120.0, &["alice"]);
    model_only(
        &correlated(&c),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 32..70 conference_invitation
        leg agent carol 45..90 conference_invitation
        invite bob by alice at 30 accepted@32 explicit
        invite carol by alice at 40 accepted@45.100 explicit
        conference 1 32..90 [alice,bob,carol] by alice explicit
        conference-id cc2bc81c-f6fe-4445-89c2-21a04994fb3d
        ",
    );
}

#[test]
fn several_conferences_on_one_engagement() {
    let mut c = Call::inbound();
    bob_joins(opening(&mut c))
        .zconf(
            50.0,
            "left",
            C1,
            Some("bob"),
            Some(&[CUSTOMER, ("host", "alice")]),
        )
        .user_ended(50.0, "bob")
        .zconf(
            60.0,
            "invited",
            C2,
            Some("carol"),
            Some(&[CUSTOMER, ("host", "alice")]),
        )
        .offer(60.5, 62.0, "T3", "carol")
        .answered(62.0, "carol")
        .zconf(
            62.0,
            "joined",
            C2,
            Some("carol"),
            Some(&[CUSTOMER, ("host", "alice"), ("invitee", "carol")]),
        )
        .zconf(
            95.0,
            "left",
            C2,
            Some("carol"),
            Some(&[CUSTOMER, ("host", "alice")]),
        )
        .user_ended(95.0, "carol");
    closing(&mut c, 120.0, &["alice"]);
    let p = correlated(&c);
    model_only(
        &p,
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 32..50 conference_invitation
        leg agent carol 62..95 conference_invitation
        invite bob by alice at 30 accepted@32.100 explicit
        invite carol by alice at 60 accepted@62 explicit
        conference 1 32..50 [alice,bob] by alice explicit
        conference-id cc2bc81c-f6fe-4445-89c2-21a04994fb3d
        conference 2 62..95 [alice,carol] by alice explicit
        conference-id 5b2e7a4e-9d7c-4a51-8c5e-1f0d2b3c4d5e
        ",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn an_outside_party_is_listed_but_never_counted_as_an_agent() {
    let mut c = Call::inbound();
    // Alice alone with an outside number: customer and one agent, no conference.
    opening(&mut c)
        .zconf(
            20.0,
            "invited",
            C1,
            Some("+1479235161723"),
            Some(&[CUSTOMER, ("host", "alice")]),
        )
        .zconf(
            22.0,
            "joined",
            C1,
            Some("+1479235161723"),
            Some(&[CUSTOMER, ("host", "alice"), ("invitee", "+1479235161723")]),
        )
        // Then Bob joins the same conference: now it is one.
        .zconf(
            30.0,
            "invited",
            C1,
            Some("bob"),
            Some(&[CUSTOMER, ("host", "alice"), ("invitee", "+1479235161723")]),
        )
        .offer(30.5, 32.0, "T2", "bob")
        .answered(32.0, "bob")
        .zconf(
            32.0,
            "joined",
            C1,
            Some("bob"),
            Some(&[
                CUSTOMER,
                ("host", "alice"),
                ("invitee", "+1479235161723"),
                ("invitee", "bob"),
            ]),
        )
        .zconf(
            60.0,
            "left",
            C1,
            Some("+1479235161723"),
            Some(&[CUSTOMER, ("host", "alice"), ("invitee", "bob")]),
        )
        .zconf(
            80.0,
            "left",
            C1,
            Some("bob"),
            Some(&[CUSTOMER, ("host", "alice")]),
        )
        .user_ended(80.0, "bob");
    closing(&mut c, 120.0, &["alice"]);
    let p = correlated(&c);
    model_only(
        &p,
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 32..80 conference_invitation
        invite bob by alice at 30 accepted@32 explicit
        conference 1 32..80 [alice,bob] by alice explicit
        conference-id cc2bc81c-f6fe-4445-89c2-21a04994fb3d
        external [+1479235161723]
        ",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn a_transfer_hand_off_next_to_a_conference_is_not_one() {
    // Alice transfers to Bob (they overlap 2 s), then Bob hosts a conference with Carol.
    let mut c = Call::inbound();
    opening(&mut c)
        .transfer(
            30.0,
            "initiated",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            None,
            "warm",
        )
        .offer(31.0, 34.0, "T2", "bob")
        .answered(34.0, "bob")
        .user_ended(36.0, "alice")
        .transfer(
            36.0,
            "completed",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            None,
            "warm",
        )
        .zconf(
            50.0,
            "invited",
            C1,
            Some("carol"),
            Some(&[CUSTOMER, ("host", "bob")]),
        )
        .offer(50.5, 52.0, "T3", "carol")
        .answered(52.0, "carol")
        .zconf(
            52.0,
            "joined",
            C1,
            Some("carol"),
            Some(&[CUSTOMER, ("host", "bob"), ("invitee", "carol")]),
        );
    closing(&mut c, 120.0, &["bob", "carol"]);
    let p = correlated(&c);
    let confs: Vec<_> = p
        .conferences
        .iter()
        .map(|c| {
            (
                c.participants.join(","),
                c.source,
                c.conference_id.clone(),
                c.initiated_by.clone(),
            )
        })
        .collect();
    assert_eq!(
        confs,
        [(
            "bob,carol".to_owned(),
            zcc_model::ConferenceSource::Explicit,
            Some(C1.to_owned()),
            Some("bob".to_owned())
        )],
        "{}",
        render(&p)
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn the_older_guessed_shape_does_not_make_a_hand_off_explicit() {
    // Explicit events in the older shape on a call that also has a takeover: the supervisor
    // overlapping the agent taken over is a hand-off, never an explicit conference.
    let mut c = Call::inbound();
    opening(&mut c)
        .conf(20.0, "invited", "bob", Some("alice"))
        .offer(20.5, 22.0, "T2", "bob")
        .answered(22.0, "bob")
        .conf(22.0, "joined", "bob", Some("alice"))
        .conf(40.0, "left", "bob", None)
        .user_ended(40.0, "bob")
        .takeover(60.0, "sue", "alice")
        .answered(60.0, "sue")
        .user_ended(62.0, "alice");
    closing(&mut c, 120.0, &["sue"]);
    let p = correlated(&c);
    let confs: Vec<_> = p
        .conferences
        .iter()
        .map(|c| (c.participants.join(","), c.started_at, c.source))
        .collect();
    assert_eq!(confs.len(), 1, "{}", render(&p));
    assert_eq!(confs[0].0, "alice,bob");
    assert_eq!(confs[0].2, zcc_model::ConferenceSource::Explicit);
}

#[test]
fn partial_evidence_is_inferred_with_a_diagnostic() {
    // Only Carol's `_invited` arrived; her leg shows she connected. The conference is not
    // dropped: it is inferred, and the engagement says why.
    let mut c = Call::inbound();
    opening(&mut c)
        .zconf(
            30.0,
            "invited",
            C1,
            Some("carol"),
            Some(&[CUSTOMER, ("host", "alice")]),
        )
        .offer(30.5, 33.0, "T2", "carol")
        .answered(33.0, "carol")
        .user_ended(70.0, "carol");
    closing(&mut c, 120.0, &["alice"]);
    let p = correlated(&c);
    model_only(
        &p,
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent carol 33..70 conference_invitation
        invite carol by alice at 30 accepted@33 explicit
        conference 1 33..70 [alice,carol] by alice inferred
        diagnostic explicit_incomplete
        ",
    );
}

#[test]
fn an_unreadable_participant_is_a_diagnostic_not_a_loss() {
    let mut c = Call::inbound();
    opening(&mut c)
        .zconf(30.0, "joined", C1, None, None)
        .offer(30.5, 33.0, "T2", "carol")
        .answered(33.0, "carol")
        .user_ended(70.0, "carol");
    closing(&mut c, 120.0, &["alice"]);
    let p = correlated(&c);
    let kinds: Vec<&str> = p.diagnostics.iter().map(|d| d.kind.as_str()).collect();
    assert!(kinds.contains(&"unreadable_participant"), "{kinds:?}");
    assert_eq!(p.conferences.len(), 1, "{}", render(&p));
    assert_eq!(p.conferences[0].participants, ["alice", "carol"]);
}

#[test]
fn conference_canceled_ends_pending_invitations_and_hidden_events_leave_inference() {
    let mut c = Call::inbound();
    opening(&mut c)
        .zconf(
            30.0,
            "invited",
            C1,
            Some("bob"),
            Some(&[CUSTOMER, ("host", "alice")]),
        )
        .zconf(38.0, "conference_canceled", C1, None, None);
    closing(&mut c, 120.0, &["alice"]);
    let p = correlated(&c);
    model_only(
        &p,
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        invite bob by alice at 30 canceled@38 explicit
        ",
    );
    // Hidden while scoring, the explicit events are as if never sent.
    let hidden = rule("correlated", &[]).project_with(&c.events(), ExplicitConferences::Hide);
    assert!(hidden.conference_invitations.is_empty());
    assert!(hidden.diagnostics.is_empty());
}

#[test]
fn a_named_inviter_whose_leave_is_sent_counts_once() {
    // Older shape: Alice invites Bob and is named as inviter; at the end Zoom sends `_left`
    // for both. Alice alone is never a conference.
    let mut c = Call::inbound();
    opening(&mut c)
        .conf(30.0, "invited", "bob", Some("alice"))
        .offer(30.5, 32.0, "T2", "bob")
        .answered(32.0, "bob")
        .conf(32.0, "joined", "bob", Some("alice"))
        .customer_ended(100.0)
        .user_ended(100.2, "alice")
        .conf(100.2, "left", "alice", None)
        .user_ended(100.3, "bob")
        .conf(100.3, "left", "bob", None)
        .ended(101.0);
    model_only(
        &correlated(&c),
        r"
        call inbound voice 0..101
        leg customer - 5..100 customer
        leg agent alice 5..100.200 routing
        leg agent bob 32..100.300 conference_invitation
        invite bob by alice at 30 accepted@32 explicit
        conference 1 32..100 [alice,bob] by alice explicit
        ",
    );
}
