//! 月报表 and 奖惩 in a real browser: headless Chromium against a real hub
//! (with a station that synced) and the county it files with. Screenshots
//! of each page and of the print views go to `target/screenshots/`, and the
//! print views are printed to PDF on A4 there too (`report-print.pdf`,
//! `county-report-print.pdf`), as Chromium's 打印 → 另存为 PDF would.

use fantoccini::wd::{PrintConfiguration, PrintOrientation, PrintSize};
use fantoccini::{Client, Locator};
use sanji_domain::case::ActorRole;
use sanji_domain::report::{Month, MonthlyReport};
use sanji_domain::time::cst_date;
use sanji_node::ops::{Action, Actor, Query};
use sanji_tests::desk::browser::{
    Driver, PASSWORD, account, arrive, body, screenshot, screenshot_dir, sign_in,
};
use sanji_tests::desk::steps_to_a_confirmed_agreement;
use sanji_tests::{Cluster, code, record_samples, township, village};

/// Prints the page on A4 and keeps the PDF; returns how many pages it took.
async fn print_a4(browser: &Client, name: &str, orientation: PrintOrientation) -> usize {
    let pdf = browser
        .print(
            PrintConfiguration::builder()
                .size(PrintSize::A4)
                .orientation(orientation)
                .build()
                .unwrap(),
        )
        .await
        .expect("the page prints");
    std::fs::write(screenshot_dir().join(format!("{name}.pdf")), &pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    // The page tree's `/Count`: Chromium writes it uncompressed.
    let text = String::from_utf8_lossy(&pdf);
    let count = text
        .split("/Count ")
        .nth(1)
        .expect("a page count in the PDF");
    count[..count.find(|c: char| !c.is_ascii_digit()).unwrap()]
        .parse()
        .unwrap()
}

/// Clicks the search form's button that says `label`.
async fn press(browser: &Client, label: &str) {
    browser
        .find(Locator::XPath(&format!(
            "//form[contains(@class,'search')]//button[normalize-space()='{label}']"
        )))
        .await
        .unwrap_or_else(|_| panic!("a button {label}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_and_its_print_view_look_right_at_the_hub_and_the_county() {
    let cluster = Cluster::start().await;
    let hub = cluster.hub();
    account(cluster.hub_store(), "刘芳", "liufang", ActorRole::Operator);
    account(
        cluster.county_store(),
        "赵科长",
        "zhaokezhang",
        ActorRole::County,
    );
    let station = cluster.open_station(&village(1));
    record_samples(&station, 0, 30);
    station.sync(3).await.unwrap();
    // The case the station registered is accepted at the center.
    let cases: Vec<sanji_node::views::CaseRow> = serde_json::from_value(
        hub.operations
            .query(Query::Cases { village: None })
            .await
            .unwrap(),
    )
    .unwrap();
    let actor = Actor {
        name: "刘芳".into(),
        role: ActorRole::Operator,
        code: township(),
    };
    let director = Actor {
        name: "陈志远".into(),
        role: ActorRole::Director,
        ..actor.clone()
    };
    // Worked by the 司法所 to an agreement the follow-up confirms: a reward.
    for (role, command) in steps_to_a_confirmed_agreement() {
        let who = if role == ActorRole::Director {
            &director
        } else {
            &actor
        };
        hub.operations
            .act(
                who,
                Action::CaseStep {
                    case: cases[0].id.to_string(),
                    command,
                },
            )
            .await
            .unwrap();
    }
    cluster.forward().await;
    // A second township the county knows that has filed nothing.
    let silent = code("360123200");
    cluster.township_that_files_nothing(&silent).await;
    let month = Month::of(cst_date(hub.operations.now_ms()));
    let report: MonthlyReport = serde_json::from_value(
        hub.operations
            .query(Query::Report {
                month: month.to_string(),
            })
            .await
            .unwrap(),
    )
    .unwrap();

    let hub_console = sanji_tests::desk::plain_console(&hub.operations).await;
    let county_console = sanji_tests::desk::plain_console(&cluster.county().operations).await;
    let driver = Driver::start();
    let browser = driver.browser().await;

    // The operator opens 月报表 from the menu: this month, every figure.
    sign_in(&browser, &hub_console.url, "liufang", PASSWORD).await;
    sanji_tests::desk::browser::follow(&browser, "月报表", "report").await;
    let page = body(&browser).await;
    assert!(
        page.contains("综治信访维稳中心主要工作数据月报表")
            && page.contains("按来源")
            && page.contains("按类别")
            && page.contains("调解成功率"),
        "{page}"
    );
    assert!(
        page.contains(&format!("受理登记 {}", report.received)),
        "{page}"
    );
    screenshot(&browser, "report").await;

    // Its print view, as the clerk prints it for the seal.
    press(&browser, "打印版").await;
    arrive(&browser, "report-print").await;
    let page = body(&browser).await;
    assert!(
        page.contains("填报单位:镇综治信访维稳中心(360123100)")
            && page.contains("填报人:刘芳")
            && page.contains("填报单位(盖章)"),
        "{page}"
    );
    screenshot(&browser, "report-print").await;
    assert_eq!(
        print_a4(&browser, "report-print", PrintOrientation::Portrait).await,
        1,
        "the month's report fits one A4 page"
    );

    browser
        .goto(&format!("{}rewards", hub_console.url))
        .await
        .unwrap();
    arrive(&browser, "rewards").await;
    let page = body(&browser).await;
    assert!(
        page.contains("司法所") && page.contains("小计") && page.contains("本期合计:50 元"),
        "{page}"
    );
    screenshot(&browser, "rewards").await;
    press(&browser, "打印版").await;
    arrive(&browser, "rewards-print").await;
    screenshot(&browser, "rewards-print").await;

    // The county's month table: the township that filed, the one that did not.
    browser.delete_all_cookies().await.unwrap();
    sign_in(&browser, &county_console.url, "zhaokezhang", PASSWORD).await;
    browser
        .goto(&format!("{}report", county_console.url))
        .await
        .unwrap();
    arrive(&browser, "report").await;
    let page = body(&browser).await;
    assert!(
        page.contains("360123100") && page.contains("360123200") && page.contains("未报送"),
        "{page}"
    );
    assert!(page.contains("合计"), "{page}");
    screenshot(&browser, "county-report").await;
    press(&browser, "打印版").await;
    arrive(&browser, "report-print").await;
    screenshot(&browser, "county-report-print").await;
    assert_eq!(
        print_a4(&browser, "county-report-print", PrintOrientation::Landscape).await,
        1,
        "the county's table fits one A4 page, landscape"
    );

    browser.close().await.unwrap();
    drop(station);
    hub_console.stop().await;
    county_console.stop().await;
    cluster.shutdown().await;
}
