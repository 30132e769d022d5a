//! The projector against both real backends: live catch-up equals a rebuild byte for byte,
//! activation is atomic, diff finds exactly the differing engagements, evaluate scores rules
//! against explicit conference events, the live task and resumed rebuilds.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::*;
use zcc_model::{ExplicitConferences, rules};
use zcc_projector::*;
use zcc_store::Position;
use zcc_store::projection::{Backend, GenerationId, GenerationState};

async fn active_id<S: Backend + ?Sized>(store: &S) -> GenerationId {
    active(store)
        .await
        .unwrap()
        .expect("an active generation")
        .id
}

/// Live catch-up after every small batch (duplicates, reordering, late retries), then a rebuild
/// of the same rule from the log: every document equal, byte for byte. Several window sizes,
/// so engagements are flushed early and re-folded when they reappear.
async fn rebuild_equals_live<S: Backend + ?Sized>(store: &S, scan: Option<Arc<dyn LogScan>>) {
    let bodies = traffic(40, 7, 0.3);
    append_live(store, &bodies).await;
    let live = active_id(store).await;
    let head = store.head().await.unwrap();
    assert_eq!(
        store.generation(live).await.unwrap().unwrap().checkpoint,
        Position(head.size),
        "live catch-up reached the head"
    );
    for (window, chunk) in [(20_000, 4_096), (30, 17), (1, 5)] {
        let report = reproject_with(
            store,
            RebuildRequest {
                rule_name: rules::DEFAULT_RULE,
                params: &[],
                activate: false,
                options: RebuildOptions {
                    window,
                    chunk,
                    threads: 2,
                    write_docs: 5,
                },
                scan: scan.clone(),
            },
            &(),
        )
        .await
        .unwrap();
        assert_eq!(report.state, GenerationState::Ready);
        assert_eq!(
            report.entries, head.size as u64,
            "the scan read the whole log"
        );
        if window == 1 {
            assert!(
                report.refolded > 0,
                "a tiny window re-folds reappearing engagements"
            );
        }
        assert_eq!(
            store
                .generation(report.generation)
                .await
                .unwrap()
                .unwrap()
                .checkpoint,
            Position(head.size)
        );
        assert_same_docs(store, live, report.generation).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rebuild_equals_live() {
    let db = sqlite();
    rebuild_equals_live(&*db.log, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_fast_scan_rebuild_equals_live() {
    let db = sqlite();
    // The SQLite fast scan, as `reproject` wires it.
    let scan = zcc_store::EventLog::log_scan(db.log.clone());
    assert!(scan.is_some(), "SQLite offers a fast scan");
    rebuild_equals_live(&*db.log, scan).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_fast_scan_rebuild_equals_live() {
    let db = postgres().await;
    // The PostgreSQL fast scan, as `reproject` wires it.
    let scan = zcc_store::EventLog::log_scan(db.log.clone());
    assert!(scan.is_some(), "PostgreSQL offers a fast scan");
    rebuild_equals_live(&*db.log, scan).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rebuild_equals_live() {
    let db = postgres().await;
    rebuild_equals_live(&*db.log, None).await;
}

/// One catch-up over a log appended in bulk (pages of several thousand entries, engagements
/// spanning pages, folds on several threads), with the first call's first event delivered
/// again as a late event at the very end of the log: the engagement was first seen many pages
/// earlier and its last page must re-fold it from all its events. Equal to a rebuild, byte for
/// byte.
async fn bulk_catch_up_equals_rebuild<S: Backend + ?Sized>(store: &S) {
    let mut bodies = traffic(400, 23, 0.3);
    let first = bodies.remove(0);
    let first_engagement = prepare(&first)
        .engagement_id
        .expect("the first body belongs to an engagement");
    bodies.push(first);
    ensure_default_generation(store).await.unwrap();
    append(store, &bodies).await;
    let head = store.head().await.unwrap();
    let first_entries = store.engagement_events(&first_engagement).await.unwrap();
    assert_eq!(
        first_entries.last().map(|e| e.position),
        Some(Position(head.size)),
        "the late event is the last entry of the log"
    );
    assert!(
        first_entries[0].position.0 < head.size / 2,
        "and its engagement was first seen long before"
    );
    let pages = std::sync::atomic::AtomicUsize::new(0);
    let count_pages = |_: &Progress| {
        pages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let reports = catch_up_all(store, &count_pages).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].entries, head.size as u64);
    assert_eq!(reports[0].to, Position(head.size));
    let pages = pages.into_inner();
    assert!(pages > 1, "several pages ({pages})");
    assert!(
        (pages as i64) < head.size / CATCH_UP_PAGE as i64,
        "pages larger than the smallest far from the head ({pages} pages for {} entries)",
        head.size
    );
    let live = active_id(store).await;
    let late = store
        .projection(live, &first_engagement)
        .await
        .unwrap()
        .expect("the late event's engagement has a document");
    assert!(!late.doc.is_empty());
    let report = reproject_with(
        store,
        RebuildRequest {
            rule_name: rules::DEFAULT_RULE,
            params: &[],
            activate: false,
            options: RebuildOptions::default(),
            scan: None,
        },
        &(),
    )
    .await
    .unwrap();
    assert_same_docs(store, live, report.generation).await;
}

on_both_backends!(bulk_catch_up_equals_rebuild: sqlite_bulk_catch_up_equals_rebuild, postgres_bulk_catch_up_equals_rebuild);

/// A rebuild interrupted after part of the log (its generation still building, checkpoint
/// mid-way) resumes and ends equal to the live generation.
async fn resumed_rebuild_equals_live<S: Backend + ?Sized>(store: &S) {
    let bodies = traffic(30, 11, 0.3);
    let (first, rest) = bodies.split_at(bodies.len() / 2);
    append_live(store, first).await;
    let rule = rules::default_rule();
    let identity = rule.identity();
    let building = store
        .create_generation(
            &identity.name,
            &identity.to_string(),
            &params_json(&identity),
        )
        .await
        .unwrap();
    // The interrupted run got as far as the head of the first half.
    catch_up(store, building.id, &()).await.unwrap();
    append_live(store, rest).await;
    assert_eq!(
        store.generation(building.id).await.unwrap().unwrap().state,
        GenerationState::Building,
        "live catch-up leaves a building generation to its rebuild"
    );
    let options = RebuildOptions {
        window: 10,
        chunk: 13,
        threads: 2,
        write_docs: 7,
    };
    let report = resume(store, building.id, true, options, None, &())
        .await
        .unwrap();
    assert!(report.resumed_from > Position::START);
    assert_eq!(report.state, GenerationState::Active);
    let previous = store
        .generations()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.id != building.id)
        .unwrap();
    catch_up_all(store, &()).await.unwrap();
    assert_same_docs(store, previous.id, building.id).await;
    let err = resume(store, building.id, false, options, None, &())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("only a generation that is still building"),
        "{err}"
    );
}

on_both_backends!(resumed_rebuild_equals_live: sqlite_resumed_rebuild_equals_live, postgres_resumed_rebuild_equals_live);

/// PostgreSQL writes two batches of a rebuild at once. A rebuild whose writes start failing
/// mid-way (the server refuses every projection row after the first few dozen, while one
/// batch commits and the next is in flight) leaves its generation building at a checkpoint
/// that the committed batches cover: resumed from there, it ends equal to the live
/// generation, byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rebuild_failing_mid_way_resumes_equal_to_live() {
    let db = postgres().await;
    let store: &dyn Backend = &*db.log;
    assert_eq!(
        store.concurrent_writes(),
        2,
        "PostgreSQL overlaps a rebuild's writes"
    );
    append_live(store, &traffic(60, 17, 0.3)).await;
    let live = active_id(store).await;
    // Every projection row of another generation after the first 60 is refused.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SEQUENCE injected_rows; \
         CREATE FUNCTION refuse_after_60() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF nextval('injected_rows') > 60 THEN \
         RAISE EXCEPTION 'injected failure of a projection write'; END IF; RETURN NEW; END $$; \
         CREATE TRIGGER refuse_after_60 BEFORE INSERT ON projections FOR EACH ROW \
         WHEN (NEW.generation <> {}) EXECUTE FUNCTION refuse_after_60();",
        live.0
    )))
    .execute(db.log.pool())
    .await
    .unwrap();
    let options = RebuildOptions {
        window: 40,
        chunk: 16,
        threads: 2,
        write_docs: 6,
    };
    let request = RebuildRequest {
        rule_name: rules::DEFAULT_RULE,
        params: &[],
        activate: false,
        options,
        scan: zcc_store::EventLog::log_scan(db.log.clone()),
    };
    let err = reproject_with(store, request, &()).await.unwrap_err();
    assert!(
        err.to_string().contains("injected failure"),
        "the rebuild reports the server's refusal: {err}"
    );
    let building = store
        .generations()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.state == GenerationState::Building)
        .expect("the interrupted generation is still building");
    let head = store.head().await.unwrap();
    assert!(
        building.checkpoint > Position::START && building.checkpoint < Position(head.size),
        "the interrupted rebuild got part of the way: checkpoint {} of {}",
        building.checkpoint,
        head.size
    );
    sqlx::raw_sql("DROP TRIGGER refuse_after_60 ON projections")
        .execute(db.log.pool())
        .await
        .unwrap();
    let scan = zcc_store::EventLog::log_scan(db.log.clone());
    let report = resume(store, building.id, false, options, scan, &())
        .await
        .unwrap();
    assert_eq!(report.resumed_from, building.checkpoint);
    assert_eq!(report.state, GenerationState::Ready);
    assert_same_docs(store, live, building.id).await;
}

