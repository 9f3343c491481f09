//! The web console over raw HTTP: a real hub, real accounts in its store,
//! the console served on loopback, and requests as a browser (or an
//! attacker) would send them.

use reqwest::StatusCode;
use sanji_domain::case::{ActorRole, CaseStatus};
use sanji_node::accounts::Accounts;
use sanji_node::ops::{Action, CaseCommand};
use sanji_tests::Cluster;
use sanji_tests::desk::{Desk, hidden, location, text};
use sanji_web::Console;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_every_page_leads_to_sign_in() {
    let desk = Desk::start().await;
    let browser = desk.browser();
    for path in ["/", "/cases", "/cases/whatever", "/password"] {
        let response = browser.get(desk.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/login", "{path}");
    }
    let login = text(browser.get(desk.url("/login")).send().await.unwrap()).await;
    assert!(
        login.contains("用户名") && login.contains("密码"),
        "{login}"
    );
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_http_only_strict_and_useless_after_logout() {
    let desk = Desk::start().await;
    let browser = desk.browser();
    let response = desk
        .sign_in(&browser, "刘芳", &desk.passwords["刘芳"])
        .await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sanji_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_owned();

    let browser = desk.signed_in("王主任").await;
    let home = text(browser.get(desk.url("/")).send().await.unwrap()).await;
    assert!(
        home.contains("今日待办") && home.contains("王主任"),
        "{home}"
    );
    let csrf = hidden(&home, "csrf");
    let session_of_director = browser.get(desk.url("/")).send().await.unwrap().status();
    assert_eq!(session_of_director, StatusCode::OK);
    let out = browser
        .post(desk.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);

    // The operator's old cookie, replayed by hand after she signs out too.
    let replay = desk.browser();
    let ok = replay
        .get(desk.url("/password"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK, "live before logout");
    let page = text(ok).await;
    let csrf = hidden(&page, "csrf");
    let out = replay
        .post(desk.url("/logout"))
        .header("cookie", &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = replay
        .get(desk.url("/"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&after).starts_with("/login"),
        "{}",
        location(&after)
    );

    let record = Accounts::new(desk.cluster.hub_store().clone())
        .audit()
        .unwrap();
    assert!(record.iter().any(|e| e.login == "刘芳"
        && e.what == sanji_node::accounts::AuditKind::Logout
        && e.address == "127.0.0.1"));
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixth_wrong_password_is_refused_even_with_the_right_one() {
    let desk = Desk::start().await;
    let browser = desk.browser();
    for _ in 0..5 {
        let response = desk.sign_in(&browser, "刘芳", "not-it").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = desk
        .sign_in(&browser, "刘芳", &desk.passwords["刘芳"])
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let page = text(response).await;
    assert!(
        page.contains("已锁定") && page.contains("15 分钟"),
        "{page}"
    );
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_csrf_token_and_steps_the_role_may_not_take_write_nothing() {
    let desk = Desk::start().await;
    let case = desk.register("吴春生").await;
    let operator = desk.signed_in("刘芳").await;
    let page = text(
        operator
            .get(desk.url(&format!("/cases/{case}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("受理") && page.contains("不予受理"), "{page}");
    let before = desk.hub_head();

    // No token, then someone else's token: refused, nothing written.
    for csrf in [None, Some("0".repeat(64))] {
        let mut form = vec![("reason", "不属受理范围".to_owned())];
        form.extend(csrf.map(|c| ("csrf", c)));
        let response = operator
            .post(desk.url(&format!("/cases/{case}/steps/not_accept")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(text(response).await.contains("表单已过期"));
    }
    assert_eq!(desk.hub_head(), before);

    // The operator accepts and assigns; the approval form is not offered to her,
    // and her approve request, sent anyway, is refused in the domain's words.
    let csrf = hidden(&page, "csrf");
    let accept = operator
        .post(desk.url(&format!("/cases/{case}/steps/accept")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(accept.status(), StatusCode::SEE_OTHER);
    let assign = operator
        .post(desk.url(&format!("/cases/{case}/steps/assign")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("unit", "司法所"),
            ("village", ""),
            ("person", "孙立"),
            ("deadline", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(assign.status(), StatusCode::SEE_OTHER);
    let page = text(
        operator
            .get(desk.url(&format!("/cases/{case}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("分流待审批"), "{page}");
    assert!(
        !page.contains("/steps/approve"),
        "approval offered to the operator"
    );
    let before = desk.hub_head();
    let approve = operator
        .post(desk.url(&format!("/cases/{case}/steps/approve")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), StatusCode::CONFLICT);
    let refused = text(approve).await;
    assert!(
        refused.contains("中心主任") && refused.contains("总台无权办理"),
        "{refused}"
    );
    assert_eq!(desk.hub_head(), before);

    // A bad field is named next to the field, and nothing is written.
    let director = desk.signed_in("王主任").await;
    let page = text(
        director
            .get(desk.url(&format!("/cases/{case}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let csrf = hidden(&page, "csrf");
    let extend = director
        .post(desk.url(&format!("/cases/{case}/steps/extend")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("days", "十"),
            ("reason", "需鉴定"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(extend.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(extend).await.contains("不是天数"));
    assert_eq!(desk.hub_head(), before);
    let approve = director
        .post(desk.url(&format!("/cases/{case}/steps/approve")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), StatusCode::SEE_OTHER);
    let file = desk.cluster.hub_store().entity(case).unwrap().unwrap();
    match file.state {
        sanji_domain::EntityState::Case(f) => assert_eq!(f.status, CaseStatus::Assigned),
        other => panic!("{other:?}"),
    }
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_unit_staff_see_and_work_only_their_units_cases() {
    let desk = Desk::start().await;
    let ours = desk.register("吴春生").await;
    let theirs = desk.register("钱多多").await;
    for (case, unit) in [(ours, "司法所"), (theirs, "派出所")] {
        desk.act(
            "刘芳",
            ActorRole::Operator,
            Action::CaseStep {
                case: case.to_string(),
                command: CaseCommand::Accept,
            },
        )
        .await;
        desk.act(
            "王主任",
            ActorRole::Director,
            Action::CaseStep {
                case: case.to_string(),
                command: CaseCommand::Assign {
                    unit: Some(unit.into()),
                    village: None,
                    person: "承办人".into(),
                    deadline: None,
                },
            },
        )
        .await;
    }
    let staff = desk.signed_in("孙立").await;
    let list = text(staff.get(desk.url("/cases")).send().await.unwrap()).await;
    assert!(
        list.contains("吴春生") && !list.contains("钱多多"),
        "{list}"
    );
    let forbidden = staff
        .get(desk.url(&format!("/cases/{theirs}")))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let page = text(
        staff
            .get(desk.url(&format!("/cases/{ours}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("记录调处进展") && !page.contains("/steps/accept"),
        "{page}"
    );
    let csrf = hidden(&page, "csrf");
    let before = desk.hub_head();
    let across = staff
        .post(desk.url(&format!("/cases/{theirs}/steps/progress")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "people"),
            ("note", "越权"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(across.status(), StatusCode::FORBIDDEN);
    assert_eq!(desk.hub_head(), before);
    let progress = staff
        .post(desk.url(&format!("/cases/{ours}/steps/progress")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "人民调解"),
            ("note", "已约双方面谈"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(progress.status(), StatusCode::SEE_OTHER);
    assert_eq!(desk.hub_head(), before + 1);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_named_like_a_script_is_shown_as_text() {
    let desk = Desk::start().await;
    let case = desk.register("<script>alert(1)</script>").await;
    let operator = desk.signed_in("刘芳").await;
    for path in [
        format!("/cases/{case}"),
        "/cases".to_owned(),
        "/".to_owned(),
    ] {
        let page = text(operator.get(desk.url(&path)).send().await.unwrap()).await;
        assert!(!page.contains("<script>alert(1)"), "{path}: {page}");
        if path != "/" {
            assert!(
                page.contains("&#60;script&#62;alert(1)")
                    || page.contains("&lt;script&gt;alert(1)"),
                "{path}: {page}"
            );
        }
    }
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_refused_off_loopback() {
    let cluster = Cluster::start().await;
    let refused = sanji_web::start(
        Console::new(cluster.hub().operations.clone(), false),
        "0.0.0.0:0",
        None,
    )
    .await
    .err()
    .expect("refused");
    assert!(refused.to_string().contains("回环"), "{refused}");
    cluster.shutdown().await;
}

/// Over HTTPS the console presents the hub's own certificate: a PC that
/// trusts only the county CA connects without a warning under a name the
/// certificate lists, the session cookie is `Secure`, and a configured name
/// the certificate lacks is refused at start, naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_a_pc_trusting_the_county_ca_reaches_the_console() {
    use http_body_util::BodyExt;
    let cluster = Cluster::start().await;
    let hub = cluster.hub();
    let certs = cluster.certs(&sanji_tests::township());
    let missing = sanji_web::start(
        Console::new(hub.operations.clone(), true),
        "127.0.0.1:0",
        Some((&certs, &["hub.360123100.gov".to_owned()])),
    )
    .await
    .err()
    .expect("a name the certificate lacks is refused");
    assert!(
        missing.to_string().contains("hub.360123100.gov")
            && missing.to_string().contains("重新签发"),
        "{missing}"
    );
    let console = sanji_web::start(
        Console::new(hub.operations.clone(), true),
        "127.0.0.1:0",
        Some((&certs, &["localhost".to_owned()])),
    )
    .await
    .expect("served over HTTPS");
    assert!(
        console.url.starts_with("https://localhost:"),
        "{}",
        console.url
    );

    // The PC's browser: the county CA as its only root, the name it typed.
    let mut roots = rustls::RootCertStore::empty();
    for ca in rustls_pemfile::certs(&mut certs.ca_pem.as_bytes()) {
        roots.add(ca.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(console.addr).await.unwrap();
    let stream = tokio_rustls::TlsConnector::from(std::sync::Arc::new(tls))
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .expect("the certificate verifies against the county CA");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let response = sender
        .send_request(
            hyper::Request::get("/login")
                .header("host", "localhost")
                .body(http_body_util::Empty::<hyper::body::Bytes>::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let page = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&page).contains("请用本人账号登录"));
    console.stop().await;
    cluster.shutdown().await;
}
