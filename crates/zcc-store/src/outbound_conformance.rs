//! The checks every [`OutboundStore`] backend runs against itself (feature `conformance`):
//! subscriptions, the publishing cursor's compare-and-set, queue order and head-of-line per
//! engagement, attempts alone and in batches (retry, delivered, failed, 410 disabling the
//! subscription), listing, redelivery, statistics and removal. Each panics with a message
//! naming what broke.

use crate::outbound::*;
use crate::projection::GenerationId;
use crate::{Position, StoreError};

fn message(sub: SubscriptionId, engagement: &str, n: i64, at: i64) -> NewMessage {
    NewMessage {
        subscription: sub,
        engagement_key: engagement.to_owned(),
        webhook_id: format!("msg_{sub}_{engagement}_{n}"),
        event_type: "conference_started".to_owned(),
        body: format!(r#"{{"type":"conference_started","n":{n}}}"#),
        created_at_ms: at,
    }
}

/// Subscriptions are stored with their secret, listed, paused, resumed and found by id.
pub async fn subscriptions<S: OutboundStore + ?Sized>(store: &S) -> (Subscription, Subscription) {
    let a = store
        .create_subscription(NewSubscription {
            url: "https://hooks.example.com/a".into(),
            secret: SigningSecret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            events: vec!["conference_*".into()],
            include_raw: true,
            account_id: Some("Acct".into()),
        })
        .await
        .expect("creating subscription a");
    let b = store
        .create_subscription(NewSubscription {
            url: "https://hooks.example.com/b".into(),
            secret: SigningSecret::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
            events: vec![],
            include_raw: false,
            account_id: None,
        })
        .await
        .expect("creating subscription b");
    assert!(b.id > a.id, "ids grow: {:?} then {:?}", a.id, b.id);
    let listed = store.subscriptions().await.expect("listing");
    assert_eq!(listed.len(), 2, "two subscriptions listed: {listed:?}");
    let read = store.subscription(a.id).await.unwrap().expect("a is found");
    assert_eq!(read.secret, a.secret, "the secret is stored as given");
    assert_eq!(read.events, vec!["conference_*".to_owned()]);
    assert!(read.include_raw && read.account_id.as_deref() == Some("Acct"));
    assert_eq!(read.state, SubscriptionState::Active);
    assert!(
        store
            .set_subscription_state(a.id, SubscriptionState::Paused)
            .await
            .unwrap()
    );
    let paused = store.subscription(a.id).await.unwrap().unwrap();
    assert_eq!(paused.state, SubscriptionState::Paused);
    assert!(
        !store
            .set_subscription_state(SubscriptionId(9999), SubscriptionState::Paused)
            .await
            .unwrap(),
        "an unknown subscription is reported, not created"
    );
    (a, b)
}

/// The cursor moves only from the value read; messages keep their order and head-of-line.
pub async fn publishing<S: OutboundStore + ?Sized>(store: &S, sub: SubscriptionId) {
    let start = store.publish_cursor().await.expect("reading the cursor");
    assert_eq!(
        start,
        PublishCursor::default(),
        "a new store has published nothing"
    );
    let next = PublishCursor {
        generation: Some(GenerationId(1)),
        position: Position(7),
        rescan_after: None,
    };
    let state = PublishedEngagement {
        engagement_id: "E1".into(),
        revision: 1,
        facts: r#"{"evt_a":{"kind":"conference_started","digest":"d1"}}"#.into(),
    };
    let msgs = vec![
        message(sub, "E1", 1, 1_000),
        message(sub, "E2", 2, 1_000),
        message(sub, "E1", 3, 1_000),
    ];
    store
        .publish(&start, next.clone(), vec![state.clone()], msgs)
        .await
        .expect("the first publication");
    assert_eq!(store.publish_cursor().await.unwrap(), next);
    let stale = store
        .publish(&start, next.clone(), vec![], vec![message(sub, "E9", 9, 1)])
        .await
        .expect_err("a publication from a stale cursor is refused");
    assert!(matches!(stale, StoreError::Refused(_)), "{stale:?}");
    let published = store
        .published(&["E1".into(), "E404".into()])
        .await
        .unwrap();
    assert_eq!(published, vec![state], "published state by engagement");
    let due = store.due_messages(sub, 2_000, 10).await.unwrap();
    let ns: Vec<&str> = due.iter().map(|m| m.webhook_id.as_str()).collect();
    assert_eq!(
        ns,
        vec![format!("msg_{sub}_E1_1"), format!("msg_{sub}_E2_2")],
        "only the head of each engagement's queue is due, in queue order"
    );
    assert!(
        store.due_messages(sub, 999, 10).await.unwrap().is_empty(),
        "nothing is due before its time"
    );
}

/// Attempts move messages along; 410 disables; redelivery and removal.
pub async fn attempts<S: OutboundStore + ?Sized>(store: &S, sub: SubscriptionId) {
    let due = store.due_messages(sub, 2_000, 10).await.unwrap();
    let (e1, e2) = (due[0].clone(), due[1].clone());
    let attempt = |message, outcome, status: &str| Attempt {
        message,
        at_ms: 2_000,
        status: status.to_owned(),
        outcome,
    };
    store
        .record_attempt(attempt(e1.id, AttemptOutcome::RetryAt(5_000), "500"))
        .await
        .unwrap();
    store
        .record_attempt(attempt(e2.id, AttemptOutcome::Delivered, "200"))
        .await
        .unwrap();
    assert!(
        store.due_messages(sub, 4_999, 10).await.unwrap().is_empty(),
        "a retried message waits for its time and holds its engagement's queue"
    );
    let again = store.due_messages(sub, 5_000, 10).await.unwrap();
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!((again[0].id, again[0].attempts), (e1.id, 1));
    assert_eq!(again[0].last_status.as_deref(), Some("500"));
    store
        .record_attempt(attempt(e1.id, AttemptOutcome::Failed, "timeout"))
        .await
        .unwrap();
    let next = store.due_messages(sub, 5_000, 10).await.unwrap();
    assert_eq!(
        next.len(),
        1,
        "the failed head lets the next one go: {next:?}"
    );
    let failed = store.messages(sub, true, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].state, MessageState::Failed);
    assert_eq!(store.messages(sub, false, 10).await.unwrap().len(), 3);
    let stats = store.outbox_stats().await.unwrap();
    assert_eq!(
        stats,
        vec![OutboxStats {
            subscription: sub,
            pending: 1,
            oldest_pending_ms: Some(1_000)
        }]
    );
    assert_eq!(store.redeliver(sub, None, 6_000).await.unwrap(), 1);
    assert_eq!(
        store.redeliver(sub, Some(0), 6_000).await.unwrap(),
        1,
        "with --since: the delivered one (the failed one is pending again already)"
    );
    store
        .record_attempt(attempt(next[0].id, AttemptOutcome::Gone, "410"))
        .await
        .unwrap();
    let gone = store.subscription(sub).await.unwrap().unwrap();
    assert_eq!(gone.state, SubscriptionState::Disabled, "410 disables");
    assert!(
        store
            .due_messages(sub, 10_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "a disabled subscription has nothing due"
    );
    assert!(store.remove_subscription(sub).await.unwrap());
    assert!(store.subscription(sub).await.unwrap().is_none());
    assert!(store.messages(sub, false, 10).await.unwrap().is_empty());
    assert!(!store.remove_subscription(sub).await.unwrap());
}

/// Attempts recorded together, in one call: each message moves as if recorded alone, and a
/// 410 among them disables the subscription.
pub async fn batched_attempts<S: OutboundStore + ?Sized>(store: &S) {
    let sub = store
        .create_subscription(NewSubscription {
            url: "https://hooks.example.com/c".into(),
            secret: SigningSecret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            events: vec![],
            include_raw: false,
            account_id: None,
        })
        .await
        .expect("creating subscription c");
    let cursor = store.publish_cursor().await.unwrap();
    let msgs = ["B1", "B2", "B3", "B1", "B2", "B3"]
        .iter()
        .zip(1..)
        .map(|(e, n)| message(sub.id, e, n, 1_000))
        .collect();
    store
        .publish(&cursor, cursor.clone(), vec![], msgs)
        .await
        .expect("queueing six messages of three engagements");
    let due = store.due_messages(sub.id, 2_000, 10).await.unwrap();
    assert_eq!(due.len(), 3, "one head per engagement: {due:?}");
    let outcomes = [
        (AttemptOutcome::Delivered, "204"),
        (AttemptOutcome::RetryAt(5_000), "503"),
        (AttemptOutcome::Delivered, "200"),
    ];
    let batch: Vec<Attempt> = due
        .iter()
        .zip(outcomes)
        .map(|(m, (outcome, status))| Attempt {
            message: m.id,
            at_ms: 2_000,
            status: status.to_owned(),
            outcome,
        })
        .collect();
    store
        .record_attempts(&batch)
        .await
        .expect("recording three attempts in one call");
    store
        .record_attempts(&[])
        .await
        .expect("recording no attempt is a no-op");
    let next = store.due_messages(sub.id, 2_000, 10).await.unwrap();
    let ids: Vec<&str> = next.iter().map(|m| m.webhook_id.as_str()).collect();
    let c = sub.id;
    assert_eq!(
        ids,
        vec![format!("msg_{c}_B1_4"), format!("msg_{c}_B3_6")],
        "the delivered heads let their engagements' next messages go; the retried one holds B2"
    );
    let held = store.messages(sub.id, false, 10).await.unwrap();
    let retried = held.iter().find(|m| m.id == due[1].id).expect("B2's head");
    assert_eq!(
        (
            retried.attempts,
            retried.next_attempt_ms,
            retried.last_status.as_deref()
        ),
        (1, 5_000, Some("503")),
        "the retried message records its attempt and its next time"
    );
    let gone = [
        Attempt {
            message: next[0].id,
            at_ms: 3_000,
            status: "200".into(),
            outcome: AttemptOutcome::Delivered,
        },
        Attempt {
            message: next[1].id,
            at_ms: 3_000,
            status: "410".into(),
            outcome: AttemptOutcome::Gone,
        },
    ];
    store.record_attempts(&gone).await.unwrap();
    let sub = store.subscription(sub.id).await.unwrap().unwrap();
    assert_eq!(
        sub.state,
        SubscriptionState::Disabled,
        "a 410 in a batch disables the subscription"
    );
    let states: Vec<MessageState> = store
        .messages(sub.id, false, 10)
        .await
        .unwrap()
        .iter()
        .map(|m| m.state)
        .collect();
    use MessageState::{Delivered, Failed, Pending};
    assert_eq!(
        states,
        vec![Failed, Pending, Delivered, Delivered, Pending, Delivered],
        "newest first: B3's second failed (410), B2's second waits, B1's delivered"
    );
}

/// Every check, in order, on one fresh store.
pub async fn run_all<S: OutboundStore + ?Sized>(store: &S) {
    let (_a, b) = subscriptions(store).await;
    publishing(store, b.id).await;
    attempts(store, b.id).await;
    batched_attempts(store).await;
}
