//! The directory of names (名录), the director's account page and the
//! county's hand-downs, over raw HTTP against a real hub and county: what
//! the directory does not hold is refused and nothing is written; only the
//! director (the county office at the county) manages accounts and the
//! directory; a disabled or reset account's session ends.

use reqwest::StatusCode;
use sanji_domain::case::ActorRole;
use sanji_domain::{Code, Origin};
use sanji_node::accounts::{Accounts, AuditKind};
use sanji_node::directory::{Directory, DirectoryEdit};
use sanji_node::ops::{Action, CaseCommand};
use sanji_store::Store;
use sanji_tests::county;
use sanji_tests::desk::{Desk, hidden, location, text};

/// The events people's actions wrote in a node's own ledger.
fn own_head(store: &Store, node: Code) -> u64 {
    sanji_tests::written_by_people(store, &Origin::node(node))
}

/// A registered, accepted case at the hub.
async fn accepted_case(desk: &Desk, party: &str) -> uuid::Uuid {
    let case = desk.register(party).await;
    desk.act(
        "刘芳",
        ActorRole::Operator,
        Action::CaseStep {
            case: case.to_string(),
            command: CaseCommand::Accept,
        },
    )
    .await;
    case
}

async fn page_of(browser: &reqwest::Client, url: String) -> String {
    let response = browser.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    text(response).await
}

