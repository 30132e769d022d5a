//! Router-level tests of the web pages over a real SQLite ledger filled with simulated ZCC
//! traffic: the list and its filters and paging, the call page's lanes, bands, holds, arrows and
//! evidence links, HTML escaping of hostile values, and the token / cookie sign-in.

mod web_support;

use std::collections::BTreeSet;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use tower::ServiceExt;
use web_support::Corpus;
use zcc_model::CallProjection;
use zcc_store::projection::{GenerationId, GenerationState, ProjectionStore};

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let res = app.clone().oneshot(req).await.expect("the router answers");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("a body");
    (
        status,
        headers,
        String::from_utf8(bytes.to_vec()).expect("UTF-8"),
    )
}

async fn get(app: &Router, uri: &str) -> (StatusCode, String) {
    let (status, _, body) = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    (status, body)
}

/// The engagement ids the page links to, in order.
fn linked_calls(html: &str) -> Vec<String> {
    html.split(r#"href="/engagements/"#)
        .skip(1)
        .map(|rest| rest.split(['"', '?']).next().unwrap().to_owned())
        .collect()
}

/// Every `href` in the page that starts with `prefix`, unescaped of `&amp;`.
fn hrefs(html: &str, prefix: &str) -> Vec<String> {
    let needle = format!(r#"href="{prefix}"#);
    html.split(needle.as_str())
        .skip(1)
        .map(|rest| format!("{prefix}{}", rest.split('"').next().unwrap()).replace("&amp;", "&"))
        .collect()
}

async fn projection(corpus: &Corpus, id: &str) -> CallProjection {
    let doc = corpus
        .store
        .projection(GenerationId(1), &id.into())
        .await
        .unwrap()
        .expect("projected");
    CallProjection::from_canonical_json(doc.doc.as_bytes()).unwrap()
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

#[tokio::test]
async fn list_page_filters_by_conference_agent_queue_and_time_and_pages_with_a_cursor() {
    let corpus = Corpus::simulated(60, 7).await;
    let app = zcc_server::router(corpus.state(None));

    let (status, all) = get(&app, "/?limit=500&sort=oldest").await;
    assert_eq!(status, StatusCode::OK);
    assert!(all.contains(r#"<form class="search" method="get" action="/""#));
    let everything = linked_calls(&all);
    assert_eq!(everything.len(), 60, "every simulated call is listed");
    // Newest first unless asked otherwise.
    let (_, newest) = get(&app, "/?limit=500").await;
    let mut reversed = everything.clone();
    reversed.reverse();
    assert_eq!(linked_calls(&newest), reversed);
    // The call id's beginning.
    let prefix = &everything[0][..everything[0].len() - 2];
    let (_, by_prefix) = get(&app, &format!("/?q={prefix}&sort=oldest&limit=500")).await;
    let want: Vec<&String> = everything
        .iter()
        .filter(|id| id.starts_with(prefix))
        .collect();
    assert_eq!(linked_calls(&by_prefix).iter().collect::<Vec<_>>(), want);

    // has a conference: exactly the calls whose projection has one.
    let (_, yes) = get(&app, "/?conference=yes&limit=500").await;
    let (_, no) = get(&app, "/?conference=no&limit=500").await;
    let yes = linked_calls(&yes);
    let no = linked_calls(&no);
    assert!(!yes.is_empty(), "the simulated mix has conferences");
    assert_eq!(yes.len() + no.len(), 60);
    for id in &yes {
        assert!(projection(&corpus, id).await.has_conference(), "{id}");
    }
    for id in &no {
        assert!(!projection(&corpus, id).await.has_conference(), "{id}");
    }

    // agent and queue: every listed call has them, and the call they came from is listed.
    let sample = projection(&corpus, &yes[0]).await;
    let agent = sample.agents()[1].clone();
    let (_, by_agent) = get(&app, &format!("/?agent={agent}&limit=500")).await;
    let by_agent = linked_calls(&by_agent);
    assert!(by_agent.contains(&yes[0]));
    for id in &by_agent {
        assert!(
            projection(&corpus, id).await.agents().contains(&agent) || {
                let p = projection(&corpus, id).await;
                p.supervision.iter().any(|s| s.supervisor == agent)
            }
        );
    }
    let queue = sample.engagement.queue_ids[0].clone();
    let (_, by_queue) = get(&app, &format!("/?queue={queue}&limit=500")).await;
    let by_queue = linked_calls(&by_queue);
    assert!(by_queue.contains(&yes[0]));
    for id in &by_queue {
        assert!(
            projection(&corpus, id)
                .await
                .engagement
                .queue_ids
                .contains(&queue)
        );
    }

    // time range: from the 11th call's start (to the minute) until the 41st's.
    let starts: Vec<i64> = {
        let mut s = Vec::new();
        for id in &everything {
            s.push(projection(&corpus, id).await.engagement.started_at.unwrap());
        }
        s
    };
    let from = zcc_server::web::html::fmt_input(starts[10]);
    let until = zcc_server::web::html::fmt_input(starts[40]);
    let from_ms = zcc_server::web::html::parse_time(&from).unwrap();
    let until_ms = zcc_server::web::html::parse_time(&until).unwrap();
    let (_, window) = get(
        &app,
        &format!("/?from={from}&until={until}&limit=500&sort=oldest"),
    )
    .await;
    let window = linked_calls(&window);
    let expected: Vec<&String> = everything
        .iter()
        .zip(&starts)
        .filter(|(_, s)| **s >= from_ms && **s < until_ms)
        .map(|(id, _)| id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(window.iter().collect::<Vec<_>>(), expected);

    // paging: 7 at a time, following "Next page", gives every call once, in the same order.
    let mut seen = Vec::new();
    let mut uri = "/?limit=7&sort=oldest".to_owned();
    loop {
        let (status, page) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::OK);
        let ids = linked_calls(&page);
        assert!(ids.len() <= 7);
        seen.extend(ids);
        match hrefs(&page, "/?")
            .into_iter()
            .find(|h| h.contains("after="))
        {
            Some(next) => uri = next,
            None => break,
        }
    }
    assert_eq!(seen, everything);

    // A bad filter is named, with the form still there, and a 400.
    let (status, bad) = get(&app, "/?from=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains(r#"role="alert""#) && bad.contains("from: &quot;yesterday&quot;"));
    let (status, _) = get(&app, "/?generation=99").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_conference_call_page_has_one_lane_per_party_a_band_and_evidence_links_that_resolve() {
    let corpus = Corpus::simulated(60, 7).await;
    let app = zcc_server::router(corpus.state(None));
    let id = corpus.engagements("conference")[0];
    let p = projection(&corpus, id).await;
    assert!(p.has_conference());

    let (status, html) = get(&app, &format!("/engagements/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<svg class="timeline""#));
    assert_eq!(count(&html, r#"<g class="lane" data-party="customer""#), 1);
    assert_eq!(
        count(&html, r#"<g class="lane" data-party="agent""#),
        p.agents().len(),
        "one lane per agent"
    );
    for agent in p.agents() {
        assert!(html.contains(&format!(r#"data-party="agent" data-user="{agent}""#)));
    }
    assert_eq!(
        count(&html, r#"<g class="lane" data-party="supervisor""#),
        0
    );
    assert_eq!(
        count(&html, r#"<rect class="conference-band""#),
        p.conferences.len()
    );
    assert!(html.contains(r#"<g class="conference" data-index="1""#));
    // SVG titles give every mark a text alternative; the text version follows the picture.
    assert!(html.contains(r#"<title id="tl-title">"#) && html.contains("Conference 1:"));
    assert!(html.contains("time (UTC)") && html.contains(r#"class="tick""#));

    // Every evidence link points at a raw event row on the page, and every derived event cites.
    let anchors: BTreeSet<String> = html
        .split(r#"<tr id="pos-"#)
        .skip(1)
        .map(|r| r.split('"').next().unwrap().to_owned())
        .collect();
    let events = zcc_store::EventLog::engagement_events(&*corpus.store, &id.into())
        .await
        .unwrap();
    assert_eq!(anchors.len(), events.len(), "one row per raw event");
    let links = hrefs(&html, "#pos-");
    assert!(!links.is_empty());
    for link in &links {
        assert!(anchors.contains(&link["#pos-".len()..]), "{link} resolves");
    }
    assert_eq!(count(&html, r#"<tr id="de-"#), p.derived_events.len());
    assert!(html.contains(">conference_started<"));
    for d in &p.derived_events {
        for pos in &d.evidence {
            assert!(html.contains(&format!(r##"<a href="#pos-{pos}">#{pos}</a>"##)));
        }
    }
    // The raw body is there, escaped, inside a <details>.
    let first = &events[0];
    assert!(html.contains(&zcc_server::web::html::esc(&first.body)));
}

#[tokio::test]
async fn holds_are_shaded_transfers_are_arrows_and_supervision_is_labelled_by_mode() {
    let corpus = Corpus::simulated(120, 11).await;
    let app = zcc_server::router(corpus.state(None));

    let hold_call = corpus.engagements("hold_resume")[0];
    let p = projection(&corpus, hold_call).await;
    assert!(!p.holds.is_empty());
    let (_, html) = get(&app, &format!("/engagements/{hold_call}")).await;
    assert_eq!(count(&html, r#"<g class="hold">"#), p.holds.len());
    assert!(html.contains(r#"fill="url(#hold-hatch)""#));
    assert!(html.contains(r#"<pattern id="hold-hatch""#));

    let transfer_call = corpus.engagements("warm_transfer")[0];
    let p = projection(&corpus, transfer_call).await;
    let (_, html) = get(&app, &format!("/engagements/{transfer_call}")).await;
    assert_eq!(count(&html, r#"<g class="transfer""#), p.transfers.len());
    assert!(html.contains(r#"marker-end="url(#arrow)""#));

    // (Calls whose supervisor events use the 2023 names may carry no session: pick one that
    // has the mode.)
    for mode in ["listen", "whisper", "barge", "takeover"] {
        let mut call = None;
        for id in corpus.engagements(&format!("supervisor_{mode}")) {
            let p = projection(&corpus, id).await;
            if p.supervision.iter().any(|s| s.mode.as_str() == mode) {
                call = Some(id);
                break;
            }
        }
        let call = call.unwrap_or_else(|| panic!("a projected supervisor_{mode} call"));
        let (_, html) = get(&app, &format!("/engagements/{call}")).await;
        assert_eq!(
            count(&html, r#"<g class="lane" data-party="supervisor""#),
            1,
            "{mode}"
        );
        assert!(html.contains(&format!(r#"data-mode="{mode}""#)), "{mode}");
        assert!(
            html.contains(&format!(">{mode}</text>")),
            "{mode} is written on the bar"
        );
        assert!(
            html.contains(&format!(
                r#"supervision_started <span class="mode">({mode})</span>"#
            )),
            "the derived events table names the mode of {mode}"
        );
    }
}

#[tokio::test]
async fn the_generation_switch_shows_the_same_call_under_another_rule() {
    let corpus = Corpus::simulated(30, 3).await;
    let rule = zcc_projector::build_rule("party-count", &[]).unwrap();
    let identity = rule.identity();
    let g = corpus
        .store
        .create_generation(
            &identity.name,
            &identity.to_string(),
            &zcc_projector::params_json(&identity),
        )
        .await
        .unwrap();
    corpus
        .store
        .set_state(g.id, GenerationState::Ready)
        .await
        .unwrap();
    zcc_projector::catch_up_all(&*corpus.store, &())
        .await
        .unwrap();
    let app = zcc_server::router(corpus.state(None));
    let id = corpus.engagements("conference")[0];

    let (_, html) = get(&app, &format!("/engagements/{id}")).await;
    assert!(html.contains(&format!(r#"href="/engagements/{id}?generation=2""#)));
    assert!(html.contains(&format!(
        r#"<a aria-current="page" href="/engagements/{id}?generation=1""#
    )));
    let (status, other) = get(&app, &format!("/engagements/{id}?generation=2")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(other.contains(&identity.to_string()));
    assert!(other.contains(&format!(
        r#"<a aria-current="page" href="/engagements/{id}?generation=2""#
    )));
    let (_, list) = get(&app, "/?generation=2").await;
    assert!(list.contains(&format!(r#"href="/engagements/{id}?generation=2""#)));

    let (status, _) = get(&app, &format!("/engagements/{id}?generation=9")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&app, "/engagements/no-such-call").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&app, &format!("/engagements/{id}?generation=x")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn hostile_display_names_are_escaped_everywhere() {
    const HOSTILE: &str = r#"<script>alert("x")</script><img src=x onerror=alert(1)>&'"#;
    let sim = Corpus::simulated(40, 5).await;
    let id = sim.engagements("conference")[0].to_owned();
    let bodies: Vec<(String, i64)> = sim.bodies[&id]
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
            if let Some(object) = v["payload"]["object"].as_object_mut() {
                for (key, value) in object.iter_mut() {
                    if key.ends_with("display_name") || key.ends_with("queue_name") {
                        *value = serde_json::Value::String(HOSTILE.to_owned());
                    }
                }
            }
            (v.to_string(), 1_777_903_200_000 + i as i64)
        })
        .collect();
    let corpus = Corpus::from_bodies(&bodies).await;
    let app = zcc_server::router(corpus.state(None));
    let p = projection(&corpus, &id).await;
    assert_eq!(p.engagement.customer_name.as_deref(), Some(HOSTILE));

    for uri in [format!("/engagements/{id}"), "/".to_owned()] {
        let (status, html) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::OK);
        // The one script tag is the page's own (`local-time.js`), none from the name.
        assert_eq!(
            html.matches("<script").count(),
            html.matches(r#"<script src="/assets/local-time.js" defer>"#)
                .count(),
            "{uri}: no live script tag from the data"
        );
        assert_eq!(html.matches("<script").count(), 1, "{uri}");
        assert!(!html.contains("<img"), "{uri}: no live img tag");
        assert!(
            html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"),
            "{uri}: the name is shown, escaped"
        );
    }
    // Hostile path and query values are escaped too.
    let own_script_only = |html: &str| html.matches("<script").count() == 1;
    let (status, html) = get(&app, "/engagements/%3Cscript%3E").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(own_script_only(&html) && html.contains("&lt;script&gt;"));
    let (_, html) = get(&app, "/?agent=%22%3E%3Cscript%3E").await;
    assert!(own_script_only(&html) && html.contains("&quot;&gt;&lt;script&gt;"));
}

#[tokio::test]
async fn with_a_token_pages_need_the_bearer_header_or_the_signed_in_cookie() {
    const TOKEN: &str = "web-test-token-0123456789";
    let corpus = Corpus::simulated(5, 2).await;
    let app = zcc_server::router(corpus.state(Some(TOKEN)));
    let id = corpus.patterns.keys().next().unwrap().clone();
    let call = format!("/engagements/{id}");

    // Neither: 401 with the sign-in form, which returns to the page asked for.
    for uri in ["/", call.as_str()] {
        let (status, html) = get(&app, uri).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(html.contains(r#"<form class="signin" method="post" action="/signin">"#));
        assert!(html.contains(&format!(r#"name="next" value="{uri}""#)));
        assert!(
            !html.contains(&id) || uri == call,
            "no call data before sign-in"
        );
    }
    assert!(!get(&app, "/").await.1.contains(&id));

    // The bearer header works, a wrong one does not.
    let bearer = |t: &str| {
        Request::get("/")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&app, bearer(TOKEN)).await.0, StatusCode::OK);
    assert_eq!(
        send(&app, bearer("wrong")).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Sign-in: a wrong token is refused; the right one sets the cookie and goes back.
    let signin = |token: &str, next: &str| {
        Request::post("/signin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "token={}&next={}",
                zcc_server::web::html::Url(token),
                zcc_server::web::html::Url(next)
            )))
            .unwrap()
    };
    let (status, headers, html) = send(&app, signin("nope", &call)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get(header::SET_COOKIE).is_none());
    assert!(html.contains("That is not the API token."));

    let (status, headers, _) = send(&app, signin(TOKEN, &call)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], call.as_str());
    let cookie = headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("zcc_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains(TOKEN), "the cookie is not the token");
    let session = cookie.split(';').next().unwrap().to_owned();

    let with_cookie = |uri: &str, cookie: &str| {
        Request::get(uri)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, html) = send(&app, with_cookie(&call, &session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Sign out"));
    let (status, _, _) = send(&app, with_cookie("/", "zcc_session=00ff")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Never redirected off the site; signing out clears the cookie.
    let (_, headers, _) = send(&app, signin(TOKEN, "//evil.example/")).await;
    assert_eq!(headers[header::LOCATION], "/");
    let (status, headers, _) =
        send(&app, Request::post("/signout").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );

    // The stylesheet holds no data and needs no token.
    let (status, headers, css) = send(
        &app,
        Request::get("/assets/web.css").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.contains("svg.timeline"));
}

#[tokio::test]
async fn without_a_token_pages_are_open_and_signin_just_returns() {
    let corpus = Corpus::simulated(3, 1).await;
    let app = zcc_server::router(corpus.state(None));
    let (status, html) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Sign out"));
    let (status, headers, _) = send(
        &app,
        Request::get("/signin?next=/engagements/x")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/engagements/x");
}
