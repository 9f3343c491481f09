//! The directory of names, the director's account page and the county's
//! hand-downs in a real browser: headless Chromium through chromedriver
//! against a real hub and county on loopback. Fails when the browser is
//! missing; never skips. Screenshots go to `target/screenshots/directory-*.png`.
//!
//! The Driver and page helpers are copied from `browser.rs` (kept apart
//! while other browser tests are written in parallel).

use chrono::Days;
use fantoccini::{Client, Locator};
use sanji_domain::case::ActorRole;
use sanji_domain::event::HandDown;
use sanji_domain::time::cst_date;
use sanji_node::accounts::Accounts;
use sanji_node::ops::{Action, Actor, CaseCommand};
use sanji_tests::desk::Desk;
use sanji_tests::desk::browser::{self, Driver, arrive, body, send, sign_out};
use sanji_tests::{code, county, village};

const PASSWORD: &str = "shimen-2026";

async fn sign_in(browser: &Client, base: &str, login: &str) {
    browser::sign_in(
        browser,
        &format!("{}/", base.trim_end_matches('/')),
        login,
        PASSWORD,
    )
    .await;
}

async fn screenshot(browser: &Client, name: &str) {
    browser::screenshot(browser, &format!("directory-{name}")).await;
}

/// Chooses the option a person reads, `label`, in the select `css`.
async fn choose(browser: &Client, css: &str, label: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no select {css}"))
        .select_by_label(label)
        .await
        .unwrap_or_else(|e| panic!("{css} offers no {label}: {e}"));
}

