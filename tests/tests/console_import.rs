//! 导入 over raw HTTP against a real hub: old ledgers from `.xlsx` (with
//! Excel date cells) and CSV (UTF-8 with a BOM, and GBK), previewed, then
//! confirmed; files with bad rows named row by row and nothing written; a
//! second import of the same file refused; the template round trip; who
//! may import.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use sanji_domain::case::{ActorRole, CaseStatus};
use sanji_domain::report::MonthlyReport;
use sanji_domain::time::cst_date;
use sanji_node::import::{ImportRequest, LedgerKind};
use sanji_node::ops::{Actor, Query};
use sanji_node::views::{CaseRow, ScreeningRow};
use sanji_tests::desk::{Desk, hidden, text};
use sanji_tests::township;

const CASE_HEADINGS: &[&str] = &[
    "案件编号",
    "登记日期",
    "发生地",
    "来源",
    "类别",
    "当事人",
    "涉及人数",
    "诉求",
    "首问首接人",
    "首接单位",
    "疑难",
    "状态",
    "办结日期",
    "办结结果",
];

/// Two old cases: one archived (dates as Excel date cells), one still in mediation.
fn cases_xlsx() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy/m/d");
    for (col, h) in CASE_HEADINGS.iter().enumerate() {
        sheet.write_string(0, col as u16, *h).unwrap();
    }
    let rows: [[&str; 14]; 2] = [
        [
            "石门-2025-031",
            "",
            "东山村",
            "来访",
            "劳资",
            "赵某、某建筑公司",
            "",
            "要求支付拖欠的工资",
            "陈芳",
            "镇综治信访维稳中心",
            "",
            "已归档",
            "",
            "调解成功",
        ],
        [
            "石门-2025-032",
            "",
            "360123100202",
            "来电",
            "婚姻家庭邻里",
            "钱某;孙某",
            "",
            "宅基地界址纠纷",
            "陈芳",
            "镇综治信访维稳中心",
            "是",
            "调处中",
            "",
            "",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (col, value) in row.iter().enumerate() {
            if !value.is_empty() {
                sheet.write_string(r, col as u16, *value).unwrap();
            }
        }
        // 登记日期 and 办结日期 as date cells, 涉及人数 as a number.
        let registered = ExcelDateTime::from_ymd(2025, 3, 2 + r as u8).unwrap();
        sheet
            .write_datetime_with_format(r, 1, &registered, &date)
            .unwrap();
        sheet.write_number(r, 6, 3.0 * r as f64).unwrap();
    }
    let closed = ExcelDateTime::from_ymd(2025, 4, 10).unwrap();
    sheet
        .write_datetime_with_format(1, 12, &closed, &date)
        .unwrap();
    book.save_to_buffer().unwrap()
}

