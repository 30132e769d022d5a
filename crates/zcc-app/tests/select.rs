//! One way to choose a generation, on both real backends: the active one by default, an id
//! never while it is building, a rule's active or newest ready generation, named errors for
//! what is missing, and no write during a read.

use std::sync::Arc;

use zcc_app::call::{CallError, load};
use zcc_app::select::{SelectError, Selector, choose};
use zcc_sim::{SimConfig, SimItem};
use zcc_store::Source;
use zcc_store::ingest::{now_ms, prepare};
use zcc_store::projection::{Backend, GenerationState};

/// A few simulated calls, appended.
async fn append_calls(store: &dyn Backend) -> zcc_store::EngagementId {
    let config = SimConfig {
        calls: 5,
        seed: 3,
        ..SimConfig::default()
    };
    let events: Vec<_> = zcc_sim::generate(&config)
        .unwrap()
        .filter_map(|item| match item {
            SimItem::Webhook(d) => {
                Some(prepare(d.body.as_bytes(), Source::Import, now_ms(), None).unwrap())
            }
            SimItem::Truth(_) => None,
        })
        .collect();
    let engagement = events
        .iter()
        .find_map(|e| e.engagement_id.clone())
        .expect("an engagement");
    store.append_batch(events).await.unwrap();
    engagement
}

async fn every_case(store: Arc<dyn Backend>) {
    let store = store.as_ref();
    let engagement = append_calls(store).await;

    // A read never writes: without an active generation, nothing is created.
    assert!(matches!(
        choose(store, &Selector::Active).await,
        Err(SelectError::NoActive)
    ));
    assert!(matches!(
        load(store, &Selector::Active, &engagement).await,
        Err(CallError::Select(SelectError::NoActive))
    ));
    assert!(
        store.generations().await.unwrap().is_empty(),
        "a read created a generation"
    );

    // Where the log is written, the default generation is made, active.
    let default = zcc_app::prepare_store(store)
        .await
        .unwrap()
        .expect("created");
    zcc_projector::catch_up_all(store, &()).await.unwrap();
    let active = choose(store, &Selector::Active).await.unwrap();
    assert_eq!(active.id, default.id);
    assert_eq!(active.state, GenerationState::Active);

    // A missing id, a missing rule.
    let missing = zcc_store::projection::GenerationId(default.id.0 + 100);
    let e = choose(store, &Selector::Id(missing)).await.unwrap_err();
    assert!(
        matches!(e, SelectError::Unknown(id) if id == missing),
        "{e}"
    );
    let e = choose(store, &Selector::Rule("party-count".into()))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("reproject --rule party-count"),
        "{e}"
    );

    // A generation still building is never read: not by its id, not by its rule.
    let building = store
        .create_generation("party-count", "party-count@1+0", "{}")
        .await
        .unwrap();
    let e = choose(store, &Selector::Id(building.id)).await.unwrap_err();
    assert!(
        matches!(e, SelectError::Building { id, .. } if id == building.id),
        "{e}"
    );
    assert!(e.to_string().contains("still building"), "{e}");
    assert!(matches!(
        choose(store, &Selector::Rule("party-count".into())).await,
        Err(SelectError::NoRule { .. })
    ));

    // Once ready, the rule names it (and its versioned name and identity too).
    store
        .set_state(building.id, GenerationState::Ready)
        .await
        .unwrap();
    for name in ["party-count", "party-count@1", "party-count@1+0"] {
        let g = choose(store, &Selector::Rule(name.into())).await.unwrap();
        assert_eq!(g.id, building.id, "{name}");
    }
    // The active rule's generation is chosen by its rule name, over a newer ready one.
    let newer = store
        .create_generation(&active.rule_name, &active.rule_identity, &active.params)
        .await
        .unwrap();
    store
        .set_state(newer.id, GenerationState::Ready)
        .await
        .unwrap();
    let g = choose(store, &Selector::Rule(active.rule_name.clone()))
        .await
        .unwrap();
    assert_eq!(g.id, active.id);

    // A call loads under the chosen generation, with its raw events.
    let call = load(store, &Selector::Active, &engagement).await.unwrap();
    assert!(call.projection().unwrap().is_some());
    assert!(!call.events.is_empty());
    assert!(matches!(
        load(store, &Selector::Active, &"no-such-engagement".into()).await,
        Err(CallError::Unknown(_))
    ));
}

#[tokio::test]
async fn sqlite_generations_are_chosen_one_way() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let store = zcc_store_sqlite::SqliteLog::open(path.to_str().unwrap()).unwrap();
    every_case(Arc::new(store)).await;
}

#[tokio::test]
async fn postgres_generations_are_chosen_one_way() {
    let db = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    every_case(Arc::new(store)).await;
}
