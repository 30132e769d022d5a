//! Compare the call model with Zoom's own record of each call: Zoom's engagement dataset
//! against the active generation's projections, for the calls that started in a window.
//!
//! Compared per engagement (one [`Disagreement`] per field that differs):
//! - `missing_in_ledger`: Zoom has the call, the log has no event of it;
//! - `missing_in_zoom`: the ledger has the call, Zoom's dataset does not;
//! - `conference_count`: Zoom's `conference_count` against the projection's conferences;
//! - `hold_count`: Zoom's `hold_count` against the projection's holds;
//! - `transfer_completed_count`: Zoom's `transfer_completed_count` against the projection's
//!   transfers whose outcome is `completed`;
//! - `agents`: the user ids Zoom lists in `users` against the user ids of the call's agent
//!   legs (supervisors' legs are not agent legs).
//!
//! A count Zoom leaves out is not compared. Zoom's dataset is read for an hour more on each
//! side of the window, and a call Zoom places in the window that the ledger started just
//! outside it is looked up by id, so a call is never reported missing because the two sides
//! disagree on its start by a few seconds.

use std::collections::{BTreeMap, HashMap};

use crate::call::{Unreadable, decode};
use crate::select::{SelectError, Selector, choose};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use zcc_model::TransferOutcome;
use zcc_store::StoreError;
use zcc_store::projection::{Generation, ProjectionDoc, ProjectionStore, SearchFilter};
use zcc_zoom::{Window, ZoomClient, ZoomEngagement, ZoomError, parse_zoom_time};

/// Projections read per page.
const PAGE: usize = 1000;

/// How far beyond the window Zoom's dataset is read.
const MARGIN: chrono::Duration = chrono::Duration::hours(1);

/// A field compared, as written in the `field` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    MissingInLedger,
    MissingInZoom,
    ConferenceCount,
    HoldCount,
    TransferCompletedCount,
    Agents,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::MissingInLedger,
        Field::MissingInZoom,
        Field::ConferenceCount,
        Field::HoldCount,
        Field::TransferCompletedCount,
        Field::Agents,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::MissingInLedger => "missing_in_ledger",
            Field::MissingInZoom => "missing_in_zoom",
            Field::ConferenceCount => "conference_count",
            Field::HoldCount => "hold_count",
            Field::TransferCompletedCount => "transfer_completed_count",
            Field::Agents => "agents",
        }
    }
}

/// One disagreement: SPEC 7's row `{"engagement_id", "field", "zoom", "ledger"}`. For the
/// `missing_*` fields the side that has the call gives its start time, the other `null`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    pub engagement_id: String,
    pub field: Field,
    pub zoom: Value,
    pub ledger: Value,
}

/// How often one field agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub field: Field,
    pub compared: u64,
    pub agreed: u64,
}

impl Tally {
    /// The share that agreed, 1 when nothing was compared.
    pub fn rate(&self) -> f64 {
        if self.compared == 0 {
            1.0
        } else {
            self.agreed as f64 / self.compared as f64
        }
    }
}

/// The outcome of one comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconcileReport {
    /// The generation compared (the active one).
    pub generation: i64,
    pub rule: String,
    /// Calls in the window per side.
    pub zoom_engagements: u64,
    pub ledger_engagements: u64,
    /// Disagreements, by engagement id then field.
    pub disagreements: Vec<Disagreement>,
    /// One per field, in [`Field::ALL`] order.
    pub tallies: Vec<Tally>,
}

impl ReconcileReport {
    pub fn agrees(&self) -> bool {
        self.disagreements.is_empty()
    }
}

/// Why a comparison could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("reading Zoom's engagement dataset: {0}")]
    Zoom(#[from] ZoomError),
    #[error("reading the ledger's projections: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
}

/// What the ledger says of one call, in the terms Zoom counts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LedgerCall {
    started_at_ms: Option<i64>,
    conferences: i64,
    holds: i64,
    transfers_completed: i64,
    agents: Vec<String>,
}

