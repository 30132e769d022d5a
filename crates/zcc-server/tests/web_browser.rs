//! The web pages in a real browser: `zcc-server` serves a ledger of simulated traffic on
//! `127.0.0.1:0`, headless Chromium loads the call list, a conference call's page and the page
//! of a call with every phase (IVR, queue, a missed offer, wrap-up, disposition, note), the
//! test checks the DOM Chromium built (lanes, the conference band, the phase marks, evidence
//! links that resolve) and saves screenshots under `target/web/`.
//!
//! Needs Debian's `chromium` package (`apt-get install chromium`); set `CHROMIUM` to use another
//! binary. Without it the test fails, saying so: it is never skipped.

mod web_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;
use web_support::{Corpus, args, lane_agents};
use zcc_model::CallProjection;
use zcc_store::projection::{GenerationId, ProjectionStore};

const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_owned())
}

/// Where screenshots go: `$CARGO_TARGET_DIR/web`, else the workspace's `target/web`.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("web");
    std::fs::create_dir_all(&dir).expect("create the screenshot directory");
    dir
}

/// Run headless Chromium with a fresh profile and the given extra arguments; its stdout.
async fn run_chromium(extra: &[String], url: &str) -> String {
    run_chromium_in("UTC", extra, url).await
}

/// [`run_chromium`] for a reader in the time zone `tz` (an IANA name).
async fn run_chromium_in(tz: &str, extra: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().expect("a temporary profile directory");
    let mut cmd = Command::new(chromium());
    cmd.env("TZ", tz);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(url)
    .kill_on_drop(true);
    let output = match tokio::time::timeout(BROWSER_TIMEOUT, cmd.output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => panic!(
            "cannot run {:?} ({e}): this test needs headless Chromium; install it with \
             `apt-get install chromium` (or set CHROMIUM to a Chromium binary)",
            chromium()
        ),
        Err(_) => panic!("Chromium did not finish within {BROWSER_TIMEOUT:?} for {url}"),
    };
    assert!(
        output.status.success(),
        "Chromium failed on {url}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the DOM is UTF-8")
}

async fn dump_dom(url: &str) -> String {
    run_chromium(&["--dump-dom".to_owned()], url).await
}

