//! Projection documents on disk: stored compressed (migration 0003), read back byte for byte,
//! documents of older databases kept, and a damaged one named rather than passed on.

mod common;

use zcc_store::Position;
use zcc_store::conformance::projections::long_document as doc;
use zcc_store::projection::{GenerationId, ProjectionDoc, ProjectionStore};
use zcc_store_sqlite::SqliteLog;

/// The stored bytes of one document, straight from the table.
fn stored(db: &common::TempDb, engagement_id: &str) -> Vec<u8> {
    db.raw()
        .query_row(
            "SELECT doc FROM projections WHERE engagement_id = ?1",
            [engagement_id],
            |r| r.get(0),
        )
        .unwrap()
}

/// A new generation holding one document.
async fn generation_with(log: &SqliteLog, doc: ProjectionDoc) -> GenerationId {
    let g = log
        .create_generation("correlated", "correlated@1+3fa2c1", "{}")
        .await
        .unwrap();
    log.write_projections(g.id, vec![doc], Position(8))
        .await
        .unwrap();
    g.id
}

#[tokio::test]
async fn documents_are_stored_compressed_and_read_back_byte_for_byte() {
    let db = common::TempDb::new();
    let log = db.open();
    let written = doc("EngA", 30);
    let g = generation_with(&log, written.clone()).await;
    let bytes = stored(&db, "EngA");
    assert_eq!(bytes[0], 0x01, "the LZ4 form");
    assert!(
        bytes.len() * 2 < written.doc.len(),
        "{} stored bytes for {} of JSON",
        bytes.len(),
        written.doc.len()
    );
    assert_eq!(
        log.projection(g, &"EngA".into()).await.unwrap(),
        Some(written.clone())
    );
    let scanned = log.scan_projections(g, None, 10).await.unwrap();
    assert_eq!(scanned, vec![written]);
}

#[tokio::test]
async fn documents_of_a_database_from_before_compression_survive_the_migration() {
    let db = common::TempDb::new();
    let old = doc("EngOld", 5);
    {
        // A database as the build before migration 0003 left it.
        let raw = db.raw();
        raw.pragma_update(None, "journal_mode", "wal").unwrap();
        raw.execute_batch(include_str!("../../../migrations/sqlite/0001_log.sql"))
            .unwrap();
        raw.execute_batch(include_str!(
            "../../../migrations/sqlite/0002_projections.sql"
        ))
        .unwrap();
        raw.execute(
            "INSERT INTO generations (rule_name, rule_identity, params, state, checkpoint, \
             created_at) VALUES ('correlated', 'correlated@1+3fa2c1', '{}', 'active', 5, 0)",
            [],
        )
        .unwrap();
        raw.execute(
            "INSERT INTO projections (generation, engagement_id, account_id, started_at, \
             ended_at, has_conference, agents, queues, doc) \
             VALUES (1, 'EngOld', 'Acct', 1777903200000, NULL, 0, '[\"AgtA\"]', '[]', ?1)",
            [&old.doc],
        )
        .unwrap();
        raw.pragma_update(None, "user_version", 2).unwrap();
    }
    let log = db.open();
    let g = GenerationId(1);
    assert_eq!(
        log.projection(g, &"EngOld".into()).await.unwrap(),
        Some(old.clone())
    );
    assert_eq!(stored(&db, "EngOld"), old.doc.as_bytes(), "kept as it was");
    // Re-written, it takes the compressed form.
    let new = doc("EngOld", 12);
    log.write_projections(g, vec![new.clone()], Position(12))
        .await
        .unwrap();
    assert_eq!(stored(&db, "EngOld")[0], 0x01);
    assert_eq!(
        log.projection(g, &"EngOld".into()).await.unwrap(),
        Some(new)
    );
}

#[tokio::test]
async fn a_damaged_document_is_an_error_naming_the_engagement() {
    let db = common::TempDb::new();
    let log = db.open();
    let g = generation_with(&log, doc("EngBad", 8)).await;
    let mut bytes = stored(&db, "EngBad");
    bytes.truncate(bytes.len() / 2);
    db.raw()
        .execute(
            "UPDATE projections SET doc = ?1 WHERE engagement_id = 'EngBad'",
            [&bytes],
        )
        .unwrap();
    let err = log
        .projection(g, &"EngBad".into())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("EngBad"), "{err}");
    assert!(err.contains("does not decompress"), "{err}");
}
