//! 分区分线 at the console: the township center's own screener records a
//! screening of a village and the trade it covers, on the station's form
//! with the village chosen; it is counted like a village's (a severe one
//! goes to the county at once), reaches the village's station, and shows
//! as the center's in the list; a village outside the 名录 is refused at its
//! field and writes nothing; member units record none.

use reqwest::StatusCode;
use sanji_domain::{EntityState, Origin};
use sanji_node::views::ScreeningRow;
use sanji_tests::desk::{Desk, hidden, location, text};
use sanji_tests::{township, village, written_by_people};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_centers_screener_records_a_screening_that_travels_like_a_villages() {
    let desk = Desk::start().await;
    let operator = desk.signed_in("刘芳").await;
    let list = desk.page(&operator, "/screenings").await;
    assert!(list.contains("href=\"/screenings/new\""), "{list}");
    let form = desk.page(&operator, "/screenings/new").await;
    assert!(form.contains("分线") && form.contains("东山村"), "{form}");
    let csrf = hidden(&form, "csrf");
    let today = sanji_domain::time::cst_date(desk.cluster.hub().operations.now_ms()).to_string();
    let post = |v: &str| {
        operator
            .post(desk.url("/screenings/new"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("village", v),
                ("line", "建筑工地"),
                ("screened_on", today.as_str()),
                ("screener", "刘芳"),
                ("category", "labour"),
                ("risk", "severe"),
                ("party", "包工头陈某"),
                ("others", "务工人员代表张某"),
                ("people_involved", "23"),
                (
                    "description",
                    "安置房工地拖欠 23 名务工人员工资,扬言到县里讨要",
                ),
                ("measures", "已约人社所明日到工地核实"),
            ])
            .send()
    };

    let hub_ledger = Origin::node(township());
    let before = written_by_people(desk.cluster.hub_store(), &hub_ledger);
    let refused = post("360123100299").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let said = text(refused).await;
    assert!(
        said.contains("村代码 360123100299 不在本镇名录中"),
        "{said}"
    );
    assert_eq!(
        written_by_people(desk.cluster.hub_store(), &hub_ledger),
        before
    );

    let v = village(1);
    let recorded = post(v.as_str()).await.unwrap();
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
    let id: uuid::Uuid = location(&recorded)
        .trim_start_matches("/screenings/")
        .parse()
        .unwrap();

    // Counted and reported like a village's: the county holds it.
    desk.cluster.forward().await;
    let reported = desk.cluster.county_store().entity(id).unwrap();
    assert!(
        matches!(reported.map(|e| e.state), Some(EntityState::Screening(_))),
        "the county holds the severe screening"
    );
    let rows: Vec<ScreeningRow> = desk
        .view(sanji_node::ops::Query::Screenings { village: None })
        .await;
    let row = rows.iter().find(|r| r.id == id).unwrap();
    assert!(row.by_center && row.reported_at_ms.is_some(), "{row:#?}");
    assert_eq!(row.line.as_deref(), Some("建筑工地"));
    let list = desk.page(&operator, "/screenings").await;
    assert!(list.contains("刘芳(镇中心 · 建筑工地)"), "{list}");

    // The village's station receives it.
    let station = desk.cluster.open_station(&v);
    station.sync(3).await.unwrap();
    let held = station.store().entity(id).unwrap().map(|e| e.state);
    let Some(EntityState::Screening(s)) = held else {
        panic!("the station holds the center's screening: {held:?}")
    };
    assert_eq!(s.record.line.as_deref(), Some("建筑工地"));

    // Member units record no screenings; the county has no such form.
    desk.assert_center_only("/screenings/new").await;
    desk.stop().await;
}
