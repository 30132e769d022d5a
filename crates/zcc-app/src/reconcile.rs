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
//! With [`ReconcileRequest::timelines`], Zoom's engagement timelines are read too, and for each
//! call on both sides that Zoom has a timeline of:
//! - `hold_bounds`: Zoom's `agent_hold_segment`s against the projection's holds;
//! - `conference_bounds`: Zoom's `agent_conference_segment`s and
//!   `agent_warm_conference_segment`s, overlapping ones merged into one conference (each
//!   participant has a segment of it), against the projection's conferences.
//!
//! Both sides' intervals are sorted by start; they agree when there are as many on each side
//! and each start and each end is within [`BOUNDS_TOLERANCE_MS`] of the other side's (an
//! interval still open on one side agrees only with one open on the other).
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
use zcc_store::projection::{Generation, ProjectionDoc, ProjectionStore, SearchFilter};
use zcc_store::{EngagementId, StoreError};
use zcc_zoom::{Window, ZoomClient, ZoomEngagement, ZoomError, ZoomTimeline, parse_zoom_time};

/// Projections read per page.
const PAGE: usize = 1000;

/// How far beyond the window Zoom's dataset is read.
const MARGIN: chrono::Duration = chrono::Duration::hours(1);

/// How far apart the two sides' start (or end) of a hold or a conference may be and still
/// agree: Zoom's analytics and its webhooks stamp the same moment a little apart.
pub const BOUNDS_TOLERANCE_MS: i64 = 5_000;

/// Zoom's segment types of a hold.
const HOLD_SEGMENTS: &[&str] = &["agent_hold_segment"];
/// Zoom's segment types of a conference (one per participant).
const CONFERENCE_SEGMENTS: &[&str] = &["agent_conference_segment", "agent_warm_conference_segment"];

/// What to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileRequest {
    /// The calls that started in this window.
    pub window: Window,
    /// Also read Zoom's engagement timelines and compare hold and conference bounds.
    pub timelines: bool,
}

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
    HoldBounds,
    ConferenceBounds,
}

impl Field {
    /// Every field, in report order.
    pub const ALL: [Field; 8] = [
        Field::MissingInLedger,
        Field::MissingInZoom,
        Field::ConferenceCount,
        Field::HoldCount,
        Field::TransferCompletedCount,
        Field::Agents,
        Field::HoldBounds,
        Field::ConferenceBounds,
    ];

