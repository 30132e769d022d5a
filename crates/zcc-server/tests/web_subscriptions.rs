//! `/subscriptions` on the real server (`run_delivering` on 127.0.0.1:0, the way `serve` runs
//! it, over a real SQLite file): each subscription with its filters, state and pending
//! messages, and its recent failures as the outbox recorded them (a 500 awaiting its retry, a
//! time-out that gave up). A hostile URL is escaped, no secret is shown, the page needs the
//! token when one is configured, and the call list's header links to it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use zcc_server::{Secret, ServeArgs};
use zcc_store::outbound::{
    Attempt, AttemptOutcome, DeliveryBackend, NewMessage, NewSubscription, OutboundStore,
    SigningSecret,
};
use zcc_store_sqlite::SqliteLog;

const TOKEN: &str = "web-subscriptions-token";
const SECRET_ONE: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET_TWO: &str = "whsec_c2Vjb25kIHNlY3JldCBvZiB0aGUgdGVzdHM=";
const HOSTILE_URL: &str = r#"https://hooks.example.com/"><script>alert(1)</script>?a=1&b=2"#;

fn message(subscription: &zcc_store::outbound::Subscription, n: u8, now: i64) -> NewMessage {
    NewMessage {
        subscription: subscription.id,
        engagement_key: format!("EngWebSubs{n}"),
        webhook_id: format!("msg_{n:032x}"),
        event_type: "conference_started".to_owned(),
        body: format!(r#"{{"type":"conference_started","n":{n}}}"#),
        created_at_ms: now,
    }
}

/// Two subscriptions; the first with a message retrying after a 500 and one failed after a
/// time-out, the second paused with nothing queued.
async fn fill(store: &dyn OutboundStore) {
    let now = zcc_store::ingest::now_ms();
    let hostile = store
        .create_subscription(NewSubscription {
            url: HOSTILE_URL.to_owned(),
            secret: SigningSecret::new(SECRET_ONE),
            events: vec!["conference_*".to_owned(), "transfer_*".to_owned()],
            include_raw: true,
            account_id: Some("AcctWeb".to_owned()),
        })
        .await
        .unwrap();
    let quiet = store
        .create_subscription(NewSubscription {
            url: "https://quiet.example.com/zcc".to_owned(),
            secret: SigningSecret::new(SECRET_TWO),
            events: vec![],
            include_raw: false,
            account_id: None,
        })
        .await
        .unwrap();
    store
        .set_subscription_state(quiet.id, zcc_store::outbound::SubscriptionState::Paused)
        .await
        .unwrap();
    let cursor = store.publish_cursor().await.unwrap();
    store
        .publish(
            &cursor,
            cursor.clone(),
            vec![],
            vec![message(&hostile, 1, now), message(&hostile, 2, now)],
        )
        .await
        .unwrap();
    let due = store.due_messages(hostile.id, now, 10).await.unwrap();
    assert_eq!(due.len(), 2, "both messages are queued: {due:?}");
    let outcomes = [
        ("500", AttemptOutcome::RetryAt(now + 3_600_000)),
        ("timeout", AttemptOutcome::Failed),
    ];
    for (m, (status, outcome)) in due.iter().zip(outcomes) {
        store
            .record_attempt(Attempt {
                message: m.id,
                at_ms: now,
                status: status.to_owned(),
                outcome,
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_subscriptions_page_lists_subscriptions_and_failures_escaped_behind_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(dir.path().join("ledger.db").to_str().unwrap()).unwrap();
    let store: Arc<dyn DeliveryBackend> = Arc::new(log);
    fill(store.as_ref()).await;

    let args = ServeArgs {
        webhook_secret: vec![Secret::new("web-subscriptions-webhook")],
        api_token: Some(Secret::new(TOKEN)),
        ..ServeArgs::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(zcc_server::delivery::run_delivering(
        args,
        Arc::clone(&store),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let client = reqwest::Client::new();
    let url = format!("{base}/subscriptions");
    let mut answer = None;
    for _ in 0..100 {
        if let Ok(r) = client.get(&url).send().await {
            answer = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = answer.expect("the server answers");
    assert_eq!(refused.status(), 401, "the token is required");
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("Sign in"), "{refused}");
    assert!(!refused.contains("quiet.example.com"), "{refused}");

    let resp = client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();

    // Both subscriptions, their filters, states and outboxes.
    assert!(
        page.contains("<td><code>https://quiet.example.com/zcc</code></td>"),
        "{page}"
    );
    assert!(
        page.contains("<td>paused</td><td>0</td><td>–</td><td>none</td>"),
        "{page}"
    );
    assert!(
        page.contains("<code>conference_*</code>, <code>transfer_*</code>; Zoom's raw events; account <code>AcctWeb</code>"),
        "{page}"
    );
    assert!(page.contains("every type"), "{page}");
    assert!(
        page.contains("<td>active</td><td>1</td><td>"),
        "one message pending: {page}"
    );
    // The hostile URL, escaped, never as markup.
    assert!(
        page.contains(
            "https://hooks.example.com/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;?a=1&amp;b=2"
        ),
        "{page}"
    );
    // The one script tag is the page's own (`local-time.js`), none from the URL.
    assert_eq!(page.matches("<script").count(), 1, "{page}");
    assert!(page.contains(r#"<script src="/assets/local-time.js" defer></script>"#));
    // Its failures: the 500 waiting for its retry, the time-out that gave up.
    assert!(page.contains(r#"<section id="failures-1">"#), "{page}");
    assert!(!page.contains(r#"id="failures-2""#), "{page}");
    assert!(page.contains("<td>500</td><td>1</td>"), "{page}");
    assert!(
        page.contains("(in 59 min") || page.contains("(in 1 h 00 min)"),
        "{page}"
    );
    assert!(page.contains("<td>timeout</td><td>1</td>"), "{page}");
    assert!(page.contains("failed: waits for redeliver"), "{page}");
    assert!(page.contains(&format!("msg_{:032x}", 1)), "{page}");
    // No secret, ever.
    assert!(!page.contains("whsec_"), "{page}");
    assert!(!page.contains(&SECRET_ONE[6..]) && !page.contains(&SECRET_TWO[6..]));

    // The call list's header links here.
    let list = client
        .get(format!("{base}/"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains(r#"<a href="/subscriptions">Subscriptions</a>"#),
        "{list}"
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
