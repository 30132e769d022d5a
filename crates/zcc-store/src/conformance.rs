//! The conformance suite every [`EventLog`] backend runs against itself.
//!
//! Each check takes a fresh, empty log and panics with a message naming what broke.
//! A backend's test calls [`run_all`] with a factory that makes a new empty log each time.

pub mod audit;
pub mod projections;

use std::future::Future;
use std::sync::Arc;

use crate::chain::{Chained, entry_hash};
use crate::ingest::prepare;
use crate::verify::{verify, verify_up_to};
use crate::*;

/// A body for tests: unique per `n`, optionally tied to an engagement.
pub fn body(n: u64, engagement: Option<&str>) -> String {
    let object = match engagement {
        Some(e) => format!(r#"{{"engagement_id":"{e}","user_id":"U{n}"}}"#),
        None => format!(r#"{{"user_id":"U{n}"}}"#),
    };
    format!(
        r#"{{"event":"contact_center.engagement_user_hold","event_ts":{},"payload":{{"account_id":"Acct","object":{object}}}}}"#,
        1_777_903_330_000u64 + n
    )
}

/// A prepared event for `body(n, engagement)`.
pub fn event(n: u64, engagement: Option<&str>) -> NewEvent {
    prepare(
        body(n, engagement).as_bytes(),
        Source::Import,
        1_777_903_400_000,
        None,
    )
    .expect("test body is an envelope")
}

/// Run every check, each on a fresh log from `make`.
pub async fn run_all<F, Fut>(mut make: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<dyn EventLog>>,
{
    empty_log(make().await).await;
    positions_are_gapless_and_chained(make().await).await;
    bytes_are_kept_exactly(make().await).await;
    duplicates_report_existing_position(make().await).await;
    copies_received_apart_are_duplicates(make().await).await;
    paging_reads_everything_once(make().await).await;
    engagement_reads(make().await).await;
    batched_engagement_reads(make().await).await;
    deliveries_are_recorded(make().await).await;
    quarantine_keeps_raw_bytes(make().await).await;
    verify_and_checkpoints(make().await).await;
}

pub async fn empty_log(log: Arc<dyn EventLog>) {
    assert_eq!(log.head().await.unwrap(), Head::EMPTY, "empty log head");
    assert!(
        log.read_after(Position::START, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(log.entry(Position(1)).await.unwrap().is_none());
    assert!(
        log.missing_guards().await.unwrap().is_empty(),
        "fresh log lacks immutability guards"
    );
    log.ping().await.unwrap();
    log.ready().await.expect("a fresh log takes writes");
    log.ready()
        .await
        .expect("and says so again from the probe's outcome");
}

pub async fn positions_are_gapless_and_chained(log: Arc<dyn EventLog>) {
    let first = log
        .append_batch((1..=3).map(|n| event(n, Some("E1"))).collect())
        .await
        .unwrap();
    assert_eq!(
        first,
        vec![
            Appended::Stored(Position(1)),
            Appended::Stored(Position(2)),
            Appended::Stored(Position(3))
        ]
    );
    let second = log.append_batch(vec![event(4, None)]).await.unwrap();
    assert_eq!(second, vec![Appended::Stored(Position(4))]);
    let entries = log.read_after(Position::START, 100).await.unwrap();
    assert_eq!(entries.len(), 4);
    let mut prev = Digest::ZERO;
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.position, Position(i as i64 + 1), "positions 1..=4");
        assert_eq!(e.body_sha256, Digest::of(e.body.as_bytes()));
        assert_eq!(
            e.chain,
            ChainVersion::V2,
            "appends are chained in format v2"
        );
        assert_eq!(
            e.hash,
            entry_hash(ChainVersion::V2, &prev, &Chained::of_entry(e))
        );
        prev = e.hash;
    }
    assert_eq!(
        log.head().await.unwrap(),
        Head {
            size: 4,
            hash: prev
        }
    );
    assert_eq!(log.append_batch(vec![]).await.unwrap(), vec![]);
    assert_eq!(
        log.head().await.unwrap().size,
        4,
        "empty batch appends nothing"
    );
}

pub async fn bytes_are_kept_exactly(log: Arc<dyn EventLog>) {
    let raw = "{ \"event\" : \"contact_center.x_unknown\",\n\t\"payload\":{\"object\":{\"engagement_id\":\"E\u{e9}\u{1F600}\",\"n\":1.50e3,\"s\":\"a\\u0000b\"}} , \"extra\":[] }  ";
    let ev = prepare(raw.as_bytes(), Source::Http, 42, None).unwrap();
    assert_eq!(
        ev.event_time_ms, 42,
        "no event time falls back to receive time"
    );
    log.append_batch(vec![ev]).await.unwrap();
    let e = log.entry(Position(1)).await.unwrap().expect("entry 1");
    assert_eq!(e.body.as_bytes(), raw.as_bytes(), "body kept byte for byte");
    assert_eq!(e.event_type, "contact_center.x_unknown");
    assert_eq!(e.engagement_id.as_deref(), Some("E\u{e9}\u{1F600}"));
    assert_eq!(e.account_id, None);
    assert_eq!(e.received_at_ms, 42);
    assert_eq!(e.source, Source::Http);
}

pub async fn duplicates_report_existing_position(log: Arc<dyn EventLog>) {
    let out = log
        .append_batch(vec![event(1, None), event(2, None), event(1, None)])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            Appended::Stored(Position(1)),
            Appended::Stored(Position(2)),
            Appended::Duplicate(Position(1))
        ],
        "duplicate inside one batch"
    );
    let out = log
        .append_batch(vec![event(2, None), event(3, None)])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            Appended::Duplicate(Position(2)),
            Appended::Stored(Position(3))
        ],
        "duplicate of an earlier batch"
    );
    assert_eq!(log.head().await.unwrap().size, 3);
}

