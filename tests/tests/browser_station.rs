//! The village clerk's day on the station's own pages, in a real browser:
//! headless Chromium through chromedriver against a real station service
//! and hub on loopback. Fails when the browser is missing; never skips.
//! Screenshots go to `target/screenshots/station-*.png`.

use fantoccini::{Client, Locator};
use sanji_node::station_api::{StationReply, StationRequest};
use sanji_tests::desk::browser::{self, Driver, arrive, body, click, follow, send};
use sanji_tests::station_desk::StationDesk;

async fn open(browser: &Client, desk: &StationDesk, path: &str, page: &str) {
    browser.goto(&desk.url(path)).await.unwrap();
    arrive(browser, page).await;
}

/// Types `fields` into the page's record form, as the clerk does.
async fn fill(browser: &Client, fields: &[(&str, &str)]) {
    let form = browser.form(Locator::Css("form#record")).await.unwrap();
    for (name, value) in fields {
        form.set_by_name(name, value)
            .await
            .unwrap_or_else(|e| panic!("field {name}: {e}"));
    }
}

async fn screening(browser: &Client, desk: &StationDesk, fields: &[(&str, &str)]) {
    open(browser, desk, "/screenings/new", "screening-new").await;
    fill(browser, fields).await;
    send(browser, "form#record").await;
    arrive(browser, "screening-saved").await;
}

/// Presses 立即同步 on the home page's bar and waits for the sync page to say the round
/// has ended: each time it still shows one, a round of our own waits behind
/// it (rounds run one at a time), then the page is opened again.
async fn synced(browser: &Client, desk: &StationDesk) {
    open(browser, desk, "/", "home").await;
    send(browser, "#syncbar form").await;
    arrive(browser, "sync").await;
    for _ in 0..10 {
        if browser.find(Locator::Css("#sync-done")).await.is_ok() {
            return;
        }
        desk.service.host.rounds_over().await;
        open(browser, desk, "/sync", "sync").await;
    }
    panic!("the sync page never said the round had ended");
}

