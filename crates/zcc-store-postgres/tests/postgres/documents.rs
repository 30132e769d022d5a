//! Projection documents on PostgreSQL: TOASTed with lz4 where the server has it (migration
//! 0014), and read back byte for byte either way.

use sqlx::Row;
use zcc_store::conformance::projections::long_document;
use zcc_store::projection::ProjectionStore;
use zcc_store::{EngagementId, Position};

use crate::support::TestDb;

#[tokio::test]
async fn documents_are_compressed_with_lz4_where_the_server_has_it() {
    let db = TestDb::create().await;
    let log = db.log().await;
    let mut raw = db.raw().await;
    // Whether this server was built with lz4: a column may only name a method it has.
    let has_lz4 = sqlx::query("CREATE TEMP TABLE lz4_probe (x text COMPRESSION lz4)")
        .execute(&mut raw)
        .await
        .is_ok();

    let method: String = sqlx::query(
        "SELECT attcompression::text FROM pg_attribute \
         WHERE attrelid = 'projections'::regclass AND attname = 'doc'",
    )
    .fetch_one(&mut raw)
    .await
    .unwrap()
    .get(0);
    assert_eq!(
        method,
        if has_lz4 { "l" } else { "" },
        "projections.doc's compression (lz4 available: {has_lz4})"
    );

    let g = log
        .create_generation("correlated", "correlated@3+documents", "{}")
        .await
        .unwrap()
        .id;
    let doc = long_document("E1", 30);
    log.write_projections(g, vec![doc.clone()], Position(1))
        .await
        .unwrap();
    let stored: Option<String> = sqlx::query(
        "SELECT pg_column_compression(doc) FROM projections WHERE engagement_id = 'E1'",
    )
    .fetch_one(&mut raw)
    .await
    .unwrap()
    .get(0);
    assert_eq!(
        stored.as_deref(),
        Some(if has_lz4 { "lz4" } else { "pglz" }),
        "how the {}-byte document was stored",
        doc.doc.len()
    );
    let read = log
        .projection(g, &EngagementId::from("E1"))
        .await
        .unwrap()
        .expect("the document just written");
    assert_eq!(read.doc, doc.doc, "the document reads back byte for byte");
}
