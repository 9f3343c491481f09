//! 月报表, 奖惩 and the ledgers' downloads over raw HTTP: a real hub with a
//! station that synced, the county it files with, and their consoles. The
//! page's figures are checked against the operator layer's views, and the
//! `.xlsx` (read back with calamine) and CSV against the page.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::Datelike;
use reqwest::StatusCode;
use sanji_domain::Labelled;
use sanji_domain::case::ActorRole;
use sanji_domain::record::{CaseSource, Category};
use sanji_domain::report::{Month, MonthlyReport, Period, PeriodSummary, RewardTotal};
use sanji_domain::time::cst_date;
use sanji_node::ops::{Action, CaseCommand, Query};
use sanji_node::views::{CountyReport, ScreeningRow};
use sanji_tests::desk::{Desk, steps_to_a_confirmed_agreement, text};
use sanji_tests::{code, record_samples, village};

/// The value a page shows beside `heading`: `<th>heading</th><td class="num">value</td>`.
fn figure(page: &str, heading: &str) -> String {
    let at = [
        format!("<th>{heading}</th><td class=\"num\">"),
        format!("<th colspan=\"2\">{heading}</th><td class=\"num\">"),
    ]
    .iter()
    .find_map(|marker| page.find(marker.as_str()).map(|i| i + marker.len()))
    .unwrap_or_else(|| panic!("the page shows no figure {heading}: {page}"));
    page[at..at + page[at..].find("</td>").unwrap()].to_owned()
}

fn cell(data: &Data) -> String {
    match data {
        Data::Float(f) => format!("{f}"),
        Data::Int(n) => n.to_string(),
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("an unexpected cell {other:?}"),
    }
}

/// Every row of the workbook's first sheet, as text.
fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an .xlsx file");
    let sheet = book
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("the sheet reads");
    sheet
        .rows()
        .map(|row| row.iter().map(cell).collect())
        .collect()
}

/// The CSV's rows; it must start with the UTF-8 byte-order mark Excel needs.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or_else(|| panic!("no UTF-8 BOM: {:?}", &bytes[..bytes.len().min(16)]));
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

