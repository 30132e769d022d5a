//! The two shapes of explicit conference events: the documented 2026 payloads (the default)
//! and the older guessed ones, which must stay byte for byte what they were.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sha2::{Digest, Sha256};
use zcc_events::Family;
use zcc_sim::truth::ConferenceTruth;
use zcc_sim::{ConferenceShape, DeliveryKind, SimConfig, SimItem, TruthRow, Webhook, generate};

const PREFIX: &str = "contact_center.";
const WARM_INVITE: &str = "call_control_conference_warm_invite_executed";
const CONFERENCE_CANCELED: &str = "engagement_conference_canceled";

fn config(calls: u64, seed: u64, share: f64, shape: ConferenceShape) -> SimConfig {
    SimConfig {
        calls,
        seed,
        explicit_conference_share: share,
        conference_shape: shape,
        ..SimConfig::default()
    }
}

fn run(cfg: &SimConfig) -> (Vec<Webhook>, Vec<TruthRow>) {
    let mut deliveries = Vec::new();
    let mut truth = Vec::new();
    for item in generate(cfg).expect("valid config") {
        match item {
            SimItem::Webhook(d) => deliveries.push(d),
            SimItem::Truth(t) => truth.push(*t),
        }
    }
    (deliveries, truth)
}

fn short(event: &str) -> &str {
    event.strip_prefix(PREFIX).unwrap_or(event)
}

/// The key naming the participant an event is about, by event.
fn subject_key(event: &str) -> Option<&'static str> {
    Some(match event {
        "engagement_conference_participant_invited" => "invited_participant",
        "engagement_conference_participant_joined" => "joining_participant",
        "engagement_conference_participant_left" => "leaving_participant",
        "engagement_conference_participant_rejected" => "rejecting_participant",
        "engagement_conference_participant_timeout" => "timed_out_participant",
        "engagement_conference_participant_canceled" => "canceled_participant",
        _ => return None,
    })
}

/// A participant by what identifies it: an agent's user id or a phone number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Agent(String),
    Phone(String),
}

fn who(v: &Value) -> Who {
    match (
        v["participant_user_id"].as_str(),
        v["participant_phone_number"].as_str(),
    ) {
        (Some(id), None) => Who::Agent(id.to_owned()),
        (None, Some(n)) => Who::Phone(n.to_owned()),
        _ => panic!("a participant is an agent or a phone number, not both or neither: {v}"),
    }
}

/// One conference event, in the order Zoom produced them.
#[derive(Debug)]
struct ConfEvent {
    time_ms: i64,
    rank: u16,
    event: String,
    engagement_id: String,
    object: serde_json::Map<String, Value>,
}

/// Every distinct explicit conference event (and warm-invite API event), in event order
/// (time, then the model's tie-break rank), checked against zcc-events on the way.
fn conference_events(deliveries: &[Webhook]) -> Vec<ConfEvent> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for d in deliveries {
        if !seen.insert(d.body.as_str()) {
            continue;
        }
        let v: Value = serde_json::from_str(&d.body).unwrap();
        let event = short(v["event"].as_str().unwrap()).to_owned();
        if !event.starts_with("engagement_conference_") && event != WARM_INVITE {
            continue;
        }
        let parsed = zcc_events::parse_event(d.body.as_bytes())
            .unwrap_or_else(|e| panic!("zcc-events rejects {event} ({e}): {}", d.body));
        assert!(
            parsed.warnings.is_empty(),
            "zcc-events warns on {event}: {:?}\n{}",
            parsed.warnings,
            d.body
        );
        assert_eq!(parsed.event_time_ms, Some(d.event_time_ms), "{}", d.body);
        if event != WARM_INVITE {
            assert!(
                matches!(parsed.object, Family::Conference(_)),
                "{event} is not read as a conference event: {}",
                d.body
            );
        }
        let object = v["payload"]["object"].as_object().unwrap().clone();
        out.push(ConfEvent {
            time_ms: d.event_time_ms,
            rank: parsed.kind.tie_break_rank(),
            event,
            engagement_id: parsed.engagement_id.unwrap().to_string(),
            object,
        });
    }
    out.sort_by_key(|e| (e.time_ms, e.rank));
    out
}

