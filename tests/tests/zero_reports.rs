//! 零报告 across the tiers: a village whose round found nothing says so from
//! its station; the hub tells, village by village and week by week, who
//! reported screenings, who reported zero and who said nothing; the month's
//! report carries those counts, a quiet township files its month with
//! zeros, and the county's table tells that 零报告 from a township that
//! filed nothing (未报送).

use reqwest::StatusCode;
use sanji_domain::Code;
use sanji_domain::record::ZeroReport;
use sanji_domain::report::{Month, MonthlyReport};
use sanji_domain::reporting::{ReportingCounts, Standing, week_of};
use sanji_node::NodeError;
use sanji_node::ops::Query;
use sanji_node::reports::ReportingTable;
use sanji_node::views::CountyReport;
use sanji_tests::desk::{Desk, text};
use sanji_tests::station_desk::StationDesk;
use sanji_tests::{Cluster, code, screening, station_today, village};

fn zero_report(station: &sanji_node::Station) -> ZeroReport {
    ZeroReport {
        village: station.code().clone(),
        round_on: station_today(station),
        screener: "李明".into(),
        note: "已逐户走访,未发现矛盾纠纷".into(),
    }
}

async fn reporting(cluster: &Cluster, month: Month) -> ReportingTable {
    serde_json::from_value(
        cluster
            .hub()
            .operations
            .query(Query::Reporting {
                month: month.to_string(),
            })
            .await
            .unwrap(),
    )
    .unwrap()
}

async fn county_table(cluster: &Cluster, month: Month) -> CountyReport {
    serde_json::from_value(
        cluster
            .county()
            .operations
            .query(Query::Reports {
                month: month.to_string(),
            })
            .await
            .unwrap(),
    )
    .unwrap()
}

