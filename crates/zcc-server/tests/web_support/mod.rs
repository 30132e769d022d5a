//! Shared by the web tests: a fresh SQLite ledger per test, filled with simulated ZCC traffic
//! (or chosen bodies), with the default generation projected, and the state to serve it.
#![allow(dead_code)] // each test binary uses a part of this module

use std::collections::BTreeMap;
use std::sync::Arc;

use tempfile::TempDir;
use zcc_model::{CallProjection, OfferOutcome, Party, PhaseKind};
use zcc_server::{AppState, Secret, ServeArgs};
use zcc_sim::{SimConfig, SimItem, TruthRow};
use zcc_store::projection::{GenerationId, ProjectionStore};
use zcc_store::{EventLog, Source, ingest};
use zcc_store_sqlite::SqliteLog;

/// A ledger in a temporary directory, projected under the default rule.
pub struct Corpus {
    _dir: TempDir,
    pub store: Arc<SqliteLog>,
    /// Each simulated engagement's pattern name (`conference`, `hold_resume`, ...).
    pub patterns: BTreeMap<String, String>,
    /// Each simulated engagement's bodies, in delivery order.
    pub bodies: BTreeMap<String, Vec<String>>,
}

impl Corpus {
    /// `calls` simulated calls (seeded, so every run gets the same bytes).
    pub async fn simulated(calls: u64, seed: u64) -> Corpus {
        let config = SimConfig {
            calls,
            seed,
            ..SimConfig::default()
        };
        let mut patterns = BTreeMap::new();
        let mut bodies: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut all = Vec::new();
        for item in zcc_sim::generate(&config).expect("a valid simulator configuration") {
            match item {
                SimItem::Webhook(d) => {
                    let v: serde_json::Value = serde_json::from_str(&d.body).unwrap();
                    if let Some(id) = v["payload"]["object"]["engagement_id"].as_str() {
                        bodies
                            .entry(id.to_owned())
                            .or_default()
                            .push(d.body.clone());
                    }
                    all.push((d.body, d.deliver_at_ms));
                }
                SimItem::Truth(row) => {
                    if let TruthRow::Engagements(e) = *row {
                        patterns.insert(e.engagement_id, e.pattern);
                    }
                }
            }
        }
        let mut corpus = Corpus::from_bodies(&all).await;
        corpus.patterns = patterns;
        corpus.bodies = bodies;
        corpus
    }

    /// A ledger holding exactly these bodies (with their receive times), projected.
    pub async fn from_bodies(bodies: &[(String, i64)]) -> Corpus {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("web.db");
        let store = Arc::new(SqliteLog::open(path.to_str().unwrap()).expect("open SQLite"));
        for chunk in bodies.chunks(1000) {
            let batch = chunk
                .iter()
                .map(|(body, at)| {
                    ingest::prepare(body.as_bytes(), Source::Import, *at, None)
                        .expect("an envelope")
                })
                .collect();
            store.append_batch(batch).await.expect("append");
        }
        zcc_projector::ensure_default_generation(&*store)
            .await
            .expect("default generation");
        zcc_projector::catch_up_all(&*store, &())
            .await
            .expect("catch up");
        Corpus {
            _dir: dir,
            store,
            patterns: BTreeMap::new(),
            bodies: BTreeMap::new(),
        }
    }

    /// Engagements of a simulated pattern, in id order.
    pub fn engagements(&self, pattern: &str) -> Vec<&str> {
        self.patterns
            .iter()
            .filter(|(_, p)| p.as_str() == pattern)
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// An engagement's projection under the default generation.
    pub async fn projection_of(&self, id: &str) -> CallProjection {
        let doc = self
            .store
            .projection(GenerationId(1), &id.into())
            .await
            .unwrap()
            .expect("projected");
        CallProjection::from_canonical_json(doc.doc.as_bytes()).unwrap()
    }

    /// A simulated call with every phase around its legs: the flow (IVR) and a queue wait, an
    /// offer that was not accepted, a wrap-up, a disposition and a note; the one with the most
    /// marks, in id order on ties.
    pub async fn call_with_every_phase(&self) -> Option<(String, CallProjection)> {
        let mut best: Option<(usize, String, CallProjection)> = None;
        for id in self.patterns.keys() {
            let p = self.projection_of(id).await;
            let has = |k: PhaseKind| p.phases.iter().any(|x| x.kind == k);
            let missed = p.offers.iter().any(|o| o.outcome != OfferOutcome::Accepted);
            let every = has(PhaseKind::Flow)
                && has(PhaseKind::Queue)
                && missed
                && !p.wrap_ups.is_empty()
                && !p.dispositions.is_empty()
                && !p.notes.is_empty();
            if !every {
                continue;
            }
            let score = p.phases.len() + p.offers.len() + p.wrap_ups.len() + p.holds.len();
            if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                best = Some((score, id.clone(), p));
            }
        }
        best.map(|(_, id, p)| (id, p))
    }

    /// The server's state over this ledger, with an API token or without.
    pub fn state(&self, api_token: Option<&str>) -> AppState {
        AppState::new(args(api_token), self.store.clone(), None).expect("valid state")
    }
}

/// Serve arguments for tests: one webhook secret, the token if any.
pub fn args(api_token: Option<&str>) -> ServeArgs {
    ServeArgs {
        webhook_secret: vec![Secret::new("web-test-secret")],
        api_token: api_token.map(Secret::new),
        ..ServeArgs::default()
    }
}

/// The agents the timeline gives a lane: anyone with an agent leg, an offer or a wrap-up who
/// did not supervise, sorted.
pub fn lane_agents(p: &CallProjection) -> Vec<String> {
    let supervisors: Vec<&str> = p
        .supervision
        .iter()
        .map(|s| s.supervisor.as_str())
        .collect();
    let mut agents: Vec<String> = p
        .legs
        .iter()
        .filter(|l| l.party == Party::Agent)
        .filter_map(|l| l.user_id.clone())
        .chain(p.offers.iter().filter_map(|o| o.user_id.clone()))
        .chain(p.wrap_ups.iter().map(|w| w.user_id.clone()))
        .filter(|u| !supervisors.contains(&u.as_str()))
        .collect();
    agents.sort();
    agents.dedup();
    agents
}