/// Copies of one body that arrive at different times (Zoom's retries, a re-imported archive)
/// are one event, whether the body carries its own event time or takes its arrival time as
/// event time (no time field at all), and whether the copies come in one batch or in several.
pub async fn copies_received_apart_are_duplicates(log: Arc<dyn EventLog>) {
    let untimed =
        br#"{"event":"contact_center.x_untimed","payload":{"object":{"engagement_id":"EngU"}}}"#;
    let at = |body: &[u8], received_at_ms| {
        prepare(body, Source::Http, received_at_ms, None).expect("test body is an envelope")
    };
    let timed = body(7, Some("EngT"));
    let first = log
        .append_batch(vec![at(timed.as_bytes(), 1_000), at(untimed, 2_000)])
        .await
        .unwrap();
    assert_eq!(
        first,
        vec![Appended::Stored(Position(1)), Appended::Stored(Position(2))]
    );
    let later = log
        .append_batch(vec![
            at(untimed, 5_000_000),
            at(timed.as_bytes(), 5_000_001),
            at(untimed, 5_000_002),
        ])
        .await
        .unwrap();
    assert_eq!(
        later,
        vec![
            Appended::Duplicate(Position(2)),
            Appended::Duplicate(Position(1)),
            Appended::Duplicate(Position(2))
        ],
        "copies received hours apart, with and without an event time of their own"
    );
    let same_batch = log
        .append_batch(vec![
            at(br#"{"event":"x","payload":{}}"#, 10),
            at(br#"{"event":"x","payload":{}}"#, 20),
        ])
        .await
        .unwrap();
    assert_eq!(
        same_batch,
        vec![
            Appended::Stored(Position(3)),
            Appended::Duplicate(Position(3))
        ],
        "an untimed body twice in one batch, received apart"
    );
    assert_eq!(log.head().await.unwrap().size, 3);
}

pub async fn paging_reads_everything_once(log: Arc<dyn EventLog>) {
    for chunk in 0..5u64 {
        let batch = (0..7).map(|i| event(chunk * 7 + i, None)).collect();
        log.append_batch(batch).await.unwrap();
    }
    let mut after = Position::START;
    let mut seen = Vec::new();
    loop {
        let page = log.read_after(after, 4).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 4, "page respects the limit");
        after = page.last().unwrap().position;
        seen.extend(page.into_iter().map(|e| e.position.0));
    }
    assert_eq!(seen, (1..=35).collect::<Vec<_>>());
}

pub async fn engagement_reads(log: Arc<dyn EventLog>) {
    let batch = vec![
        event(1, Some("A")),
        event(2, Some("B")),
        event(3, None),
        event(4, Some("A")),
    ];
    log.append_batch(batch).await.unwrap();
    let a: Vec<i64> = log
        .engagement_events(&"A".into())
        .await
        .unwrap()
        .iter()
        .map(|e| e.position.0)
        .collect();
    assert_eq!(a, vec![1, 4]);
    assert!(
        log.engagement_events(&"none".into())
            .await
            .unwrap()
            .is_empty()
    );
    let e = log.entry(Position(2)).await.unwrap().unwrap();
    assert_eq!(e.engagement_id.as_deref(), Some("B"));
    assert_eq!(e.account_id.as_deref(), Some("Acct"));
    assert_eq!(e.event_time_ms, 1_777_903_330_002);
}

/// `engagements_events`: several engagements with interleaved positions, a cut-off, repeated
/// and unknown ids, and ids given out of order.
pub async fn batched_engagement_reads(log: Arc<dyn EventLog>) {
    // Positions: 1 B, 2 A, 3 -, 4 C, 5 A, 6 B, 7 C, 8 A, 9 B, 10 A.
    let layout = [
        Some("B"),
        Some("A"),
        None,
        Some("C"),
        Some("A"),
        Some("B"),
        Some("C"),
        Some("A"),
        Some("B"),
        Some("A"),
    ];
    let batch = layout
        .iter()
        .zip(1u64..)
        .map(|(engagement, n)| event(n, *engagement))
        .collect();
    log.append_batch(batch).await.unwrap();
    let read = |ids: &[&str], up_to: i64| {
        let log = Arc::clone(&log);
        let ids: Vec<EngagementId> = ids.iter().map(|s| EngagementId::from(*s)).collect();
        async move {
            log.engagements_events(&ids, Position(up_to))
                .await
                .unwrap()
                .into_iter()
                .map(|e| {
                    (
                        e.engagement_id.expect("engagement entry").to_string(),
                        e.position.0,
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let pairs = |v: &[(&str, i64)]| -> Vec<(String, i64)> {
        v.iter().map(|(e, p)| ((*e).to_owned(), *p)).collect()
    };
    // Up to 8: A's 10, B's 9 and everything of D (unknown) left out; ids repeated and unsorted.
    assert_eq!(
        read(&["C", "A", "D", "B", "A"], 8).await,
        pairs(&[
            ("A", 2),
            ("A", 5),
            ("A", 8),
            ("B", 1),
            ("B", 6),
            ("C", 4),
            ("C", 7)
        ]),
        "engagements_events up to 8: by engagement id, then position"
    );
    assert_eq!(
        read(&["B"], 10).await,
        pairs(&[("B", 1), ("B", 6), ("B", 9)]),
        "engagements_events of one engagement up to the head"
    );
    assert_eq!(
        read(&["A", "C"], 4).await,
        pairs(&[("A", 2), ("C", 4)]),
        "engagements_events up to 4"
    );
    assert!(read(&["A", "B"], 0).await.is_empty(), "nothing up to 0");
    assert!(read(&[], 10).await.is_empty(), "no ids, no entries");
    // The same entries as engagement_events, field for field.
    let whole = log
        .engagements_events(&["A".into()], Position(10))
        .await
        .unwrap();
    assert_eq!(whole, log.engagement_events(&"A".into()).await.unwrap());
}

pub async fn deliveries_are_recorded(log: Arc<dyn EventLog>) {
    let meta = DeliveryMeta {
        received_at_ms: 7,
        headers: vec![("x-zm-request-id".into(), "req-1".into())],
        provenance: None,
    };
    let mut e = event(1, Some("A"));
    e.delivery = Some(meta.clone());
    let mut dup = event(1, Some("A"));
    dup.delivery = Some(meta.clone());
    log.append_batch(vec![e]).await.unwrap();
    log.append_batch(vec![dup]).await.unwrap();
    log.record_deliveries(vec![Delivery {
        meta: meta.clone(),
        outcome: DeliveryOutcome::Unauthorized,
        status: 401,
        position: None,
        body_sha256: None,
        event_type: None,
        reason: Some("bad signature".into()),
    }])
    .await
    .unwrap();
    let d = log.deliveries(10).await.unwrap();
    assert_eq!(d.len(), 3, "every delivery recorded, duplicates included");
    let outcomes: Vec<_> = d.iter().map(|d| d.outcome).collect();
    assert!(outcomes.contains(&DeliveryOutcome::Stored));
    assert!(outcomes.contains(&DeliveryOutcome::Duplicate));
    assert!(outcomes.contains(&DeliveryOutcome::Unauthorized));
    for row in d
        .iter()
        .filter(|d| d.outcome != DeliveryOutcome::Unauthorized)
    {
        assert_eq!(row.position, Some(Position(1)));
        assert_eq!(row.status, 200);
        assert_eq!(row.meta, meta);
        assert_eq!(
            row.event_type.as_deref(),
            Some("contact_center.engagement_user_hold")
        );
    }
}

pub async fn quarantine_keeps_raw_bytes(log: Arc<dyn EventLog>) {
    let body = vec![b'{', 0xff, 0xfe, b'}'];
    let q = QuarantineEntry {
        received_at_ms: 5,
        source: Source::Import,
        origin: "calls.jsonl:12".into(),
        reason: "body is not valid UTF-8".into(),
        body_sha256: Digest::of(&body),
        body,
    };
    log.quarantine(vec![q.clone()]).await.unwrap();
    assert_eq!(log.quarantined(10).await.unwrap(), vec![q]);
    assert_eq!(
        log.head().await.unwrap().size,
        0,
        "quarantine is not the log"
    );
}

pub async fn verify_and_checkpoints(log: Arc<dyn EventLog>) {
    log.append_batch((1..=3).map(|n| event(n, None)).collect())
        .await
        .unwrap();
    let checkpoint = log.head().await.unwrap();
    log.append_batch((4..=6).map(|n| event(n, None)).collect())
        .await
        .unwrap();
    let report = verify(log.as_ref(), Some(checkpoint), |_| {})
        .await
        .unwrap();
    assert!(report.ok(), "verify of a sound log: {report:?}");
    assert_eq!(report.entries_checked, 6);
    // Entries appended after the head a verification started from (a serving ledger) are
    // left for the next one, not a mismatch.
    let report = verify_up_to(log.as_ref(), checkpoint, None, |_| {})
        .await
        .unwrap();
    assert!(report.ok(), "verify up to an earlier head: {report:?}");
    assert_eq!(report.entries_checked, 3);
    assert_eq!(report.head, checkpoint);
    let forged = Head {
        size: 3,
        hash: Digest::of(b"forged"),
    };
    let report = verify(log.as_ref(), Some(forged), |_| {}).await.unwrap();
    assert!(!report.ok(), "a forged checkpoint must not verify");
    let future = Head {
        size: 99,
        hash: checkpoint.hash,
    };
    let report = verify(log.as_ref(), Some(future), |_| {}).await.unwrap();
    assert!(!report.ok(), "a checkpoint beyond the log must not verify");
}