/// A new database gets the default rule's generation, active; activation moves the active
/// mark in one step (readers never see zero or two active generations); building and active
/// generations are protected from activate and retire.
async fn activation<S: Backend + ?Sized + 'static>(store: Arc<S>) {
    let created = ensure_default_generation(&*store).await.unwrap().unwrap();
    assert_eq!(created.state, GenerationState::Active);
    assert_eq!(
        created.rule_identity,
        rules::default_rule().identity().to_string()
    );
    assert_eq!(
        ensure_default_generation(&*store)
            .await
            .unwrap()
            .unwrap()
            .id,
        created.id,
        "a second call creates nothing"
    );
    append_live(&*store, &traffic(10, 3, 0.0)).await;
    let baseline = reproject(&*store, "party-count", &[], false, &())
        .await
        .unwrap();
    assert_eq!(baseline.state, GenerationState::Ready);

    // Flip back and forth while a reader checks there is always exactly one active.
    let reader_store = store.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_reader = stop.clone();
    let reader = tokio::spawn(async move {
        let mut reads = 0;
        while !stop_reader.load(std::sync::atomic::Ordering::Relaxed) {
            let gens = reader_store.generations().await.unwrap();
            let n = gens
                .iter()
                .filter(|g| g.state == GenerationState::Active)
                .count();
            assert_eq!(n, 1, "exactly one active generation, saw {gens:?}");
            reads += 1;
        }
        reads
    });
    for i in 0..20 {
        let target = if i % 2 == 0 {
            baseline.generation
        } else {
            created.id
        };
        let r = activate(&*store, target).await.unwrap();
        assert_eq!(r.activated, target);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.await.unwrap() > 0);
    assert_eq!(active_id(&*store).await, created.id);
    assert_eq!(
        store
            .generation(baseline.generation)
            .await
            .unwrap()
            .unwrap()
            .state,
        GenerationState::Ready
    );

    let err = retire(&*store, created.id).await.unwrap_err();
    assert!(
        err.to_string().contains("activate another generation"),
        "{err}"
    );
    let identity = rules::default_rule().identity();
    let building = store
        .create_generation(
            &identity.name,
            &identity.to_string(),
            &params_json(&identity),
        )
        .await
        .unwrap();
    let err = activate(&*store, building.id).await.unwrap_err();
    assert!(err.to_string().contains("still being built"), "{err}");
    retire(&*store, baseline.generation).await.unwrap();
    let err = activate(&*store, baseline.generation).await.unwrap_err();
    assert!(err.to_string().contains("retired"), "{err}");
    let err = activate(&*store, GenerationId(999)).await.unwrap_err();
    assert!(
        err.to_string().contains("generation 999 does not exist"),
        "{err}"
    );
    // A retired generation is no longer kept current.
    let before = store
        .generation(baseline.generation)
        .await
        .unwrap()
        .unwrap()
        .checkpoint;
    append_live(&*store, &traffic(3, 99, 0.0)).await;
    assert_eq!(
        store
            .generation(baseline.generation)
            .await
            .unwrap()
            .unwrap()
            .checkpoint,
        before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_activation() {
    let db = sqlite();
    activation(db.log.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_activation() {
    let db = postgres().await;
    activation(db.log.clone()).await;
}

/// diff lists exactly the engagements whose projections differ apart from the rule identity,
/// computed here independently by comparing the two rules' CallProjections.
async fn diff_lists_exactly_the_differences<S: Backend + ?Sized>(store: &S) {
    append_live(store, &traffic(40, 5, 0.0)).await;
    let base = active_id(store).await;
    let cand = reproject(store, "party-count", &[], false, &())
        .await
        .unwrap()
        .generation;

    let correlated = rules::default_rule();
    let party = rules::build("party-count", &[]).unwrap();
    let mut expected = BTreeSet::new();
    let mut all = BTreeSet::new();
    for doc in all_docs(store, base).await {
        let logged = store.engagement_events(&doc.engagement_id).await.unwrap();
        let events = input_events(&logged);
        let a = correlated.project(&events);
        let mut b = party.project(&events);
        b.rule = a.rule.clone();
        for e in &mut b.derived_events {
            e.rule = a.rule.to_string();
        }
        if a != b {
            expected.insert(doc.engagement_id.clone());
        }
        all.insert(doc.engagement_id);
    }
    assert!(
        !expected.is_empty(),
        "the two rules disagree somewhere in 40 calls"
    );

    let report = diff(store, base, cand).await.unwrap();
    let listed: BTreeSet<_> = report
        .engagement_diffs
        .iter()
        .map(|d| d.engagement_id.clone())
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(report.engagements, all.len() as u64);
    assert_eq!(report.differing, expected.len() as u64);
    assert!(report.engagement_diffs.iter().all(|d| !d.kinds.is_empty()));
    assert!(
        report.kinds.keys().any(|k| k.starts_with("conference_")),
        "party-count vs correlated differ in conferences: {:?}",
        report.kinds
    );
    assert!(
        report
            .to_string()
            .contains(&format!("{} of {}", expected.len(), all.len()))
    );

    // A generation compared with a rebuild of itself: nothing differs.
    let again = reproject(store, rules::DEFAULT_RULE, &[], false, &())
        .await
        .unwrap()
        .generation;
    let same = diff(store, base, again).await.unwrap();
    assert_eq!(same.differing, 0, "{same}");
    assert_eq!(same.engagements, all.len() as u64);
}

on_both_backends!(diff_lists_exactly_the_differences: sqlite_diff, postgres_diff);

/// evaluate covers exactly the engagements with explicit conference events and its counts add
/// up; the rule under test never sees the explicit events.
async fn evaluate_scores_against_explicit_events<S: Backend + ?Sized>(store: &S) {
    append_live(store, &traffic(60, 21, 1.0)).await;
    let mut with_explicit = BTreeSet::new();
    for e in store.read_after(Position::START, 1_000_000).await.unwrap() {
        if e.event_type.contains("engagement_conference_") {
            with_explicit.insert(e.engagement_id.clone().unwrap());
        }
    }
    assert!(
        !with_explicit.is_empty(),
        "the simulator sent explicit conference events"
    );

    let report = evaluate(store, rules::DEFAULT_RULE, &[], EvalScope::default())
        .await
        .unwrap();
    assert_eq!(report.engagements, with_explicit.len() as u64);
    assert!(report.reference_conferences > 0, "{report}");
    assert_eq!(
        report.true_positives + report.false_negatives,
        report.reference_conferences
    );
    assert_eq!(
        report.true_positives + report.false_positives,
        report.predicted_conferences
    );
    let (p, r, f1) = (
        report.precision.unwrap(),
        report.recall.unwrap(),
        report.f1.unwrap(),
    );
    assert!((0.0..=1.0).contains(&p) && (0.0..=1.0).contains(&r));
    assert!((f1 - 2.0 * p * r / (p + r)).abs() < 1e-9);
    assert!(r > 0.5, "the default rule finds most conferences: {report}");
    assert!(report.median_start_error_ms.is_some());

    // The rule under test never sees explicit events: its conferences are all inferred.
    let rule = rules::default_rule();
    for id in &with_explicit {
        let logged = store.engagement_events(id).await.unwrap();
        let events = input_events(&logged);
        let hidden = rule.project_with(&events, ExplicitConferences::Hide);
        assert!(
            hidden
                .conferences
                .iter()
                .all(|c| c.source == zcc_model::ConferenceSource::Inferred)
        );
    }

    let baseline = evaluate(store, "party-count", &[], EvalScope::default())
        .await
        .unwrap();
    assert_eq!(baseline.engagements, report.engagements);
    assert_eq!(baseline.reference_conferences, report.reference_conferences);
    assert!(baseline.rule.starts_with("party-count@2"));
    let err = evaluate(store, "no-such-rule", &[], EvalScope::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown rule"), "{err}");
}

on_both_backends!(evaluate_scores_against_explicit_events: sqlite_evaluate, postgres_evaluate);

/// The live task: notifications after appends keep the active generation current; a late
/// event re-folds its engagement.
async fn live_projector<S: Backend + ?Sized + 'static>(store: Arc<S>) {
    ensure_default_generation(&*store).await.unwrap();
    let live = LiveProjector::spawn_with_tick(store.clone(), std::time::Duration::from_millis(50));
    let bodies = traffic(15, 13, 0.3);
    let (early, late) = bodies.split_at(bodies.len() - 5);
    append(&*store, early).await;
    live.notify();
    live.notify();
    live.sync().await.unwrap();
    let id = active_id(&*store).await;
    let before = all_docs(&*store, id).await;
    assert!(!before.is_empty());
    append(&*store, late).await;
    live.notify();
    live.sync().await.unwrap();
    let head = store.head().await.unwrap();
    assert_eq!(
        store.generation(id).await.unwrap().unwrap().checkpoint,
        Position(head.size)
    );
    // Every document equals a fresh fold of all its engagement's events.
    let rule = rules::default_rule();
    for doc in all_docs(&*store, id).await {
        let logged = store.engagement_events(&doc.engagement_id).await.unwrap();
        let events = input_events(&logged);
        assert_eq!(doc, fold_engagement(&*rule, &doc.engagement_id, &events));
    }
    live.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_live_projector() {
    let db = sqlite();
    live_projector(db.log.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_live_projector() {
    let db = postgres().await;
    live_projector(db.log.clone()).await;
}

/// Search reads the filter columns written with each document.
async fn search_filters<S: Backend + ?Sized>(store: &S) {
    append_live(store, &traffic(30, 17, 0.5)).await;
    let id = active_id(store).await;
    let docs = all_docs(store, id).await;
    let with_conf = docs.iter().filter(|d| d.has_conference).count();
    let filter = zcc_store::projection::SearchFilter {
        has_conference: Some(true),
        ..Default::default()
    };
    let found = store.search(id, &filter, None, 10_000).await.unwrap();
    assert_eq!(found.len(), with_conf);
    let agent = docs.iter().find_map(|d| d.agents.first().cloned()).unwrap();
    let filter = zcc_store::projection::SearchFilter {
        agent: Some(agent.clone()),
        ..Default::default()
    };
    let found = store.search(id, &filter, None, 10_000).await.unwrap();
    let expected = docs.iter().filter(|d| d.agents.contains(&agent)).count();
    assert_eq!(found.len(), expected);
    assert!(
        found
            .windows(2)
            .all(|w| w[0].started_at_ms <= w[1].started_at_ms)
    );
}

on_both_backends!(search_filters: sqlite_search, postgres_search);

/// Documents written without search text (as before the store kept it) get, batch by batch,
/// exactly the text a fresh fold writes with them; a document that does not read back gets its
/// id alone; a second run finds nothing to do.
async fn search_text_backfill<S: Backend + ?Sized>(store: &S) {
    append_live(store, &traffic(14, 5, 0.5)).await;
    let id = active_id(store).await;
    let docs = all_docs(store, id).await;
    assert!(docs.iter().all(|d| d.search.is_some()), "written with it");
    let checkpoint = store.generation(id).await.unwrap().unwrap().checkpoint;
    let mut stripped: Vec<_> = docs
        .iter()
        .cloned()
        .map(|mut d| {
            d.search = None;
            d
        })
        .collect();
    let mut damaged = docs[0].clone();
    damaged.engagement_id = "EngDamaged".into();
    damaged.doc = "{not a projection".to_owned();
    damaged.search = None;
    stripped.push(damaged);
    store
        .write_projections(id, stripped, checkpoint)
        .await
        .unwrap();
    assert_eq!(
        store.unsearchable_projections(1000).await.unwrap().len(),
        docs.len() + 1
    );

    let report = fill_search_text_in(store, 4).await.unwrap();
    assert_eq!(
        report,
        SearchBackfillReport {
            filled: docs.len() as u64 + 1,
            unreadable: 1
        }
    );
    let mut filled = all_docs(store, id).await;
    let damaged = filled.remove(
        filled
            .iter()
            .position(|d| d.engagement_id == "EngDamaged")
            .unwrap(),
    );
    assert_eq!(filled, docs, "the same text a fold writes");
    assert_eq!(damaged.search.as_deref(), Some("engdamaged\n"));
    assert_eq!(
        fill_search_text(store).await.unwrap(),
        SearchBackfillReport::default()
    );
}

on_both_backends!(search_text_backfill: sqlite_search_text_backfill, postgres_search_text_backfill);
