//! The console in a real headless Chromium: sign in, see the dashboard,
//! issue a token, see its audit event and the chain verified, sign out;
//! then, as an analyst, run a small simulation and see its plot appear.
//!
//! Needs `chromium` and `chromedriver` (`.ci/setup.sh` installs them). Without
//! them the test is skipped with a note, unless `BULWARK_REQUIRE_BROWSER=1`
//! (set by `.ci/run`), in which case it fails.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bulwark_core::Role;
use common::TestServer;
use fantoccini::{Client, ClientBuilder, Locator};

/// The visible text of the element with this id.
async fn text_of(b: &Client, id: &str) -> String {
    b.find(Locator::Id(id)).await.unwrap().text().await.unwrap()
}

/// Types into the element with this id.
async fn type_into(b: &Client, id: &str, text: &str) {
    b.find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Clicks the element with this id.
async fn click(b: &Client, id: &str) {
    b.find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

#[tokio::test]
async fn console_sign_in_dashboard_action_and_audit_in_chromium() {
    let driver_bin = find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
    let chrome_bin = find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
    let (Some(driver_bin), Some(chrome_bin)) = (driver_bin, chrome_bin) else {
        if std::env::var("BULWARK_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("BULWARK_REQUIRE_BROWSER=1 but chromium/chromedriver are not installed");
        }
        eprintln!("note: chromium or chromedriver missing; browser test skipped");
        return;
    };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let _driver = Driver(
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Both rustls back ends are compiled in through dev-dependencies; pick one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = TestServer::start().await;
    let admin = server.token(Role::Admin, "*").await;
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chrome_bin,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let b = client.expect("chromedriver did not start");

    // Unauthenticated: redirected to sign-in.
    b.goto(&server.url("/console")).await.unwrap();
    assert!(
        b.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/login")
    );

    // Sign in.
    type_into(&b, "token", &admin).await;
    click(&b, "sign-in").await;
    let who = match b
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("whoami"))
        .await
    {
        Ok(e) => e.text().await.unwrap(),
        Err(e) => panic!(
            "no dashboard after sign-in ({e}); at {} with page:\n{}",
            b.current_url().await.unwrap(),
            b.source().await.unwrap()
        ),
    };
    assert!(who.contains("admin"), "{who}");

    // Action: issue a token from the console.
    b.goto(&server.url("/console/tokens")).await.unwrap();
    type_into(&b, "name", "browser-issued").await;
    b.find(Locator::Css("#role option[value='auditor']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_into(&b, "organisation", "Test Authority").await;
    let scope = b.find(Locator::Id("scope")).await.unwrap();
    scope.clear().await.unwrap();
    scope.send_keys("DE,AT").await.unwrap();
    type_into(&b, "purpose", "browser test").await;
    click(&b, "issue-token").await;
    let secret = b
        .wait()
        .for_element(Locator::Id("new-token"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(secret.starts_with("bwk_"), "{secret}");
    let table = text_of(&b, "token-table").await;
    assert!(
        table.contains("browser-issued") && table.contains("AT,DE"),
        "{table}"
    );

    // Its audit event, and the chain verified.
    b.goto(&server.url("/console/audit")).await.unwrap();
    let status = text_of(&b, "chain-status").await;
    assert!(status.contains("Chain verified"), "{status}");
    let log = text_of(&b, "audit-table").await;
    assert!(
        log.contains("token.create") && log.contains("browser test"),
        "{log}"
    );
    assert!(log.contains("console.sign_in"), "{log}");
    assert!(!log.contains(&secret), "the secret reached the audit page");

    // Sign out.
    click(&b, "sign-out").await;
    b.wait().for_element(Locator::Id("sign-in")).await.unwrap();
    b.goto(&server.url("/console/audit")).await.unwrap();
    assert!(
        b.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/login")
    );

    // An analyst runs a small simulation from the console and sees its plot.
    let analyst = server.token(Role::Analyst, "*").await;
    type_into(&b, "token", &analyst).await;
    click(&b, "sign-in").await;
    b.wait().for_element(Locator::Id("whoami")).await.unwrap();
    click(&b, "dash-simulations").await;
    b.wait()
        .for_element(Locator::Css(
            "#scenario option[value='iberia-2025-system-split']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let samples = b.find(Locator::Id("samples")).await.unwrap();
    samples.clear().await.unwrap();
    samples.send_keys("8").await.unwrap();
    click(&b, "start-simulation").await;
    // The run page refreshes itself until the run is done; then the plot
    // appears. (Bounded only so that a broken build does not hang.)
    let plot = match b
        .wait()
        .at_most(Duration::from_secs(900))
        .for_element(Locator::Id("exceedance-plot"))
        .await
    {
        Ok(e) => e,
        Err(e) => panic!(
            "no plot ({e}); at {} with page:\n{}",
            b.current_url().await.unwrap(),
            b.source().await.unwrap()
        ),
    };
    let status = text_of(&b, "sim-status").await;
    assert!(status.contains("done"), "{status}");
    // The image loaded (an SVG with a width), not a broken image.
    let mut width = 0;
    for _ in 0..100 {
        width = b
            .execute(
                "return document.getElementById('exceedance-plot').naturalWidth;",
                vec![],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(0);
        if width > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(width > 0, "the exceedance plot did not load");
    assert!(
        plot.attr("src")
            .await
            .unwrap()
            .unwrap()
            .ends_with("/exceedance.svg")
    );
    let states = text_of(&b, "sim-states").await;
    assert!(states.contains("ES"), "{states}");

    b.close().await.unwrap();
    server.stop().await;
}

/// Starts chromedriver and a headless Chromium session, or `None` when they
/// are not installed (and `BULWARK_REQUIRE_BROWSER` is not `1`).
async fn headless() -> Option<(Driver, Client, tempfile::TempDir)> {
    let driver_bin = find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
    let chrome_bin = find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
    let (Some(driver_bin), Some(chrome_bin)) = (driver_bin, chrome_bin) else {
        if std::env::var("BULWARK_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("BULWARK_REQUIRE_BROWSER=1 but chromium/chromedriver are not installed");
        }
        eprintln!("note: chromium or chromedriver missing; browser test skipped");
        return None;
    };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let driver = Driver(
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chrome_bin,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return Some((driver, c, profile)),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    panic!("chromedriver did not start");
}

#[tokio::test]
async fn reviewer_confirms_a_match_from_the_review_queue_in_chromium() {
    use bulwark_core::{MemberStateScope, Timestamp};
    use bulwark_detection::demo;
    use bulwark_store::Actor;
    use bulwark_store::tokens::{self, NewToken};

    let Some((_driver, b, _profile)) = headless().await else {
        return;
    };
    let server = TestServer::start_prepared(|store| async move {
        bulwark_detection::migrate(&store).await.unwrap();
        demo::seed(&store, &Actor::system(), Timestamp::now())
            .await
            .unwrap();
    })
    .await;
    let seeded = demo::seed(&server.store, &Actor::system(), Timestamp::now())
        .await
        .unwrap();
    let issue = |role: Role| {
        let store = server.store.clone();
        async move {
            tokens::create(
                &store,
                &Actor::system(),
                &MemberStateScope::All,
                NewToken {
                    name: format!("{role}"),
                    role,
                    organisation: demo::DEMO_PROVIDER.into(),
                    scope: MemberStateScope::All,
                    expires_at: None,
                },
                "test",
            )
            .await
            .unwrap()
            .secret
        }
    };
    let provider = issue(Role::Provider).await;
    let reviewer = issue(Role::Reviewer).await;

    // The provider's service scans an upload; it matches a stand-in.
    let scanned: serde_json::Value = common::client()
        .post(server.url(&format!(
            "/api/v1/detection/scan/image?basis_id={}&content_ref=upload-9",
            seeded.basis.id
        )))
        .bearer_auth(&provider)
        .header("content-type", "image/png")
        .body(demo::stand_in_png(9).unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(scanned["outcome"], "matched", "{scanned}");
    let match_id = scanned["matches"][0]["match_id"]
        .as_str()
        .unwrap()
        .to_string();

    // The reviewer signs in, opens the queue from the navigation, confirms.
    b.goto(&server.url("/console/login")).await.unwrap();
    type_into(&b, "token", &reviewer).await;
    click(&b, "sign-in").await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("whoami"))
        .await
        .unwrap();
    click(&b, "nav-detection").await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("detection-nav"))
        .await
        .unwrap();
    b.goto(&server.url("/console/detection/review"))
        .await
        .unwrap();
    let queue = text_of(&b, "queue").await;
    assert!(
        queue.contains("demo-09") && queue.contains("upload-9"),
        "{queue}"
    );
    type_into(&b, &format!("reason-{match_id}"), "the known stand-in").await;
    click(&b, &format!("confirm-{match_id}")).await;
    let mut pending = String::new();
    for _ in 0..50 {
        if let Ok(e) = b.find(Locator::Id("queue-size")).await
            && let Ok(t) = e.text().await
        {
            pending = t;
        }
        if pending.starts_with("0 ") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(pending.starts_with("0 "), "{pending}");
    let id = match_id.parse().unwrap();
    let decided = bulwark_detection::review::get(&server.store, id, None)
        .await
        .unwrap();
    assert_eq!(
        decided.matched.state,
        bulwark_detection::vocab::MatchState::Confirmed
    );
    assert_eq!(
        decided.matched.reason.as_deref(),
        Some("the known stand-in")
    );

    b.close().await.unwrap();
    server.stop().await;
}
