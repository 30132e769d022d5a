//! The call list (`/`): a plain GET search form and a page of calls, with a cursor to the next.

use std::fmt::Write;

use serde::Deserialize;
use zcc_model::CallProjection;
use zcc_store::projection::{Generation, ProjectionDoc, SearchFilter};

use super::html::{Esc, Url, fmt_duration, fmt_input, fmt_time, page, parse_time, query};
use super::timeline;

/// Calls per page unless `limit` says otherwise; the largest `limit` allowed.
pub const PAGE: usize = 50;
pub const MAX_PAGE: usize = 500;

/// The form's fields as typed, so the page can show them back. Empty means open.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListParams {
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
            },
            generation,
            after,
            limit,
        })
    }

    /// The query string of these parameters with another cursor (for the next-page link).
    fn with_after(&self, after: &str) -> String {
        query(&[
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
    let q = v.params;
    let mut b = String::from("<h1>Calls</h1>\n");
    if let Some(err) = v.error {
        let _ = writeln!(b, r#"<p class="error" role="alert">{}</p>"#, Esc(err));
    }
    let sel = |want: &str| {
        if q.conference == want {
            " selected"
        } else {
            ""
        }
    };
    let mut generation_options = String::new();
    for g in v.generations {
        let selected = v.generation.is_some_and(|c| c.id == g.id);
        let _ = write!(
            generation_options,
            r#"<option value="{}"{}>{} · {} ({})</option>"#,
            g.id,
            if selected { " selected" } else { "" },
            g.id,
            Esc(&g.rule_identity),
            g.state.as_str()
        );
    }
    let _ = write!(
        b,
        r#"<form class="search" method="get" action="/" role="search" aria-label="Search calls">
<div class="field"><label for="f-from">Started from (UTC)</label><input id="f-from" name="from" type="datetime-local" value="{from}"></div>
<div class="field"><label for="f-until">Started before (UTC)</label><input id="f-until" name="until" type="datetime-local" value="{until}"></div>
<div class="field"><label for="f-agent">Agent user id</label><input id="f-agent" name="agent" type="text" value="{agent}" autocomplete="off"></div>
<div class="field"><label for="f-queue">Queue id</label><input id="f-queue" name="queue" type="text" value="{queue}" autocomplete="off"></div>
<div class="field"><label for="f-conference">Has a conference</label><select id="f-conference" name="conference"><option value=""{any}>either</option><option value="yes"{yes}>yes</option><option value="no"{no}>no</option></select></div>
<div class="field"><label for="f-generation">Generation</label><select id="f-generation" name="generation">{generation_options}</select></div>
<div class="actions"><button type="submit">Search</button> <a href="/">Clear</a></div>
</form>
"#,
        from = Esc(&normalise_time(&q.from)),
        until = Esc(&normalise_time(&q.until)),
        agent = Esc(&q.agent),
        queue = Esc(&q.queue),
        any = sel(""),
        yes = sel("yes"),
        no = sel("no"),
    );

    let Some(generation) = v.generation else {
        b.push_str(
            r#"<p class="empty">No generation yet: import or receive some events first.</p>"#,
        );
        return page("Calls", v.signed_in, &b);
    };
    if v.rows.is_empty() {
        b.push_str(r#"<p class="empty">No calls match.</p>"#);
        return page("Calls", v.signed_in, &b);
    }
    let _ = write!(
        b,
        r#"<div class="table-scroll"><table class="calls"><caption>Calls by start time, under generation {} (<code>{}</code>)</caption>
<thead><tr><th scope="col">Started (UTC)</th><th scope="col">Call</th><th scope="col">Duration</th><th scope="col">Direction</th><th scope="col">Customer</th><th scope="col">Agents</th><th scope="col">Queues</th><th scope="col">Conf.</th><th scope="col">Transfers</th></tr></thead><tbody>
"#,
        generation.id,
        Esc(&generation.rule_identity)
    );
    let gen_q = if q.generation.is_empty() {
        String::new()
    } else {
        format!("?generation={}", generation.id)
    };
    for (doc, projection) in v.rows {
        let href = format!("/engagements/{}{gen_q}", Url(&doc.engagement_id));
        let started = doc.started_at_ms.map_or("–".into(), fmt_time);
        let duration = match (doc.started_at_ms, doc.ended_at_ms) {
            (Some(s), Some(e)) => fmt_duration(e.saturating_sub(s)),
            _ => "open".into(),
        };
        let (direction, customer, agents, queues, transfers) = match projection {
            Some(p) => {
                let names = timeline::names(p);
                let e = &p.engagement;
                let agents: Vec<String> = p
                    .agents()
                    .iter()
                    .map(|a| {
                        format!(
                            r#"<span title="{}">{}</span>"#,
                            Esc(a),
                            Esc(names.get(a.as_str()).copied().unwrap_or(a))
                        )
                    })
                    .collect();
                let queues: Vec<String> = e
                    .queue_ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        format!(
                            r#"<span title="{}">{}</span>"#,
                            Esc(id),
                            Esc(e.queue_names.get(i).unwrap_or(id))
                        )
                    })
                    .collect();
                (
                    Esc(e.direction.as_deref().unwrap_or("–")).to_string(),
                    Esc(e
                        .customer_name
                        .as_deref()
                        .or(e.customer_number.as_deref())
                        .unwrap_or("–"))
                    .to_string(),
                    agents.join(", "),
                    queues.join(", "),
                    p.transfers.len().to_string(),
                )
            }
            None => Default::default(),
        };
        let conferences = projection
            .as_ref()
            .map_or(usize::from(doc.has_conference), |p| p.conferences.len());
        let _ = writeln!(
            b,
            r#"<tr{}><td>{started}</td><td><a href="{}">{}</a></td><td>{duration}</td><td>{direction}</td><td>{customer}</td><td>{agents}</td><td>{queues}</td><td>{}</td><td>{transfers}</td></tr>"#,
            if doc.has_conference {
                r#" class="has-conference""#
            } else {
                ""
            },
            Esc(&href),
            Esc(&doc.engagement_id),
            if conferences == 0 {
                "–".to_owned()
            } else {
                conferences.to_string()
            },
        );
    }
    b.push_str("</tbody></table></div>\n");
    b.push_str(r#"<nav class="pager" aria-label="Pages">"#);
    if !q.after.is_empty() {
        let _ = write!(b, r#"<a href="/{}">First page</a>"#, Esc(&q.with_after("")));
    }
    if v.more
        && let Some((doc, _)) = v.rows.last()
        && let Some(at) = doc.started_at_ms
    {
        let cursor = format!("{at}~{}", doc.engagement_id);
        let _ = write!(
            b,
            r#"<a rel="next" href="/{}">Next page</a>"#,
            Esc(&q.with_after(&cursor))
        );
    }
    b.push_str("</nav>\n");
    page("Calls", v.signed_in, &b)
}

/// A typed time shown back in the `datetime-local` input's own format when it parses.
fn normalise_time(v: &str) -> String {
    match parse_time(v) {
        Some(ms) if !v.trim().is_empty() => fmt_input(ms),
        _ => v.to_owned(),
    }
}
