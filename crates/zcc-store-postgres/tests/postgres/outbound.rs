//! Outbound delivery's storage (migration 0009) on a fresh PostgreSQL database: the shared
//! checks.

use crate::support::TestDb;

#[tokio::test]
async fn postgres_passes_the_outbound_checks() {
    let db = TestDb::create().await;
    let log = db.log().await;
    zcc_store::outbound_conformance::run_all(&log).await;
}
