//! 导入 in a real browser: the operator downloads nothing by hand but
//! chooses a file as a clerk would (<input type=file>), sees the preview
//! with a bad row marked, fixes the file, previews again and confirms; the
//! cases then show in 案件 with their village names. Screenshots of the
//! page, the preview with errors and the good preview go to
//! `target/screenshots/`.

use fantoccini::Locator;
use sanji_domain::case::ActorRole;
use sanji_tests::Cluster;
use sanji_tests::desk::browser::{
    Driver, PASSWORD, account, arrive, body, screenshot, send, sign_in,
};

const HEADINGS: &str = "案件编号,登记日期,发生地,来源,类别,当事人,涉及人数,诉求,首问首接人,首接单位,疑难,状态,办结日期,办结结果";

fn ledger(first_place: &str) -> String {
    format!(
        "\u{feff}{HEADINGS}\r\n\
         石门-2024-101,2024/5/6,{first_place},来访,土地山林水利,王某、李某,2,山林界址纠纷,陈芳,镇综治信访维稳中心,,已归档,2024/6/1,调解成功\r\n\
         石门-2024-102,2024/9/12,南塘村,来信,劳资,刘某,8,讨要工钱,陈芳,镇综治信访维稳中心,是,调处中,,\r\n"
    )
}

async fn choose_and_check(browser: &fantoccini::Client, path: &std::path::Path) {
    let form = browser.form(Locator::Css("#upload")).await.unwrap();
    form.set_by_name("kind", "cases").await.unwrap();
    browser
        .find(Locator::Css("#upload input[type=file]"))
        .await
        .unwrap()
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    send(browser, "#upload").await;
    arrive(browser, "import").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_preview_fix_and_confirm_in_a_browser() {
    let cluster = Cluster::start().await;
    account(cluster.hub_store(), "刘芳", "liufang", ActorRole::Operator);
    let console = sanji_tests::desk::plain_console(&cluster.hub().operations).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    sign_in(&browser, &console.url, "liufang", PASSWORD).await;
    sanji_tests::desk::browser::follow(&browser, "导入", "import").await;
    screenshot(&browser, "import").await;

    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("2024年案件台账.csv");
    std::fs::write(&file, ledger("东坡村")).unwrap();
    choose_and_check(&browser, &file).await;
    let page = body(&browser).await;
    assert!(
        page.contains("第 2 行「发生地」:名录中没有叫「东坡村」的村"),
        "{page}"
    );
    assert!(
        browser.find(Locator::Css("#confirm")).await.is_err(),
        "no confirm for a bad file"
    );
    let marked = browser
        .find(Locator::Css("tr[data-row='2'] td.bad"))
        .await
        .expect("the bad cell is marked")
        .text()
        .await
        .unwrap();
    assert!(marked.contains("东坡村"), "{marked}");
    screenshot(&browser, "import-errors").await;

    std::fs::write(&file, ledger("东山村")).unwrap();
    choose_and_check(&browser, &file).await;
    let summary = browser
        .find(Locator::Css("#summary"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        summary.contains("检查无误:共 2 件案件可以导入"),
        "{summary}"
    );
    screenshot(&browser, "import-preview").await;
    send(&browser, "#confirm").await;
    arrive(&browser, "import").await;
    let done = browser
        .find(Locator::Css("#done"))
        .await
        .expect("the import is confirmed")
        .text()
        .await
        .unwrap();
    assert!(done.contains("导入 2 件案件"), "{done}");

    browser
        .goto(&format!("{}cases", console.url))
        .await
        .unwrap();
    arrive(&browser, "cases").await;
    let cases = body(&browser).await;
    assert!(
        cases.contains("石门-2024-101") && cases.contains("东山村"),
        "{cases}"
    );
    assert!(
        cases.contains("石门-2024-102") && cases.contains("南塘村"),
        "{cases}"
    );
    screenshot(&browser, "import-cases").await;
    browser.close().await.unwrap();
    console.stop().await;
    cluster.shutdown().await;
}
