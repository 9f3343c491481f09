//! 社会治安重点地区及突出问题排查整治登记簿 at the console: the center
//! records a quarter's hotspots through the form, checked against the
//! directory (a bad entry is refused at its field and writes nothing); an
//! entry left unrectified is carried into the next quarter's book and shown
//! overdue after its deadline; updating it as rectified moves this
//! quarter's book and not how the past quarter ended; print and download
//! show the same book; only the center's ledger readers see it.

use reqwest::StatusCode;
use sanji_domain::report::{Period, Span};
use sanji_domain::time::cst_date;
use sanji_domain::{Labelled, Origin};
use sanji_node::hotspots::HotspotBook;
use sanji_node::ops::Query;
use sanji_tests::desk::{Desk, hidden, location, text};
use sanji_tests::{township, written_by_people};

async fn book(desk: &Desk, quarter: Period) -> HotspotBook {
    let quarter = quarter.to_string();
    desk.view(Query::Hotspots { quarter }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotspots_are_recorded_carried_over_and_rectified_quarter_by_quarter() {
    let desk = Desk::start().await;
    let today = cst_date(desk.cluster.hub().operations.now_ms());
    let this = Period::Quarter {
        year: 2000,
        quarter: 1,
    }
    .same_kind_at(today);
    let last = this.previous();
    let operator = desk.signed_in("刘芳").await;
    let page = desk.page(&operator, "/hotspots").await;
    assert!(page.contains("本季度还没有登记重点地区"), "{page}");
    let form = desk.page(&operator, "/hotspots/new").await;
    let csrf = hidden(&form, "csrf");

    let found_last = last.first_day().to_string();
    let due_last = last.last_day().pred_opt().unwrap().to_string();
    let due_later = (today + chrono::Days::new(30)).to_string();
    let today_text = today.to_string();
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = vec![("csrf", csrf.clone())];
        form.extend(fields);
        operator.post(desk.url(path)).form(&form).send()
    };
    let market = |unit: &str, status: &str, result: &str| {
        vec![
            ("found_on", found_last.clone()),
            ("area", "集镇农贸市场周边".to_owned()),
            ("village", "360123100201".to_owned()),
            ("problem", "摊贩占道经营,夜间酗酒滋事".to_owned()),
            ("measures", "加强夜间巡逻,规范摊位".to_owned()),
            ("unit", unit.to_owned()),
            ("person", "周警官".to_owned()),
            ("deadline", due_last.clone()),
            ("status", status.to_owned()),
            ("result", result.to_owned()),
        ]
    };

    // Refused at the field, nothing written: a unit not in the 名录, a
    // rectified entry without its result.
    let hub_ledger = Origin::node(township());
    let before = written_by_people(desk.cluster.hub_store(), &hub_ledger);
    let refused = post("/hotspots", market("林业站", "rectifying", ""))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(refused)
            .await
            .contains("成员单位「林业站」不在本镇名录中")
    );
    let refused = post("/hotspots", market("派出所", "rectified", ""))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(refused).await.contains("已整改的请填写「整治结果」"));
    assert_eq!(
        written_by_people(desk.cluster.hub_store(), &hub_ledger),
        before
    );

    // Last quarter's round found the market; this quarter's, a building site.
    let recorded = post("/hotspots", market("派出所", "rectifying", ""))
        .await
        .unwrap();
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
    assert!(location(&recorded).contains(&format!("quarter={last}")));
    let site = vec![
        ("found_on", today_text.clone()),
        ("area", "镇区在建安置房工地".to_owned()),
        ("village", String::new()),
        ("problem", "外来务工人员欠薪纠纷苗头".to_owned()),
        ("measures", "人社所督促发放,司法所驻点调解".to_owned()),
        ("unit", "司法所".to_owned()),
        ("person", "孙立".to_owned()),
        ("deadline", due_later.clone()),
        ("status", "rectifying".to_owned()),
        ("result", String::new()),
    ];
    assert_eq!(
        post("/hotspots", site).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );

    let now = book(&desk, this).await;
    assert_eq!((now.found, now.carried_over), (1, 1), "{now:#?}");
    assert_eq!(now.rows[0].record.area, "镇区在建安置房工地");
    let carried = &now.rows[1];
    assert!(carried.carried_over);
    assert_eq!(carried.village_name.as_deref(), Some("东山村"));
    assert_eq!(carried.standing.id(), "overdue", "its deadline passed");
    assert_eq!(now.overdue, 1);
    let before_then = book(&desk, last).await;
    assert_eq!(
        (before_then.found, before_then.carried_over),
        (1, 0),
        "{before_then:#?}"
    );
    let page = desk.page(&operator, "/hotspots").await;
    assert!(
        page.contains("上季结转")
            && page.contains("逾期未整改")
            && page.contains("本季排查 <b>1</b> 处"),
        "{page}"
    );

    // Rectified now: this quarter's book says so; last quarter's still
    // tells how it stood at that quarter's end.
    let id = carried.id;
    let edit = desk.page(&operator, &format!("/hotspots/{id}")).await;
    assert!(
        edit.contains("集镇农贸市场周边") && edit.contains(&due_last),
        "{edit}"
    );
    let path: &'static str = Box::leak(format!("/hotspots/{id}").into_boxed_str());
    let updated = post(
        path,
        market("派出所", "rectified", "摊位划线入市,夜市秩序好转"),
    )
    .await
    .unwrap();
    assert_eq!(updated.status(), StatusCode::SEE_OTHER);
    let now = book(&desk, this).await;
    let market_row = now.rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(market_row.standing.id(), "rectified");
    assert_eq!(market_row.rectified_on, Some(today));
    assert_eq!(market_row.recorded_by, "刘芳");
    assert_eq!((now.rectified, now.overdue), (1, 0));
    let then = book(&desk, last).await;
    assert_eq!(then.rows[0].standing.id(), "overdue", "{then:#?}");

    // Print and download: the same book.
    let print = desk
        .page(&operator, &format!("/hotspots/print?quarter={this}"))
        .await;
    assert!(
        print.contains("社会治安重点地区及突出问题排查整治登记簿")
            && print.contains("上季结转 1 处")
            && print.contains("摊位划线入市"),
        "{print}"
    );
    let response = operator
        .get(desk.url(&format!("/hotspots?quarter={this}&format=csv")))
        .send()
        .await
        .unwrap();
    let csv = text(response).await;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("排查日期,重点地区,突出问题"), "{csv}");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[2].contains("(结转)") && lines[2].contains("已整改"),
        "{csv}"
    );
    let response = operator
        .get(desk.url("/hotspots?quarter=2026-13"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Member units see no ledgers; the county keeps no hotspot book.
    desk.assert_center_only("/hotspots").await;
    let screenings = desk.page(&operator, "/screenings").await;
    assert!(screenings.contains("href=\"/hotspots\""));
    desk.stop().await;
}