async fn post(
    browser: &reqwest::Client,
    url: String,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    browser.post(url).form(fields).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_to_a_village_or_unit_not_in_the_directory_is_refused_and_nothing_written() {
    let desk = Desk::start().await;
    let case = accepted_case(&desk, "吴春生").await;
    let director = desk.signed_in("王主任").await;
    let file = page_of(&director, desk.url(&format!("/cases/{case}"))).await;
    // The form offers the directory's villages by name and its units.
    assert!(
        file.contains(r#"<option value="360123100201" >东山村(360123100201)</option>"#),
        "{file}"
    );
    assert!(
        file.contains(r#"<option value="司法所" >司法所</option>"#),
        "{file}"
    );
    assert!(
        file.contains("发生地</dt><dd>东山村(360123100201)"),
        "{file}"
    );
    let csrf = hidden(&file, "csrf");
    let assign = desk.url(&format!("/cases/{case}/steps/assign"));
    let before = desk.hub_head();

    // A village code of this township that the directory does not hold.
    let refused = post(
        &director,
        assign.clone(),
        &[
            ("csrf", &csrf),
            ("village", "360123100299"),
            ("person", "李明"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(refused).await;
    assert!(
        page.contains("村代码 360123100299 不在本镇名录中;可分流的村:东山村(360123100201)"),
        "{page}"
    );
    assert!(
        page.contains(r#"class="field-error""#),
        "shown at the field: {page}"
    );
    // A unit that does not exist.
    let refused = post(
        &director,
        assign.clone(),
        &[("csrf", &csrf), ("unit", "信访办"), ("person", "李明")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(refused).await;
    assert!(
        page.contains(
            "成员单位「信访办」不在本镇名录中;可分流的成员单位:法庭、劳动保障所、派出所、司法所"
        ),
        "{page}"
    );
    // A village taken out of use.
    Directory::new(desk.cluster.hub_store().clone())
        .edit(
            DirectoryEdit::RetirePlace {
                code: "360123100202".into(),
            },
            0,
            "测试",
        )
        .unwrap();
    let refused = post(
        &director,
        assign.clone(),
        &[
            ("csrf", &csrf),
            ("village", "360123100202"),
            ("person", "李明"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(refused).await;
    assert!(
        page.contains("西岭村(360123100202) 已在本镇名录中停用"),
        "{page}"
    );
    assert_eq!(
        desk.hub_head(),
        before,
        "nothing written for refused assignments"
    );

    // A village the directory holds: assigned, and shown by its name.
    let done = post(
        &director,
        assign,
        &[
            ("csrf", &csrf),
            ("village", "360123100201"),
            ("person", "李明"),
        ],
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(desk.hub_head(), before + 1);
    let file = page_of(&director, desk.url(&format!("/cases/{case}"))).await;
    assert!(
        file.contains("东山村工作站(360123100201)(承办人 李明"),
        "{file}"
    );
    let list = page_of(&director, desk.url("/cases?q=东山")).await;
    assert!(
        list.contains("吴春生") && list.contains("东山村工作站"),
        "{list}"
    );
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_whose_directory_is_empty_refuses_every_assignment_until_it_is_set_up() {
    let desk = Desk::start().await;
    let case = accepted_case(&desk, "吴春生").await;
    let directory = Directory::new(desk.cluster.hub_store().clone());
    let listing = directory.listing().unwrap();
    for village in listing.villages {
        let code = village.code.to_string();
        directory
            .edit(DirectoryEdit::RetirePlace { code }, 0, "测试")
            .unwrap();
    }
    for name in listing.units {
        directory
            .edit(DirectoryEdit::RetireUnit { name }, 0, "测试")
            .unwrap();
    }
    let director = desk.signed_in("王主任").await;
    let file = page_of(&director, desk.url(&format!("/cases/{case}"))).await;
    let before = desk.hub_head();
    let refused = post(
        &director,
        desk.url(&format!("/cases/{case}/steps/assign")),
        &[
            ("csrf", &hidden(&file, "csrf")),
            ("unit", "司法所"),
            ("person", "孙立"),
        ],
    )
    .await;
    let page = text(refused).await;
    assert!(
        page.contains("本镇名录中还没有登记村和成员单位,无法分流;请中心主任先在「名录」中登记"),
        "{page}"
    );
    assert_eq!(desk.hub_head(), before);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_down_to_a_township_not_in_the_directory_is_refused_and_the_county_sees_its_standing()
 {
    let desk = Desk::start().await;
    let county_office = desk.signed_in("周明").await;
    let form = page_of(&county_office, desk.county_url("/handdown")).await;
    assert!(
        form.contains(r#"<option value="360123100" >石门镇(360123100)</option>"#),
        "{form}"
    );
    assert!(form.contains("登记日期起 15 日内决定是否受理"), "{form}");
    let csrf = hidden(&form, "csrf");
    let fields = |township: &'static str, claim: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("township", township.to_owned()),
            ("category", "land".to_owned()),
            ("parties", "周大山、周小河".to_owned()),
            ("people_involved", "2".to_owned()),
            ("claim", claim.to_owned()),
            ("note", "请石门镇十五日内调处并报结果。".to_owned()),
        ]
    };
    let before = own_head(desk.cluster.county_store(), county());

    let send = |form: Vec<(&'static str, String)>| {
        let request = county_office.post(desk.county_url("/handdown")).form(&form);
        async move { request.send().await.unwrap() }
    };
    // A township code of this county that the directory does not hold.
    let refused = send(fields("360123199", "要求调处山林界址")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(refused).await;
    assert!(
        page.contains(
            "乡镇代码 360123199 不在本县名录中;可交办的乡镇:石门镇(360123100)、桥头镇(360123101)"
        ),
        "{page}"
    );
    assert!(
        page.contains("周大山、周小河"),
        "what was typed stays: {page}"
    );
    // A missing claim is named at its field.
    let refused = send(fields("360123100", "")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A 办结期限 before the day it is registered is named at its field.
    let mut early = fields("360123100", "要求调处山林界址");
    early.push(("registered_on", "2026-11-20".to_owned()));
    early.push(("deadline", "2026-11-10".to_owned()));
    let refused = send(early).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(refused).await;
    assert!(
        page.contains("办结期限不能早于登记日期") && page.contains(r#"value="2026-11-10""#),
        "named at its field, what was typed kept: {page}"
    );
    assert_eq!(
        own_head(desk.cluster.county_store(), county()),
        before,
        "nothing written for refused hand-downs"
    );

    let done = send(fields("360123100", "要求调处山林界址")).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert!(location(&done).starts_with("/handdowns?done="));
    assert_eq!(own_head(desk.cluster.county_store(), county()), before + 1);
    let standing = page_of(&county_office, desk.county_url(&location(&done))).await;
    assert!(
        standing.contains("石门镇(360123100)")
            && standing.contains("请石门镇十五日内调处并报结果。")
            && standing.contains("尚未受理"),
        "{standing}"
    );
    // The county's home page is about its townships, not a township's to-do list.
    let home = page_of(&county_office, desk.county_url("/")).await;
    assert!(
        home.contains("今日概览")
            && home.contains("月报表报送")
            && !home.contains("待中心主任审批"),
        "{home}"
    );
    let waiting = section(&home, "交办后乡镇尚未受理");
    assert!(
        waiting.contains("石门镇(360123100)") && waiting.contains("请石门镇十五日内调处并报结果。"),
        "{waiting}"
    );

    // The hub takes it in, the operator accepts it, the county hears back.
    desk.cluster.forward().await;
    let handed: Vec<sanji_node::views::HandDownRow> = serde_json::from_value(
        desk.cluster
            .hub()
            .operations
            .query(sanji_node::ops::Query::HandDowns)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(handed.len(), 1, "the hub holds the hand-down");
    desk.act(
        "刘芳",
        ActorRole::Operator,
        Action::CaseStep {
            case: handed[0].id.to_string(),
            command: CaseCommand::Accept,
        },
    )
    .await;
    desk.cluster.forward().await;
    let standing = page_of(&county_office, desk.county_url("/handdowns")).await;
    assert!(
        standing.contains("已受理") && standing.contains("刘芳 · "),
        "{standing}"
    );
    let home = page_of(&county_office, desk.county_url("/")).await;
    assert!(
        !section(&home, "交办后乡镇尚未受理").contains("石门镇"),
        "accepted, so off the home page's waiting list: {home}"
    );
    // The township's case file shows the leader's instruction.
    let operator = desk.signed_in("刘芳").await;
    let file = page_of(&operator, desk.url(&format!("/cases/{}", handed[0].id))).await;
    assert!(file.contains("周明交办给 360123100"), "{file}");
    assert!(
        file.contains("批示:请石门镇十五日内调处并报结果。"),
        "{file}"
    );
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_director_adds_resets_and_disables_accounts_and_their_sessions_end() {
    let desk = Desk::start().await;
    let operator = desk.signed_in("刘芳").await;
    let staff = desk.signed_in("孙立").await;
    let director = desk.signed_in("王主任").await;
    let accounts = page_of(&director, desk.url("/accounts")).await;
    assert!(
        accounts.contains("刘芳") && accounts.contains("周警官") && accounts.contains("司法所"),
        "{accounts}"
    );
    let csrf = hidden(&accounts, "csrf");

    // A new account: its one-time password shown once, and it signs in.
    let added = post(
        &director,
        desk.url("/accounts/add"),
        &[
            ("csrf", &csrf),
            ("name", "李四"),
            ("login", "lisi"),
            ("role", "unit_staff"),
            ("unit", "派出所"),
        ],
    )
    .await;
    assert_eq!(added.status(), StatusCode::OK);
    let page = text(added).await;
    let marker = r#"id="one-time-password">"#;
    let start = page.find(marker).expect("the one-time password is shown") + marker.len();
    let password = page[start..start + page[start..].find('<').unwrap()].to_owned();
    assert_eq!(password.chars().count(), 12, "{page}");
    let again = page_of(&director, desk.url("/accounts")).await;
    assert!(!again.contains(&password), "shown only once");
    let newcomer = desk.browser();
    let signed = desk.sign_in(&newcomer, "lisi", &password).await;
    assert_eq!(location(&signed), "/password", "the new account signs in");
    let made = Accounts::new(desk.cluster.hub_store().clone());
    assert_eq!(
        made.get("lisi").unwrap().unwrap().unit.as_deref(),
        Some("派出所")
    );

    // A unit staff account without a unit is refused at the field.
    let refused = post(
        &director,
        desk.url("/accounts/add"),
        &[("csrf", &csrf), ("name", "王五"), ("role", "unit_staff")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(refused)
            .await
            .contains("成员单位工作人员须写明所属单位")
    );
    assert!(made.get("王五").unwrap().is_none());
    // Nor is a unit the directory does not hold (a forged choice), named with the units it has.
    let refused = post(
        &director,
        desk.url("/accounts/add"),
        &[
            ("csrf", &csrf),
            ("name", "赵六"),
            ("role", "unit_staff"),
            ("unit", "信访办"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(refused).await;
    assert!(
        page.contains(
            "成员单位「信访办」不在本镇名录中;可选的成员单位:法庭、劳动保障所、派出所、司法所"
        ),
        "{page}"
    );
    assert!(made.get("赵六").unwrap().is_none());

    // 孙立 is disabled: his open session ends, and he cannot sign in.
    assert_eq!(
        staff.get(desk.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let disabled = post(
        &director,
        desk.url("/accounts/disabled"),
        &[("csrf", &csrf), ("login", "孙立"), ("disabled", "true")],
    )
    .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    assert!(text(disabled).await.contains("已停用 孙立 的账号"));
    let ended = staff.get(desk.url("/")).send().await.unwrap();
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ended), "/login");
    let retry = desk.browser();
    let login = desk.sign_in(&retry, "孙立", "一二三四五六七八").await;
    assert!(text(login).await.contains("账号已停用"));

    // 刘芳's password is reset: her open session ends too, even once the
    // account is in use again.
    let reset = post(
        &director,
        desk.url("/accounts/reset"),
        &[("csrf", &csrf), ("login", "刘芳")],
    )
    .await;
    assert_eq!(reset.status(), StatusCode::OK);
    assert!(text(reset).await.contains("刘芳(用户名 刘芳)的一次性密码"));
    let ended = operator.get(desk.url("/cases")).send().await.unwrap();
    assert_eq!(location(&ended), "/login");

    // Each change is recorded as the director's.
    let audit = made.audit().unwrap();
    for (login, what) in [
        ("lisi", AuditKind::Created),
        ("孙立", AuditKind::Disabled),
        ("刘芳", AuditKind::Reset),
    ] {
        assert!(
            audit
                .iter()
                .any(|e| e.login == login && e.what == what && e.address == "王主任(中心主任)"),
            "{login} {what:?}: {audit:?}"
        );
    }
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_director_manages_accounts_and_the_directory() {
    let desk = Desk::start().await;
    let hub = desk.cluster.hub_store().clone();
    let listing_before = Directory::new(hub.clone()).listing().unwrap();
    for name in ["刘芳", "孙立"] {
        let person = desk.signed_in(name).await;
        let denied = person.get(desk.url("/accounts")).send().await.unwrap();
        assert_eq!(denied.status(), StatusCode::FORBIDDEN, "{name}");
        assert!(text(denied).await.contains("中心主任"), "{name}");
        // The directory is there to read, without its forms.
        let directory = page_of(&person, desk.url("/directory")).await;
        assert!(directory.contains("东山村") && directory.contains("司法所"));
        assert!(!directory.contains("登记村</button>"), "{directory}");
        let csrf = hidden(&directory, "csrf");
        let added = post(
            &person,
            desk.url("/accounts/add"),
            &[("csrf", &csrf), ("name", "张三"), ("role", "director")],
        )
        .await;
        assert_eq!(added.status(), StatusCode::FORBIDDEN, "{name}");
        for fields in [
            vec![
                ("kind", "village"),
                ("code", "360123100211"),
                ("name", "新村"),
            ],
            vec![("kind", "retire_unit"), ("name", "司法所")],
        ] {
            let mut fields = fields;
            fields.push(("csrf", &csrf));
            let edit = post(&person, desk.url("/directory/edit"), &fields).await;
            assert_eq!(edit.status(), StatusCode::FORBIDDEN, "{name} {fields:?}");
        }
        let reset = post(
            &person,
            desk.url("/accounts/reset"),
            &[("csrf", &csrf), ("login", "王主任")],
        )
        .await;
        assert_eq!(reset.status(), StatusCode::FORBIDDEN, "{name}");
    }
    let accounts = Accounts::new(hub.clone());
    assert!(accounts.get("张三").unwrap().is_none());
    assert!(
        !accounts
            .audit()
            .unwrap()
            .iter()
            .any(|e| e.what == AuditKind::Reset),
        "nobody's password was reset"
    );
    assert_eq!(
        Directory::new(hub.clone()).listing().unwrap(),
        listing_before
    );

    // The director edits it: a village of this township, named once.
    let director = desk.signed_in("王主任").await;
    let page = page_of(&director, desk.url("/directory")).await;
    let csrf = hidden(&page, "csrf");
    let edit = |code: &'static str, name: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("kind", "village".to_owned()),
            ("code", code.to_owned()),
            ("name", name.to_owned()),
        ]
    };
    let other_township = director
        .post(desk.url("/directory/edit"))
        .form(&edit("360123101211", "新村"))
        .send()
        .await
        .unwrap();
    assert_eq!(other_township.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(other_township)
            .await
            .contains("360123101211 不是 360123100 下辖的村")
    );
    let same_name = director
        .post(desk.url("/directory/edit"))
        .form(&edit("360123100211", "东山村"))
        .send()
        .await
        .unwrap();
    assert!(
        text(same_name)
            .await
            .contains("名称「东山村」已是 360123100201 的名称")
    );
    assert_eq!(
        Directory::new(hub.clone()).listing().unwrap(),
        listing_before
    );
    let added = director
        .post(desk.url("/directory/edit"))
        .form(&edit("360123100211", "新村"))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let listing = Directory::new(hub.clone()).listing().unwrap();
    assert_eq!(
        listing.name_of(&sanji_tests::code("360123100211")),
        Some("新村")
    );
    desk.stop().await;
}

/// The part of a page from the heading `title` to the end of its section.
fn section<'a>(page: &'a str, title: &str) -> &'a str {
    let start = page
        .find(title)
        .unwrap_or_else(|| panic!("no section {title}: {page}"));
    let end = start
        + page[start..]
            .find("</section>")
            .unwrap_or(page.len() - start);
    &page[start..end]
}
