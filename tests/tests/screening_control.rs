//! 稳控责任 on a screening that is not turned into a case: set and updated
//! at the console against the directory and the screening's day, refused
//! in Chinese field by field with nothing written, shown on the record and
//! carried down to the village's station; a screening already a case takes
//! none; member units may not set it.

use reqwest::StatusCode;
use sanji_domain::record::ControlStatus;
use sanji_domain::time::cst_date;
use sanji_node::ops::{Action, Query};
use sanji_node::views::ScreeningRow;
use sanji_tests::desk::{Desk, hidden, text};
use sanji_tests::{screening, village};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screening_carries_its_control_down_to_the_village() {
    let desk = Desk::start().await;
    let station = desk.cluster.open_station(&village(3));
    let today = sanji_tests::station_today(&station);
    let screened = station
        .record_screening(None, screening(0, &village(3), today))
        .unwrap();
    let other = station
        .record_screening(None, screening(1, &village(3), today))
        .unwrap();
    station.sync(3).await.unwrap();
    let id = screened.entity;

    let operator = desk.signed_in("刘芳").await;
    let page = desk.page(&operator, &format!("/screenings/{id}")).await;
    assert!(page.contains("未落实稳控责任"), "{page}");
    assert!(
        page.contains(&format!("/screenings/{id}/control")),
        "{page}"
    );
    let csrf = hidden(&page, "csrf");
    let until =
        (cst_date(desk.cluster.hub().operations.now_ms()) + chrono::Days::new(7)).to_string();
    let mut form = vec![
        ("csrf", csrf.clone()),
        ("unit", "林业站".to_owned()),
        ("person", "孙立".to_owned()),
        ("measures", "包案盯控,每周见面一次".to_owned()),
        ("time_limit", until.clone()),
        ("status", "controlling".to_owned()),
        ("note", String::new()),
    ];
    let post = |form: &[(&'static str, String)], id: uuid::Uuid| {
        operator
            .post(desk.url(&format!("/screenings/{id}/control")))
            .form(form)
            .send()
    };
    let before = desk.hub_head();
    let refused = post(&form, id).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(refused)
            .await
            .contains("成员单位「林业站」不在本镇名录中")
    );
    form[1].1 = "司法所".into();
    form[4].1 = (today - chrono::Days::new(1)).to_string();
    let refused = post(&form, id).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(refused).await.contains("早于排查日期"));
    assert_eq!(desk.hub_head(), before);

    form[4].1 = until.clone();
    let saved = post(&form, id).await.unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = desk
        .page(&operator, &format!("/screenings/{id}?done=control"))
        .await;
    assert!(
        page.contains("稳控中:司法所 孙立:包案盯控,每周见面一次"),
        "{page}"
    );
    // The township's list says where each screening's 稳控 stands.
    let list = desk.page(&operator, "/screenings").await;
    assert!(list.contains("<th>稳控</th>"), "{list}");
    assert!(list.contains(">稳控中</td>"), "{list}");
    // Settled later: the same form, the status changed.
    form[5].1 = "resolved".into();
    form[6].1 = "双方已和解".into();
    assert_eq!(
        post(&form, id).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let row: ScreeningRow = serde_json::from_value(
        desk.cluster
            .hub()
            .operations
            .query(Query::Screening { screening: id })
            .await
            .unwrap(),
    )
    .unwrap();
    let control = row.control.expect("a control");
    assert_eq!(control.status, ControlStatus::Resolved);
    assert_eq!(row.control_by.as_deref(), Some("刘芳"));
    assert!(
        desk.page(&operator, &format!("/screenings/{id}"))
            .await
            .contains("已化解")
    );

    // The village sees it on its own record after a sync.
    station.sync(3).await.unwrap();
    let at_village = sanji_node::views::screening(station.store(), id).unwrap();
    assert_eq!(
        at_village.control.map(|c| (c.unit, c.status)),
        Some(("司法所".to_owned(), ControlStatus::Resolved))
    );

    // A screening already a case is worked as the case.
    desk.act(
        "刘芳",
        sanji_domain::case::ActorRole::Operator,
        Action::Convert {
            screening: other.entity,
            claim: "要求调处".into(),
        },
    )
    .await;
    let refused = post(&form, other.entity).await.unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(text(refused).await.contains("已转为案件"));

    // Member units do not set it.
    let unit = desk.signed_in("孙立").await;
    let unit_page = desk.page(&unit, "/").await;
    let refused = unit
        .post(desk.url(&format!("/screenings/{id}/control")))
        .form(&[("csrf", hidden(&unit_page, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    desk.stop().await;
}
