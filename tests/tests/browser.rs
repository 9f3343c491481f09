//! The console in a real browser: headless Chromium driven through
//! chromedriver (Debian's `chromium` and `chromium-driver`, which `.ci/run`
//! installs), against a real hub and county on loopback, and a real station
//! that syncs. The test fails when the browser is missing; it never skips.
//!
//! Screenshots of each page are written to `target/screenshots/`; with
//! `SANJI_UPDATE_SCREENSHOTS=1` the ones the README shows are also copied
//! into `docs/`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use sanji_domain::case::{ActorRole, CaseStatus, Outcome};
use sanji_domain::time::cst_date;
use sanji_node::accounts::Accounts;
use sanji_node::ops::CaseCommand;
use sanji_tests::{Cluster, village};
use sanji_web::Console;

const PASSWORD: &str = "dongshan-2026";

/// chromedriver as a child process, on the port it chose.
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
        // "ChromeDriver was started successfully on port 36391."
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

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("a screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), &png).unwrap();
    if std::env::var_os("SANJI_UPDATE_SCREENSHOTS").is_some() {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs");
        std::fs::write(docs.join(format!("console-{name}.png")), &png).unwrap();
    }
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

async fn sign_in(browser: &Client, base: &str, login: &str, password: &str) {
    browser.goto(&format!("{base}login")).await.unwrap();
    let form = browser.form(Locator::Css("form")).await.unwrap();
    form.set_by_name("login", login).await.unwrap();
    form.set_by_name("password", password).await.unwrap();
    send(browser, "form").await;
    arrive(browser, "today").await;
}

/// Waits until the page the browser shows is `page` (its `data-page`): the
/// next page has loaded, whatever the redirects in between.
async fn arrive(browser: &Client, page: &str) {
    browser
        .wait()
        .for_element(Locator::Css(&format!("body[data-page='{page}']")))
        .await
        .unwrap_or_else(|e| panic!("never arrived at {page}: {e}"));
}

/// Clicks the form's button, as a person would: WebDriver's click returns
/// once the navigation it started has loaded the next page.
async fn send(browser: &Client, form: &str) {
    browser
        .find(Locator::Css(&format!("{form} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn sign_out(browser: &Client) {
    browser
        .find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(browser, "login").await;
}

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
        Console::new(hub.operations.clone(), false),
        "127.0.0.1:0",
        None,
    )
    .await
    .unwrap();
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