fn conferences(truth: &[TruthRow]) -> Vec<&ConferenceTruth> {
    truth
        .iter()
        .filter_map(|r| match r {
            TruthRow::Conferences(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// An after-call annotation (disposition, note): added to the simulator later, from streams
/// of their own.
fn is_annotation(body: &str) -> bool {
    body.contains(r#""event":"contact_center.engagement_disposition_added""#)
        || body.contains(r#""event":"contact_center.engagement_note_added""#)
}

/// The bodies and truth lines of a run, hashed; truth lines without the two columns added
/// with the documented shape (null and empty in the guessed shape), so that they compare with
/// the lines written before those columns existed. The after-call annotations are left out,
/// and so is their share of each call's `event_count`: everything else must be as it was.
fn digest(cfg: &SimConfig) -> (String, String) {
    let items: Vec<SimItem> = generate(cfg).unwrap().collect();
    let mut annotations: BTreeMap<String, u32> = BTreeMap::new();
    for item in &items {
        if let SimItem::Webhook(d) = item
            && is_annotation(&d.body)
            && d.kind != DeliveryKind::Duplicate
        {
            let v: Value = serde_json::from_str(&d.body).unwrap();
            let id = v["payload"]["object"]["engagement_id"].as_str().unwrap();
            *annotations.entry(id.to_owned()).or_default() += 1;
        }
    }
    let mut bodies = Sha256::new();
    let mut truth = Sha256::new();
    for item in items {
        match item {
            SimItem::Webhook(d) if is_annotation(&d.body) => {}
            SimItem::Webhook(d) => bodies.update(format!(
                "{} {} {:?} {}\n",
                d.deliver_at_ms, d.event_time_ms, d.kind, d.body
            )),
            SimItem::Truth(mut t) => {
                if let TruthRow::Engagements(e) = t.as_mut() {
                    e.event_count -= annotations.get(&e.engagement_id).copied().unwrap_or(0);
                }
                let line = t
                    .to_json_line()
                    .replace(r#","conference_id":null,"external_participants":[]"#, "");
                truth.update(format!("{line}\n"));
            }
        }
    }
    (
        hex::encode(bodies.finalize()),
        hex::encode(truth.finalize()),
    )
}

#[test]
fn the_guessed_shape_is_byte_identical_to_the_simulator_before_the_documented_shape() {
    // These hashes were computed with this same `digest` (bodies with delivery time, event time
    // and kind; truth lines) from the simulator as it was before the documented shape existed,
    // when the guessed shape was its only one (and before the after-call annotations, which
    // `digest` leaves out).
    let golden = [
        (
            7,
            1.0,
            "53240cbe2967f40491a050ef7e1493e35cef67032424fecae8563fd7a4159c56",
            "41ca6f1fcb58e0ef2bab06c993a0606355d7834dfad666c8f314856fe5da638d",
        ),
        (
            11,
            0.3,
            "4f6af43848e227174cf3c96916a4282588eb94de260fb9506e2cb9374f7b9776",
            "9cb60cbbb866e57ea7147b7287ec1b4eedb86b5f8facfc5568fb8ee0e21f17dd",
        ),
    ];
    for (seed, share, bodies, truth) in golden {
        let cfg = config(400, seed, share, ConferenceShape::Guessed);
        let (b, t) = digest(&cfg);
        assert_eq!(b, bodies, "guessed-shape bodies changed (seed {seed})");
        assert_eq!(t, truth, "guessed-shape truth changed (seed {seed})");
    }
}

#[test]
fn the_guessed_shape_carries_none_of_the_documented_fields() {
    let (deliveries, truth) = run(&config(400, 3, 1.0, ConferenceShape::Guessed));
    let mut conference_events = 0;
    for d in &deliveries {
        assert!(!d.body.contains(WARM_INVITE), "{}", d.body);
        for key in [
            "conference_id",
            "conference_participants",
            "participant_user_id",
            "teams",
            "division_id",
        ] {
            assert!(
                !d.body.contains(&format!("\"{key}\"")),
                "{key} in a guessed-shape body: {}",
                d.body
            );
        }
        if d.body.contains("engagement_conference_") {
            conference_events += 1;
        }
    }
    assert!(conference_events > 100, "only {conference_events} events");
    let confs = conferences(&truth);
    assert!(!confs.is_empty());
    for c in confs {
        assert_eq!(c.source, "explicit");
        assert_eq!(c.conference_id, None, "{c:?}");
        assert!(c.external_participants.is_empty(), "{c:?}");
    }
}

#[test]
fn the_documented_shape_is_the_default_and_the_shape_names_parse() {
    assert_eq!(
        SimConfig::default().conference_shape,
        ConferenceShape::Documented
    );
    for shape in [ConferenceShape::Documented, ConferenceShape::Guessed] {
        assert_eq!(shape.name().parse::<ConferenceShape>(), Ok(shape));
    }
    let err = "zoom".parse::<ConferenceShape>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown conference shape `zoom`: expected `documented` or `guessed`"
    );
}

/// The documented payloads, event by event: fields, roster, subject, and the roster replayed
/// from the subjects (each roster is the previous one of the same conference plus the joiner or
/// minus the leaver; the customer is in it until they hang up).
#[allow(clippy::too_many_lines)] // one scenario, end to end
#[test]
fn documented_events_carry_conference_id_roster_and_subject_and_rosters_follow_the_changes() {
    let (deliveries, truth) = run(&config(600, 5, 1.0, ConferenceShape::Documented));
    let events = conference_events(&deliveries);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    // conference_id -> (engagement, current roster without the customer)
    let mut rosters: BTreeMap<String, (String, BTreeSet<Who>)> = BTreeMap::new();
    let mut hosts: BTreeMap<String, String> = BTreeMap::new();
    let mut canceled = BTreeSet::new();
    let mut warm: BTreeMap<String, (String, i64)> = BTreeMap::new();
    let mut customer_numbers: BTreeMap<String, String> = BTreeMap::new();
    for e in &events {
        *counts.entry(e.event.as_str()).or_default() += 1;
        let o = &e.object;
        let id = o["conference_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no conference_id: {o:?}"))
            .to_owned();
        let uuid = uuid::Uuid::parse_str(&id).expect("conference_id is a UUID");
        assert_eq!(uuid.hyphenated().to_string(), id);
        assert!(
            o["date_time_ms"].as_str().is_some(),
            "date_time_ms as Zoom's samples write it"
        );
        if e.event == WARM_INVITE {
            assert!(o["user_id"].is_string() && o["request_id"].is_string());
            assert!(!rosters.contains_key(&id), "warm invite after the invite");
            warm.insert(id, (o["user_id"].as_str().unwrap().to_owned(), e.time_ms));
            continue;
        }
        for key in [
            "engagement_direction",
            "channel",
            "flow_id",
            "flow_name",
            "flow_number",
            "division_id",
            "division_name",
        ] {
            assert!(o[key].is_string(), "{key} missing in {}: {o:?}", e.event);
        }
        let teams = o["teams"].as_array().expect("teams[]");
        assert!(
            !teams.is_empty()
                && teams[0]["team_id"].is_string()
                && teams[0]["team_name"].is_string()
        );
        for key in ["user_id", "inviter_user_id", "user_display_name"] {
            assert!(!o.contains_key(key), "{key} in a documented body: {o:?}");
        }
        assert!(
            !canceled.contains(&id),
            "an event after the conference was canceled"
        );
        let (engagement, roster) = rosters
            .entry(id.clone())
            .or_insert_with(|| (e.engagement_id.clone(), BTreeSet::new()));
        assert_eq!(
            *engagement, e.engagement_id,
            "one conference_id, one engagement"
        );
        if e.event == CONFERENCE_CANCELED {
            assert!(!o.contains_key("conference_participants"));
            canceled.insert(id);
            continue;
        }
        let key = subject_key(&e.event).unwrap_or_else(|| panic!("unknown event {}", e.event));
        let subject = who(&o[key]);
        assert_eq!(
            o[key].as_object().unwrap().len(),
            1,
            "the subject is its id only"
        );
        let entries = o["conference_participants"]
            .as_array()
            .unwrap_or_else(|| panic!("no roster on {}", e.event));
        let mut now = BTreeSet::new();
        let mut customers = 0;
        for p in entries {
            let role = p["participant_role"].as_str().unwrap();
            assert!(p["participant_display_name"].is_string());
            let w = who(p);
            match (role, &w) {
                ("customer", Who::Phone(n)) => {
                    customers += 1;
                    let known = customer_numbers
                        .entry(e.engagement_id.clone())
                        .or_insert_with(|| n.clone());
                    assert_eq!(known, n, "one customer per engagement");
                    continue;
                }
                ("host", Who::Agent(u)) => {
                    let host = hosts.entry(id.clone()).or_insert_with(|| u.clone());
                    assert_eq!(host, u, "one host per conference");
                }
                ("invitee", _) => {}
                other => panic!("unexpected roster entry {other:?}: {p}"),
            }
            assert!(now.insert(w), "listed twice: {p}");
        }
        assert!(customers <= 1);
        if e.event != "engagement_conference_participant_left" {
            assert_eq!(customers, 1, "the customer is on the call: {o:?}");
        }
        let mut expected = roster.clone();
        match e.event.as_str() {
            "engagement_conference_participant_joined" => {
                assert!(now.contains(&subject), "the joiner is in the roster: {o:?}");
                assert!(expected.insert(subject), "joined twice");
            }
            "engagement_conference_participant_left" => {
                assert!(
                    !now.contains(&subject),
                    "the leaver is not in the roster: {o:?}"
                );
                assert!(expected.remove(&subject), "left without being there: {o:?}");
            }
            _ => assert!(
                !now.contains(&subject),
                "the subject is not in the roster: {o:?}"
            ),
        }
        if roster.is_empty() {
            // The first event of a conference: the host is there already.
            assert_eq!(e.event, "engagement_conference_participant_invited");
            assert_eq!(now.len(), 1, "only the host before anyone joins: {o:?}");
            expected = now.clone();
        }
        assert_eq!(now, expected, "roster does not follow {}: {o:?}", e.event);
        *roster = now;
    }
    for event in [
        "engagement_conference_participant_invited",
        "engagement_conference_participant_joined",
        "engagement_conference_participant_left",
        "engagement_conference_participant_rejected",
        "engagement_conference_participant_timeout",
        "engagement_conference_participant_canceled",
        CONFERENCE_CANCELED,
        WARM_INVITE,
    ] {
        assert!(
            counts.get(event).copied().unwrap_or(0) > 0,
            "{event} never sent: {counts:?}"
        );
    }
    // The warm-invite API event: about 30% of conferences, by their host, just before.
    for (id, (user, at)) in &warm {
        assert_eq!(
            hosts.get(id),
            Some(user),
            "the API call comes from the host"
        );
        let first = events
            .iter()
            .find(|e| e.object["conference_id"] == id.as_str() && e.event != WARM_INVITE)
            .unwrap();
        assert_eq!(first.event, "engagement_conference_participant_invited");
        assert!((1..=400).contains(&(first.time_ms - at)));
    }
    let share = warm.len() as f64 / rosters.len() as f64;
    assert!(
        (0.2..0.4).contains(&share),
        "warm invites on {share:.2} of conferences"
    );

    // Truth: every conference of these explicit calls names its conference_id, and its agents
    // and outside parties are those the rosters of that conference list.
    let mut seen_in_rosters: BTreeMap<String, BTreeSet<Who>> = BTreeMap::new();
    for e in &events {
        if let Some(entries) = e
            .object
            .get("conference_participants")
            .and_then(Value::as_array)
        {
            let id = e.object["conference_id"].as_str().unwrap().to_owned();
            let set = seen_in_rosters.entry(id).or_default();
            for p in entries {
                if p["participant_role"] != "customer" {
                    set.insert(who(p));
                }
            }
        }
    }
    let confs = conferences(&truth);
    assert!(confs.len() > 50, "only {} conferences", confs.len());
    let mut ids = BTreeSet::new();
    for c in confs {
        assert_eq!(c.source, "explicit");
        let id = c
            .conference_id
            .clone()
            .expect("a documented conference has its id");
        assert!(ids.insert(id.clone()), "two conferences share {id}");
        assert_eq!(rosters[&id].0, c.engagement_id);
        let listed = &seen_in_rosters[&id];
        let agents: BTreeSet<Who> = c.participants.iter().cloned().map(Who::Agent).collect();
        let phones: BTreeSet<Who> = c
            .external_participants
            .iter()
            .cloned()
            .map(Who::Phone)
            .collect();
        assert_eq!(
            *listed,
            agents.union(&phones).cloned().collect(),
            "truth and rosters disagree on {c:?}"
        );
        assert!(
            c.participants.len() >= 2,
            "a conference needs two agents: {c:?}"
        );
        let mut sorted = c.external_participants.clone();
        sorted.sort();
        assert_eq!(sorted, c.external_participants);
    }
}

#[test]
fn outside_parties_join_while_two_agents_are_on_and_are_never_participants() {
    let (deliveries, truth) = run(&config(1_500, 8, 1.0, ConferenceShape::Documented));
    let events = conference_events(&deliveries);
    let confs = conferences(&truth);
    let with_outside: Vec<_> = confs
        .iter()
        .filter(|c| !c.external_participants.is_empty())
        .collect();
    let share = with_outside.len() as f64 / confs.len() as f64;
    assert!(
        (0.05..0.25).contains(&share),
        "{} of {} conferences have an outside party",
        with_outside.len(),
        confs.len()
    );
    let mut odd = 0;
    for c in &with_outside {
        let id = c.conference_id.as_deref().unwrap();
        for number in &c.external_participants {
            assert!(!c.participants.contains(number));
            if number.len() != 12 {
                odd += 1;
            }
            let about: Vec<&ConfEvent> = events
                .iter()
                .filter(|e| {
                    e.object["conference_id"] == id
                        && subject_key(&e.event)
                            .is_some_and(|k| e.object[k]["participant_phone_number"] == *number)
                })
                .collect();
            let names: Vec<&str> = about.iter().map(|e| e.event.as_str()).collect();
            assert_eq!(
                names,
                [
                    "engagement_conference_participant_invited",
                    "engagement_conference_participant_joined",
                    "engagement_conference_participant_left"
                ],
                "{number} in {id}"
            );
            let joined = &about[1].object["conference_participants"];
            let entry = joined
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["participant_phone_number"] == *number)
                .expect("the outside party is in the roster once joined");
            assert_eq!(entry["participant_role"], "invitee");
            assert!(entry.get("participant_user_id").is_none());
            // Two agents are on while it is there.
            let agents = joined
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p.get("participant_user_id").is_some())
                .count();
            assert_eq!(agents, 2, "{joined}");
            // No agent leg: no event of the engagement names the number as a user.
            assert!(
                !deliveries
                    .iter()
                    .any(|d| d.body.contains(&format!("\"user_id\":\"{number}\""))),
            );
        }
    }
    assert!(odd > 0, "no outside number that is not valid E.164");
}

#[test]
fn calls_without_explicit_events_have_no_conference_id_and_the_share_is_kept() {
    let (deliveries, truth) = run(&config(1_000, 13, 0.3, ConferenceShape::Documented));
    let mut explicit = BTreeSet::new();
    let mut calls = 0;
    for row in &truth {
        if let TruthRow::Engagements(e) = row {
            calls += 1;
            if e.explicit_conference_events {
                explicit.insert(e.engagement_id.clone());
            }
        }
    }
    let share = explicit.len() as f64 / f64::from(calls);
    assert!((0.25..0.35).contains(&share), "explicit share {share:.3}");
    for c in conferences(&truth) {
        assert_eq!(
            c.conference_id.is_some(),
            explicit.contains(&c.engagement_id),
            "{c:?}"
        );
        assert_eq!(c.source == "explicit", c.conference_id.is_some());
    }
    for e in conference_events(&deliveries) {
        assert!(explicit.contains(&e.engagement_id), "{e:?}");
    }
}