/// The id of the station's case of `party`.
async fn the_case_of(desk: &StationDesk, party: &str) -> uuid::Uuid {
    let reply = desk
        .service
        .host
        .handle(StationRequest::List {
            screenings: false,
            visits: false,
            cases: true,
            zero_reports: false,
        })
        .await
        .unwrap();
    let StationReply::Lists { cases, .. } = reply else {
        panic!("{reply:?}")
    };
    cases
        .into_iter()
        .find(|c| c.parties.iter().any(|p| p == party))
        .unwrap_or_else(|| panic!("a case of {party}"))
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clerks_day_on_the_station_pages() {
    let mut desk = StationDesk::start().await;
    // An offline day: the hub is out of reach, so what waits for it is seen waiting.
    desk.cluster.stop_hub().await;
    let driver = Driver::start();
    let b = driver.browser().await;

    // The Start-menu shortcut opens the page with a one-time ticket.
    b.goto(&desk.ticket_url().await).await.unwrap();
    arrive(&b, "home").await;
    browser::screenshot(&b, "station-home").await;

    // Three screenings: one 重大 with 群体性, which must reach the township in 24 hours.
    follow(&b, "登记排查", "screening-new").await;
    fill(
        &b,
        &[
            ("category", "land"),
            ("risk", "severe"),
            ("party", "黄大年"),
            ("others", "黄二年、周富贵"),
            ("people_involved", "40"),
            (
                "description",
                "两组村民因山林界址争执,扬言聚集到镇政府上访。",
            ),
            ("measures", "村两委已到现场劝解,约定三日内再议。"),
        ],
    )
    .await;
    click(&b, "input[name=mass_incident_risk]").await;
    b.execute("window.scrollTo(0, 0)", Vec::new())
        .await
        .unwrap();
    browser::screenshot(&b, "station-screening").await;
    send(&b, "form#record").await;
    arrive(&b, "screening-saved").await;
    let notice = b
        .find(Locator::Css("#urgent"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.contains("须在 24 小时内报到镇中心"), "{notice}");
    assert!(notice.contains("下次同步时"), "{notice}");
    browser::screenshot(&b, "station-screening-saved").await;
    // The home page keeps saying so until the hub has it.
    follow(&b, "首页", "home").await;
    let home = b
        .find(Locator::Css("#urgent"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("黄大年"), "{home}");
    browser::screenshot(&b, "station-home-waiting").await;
    screening(
        &b,
        &desk,
        &[
            ("category", "family_neighbour"),
            ("party", "吴秀兰"),
            ("description", "婆媳因赡养问题争吵。"),
        ],
    )
    .await;
    screening(
        &b,
        &desk,
        &[
            ("category", "labour"),
            ("risk", "major"),
            ("party", "郑立新"),
            ("people_involved", "6"),
            ("description", "装修队拖欠六名村民工钱。"),
        ],
    )
    .await;
    assert!(
        b.find(Locator::Css("#urgent")).await.is_err(),
        "a 较大 screening has no 24-hour notice"
    );

    // A visit answered on the spot.
    open(&b, &desk, "/visits/new", "visit-new").await;
    fill(
        &b,
        &[
            ("channel", "phone"),
            ("party", "吴秀兰"),
            ("category", "family_neighbour"),
            ("summary", "询问赡养费的标准。"),
            ("answer", "已在电话中讲明法律规定和村里的调解办法。"),
        ],
    )
    .await;
    browser::screenshot(&b, "station-visit").await;
    send(&b, "form#record").await;
    arrive(&b, "visit-saved").await;
    assert!(body(&b).await.contains("当场答复"));

    // A visit that becomes a case, nothing typed twice.
    open(&b, &desk, "/visits/new", "visit-new").await;
    fill(
        &b,
        &[
            ("channel", "in_person"),
            ("party", "郑立新"),
            ("people_count", "6"),
            ("category", "labour"),
            (
                "summary",
                "装修队老板拖欠六人工钱共四万二千元,要求村里出面。",
            ),
        ],
    )
    .await;
    send(&b, "form#record").await;
    arrive(&b, "visit-saved").await;
    follow(&b, "登记为案件", "visit-case").await;
    browser::screenshot(&b, "station-visit-case").await;
    let party = b
        .find(Locator::Css("input[name=party]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(party.as_deref(), Some("郑立新"), "filled from the visit");
    send(&b, "form#record").await;
    arrive(&b, "case-saved").await;
    let file = body(&b).await;
    assert!(file.contains("装修队老板拖欠六人工钱"), "{file}");

    // The lists show the day's work.
    open(&b, &desk, "/screenings", "screenings").await;
    browser::screenshot(&b, "station-screenings").await;
    let list = body(&b).await;
    for name in ["黄大年", "吴秀兰", "郑立新"] {
        assert!(list.contains(name), "{name}: {list}");
    }
    open(&b, &desk, "/visits", "visits").await;
    let list = body(&b).await;
    assert!(
        list.contains("当场答复") && list.contains("已登记为案件"),
        "{list}"
    );
    browser::screenshot(&b, "station-visits").await;
    open(&b, &desk, "/cases", "cases").await;
    assert!(body(&b).await.contains("郑立新"));
    browser::screenshot(&b, "station-cases").await;

    // The case's paper form, without the navigation or the sync bar.
    b.find(Locator::Css("table.list a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(&b, "case").await;
    browser::screenshot(&b, "station-case").await;
    follow(&b, "打印案件受理登记表", "case-print").await;
    let paper = body(&b).await;
    assert!(
        paper.contains("案件受理登记表") && paper.contains("郑立新"),
        "{paper}"
    );
    assert!(b.find(Locator::Css("#syncbar")).await.is_err());
    browser::screenshot(&b, "station-print").await;
    open(&b, &desk, "/screenings", "screenings").await;
    click(&b, "tr.severe a").await;
    arrive(&b, "screening").await;
    follow(&b, "打印登记表", "screening-print").await;
    assert!(body(&b).await.contains("不安定因素排查登记表"));
    browser::screenshot(&b, "station-print-screening").await;

    // Back online: the clerk presses 立即同步 on the bar, and the page
    // follows the round until it has ended.
    desk.cluster.start_hub().await;
    synced(&b, &desk).await;
    assert!(body(&b).await.contains("同步成功"));
    browser::screenshot(&b, "station-sync").await;

    // The township takes the case from the visit and hands it back to the
    // village with a deadline; the next sync says so in words.
    let case = the_case_of(&desk, "郑立新").await;
    desk.township_takes(&case.to_string(), desk.accepted_and_assigned_back())
        .await;
    synced(&b, &desk).await;
    let news = b
        .find(Locator::Css("#recent"))
        .await
        .expect("the latest news")
        .text()
        .await
        .unwrap();
    assert!(
        news.contains("交本村办理(承办人 李明),期限 2027-01-10"),
        "{news}"
    );
    browser::screenshot(&b, "station-sync-news").await;

    // Offline again, the clerk records the mediation on the case, then syncs
    // once the hub is back, and the township has it.
    desk.cluster.stop_hub().await;
    open(&b, &desk, &format!("/cases/{case}"), "case").await;
    b.find(Locator::XPath(
        "//form[contains(@action, '/steps/progress')]/parent::details/summary",
    ))
    .await
    .expect("the progress form is offered")
    .click()
    .await
    .unwrap();
    let form = b
        .form(Locator::Css("form[action$='/steps/progress']"))
        .await
        .unwrap();
    form.set_by_name("note", "已约双方到村委会调解,初步同意按老界桩划界。")
        .await
        .unwrap();
    send(&b, "form[action$='/steps/progress']").await;
    arrive(&b, "case-done-progress").await;
    desk.cluster.start_hub().await;
    synced(&b, &desk).await;
    let at_hub = desk
        .cluster
        .hub_store()
        .entity(case)
        .unwrap()
        .expect("the case at the hub");
    let sanji_domain::EntityState::Case(file) = at_hub.state else {
        panic!("not a case")
    };
    assert_eq!(file.status, sanji_domain::case::CaseStatus::InMediation);
    assert!(
        file.file
            .iter()
            .any(|e| e.text.contains("初步同意按老界桩划界")),
        "{:?}",
        file.file
    );

    b.close().await.unwrap();
    desk.stop().await;
}