    /// The fields compared from Zoom's timelines, only when asked.
    pub const TIMELINE: [Field; 2] = [Field::HoldBounds, Field::ConferenceBounds];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::MissingInLedger => "missing_in_ledger",
            Field::MissingInZoom => "missing_in_zoom",
            Field::ConferenceCount => "conference_count",
            Field::HoldCount => "hold_count",
            Field::TransferCompletedCount => "transfer_completed_count",
            Field::Agents => "agents",
            Field::HoldBounds => "hold_bounds",
            Field::ConferenceBounds => "conference_bounds",
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

/// How often one field agreed. Serialised with its `rate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "TallyOut")]
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

/// A [`Tally`] as written: with its rate.
#[derive(Serialize)]
struct TallyOut {
    field: Field,
    compared: u64,
    agreed: u64,
    rate: f64,
}

impl From<Tally> for TallyOut {
    fn from(t: Tally) -> TallyOut {
        TallyOut {
            field: t.field,
            compared: t.compared,
            agreed: t.agreed,
            rate: t.rate(),
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
    /// Whether Zoom's timelines were compared (`hold_bounds`, `conference_bounds`).
    pub timelines: bool,
    /// Zoom's timelines read (with `timelines`).
    pub zoom_timelines: u64,
    /// One per field compared, in [`Field::ALL`] order (the timeline fields only with
    /// `timelines`).
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
    #[error("reading Zoom's engagement timelines: {0}")]
    Timelines(#[source] ZoomError),
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
    /// The conferences' bounds, by start.
    conferences: Vec<Bounds>,
    /// The holds' bounds, by start.
    holds: Vec<Bounds>,
    transfers_completed: i64,
    agents: Vec<String>,
}

/// When a hold or a conference started and ended (`None`: still open, or Zoom gave no end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Bounds {
    start_ms: i64,
    end_ms: Option<i64>,
}

impl Bounds {
    fn json(self) -> Value {
        json!({"start": rfc3339(self.start_ms), "end": self.end_ms.map(rfc3339)})
    }

    fn near(self, other: Bounds) -> bool {
        let close = |a: i64, b: i64| (a - b).abs() <= BOUNDS_TOLERANCE_MS;
        close(self.start_ms, other.start_ms)
            && match (self.end_ms, other.end_ms) {
                (Some(a), Some(b)) => close(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

/// How often each compared field agreed.
struct Tallies(BTreeMap<Field, Tally>);

impl Tallies {
    fn new(fields: impl IntoIterator<Item = Field>) -> Tallies {
        Tallies(
            fields
                .into_iter()
                .map(|field| {
                    let tally = Tally {
                        field,
                        compared: 0,
                        agreed: 0,
                    };
                    (field, tally)
                })
                .collect(),
        )
    }

    fn count(&mut self, field: Field, agreed: bool) {
        if let Some(t) = self.0.get_mut(&field) {
            t.compared += 1;
            t.agreed += u64::from(agreed);
        }
    }

    fn into_vec(self) -> Vec<Tally> {
        self.0.into_values().collect()
    }
}

/// Compare Zoom's engagements that started in the request's window with the active
/// generation (and, when asked, Zoom's timelines with its holds and conferences).
pub async fn reconcile<S: ProjectionStore + ?Sized>(
    store: &S,
    zoom: &ZoomClient,
    request: &ReconcileRequest,
) -> Result<ReconcileReport, ReconcileError> {
    let window = request.window;
    // The active generation, read directly (as `select::choose` with `Selector::Active`).
    let generation = choose(store, &Selector::Active).await?;
    let ledger = ledger_calls(store, &generation, window).await?;

    let wide = Window::new(window.from - MARGIN, window.to + MARGIN).unwrap_or(window);
    let (engagements, _unreadable) = zoom.engagements(wide).collect().await?;
    let mut zoom_calls: BTreeMap<String, ZoomEngagement> = BTreeMap::new();
    for e in engagements {
        zoom_calls.insert(e.engagement_id.clone(), e);
    }
    let mut timelines: HashMap<String, ZoomTimeline> = HashMap::new();
    if request.timelines {
        let (read, _unreadable) = zoom
            .engagement_timelines(wide)
            .collect()
            .await
            .map_err(ReconcileError::Timelines)?;
        timelines.extend(read.into_iter().map(|t| (t.engagement_id.clone(), t)));
    }

    let fields = Field::ALL
        .into_iter()
        .filter(|f| request.timelines || !Field::TIMELINE.contains(f));
    let mut tallies = Tallies::new(fields);
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
            None => match store
                .projection(generation.id, &EngagementId::from(id.as_str()))
                .await?
            {
                Some(doc) => Some(ledger_call(&generation, &doc)?),
                None => None,
            },
        };
        tallies.count(Field::MissingInLedger, call.is_some());
        let Some(call) = call else {
            out.push(Disagreement {
                engagement_id: id.clone(),
                field: Field::MissingInLedger,
                zoom: z.start_time.clone().map_or(Value::Null, Value::String),
                ledger: Value::Null,
            });
            continue;
        };
        compare(id, z, &call, &mut out, &mut tallies);
        if let Some(timeline) = timelines.get(id) {
            compare_bounds(id, timeline, &call, &mut out, &mut tallies);
        }
    }
    for (id, call) in &ledger {
        let present = zoom_calls.contains_key(id);
        tallies.count(Field::MissingInZoom, present);
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
        timelines: request.timelines,
        zoom_timelines: timelines.len() as u64,
        tallies: tallies.into_vec(),
    })
}

/// The bounds of one call's holds and conferences, Zoom's timeline against the projection.
fn compare_bounds(
    id: &str,
    timeline: &ZoomTimeline,
    call: &LedgerCall,
    out: &mut Vec<Disagreement>,
    tallies: &mut Tallies,
) {
    let holds = zoom_bounds(timeline, HOLD_SEGMENTS, false);
    let conferences = zoom_bounds(timeline, CONFERENCE_SEGMENTS, true);
    for (field, zoom, ledger) in [
        (Field::HoldBounds, holds, &call.holds),
        (Field::ConferenceBounds, conferences, &call.conferences),
    ] {
        let agreed = zoom.len() == ledger.len() && zoom.iter().zip(ledger).all(|(z, l)| z.near(*l));
        tallies.count(field, agreed);
        if !agreed {
            out.push(Disagreement {
                engagement_id: id.to_owned(),
                field,
                zoom: Value::Array(zoom.into_iter().map(Bounds::json).collect()),
                ledger: Value::Array(ledger.iter().map(|b| b.json()).collect()),
            });
        }
    }
}

/// The intervals of `types` segments in Zoom's timeline, by start; with `merge`, overlapping
/// ones (the participants' segments of one conference) as one. A segment without a readable
/// start is left out.
fn zoom_bounds(timeline: &ZoomTimeline, types: &[&str], merge: bool) -> Vec<Bounds> {
    let ms = |t: &Option<String>| {
        t.as_deref()
            .and_then(parse_zoom_time)
            .map(|t| t.timestamp_millis())
    };
    let mut all: Vec<Bounds> = timeline
        .segments(types)
        .filter_map(|(_, s)| {
            Some(Bounds {
                start_ms: ms(&s.start_time)?,
                end_ms: ms(&s.end_time),
            })
        })
        .collect();
    all.sort();
    if !merge {
        return all;
    }
    let mut merged: Vec<Bounds> = Vec::new();
    for b in all {
        match merged.last_mut() {
            Some(last) if last.end_ms.is_none_or(|end| b.start_ms < end) => {
                last.end_ms = match (last.end_ms, b.end_ms) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => merged.push(b),
        }
    }
    merged
}

/// The counts of one call present on both sides.
fn compare(
    id: &str,
    z: &ZoomEngagement,
    call: &LedgerCall,
    out: &mut Vec<Disagreement>,
    tallies: &mut Tallies,
) {
    for (field, zoom, ledger) in [
        (
            Field::ConferenceCount,
            z.conference_count,
            call.conferences.len() as i64,
        ),
        (Field::HoldCount, z.hold_count, call.holds.len() as i64),
        (
            Field::TransferCompletedCount,
            z.transfer_completed_count,
            call.transfers_completed,
        ),
    ] {
        let Some(zoom) = zoom else { continue };
        tallies.count(field, zoom == ledger);
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
    tallies.count(Field::Agents, zoom_agents == call.agents);
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
        after = Some((
            last.started_at_ms.unwrap_or(0),
            last.engagement_id.as_str().to_owned(),
        ));
        let full = page.len() == PAGE;
        for doc in &page {
            calls.insert(
                doc.engagement_id.as_str().to_owned(),
                ledger_call(generation, doc)?,
            );
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
    let mut conferences: Vec<Bounds> = p
        .conferences
        .iter()
        .map(|c| Bounds {
            start_ms: c.started_at,
            end_ms: c.ended_at,
        })
        .collect();
    conferences.sort();
    let mut holds: Vec<Bounds> = p
        .holds
        .iter()
        .map(|h| Bounds {
            start_ms: h.started_at,
            end_ms: h.ended_at,
        })
        .collect();
    holds.sort();
    Ok(LedgerCall {
        started_at_ms: doc.started_at_ms,
        conferences,
        holds,
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