fn csv_of(rows: &[&[&str]]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(*row).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// One good row of a wage case, with the columns named in `changed` changed.
fn wage_case(changed: &[(&str, &'static str)]) -> Vec<&'static str> {
    let mut row = vec![
        "2025-001",
        "2025-03-01",
        "东山村",
        "来访",
        "劳资",
        "赵某",
        "1",
        "讨薪",
        "陈芳",
        "中心",
        "",
        "已归档",
        "2025-03-20",
        "调解成功",
    ];
    for (heading, value) in changed {
        let column = CASE_HEADINGS
            .iter()
            .position(|h| h == heading)
            .expect("a heading");
        row[column] = value;
    }
    row
}

const SCREENING_HEADINGS: &[&str] = &[
    "排查日期",
    "村",
    "类别",
    "风险等级",
    "易激化",
    "群体性",
    "涉及人数",
    "当事人",
    "基本情况",
    "化解措施",
    "排查人",
];

fn screenings_csv() -> String {
    csv_of(&[
        SCREENING_HEADINGS,
        &[
            "2025/6/18",
            "西岭村",
            "土地山林水利",
            "一般",
            "",
            "",
            "2",
            "王某、张某",
            "两户因山林界址争执",
            "已现场调解",
            "李明",
        ],
        &[
            "2025-07-01",
            "360123100203",
            "征地拆迁",
            "重大",
            "是",
            "是",
            "30",
            "村民三十余人",
            "征地补偿分配不均",
            "",
            "李明",
        ],
    ])
}

fn part(name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name(name.to_owned())
}

/// Uploads a file on the 导入 page: the preview's status and page.
async fn upload(
    desk: &Desk,
    browser: &reqwest::Client,
    kind: &str,
    file: Part,
) -> (StatusCode, String) {
    let page = text(browser.get(desk.url("/import")).send().await.unwrap()).await;
    let form = Form::new()
        .text("csrf", hidden(&page, "csrf"))
        .text("kind", kind.to_owned())
        .part("file", file);
    let response = browser
        .post(desk.url("/import/preview"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status(), text(response).await)
}

/// Presses 确认导入 on a good preview.
async fn confirm(desk: &Desk, browser: &reqwest::Client, preview: &str) -> (StatusCode, String) {
    let response = browser
        .post(desk.url("/import/confirm"))
        .form(&[
            ("csrf", hidden(preview, "csrf")),
            ("token", hidden(preview, "token")),
        ])
        .send()
        .await
        .unwrap();
    (response.status(), text(response).await)
}

async fn cases(desk: &Desk) -> Vec<CaseRow> {
    let ops = &desk.cluster.hub().operations;
    serde_json::from_value(ops.query(Query::Cases { village: None }).await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_workbook_of_cases_is_previewed_then_imported_as_history() {
    let desk = Desk::start().await;
    let browser = desk.signed_in("刘芳").await;
    let before = desk.hub_head();
    let (status, preview) = upload(
        &desk,
        &browser,
        "cases",
        part("2025年案件.xlsx", cases_xlsx()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(
        preview.contains("检查无误:共 2 件案件可以导入"),
        "{preview}"
    );
    // As they will be stored: villages by name, dates from the date cells.
    assert!(preview.contains("东山村(360123100201)"), "{preview}");
    assert!(preview.contains("西岭村(360123100202)"), "{preview}");
    assert!(preview.contains("2025-03-03"), "{preview}");
    assert!(preview.contains("已受理待分流(原为调处中"), "{preview}");
    assert_eq!(desk.hub_head(), before, "a preview writes nothing");

    let (status, done) = confirm(&desk, &browser, &preview).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(
        done.contains("已从「2025年案件.xlsx」导入 2 件案件"),
        "{done}"
    );
    assert_eq!(desk.hub_head(), before + 2, "one event per case, one batch");

    let rows = cases(&desk).await;
    let archived = rows
        .iter()
        .find(|c| c.case_number.as_deref() == Some("石门-2025-031"))
        .expect("the archived case");
    assert_eq!(archived.status, CaseStatus::Archived);
    assert_eq!(archived.registered_on.to_string(), "2025-03-03");
    assert_eq!(archived.people_involved, 3);
    let open = rows
        .iter()
        .find(|c| c.case_number.as_deref() == Some("石门-2025-032"))
        .expect("the open case");
    assert_eq!(open.status, CaseStatus::Accepted);
    assert!(open.complex);
    assert_eq!(open.parties, ["钱某", "孙某"]);
    // An imported number is found by that number, as a clerk types it.
    let found: sanji_node::ops::CaseView = serde_json::from_value(
        desk.cluster
            .hub()
            .operations
            .query(sanji_node::ops::Query::Case {
                case: "石门-2025-031".into(),
            })
            .await
            .expect("the imported case is found by its number"),
    )
    .unwrap();
    assert_eq!(found.id, archived.id);
    let page = text(browser.get(desk.url("/cases")).send().await.unwrap()).await;
    assert!(
        page.contains("石门-2025-031") && page.contains("东山村"),
        "{page}"
    );
    let file = text(
        browser
            .get(desk.url(&format!("/cases/{}", archived.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        file.contains("2025年案件.xlsx 第 2 行 由 刘芳 导入;原台账状态:已归档,办结日期 2025-04-10"),
        "{file}"
    );

    // This month's report counts neither as received nor as resolved.
    let ops = &desk.cluster.hub().operations;
    let month = sanji_domain::report::Month::of(cst_date(ops.now_ms()));
    let report: MonthlyReport = serde_json::from_value(
        ops.query(Query::Report {
            month: month.to_string(),
        })
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (report.received, report.resolved, report.overdue),
        (0, 0, 0)
    );
    assert_eq!(report.open, 1, "the open one is worked here now");

    // The village's station pulls the case placed there, over the wire:
    // converted, applied and folded to the same file as at the hub.
    let station = desk.cluster.open_station(&sanji_tests::village(1));
    station.sync(3).await.expect("the station syncs");
    match station
        .store()
        .entity(archived.id)
        .unwrap()
        .map(|e| e.state)
    {
        Some(sanji_domain::EntityState::Case(file)) => {
            assert_eq!(file.status, CaseStatus::Archived);
            assert_eq!(file.case_number.as_deref(), Some("石门-2025-031"));
            assert!(file.imported.is_some());
        }
        other => panic!("the station holds no imported case: {other:?}"),
    }

    // A confirmation sent twice imports once.
    let (status, again) = confirm(&desk, &browser, &preview).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(desk.hub_head(), before + 2);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenings_import_from_csv_in_utf8_with_a_bom_and_in_gbk() {
    let desk = Desk::start().await;
    let browser = desk.signed_in("王主任").await;
    // GBK, as Excel on a Chinese Windows saves "CSV (逗号分隔)".
    let utf8 = screenings_csv();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&utf8);
    assert!(!unmappable);
    let (status, preview) = upload(
        &desk,
        &browser,
        "screenings",
        part("排查.csv", gbk.to_vec()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let (status, done) = confirm(&desk, &browser, &preview).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("导入 2 条排查"), "{done}");
    let ops = &desk.cluster.hub().operations;
    let rows: Vec<ScreeningRow> = serde_json::from_value(
        ops.query(Query::Screenings { village: None })
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .any(|s| s.screened_on.to_string() == "2025-06-18"
                && s.village.to_string() == "360123100202")
    );
    let page = text(browser.get(desk.url("/screenings")).send().await.unwrap()).await;
    assert!(page.contains("西岭村") && page.contains("南塘村"), "{page}");

    // The same rows in UTF-8 with a BOM are the same records: refused, row by row.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(screenings_csv().into_bytes());
    let before = desk.hub_head();
    let (status, again) = upload(&desk, &browser, "screenings", part("排查-副本.csv", bom)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    assert!(again.contains("第 2 行:这条记录已经导入过"), "{again}");
    assert!(again.contains("第 3 行:这条记录已经导入过"), "{again}");
    assert!(!again.contains("name=\"token\""), "nothing to confirm");
    assert_eq!(desk.hub_head(), before);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_bad_rows_are_each_named_and_nothing_is_written() {
    let desk = Desk::start().await;
    let browser = desk.signed_in("刘芳").await;
    let file = csv_of(&[
        CASE_HEADINGS,
        &wage_case(&[]),
        &wage_case(&[
            ("案件编号", "2025-002"),
            ("登记日期", "2025-03-02"),
            ("发生地", "不存在村"),
        ]),
        &wage_case(&[("案件编号", "2025-003"), ("登记日期", "2025年13月2日")]),
        &wage_case(&[
            ("案件编号", "2025-004"),
            ("登记日期", "2025-03-04"),
            ("状态", "已结案"),
        ]),
    ]);
    let cases_before = cases(&desk).await.len();
    let head_before = desk.hub_head();
    let (status, page) = upload(
        &desk,
        &browser,
        "cases",
        part("有错.csv", file.into_bytes()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("有 3 处问题(涉及 3 行),未导入任何记录"),
        "{page}"
    );
    assert!(
        page.contains("第 3 行「发生地」:名录中没有叫「不存在村」的村"),
        "{page}"
    );
    assert!(page.contains("第 4 行「登记日期」:日期"), "{page}");
    assert!(page.contains("第 5 行「状态」:未知取值"), "{page}");
    assert!(
        !page.contains("name=\"token\""),
        "a bad file cannot be confirmed"
    );
    assert_eq!(cases(&desk).await.len(), cases_before);
    assert_eq!(desk.hub_head(), head_before);

    // A rule of the domain is named at its column too: closed before registered.
    let file = csv_of(&[
        CASE_HEADINGS,
        &wage_case(&[
            ("案件编号", "2025-005"),
            ("登记日期", "2025-03-05"),
            ("办结日期", "2025-03-01"),
        ]),
        &wage_case(&[("案件编号", "2025-005"), ("登记日期", "2025-03-05")]),
    ]);
    let (_, page) = upload(
        &desk,
        &browser,
        "cases",
        part("又错.csv", file.into_bytes()),
    )
    .await;
    assert!(
        page.contains("第 2 行「办结日期」:办结日期 2025-03-01 早于登记日期 2025-03-05"),
        "{page}"
    );
    assert!(page.contains("第 3 行:与第 2 行是同一条记录"), "{page}");
    assert_eq!(desk.hub_head(), head_before);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_from_the_page_filled_in_imports() {
    let desk = Desk::start().await;
    let browser = desk.signed_in("刘芳").await;
    let response = browser
        .get(desk.url("/import/template?kind=cases&format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let xlsx = response.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.clone())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(header, CASE_HEADINGS);
    // The workbook as downloaded holds an example row that imports as it is.
    let (status, preview) = upload(
        &desk,
        &browser,
        "cases",
        part("案件台账导入模板.xlsx", xlsx),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");

    // The CSV template, its example row replaced by a clerk's own.
    let csv = browser
        .get(desk.url("/import/template?kind=screenings&format=csv"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let csv =
        String::from_utf8(csv.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM").to_vec()).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(header, SCREENING_HEADINGS.join(","));
    let filled = format!(
        "\u{feff}{header}\r\n2024-12-30,北坪村,医疗,较大,是,,4,周某,医疗费用纠纷,,李明\r\n"
    );
    let (status, preview) = upload(
        &desk,
        &browser,
        "screenings",
        part("排查模板.csv", filled.into_bytes()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let (status, done) = confirm(&desk, &browser, &preview).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("导入 1 条排查"), "{done}");
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_units_and_the_county_may_not_import_and_big_files_are_refused() {
    let desk = Desk::start().await;
    let unit = desk.signed_in("孙立").await;
    let response = unit.get(desk.url("/import")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        text(response)
            .await
            .contains("「导入台账」须由总台或中心主任进行")
    );
    let today = text(unit.get(desk.url("/")).send().await.unwrap()).await;
    assert!(
        !today.contains("href=\"/import\""),
        "no 导入 in a member unit's navigation"
    );
    let csrf = hidden(&today, "csrf");
    let form = Form::new()
        .text("csrf", csrf)
        .text("kind", "screenings")
        .part("file", part("排查.csv", screenings_csv().into_bytes()));
    let response = unit
        .post(desk.url("/import/preview"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let county = desk.signed_in("周明").await;
    let response = county.get(desk.county_url("/import")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The operator layer refuses them too, whoever calls it (the CLI does).
    let ops = &desk.cluster.hub().operations;
    let staff = Actor {
        name: "孙立".into(),
        role: ActorRole::UnitStaff,
        code: township(),
    };
    let refused = ops
        .import(
            &staff,
            ImportRequest {
                kind: LedgerKind::Screenings,
                file_name: "排查.csv".into(),
                bytes: screenings_csv().into_bytes(),
                dry_run: false,
            },
        )
        .await;
    assert!(
        matches!(refused, Err(sanji_node::NodeError::Forbidden(_))),
        "{refused:?}"
    );

    let operator = desk.signed_in("刘芳").await;
    let big = vec![b'a'; sanji_node::import::MAX_FILE_BYTES + 1024 * 1024];
    let (status, page) = upload(&desk, &operator, "cases", part("大.csv", big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("文件过大,最多 5 MB"), "{page}");
    desk.stop().await;
}
