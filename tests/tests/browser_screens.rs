//! The screening, arrival, station and visit pages in a real browser:
//! headless Chromium through chromedriver against a real hub, county and
//! station on loopback. Fails when the browser is missing; never skips.
//! Screenshots go to `target/screenshots/screens-*.png`.
//!
//! The Driver, screenshot, arrive, send and sign-in helpers are copies of
//! `browser.rs`'s (other consoles' browser tests are written in parallel;
//! one shared module is for when they are merged).

use fantoccini::{Client, Locator};
use sanji_domain::case::ActorRole;
use sanji_domain::fold::EntityState;
use sanji_domain::record::RiskLevel;
use sanji_node::accounts::Accounts;
use sanji_tests::desk::browser::{self, Driver, arrive, body, sign_out};
use sanji_tests::{Cluster, station_today, village};

const PASSWORD: &str = "dongshan-2026";

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
    browser::sign_in(browser, base, login, PASSWORD).await;
}

async fn screenshot(browser: &Client, name: &str) {
    browser::screenshot(browser, &format!("screens-{name}")).await;
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
    let console = sanji_tests::desk::plain_console(&cluster.hub().operations).await;
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
