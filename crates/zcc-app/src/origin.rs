//! Where a raw event came from, said the same way by every reader (`show`, the API, the web
//! page).
//!
//! An event's source is in the log itself, under the hash chain: `http` (a webhook whose
//! signature the receiver verified), `import` (an operator's archive) or `backfill` (a body
//! recovered from Zoom's webhook delivery logs, never signature-checked). A recovered event's
//! delivery row says which of Zoom's delivery attempts it was read from ([`Provenance`]).

use std::collections::BTreeMap;
use std::fmt;

use zcc_store::{AuditLog, LogEntry, Position, Provenance, Source, StoreError};

/// Where one raw event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// A webhook delivery whose signature the receiver verified.
    Webhook,
    /// An archived body imported by an operator (`zcc-ledger import`): no signature to check.
    Imported,
    /// Recovered from Zoom's webhook delivery logs (`zcc-ledger backfill`): Zoom's record of
    /// what it sent, not signature-checked. `None` when no delivery row says which attempt
    /// (a log written by a build that did not record it).
    Recovered(Option<&'a Provenance>),
}

impl Origin<'_> {
    /// Whether the receiver checked the event's signature.
    pub fn signature_verified(&self) -> bool {
        matches!(self, Origin::Webhook)
    }

    /// The attempt a recovered event was read from.
    pub fn provenance(&self) -> Option<&Provenance> {
        match self {
            Origin::Recovered(p) => *p,
            Origin::Webhook | Origin::Imported => None,
        }
    }
}

/// One sentence: `webhook, signature verified`; `imported from an archive, no signature`;
/// `recovered from Zoom's webhook logs (request R, retry N, Zoom's time T, Zoom saw status S),
/// not signature-checked`.
impl fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Webhook => f.write_str("webhook, signature verified"),
            Origin::Imported => f.write_str("imported from an archive, no signature"),
            Origin::Recovered(p) => {
                f.write_str("recovered from Zoom's webhook logs")?;
                if let Some(p) = p {
                    let mut parts = Vec::new();
                    if let Some(id) = &p.request_id {
                        parts.push(format!("request {id}"));
                    }
                    if let Some(n) = p.retry_num {
                        parts.push(format!("retry {n}"));
                    }
                    if let Some(t) = &p.date_time {
                        parts.push(format!("Zoom's time {t}"));
                    }
                    if let Some(s) = p.status {
                        parts.push(format!("Zoom saw status {s}"));
                    }
                    if !parts.is_empty() {
                        write!(f, " ({})", parts.join(", "))?;
                    }
                }
                f.write_str(", not signature-checked")
            }
        }
    }
}

/// The provenance of the recovered events among some raw events, by position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenances(BTreeMap<Position, Provenance>);

impl Provenances {
    /// Read the provenance of every recovered event among `events`, in one store read; none
    /// when there is no recovered event (the source of the others says all there is).
    pub async fn of<S: AuditLog + ?Sized>(
        store: &S,
        events: &[LogEntry],
    ) -> Result<Provenances, StoreError> {
        let recovered: Vec<Position> = events
            .iter()
            .filter(|e| e.source == Source::Backfill)
            .map(|e| e.position)
            .collect();
        if recovered.is_empty() {
            return Ok(Provenances::default());
        }
        let mut map = BTreeMap::new();
        for delivery in store.deliveries_at(&recovered).await? {
            if let (Some(position), Some(p)) = (delivery.position, delivery.meta.provenance) {
                // The first attempt recorded for the position: the one it was appended from.
                map.entry(position).or_insert(p);
            }
        }
        Ok(Provenances(map))
    }

    /// Where `entry` came from.
    pub fn origin(&self, entry: &LogEntry) -> Origin<'_> {
        match entry.source {
            Source::Http => Origin::Webhook,
            Source::Import => Origin::Imported,
            Source::Backfill => Origin::Recovered(self.0.get(&entry.position)),
        }
    }
}
