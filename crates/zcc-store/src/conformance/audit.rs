//! The [`AuditLog`] checks of the conformance suite: delivery rows by position, the quarantine
//! by page and by id, its size.

use std::future::Future;
use std::sync::Arc;

use super::event;
use crate::ingest::prepare;
use crate::*;

/// Run every audit check, each on a fresh log from `make`.
pub async fn run_all<L, F, Fut>(mut make: F)
where
    L: EventLog + AuditLog + ?Sized,
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<L>>,
{
    deliveries_by_position(make().await).await;
    quarantine_pages_and_entries(make().await).await;
}

fn meta(at: i64, request_id: &str, provenance: Option<Provenance>) -> DeliveryMeta {
    DeliveryMeta {
        received_at_ms: at,
        headers: vec![("x-zm-request-id".into(), request_id.into())],
        provenance,
    }
}

/// A recovered event's delivery row comes back with its provenance; an imported event has
/// none; a duplicate delivery of a webhook is a second row of the same position.
pub async fn deliveries_by_position<L: EventLog + AuditLog + ?Sized>(log: Arc<L>) {
    assert!(log.deliveries_at(&[]).await.unwrap().is_empty());
    let provenance = Provenance {
        via: "webhook_logs".into(),
        request_id: Some("req-9".into()),
        retry_num: Some(3),
        date_time: Some("2026-05-04T14:00:25Z".into()),
        status: Some(503),
        failed_reason_type: None,
    };
    let recovered = prepare(
        super::body(1, Some("A")).as_bytes(),
        Source::Backfill,
        10,
        Some(DeliveryMeta {
            received_at_ms: 10,
            headers: Vec::new(),
            provenance: Some(provenance.clone()),
        }),
    )
    .unwrap();
    let imported = event(2, Some("A"));
    let mut webhook = event(3, Some("A"));
    webhook.source = Source::Http;
    webhook.delivery = Some(meta(11, "req-3", None));
    let mut again = event(3, Some("A"));
    again.source = Source::Http;
    again.delivery = Some(meta(12, "req-3b", None));
    log.append_batch(vec![recovered, imported, webhook])
        .await
        .unwrap();
    log.append_batch(vec![again]).await.unwrap();

    let rows = log
        .deliveries_at(&[Position(3), Position(1), Position(2), Position(3)])
        .await
        .unwrap();
    let seen: Vec<_> = rows
        .iter()
        .map(|d| (d.position, d.outcome, d.meta.received_at_ms))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Some(Position(1)), DeliveryOutcome::Stored, 10),
            (Some(Position(3)), DeliveryOutcome::Stored, 11),
            (Some(Position(3)), DeliveryOutcome::Duplicate, 12),
        ],
        "the rows of positions 1 and 3 in position order, each once; none for the import"
    );
    assert_eq!(rows[0].meta.provenance, Some(provenance));
    assert_eq!(rows[1].meta.provenance, None);
    assert!(
        log.deliveries_at(&[Position(99)]).await.unwrap().is_empty(),
        "a position beyond the log has no delivery"
    );
}

fn refused(at: i64, n: u8, source: Source, origin: &str) -> QuarantineEntry {
    let body = vec![b'[', n, 0xff, b']'];
    QuarantineEntry {
        received_at_ms: at,
        source,
        origin: origin.into(),
        reason: format!("reason {n}"),
        body_sha256: Digest::of(&body),
        body,
    }
}

/// Pages newest first, filtered by time and paged by id; an entry whole, with the delivery row
/// recorded when it was refused (and not another delivery of the same body); the size.
pub async fn quarantine_pages_and_entries<L: EventLog + AuditLog + ?Sized>(log: Arc<L>) {
    assert_eq!(log.quarantine_size().await.unwrap(), 0);
    assert!(log.quarantine_entry(1).await.unwrap().is_none());
    let entries = [
        refused(100, 1, Source::Import, "calls.jsonl:3"),
        refused(200, 2, Source::Http, "http"),
        refused(300, 3, Source::Backfill, "webhook_logs:req-7"),
    ];
    log.quarantine(entries.to_vec()).await.unwrap();
    let delivery = |at: i64, n: u8| {
        Delivery::refused(
            meta(at, &format!("req-{n}"), None),
            DeliveryOutcome::Quarantined,
            400,
            "not an envelope",
        )
        .with_body(entries[usize::from(n) - 1].body_sha256, None)
    };
    // The refusal of entry 2, and a later refusal of the same body (another entry's delivery).
    log.record_deliveries(vec![delivery(200, 2), delivery(250, 2)])
        .await
        .unwrap();
    assert_eq!(log.quarantine_size().await.unwrap(), 3);

    let all = log
        .quarantine_page(&QuarantineQuery {
            since_ms: None,
            before_id: None,
            limit: 10,
        })
        .await
        .unwrap();
    let origins: Vec<_> = all.iter().map(|s| s.origin.as_str()).collect();
    assert_eq!(origins, ["webhook_logs:req-7", "http", "calls.jsonl:3"]);
    assert_eq!(all[0].body_len, 4);
    assert_eq!(all[0].source, Source::Backfill);
    assert_eq!(all[0].body_sha256, entries[2].body_sha256);
    let page = |since_ms, before_id, limit| {
        let log = Arc::clone(&log);
        async move {
            log.quarantine_page(&QuarantineQuery {
                since_ms,
                before_id,
                limit,
            })
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.reason)
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(page(Some(200), None, 10).await, ["reason 3", "reason 2"]);
    assert_eq!(page(None, Some(all[0].id), 1).await, ["reason 2"]);
    assert_eq!(page(None, Some(all[2].id), 10).await, Vec::<String>::new());

    let http = log.quarantine_entry(all[1].id).await.unwrap().unwrap();
    assert_eq!(http.id, all[1].id);
    assert_eq!(
        http.entry, entries[1],
        "the body byte for byte, with its reason"
    );
    assert_eq!(http.deliveries.len(), 1, "{:?}", http.deliveries);
    assert_eq!(http.deliveries[0].meta, meta(200, "req-2", None));
    let import = log.quarantine_entry(all[2].id).await.unwrap().unwrap();
    assert_eq!(import.entry, entries[0]);
    assert!(import.deliveries.is_empty(), "an import has no delivery");
    let beyond = all[0].id + 1;
    assert!(log.quarantine_entry(beyond).await.unwrap().is_none());
}