/// Screenshot `url` at `width`x`height` into `path`; returns the PNG's (width, height).
async fn screenshot(url: &str, path: &Path, width: u32, height: u32) -> (u32, u32) {
    let _ = std::fs::remove_file(path);
    run_chromium(
        &[
            format!("--screenshot={}", path.display()),
            format!("--window-size={width},{height}"),
        ],
        url,
    )
    .await;
    let png = std::fs::read(path).expect("Chromium wrote the screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert!(
        png.len() > 20_000,
        "the screenshot has content ({} bytes)",
        png.len()
    );
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// Every `<time>` of `dom` shows its `datetime` shifted by `offset` and labelled `label`, with
/// the UTC time in its title.
fn assert_local_times(dom: &str, label: &str, offset: chrono::Duration) {
    let times: Vec<&str> = dom.split("<time ").skip(1).collect();
    assert!(!times.is_empty(), "the list shows start times");
    for time in times {
        let attr = |name: &str| {
            let start = time.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            &time[start..start + time[start..].find('"').unwrap()]
        };
        let at = chrono::DateTime::parse_from_rfc3339(attr("datetime")).unwrap();
        let shown = time[time.find('>').unwrap() + 1..time.find("</time>").unwrap()].to_owned();
        let want = format!("{} {label}", (at + offset).format("%Y-%m-%d %H:%M:%S%.3f"));
        assert_eq!(shown, want, "{time}");
        let utc = format!("{} UTC", at.format("%Y-%m-%d %H:%M:%S%.3f"));
        assert_eq!(attr("title"), utc, "{time}");
    }
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// The search box: a part of an agent's name, in another case, finds the call `id`; the box
/// says what it matches and shows the words back. Returns the word searched.
async fn search_box_finds_the_call(
    base: &str,
    list: &str,
    projection: &CallProjection,
    id: &str,
) -> String {
    let name = projection
        .legs
        .iter()
        .find_map(|l| l.display_name.clone().filter(|_| l.user_id.is_some()))
        .expect("a named agent on the conference call");
    let word = name.split_whitespace().last().unwrap().to_uppercase();
    let searched = dump_dom(&format!("{base}/?q={word}&limit=500")).await;
    assert!(
        searched.contains(&format!(r#"href="/engagements/{id}""#)),
        "searching {word:?} lists the call of {name:?}"
    );
    assert!(
        searched.contains(&format!(
            r#"placeholder="{}""#,
            zcc_server::web::list::SEARCH_PLACEHOLDER
        )),
        "the search box says what it matches"
    );
    assert!(
        searched.contains(&format!(r#"value="{word}""#)),
        "the words shown back"
    );
    assert!(
        count(&searched, "<tr") < count(list, "<tr"),
        "fewer calls than all"
    );
    word
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_the_call_list_and_a_conference_timeline() {
    let corpus = Corpus::simulated(80, 7).await;
    // The conference call that shows the most at once (holds, transfers, lanes): the picture
    // in docs/WEB.md.
    let mut best: Option<(usize, String, CallProjection)> = None;
    for pattern in ["conference", "conference_agent_leaves"] {
        for id in corpus.engagements(pattern) {
            let doc = corpus
                .store
                .projection(GenerationId(1), &id.into())
                .await
                .unwrap()
                .expect("projected");
            let p = CallProjection::from_canonical_json(doc.doc.as_bytes()).unwrap();
            let score = p.holds.len() + p.transfers.len() + p.agents().len();
            if p.has_conference() && best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                best = Some((score, id.to_owned(), p));
            }
        }
    }
    let (_, id, projection) = best.expect("a simulated conference call");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zcc_server::run(
        args(None),
        corpus.store.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let base = format!("http://{addr}");

    // The list: the search form and a row linking to the conference call.
    let list = dump_dom(&format!("{base}/?limit=500")).await;
    assert!(list.contains(r#"<form class="search""#), "the search form");
    assert!(
        list.contains(&format!(r#"href="/engagements/{id}""#)),
        "the list links to the conference call"
    );
    assert!(count(&list, "<tr") > 10, "rows of calls");
    assert!(list.contains(r#"class="has-conference""#));

    let word = search_box_finds_the_call(&base, &list, &projection, &id).await;

    // Times in the reader's time zone with the UTC time on hover (`local-time.js`).
    let local = run_chromium_in(
        "Asia/Kolkata",
        &["--dump-dom".to_owned()],
        &format!("{base}/?limit=5"),
    )
    .await;
    assert_local_times(&local, "+05:30", chrono::Duration::minutes(330));

    // The call page, as Chromium parsed it.
    let call_url = format!("{base}/engagements/{id}");
    let dom = dump_dom(&call_url).await;
    assert!(dom.contains("<svg class=\"timeline\""), "the inline SVG");
    assert_eq!(count(&dom, r#"<g class="lane" data-party="customer""#), 1);
    assert_eq!(
        count(&dom, r#"<g class="lane" data-party="agent""#),
        lane_agents(&projection).len(),
        "a lane per agent"
    );
    assert_eq!(
        count(&dom, r#"class="conference-band""#),
        projection.conferences.len(),
        "a band per conference"
    );
    let anchors: BTreeSet<&str> = dom
        .split(r#"<tr id="pos-"#)
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    let links: Vec<&str> = dom
        .split(r##"href="#pos-"##)
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    assert!(!links.is_empty(), "evidence links");
    for link in &links {
        assert!(
            anchors.contains(link),
            "#pos-{link} resolves to a raw event row"
        );
    }

    // Pictures: the desktop width of the issue, and a phone.
    let dir = screenshot_dir();
    let desktop = dir.join("timeline.png");
    assert_eq!(
        screenshot(&call_url, &desktop, 1280, 900).await,
        (1280, 900)
    );
    let phone = dir.join("timeline-phone.png");
    assert_eq!(screenshot(&call_url, &phone, 390, 844).await, (390, 844));

    phases_call_in_chromium(&corpus, &base, &dir).await;

    let list_png = dir.join("list.png");
    assert_eq!(
        screenshot(&format!("{base}/"), &list_png, 1280, 900).await,
        (1280, 900)
    );
    let search_png = dir.join("list-search.png");
    assert_eq!(
        screenshot(&format!("{base}/?q={word}"), &search_png, 1280, 900).await,
        (1280, 900)
    );

    stop.send(()).unwrap();
    server.await.unwrap().expect("the server stops cleanly");
}

/// A call with every phase around its legs: the flow and queue in the customer's lane, offers
/// with their outcome, wrap-up, a disposition and a note, as Chromium built them; its
/// screenshot is `timeline-phases.png` (the second picture in docs/WEB.md).
async fn phases_call_in_chromium(corpus: &Corpus, base: &str, dir: &Path) {
    let (phases_id, phases) = corpus
        .call_with_every_phase()
        .await
        .expect("a simulated call with every phase");
    let phases_url = format!("{base}/engagements/{phases_id}");
    let dom = dump_dom(&phases_url).await;
    assert_eq!(
        count(&dom, r#"<g class="phase phase-"#),
        phases.phases.len(),
        "a mark per flow or queue phase"
    );
    assert!(dom.contains(r#"data-kind="flow""#) && dom.contains(r#"data-kind="queue""#));
    assert_eq!(count(&dom, r#"<g class="offer""#), phases.offers.len());
    assert!(
        dom.contains(r#"class="offer-outcome""#),
        "a missed offer says how it ended"
    );
    assert_eq!(count(&dom, r#"<g class="wrap-up">"#), phases.wrap_ups.len());
    assert_eq!(
        count(&dom, r#"<g class="disposition">"#),
        phases.dispositions.len()
    );
    assert_eq!(count(&dom, r#"<g class="note">"#), phases.notes.len());
    assert_eq!(
        count(&dom, r#"<g class="lane" data-party="agent""#),
        lane_agents(&phases).len(),
        "a lane per agent, the ones who only missed an offer included"
    );
    let phases_png = dir.join("timeline-phases.png");
    assert_eq!(
        screenshot(&phases_url, &phases_png, 1280, 900).await,
        (1280, 900)
    );
}
