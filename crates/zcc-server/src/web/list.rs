//! The call list (`/`): a plain GET search form and a page of calls, with a cursor to the next.

use maud::{Markup, html};
use serde::Deserialize;
use zcc_model::CallProjection;
use zcc_store::projection::{Generation, ProjectionDoc, SearchFilter};

use super::html::{Url, fmt_duration, fmt_input, page, parse_time, query, time_el};

/// What the search box matches, in its placeholder and in the hint under it.
pub const SEARCH_PLACEHOLDER: &str = "Agent, supervisor or customer name, number, or call id";
pub const SEARCH_HELP: &str = "Every word must match: a part of a name (any case), a phone \
                               number with or without + (spaces and dashes ignored), or the \
                               beginning of a call id.";

/// Calls per page unless `limit` says otherwise; the largest `limit` allowed.
pub const PAGE: usize = 50;
pub const MAX_PAGE: usize = 500;

/// The form's fields as typed, so the page can show them back. Empty means open.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListParams {
    /// Words that each match an agent's, a supervisor's or the customer's name, the customer's
    /// number or the beginning of the engagement id ([`zcc_store::search`]).
    #[serde(default)]
    pub q: String,
    /// `newest` (or empty) or `oldest` first.
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub agent: String,
    #[serde(default)]
    pub queue: String,
    /// `yes`, `no`, or empty for either.
    #[serde(default)]
    pub conference: String,
    #[serde(default)]
    pub generation: String,
    /// The cursor: `STARTED_MS~ENGAGEMENT_ID` of the last call of the previous page.
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub limit: String,
}

/// What the parameters ask for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: SearchFilter,
    pub generation: Option<i64>,
    pub after: Option<(i64, String)>,
    pub limit: usize,
}

impl ListParams {
    /// Check every field; the error names the field and what it wants.
    pub fn parse(&self) -> Result<ListQuery, String> {
        let time = |v: &str, what: &str| -> Result<Option<i64>, String> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            parse_time(v)
                .map(Some)
                .ok_or_else(|| format!("{what}: {v:?} is not a time; use 2026-05-04T14:00 (UTC)"))
        };
        let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let has_conference = match self.conference.as_str() {
            "" | "any" => None,
            "yes" => Some(true),
            "no" => Some(false),
            other => return Err(format!("conference: {other:?} is not yes, no or any")),
        };
        let newest_first = match self.sort.as_str() {
            "" | "newest" => true,
            "oldest" => false,
            other => return Err(format!("sort: {other:?} is not newest or oldest")),
        };
        let generation = match self.generation.trim() {
            "" => None,
            g => Some(
                g.parse::<i64>()
                    .map_err(|_| format!("generation: {g:?} is not a generation id"))?,
            ),
        };
        let after = match self.after.as_str() {
            "" => None,
            a => {
                let (ms, id) = a
                    .split_once('~')
                    .ok_or_else(|| "after: not a cursor from this page".to_owned())?;
                let ms = ms
                    .parse::<i64>()
                    .map_err(|_| "after: not a cursor from this page".to_owned())?;
                Some((ms, id.to_owned()))
            }
        };
        let limit = match self.limit.trim() {
            "" => PAGE,
            l => match l.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
                _ => return Err(format!("limit: {l:?} is not a number from 1 to {MAX_PAGE}")),
            },
        };
        Ok(ListQuery {
            filter: SearchFilter {
                started_from_ms: time(&self.from, "from")?,
                started_before_ms: time(&self.until, "until")?,
                agent: text(&self.agent),
                queue: text(&self.queue),
                has_conference,
                engagement_prefix: None,
                text: zcc_store::search::parse_query(&self.q),
                newest_first,
            },
            generation,
            after,
            limit,
        })
    }

    /// The query string of these parameters with another cursor (for the next-page link).
    fn with_after(&self, after: &str) -> String {
        query(&[
            ("q", &self.q),
            ("sort", &self.sort),
            ("from", &self.from),
            ("until", &self.until),
            ("agent", &self.agent),
            ("queue", &self.queue),
            ("conference", &self.conference),
            ("generation", &self.generation),
            ("limit", &self.limit),
            ("after", after),
        ])
    }
}

