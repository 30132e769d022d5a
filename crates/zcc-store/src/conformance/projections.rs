//! The [`ProjectionStore`] checks of the conformance suite: text search (`q`) over names,
//! numbers and engagement ids, the search text of documents written without it, and a
//! replaced document's agents and queues.

use std::future::Future;
use std::sync::Arc;

use crate::Position;
use crate::projection::{GenerationId, ProjectionDoc, ProjectionStore, SearchFilter};
use crate::search::{parse_query, search_text};

/// Run every projection check, each on a fresh store from `make`.
pub async fn run_all<L, F, Fut>(mut make: F)
where
    L: ProjectionStore + ?Sized,
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<L>>,
{
    text_search_matches_names_numbers_and_id_beginnings(make().await).await;
    documents_without_search_text_are_filled_once(make().await).await;
    a_replaced_document_replaces_its_agents_and_queues(make().await).await;
}

/// A document of `events` derived events, ~150 bytes each: past the size at which a backend
/// compresses a stored value once `events` is a dozen or more, as a call's document is.
pub fn long_document(engagement_id: &str, events: usize) -> ProjectionDoc {
    let derived: Vec<String> = (0..events)
        .map(|i| {
            format!(
                r#"{{"at":{},"kind":"agent_joined","engagement_id":"{engagement_id}","agents":["AgtA"],"evidence":[{i}],"rule":"correlated@1+3fa2c1"}}"#,
                1_777_903_200_000u64 + i as u64
            )
        })
        .collect();
    ProjectionDoc {
        engagement_id: engagement_id.into(),
        account_id: Some("Acct".to_owned()),
        started_at_ms: Some(1_777_903_200_000),
        ended_at_ms: None,
        has_conference: false,
        agents: vec!["AgtA".to_owned()],
        queues: vec![],
        doc: format!(r#"{{"derived_events":[{}]}}"#, derived.join(",")),
        search: None,
    }
}

/// A document starting `minute` minutes into the test hour, with `search` as given.
fn doc(engagement_id: &str, minute: i64, search: Option<String>) -> ProjectionDoc {
    ProjectionDoc {
        engagement_id: engagement_id.into(),
        account_id: Some("Acct".to_owned()),
        started_at_ms: Some(1_777_903_200_000 + minute * 60_000),
        ended_at_ms: None,
        has_conference: minute % 2 == 0,
        agents: vec![format!("U{minute}")],
        queues: vec![],
        doc: "{}".to_owned(),
        search,
    }
}

/// A new generation of the conformance rule.
async fn generation<L: ProjectionStore + ?Sized>(store: &L) -> GenerationId {
    store
        .create_generation("correlated", "correlated@1+conformance", "{}")
        .await
        .unwrap()
        .id
}

/// The engagement ids `q` finds in generation `g`, oldest first.
async fn found<L: ProjectionStore + ?Sized>(store: &L, g: GenerationId, q: &str) -> Vec<String> {
    let filter = SearchFilter {
        text: parse_query(q),
        ..SearchFilter::default()
    };
    matching(store, g, &filter).await
}

/// The engagement ids `filter` finds in generation `g`, oldest first.
async fn matching<L: ProjectionStore + ?Sized>(
    store: &L,
    g: GenerationId,
    filter: &SearchFilter,
) -> Vec<String> {
    store
        .search(g, filter, None, 100)
        .await
        .unwrap_or_else(|e| panic!("searching with {filter:?}: {e}"))
        .into_iter()
        .map(|d| d.engagement_id.to_string())
        .collect()
}

/// Every word must match a part of a name or number, or the id's beginning, in any case;
/// numbers match with or without `+`, spaces and dashes; `%` and `_` are only themselves.
pub async fn text_search_matches_names_numbers_and_id_beginnings<L: ProjectionStore + ?Sized>(
    store: Arc<L>,
) {
    let g = generation(&*store).await;
    let alpha = search_text(
        "EngSearchAlpha001",
        ["Maria Garcia", "Sam Okafor", "Lee Supervisor", "Pat Caller"],
        ["+1 555-010-0199"],
    );
    let beta = search_text(
        "EngSearchBeta002",
        ["Mario Rossi", "José Núñez", "Dana Bell"],
        ["+44 20 7946 0958"],
    );
    let other = search_text("EngOther003", ["Chris Young", "Team_A 100%"], []);
    let docs = vec![
        doc("EngSearchAlpha001", 1, Some(alpha)),
        doc("EngSearchBeta002", 2, Some(beta)),
        doc("EngOther003", 3, Some(other)),
    ];
    store.write_projections(g, docs, Position(3)).await.unwrap();
    let (a, b, o) = ("EngSearchAlpha001", "EngSearchBeta002", "EngOther003");
    let cases: &[(&str, &[&str])] = &[
        ("garcia", &[a]),
        ("GARC", &[a]),
        ("mari", &[a, b]),
        ("Mari GARCIA", &[a]),
        ("okafor rossi", &[]),
        ("supervisor", &[a]),
        ("pat", &[a]),
        ("NÚÑEZ", &[b]),
        ("+15550100199", &[a]),
        ("15550100199", &[a]),
        ("+1 555-010-0199", &[a]),
        ("555 010 0199", &[a]),
        ("0199", &[a]),
        ("7946 0958", &[b]),
        ("EngSearch", &[a, b]),
        ("engsearchb", &[b]),
        ("ENGOTHER003", &[o]),
        ("Search", &[]),
        ("nobody", &[]),
        ("garcia nobody", &[]),
        ("%", &[o]),
        ("_", &[o]),
        ("m%", &[]),
    ];
    for (q, want) in cases {
        assert_eq!(&found(&*store, g, q).await, want, "q = {q:?}");
    }
    // Terms narrow the other filters, and the other filters the terms.
    let filter = SearchFilter {
        text: parse_query("mari"),
        has_conference: Some(true),
        newest_first: true,
        ..SearchFilter::default()
    };
    let hits = store.search(g, &filter, None, 100).await.unwrap();
    let ids: Vec<&str> = hits.iter().map(|d| d.engagement_id.as_str()).collect();
    assert_eq!(ids, [b], "mari among the calls with a conference");
}

/// A document without search text (one written before the store kept it) is found by its id as
/// typed only, is listed for the backfill until its text is set, and then is found like any
/// other. Setting never overwrites a text that a newer write brought.
pub async fn documents_without_search_text_are_filled_once<L: ProjectionStore + ?Sized>(
    store: Arc<L>,
) {
    let g = generation(&*store).await;
    let fresh = search_text("EngFresh", ["Ann Fresh"], []);
    let docs = vec![
        doc("EngOld1", 1, None),
        doc("EngOld2", 2, None),
        doc("EngFresh", 3, Some(fresh.clone())),
    ];
    store.write_projections(g, docs, Position(3)).await.unwrap();
    assert_eq!(found(&*store, g, "EngOld1").await, ["EngOld1"]);
    assert!(found(&*store, g, "engold1").await.is_empty());
    assert!(found(&*store, g, "walker").await.is_empty());

    let listed = store.unsearchable_projections(10).await.unwrap();
    let keys: Vec<(GenerationId, &str)> = listed
        .iter()
        .map(|(gen_id, d)| (*gen_id, d.engagement_id.as_str()))
        .collect();
    assert_eq!(keys, [(g, "EngOld1"), (g, "EngOld2")]);
    assert_eq!(listed[0].1.doc, "{}", "the document comes with it");
    assert_eq!(listed[0].1.search, None);
    assert_eq!(store.unsearchable_projections(1).await.unwrap().len(), 1);

    // EngOld2 is re-written with its own text before the backfill gets to it.
    let own = search_text("EngOld2", ["Bo Rewritten"], []);
    store
        .write_projections(g, vec![doc("EngOld2", 2, Some(own.clone()))], Position(4))
        .await
        .unwrap();
    let set = store
        .fill_search_text(vec![
            (
                g,
                "EngOld1".into(),
                search_text("EngOld1", ["Kim Walker"], []),
            ),
            (g, "EngOld2".into(), search_text("EngOld2", ["Stale"], [])),
            (g, "EngFresh".into(), search_text("EngFresh", ["Stale"], [])),
        ])
        .await
        .unwrap();
    assert_eq!(set, 1, "only EngOld1 had no text");
    assert!(store.unsearchable_projections(10).await.unwrap().is_empty());
    assert_eq!(found(&*store, g, "WALKER").await, ["EngOld1"]);
    assert_eq!(found(&*store, g, "engold").await, ["EngOld1", "EngOld2"]);
    assert_eq!(found(&*store, g, "rewritten").await, ["EngOld2"]);
    assert!(found(&*store, g, "stale").await.is_empty());
    let back = store
        .projection(g, &"EngOld2".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.search.as_deref(), Some(own.as_str()));
    let back = store
        .projection(g, &"EngFresh".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.search, Some(fresh));
    assert_eq!(store.fill_search_text(Vec::new()).await.unwrap(), 0);
}

/// The engagement ids an agent or queue filter finds in generation `g`.
async fn found_by<L: ProjectionStore + ?Sized>(
    store: &L,
    g: GenerationId,
    agent: Option<&str>,
    queue: Option<&str>,
) -> Vec<String> {
    let filter = SearchFilter {
        agent: agent.map(str::to_owned),
        queue: queue.map(str::to_owned),
        ..SearchFilter::default()
    };
    matching(store, g, &filter).await
}

/// A document written again (in a later batch, or twice in one) is replaced whole: an agent
/// or queue it no longer names finds it no more, a new one does, and the stored document is
/// the last one written; a document new to the generation beside it is written as given.
pub async fn a_replaced_document_replaces_its_agents_and_queues<L: ProjectionStore + ?Sized>(
    store: Arc<L>,
) {
    let g = generation(&*store).await;
    let first = ProjectionDoc {
        agents: vec!["AgtA".to_owned(), "AgtB".to_owned()],
        queues: vec!["Q1".to_owned()],
        doc: r#"{"v":1}"#.to_owned(),
        ..doc("EngR", 1, None)
    };
    store
        .write_projections(g, vec![first], Position(2))
        .await
        .unwrap();
    let second = ProjectionDoc {
        agents: vec!["AgtB".to_owned(), "AgtC".to_owned()],
        queues: vec!["Q2".to_owned()],
        doc: r#"{"v":2}"#.to_owned(),
        ..doc("EngR", 1, None)
    };
    let other = ProjectionDoc {
        agents: vec!["AgtA".to_owned()],
        queues: vec!["Q1".to_owned()],
        ..doc("EngS", 2, None)
    };
    store
        .write_projections(g, vec![second, other], Position(4))
        .await
        .unwrap();
    let eng = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        found_by(&*store, g, Some("AgtA"), None).await,
        eng(&["EngS"])
    );
    assert_eq!(
        found_by(&*store, g, Some("AgtB"), None).await,
        eng(&["EngR"])
    );
    assert_eq!(
        found_by(&*store, g, Some("AgtC"), None).await,
        eng(&["EngR"])
    );
    assert_eq!(found_by(&*store, g, None, Some("Q1")).await, eng(&["EngS"]));
    assert_eq!(found_by(&*store, g, None, Some("Q2")).await, eng(&["EngR"]));
    let stored = store
        .projection(g, &"EngR".into())
        .await
        .unwrap()
        .expect("the replaced document");
    assert_eq!(stored.doc, r#"{"v":2}"#);
    assert_eq!(stored.agents, ["AgtB", "AgtC"]);
    assert_eq!(stored.queues, ["Q2"]);
}
