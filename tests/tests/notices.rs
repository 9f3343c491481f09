//! 交办、督办、销案通知书 end to end: the hub numbers each notice as the
//! center issues it (an assignment, a supervision, an archiving), each book
//! counting on its own; a notice names whoever handled the case when it was
//! issued; the unit signs for its notices in the console and the village at
//! its station, offline, and the receipt reaches the hub's notice; an
//! archived case gets its 一案一档 archive number once; the list, the A4
//! sheet with its 回执, the download and the CLI's view show the same.

use chrono::Datelike;
use reqwest::StatusCode;
use sanji_domain::case::ActorRole;
use sanji_domain::register::Book;
use sanji_domain::time::cst_date;
use sanji_node::notices::{CaseNumbers, Notice, NoticeBook, Receipt};
use sanji_node::ops::{Action, CaseCommand, Query};
use sanji_tests::desk::{Desk, hidden, steps_to_a_confirmed_agreement, text};
use sanji_tests::village;

async fn notices(desk: &Desk, year: i32, book: &str) -> NoticeBook {
    let book = book.into();
    desk.view(Query::Notices { year, book }).await
}

async fn numbers(desk: &Desk, case: uuid::Uuid) -> CaseNumbers {
    desk.view(Query::CaseNumbers { case }).await
}

async fn step(desk: &Desk, case: uuid::Uuid, name: &str, role: ActorRole, command: CaseCommand) {
    let case = case.to_string();
    desk.act(name, role, Action::CaseStep { case, command })
        .await;
}