async fn get(browser: &reqwest::Client, url: String) -> (StatusCode, String, Vec<u8>) {
    let response = browser.get(url).send().await.unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

/// The operator layer's answer to `query`, as the page's own view reads it.
async fn view<T: serde::de::DeserializeOwned>(
    ops: &sanji_node::ops::Operations,
    query: Query,
) -> T {
    serde_json::from_value(ops.query(query).await.unwrap()).unwrap()
}

fn page_of(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A station that recorded screenings, visits and a case and synced, and two
/// cases at the center's window, one of them accepted.
async fn a_month_of_work(desk: &Desk) {
    let station = desk.cluster.open_station(&village(1));
    record_samples(&station, 0, 20);
    station.sync(3).await.unwrap();
    let accepted = desk.register("吴春生").await;
    desk.register("钱多多").await;
    desk.act(
        "刘芳",
        ActorRole::Operator,
        Action::CaseStep {
            case: accepted.to_string(),
            command: CaseCommand::Accept,
        },
    )
    .await;
}

/// Every figure a report's page and downloads show, under its heading.
fn expected_figures(report: &MonthlyReport) -> Vec<(String, String)> {
    let visits = report.visits.expect("visits counted");
    let disputes = report
        .disputes
        .expect("follow-ups and major disputes counted");
    let villages = report.reporting.expect("villages' reporting counted");
    let incidents = report.incidents.expect("incidents counted");
    let source = |s: CaseSource| {
        report
            .received_by_source
            .iter()
            .find(|c| c.source == s)
            .unwrap()
            .count
    };
    let category = |c: Category| {
        report
            .received_by_category
            .iter()
            .find(|x| x.category == c)
            .unwrap()
            .count
    };
    [
        ("受理登记", report.received.to_string()),
        ("受理", report.accepted.to_string()),
        ("不予受理", report.not_accepted.to_string()),
        ("办结", report.resolved.to_string()),
        ("调解成功", report.mediated.to_string()),
        ("调解成功率", report.mediation_success_label()),
        ("超期", report.overdue.to_string()),
        ("在办", report.open.to_string()),
        ("上报县级", report.escalated.to_string()),
        ("排查数", report.screenings.to_string()),
        ("重大排查", report.severe_screenings.to_string()),
        (
            "超时上报",
            report
                .late_severe
                .expect("the 24-hour rule counted")
                .to_string(),
        ),
        ("群体性风险", report.mass_incidents.to_string()),
        ("越级上访", report.skip_level_petitions.to_string()),
        ("统计案件数", report.cases_covered.to_string()),
        ("来访批次", visits.visit_batches.to_string()),
        ("来访人次", visits.visit_people.to_string()),
        ("来信件数", visits.letters.to_string()),
        ("来电次数", visits.calls.to_string()),
        ("当场答复", visits.answered_on_spot.to_string()),
        ("转为案件", visits.became_cases.to_string()),
        ("回访数", disputes.followed_up.to_string()),
        ("满意数", disputes.satisfied.to_string()),
        ("满意率", disputes.satisfaction_label()),
        ("重大疑难受理", disputes.major_received.to_string()),
        ("重大疑难办结", disputes.major_resolved.to_string()),
        ("重大疑难化解", disputes.major_mediated.to_string()),
        ("重大疑难在办", disputes.major_open.to_string()),
        ("群体性事件", incidents.mass_incidents.to_string()),
        ("参与人数", incidents.mass_incident_people.to_string()),
        ("民转刑", incidents.criminal_conversions.to_string()),
        ("有排查", villages.reported.to_string()),
        ("零报告", villages.zero.to_string()),
        ("未报送", villages.missing.to_string()),
    ]
    .into_iter()
    .map(|(h, v)| (h.to_owned(), v))
    .chain(
        CaseSource::ALL
            .iter()
            .map(|&s| (s.label().to_owned(), source(s).to_string())),
    )
    .chain(
        Category::ALL
            .iter()
            .map(|&c| (c.label().to_owned(), category(c).to_string())),
    )
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_page_its_excel_and_its_csv_show_the_report_views_figures() {
    let desk = Desk::start().await;
    a_month_of_work(&desk).await;
    let ops = &desk.cluster.hub().operations;
    let month = Month::of(cst_date(ops.now_ms()));
    let report: MonthlyReport = view(
        ops,
        Query::Report {
            month: month.to_string(),
        },
    )
    .await;
    assert!(report.received >= 2 && report.accepted == 1, "{report:?}");
    let visits = report.visits.expect("visits counted");
    assert!(
        visits.visit_batches + visits.letters + visits.calls > 0,
        "the village's visits: {visits:?}"
    );
    let villages = report.reporting.expect("villages' reporting counted");
    assert_eq!(
        villages.villages, 10,
        "the directory's villages: {villages:?}"
    );
    assert_eq!(villages.reported, 1, "the one that screened: {villages:?}");

    let browser = desk.signed_in("刘芳").await;
    // Without a month: this month's (CST) report.
    let (status, _, body) = get(&browser, desk.url("/report")).await;
    assert_eq!(status, StatusCode::OK);
    let page = page_of(&body);
    assert!(
        page.contains("综治信访维稳中心主要工作数据月报表") && page.contains(&month.to_string()),
        "{page}"
    );
    let expected = expected_figures(&report);
    for (heading, value) in &expected {
        assert_eq!(&figure(&page, heading), value, "{heading}");
    }

    // The workbook: the headings in the first row, the same figures below.
    let (status, kind, bytes) = get(
        &browser,
        desk.url(&format!("/report?month={month}&format=xlsx")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let rows = xlsx_rows(&bytes);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], "360123100");
    assert_eq!(rows[1][1], month.to_string());
    for (heading, value) in &expected {
        let col = rows[0]
            .iter()
            .position(|h| h == heading)
            .unwrap_or_else(|| panic!("no column {heading} in {:?}", rows[0]));
        assert_eq!(&rows[1][col], value, "{heading}");
        assert_eq!(rows[1][col], figure(&page, heading), "{heading}");
    }
    // Every column the page shows is in the workbook, and nothing else.
    assert_eq!(rows[0].len(), 2 + expected.len());

    let (status, kind, bytes) = get(
        &browser,
        desk.url(&format!("/report?month={month}&format=csv")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert_eq!(
        csv_rows(&bytes),
        rows,
        "the CSV holds what the workbook holds"
    );

    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summaries_of_half_a_month_to_a_year_count_as_the_month_does() {
    let desk = Desk::start().await;
    a_month_of_work(&desk).await;
    let ops = &desk.cluster.hub().operations;
    let today = cst_date(ops.now_ms());
    let month = Month::of(today);
    let summary_of = |period: Period| {
        view::<PeriodSummary>(
            ops,
            Query::Summary {
                period: period.to_string(),
            },
        )
    };
    let half_month = Period::HalfMonth {
        year: month.year,
        month: month.month,
        half: 1,
    }
    .same_kind_at(today);
    let this_half = summary_of(half_month).await;
    let other_half = summary_of(if today.day() <= 15 {
        half_month.next()
    } else {
        half_month.previous()
    })
    .await;
    let report: MonthlyReport = view(
        ops,
        Query::Report {
            month: month.to_string(),
        },
    )
    .await;
    // Everything was done today: this half holds the month's work.
    assert_eq!(this_half.figures.received, report.received);
    assert_eq!(this_half.figures.accepted, 1);
    assert_eq!(this_half.figures.screenings, report.screenings);
    assert_eq!(other_half.figures.received, 0);
    assert_eq!(this_half.to, today, "a running half ends today");

    let browser = desk.signed_in("刘芳").await;
    // Without a period: this half-month's, with the same figures as the view.
    let (status, _, body) = get(&browser, desk.url("/summary")).await;
    assert_eq!(status, StatusCode::OK);
    let page = page_of(&body);
    assert!(
        page.contains("阶段汇总") && page.contains(&half_month.label()),
        "{page}"
    );
    for (heading, value) in expected_figures(&this_half.figures) {
        assert_eq!(figure(&page, &heading), value, "{heading}");
    }
    // The quarter and the year are offered, and count today's work too.
    let quarter = Period::Quarter {
        year: month.year,
        quarter: 1,
    }
    .same_kind_at(today);
    assert!(page.contains(&format!("value=\"{quarter}\"")), "{page}");
    let (status, _, body) = get(&browser, desk.url(&format!("/summary?period={quarter}"))).await;
    assert_eq!(status, StatusCode::OK);
    let page = page_of(&body);
    assert_eq!(figure(&page, "受理登记"), report.received.to_string());
    let (status, kind, bytes) = get(
        &browser,
        desk.url(&format!("/summary?period={}&format=csv", month.year)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let rows = csv_rows(&bytes);
    assert_eq!(rows[1][1], format!("{} 年", month.year));
    let col = rows[0].iter().position(|h| h == "受理登记").unwrap();
    assert_eq!(rows[1][col], report.received.to_string());
    let (status, _, body) = get(
        &browser,
        desk.url(&format!("/summary/print?period={quarter}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let page = page_of(&body);
    assert!(
        page.contains("阶段汇总") && page.contains(&quarter.label()) && page.contains("盖章"),
        "{page}"
    );

    // A bad period is named beside its field; member units may not read it.
    let (status, _, body) = get(&browser, desk.url("/summary?period=2026-11-H3")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page_of(&body).contains("2026-11-H1"),
        "the right form is named"
    );
    let staff = desk.signed_in("孙立").await;
    for path in ["/summary", "/summary/print", "/summary?format=xlsx"] {
        let (status, _, _) = get(&staff, desk.url(path)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_month_is_named_beside_its_field_and_member_units_may_not_read_the_figures() {
    let desk = Desk::start().await;
    let operator = desk.signed_in("刘芳").await;
    let (status, _, body) = get(&operator, desk.url("/report?month=2026-13")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let page = page_of(&body);
    assert!(
        page.contains("class=\"field-error\"") && page.contains("格式不对"),
        "{page}"
    );
    let (status, _, _) = get(&operator, desk.url("/report?month=2026-13&format=xlsx")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no download of a bad month"
    );
    let (status, _, _) = get(&operator, desk.url("/report?format=pdf")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, body) = get(&operator, desk.url("/rewards?period=2026-Q5")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page_of(&body).contains("2026-Q4"),
        "the right form is named"
    );

    let staff = desk.signed_in("孙立").await;
    for path in [
        "/report",
        "/report/print",
        "/report?format=xlsx",
        "/rewards",
        "/rewards/print",
        "/screenings/export?format=csv",
    ] {
        let (status, _, body) = get(&staff, desk.url(path)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(page_of(&body).contains("无权"), "{path}");
    }
    let home = text(staff.get(desk.url("/")).send().await.unwrap()).await;
    assert!(!home.contains("href=\"/report\""), "{home}");
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_print_view_names_who_files_it_and_leaves_room_for_the_seal() {
    let desk = Desk::start().await;
    a_month_of_work(&desk).await;
    let browser = desk.signed_in("王主任").await;
    let (status, _, body) = get(&browser, desk.url("/report/print")).await;
    assert_eq!(status, StatusCode::OK);
    let page = page_of(&body);
    let today = cst_date(desk.cluster.hub().operations.now_ms());
    for part in [
        "data-page=\"report-print\"",
        "填报单位:镇综治信访维稳中心(360123100)",
        "填报人:王主任",
        &today.format("日期:%Y 年 %-m 月 %-d 日").to_string(),
        "(盖章)",
        "<th colspan=\"2\">受理登记</th>",
        "<th>婚姻家庭邻里</th>",
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
    assert!(!page.contains("<nav>"), "no navigation on paper: {page}");
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rewards_page_and_its_downloads_list_the_rewards_view() {
    let desk = Desk::start().await;
    let case = desk.register("吴春生").await.to_string();
    for (role, command) in steps_to_a_confirmed_agreement() {
        let who = if role == ActorRole::Director {
            "王主任"
        } else {
            "刘芳"
        };
        desk.act(
            who,
            role,
            Action::CaseStep {
                case: case.clone(),
                command,
            },
        )
        .await;
    }
    let ops = &desk.cluster.hub().operations;
    let period = Period::parse(&Month::of(cst_date(ops.now_ms())).to_string()).unwrap();
    let totals: Vec<RewardTotal> = view(
        ops,
        Query::Rewards {
            period: period.to_string(),
        },
    )
    .await;
    assert_eq!(totals.len(), 1, "{totals:?}");
    let line = &totals[0].lines[0];
    let number = line.case_number.clone().unwrap();

    let browser = desk.signed_in("刘芳").await;
    let (status, _, body) = get(&browser, desk.url("/rewards")).await;
    assert_eq!(status, StatusCode::OK);
    let page = page_of(&body);
    for part in [
        "司法所".to_owned(),
        number.clone(),
        line.reason.clone(),
        format!("<td class=\"num\">{}</td>", line.amount),
        format!("本期合计:<strong>{}</strong> 元", totals[0].amount),
    ] {
        assert!(page.contains(&part), "{part}: {page}");
    }
    let (_, _, bytes) = get(
        &browser,
        desk.url(&format!("/rewards?period={period}&format=xlsx")),
    )
    .await;
    let rows = xlsx_rows(&bytes);
    assert_eq!(
        rows[0],
        ["承办单位/村", "案件编号", "日期", "事由", "金额(元)"]
    );
    assert_eq!(
        rows[1],
        [
            "司法所".to_owned(),
            number,
            line.on.to_string(),
            line.reason.clone(),
            line.amount.to_string()
        ]
    );
    assert_eq!(rows[2][3], "小计");
    assert_eq!(rows[2][4], totals[0].amount.to_string());
    let (_, _, bytes) = get(
        &browser,
        desk.url(&format!("/rewards?period={period}&format=csv")),
    )
    .await;
    assert_eq!(csv_rows(&bytes), rows);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_and_screening_ledgers_download_as_filtered() {
    let desk = Desk::start().await;
    a_month_of_work(&desk).await;
    let ops = &desk.cluster.hub().operations;
    let browser = desk.signed_in("刘芳").await;

    // The case ledger, filtered by a party's name as on the page.
    let (status, kind, bytes) = get(&browser, desk.url("/cases?q=吴春生&format=xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let rows = xlsx_rows(&bytes);
    assert_eq!(rows.len(), 2, "one case found: {rows:?}");
    let party = rows[0].iter().position(|h| h == "当事人").unwrap();
    assert_eq!(rows[1][party], "吴春生");
    let status_col = rows[0].iter().position(|h| h == "状态").unwrap();
    assert_eq!(rows[1][status_col], "已受理待分流");
    let (_, _, bytes) = get(&browser, desk.url("/cases?format=csv")).await;
    let all: Vec<sanji_node::views::CaseRow> = view(ops, Query::Cases { village: None }).await;
    let csv = csv_rows(&bytes);
    assert_eq!(csv.len(), 1 + all.len(), "{csv:?}");

    // The screening ledger, by village as views::screenings filters.
    let screenings: Vec<ScreeningRow> = view(
        ops,
        Query::Screenings {
            village: Some(village(1).to_string()),
        },
    )
    .await;
    assert!(!screenings.is_empty());
    let (status, _, bytes) = get(
        &browser,
        desk.url(&format!(
            "/screenings/export?village={}&format=xlsx",
            village(1)
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows = xlsx_rows(&bytes);
    assert_eq!(rows.len(), 1 + screenings.len());
    let described = rows[0].iter().position(|h| h == "基本情况").unwrap();
    let mut shown: Vec<&str> = rows[1..].iter().map(|r| r[described].as_str()).collect();
    let mut held: Vec<&str> = screenings.iter().map(|s| s.description.as_str()).collect();
    shown.sort();
    held.sort();
    assert_eq!(shown, held);
    let (_, _, bytes) = get(
        &browser,
        desk.url("/screenings/export?village=360123100299&format=csv"),
    )
    .await;
    assert_eq!(csv_rows(&bytes).len(), 1, "another village's: none");
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_county_month_table_shows_a_township_that_filed_nothing_as_unfiled() {
    let desk = Desk::start().await;
    a_month_of_work(&desk).await;
    desk.cluster.forward().await;
    // A second township connects to the county and files nothing.
    let silent = code("360123200");
    desk.cluster.township_that_files_nothing(&silent).await;

    let ops = &desk.cluster.county().operations;
    let month = Month::of(cst_date(ops.now_ms()));
    let table: CountyReport = view(
        ops,
        Query::Reports {
            month: month.to_string(),
        },
    )
    .await;
    assert_eq!(table.rows.len(), 1, "the hub filed its month");
    // The stranger, and 桥头镇 of the county's directory, which never reported.
    assert_eq!(table.unfiled, vec![code("360123101"), silent.clone()]);
    let filed = &table.rows[0];

    let county_desk = desk.county_desk().await;
    let browser = county_desk.signed_in().await;
    let (status, _, body) = get(&browser, county_desk.url("/report")).await;
    assert_eq!(status, StatusCode::OK);
    let page = page_of(&body);
    let row = |unit: &str| -> Vec<String> {
        let start = page
            .find(&format!("<td>{unit}</td>"))
            .unwrap_or_else(|| panic!("no row for {unit}: {page}"));
        let end = start + page[start..].find("</tr>").unwrap();
        page[start..end]
            .split("</td>")
            .filter_map(|c| c.rsplit_once('>').map(|(_, v)| v.to_owned()))
            .collect()
    };
    let hub_row = row("360123100");
    assert_eq!(hub_row[1], month.to_string());
    assert_eq!(hub_row[2], format!("已报送(第 {} 版)", filed.revision));
    assert_eq!(hub_row[3], filed.received.to_string(), "受理登记");
    let silent_row = row("360123200");
    assert_eq!(silent_row[2], "未报送");
    assert!(
        silent_row[3..].iter().all(String::is_empty),
        "no figures, not zeros: {silent_row:?}"
    );
    let total = row("合计");
    assert_eq!(total[3], table.total.received.to_string());
    assert!(page.contains("class=\"unfiled\""), "{page}");

    // The county's home page says the same: one of two filed, and which did not.
    let (_, _, body) = get(&browser, county_desk.url("/")).await;
    let home = page_of(&body);
    let filing = home
        .split("<tr")
        .find(|r| r.contains(&format!(">{month}</td>")))
        .unwrap_or_else(|| panic!("no filing row for {month}: {home}"));
    assert!(
        filing.contains("1 / 3 个乡镇") && filing.contains("360123200"),
        "{filing}"
    );

    let (_, _, bytes) = get(
        &browser,
        county_desk.url(&format!("/report?month={month}&format=xlsx")),
    )
    .await;
    let rows = xlsx_rows(&bytes);
    assert_eq!(rows.len(), 5, "three townships and the total: {rows:?}");
    assert_eq!(rows[0][..4], ["单位", "月份", "报送情况", "受理登记"]);
    assert_eq!(rows[1][..4], hub_row[..4]);
    assert_eq!(rows[3][2], "未报送");
    assert!(rows[3][3..].iter().all(String::is_empty), "{:?}", rows[3]);
    assert_eq!(rows[4][0], "合计");
    let (_, _, bytes) = get(
        &browser,
        county_desk.url(&format!("/report?month={month}&format=csv")),
    )
    .await;
    assert_eq!(csv_rows(&bytes), rows);

    let (status, _, body) = get(&browser, county_desk.url("/report/print")).await;
    assert_eq!(status, StatusCode::OK);
    let print = page_of(&body);
    assert!(
        print.contains("填报单位:县综治办(360123)")
            && print.contains("填报人:赵科长")
            && print.contains("paper landscape")
            && print.contains("未报送"),
        "{print}"
    );
    county_desk.stop().await;
    desk.stop().await;
}