async fn fill(browser: &Client, css: &str, text: &str) {
    let field = browser.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_is_assigned_by_village_name_and_the_county_hands_one_down_in_the_browser() {
    let desk = Desk::start().await;
    for (store, name) in [
        (desk.cluster.hub_store(), "王主任"),
        (desk.cluster.county_store(), "周明"),
    ] {
        Accounts::new(store.clone())
            .change_password(name, &desk.passwords[name], PASSWORD, 0, "测试")
            .unwrap();
    }
    let hub = desk.console.url.trim_end_matches('/').to_owned();
    let county_base = desk.county_console.url.trim_end_matches('/').to_owned();

    // A case accepted at the hub; a severe screening reported to the county;
    // a hand-down the township has left unaccepted past its 15 days.
    let case = desk.register("吴春生").await;
    desk.act(
        "刘芳",
        ActorRole::Operator,
        Action::CaseStep {
            case: case.to_string(),
            command: CaseCommand::Accept,
        },
    )
    .await;
    let station = desk.cluster.open_station(&village(1));
    let today = cst_date(station.clock().now_ms());
    station
        .record_screening(None, sanji_tests::screening(4, &village(1), today))
        .unwrap();
    station.sync(3).await.unwrap();
    let county_office = Actor {
        name: "周明".into(),
        role: ActorRole::County,
        code: county(),
    };
    let mut late = sanji_tests::case_registration(&code("360123100"), today, "钱多多");
    late.registered_on = today.checked_sub_days(Days::new(20)).unwrap();
    late.source = sanji_domain::record::CaseSource::HandedDown;
    late.first_unit = "县综治办".into();
    desk.cluster
        .county()
        .operations
        .act(
            &county_office,
            Action::HandDown {
                hand_down: HandDown {
                    township: code("360123100"),
                    registration: late,
                    note: "请尽快受理。".into(),
                    deadline: None,
                },
            },
        )
        .await
        .expect("an earlier hand-down");
    desk.cluster.forward().await;

    let driver = Driver::start();
    let browser = driver.browser().await;

    // The director assigns the case to 东山村 by its name.
    sign_in(&browser, &hub, "王主任").await;
    browser.goto(&format!("{hub}/cases/{case}")).await.unwrap();
    arrive(&browser, "case").await;
    browser
        .find(Locator::XPath(
            "//form[contains(@action, '/steps/assign')]/parent::details/summary",
        ))
        .await
        .expect("the assign form is offered")
        .click()
        .await
        .unwrap();
    let form = "form[action$='/steps/assign']";
    choose(
        &browser,
        &format!("{form} select[name='village']"),
        "东山村(360123100201)",
    )
    .await;
    fill(&browser, &format!("{form} input[name='person']"), "李红梅").await;
    screenshot(&browser, "assign").await;
    send(&browser, form).await;
    arrive(&browser, "case-done-assign").await;
    let page = body(&browser).await;
    assert!(
        page.contains("东山村工作站(360123100201)(承办人 李红梅") && page.contains("已交办"),
        "{page}"
    );
    assert!(page.contains("东山村(360123100201)"), "{page}");
    screenshot(&browser, "assigned").await;

    // The directory page, and the director's account page with a new account.
    browser.goto(&format!("{hub}/directory")).await.unwrap();
    arrive(&browser, "directory").await;
    assert!(body(&browser).await.contains("劳动保障所"));
    screenshot(&browser, "directory").await;
    browser.goto(&format!("{hub}/accounts")).await.unwrap();
    arrive(&browser, "accounts").await;
    let add = "form[action='/accounts/add']";
    fill(&browser, &format!("{add} input[name='name']"), "赵小红").await;
    choose(
        &browser,
        &format!("{add} select[name='role']"),
        "单位工作人员",
    )
    .await;
    choose(&browser, &format!("{add} select[name='unit']"), "法庭").await;
    send(&browser, add).await;
    arrive(&browser, "accounts-once").await;
    let page = body(&browser).await;
    assert!(page.contains("赵小红(用户名 赵小红)的一次性密码"), "{page}");
    screenshot(&browser, "accounts").await;
    sign_out(&browser).await;

    // The county hands a case down to 石门镇, chosen by name.
    sign_in(&browser, &county_base, "周明").await;
    sanji_tests::desk::browser::follow(&browser, "交办督办", "handdowns").await;
    sanji_tests::desk::browser::follow(&browser, "向乡镇交办案件", "handdown").await;
    choose(&browser, "select[name='township']", "石门镇(360123100)").await;
    choose(&browser, "select[name='category']", "土地山林水利").await;
    fill(&browser, "input[name='parties']", "周大山、周小河").await;
    fill(&browser, "input[name='people_involved']", "2").await;
    fill(
        &browser,
        "textarea[name='claim']",
        "两户山林界址争议,要求调处。",
    )
    .await;
    fill(
        &browser,
        "textarea[name='note']",
        "请石门镇十五日内调处并报结果。",
    )
    .await;
    screenshot(&browser, "handdown").await;
    send(&browser, "form[action='/handdown']").await;
    arrive(&browser, "handdowns").await;
    let page = body(&browser).await;
    assert!(
        page.contains("已交办") && page.contains("请石门镇十五日内调处并报结果。"),
        "{page}"
    );
    assert!(
        page.contains("请尽快受理。") && page.contains("已超期"),
        "{page}"
    );
    let overdue = browser
        .find(Locator::Css("tr.overdue"))
        .await
        .expect("the overdue hand-down is marked");
    assert!(overdue.text().await.unwrap().contains("钱多多"));
    assert!(
        page.contains("重大、群体性排查") && page.contains("石门镇 360123100201"),
        "the severe screening, by township name: {page}"
    );
    screenshot(&browser, "handdowns").await;
    browser
        .execute("window.scrollTo(0, document.body.scrollHeight)", vec![])
        .await
        .unwrap();
    screenshot(&browser, "handdowns-severe").await;

    // The county's home page: the late hand-down in red, this week's severe screening.
    sanji_tests::desk::browser::follow(&browser, "今日概览", "today").await;
    // Only the hand-downs' table: last month's filing row is red too when
    // the month has no report yet, which depends on the day the test runs.
    let late = browser
        .find(Locator::Css("#late-handdowns tr.overdue"))
        .await
        .expect("the late hand-down is red on the home page");
    assert!(late.text().await.unwrap().contains("钱多多"));
    let page = body(&browser).await;
    assert!(
        page.contains("月报表报送") && page.contains("石门镇 360123100201"),
        "{page}"
    );
    screenshot(&browser, "county-home").await;

    browser.close().await.unwrap();
    drop(station);
    desk.stop().await;
}