fn standing_of(table: &ReportingTable, village: &Code) -> (Standing, Standing) {
    let i = table
        .villages
        .iter()
        .position(|r| r.village == *village)
        .unwrap_or_else(|| panic!("no row for {village}: {table:?}"));
    (
        *table.villages[i].periods.last().expect("this week"),
        table.month_standing[i],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_tells_villages_that_screened_reported_zero_or_said_nothing() {
    let cluster = Cluster::start().await;
    let busy = cluster.open_station(&village(1));
    let quiet = cluster.open_station(&village(2));
    let today = station_today(&busy);
    let month = Month::of(today);

    busy.record_screening(None, screening(0, &village(1), today))
        .unwrap();
    // A zero report in a week that holds screenings is not one.
    let refused = busy
        .record_zero_report(None, zero_report(&busy))
        .unwrap_err();
    let NodeError::Invalid(field) = &refused else {
        panic!("{refused:?}")
    };
    assert_eq!(field.field, "round_on");
    assert!(field.rule.contains("已登记 1 条排查"), "{refused}");

    let said = quiet.record_zero_report(None, zero_report(&quiet)).unwrap();
    // Said once is enough: a second one for the week is refused.
    let again = quiet
        .record_zero_report(None, zero_report(&quiet))
        .unwrap_err();
    assert!(again.to_string().contains("不用重复报"), "{again}");
    // The station's own list holds it, with the week it answers for.
    let rows = sanji_node::views::zero_reports(quiet.store(), "").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, said.entity);
    assert_eq!(rows[0].week, week_of(today));

    busy.sync(3).await.unwrap();
    quiet.sync(3).await.unwrap();

    let table = reporting(&cluster, month).await;
    // The directory's ten villages, each once.
    assert_eq!(table.villages.len(), 10, "{table:?}");
    assert_eq!(
        standing_of(&table, &village(1)),
        (
            Standing::Reported { screenings: 1 },
            Standing::Reported { screenings: 1 }
        )
    );
    assert_eq!(
        standing_of(&table, &village(2)),
        (Standing::Zero { reports: 1 }, Standing::Zero { reports: 1 })
    );
    assert_eq!(
        standing_of(&table, &village(3)),
        (Standing::Missing, Standing::Missing)
    );
    let expected = ReportingCounts {
        villages: 10,
        reported: 1,
        zero: 1,
        missing: 8,
    };
    assert_eq!(table.counts, expected);
    // The weeks are the month's, Monday to Sunday, up to today.
    assert_eq!(table.weeks.first().unwrap().0, month.first_day());
    assert_eq!(table.weeks.last().unwrap().1, today);

    // The month's report counts the same, and reaches the county so.
    cluster.forward().await;
    let at_county = county_table(&cluster, month).await;
    let filed = at_county
        .rows
        .iter()
        .find(|r| r.township == sanji_tests::township())
        .expect("the hub filed its month");
    assert_eq!(filed.reporting, Some(expected));
    assert!(!filed.is_zero(), "a screening was made: {filed:?}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_township_files_a_zero_report_the_county_tells_from_one_that_filed_nothing() {
    let desk = Desk::start().await;
    let cluster = &desk.cluster;
    let quiet = cluster.open_station(&village(4));
    let month = Month::of(station_today(&quiet));
    quiet.record_zero_report(None, zero_report(&quiet)).unwrap();
    quiet.sync(3).await.unwrap();
    cluster.forward().await;

    // A township that reaches the county and files nothing.
    let silent = code("360123200");
    cluster.township_that_files_nothing(&silent).await;

    let table = county_table(cluster, month).await;
    let filed: &MonthlyReport = table
        .rows
        .iter()
        .find(|r| r.township == sanji_tests::township())
        .expect("the quiet township filed its month");
    assert!(filed.is_zero(), "{filed:?}");
    assert_eq!(
        filed.reporting,
        Some(ReportingCounts {
            villages: 10,
            reported: 0,
            zero: 1,
            missing: 9
        })
    );
    // 桥头镇 is in the county's directory and has never reported; the
    // stranger reached the county and filed nothing: both 未报送.
    assert_eq!(table.unfiled, vec![code("360123101"), silent.clone()]);

    let county_desk = desk.county_desk().await;
    let browser = county_desk.signed_in().await;
    let response = browser
        .get(county_desk.url("/report"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = text(response).await;
    let row = |unit: &str| -> String {
        let start = page
            .find(&format!("<td>{unit}</td>"))
            .unwrap_or_else(|| panic!("no row for {unit}: {page}"));
        page[start..start + page[start..].find("</tr>").unwrap()].to_owned()
    };
    assert!(
        row("360123100").contains(&format!("零报告(第 {} 版)", filed.revision)),
        "{}",
        row("360123100")
    );
    assert!(row("360123200").contains("未报送"));
    assert!(page.contains("class=\"zero\""), "{page}");
    assert!(
        row("合计").contains("1 个乡镇已报送(其中 1 个零报告),2 个未报送"),
        "{}",
        row("合计")
    );

    // At the hub, the 报送情况 page names each village's standing.
    let operator = desk.signed_in("刘芳").await;
    let response = operator.get(desk.url("/reporting")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = text(response).await;
    let line = page
        .split("<tr>")
        .find(|r| r.contains("(360123100204)"))
        .unwrap_or_else(|| panic!("no line for village 4: {page}"));
    assert!(
        line.contains("class=\"standing-zero month\">零报告"),
        "{line}"
    );
    let line = page
        .split("<tr>")
        .find(|r| r.contains("(360123100205)"))
        .unwrap();
    assert!(
        line.contains("class=\"standing-missing month\">未报送"),
        "{line}"
    );
    assert!(page.contains("10 村:1 村零报告,9 村未报送"), "{page}");
    county_desk.stop().await;
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clerk_reports_zero_from_the_home_page_once_a_week() {
    let desk = StationDesk::start().await;
    let clerk = desk.signed_in().await;
    let home = desk.page(&clerk, "/").await;
    assert!(home.contains("id=\"this-week\""), "{home}");
    assert!(home.contains("本周还没有排查登记"), "{home}");
    assert!(home.contains("id=\"zero-report\""), "{home}");

    let today = desk.service.host.today().to_string();
    let saved = desk
        .post(
            &clerk,
            "/zero-reports",
            &[("round_on", today.as_str()), ("note", "未发现问题")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let home = desk.page(&clerk, "/?zero=1").await;
    assert!(home.contains("已保存零报告"), "{home}");
    assert!(home.contains(&format!("本周已报零报告({today})")), "{home}");
    assert!(
        !home.contains("id=\"zero-report\""),
        "no second offer: {home}"
    );

    // Sent again (a second tab, a double click): refused, in words, on the page.
    let again = desk
        .post(&clerk, "/zero-reports", &[("round_on", today.as_str())])
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(again).await;
    assert!(page.contains("不用重复报"), "{page}");
    assert_eq!(desk.ledgers().await.zero_reports.len(), 1);
    desk.stop().await;
}
