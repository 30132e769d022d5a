//! The shared `EventLog` conformance suite of zcc-store, on PostgreSQL.

use crate::support::LogFactory;

#[tokio::test]
async fn shared_conformance_suite() {
    let factory = LogFactory::default();
    let factory = &factory;
    zcc_store::conformance::run_all(|| factory.make()).await;
}

#[tokio::test]
async fn audit_conformance_suite() {
    let factory = LogFactory::default();
    let factory = &factory;
    zcc_store::conformance::audit::run_all(|| factory.make_postgres()).await;
}

#[tokio::test]
async fn projection_conformance_suite() {
    let factory = LogFactory::default();
    let factory = &factory;
    zcc_store::conformance::projections::run_all(|| factory.make_postgres()).await;
}
