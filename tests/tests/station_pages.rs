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
    assert!(
        text(refused)
            .await
            .contains(sanji_web::station::SHORTCUT_NAME)
    );

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
    let page = desk.page(&clerk, "/").await;
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

/// The part of `page` from the input named `name` to the next input or
/// text area: where that field's own error is drawn.
fn around_field<'a>(page: &'a str, name: &str) -> &'a str {
    let marker = format!("name=\"{name}\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {page}"));
    let rest = &page[start + marker.len()..];
    let end = rest.find("name=\"").unwrap_or(rest.len());
    &rest[..end]
}

fn today() -> String {
    sanji_domain::time::cst_date(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64,
    )
    .to_string()
}

fn screening_form<'a>(day: &'a str, people: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("screened_on", day),
        ("screener", "李明"),
        ("category", "land"),
        ("risk", "severe"),
        ("party", "张德全"),
        ("contact", "13800000001"),
        ("others", "张德福、王秀英"),
        ("people_involved", people),
        ("mass_incident_risk", "true"),
        ("description", "两户因山林界址争执,已聚集三十余人"),
        ("measures", "村两委已到场劝解"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screening_typed_on_the_form_is_stored_and_a_bad_field_is_marked_beside_it() {
    let mut desk = StationDesk::start().await;
    // The village is offline until the test says otherwise: the background
    // sync cannot deliver the screening behind the test's back.
    desk.cluster.stop_hub().await;
    let clerk = desk.signed_in().await;
    let today = today();

    let form = desk.page(&clerk, "/screenings/new").await;
    assert!(form.contains("data-page=\"screening-new\""), "{form}");
    assert!(
        form.contains(&format!("name=\"screened_on\" value=\"{today}\"")),
        "today by default: {form}"
    );
    for label in ["土地山林水利", "婚姻家庭邻里", "一般", "较大", "重大"] {
        assert!(
            form.contains(&format!(">{label}</option>")),
            "{label}: {form}"
        );
    }

    // A refused field: 422, the domain's words beside that field, what was
    // typed kept, nothing stored.
    let bad = desk
        .post(&clerk, "/screenings", &screening_form(&today, "0"))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(bad).await;
    let at = around_field(&page, "people_involved");
    assert!(
        at.contains("class=\"field-error\"") && at.contains("人数须在 1 到"),
        "{at}"
    );
    assert!(!around_field(&page, "description").contains("field-error"));
    assert!(
        page.contains("两户因山林界址争执"),
        "typed text kept: {page}"
    );
    let future = desk
        .post(&clerk, "/screenings", &screening_form("2999-01-01", "30"))
        .await;
    assert_eq!(future.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(future).await;
    assert!(
        around_field(&page, "screened_on").contains("不能填写将来的日期"),
        "{page}"
    );
    let blank_party = {
        let mut fields = screening_form(&today, "30");
        fields.retain(|(k, _)| *k != "party");
        desk.post(&clerk, "/screenings", &fields).await
    };
    assert_eq!(blank_party.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(around_field(&text(blank_party).await, "party").contains("不能为空"));
    // Without the session's token: refused, nothing stored.
    let forged = clerk
        .post(desk.url("/screenings"))
        .form(&screening_form(&today, "30"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(desk.ledgers().await.screenings.is_empty(), "nothing stored");

    // A good one is in the station's ledger, every field as typed.
    let saved = desk
        .post(&clerk, "/screenings", &screening_form(&today, "30"))
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let stored = desk.ledgers().await.screenings;
    assert_eq!(stored.len(), 1);
    let row = &stored[0];
    assert_eq!(row.village, desk.village);
    assert_eq!(row.screened_on.to_string(), today);
    assert_eq!(row.parties, ["张德全", "张德福", "王秀英"]);
    assert_eq!(row.people_involved, 30);
    assert_eq!(row.risk, sanji_domain::record::RiskLevel::Severe);
    assert!(row.mass_incident_risk && !row.may_escalate);
    assert_eq!(row.measures, "村两委已到场劝解");
    assert_eq!(location(&saved), format!("/screenings/{}?saved=1", row.id));

    // Saved: the 24-hour notice, until the hub has it.
    let shown = desk.page(&clerk, &location(&saved)).await;
    assert!(
        shown.contains("须在 24 小时内报到镇中心") && shown.contains("下次同步时"),
        "{shown}"
    );
    let home = desk.page(&clerk, "/").await;
    assert!(
        home.contains("id=\"urgent\"") && home.contains(&format!("/screenings/{}", row.id)),
        "the home page says so too: {home}"
    );
    desk.cluster.start_hub().await;
    desk.sync().await;
    let shown = desk.page(&clerk, &location(&saved)).await;
    assert!(shown.contains("已送达镇中心"), "{shown}");
    assert!(!shown.contains("须在 24 小时内"), "{shown}");
    let home = desk.page(&clerk, "/").await;
    assert!(
        !home.contains("id=\"urgent\""),
        "once the hub has it: {home}"
    );

    // The names typed are offered again on the next form.
    let next = desk.page(&clerk, "/screenings/new").await;
    for name in ["张德全", "王秀英"] {
        assert!(
            next.contains(&format!("<option value=\"{name}\">")),
            "{name}: {next}"
        );
    }
    assert!(next.contains("list=\"people\""), "{next}");

    // The list finds it by a name, by words, and not by what it lacks.
    for (q, found) in [("王秀英", true), ("界址", true), ("赵四", false)] {
        let list = desk
            .page(&clerk, &format!("/screenings?q={}", urlencode(q)))
            .await;
        assert_eq!(
            list.contains(&format!("/screenings/{}", row.id)),
            found,
            "{q}: {list}"
        );
    }
    let print = clerk
        .get(desk.url(&format!("/screenings/{}/print", row.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(print.status(), StatusCode::OK);
    let print = text(print).await;
    assert!(print.contains("不安定因素排查登记表") && print.contains("张德全、张德福、王秀英"));
    assert!(!print.contains("id=\"syncbar\""), "no sync bar on paper");
    desk.stop().await;
}

fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_answered_on_the_spot_and_one_turned_into_a_case_without_retyping() {
    let desk = StationDesk::start().await;
    let clerk = desk.signed_in().await;
    let today = today();
    let visit = |answer: &'static str, summary: &'static str| {
        vec![
            ("channel", "in_person"),
            ("visited_on", today.as_str()),
            ("receiver", "李明"),
            ("party", "刘桂兰"),
            ("people_count", "2"),
            ("category", "family_neighbour"),
            ("summary", summary),
            ("answer", answer),
        ]
    };
    let bad = desk.post(&clerk, "/visits", &visit("", "")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(bad).await;
    assert!(
        around_field(&page, "summary").contains("不能为空"),
        "{page}"
    );
    assert!(desk.ledgers().await.visits.is_empty());

    let answered = desk
        .post(
            &clerk,
            "/visits",
            &visit("已当场讲解赡养义务,本人表示满意", "询问老人赡养费怎么算"),
        )
        .await;
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    let open = desk
        .post(&clerk, "/visits", &visit("", "邻居扩建院墙占了自家通道"))
        .await;
    assert_eq!(open.status(), StatusCode::SEE_OTHER);
    let visits = desk.ledgers().await.visits;
    assert_eq!(visits.len(), 2);
    let open_visit = visits.iter().find(|v| v.answer.is_none()).unwrap();
    assert_eq!(open_visit.receiver, "李明");
    assert_eq!(open_visit.received_at, desk.village);

    // The case form says what the visit said; nothing to retype.
    let form = desk
        .page(&clerk, &format!("/visits/{}/case", open_visit.id))
        .await;
    assert!(form.contains("value=\"刘桂兰\""), "{form}");
    assert!(
        form.contains("邻居扩建院墙占了自家通道</textarea>"),
        "{form}"
    );
    let csrf = hidden(&form, "csrf");
    let registered = clerk
        .post(desk.url(&format!("/visits/{}/case", open_visit.id)))
        .form(&[
            ("csrf", csrf.as_str()),
            ("place", desk.village.as_str()),
            ("source", "visit"),
            ("category", "family_neighbour"),
            ("party", "刘桂兰"),
            ("people_involved", "2"),
            ("claim", "邻居扩建院墙占了自家通道"),
            ("first_receiver", "李明"),
            ("first_unit", "村综治信访维稳工作站"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::SEE_OTHER);
    let ledgers = desk.ledgers().await;
    assert_eq!(ledgers.cases.len(), 1);
    let case = &ledgers.cases[0];
    assert_eq!(case.parties, ["刘桂兰"]);
    assert_eq!(case.registered_on.to_string(), today);
    let became = ledgers
        .visits
        .iter()
        .find(|v| v.id == open_visit.id)
        .unwrap()
        .became_case;
    assert_eq!(became, Some(case.id), "from_record names the visit");

    // The list says which was answered and which became a case.
    let list = desk.page(&clerk, "/visits").await;
    assert!(
        list.contains("当场答复") && list.contains("已登记为案件"),
        "{list}"
    );
    let unanswered = desk.page(&clerk, "/visits?answered=no").await;
    assert!(!unanswered.contains("询问老人赡养费怎么算"), "{unanswered}");
    assert!(unanswered.contains("邻居扩建院墙"), "{unanswered}");
    let print = clerk
        .get(desk.url(&format!("/visits/{}/print", open_visit.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(print.status(), StatusCode::OK);
    assert!(text(print).await.contains("接访记录"));
    desk.stop().await;
}

fn hub_actor(role: sanji_domain::case::ActorRole, name: &str) -> sanji_node::ops::Actor {
    sanji_node::ops::Actor {
        name: name.into(),
        role,
        code: sanji_tests::township(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_registered_at_the_village_is_worked_there_once_the_township_assigns_it() {
    use sanji_domain::case::ActorRole;
    use sanji_node::ops::{Action, CaseCommand};
    let desk = StationDesk::start().await;
    let clerk = desk.signed_in().await;

    let form = desk.page(&clerk, "/cases/new").await;
    assert!(form.contains("data-page=\"case-new\""), "{form}");
    let case_form = |claim: &'static str| {
        vec![
            ("place", desk.village.as_str()),
            ("source", "visit"),
            ("category", "labour"),
            ("party", "陈建国"),
            ("contact", "13900000002"),
            ("others", "某建筑公司"),
            ("people_involved", "12"),
            ("claim", claim),
            ("first_receiver", "李明"),
            ("first_unit", "村综治信访维稳工作站"),
        ]
    };
    let bad = desk.post(&clerk, "/cases", &case_form("")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(around_field(&text(bad).await, "claim").contains("不能为空"));
    assert!(desk.ledgers().await.cases.is_empty());
    let saved = desk
        .post(&clerk, "/cases", &case_form("讨要拖欠的工资八万元"))
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let cases = desk.ledgers().await.cases;
    assert_eq!(cases.len(), 1);
    let case = cases[0].id;
    assert_eq!(cases[0].parties, ["陈建国", "某建筑公司"]);

    // Registered, not yet the township's: nothing for the village to do.
    let page = desk.page(&clerk, &format!("/cases/{case}")).await;
    assert!(!page.contains("/steps/"), "no step offered yet: {page}");
    let early = desk
        .post(
            &clerk,
            &format!("/cases/{case}/steps/progress"),
            &[("note", "已约双方面谈")],
        )
        .await;
    assert_eq!(early.status(), StatusCode::CONFLICT, "the rules refuse it");
    assert!(text(early).await.contains("此时不能"));

    // The township accepts it and assigns it to this village.
    desk.sync().await;
    let ops = &desk.cluster.hub().operations;
    let director = hub_actor(ActorRole::Director, "王主任");
    for command in [
        CaseCommand::Accept,
        CaseCommand::Assign {
            unit: None,
            village: Some(desk.village.clone()),
            person: "李明".into(),
            deadline: None,
        },
    ] {
        ops.act(
            &director,
            Action::CaseStep {
                case: case.to_string(),
                command,
            },
        )
        .await
        .expect("the township's step");
    }
    desk.sync().await;

    // Now the village is offered exactly what the rules allow it.
    let page = desk.page(&clerk, &format!("/cases/{case}")).await;
    assert!(
        page.contains(&format!("/cases/{case}/steps/progress")),
        "{page}"
    );
    assert!(
        page.contains(&format!("/cases/{case}/steps/resolve")),
        "{page}"
    );
    assert!(
        !page.contains("/steps/accept") && !page.contains("/steps/assign"),
        "{page}"
    );
    let deadline = desk.ledgers().await.cases[0]
        .deadline
        .expect("a deadline runs");
    assert!(
        page.contains(&format!("期限 {deadline}")),
        "the deadline shows: {page}"
    );

    let empty = desk
        .post(
            &clerk,
            &format!("/cases/{case}/steps/progress"),
            &[("note", "")],
        )
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(around_field(&text(empty).await, "note").contains("field-error"));
    let not_ours = desk
        .post(&clerk, &format!("/cases/{case}/steps/accept"), &[])
        .await;
    assert_eq!(not_ours.status(), StatusCode::CONFLICT);

    let progress = desk
        .post(
            &clerk,
            &format!("/cases/{case}/steps/progress"),
            &[("kind", "people"), ("note", "已约双方到村委会面谈")],
        )
        .await;
    assert_eq!(progress.status(), StatusCode::SEE_OTHER);
    let page = desk.page(&clerk, &location(&progress)).await;
    assert!(page.contains("已约双方到村委会面谈"), "on the file: {page}");
    let status = desk.ledgers().await.cases[0].status;
    assert_eq!(status, sanji_domain::case::CaseStatus::InMediation);

    // The list finds it by a party and by the case number the township gave.
    let number = desk.ledgers().await.cases[0]
        .case_number
        .clone()
        .expect("numbered");
    for q in ["陈建国", number.as_str(), "工资"] {
        let list = desk
            .page(&clerk, &format!("/cases?q={}", urlencode(q)))
            .await;
        assert!(list.contains(&format!("/cases/{case}")), "{q}: {list}");
    }
    let none = desk.page(&clerk, "/cases?q=%E8%B5%B5").await;
    assert!(!none.contains(&format!("/cases/{case}\"")), "{none}");
    let print = desk.page(&clerk, &format!("/cases/{case}/print")).await;
    assert!(
        print.contains("案件受理登记表") && print.contains(&number),
        "{print}"
    );
    assert!(
        print.contains("已约双方到村委会面谈"),
        "the file on paper: {print}"
    );
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_form_of_the_clerks_pages_stores_anything_without_the_sessions_token() {
    use sanji_node::station_api::{StationReply, StationRequest};
    let desk = StationDesk::start().await;
    let clerk = desk.signed_in().await;
    let on = desk.service.host.today();
    let mut ids = Vec::new();
    for request in [
        StationRequest::RecordVisit {
            by: None,
            visit: sanji_tests::visit(1, &desk.village, on),
        },
        StationRequest::RegisterCase {
            by: None,
            case: sanji_tests::case(1, &desk.village, on),
        },
    ] {
        match desk.service.host.handle(request).await.expect("recorded") {
            StationReply::Recorded { event } => ids.push(event.entity),
            other => panic!("{other:?}"),
        }
    }
    let (visit, case) = (ids[0], ids[1]);
    let before = desk.ledgers().await;
    let today = today();
    let registration = vec![
        ("place", desk.village.as_str()),
        ("source", "visit"),
        ("category", "other"),
        ("party", "赵四"),
        ("people_involved", "1"),
        ("claim", "修路灯"),
        ("first_receiver", "李明"),
        ("first_unit", "村综治信访维稳工作站"),
    ];
    for (path, fields) in [
        ("/screenings".to_owned(), screening_form(&today, "3")),
        (
            "/visits".to_owned(),
            vec![
                ("channel", "phone"),
                ("visited_on", today.as_str()),
                ("receiver", "李明"),
                ("party", "赵四"),
                ("people_count", "1"),
                ("category", "other"),
                ("summary", "反映路灯不亮"),
            ],
        ),
        ("/cases".to_owned(), registration.clone()),
        (format!("/visits/{visit}/case"), registration.clone()),
        (
            format!("/cases/{case}/steps/progress"),
            vec![("note", "已约谈")],
        ),
    ] {
        for token in [None, Some("0")] {
            let mut form = fields.clone();
            if let Some(token) = token {
                form.push(("csrf", token));
            }
            let refused = clerk
                .post(desk.url(&path))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path} {token:?}");
        }
    }
    let after = desk.ledgers().await;
    assert_eq!(after.screenings.len(), before.screenings.len());
    assert_eq!(after.visits.len(), before.visits.len());
    assert_eq!(after.cases.len(), before.cases.len());
    assert_eq!(
        after.visits[0].became_case, None,
        "the visit did not become a case"
    );
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_store_waits_for_its_passphrase_every_page_leads_to_the_prompt() {
    let desk = StationDesk::start_locked().await;
    let clerk = desk.signed_in().await;
    let home = desk.page(&clerk, "/").await;
    assert!(
        home.contains("输入口令") && home.contains("id=\"unlock\""),
        "{home}"
    );
    for path in ["/screenings", "/screenings/new", "/visits/new", "/cases"] {
        let sent = clerk.get(desk.url(path)).send().await.unwrap();
        assert_eq!(sent.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&sent), "/", "{path}");
    }
    desk.stop().await;
}
