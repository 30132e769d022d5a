//! Golden scenarios: one per call pattern and one per ambiguous case of docs/INFERENCE.md.
//! Each builds the bodies Zoom would send, runs a rule, and compares a readable rendering of the
//! model (then `--`, then the derived events) with what the definitions of SPEC 5 say.

mod common;

use common::{Call, check, closing, opening, render, render_derived, rule};
use zcc_model::{CallProjection, ExplicitConferences};

fn correlated(c: &Call) -> CallProjection {
    rule("correlated", &[]).project(&c.events())
}

fn party_count(c: &Call) -> CallProjection {
    rule("party-count", &[]).project(&c.events())
}

fn golden(p: &CallProjection, expected: &str) {
    check(&format!("{}--\n{}", render(p), render_derived(p)), expected);
}

// ---------------------------------------------------------------- patterns

#[test]
fn simple_inbound() {
    let mut c = Call::inbound();
    opening(&mut c);
    closing(&mut c, 120.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        --
        0 call_started []
        5 agent_joined [alice]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

#[test]
fn outbound_without_reservation() {
    let mut c = Call::outbound();
    c.started(0.0).answered(1.0, "alice").customer_answered(8.0);
    closing(&mut c, 60.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call outbound voice 0..61
        leg agent alice 1..60 routing
        leg customer - 8..60 customer
        --
        0 call_started []
        1 agent_joined [alice]
        60 agent_left [alice]
        61 call_ended []
        ",
    );
}

#[test]
fn hold_and_resume() {
    let mut c = Call::inbound();
    opening(&mut c)
        .hold(30.0, "alice")
        .unhold(45.0, "alice")
        .hold(60.0, "alice")
        .unhold(70.0, "alice");
    closing(&mut c, 120.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        hold alice 30..45
        hold alice 60..70
        --
        0 call_started []
        5 agent_joined [alice]
        30 hold_started [alice]
        45 hold_ended [alice]
        60 hold_started [alice]
        70 hold_ended [alice]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

fn cold_transfer_to_queue() -> Call {
    let mut c = Call::inbound();
    opening(&mut c)
        .transfer(
            30.0,
            "initiated",
            "alice",
            "T1",
            "T2",
            None,
            Some("Billing"),
            "cold",
        )
        .transfer(
            30.1,
            "queued",
            "alice",
            "T1",
            "T2",
            None,
            Some("Billing"),
            "cold",
        )
        .user_ended(31.0, "alice")
        .task(32.0, "T2", "Billing")
        .offer(33.0, 36.0, "T2", "bob")
        .transfer(
            33.0,
            "reserved",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            Some("Billing"),
            "cold",
        )
        .transfer(
            36.0,
            "accepted",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            Some("Billing"),
            "cold",
        )
        .answered(36.2, "bob");
    // No engagement_transfer_completed: integrators report it missing for queue transfers.
    closing(&mut c, 100.0, &["bob"]);
    c
}

#[test]
fn cold_transfer_to_queue_without_completed() {
    golden(
        &correlated(&cold_transfer_to_queue()),
        r"
        call inbound voice 0..101
        leg customer - 5..100 customer
        leg agent alice 5..31 routing
        leg agent bob 36.200..100 transfer
        transfer alice->bob queue=Billing cold at 30 accepted=36 accepted@36
        --
        0 call_started []
        5 agent_joined [alice]
        30 transfer_initiated [alice,bob]
        31 agent_left [alice]
        36 transfer_accepted [alice,bob]
        36.200 agent_joined [bob]
        100 agent_left [bob]
        101 call_ended []
        ",
    );
}

fn transfer_to_agent() -> Call {
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
        .transfer(
            34.0,
            "accepted",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            None,
            "warm",
        )
        .transfer(
            40.0,
            "completed",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            None,
            "warm",
        )
        .user_ended(40.0, "alice");
    closing(&mut c, 100.0, &["bob"]);
    c
}

#[test]
fn transfer_to_agent_overlap_is_a_hand_off() {
    golden(
        &correlated(&transfer_to_agent()),
        r"
        call inbound voice 0..101
        leg customer - 5..100 customer
        leg agent alice 5..40 routing
        leg agent bob 34..100 transfer
        transfer alice->bob queue=- warm at 30 accepted=34 completed@40
        --
        0 call_started []
        5 agent_joined [alice]
        30 transfer_initiated [alice,bob]
        34 agent_joined [bob]
        34 transfer_accepted [alice,bob]
        40 transfer_completed [alice,bob]
        40 agent_left [alice]
        100 agent_left [bob]
        101 call_ended []
        ",
    );
}

fn warm_transfer_with_consult() -> Call {
    let mut c = Call::inbound();
    opening(&mut c)
        .hold(30.0, "alice")
        .transfer(
            31.0,
            "initiated",
            "alice",
            "T1",
            "T2",
            None,
            Some("Billing"),
            "warm",
        )
        .task(31.5, "T2", "Billing")
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
        .unhold(50.0, "alice")
        .transfer(
            70.0,
            "completed",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            Some("Billing"),
            "warm",
        )
        .user_ended(70.0, "alice");
    closing(&mut c, 150.0, &["bob"]);
    c
}

#[test]
fn warm_transfer_with_consult_is_a_hand_off_however_long() {
    golden(
        &correlated(&warm_transfer_with_consult()),
        r"
        call inbound voice 0..151
        leg customer - 5..150 customer
        leg agent alice 5..70 routing
        leg agent bob 40..150 transfer
        hold alice 30..50
        transfer alice->bob queue=Billing warm at 31 accepted=40 completed@70
        --
        0 call_started []
        5 agent_joined [alice]
        30 hold_started [alice]
        31 transfer_initiated [alice,bob]
        40 agent_joined [bob]
        40 transfer_accepted [alice,bob]
        50 hold_ended [alice]
        70 transfer_completed [alice,bob]
        70 agent_left [alice]
        150 agent_left [bob]
        151 call_ended []
        ",
    );
}

#[test]
fn party_count_calls_every_hand_off_a_conference() {
    for c in [
        transfer_to_agent(),
        warm_transfer_with_consult(),
        takeover(),
    ] {
        let (good, naive) = (correlated(&c), party_count(&c));
        assert!(good.conferences.is_empty());
        assert_eq!(naive.conferences.len(), 1, "{}", render(&naive));
        assert_eq!(
            naive.conferences[0].source,
            zcc_model::ConferenceSource::Inferred
        );
    }
    // Without overlap (a cold transfer: Alice leaves before Bob answers) both agree.
    assert!(
        party_count(&cold_transfer_to_queue())
            .conferences
            .is_empty()
    );
    // On a real conference both agree too.
    let c = conference_with_invited_agent();
    assert_eq!(party_count(&c).conferences, correlated(&c).conferences);
    golden(
        &party_count(&warm_transfer_with_consult()),
        r"
        call inbound voice 0..151
        leg customer - 5..150 customer
        leg agent alice 5..70 routing
        leg agent bob 40..150 transfer
        hold alice 30..50
        transfer alice->bob queue=Billing warm at 31 accepted=40 completed@70
        conference 1 40..70 [alice,bob] by - inferred
        --
        0 call_started []
        5 agent_joined [alice]
        30 hold_started [alice]
        31 transfer_initiated [alice,bob]
        40 agent_joined [bob]
        40 transfer_accepted [alice,bob]
        40 conference_started [alice,bob]
        50 hold_ended [alice]
        70 conference_ended [alice,bob]
        70 transfer_completed [alice,bob]
        70 agent_left [alice]
        150 agent_left [bob]
        151 call_ended []
        ",
    );
}

fn conference_with_invited_agent() -> Call {
    let mut c = Call::inbound();
    opening(&mut c)
        .task(29.0, "T2", "Billing")
        .offer(30.0, 35.0, "T2", "bob")
        .answered(35.0, "bob")
        .hold(50.0, "alice")
        .unhold(55.0, "alice")
        .user_ended(90.0, "bob");
    closing(&mut c, 120.0, &["alice"]);
    c
}

#[test]
fn conference_with_an_invited_agent() {
    golden(
        &correlated(&conference_with_invited_agent()),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 35..90 conference_invitation
        hold alice 50..55
        invite bob by alice at 30 accepted@35 inferred
        conference 1 35..90 [alice,bob] by alice inferred
        --
        0 call_started []
        5 agent_joined [alice]
        30 conference_invited [bob,alice]
        35 agent_joined [bob]
        35 conference_invite_accepted [bob,alice]
        35 conference_started [alice,bob]
        50 hold_started [alice]
        55 hold_ended [alice]
        90 conference_ended [alice,bob]
        90 agent_left [bob]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

#[test]
fn rejected_and_timed_out_invitations() {
    let mut c = Call::inbound();
    opening(&mut c)
        .res(30.0, "created", "R-bob", "T2", "bob", 30.0)
        .res(35.0, "rejected", "R-bob", "T2", "bob", 30.0)
        .res(40.0, "created", "R-carol", "T3", "carol", 40.0)
        .res(60.0, "timeout", "R-carol", "T3", "carol", 40.0)
        .offer(70.0, 72.0, "T4", "dave")
        .answered(72.0, "dave")
        .user_ended(100.0, "dave");
    closing(&mut c, 120.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent dave 72..100 conference_invitation
        invite bob by alice at 30 rejected@35 inferred
        invite carol by alice at 40 timeout@60 inferred
        invite dave by alice at 70 accepted@72 inferred
        conference 1 72..100 [alice,dave] by alice inferred
        --
        0 call_started []
        5 agent_joined [alice]
        30 conference_invited [bob,alice]
        35 conference_invite_rejected [bob,alice]
        40 conference_invited [carol,alice]
        60 conference_invite_rejected [carol,alice]
        70 conference_invited [dave,alice]
        72 agent_joined [dave]
        72 conference_invite_accepted [dave,alice]
        72 conference_started [alice,dave]
        100 conference_ended [alice,dave]
        100 agent_left [dave]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

#[test]
fn agent_leaving_a_conference() {
    let mut c = Call::inbound();
    opening(&mut c)
        .offer(30.0, 35.0, "T2", "bob")
        .answered(35.0, "bob")
        .offer(40.0, 45.0, "T3", "carol")
        .answered(45.0, "carol")
        .user_ended(60.0, "carol")
        .user_ended(80.0, "bob");
    closing(&mut c, 120.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 35..80 conference_invitation
        leg agent carol 45..60 conference_invitation
        invite bob by alice at 30 accepted@35 inferred
        invite carol by alice at 40 accepted@45 inferred
        conference 1 35..80 [alice,bob,carol] by alice inferred
        --
        0 call_started []
        5 agent_joined [alice]
        30 conference_invited [bob,alice]
        35 agent_joined [bob]
        35 conference_invite_accepted [bob,alice]
        35 conference_started [alice,bob]
        40 conference_invited [carol,alice]
        45 agent_joined [carol]
        45 conference_invite_accepted [carol,alice]
        45 conference_participant_joined [carol]
        60 conference_participant_left [carol]
        60 agent_left [carol]
        80 conference_ended [alice,bob]
        80 agent_left [bob]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

#[test]
fn supervisor_listen_whisper_barge_is_never_a_conference_party() {
    let mut c = Call::inbound();
    opening(&mut c)
        .monitor(20.0, "sam", "alice", "listen")
        .monitor(30.0, "sam", "alice", "whisper")
        .monitor(40.0, "sam", "alice", "barge")
        // Whether Zoom sends the barging supervisor's own user_answered is unknown: absorb it.
        .answered(40.0, "sam")
        .monitor_ended(50.0, "sam", "alice");
    closing(&mut c, 120.0, &["alice"]);
    let p = correlated(&c);
    assert!(party_count(&c).conferences.is_empty());
    golden(
        &p,
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg supervisor sam 20..50 monitor
        supervision sam listen of alice 20..30
        supervision sam whisper of alice 30..40
        supervision sam barge of alice 40..50
        --
        0 call_started []
        5 agent_joined [alice]
        20 supervision_started [sam,alice]
        30 supervision_started [sam,alice]
        30 supervision_ended [sam,alice]
        40 supervision_started [sam,alice]
        40 supervision_ended [sam,alice]
        50 supervision_ended [sam,alice]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

/// The supervision sessions as (mode, start, end) in seconds after the call's start.
fn sessions(p: &zcc_model::CallProjection) -> Vec<(String, i64, Option<i64>)> {
    let start = p.engagement.started_at.expect("a start");
    p.supervision
        .iter()
        .map(|s| {
            (
                format!("{:?}", s.mode).to_lowercase(),
                (s.started_at - start) / 1000,
                s.ended_at.map(|e| (e - start) / 1000),
            )
        })
        .collect()
}

#[test]
fn a_monitor_ended_naming_the_mode_just_left_is_the_switch_not_the_end() {
    // Read one way: at a change of mode, Zoom ends the old mode's session by name.
    let mut c = Call::inbound();
    opening(&mut c)
        .monitor(20.0, "sam", "alice", "listen")
        .monitor(40.0, "sam", "alice", "barge")
        .monitor_ended_as(40.0, "sam", "alice", "listen")
        .monitor_ended_as(50.0, "sam", "alice", "barge");
    closing(&mut c, 120.0, &["alice"]);
    let p = correlated(&c);
    assert_eq!(
        sessions(&p),
        [
            ("listen".to_owned(), 20, Some(40)),
            ("barge".to_owned(), 40, Some(50))
        ]
    );

    // Read the other way: one end, long after the change, naming the first mode.
    let mut c = Call::inbound();
    opening(&mut c)
        .monitor(20.0, "sam", "alice", "listen")
        .monitor(40.0, "sam", "alice", "barge")
        .monitor_ended_as(50.0, "sam", "alice", "listen");
    closing(&mut c, 120.0, &["alice"]);
    assert_eq!(
        sessions(&correlated(&c)),
        [
            ("listen".to_owned(), 20, Some(40)),
            ("barge".to_owned(), 40, Some(50))
        ]
    );
}

#[test]
fn legacy_initiated_supervision_names_the_supervisor_as_user() {
    // 2023 names carry the initiating supervisor in user_id; they have no end event, so the
    // session lasts until the supervisor's leg or the call ends.
    let mut c = Call::inbound();
    opening(&mut c).legacy_initiated(20.0, "whisper", "sam");
    closing(&mut c, 120.0, &["alice"]);
    let p = correlated(&c);
    assert!(
        p.conferences.is_empty(),
        "a supervisor is never a conference party"
    );
    assert_eq!(p.supervision.len(), 1, "{:?}", p.supervision);
    let s = &p.supervision[0];
    assert_eq!(s.supervisor, "sam");
    assert_eq!(s.mode.as_str(), "whisper");
    assert_eq!(s.started_at, common::ms(20.0));
    assert!(
        p.legs
            .iter()
            .all(|l| l.user_id.as_deref() != Some("sam") || l.party != zcc_model::Party::Agent),
        "the supervisor gets no agent leg"
    );
}

fn takeover() -> Call {
    let mut c = Call::inbound();
    opening(&mut c)
        .monitor(20.0, "sam", "alice", "listen")
        .takeover(30.0, "sam", "alice")
        .user_ended(32.0, "alice");
    closing(&mut c, 120.0, &["sam"]);
    c
}

#[test]
fn supervisor_takeover_replaces_the_agent() {
    golden(
        &correlated(&takeover()),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..32 routing
        leg supervisor sam 20..30 monitor
        leg agent sam 30..120 takeover
        supervision sam listen of alice 20..30
        supervision sam takeover of alice 30..120
        --
        0 call_started []
        5 agent_joined [alice]
        20 supervision_started [sam,alice]
        30 agent_joined [sam]
        30 supervision_started [sam,alice]
        30 supervision_ended [sam,alice]
        32 agent_left [alice]
        120 supervision_ended [sam,alice]
        120 agent_left [sam]
        121 call_ended []
        ",
    );
}

fn explicit_conference() -> Call {
    let mut c = Call::inbound();
    opening(&mut c)
        .conf(29.0, "invited", "bob", Some("alice"))
        .offer(30.0, 35.0, "T2", "bob")
        .answered(35.0, "bob")
        .conf(35.0, "joined", "bob", None)
        .conf(80.0, "left", "bob", None)
        .user_ended(80.0, "bob");
    closing(&mut c, 120.0, &["alice"]);
    c
}

#[test]
fn explicit_conference_events_define_the_conference() {
    golden(
        &correlated(&explicit_conference()),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 35..80 conference_invitation
        invite bob by alice at 29 accepted@35 explicit
        conference 1 35..80 [alice,bob] by alice explicit
        --
        0 call_started []
        5 agent_joined [alice]
        29 conference_invited [bob,alice]
        35 agent_joined [bob]
        35 conference_invite_accepted [bob,alice]
        35 conference_started [alice,bob]
        80 conference_ended [alice,bob]
        80 agent_left [bob]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

#[test]
fn explicit_events_can_be_hidden_from_the_rule() {
    let c = explicit_conference();
    let hidden = rule("correlated", &[]).project_with(&c.events(), ExplicitConferences::Hide);
    let ignored = rule("correlated", &["explicit_conferences=ignore"]).project(&c.events());
    golden(
        &hidden,
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 35..80 conference_invitation
        invite bob by alice at 30 accepted@35 inferred
        conference 1 35..80 [alice,bob] by alice inferred
        --
        0 call_started []
        5 agent_joined [alice]
        30 conference_invited [bob,alice]
        35 agent_joined [bob]
        35 conference_invite_accepted [bob,alice]
        35 conference_started [alice,bob]
        80 conference_ended [alice,bob]
        80 agent_left [bob]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
    assert_eq!(render(&hidden), render(&ignored));
    assert_eq!(render_derived(&hidden), render_derived(&ignored));
}

// ---------------------------------------------------------------- ambiguous cases

#[test]
fn missing_engagement_ended_ends_with_the_last_leg() {
    let mut c = Call::inbound();
    opening(&mut c)
        .customer_ended(100.0)
        .user_ended(101.0, "alice");
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..101 end-inferred
        leg customer - 5..100 customer
        leg agent alice 5..101 routing
        --
        0 call_started []
        5 agent_joined [alice]
        101 agent_left [alice]
        101 call_ended []
        ",
    );
}

#[test]
fn missing_user_ended_closes_with_the_customer() {
    let mut c = Call::inbound();
    opening(&mut c).customer_ended(100.0).ended(101.0);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..101
        leg customer - 5..100 customer
        leg agent alice 5..100 routing
        --
        0 call_started []
        5 agent_joined [alice]
        100 agent_left [alice]
        101 call_ended []
        ",
    );
}

#[test]
fn call_still_in_progress_stays_open() {
    let mut c = Call::inbound();
    opening(&mut c).hold(30.0, "alice");
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..open
        leg customer - 5..open customer
        leg agent alice 5..open routing
        hold alice 30..open
        --
        0 call_started []
        5 agent_joined [alice]
        30 hold_started [alice]
        ",
    );
}

#[test]
fn reservation_accepted_without_user_answered() {
    let mut c = Call::inbound();
    opening(&mut c)
        .offer(30.0, 35.0, "T2", "bob")
        .user_ended(80.0, "bob")
        .offer(85.0, 90.0, "T3", "carol");
    closing(&mut c, 120.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 35..80 conference_invitation
        leg agent carol 90..120 conference_invitation
        invite bob by alice at 30 accepted@35 inferred
        invite carol by alice at 85 accepted@90 inferred
        conference 1 35..80 [alice,bob] by alice inferred
        conference 2 90..120 [alice,carol] by alice inferred
        --
        0 call_started []
        5 agent_joined [alice]
        30 conference_invited [bob,alice]
        35 agent_joined [bob]
        35 conference_invite_accepted [bob,alice]
        35 conference_started [alice,bob]
        80 conference_ended [alice,bob]
        80 agent_left [bob]
        85 conference_invited [carol,alice]
        90 agent_joined [carol]
        90 conference_invite_accepted [carol,alice]
        90 conference_started [alice,carol]
        120 conference_ended [alice,carol]
        120 agent_left [alice]
        120 agent_left [carol]
        121 call_ended []
        ",
    );
}

#[test]
fn warm_transfer_canceled_agent_returns() {
    let mut c = Call::inbound();
    opening(&mut c)
        .hold(30.0, "alice")
        .transfer(
            31.0,
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
        .transfer(
            60.0,
            "canceled",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            Some("Billing"),
            "warm",
        )
        .user_ended(60.0, "bob")
        .unhold(61.0, "alice");
    closing(&mut c, 120.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 40..60 transfer
        hold alice 30..61
        transfer alice->bob queue=Billing warm at 31 accepted=40 canceled@60
        --
        0 call_started []
        5 agent_joined [alice]
        30 hold_started [alice]
        31 transfer_initiated [alice,bob]
        40 agent_joined [bob]
        40 transfer_accepted [alice,bob]
        60 transfer_failed [alice,bob]
        60 agent_left [bob]
        61 hold_ended [alice]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

#[test]
fn transfer_target_invited_to_a_conference_later() {
    let mut c = Call::inbound();
    opening(&mut c)
        .transfer(
            31.0,
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
            60.0,
            "canceled",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            Some("Billing"),
            "warm",
        )
        .user_ended(60.0, "bob")
        .offer(90.0, 95.0, "T3", "bob")
        .answered(95.0, "bob")
        .user_ended(110.0, "bob");
    closing(&mut c, 120.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 40..60 transfer
        leg agent bob 95..110 conference_invitation
        transfer alice->bob queue=Billing warm at 31 accepted=open canceled@60
        invite bob by alice at 90 accepted@95 inferred
        conference 1 95..110 [alice,bob] by alice inferred
        --
        0 call_started []
        5 agent_joined [alice]
        31 transfer_initiated [alice,bob]
        40 agent_joined [bob]
        60 transfer_failed [alice,bob]
        60 agent_left [bob]
        90 conference_invited [bob,alice]
        95 agent_joined [bob]
        95 conference_invite_accepted [bob,alice]
        95 conference_started [alice,bob]
        110 conference_ended [alice,bob]
        110 agent_left [bob]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

#[test]
fn engagement_that_never_started() {
    let mut c = Call::inbound();
    c.offer(2.0, 5.0, "T1", "alice").answered(5.0, "alice");
    closing(&mut c, 60.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 2..61 start-inferred
        leg customer - 5..60 customer
        leg agent alice 5..60 routing
        --
        2 call_started []
        5 agent_joined [alice]
        60 agent_left [alice]
        61 call_ended []
        ",
    );
}

#[test]
fn duplicate_user_answered_double_fire() {
    let mut c = Call::inbound();
    opening(&mut c);
    // Video engagements fire user_answered twice (video and chat): different bodies.
    let dup = c
        .bodies
        .last()
        .expect("answered")
        .replace("\"voice\"", "\"chat\"");
    c.bodies.push(dup);
    c.answered(5.4, "alice");
    closing(&mut c, 60.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..61
        leg customer - 5..60 customer
        leg agent alice 5..60 routing
        --
        0 call_started []
        5 agent_joined [alice]
        60 agent_left [alice]
        61 call_ended []
        ",
    );
}

#[test]
fn hold_by_an_agent_not_connected() {
    let mut c = Call::inbound();
    opening(&mut c).hold(50.0, "carol").unhold(55.0, "carol");
    closing(&mut c, 60.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..61
        leg customer - 5..60 customer
        leg agent alice 5..60 routing
        hold carol 50..55
        --
        0 call_started []
        5 agent_joined [alice]
        50 hold_started [carol]
        55 hold_ended [carol]
        60 agent_left [alice]
        61 call_ended []
        ",
    );
}

#[test]
fn explicit_events_for_part_of_the_call() {
    let mut c = Call::inbound();
    opening(&mut c)
        // Bob joins through a reservation with no conference event at all: on an engagement
        // whose conference events were sent, that is no conference (and a diagnostic says so)...
        .offer(30.0, 35.0, "T2", "bob")
        .answered(35.0, "bob")
        .user_ended(50.0, "bob")
        // ...Carol is invited explicitly, but her participant_joined was lost.
        .conf(69.0, "invited", "carol", Some("alice"))
        .offer(70.0, 72.0, "T3", "carol")
        .answered(72.0, "carol")
        .conf(90.0, "left", "carol", None)
        .user_ended(90.0, "carol");
    closing(&mut c, 120.0, &["alice"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..121
        leg customer - 5..120 customer
        leg agent alice 5..120 routing
        leg agent bob 35..50 conference_invitation
        leg agent carol 72..90 conference_invitation
        invite carol by alice at 69 accepted@72 explicit
        conference 1 72..90 [alice,carol] by alice explicit
        diagnostic inferred_conference_left_out
        --
        0 call_started []
        5 agent_joined [alice]
        35 agent_joined [bob]
        50 agent_left [bob]
        69 conference_invited [carol,alice]
        72 agent_joined [carol]
        72 conference_invite_accepted [carol,alice]
        72 conference_started [alice,carol]
        90 conference_ended [alice,carol]
        90 agent_left [carol]
        120 agent_left [alice]
        121 call_ended []
        ",
    );
}

#[test]
fn invitation_during_a_hand_off_makes_a_conference() {
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
        .offer(40.0, 45.0, "T3", "carol")
        .answered(45.0, "carol")
        .transfer(
            60.0,
            "completed",
            "alice",
            "T1",
            "T2",
            Some("bob"),
            None,
            "warm",
        )
        .user_ended(60.0, "alice")
        .user_ended(70.0, "carol");
    closing(&mut c, 100.0, &["bob"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..101
        leg customer - 5..100 customer
        leg agent alice 5..60 routing
        leg agent bob 34..100 transfer
        leg agent carol 45..70 conference_invitation
        transfer alice->bob queue=- warm at 30 accepted=open completed@60
        invite carol by alice at 40 accepted@45 inferred
        conference 1 45..70 [alice,bob,carol] by alice inferred
        --
        0 call_started []
        5 agent_joined [alice]
        30 transfer_initiated [alice,bob]
        34 agent_joined [bob]
        40 conference_invited [carol,alice]
        45 agent_joined [carol]
        45 conference_invite_accepted [carol,alice]
        45 conference_started [alice,bob,carol]
        60 conference_participant_left [alice]
        60 transfer_completed [alice,bob]
        60 agent_left [alice]
        70 conference_ended [bob,carol]
        70 agent_left [carol]
        100 agent_left [bob]
        101 call_ended []
        ",
    );
}

#[test]
fn answer_stamped_before_its_offer_still_comes_by_transfer() {
    let mut c = Call::inbound();
    opening(&mut c)
        .transfer(
            31.0,
            "initiated",
            "alice",
            "T1",
            "T2",
            None,
            Some("Billing"),
            "warm",
        )
        // Bob's answer carries a time 0.8 s before the reservation that brought him.
        .answered(39.2, "bob")
        .offer(40.0, 40.0, "T2", "bob")
        // No transfer event names Bob: only his reservation on T2 ties him to the transfer.
        .transfer(
            70.0,
            "completed",
            "alice",
            "T1",
            "T2",
            None,
            Some("Billing"),
            "warm",
        )
        .user_ended(70.0, "alice");
    closing(&mut c, 150.0, &["bob"]);
    golden(
        &correlated(&c),
        r"
        call inbound voice 0..151
        leg customer - 5..150 customer
        leg agent alice 5..70 routing
        leg agent bob 39.200..150 transfer
        transfer alice->bob queue=Billing warm at 31 accepted=open completed@70
        --
        0 call_started []
        5 agent_joined [alice]
        31 transfer_initiated [alice,bob]
        39.200 agent_joined [bob]
        70 transfer_completed [alice,bob]
        70 agent_left [alice]
        150 agent_left [bob]
        151 call_ended []
        ",
    );
}
