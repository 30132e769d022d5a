//! The command line chooses generations as every reader does (`zcc_app::select`): a building
//! generation is never read, by id or by rule; a missing one is named; and a read on a database
//! without an active generation creates nothing.

mod common;

use common::*;
use zcc_store::projection::ProjectionStore;

/// A generation of `party-count` left building, as an interrupted `reproject` leaves it.
fn building_generation(path: &std::path::Path) -> i64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = zcc_store_sqlite::SqliteLog::open(path.to_str().unwrap()).unwrap();
        let g = store
            .create_generation("party-count", "party-count@1+0", "{}")
            .await
            .unwrap();
        g.id.0
    })
}

#[test]
fn a_building_generation_is_never_read_and_a_read_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let db = format!("sqlite://{}", path.display());
    let sample = sample_files().into_iter().next().unwrap();
    let engagement = "EngA1b2C3d4E5f6G7h8I9j";

    // Appended without folding (`--no-project`) still leaves the default generation active.
    let o = run(&db, &["import", "--no-project", sample.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let id = building_generation(&path).to_string();

    for args in [
        vec!["show", engagement, "--generation", &id],
        vec!["export", "engagements", "--generation", &id],
        vec!["diff", "1", &id],
    ] {
        let o = run(&db, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        let e = stderr(&o);
        assert!(
            e.contains(&format!("generation {id} is still building")),
            "{args:?}: {e}"
        );
    }
    // By rule: the only generation of party-count is building, so there is none to read.
    let o = run(&db, &["export", "engagements", "--rule", "party-count"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no generation of rule \"party-count\" is ready or active"),
        "{}",
        stderr(&o)
    );
    // A generation that does not exist is named.
    let o = run(&db, &["show", engagement, "--generation", "99"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no generation 99"), "{}", stderr(&o));
}

#[test]
fn reading_an_empty_database_creates_no_generation() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("ledger.db").display());
    for args in [vec!["show", "Eng1"], vec!["export", "conferences"]] {
        let o = run(&db, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("no generation is active"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    let o = run(&db, &["generations"]);
    let listed = stdout(&o);
    assert!(
        !listed.contains("correlated"),
        "a read created a generation: {listed}"
    );
}
