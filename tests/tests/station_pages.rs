//! Who gets in to the clerk's pages on the station service: a browser with
//! a ticket from the service (which only a program that reads serve.json can
//! get), once; nobody without one; and no form without the session's token.

use reqwest::StatusCode;
use sanji_tests::desk::{browser, hidden, location, text};
use sanji_tests::station_desk::StationDesk;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_lets_one_browser_in_once_and_nothing_else_does() {
    let desk = StationDesk::start().await;

    let stranger = browser();
    let refused = stranger.get(desk.url("/")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(text(refused).await.contains("sanji 村工作站"));

    let ticket = desk.ticket_url().await;
    let clerk = browser();
    let opened = clerk.get(&ticket).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&opened), "/");
    let home = clerk.get(desk.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let page = text(home).await;
    assert!(page.contains("data-page=\"home\""), "{page}");
    assert!(page.contains(desk.village.as_str()), "{page}");
    assert!(page.contains("id=\"sync-now\""), "the sync button: {page}");

    // The same ticket again, in another browser: spent.
    let again = stranger.get(&ticket).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(text(again).await.contains("已用过或已过期"));
    let forged = stranger
        .get(desk.url("/open?ticket=00"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        stranger.get(desk.url("/")).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    // The API still wants the secret, even from the signed-in browser.
    let api = clerk
        .post(desk.url("/api/request"))
        .header("content-type", "application/json")
        .body(r#"{"request":"status"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

    // A form without the session's token changes nothing.
    let page = text(clerk.get(desk.url("/")).send().await.unwrap()).await;
    let csrf = hidden(&page, "csrf");
    assert!(!csrf.is_empty());
    let forged = clerk
        .post(desk.url("/unlock"))
        .form(&[("csrf", "0"), ("passphrase", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    desk.stop().await;
}
