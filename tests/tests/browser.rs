//! The console in a real browser: headless Chromium driven through
//! chromedriver (Debian's `chromium` and `chromium-driver`, which `.ci/run`
//! installs), against a real hub and county on loopback, and a real station
//! that syncs. The test fails when the browser is missing; it never skips.
//!
//! Screenshots of each page are written to `target/screenshots/`; with
//! `SANJI_UPDATE_SCREENSHOTS=1` the ones the README shows are also copied
//! into `docs/`.

use fantoccini::{Client, Locator};
use sanji_domain::case::{ActorRole, CaseStatus, Outcome};
use sanji_domain::time::cst_date;
use sanji_node::ops::CaseCommand;
use sanji_tests::desk::browser::{
    Driver, PASSWORD, account, arrive, body, screenshot, send, sign_in, sign_out,
};
use sanji_tests::{Cluster, village};

/// Opens the step's form on the case page, fills it and sends it.
async fn take_step(browser: &Client, step: &str, fields: &[(&str, &str)]) {
    browser
        .find(Locator::XPath(&format!(
            "//form[contains(@action, '/steps/{step}')]/parent::details/summary"
        )))
        .await
        .unwrap_or_else(|_| panic!("the {step} form is offered"))
        .click()
        .await
        .unwrap();
    let form = browser
        .form(Locator::Css(&format!("form[action$='/steps/{step}']")))
        .await
        .unwrap();
    for (name, value) in fields {
        let selector = format!("form[action$='/steps/{step}'] input[type=checkbox][name='{name}']");
        match browser.find(Locator::Css(&selector)).await {
            // A box is ticked by clicking it, as a person does.
            Ok(checkbox) if *value == "true" => checkbox.click().await.map(drop).unwrap(),
            _ => form.set_by_name(name, value).await.map(drop).unwrap(),
        }
    }
    send(browser, &format!("form[action$='/steps/{step}']")).await;
    arrive(browser, &format!("case-done-{step}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_lives_its_life_in_the_browser_from_registration_to_archive() {
    let cluster = Cluster::start().await;
    let hub = cluster.hub();
    account(cluster.hub_store(), "刘芳", "liufang", ActorRole::Operator);
    account(
        cluster.hub_store(),
        "陈志远",
        "chenzhiyuan",
        ActorRole::Director,
    );
    let console = sanji_tests::desk::plain_console(&hub.operations).await;
    let base = console.url.clone();

    // A village registers a case and syncs it to the hub.
    let v = village(1);
    let station = cluster.open_station(&v);
    let today = cst_date(station.clock().now_ms());
    let registered = station
        .register_case(None, sanji_tests::case_registration(&v, today, "吴春生"))
        .unwrap();
    station.sync(3).await.unwrap();

    let driver = Driver::start();
    let browser = driver.browser().await;

    // The operator signs in: the new case waits on 今日待办.
    sign_in(&browser, &base, "liufang", PASSWORD).await;
    let page = body(&browser).await;
    assert!(
        page.contains("今日待办") && page.contains("刘芳(总台)"),
        "{page}"
    );
    assert!(
        page.contains("新到案件,待受理") && page.contains(v.as_str()),
        "{page}"
    );
    screenshot(&browser, "today").await;

    // Open it from the list, accept it, assign it to the village.
    browser
        .find(Locator::Css("table.list a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(&browser, "case").await;
    take_step(&browser, "accept", &[]).await;
    let page = body(&browser).await;
    assert!(
        page.contains("已受理") && page.contains("360123100-"),
        "{page}"
    );
    assert!(
        !page.contains("审批分流"),
        "the operator is not offered approval: {page}"
    );
    take_step(
        &browser,
        "assign",
        &[("village", v.as_str()), ("person", "李明")],
    )
    .await;
    let page = body(&browser).await;
    assert!(page.contains("分流待审批"), "{page}");
    let case_url = browser.current_url().await.unwrap();
    sign_out(&browser).await;

    // The director approves.
    sign_in(&browser, &base, "chenzhiyuan", PASSWORD).await;
    let page = body(&browser).await;
    assert!(page.contains("待中心主任审批"), "{page}");
    browser.goto(case_url.as_str()).await.unwrap();
    take_step(&browser, "approve", &[]).await;
    assert!(body(&browser).await.contains("已交办"));
    sign_out(&browser).await;

    // The village learns of it, mediates and resolves it offline, then syncs.
    station.sync(3).await.unwrap();
    let case = registered.entity.to_string();
    station
        .case_step(
            None,
            &case,
            CaseCommand::Resolve {
                outcome: Outcome::Agreement,
                kind: None,
                summary: "双方签订调解协议,拆除猪圈越界部分。".into(),
            },
        )
        .unwrap();
    station.sync(3).await.unwrap();

    // The operator gives feedback, follows up, archives.
    sign_in(&browser, &base, "liufang", PASSWORD).await;
    browser.goto(case_url.as_str()).await.unwrap();
    assert!(body(&browser).await.contains("已办结待反馈"));
    take_step(
        &browser,
        "feedback",
        &[("note", "已电话告知当事人办理结果。")],
    )
    .await;
    take_step(
        &browser,
        "follow_up",
        &[("satisfied", "true"), ("note", "当事人表示满意。")],
    )
    .await;
    take_step(&browser, "archive", &[("note", "结案归档。")]).await;
    // The signed agreement, scanned, joins the archived file: chosen in
    // the file field as a person chooses it.
    let scans = tempfile::tempdir().unwrap();
    let scan = scans.path().join("人民调解协议书.pdf");
    std::fs::write(&scan, b"%PDF-1.4\n% scanned agreement\n").unwrap();
    browser
        .find(Locator::XPath(
            "//form[contains(@action, '/attach')]/parent::details/summary",
        ))
        .await
        .expect("the 上传附件 form is offered on the archived file")
        .click()
        .await
        .unwrap();
    browser
        .form(Locator::Css("form[action$='/attach']"))
        .await
        .unwrap()
        .set_by_name("title", "调解协议书")
        .await
        .unwrap();
    browser
        .find(Locator::Css("form[action$='/attach'] input[type=file]"))
        .await
        .unwrap()
        .send_keys(scan.to_str().unwrap())
        .await
        .unwrap();
    send(&browser, "form[action$='/attach']").await;
    arrive(&browser, "case-done-attach").await;
    let page = body(&browser).await;
    assert!(page.contains("已归档"), "{page}");
    for entry in [
        "受理",
        "分流交办",
        "审批分流",
        "办结",
        "反馈当事人",
        "回访",
        "归档",
        "上传附件",
        "人民调解协议书.pdf",
    ] {
        assert!(page.contains(entry), "the file shows {entry}: {page}");
    }
    screenshot(&browser, "case").await;

    let file = match cluster
        .hub_store()
        .entity(registered.entity)
        .unwrap()
        .unwrap()
        .state
    {
        sanji_domain::EntityState::Case(f) => f,
        other => panic!("{other:?}"),
    };
    assert_eq!(file.status, CaseStatus::Archived);
    assert!(
        file.follow_ups
            .last()
            .is_some_and(|f| f.satisfied && !f.recurred)
    );
    let authors: Vec<&str> = file.file.iter().map(|e| e.by.as_str()).collect();
    assert!(
        authors.contains(&"刘芳") && authors.contains(&"陈志远"),
        "{authors:?}"
    );

    browser.close().await.unwrap();
    drop(station);
    console.stop().await;
    cluster.shutdown().await;
}
