//! The screening, arrival, station and visit pages in a real browser:
//! headless Chromium through chromedriver against a real hub, county and
//! station on loopback. Fails when the browser is missing; never skips.
//! Screenshots go to `target/screenshots/screens-*.png`.
//!
//! The Driver, screenshot, arrive, send and sign-in helpers are copies of
//! `browser.rs`'s (other consoles' browser tests are written in parallel;
//! one shared module is for when they are merged).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use sanji_domain::case::ActorRole;
use sanji_domain::fold::EntityState;
use sanji_domain::record::RiskLevel;
use sanji_node::accounts::Accounts;
use sanji_tests::{Cluster, station_today, village};
use sanji_web::Console;

const PASSWORD: &str = "dongshan-2026";

struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let mut child = Command::new("chromedriver")
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver is not installed: apt-get install chromium chromium-driver fonts-noto-cjk",
            );
        let stdout = child.stdout.take().expect("chromedriver's output");
        let mut lines = BufReader::new(stdout).lines();
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.split("successfully on port ")
                    .nth(1)
                    .and_then(|p| p.trim_end_matches('.').parse().ok())
            })
            .expect("chromedriver did not say which port it serves");
        std::thread::spawn(move || lines.for_each(drop));
        Driver { child, port }
    }

    async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1366,768", "--lang=zh-CN",
                ],
            }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session (is chromium installed?)")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn screenshot(browser: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.expect("a screenshot");
    std::fs::write(dir.join(format!("screens-{name}.png")), &png).unwrap();
}

async fn body(browser: &Client) -> String {
    browser
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn arrive(browser: &Client, page: &str) {
    browser
        .wait()
        .for_element(Locator::Css(&format!("body[data-page='{page}']")))
        .await
        .unwrap_or_else(|e| panic!("never arrived at {page}: {e}"));
}

async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} is on the page"))
        .click()
        .await
        .unwrap();
}

async fn sign_in(browser: &Client, base: &str, login: &str) {
    browser.goto(&format!("{base}login")).await.unwrap();
    let form = browser.form(Locator::Css("form")).await.unwrap();
    form.set_by_name("login", login).await.unwrap();
    form.set_by_name("password", PASSWORD).await.unwrap();
    click(browser, "form button[type=submit]").await;
    arrive(browser, "today").await;
}

async fn sign_out(browser: &Client) {
    click(browser, "header form button").await;
    arrive(browser, "login").await;
}

async fn open(browser: &Client, base: &str, path: &str, page: &str) {
    browser
        .goto(&format!("{base}{}", path.trim_start_matches('/')))
        .await
        .unwrap();
    arrive(browser, page).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_director_signs_a_severe_screening_and_the_operator_makes_it_a_case() {
    let cluster = Cluster::start().await;
    let accounts = Accounts::new(cluster.hub_store().clone());
    for (name, login, role) in [
        ("刘芳", "liufang", ActorRole::Operator),
        ("陈志远", "chenzhiyuan", ActorRole::Director),
    ] {
        let (_, once) = accounts
            .add(name, Some(login), role, None, 0, "测试")
            .unwrap();
        accounts
            .change_password(login, &once, PASSWORD, 0, "测试")
            .unwrap();
    }
    let console = sanji_web::start(
        Console::new(cluster.hub().operations.clone(), false),
        "127.0.0.1:0",
        None,
    )
    .await
    .unwrap();
    let base = console.url.clone();

    // A village screens a 较大 and a 重大 matter and a visit, and syncs.
    let v = village(1);
    let station = cluster.open_station(&v);
    let today = station_today(&station);
    let mut major = sanji_tests::screening(2, &v, today);
    major.risk = RiskLevel::Major;
    major.mass_incident_risk = false;
    station.record_screening(None, major).unwrap();
    let mut severe = sanji_tests::screening(0, &v, today);
    severe.risk = RiskLevel::Severe;
    severe.mass_incident_risk = true;
    severe.parties[0].name = "黄大年".into();
    severe.description = "两组村民因山林界址争执,扬言聚集到镇政府上访。".into();
    let screening = station.record_screening(None, severe).unwrap().entity;
    station
        .record_visit(None, sanji_tests::visit(3, &v, today))
        .unwrap();
    station.sync(3).await.unwrap();

    let driver = Driver::start();
    let browser = driver.browser().await;

    // The operator sees what arrived and the queue, but cannot sign.
    sign_in(&browser, &base, "liufang").await;
    open(&browser, &base, "/arrivals", "arrivals").await;
    let page = body(&browser).await;
    assert!(
        page.contains("黄大年") && page.contains("排查 2,接访 1"),
        "{page}"
    );
    screenshot(&browser, "arrivals").await;
    open(&browser, &base, "/stations", "stations").await;
    assert!(body(&browser).await.contains(v.as_str()));
    screenshot(&browser, "stations").await;
    open(&browser, &base, "/screenings", "screenings").await;
    screenshot(&browser, "screenings").await;
    // 重大 and 群体性 first in the queue.
    click(&browser, "#queue table.list a").await;
    arrive(&browser, "screening").await;
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .as_str()
            .ends_with(&screening.to_string())
    );
    let page = body(&browser).await;
    assert!(page.contains("黄大年") && page.contains("未签字"), "{page}");
    assert!(!page.contains("中心主任签字"), "no sign-off form: {page}");
    sign_out(&browser).await;

    // The director signs it from the queue.
    sign_in(&browser, &base, "chenzhiyuan").await;
    open(&browser, &base, "/screenings", "screenings").await;
    click(&browser, "#queue table.list a").await;
    arrive(&browser, "screening").await;
    let form = browser.form(Locator::Css("form#sign-off")).await.unwrap();
    form.set_by_name("note", "已阅,请村里每日报告动态。")
        .await
        .unwrap();
    click(&browser, "form#sign-off button[type=submit]").await;
    arrive(&browser, "screening-done").await;
    let page = body(&browser).await;
    assert!(
        page.contains("已签字")
            && page.contains("陈志远")
            && page.contains("已阅,请村里每日报告动态。"),
        "{page}"
    );
    screenshot(&browser, "screening-signed").await;
    sign_out(&browser).await;

    // The operator turns it into a case without retyping it.
    sign_in(&browser, &base, "liufang").await;
    open(
        &browser,
        &base,
        &format!("/screenings/{screening}"),
        "screening",
    )
    .await;
    assert!(body(&browser).await.contains("陈志远"));
    browser
        .find(Locator::XPath(
            "//form[@id='convert']/parent::details/summary",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    screenshot(&browser, "screening-convert").await;
    click(&browser, "form#convert button[type=submit]").await;
    arrive(&browser, "screening-done").await;
    assert!(body(&browser).await.contains("已转为案件"));
    click(&browser, "p.notice a").await;
    arrive(&browser, "case").await;
    let page = body(&browser).await;
    assert!(
        page.contains("黄大年")
            && page.contains("排查转案")
            && page.contains("扬言聚集到镇政府上访"),
        "{page}"
    );
    screenshot(&browser, "screening-case").await;

    let converted = match cluster
        .hub_store()
        .entity(screening)
        .unwrap()
        .unwrap()
        .state
    {
        EntityState::Screening(s) => s.converted_to,
        other => panic!("{other:?}"),
    };
    assert!(converted.is_some());
    open(&browser, &base, "/visits/new", "visit-new").await;
    screenshot(&browser, "visit-new").await;

    browser.close().await.unwrap();
    drop(station);
    console.stop().await;
    cluster.shutdown().await;
}
