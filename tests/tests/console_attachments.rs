//! 附件 on the pages: the unit handling a case uploads the signed agreement
//! on the case's page and anyone who may see the case opens it; a unit that
//! does not may not; a file over the limit and a form without a file are
//! told at the file's field and write nothing. At the village, the clerk
//! uploads on the station's case page and the file reaches the hub with the
//! next sync. Real hub, real station service, raw HTTP.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use sanji_domain::attachment::{MAX_BYTES, content_hash};
use sanji_domain::time::cst_date;
use sanji_node::station_api::{StationReply, StationRequest};
use sanji_tests::case_registration;
use sanji_tests::desk::{Desk, hidden, location, steps_to_a_confirmed_agreement, text};
use sanji_tests::station_desk::StationDesk;

fn photo(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 31 % 251) as u8).collect()
}

/// Posts the 上传附件 form of `page` (the case's page as `browser` sees it).
async fn upload(
    browser: &reqwest::Client,
    url: String,
    page: &str,
    title: &str,
    file: Option<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let mut form = Form::new()
        .text("csrf", hidden(page, "csrf"))
        .text("title", title.to_owned());
    if let Some((name, bytes)) = file {
        form = form.part(
            "file",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("image/jpeg")
                .unwrap(),
        );
    }
    browser.post(url).multipart(form).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handling_unit_uploads_the_agreement_and_whoever_sees_the_case_opens_it() {
    let desk = Desk::start().await;
    let case = desk.register("何长青").await;
    desk.take_steps(case, steps_to_a_confirmed_agreement().into_iter().take(2))
        .await;
    let staff = desk.signed_in("孙立").await;
    let path = format!("/cases/{case}");
    let page = desk.page(&staff, &path).await;
    assert!(
        page.contains(&format!(
            "action=\"/cases/{case}/attach\" enctype=\"multipart/form-data\""
        )),
        "{page}"
    );
    assert!(page.contains("type=\"file\" name=\"file\""), "{page}");
    let attach = desk.url(&format!("/cases/{case}/attach"));

    // No file chosen, then one over the limit: said at the file, nothing written.
    let before = desk.hub_head();
    let none = upload(&staff, attach.clone(), &page, "调解协议书", None).await;
    assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(none).await.contains("请填写「文件」"));
    let big = upload(
        &staff,
        attach.clone(),
        &page,
        "现场录像",
        Some(("录像.jpg", photo(MAX_BYTES as usize + 1))),
    )
    .await;
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text(big).await.contains("超过每个附件 10.0 MB 的上限"));
    let empty = upload(
        &staff,
        attach.clone(),
        &page,
        "照片",
        Some(("空.jpg", Vec::new())),
    )
    .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(empty).await.contains("是空的"));
    assert_eq!(desk.hub_head(), before);

    let bytes = photo(600_000);
    let done = upload(
        &staff,
        attach,
        &page,
        "调解协议书",
        Some(("协议书 签字.jpg", bytes.clone())),
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), format!("/cases/{case}?done=attach"));
    let page = desk.page(&staff, &path).await;
    let href = format!("/cases/{case}/files/{}", content_hash(&bytes));
    assert!(page.contains(&format!("<a href=\"{href}\"")), "{page}");
    assert!(page.contains("协议书 签字.jpg"), "{page}");
    assert!(page.contains("586 KB"), "{page}");
    assert!(page.contains("附件「调解协议书」"), "{page}");

    let operator = desk.signed_in("刘芳").await;
    let opened = operator.get(desk.url(&href)).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    let headers = opened.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(
        headers["content-disposition"],
        "inline; filename*=UTF-8''%E5%8D%8F%E8%AE%AE%E4%B9%A6%20%E7%AD%BE%E5%AD%97.jpg"
    );
    assert_eq!(headers["content-security-policy"], "sandbox");
    assert_eq!(opened.bytes().await.unwrap().to_vec(), bytes);

    // 派出所 does not handle this case: neither its page nor its files.
    let police = desk.signed_in("周警官").await;
    let refused = police.get(desk.url(&href)).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_village_clerk_uploads_on_the_stations_page_and_the_hub_holds_it_after_sync() {
    let desk = StationDesk::start().await;
    let host = &desk.service.host;
    let today = cst_date(desk.cluster.hub().operations.now_ms());
    let registered = host
        .handle(StationRequest::RegisterCase {
            by: None,
            case: case_registration(&desk.village, today, "王𠮷"),
        })
        .await
        .unwrap();
    let StationReply::Recorded { event } = registered else {
        panic!("{registered:?}")
    };
    desk.sync().await;
    let case = event.entity.to_string();
    desk.township_takes(&case, desk.accepted_and_assigned_back())
        .await;
    desk.sync().await;

    let clerk = desk.signed_in().await;
    let path = format!("/cases/{case}");
    let page = desk.page(&clerk, &path).await;
    let bytes = photo(1_500_000);
    let done = upload(
        &clerk,
        desk.url(&format!("/cases/{case}/attach")),
        &page,
        "现场照片",
        Some(("IMG_0001.JPG", bytes.clone())),
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER, "{}", text(done).await);
    let page = desk.page(&clerk, &path).await;
    let href = format!("/cases/{case}/files/{}", content_hash(&bytes));
    assert!(page.contains(&href), "{page}");
    let opened = clerk.get(desk.url(&href)).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.bytes().await.unwrap().to_vec(), bytes);

    desk.sync().await;
    let (attachment, at_hub) =
        sanji_node::attachments::case_file(desk.cluster.hub_store(), &case, &content_hash(&bytes))
            .unwrap();
    assert_eq!(attachment.title, "现场照片");
    assert_eq!(at_hub, bytes);
    desk.stop().await;
}
