//! 受理事项总登记簿 end to end: visits and cases from a village's station and
//! the center's window are numbered by the hub in the order it received
//! them; a record that arrives late from an offline village takes the next
//! number and no number ever changes; the page, its print and its download
//! show the register, and only the township's ledger readers see it.

use chrono::Datelike;
use reqwest::StatusCode;
use sanji_domain::case::ActorRole;
use sanji_domain::record::CaseSource;
use sanji_domain::register::{Book, RegisterNumbers, serial_label};
use sanji_domain::time::cst_date;
use sanji_node::ops::{Action, Query};
use sanji_node::register::Register;
use sanji_tests::desk::{Desk, text};
use sanji_tests::{case_registration, code, village, visit};

async fn register(desk: &Desk, year: i32) -> Register {
    desk.view(Query::Register { year }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_township_receives_is_numbered_once_in_the_order_it_arrived() {
    let desk = Desk::start().await;
    let hub = desk.cluster.hub();
    let today = cst_date(hub.operations.now_ms());
    let year = today.year();
    let v = village(1);

    // The village station: a visit and a case, synced.
    let station = desk.cluster.open_station(&v);
    let station_visit = station.record_visit(None, visit(0, &v, today)).unwrap();
    let station_case = station
        .register_case(None, case_registration(&v, today, "吴春生"))
        .unwrap();
    station.sync(3).await.unwrap();
    desk.cluster.forward().await;

    // The window: a visit registered as a case takes one number, the visit's.
    let window_visit = desk
        .act(
            "刘芳",
            ActorRole::Operator,
            Action::RecordVisit {
                visit: visit(1, &code("360123100"), today),
            },
        )
        .await;
    let mut from_visit = case_registration(&v, today, "钱多多");
    from_visit.source = CaseSource::Visit;
    from_visit.from_record = Some(window_visit);
    let window_case = desk
        .act(
            "刘芳",
            ActorRole::Operator,
            Action::RegisterCase {
                registration: from_visit,
            },
        )
        .await;
    desk.cluster.forward().await;

    let book = register(&desk, year).await;
    let numbered: Vec<(Option<String>, uuid::Uuid)> =
        book.rows.iter().map(|r| (r.serial.clone(), r.id)).collect();
    assert_eq!(
        numbered,
        vec![
            (Some(serial_label(year, 1)), station_visit.entity),
            (Some(serial_label(year, 2)), station_case.entity),
            (Some(serial_label(year, 3)), window_visit),
        ],
        "{book:#?}"
    );
    assert_eq!(book.rows[2].place, "中心窗口");
    assert_eq!(book.rows[2].case, Some(window_case));
    assert!(book.rows[2].handling.starts_with("转为案件"), "{book:#?}");
    assert_eq!(book.rows[0].place, "东山村");

    // Offline a while: the village's visit of yesterday reaches the hub
    // after today's window work, and takes the next number.
    let yesterday = today.pred_opt().unwrap();
    let late = station
        .record_visit(
            None,
            visit(
                2,
                &v,
                if yesterday.year() == year {
                    yesterday
                } else {
                    today
                },
            ),
        )
        .unwrap();
    station.sync(3).await.unwrap();
    desk.cluster.forward().await;
    let after = register(&desk, year).await;
    assert_eq!(after.rows.len(), 4);
    assert_eq!(after.rows[..3], book.rows[..3], "no number changed");
    assert_eq!(after.rows[3].id, late.entity);
    assert_eq!(after.rows[3].serial, Some(serial_label(year, 4)));

    // Another pass numbers nothing again.
    let register_id = RegisterNumbers::entity_id(&code("360123100"), year, Book::Received);
    let events = hub.store.entity(register_id).unwrap().unwrap().events;
    desk.cluster.forward().await;
    assert_eq!(
        hub.store.entity(register_id).unwrap().unwrap().events,
        events
    );
    assert_eq!(register(&desk, year).await, after);

    // The page, in number order, each line linking to its record.
    let operator = desk.signed_in("刘芳").await;
    let page = desk.page(&operator, "/register").await;
    let at = |serial: &str| {
        page.find(&format!(">{serial}</a>"))
            .unwrap_or_else(|| panic!("{serial} on the page: {page}"))
    };
    assert!(at(&serial_label(year, 1)) < at(&serial_label(year, 4)));
    assert!(
        page.contains(&format!("href=\"/cases/{window_case}\"")),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"/cases/{}\"", station_case.entity)));
    let visits = desk.page(&operator, "/visits").await;
    assert!(visits.contains("href=\"/register\""), "{visits}");
    let response = operator
        .get(desk.url(&format!("/register?year={year}&format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csv = text(response).await;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("登记编号,受理日期,受理地点"), "{csv}");
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[4].starts_with(&serial_label(year, 4)), "{csv}");
    let print = desk.page(&operator, "/register/print").await;
    assert!(
        print.contains("受理事项总登记簿") && print.contains("共 4 件") && print.contains("盖章"),
        "{print}"
    );
    let response = operator
        .get(desk.url("/register?year=19"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("年份"));

    // Member units see no ledgers; the county keeps no register.
    desk.assert_center_only("/register").await;
    desk.stop().await;
}