/// Everything the list page shows.
pub struct ListView<'a> {
    pub params: &'a ListParams,
    pub generations: &'a [Generation],
    /// The generation searched; `None` when there is none yet (an empty ledger).
    pub generation: Option<&'a Generation>,
    /// The page of calls; the projection is `None` when its document does not read back.
    pub rows: &'a [(ProjectionDoc, Option<CallProjection>)],
    /// True when there may be more calls after this page.
    pub more: bool,
    /// A refused parameter, shown above the form.
    pub error: Option<&'a str>,
    pub signed_in: bool,
}

/// The whole HTML document.
pub fn render(v: &ListView<'_>) -> String {
    let body = html! {
        h1 { "Calls" }
        @if let Some(err) = v.error {
            p class="error" role="alert" { (err) }
        }
        (search_form(v))
        @match v.generation {
            None => p class="empty" { "No generation yet: import or receive some events first." },
            Some(_) if v.rows.is_empty() => p class="empty" { "No calls match." },
            Some(generation) => {
                (calls_table(v, generation))
                (pager(v))
            }
        }
    };
    page("Calls", v.signed_in, &body)
}

/// The search form, showing back what was asked.
fn search_form(v: &ListView<'_>) -> Markup {
    let q = v.params;
    html! {
        form class="search" method="get" action="/" role="search" aria-label="Search calls" {
            div class="field wide" {
                label for="f-q" { "Search" }
                input id="f-q" name="q" type="search" value=(q.q) autocomplete="off"
                    placeholder=(SEARCH_PLACEHOLDER) aria-describedby="f-q-help";
                small id="f-q-help" class="hint" { (SEARCH_HELP) }
            }
            div class="field" {
                label for="f-sort" { "Order" }
                select id="f-sort" name="sort" {
                    option value="newest" selected[q.sort != "oldest"] { "newest first" }
                    option value="oldest" selected[q.sort == "oldest"] { "oldest first" }
                }
            }
            div class="field" {
                label for="f-from" { "Started from (UTC)" }
                input id="f-from" name="from" type="datetime-local"
                    value=(normalise_time(&q.from));
            }
            div class="field" {
                label for="f-until" { "Started before (UTC)" }
                input id="f-until" name="until" type="datetime-local"
                    value=(normalise_time(&q.until));
            }
            div class="field" {
                label for="f-agent" { "Agent user id" }
                input id="f-agent" name="agent" type="text" value=(q.agent) autocomplete="off";
            }
            div class="field" {
                label for="f-queue" { "Queue id" }
                input id="f-queue" name="queue" type="text" value=(q.queue) autocomplete="off";
            }
            div class="field" {
                label for="f-conference" { "Has a conference" }
                select id="f-conference" name="conference" {
                    option value="" selected[q.conference.is_empty()] { "either" }
                    option value="yes" selected[q.conference == "yes"] { "yes" }
                    option value="no" selected[q.conference == "no"] { "no" }
                }
            }
            div class="field" {
                label for="f-generation" { "Generation" }
                select id="f-generation" name="generation" {
                    @for g in v.generations {
                        option value=(g.id) selected[v.generation.is_some_and(|c| c.id == g.id)] {
                            (g.id) " · " (g.rule_identity) " (" (g.state.as_str()) ")"
                        }
                    }
                }
            }
            div class="actions" { button type="submit" { "Search" } " " a href="/" { "Clear" } }
        }
    }
}

/// The calls table's column headings.
const COLUMNS: [&str; 9] = [
    "Started",
    "Call",
    "Duration",
    "Direction",
    "Customer",
    "Agents",
    "Queues",
    "Conf.",
    "Transfers",
];