/// Compare Zoom's engagements that started in `window` with the active generation.
pub async fn reconcile<S: ProjectionStore + ?Sized>(
    store: &S,
    zoom: &ZoomClient,
    window: Window,
) -> Result<ReconcileReport, ReconcileError> {
    // The active generation, read directly (as `select::choose` with `Selector::Active`).
    let generation = choose(store, &Selector::Active).await?;
    let ledger = ledger_calls(store, &generation, window).await?;

    let wide = Window::new(window.from - MARGIN, window.to + MARGIN).unwrap_or(window);
    let (engagements, _unreadable) = zoom.engagements(wide).collect().await?;
    let mut zoom_calls: BTreeMap<String, ZoomEngagement> = BTreeMap::new();
    for e in engagements {
        zoom_calls.insert(e.engagement_id.clone(), e);
    }

    let mut tallies: HashMap<Field, Tally> = Field::ALL
        .iter()
        .map(|&field| {
            (
                field,
                Tally {
                    field,
                    compared: 0,
                    agreed: 0,
                },
            )
        })
        .collect();
    let mut count = |field: Field, agreed: bool| {
        let t = tallies.get_mut(&field).expect("every field has a tally");
        t.compared += 1;
        t.agreed += u64::from(agreed);
    };
    let mut out = Vec::new();
    let mut zoom_in_window = 0;

    for (id, z) in &zoom_calls {
        let start = z.start_time.as_deref().and_then(parse_zoom_time);
        if !start.is_none_or(|t| t >= window.from && t < window.to) {
            continue;
        }
        zoom_in_window += 1;
        let call = match ledger.get(id) {
            Some(call) => Some(call.clone()),
            // Started just outside the window by the ledger's reading?
            None => match store.projection(generation.id, id).await? {
                Some(doc) => Some(ledger_call(&generation, &doc)?),
                None => None,
            },
        };
        count(Field::MissingInLedger, call.is_some());
        let Some(call) = call else {
            out.push(Disagreement {
                engagement_id: id.clone(),
                field: Field::MissingInLedger,
                zoom: z.start_time.clone().map_or(Value::Null, Value::String),
                ledger: Value::Null,
            });
            continue;
        };
        compare(id, z, &call, &mut out, &mut count);
    }
    for (id, call) in &ledger {
        let present = zoom_calls.contains_key(id);
        count(Field::MissingInZoom, present);
        if !present {
            out.push(Disagreement {
                engagement_id: id.clone(),
                field: Field::MissingInZoom,
                zoom: Value::Null,
                ledger: call
                    .started_at_ms
                    .map_or(Value::Null, |ms| json!(rfc3339(ms))),
            });
        }
    }
    out.sort_by(|a, b| (&a.engagement_id, a.field).cmp(&(&b.engagement_id, b.field)));
    Ok(ReconcileReport {
        generation: generation.id.0,
        rule: generation.rule_identity.clone(),
        zoom_engagements: zoom_in_window,
        ledger_engagements: ledger.len() as u64,
        disagreements: out,
        tallies: Field::ALL.iter().map(|f| tallies[f]).collect(),
    })
}

/// The counts of one call present on both sides.
fn compare(
    id: &str,
    z: &ZoomEngagement,
    call: &LedgerCall,
    out: &mut Vec<Disagreement>,
    count: &mut impl FnMut(Field, bool),
) {
    for (field, zoom, ledger) in [
        (Field::ConferenceCount, z.conference_count, call.conferences),
        (Field::HoldCount, z.hold_count, call.holds),
        (
            Field::TransferCompletedCount,
            z.transfer_completed_count,
            call.transfers_completed,
        ),
    ] {
        let Some(zoom) = zoom else { continue };
        count(field, zoom == ledger);
        if zoom != ledger {
            out.push(Disagreement {
                engagement_id: id.to_owned(),
                field,
                zoom: json!(zoom),
                ledger: json!(ledger),
            });
        }
    }
    let mut zoom_agents: Vec<String> = z.users.iter().map(|u| u.user_id.clone()).collect();
    zoom_agents.sort();
    zoom_agents.dedup();
    count(Field::Agents, zoom_agents == call.agents);
    if zoom_agents != call.agents {
        out.push(Disagreement {
            engagement_id: id.to_owned(),
            field: Field::Agents,
            zoom: json!(zoom_agents),
            ledger: json!(call.agents),
        });
    }
}

/// Every call of the generation that started in the window, by engagement id.
async fn ledger_calls<S: ProjectionStore + ?Sized>(
    store: &S,
    generation: &Generation,
    window: Window,
) -> Result<BTreeMap<String, LedgerCall>, ReconcileError> {
    let filter = SearchFilter {
        started_from_ms: Some(window.from.timestamp_millis()),
        started_before_ms: Some(window.to.timestamp_millis()),
        ..SearchFilter::default()
    };
    let mut calls = BTreeMap::new();
    let mut after: Option<(i64, String)> = None;
    loop {
        let page = store
            .search(generation.id, &filter, after.clone(), PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some((last.started_at_ms.unwrap_or(0), last.engagement_id.clone()));
        let full = page.len() == PAGE;
        for doc in &page {
            calls.insert(doc.engagement_id.clone(), ledger_call(generation, doc)?);
        }
        if !full {
            break;
        }
    }
    Ok(calls)
}

fn ledger_call(generation: &Generation, doc: &ProjectionDoc) -> Result<LedgerCall, ReconcileError> {
    let p = decode(generation.id, doc)?;
    let agents = p.agents();
    Ok(LedgerCall {
        started_at_ms: doc.started_at_ms,
        conferences: p.conferences.len() as i64,
        holds: p.holds.len() as i64,
        transfers_completed: p
            .transfers
            .iter()
            .filter(|t| t.outcome == TransferOutcome::Completed)
            .count() as i64,
        agents,
    })
}

/// RFC 3339 UTC with milliseconds (SPEC 8).
fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}
