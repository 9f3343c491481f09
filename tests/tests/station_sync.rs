//! 同步 on the clerk's page: the button starts a round, and the page then
//! tells in words what the township did on the village's case — received it
//! (with its acceptance deadline), accepted it, assigned it to the village
//! with a deadline, urged it. A real hub, a real station service, raw HTTP.

use reqwest::StatusCode;
use sanji_domain::case::ActorRole;
use sanji_domain::record::{CaseRegistration, CaseSource, Category, Party};
use sanji_node::ops::CaseCommand;
use sanji_node::station_api::{StationReply, StationRequest};
use sanji_tests::desk::{hidden, location, text};
use sanji_tests::station_desk::StationDesk;

/// The page once no round is under way: each time it still shows one, it
/// waits for the rounds under way to end, starting none.
async fn finished_sync_page(desk: &StationDesk, clerk: &reqwest::Client) -> String {
    for _ in 0..10 {
        let page = text(clerk.get(desk.url("/sync")).send().await.unwrap()).await;
        if page.contains("id=\"sync-done\"") {
            return page;
        }
        assert!(page.contains("id=\"sync-running\""), "{page}");
        desk.service.host.rounds_over().await;
    }
    panic!("the sync page never finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_button_tells_what_the_township_did_on_the_villages_case() {
    let desk = StationDesk::start().await;
    let host = &desk.service.host;
    let registered = host
        .handle(StationRequest::RegisterCase {
            by: None,
            case: CaseRegistration {
                place: desk.village.clone(),
                registered_on: host.today(),
                source: CaseSource::Visit,
                category: Category::Land,
                parties: vec![Party {
                    name: "王𠮷".into(),
                    contact: None,
                }],
                people_involved: 2,
                claim: "山林界址纠纷".into(),
                first_receiver: "李明".into(),
                first_unit: "东山村工作站".into(),
                complex: false,
                from_record: None,
            },
        })
        .await
        .unwrap();
    let StationReply::Recorded { event } = registered else {
        panic!("{registered:?}")
    };
    host.sync(1).await.unwrap();

    // The township receives it, accepts it, assigns it to the village and urges it.
    let mut steps = desk.accepted_and_assigned_back();
    steps.push((
        ActorRole::Operator,
        CaseCommand::Urge {
            note: "请本周内约双方调解".into(),
        },
    ));
    let case = event.entity.to_string();
    desk.township_takes(&case, steps).await;

    // The clerk presses 立即同步 on the bar every page shows.
    let clerk = desk.signed_in().await;
    let home = text(clerk.get(desk.url("/")).send().await.unwrap()).await;
    let csrf = hidden(&home, "csrf");
    let pressed = clerk
        .post(desk.url("/sync"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&pressed), "/sync");
    let page = finished_sync_page(&desk, &clerk).await;
    assert!(page.contains("同步成功"), "{page}");
    let number = desk
        .cluster
        .hub_store()
        .entity(event.entity)
        .unwrap()
        .and_then(|e| match e.state {
            sanji_domain::EntityState::Case(f) => f.case_number,
            _ => None,
        })
        .expect("numbered on acceptance");
    for line in [
        format!("镇中心已受理案件 {number}"),
        format!("新交办:案件 {number} 交本村办理(承办人 李明),期限 2027-01-10"),
        format!("催办:案件 {number}:请本周内约双方调解"),
    ] {
        // Whichever round brought it (the background's may have run first),
        // it is among the latest news.
        let recent = &page[page.find("id=\"recent\"").expect("the latest news")..];
        assert!(recent.contains(&line), "{line} in {page}");
    }
    assert!(page.contains("受理期限"), "the receipt: {page}");
    assert!(!page.contains(&case), "no ids for the clerk: {page}");

    // Without the session's token the button does nothing.
    let forged = clerk
        .post(desk.url("/sync"))
        .form(&[("csrf", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // A round that brings nothing says so, and the news stays listed.
    host.sync(1).await.unwrap();
    let page = finished_sync_page(&desk, &clerk).await;
    assert!(page.contains("没有新的消息"), "{page}");
    assert!(page.contains(&format!("催办:案件 {number}")), "{page}");
    desk.stop().await;
}