/// The page of calls, one row each.
fn calls_table(v: &ListView<'_>, generation: &Generation) -> Markup {
    // A generation asked for stays in the links to the calls.
    let generation_query = if v.params.generation.is_empty() {
        String::new()
    } else {
        format!("?generation={}", generation.id)
    };
    html! {
        div class="table-scroll" {
            table class="calls" {
                caption {
                    @if v.params.sort == "oldest" { "Calls, oldest first" } @else { "Calls, newest first" }
                    ", under generation " (generation.id) " ("
                    code { (generation.rule_identity) } ")"
                }
                thead {
                    tr {
                        @for heading in COLUMNS {
                            th scope="col" { (heading) }
                        }
                    }
                }
                tbody {
                    @for (doc, projection) in v.rows {
                        (call_row(doc, projection.as_ref(), &generation_query))
                    }
                }
            }
        }
    }
}

/// One call of the list; the columns read from the projection are empty when it does not
/// read back.
fn call_row(
    doc: &ProjectionDoc,
    projection: Option<&CallProjection>,
    generation_query: &str,
) -> Markup {
    let conferences = projection.map_or(usize::from(doc.has_conference), |p| p.conferences.len());
    html! {
        tr class=[doc.has_conference.then_some("has-conference")] {
            td {
                @match doc.started_at_ms {
                    Some(ms) => (time_el(ms)),
                    None => "–",
                }
            }
            td {
                a href={ "/engagements/" (Url(&doc.engagement_id)) (generation_query) } {
                    (doc.engagement_id)
                }
            }
            td {
                @match (doc.started_at_ms, doc.ended_at_ms) {
                    (Some(s), Some(e)) => (fmt_duration(e.saturating_sub(s))),
                    _ => "open",
                }
            }
            @if let Some(p) = projection {
                (projection_cells(p))
            } @else {
                td {} td {} td {} td {}
            }
            td {
                @if conferences == 0 { "–" } @else { (conferences) }
            }
            td { @if let Some(p) = projection { (p.transfers.len()) } }
        }
    }
}

/// Direction, customer, agents and queues of a call; hover over an agent or a queue for its
/// id.
fn projection_cells(p: &CallProjection) -> Markup {
    let names = p.user_names();
    let e = &p.engagement;
    let customer = e.customer_name.as_deref().or(e.customer_number.as_deref());
    html! {
        td { (e.direction.as_deref().unwrap_or("–")) }
        td { (customer.unwrap_or("–")) }
        td {
            @for (i, a) in p.agents().iter().enumerate() {
                @if i > 0 { ", " }
                span title=(a) { (names.get(a.as_str()).copied().unwrap_or(a)) }
            }
        }
        td {
            @for (i, id) in e.queue_ids.iter().enumerate() {
                @if i > 0 { ", " }
                span title=(id) { (e.queue_names.get(i).unwrap_or(id)) }
            }
        }
    }
}

/// Links to the first page (when not on it) and to the next (when there may be one).
fn pager(v: &ListView<'_>) -> Markup {
    let q = v.params;
    let next = v
        .rows
        .last()
        .filter(|_| v.more)
        .and_then(|(doc, _)| Some(format!("{}~{}", doc.started_at_ms?, doc.engagement_id)));
    html! {
        nav class="pager" aria-label="Pages" {
            @if !q.after.is_empty() {
                a href={ "/" (q.with_after("")) } { "First page" }
            }
            @if let Some(cursor) = next {
                a rel="next" href={ "/" (q.with_after(&cursor)) } { "Next page" }
            }
        }
    }
}

/// A typed time shown back in the `datetime-local` input's own format when it parses.
fn normalise_time(v: &str) -> String {
    match parse_time(v) {
        Some(ms) if !v.trim().is_empty() => fmt_input(ms),
        _ => v.to_owned(),
    }
}
