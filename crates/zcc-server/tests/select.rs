//! The API, the exports and the web pages choose generations as every reader does
//! (`zcc_app::select`): a generation still building is a 409 naming it, by id; a rule whose only
//! generation is building has none to read (404); the active one is the default.

mod api_support;

use api_support::{Server, TOKEN};

#[tokio::test]
async fn a_building_generation_is_refused_everywhere() {
    let server = Server::sqlite(Some(TOKEN)).await;
    server.load(3, 5).await;
    server.caught_up().await;
    let building = server
        .store
        .create_generation("party-count", "party-count@1+0", "{}")
        .await
        .unwrap();
    let id = building.id.0;

    for path in [
        format!("/api/engagements?generation={id}"),
        format!("/api/conferences?generation={id}"),
        format!("/api/exports/conferences?generation={id}"),
    ] {
        let (status, body) = server.answer(&path).await;
        assert_eq!(status, 409, "{path}: {body}");
        assert_eq!(body["error"]["code"], "conflict");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("generation {id} is still building")),
            "{path}: {message}"
        );
    }
    let (status, body) = server.answer("/api/engagements?rule=party-count").await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reproject --rule party-count"),
        "{body}"
    );
    // The default is the active generation.
    let (status, body) = server.answer("/api/engagements").await;
    assert_eq!(status, 200, "{body}");
    assert!(!body["items"].as_array().unwrap().is_empty());

    // The web pages say the same, as pages.
    for path in [
        format!("/?generation={id}"),
        format!("/engagements/E1?generation={id}"),
    ] {
        let resp = server.auth(server.get(&path)).send().await.unwrap();
        assert_eq!(resp.status(), 409, "{path}");
        let page = resp.text().await.unwrap();
        assert!(page.contains("still building"), "{path}: {page}");
    }
    server.shutdown().await;
}