fn name_of(role: ActorRole) -> &'static str {
    if role == ActorRole::Director {
        "王主任"
    } else {
        "刘芳"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_notice_is_numbered_as_issued_and_its_receipt_follows_the_signature() {
    let desk = Desk::start().await;
    let hub = desk.cluster.hub();
    let year = cst_date(hub.operations.now_ms()).year();
    let label = |book: Book, n: u32| book.serial_label(year, n);

    // The operator assigns to the 司法所: a 交办通知书 at once, waiting for
    // the director's approval on its sheet.
    let case = desk.register("何长青").await;
    step(
        &desk,
        case,
        "刘芳",
        ActorRole::Operator,
        CaseCommand::Accept,
    )
    .await;
    step(
        &desk,
        case,
        "刘芳",
        ActorRole::Operator,
        CaseCommand::Assign {
            unit: Some("司法所".into()),
            village: None,
            person: "孙立".into(),
            deadline: None,
        },
    )
    .await;
    desk.cluster.forward().await;
    let dispatch = notices(&desk, year, "dispatch").await;
    assert_eq!(dispatch.notices.len(), 1, "{dispatch:#?}");
    let first = &dispatch.notices[0];
    assert_eq!(first.serial, label(Book::Dispatch, 1));
    assert_eq!(first.addressee.as_deref(), Some("司法所"));
    assert_eq!(first.person.as_deref(), Some("孙立"));
    assert_eq!(first.approved_by, None);
    assert_eq!(first.receipt, Receipt::Waiting);
    assert_eq!(first.register_serial, Some(label(Book::Received, 1)));

    step(
        &desk,
        case,
        "王主任",
        ActorRole::Director,
        CaseCommand::Approve,
    )
    .await;
    step(
        &desk,
        case,
        "王主任",
        ActorRole::Director,
        CaseCommand::Supervise {
            note: "当事人情绪激动,请三日内约谈双方".into(),
        },
    )
    .await;
    desk.cluster.forward().await;
    let dispatch = notices(&desk, year, "交办").await;
    assert_eq!(dispatch.notices[0].approved_by.as_deref(), Some("王主任"));
    let supervision = notices(&desk, year, "supervision").await;
    assert_eq!(supervision.notices.len(), 1);
    let pressed = &supervision.notices[0];
    assert_eq!(pressed.serial, label(Book::Supervision, 1), "its own count");
    assert_eq!(pressed.addressee.as_deref(), Some("司法所"));
    assert_eq!(pressed.note, "当事人情绪激动,请三日内约谈双方");
    assert_eq!(pressed.receipt, Receipt::Waiting);

    // The unit's staff sign for both in the console.
    let staff = desk.signed_in("孙立").await;
    let page = desk.page(&staff, &format!("/cases/{case}")).await;
    assert!(page.contains("/steps/acknowledge\""), "{page}");
    assert!(page.contains(&label(Book::Dispatch, 1)), "{page}");
    let csrf = hidden(&page, "csrf");
    let signed = staff
        .post(desk.url(&format!("/cases/{case}/steps/acknowledge")))
        .form(&[("csrf", csrf.as_str()), ("note", "已收到,明日约谈")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    desk.cluster.forward().await;
    let on_file = numbers(&desk, case).await;
    assert_eq!(on_file.notices.len(), 2);
    for notice in &on_file.notices {
        match &notice.receipt {
            Receipt::Signed { by, role, .. } => {
                assert_eq!((by.as_str(), *role), ("孙立", ActorRole::UnitStaff));
            }
            other => panic!("{} not signed: {other:?}", notice.serial),
        }
    }
    let page = desk.page(&staff, &format!("/cases/{case}")).await;
    assert!(
        !page.contains("/steps/acknowledge\""),
        "nothing left to sign: {page}"
    );
    assert!(
        page.contains("签收交办、督办通知书 2 份:已收到,明日约谈"),
        "{page}"
    );

    // To the end of the case's life: a 销案通知书 and the archive number.
    for (role, command) in steps_to_a_confirmed_agreement().into_iter().skip(2) {
        step(&desk, case, name_of(role), role, command).await;
    }
    step(
        &desk,
        case,
        "刘芳",
        ActorRole::Operator,
        CaseCommand::Archive {
            note: "调解协议书原件存档".into(),
        },
    )
    .await;
    desk.cluster.forward().await;
    let on_file = numbers(&desk, case).await;
    assert_eq!(on_file.archive_number, Some(label(Book::Archive, 1)));
    let closing = notices(&desk, year, "closing").await;
    assert_eq!(closing.notices.len(), 1);
    let closed = &closing.notices[0];
    assert_eq!(closed.serial, label(Book::Closing, 1));
    assert_eq!(closed.addressee.as_deref(), Some("司法所"), "the handler");
    assert_eq!(closed.archive_number, Some(label(Book::Archive, 1)));
    assert!(
        closed
            .outcome
            .as_deref()
            .unwrap()
            .contains("双方签订调解协议"),
        "{closed:#?}"
    );
    assert_eq!(closed.receipt, Receipt::NotAsked);

    // A case assigned to a village: its clerk signs at the station, offline;
    // the receipt reaches the hub's notice with the next sync.
    let other = desk.register("钱多多").await;
    step(
        &desk,
        other,
        "刘芳",
        ActorRole::Operator,
        CaseCommand::Accept,
    )
    .await;
    let v = village(1);
    step(
        &desk,
        other,
        "王主任",
        ActorRole::Director,
        CaseCommand::Assign {
            unit: None,
            village: Some(v.clone()),
            person: "李会计".into(),
            deadline: None,
        },
    )
    .await;
    desk.cluster.forward().await;
    let station = desk.cluster.open_station(&v);
    station.sync(3).await.unwrap();
    let notice: Notice = numbers(&desk, other).await.notices.remove(0);
    assert_eq!(notice.serial, label(Book::Dispatch, 2), "the book goes on");
    assert_eq!(notice.addressee.as_deref(), Some("东山村工作站"));
    assert_eq!(notice.approved_by.as_deref(), Some("王主任"));
    station
        .case_step(
            None,
            &other.to_string(),
            CaseCommand::Acknowledge {
                note: String::new(),
            },
        )
        .unwrap();
    station.sync(3).await.unwrap();
    desk.cluster.forward().await;
    let notice: Notice = numbers(&desk, other).await.notices.remove(0);
    assert!(
        matches!(
            notice.receipt,
            Receipt::Signed {
                role: ActorRole::VillageStaff,
                ..
            }
        ),
        "{notice:#?}"
    );

    // Another pass numbers nothing again; no number moved.
    let before = notices(&desk, year, "dispatch").await;
    desk.cluster.forward().await;
    assert_eq!(notices(&desk, year, "dispatch").await, before);

    // The pages: the list with its tabs, the A4 sheet with the 回执, the download.
    let operator = desk.signed_in("刘芳").await;
    let list = desk.page(&operator, "/notices").await;
    assert!(list.contains(&label(Book::Dispatch, 2)), "{list}");
    assert!(list.contains("孙立(单位工作人员)签收"), "{list}");
    assert!(list.contains("href=\"/notices?book=closing"), "{list}");
    let cases = desk.page(&operator, "/cases").await;
    assert!(cases.contains("href=\"/notices\""), "{cases}");
    let sheet = desk
        .page(&operator, &format!("/notices/{}", first.event))
        .await;
    assert!(
        sheet.contains("信访及矛盾纠纷排查调处交办通知书")
            && sheet.contains(&label(Book::Dispatch, 1))
            && sheet.contains("司法所:")
            && sheet.contains("回 执")
            && sheet.contains("中心主任(签批):王主任")
            && sheet.contains("盖章"),
        "{sheet}"
    );
    let closing_sheet = desk
        .page(&operator, &format!("/notices/{}", closed.event))
        .await;
    assert!(
        closing_sheet.contains("现予销案归档,档案号") && !closing_sheet.contains("回 执"),
        "{closing_sheet}"
    );
    let response = operator
        .get(desk.url(&format!("/notices?book=supervision&year={year}&format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csv = text(response).await;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("通知书编号,发出日期,案件编号"),
        "{csv}"
    );
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains("孙立(单位工作人员)签收"), "{csv}");

    // An unknown kind of notice is refused by name; a member unit's staff
    // print their own unit's notice but see no book; the county keeps none.
    let response = operator
        .get(desk.url("/notices?book=letters"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("通知书种类"));
    let response = staff.get(desk.url("/notices")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let own = staff
        .get(desk.url(&format!("/notices/{}", first.event)))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    let police = desk.signed_in("周警官").await;
    let response = police
        .get(desk.url(&format!("/notices/{}", first.event)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let county = desk.signed_in("周明").await;
    let response = county
        .get(desk.url_for("周明", "/notices"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    desk.stop().await;
}
