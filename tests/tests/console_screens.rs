//! The console's screening, arrival, station, conflict and visit pages over
//! raw HTTP: a real hub and county, a real station that syncs, real
//! accounts, and requests as a browser (or a curious operator) sends them.

use reqwest::StatusCode;
use sanji_domain::case::{ActorRole, MediationKind};
use sanji_domain::fold::EntityState;
use sanji_domain::record::{Party, RiskLevel, Screening};
use sanji_node::ops::{Action, CaseCommand, Query};
use sanji_node::views::ScreeningRow;
use sanji_tests::desk::{Desk, hidden, location, text};
use sanji_tests::{station_today, village};
use uuid::Uuid;

const SCRIPT: &str = "<script>alert(1)</script>";

/// A 重大 screening with mass-incident risk, recorded at village 1.
fn severe(party: &str, on: chrono::NaiveDate) -> Screening {
    let mut s = sanji_tests::screening(0, &village(1), on);
    s.risk = RiskLevel::Severe;
    s.mass_incident_risk = true;
    s.parties[0].name = party.to_owned();
    s.description = "两组村民因山林界址争执,扬言聚集上访。".into();
    s
}

fn cases_held(desk: &Desk) -> Vec<(Uuid, Option<Uuid>)> {
    desk.cluster
        .hub_store()
        .entities()
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.state {
            EntityState::Case(f) => Some((e.id, f.registration.from_record)),
            _ => None,
        })
        .collect()
}

async fn page(browser: &reqwest::Client, desk: &Desk, path: &str) -> String {
    let response = browser.get(desk.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    text(response).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_director_signs_off_and_the_signature_reaches_the_county() {
    let desk = Desk::start().await;
    let station = desk.cluster.open_station(&village(1));
    let screening = station
        .record_screening(None, severe("黄大年", station_today(&station)))
        .unwrap()
        .entity;
    station.sync(3).await.unwrap();
    desk.cluster.forward().await;

    // The operator sees it waiting for the director, with no form to sign.
    let operator = desk.signed_in("刘芳").await;
    let list = page(&operator, &desk, "/screenings").await;
    let queue = &list[list.find("待中心主任签字").unwrap()..list.find("排查台账").unwrap()];
    assert!(
        queue.contains(&format!("/screenings/{screening}")),
        "{queue}"
    );
    let one = page(&operator, &desk, &format!("/screenings/{screening}")).await;
    assert!(one.contains("黄大年") && one.contains("未签字"), "{one}");
    assert!(
        !one.contains("/sign-off"),
        "no sign-off form offered: {one}"
    );

    // Posting one anyway is refused in the domain's words; nothing is written.
    let before = desk.hub_head();
    let csrf = hidden(&one, "csrf");
    let refused = operator
        .post(desk.url(&format!("/screenings/{screening}/sign-off")))
        .form(&[("csrf", csrf.as_str()), ("note", "我替主任签")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = text(refused).await;
    assert!(
        refused.contains("「排查签字」须由中心主任进行"),
        "{refused}"
    );
    assert_eq!(desk.hub_head(), before, "nothing written");

    // The director signs from the same page.
    let director = desk.signed_in("王主任").await;
    let one = page(&director, &desk, &format!("/screenings/{screening}")).await;
    assert!(one.contains("/sign-off"), "{one}");
    let signed = director
        .post(desk.url(&format!("/screenings/{screening}/sign-off")))
        .form(&[
            ("csrf", hidden(&one, "csrf").as_str()),
            ("note", "已阅,请村里每日报告。"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let one = page(&director, &desk, &location(&signed)).await;
    assert!(
        one.contains("王主任") && one.contains("签字") && one.contains("已阅,请村里每日报告。"),
        "{one}"
    );
    assert!(!one.contains("/sign-off\""), "signed once: {one}");
    let list = page(&operator, &desk, "/screenings").await;
    let queue = &list[list.find("待中心主任签字").unwrap()..list.find("排查台账").unwrap()];
    assert!(queue.contains("没有待签字的排查"), "{queue}");

    // The county's copy carries the signature, with the time it was made.
    desk.cluster.forward().await;
    let at_hub: ScreeningRow = serde_json::from_value(
        desk.cluster
            .hub()
            .operations
            .query(Query::Screening { screening })
            .await
            .unwrap(),
    )
    .unwrap();
    let severe: Vec<ScreeningRow> = serde_json::from_value(
        desk.cluster
            .county()
            .operations
            .query(Query::Severe {
                village: None,
                since: None,
            })
            .await
            .unwrap(),
    )
    .unwrap();
    let at_county = severe.iter().find(|s| s.id == screening).expect("reported");
    assert_eq!(at_county.signed_off_by.as_deref(), Some("王主任"));
    assert_eq!(at_county.signed_off_at_ms, at_hub.signed_off_at_ms);
    // And the village, which pulls the hub's signature and the outbox's copy,
    // holds one signature and no conflict.
    station.sync(3).await.unwrap();
    let at_village = station.store().entity(screening).unwrap().unwrap();
    assert!(
        at_village.conflicts.is_empty(),
        "{:?}",
        at_village.conflicts
    );
    assert!(matches!(at_village.state, EntityState::Screening(s) if s.signed_off.is_some()));
    drop(station);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converting_a_screening_makes_exactly_one_case() {
    let desk = Desk::start().await;
    let station = desk.cluster.open_station(&village(1));
    let screening = station
        .record_screening(None, severe("黄大年", station_today(&station)))
        .unwrap()
        .entity;
    station.sync(3).await.unwrap();

    let operator = desk.signed_in("刘芳").await;
    let one = page(&operator, &desk, &format!("/screenings/{screening}")).await;
    // The claim starts as what the village wrote: nothing to retype.
    assert!(
        one.contains("两组村民因山林界址争执,扬言聚集上访。</textarea>"),
        "{one}"
    );
    let csrf = hidden(&one, "csrf");
    let convert = |claim: &'static str| {
        operator
            .post(desk.url(&format!("/screenings/{screening}/convert")))
            .form(&[("csrf", csrf.clone()), ("claim", claim.to_owned())])
            .send()
    };
    let done = convert("要求镇里划定山林界址。").await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let cases = cases_held(&desk);
    assert_eq!(cases.len(), 1);
    let (case, from) = cases[0];
    assert_eq!(from, Some(screening));
    let one = page(&operator, &desk, &location(&done)).await;
    assert!(
        one.contains("已转为案件") && one.contains(&format!("href=\"/cases/{case}\"")),
        "{one}"
    );
    assert!(!one.contains("/convert\""), "no second form: {one}");
    let file = page(&operator, &desk, &format!("/cases/{case}")).await;
    assert!(
        file.contains("黄大年")
            && file.contains("排查转案")
            && file.contains("要求镇里划定山林界址。"),
        "{file}"
    );

    let before = desk.hub_head();
    let again = convert("再转一次").await.unwrap();
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    assert!(text(again).await.contains("已转为案件"));
    assert_eq!(cases_held(&desk).len(), 1);
    assert_eq!(desk.hub_head(), before, "nothing written");

    // An empty claim is named next to its field, and nothing is written.
    let other = station
        .record_screening(None, severe("蒋文", station_today(&station)))
        .unwrap()
        .entity;
    station.sync(3).await.unwrap();
    let empty = operator
        .post(desk.url(&format!("/screenings/{other}/convert")))
        .form(&[("csrf", csrf.as_str()), ("claim", "  ")])
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let empty = text(empty).await;
    assert!(
        empty.contains("class=\"field-error\" role=\"alert\">不能为空"),
        "{empty}"
    );
    assert_eq!(cases_held(&desk).len(), 1);
    drop(station);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_list_a_synced_screening_once() {
    let desk = Desk::start().await;
    let operator = desk.signed_in("刘芳").await;
    let first = page(&operator, &desk, "/arrivals").await;
    assert!(first.contains("上次查看以来没有新到"), "{first}");

    let station = desk.cluster.open_station(&village(1));
    let today = station_today(&station);
    let screening = station
        .record_screening(None, severe("黄大年", today))
        .unwrap()
        .entity;
    let visit = station
        .record_visit(None, sanji_tests::visit(3, &village(1), today))
        .unwrap()
        .entity;
    station.sync(3).await.unwrap();

    let seen = page(&operator, &desk, "/arrivals").await;
    assert!(seen.contains(&format!("{} 村工作站", village(1))), "{seen}");
    assert!(
        seen.contains(&format!("/screenings/{screening}")) && seen.contains("黄大年"),
        "{seen}"
    );
    assert!(seen.contains(&format!("/visits#v-{visit}")), "{seen}");
    assert!(seen.contains("排查 1,接访 1"), "{seen}");
    // Looking marked them seen, for this person only.
    let again = page(&operator, &desk, "/arrivals").await;
    assert!(!again.contains("黄大年"), "{again}");
    let director = desk.signed_in("王主任").await;
    assert!(page(&director, &desk, "/arrivals").await.contains("黄大年"));

    // Member-unit staff see their cases, not the township's ledgers.
    let unit = desk.signed_in("孙立").await;
    for path in [
        "/arrivals",
        "/screenings",
        "/visits",
        "/stations",
        "/conflicts",
    ] {
        let response = unit.get(desk.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    drop(station);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_at_the_window_is_answered_or_becomes_one_case() {
    let desk = Desk::start().await;
    let operator = desk.signed_in("刘芳").await;
    let form = page(&operator, &desk, "/visits/new").await;
    let csrf = hidden(&form, "csrf");
    let today = sanji_domain::time::cst_date(desk.cluster.hub().operations.now_ms()).to_string();
    let post = |fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("csrf", csrf.clone()));
        operator.post(desk.url("/visits")).form(&fields).send()
    };
    let visit = |summary: &str, answer: &str| {
        vec![
            ("channel", "in_person".to_owned()),
            ("visited_on", today.clone()),
            ("party", "韩秀英".to_owned()),
            ("contact", "13907910088".to_owned()),
            ("people_count", "2".to_owned()),
            ("category", "labour".to_owned()),
            ("summary", summary.to_owned()),
            ("answer", answer.to_owned()),
        ]
    };

    // A bad field is named next to it; nothing is written.
    let before = desk.hub_head();
    let bad = post(visit("", "")).await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = text(bad).await;
    assert!(
        bad.contains("class=\"field-error\" role=\"alert\">不能为空"),
        "{bad}"
    );
    assert!(bad.contains("13907910088"), "what was typed stays: {bad}");
    assert_eq!(desk.hub_head(), before);

    // One answered on the spot, one to become a case.
    let answered = post(visit("询问社保缴费年限。", "已当场解释社保政策。"))
        .await
        .unwrap();
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    let done = post(visit("工地拖欠两人工资四个月,要求追讨。", ""))
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let id: Uuid = location(&done)
        .rsplit("#v-")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let list = page(&operator, &desk, "/visits").await;
    assert!(
        list.contains("已当场解释社保政策。") && list.contains("刘芳") && list.contains("来访"),
        "{list}"
    );
    match desk.cluster.hub_store().entity(id).unwrap().unwrap().state {
        EntityState::Visit(v) => {
            assert_eq!(v.record.receiver, "刘芳");
            assert_eq!(v.record.received_at, sanji_tests::township());
            assert_eq!(v.record.people_count, 2);
        }
        other => panic!("{other:?}"),
    }

    // The case form is filled in from the visit.
    let form = page(&operator, &desk, &format!("/visits/{id}/case")).await;
    for typed in [
        "value=\"韩秀英\"",
        "工地拖欠两人工资四个月,要求追讨。</textarea>",
        "value=\"2\"",
        "value=\"刘芳\"",
        "<option value=\"labour\" selected>",
        "<option value=\"visit\" selected>",
    ] {
        assert!(form.contains(typed), "{typed} in {form}");
    }
    let place = village(1);
    let fields = [
        ("csrf", csrf.as_str()),
        ("place", place.as_str()),
        ("source", "visit"),
        ("category", "labour"),
        ("party", "韩秀英"),
        ("people_involved", "2"),
        ("claim", "工地拖欠两人工资四个月,要求追讨。"),
        ("first_receiver", "刘芳"),
        ("first_unit", "镇综治信访维稳中心"),
    ];
    let made = operator
        .post(desk.url(&format!("/visits/{id}/case")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let cases = cases_held(&desk);
    assert_eq!(cases.len(), 1);
    let (case, from) = cases[0];
    assert_eq!(from, Some(id), "the case names its visit");
    assert_eq!(location(&made), format!("/cases/{case}"));
    let list = page(&operator, &desk, "/visits").await;
    assert!(
        list.contains(&format!("<a href=\"/cases/{case}\">已登记为案件</a>")),
        "the visit shows its case: {list}"
    );

    // A second registration from the same visit is refused; nothing is written.
    let before = desk.hub_head();
    let again = operator
        .post(desk.url(&format!("/visits/{id}/case")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    assert!(text(again).await.contains("这条接访已登记为案件"));
    assert_eq!(desk.hub_head(), before);
    assert_eq!(cases_held(&desk).len(), 1);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stations_and_conflicts_say_what_happened() {
    let desk = Desk::start().await;
    let v = village(1);
    let station = desk.cluster.open_station(&v);
    let today = station_today(&station);
    let case = station
        .register_case(None, sanji_tests::case_registration(&v, today, "周德明"))
        .unwrap()
        .entity;
    station.sync(3).await.unwrap();
    let step = |command| Action::CaseStep {
        case: case.to_string(),
        command,
    };
    desk.act("刘芳", ActorRole::Operator, step(CaseCommand::Accept))
        .await;
    let assign = |unit: Option<&str>, village: Option<sanji_domain::Code>| CaseCommand::Assign {
        unit: unit.map(str::to_owned),
        village,
        person: "李红梅".into(),
        deadline: None,
    };
    desk.act(
        "王主任",
        ActorRole::Director,
        step(assign(None, Some(v.clone()))),
    )
    .await;
    station.sync(3).await.unwrap();
    // The director moves it to the judicial office while the village,
    // offline, records progress on it.
    desk.act(
        "王主任",
        ActorRole::Director,
        step(assign(Some("司法所"), None)),
    )
    .await;
    station
        .case_step(
            None,
            &case.to_string(),
            CaseCommand::Progress {
                kind: MediationKind::People,
                note: "已约双方周五到村委会调解。".into(),
            },
        )
        .unwrap();
    station.sync(3).await.unwrap();

    let operator = desk.signed_in("刘芳").await;
    let conflicts = page(&operator, &desk, "/conflicts").await;
    assert!(
        conflicts.contains(&format!("href=\"/cases/{case}\"")),
        "{conflicts}"
    );
    assert!(
        conflicts.contains("调处进展") && conflicts.contains(v.as_str()),
        "{conflicts}"
    );
    assert!(conflicts.contains("未交办给"), "{conflicts}");

    let stations = page(&operator, &desk, "/stations").await;
    assert!(stations.contains(v.as_str()), "{stations}");
    assert!(!stations.contains("天未联系"), "just synced: {stations}");
    drop(station);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_named_script_is_shown_as_text() {
    let desk = Desk::start().await;
    let operator = desk.signed_in("刘芳").await;
    let station = desk.cluster.open_station(&village(1));
    let today = station_today(&station);
    let screening = station
        .record_screening(None, severe(SCRIPT, today))
        .unwrap()
        .entity;
    let mut visit = sanji_tests::visit(1, &village(1), today);
    visit.visitor = Party {
        name: SCRIPT.into(),
        contact: None,
    };
    let visit = station.record_visit(None, visit).unwrap().entity;
    station.sync(3).await.unwrap();
    for path in [
        "/arrivals".to_owned(),
        "/screenings".to_owned(),
        format!("/screenings/{screening}"),
        "/visits".to_owned(),
        format!("/visits/{visit}/case"),
    ] {
        let shown = page(&operator, &desk, &path).await;
        assert!(
            shown.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
                || shown.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}: {shown}"
        );
        assert!(!shown.contains(SCRIPT), "{path}: {shown}");
    }
    drop(station);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_severe_screening_that_reached_the_township_late_is_flagged_at_the_hub_and_the_county() {
    let desk = Desk::start().await;
    // A laptop offline since yesterday: its screening was recorded 29½ hours
    // before the hub received it and passed it on, 5½ past the 24 allowed.
    let mut config = desk.cluster.station_config(&village(1));
    config.clock_offset_ms = -(29 * 3_600_000 + 1_800_000);
    let offline = desk.cluster.open_station_with(config);
    let mut recorded_offline = severe("迟报人", station_today(&offline));
    recorded_offline.description = "断网期间登记:两户争水,扬言聚集。".into();
    let late = offline
        .record_screening(None, recorded_offline)
        .unwrap()
        .entity;
    drop(offline);
    // Back on the network with its clock right, it syncs; so does a village
    // that reports at once.
    let station = desk.cluster.open_station(&village(1));
    station.sync(3).await.unwrap();
    let prompt = desk.cluster.open_station(&village(2));
    let mut in_time = severe("按时人", station_today(&prompt));
    in_time.village = village(2);
    in_time.description = "联网时登记:工地欠薪,工人聚集。".into();
    let in_time = prompt.record_screening(None, in_time).unwrap().entity;
    prompt.sync(3).await.unwrap();
    desk.cluster.forward().await;

    let operator = desk.signed_in("刘芳").await;
    let late_page = page(&operator, &desk, &format!("/screenings/{late}")).await;
    assert!(
        late_page.contains(r#"<dd class="late-severe">超时 6 小时上报</dd>"#),
        "{late_page}"
    );
    let in_time_page = page(&operator, &desk, &format!("/screenings/{in_time}")).await;
    assert!(in_time_page.contains("<dd>按时上报</dd>"), "{in_time_page}");
    let list = page(&operator, &desk, "/screenings").await;
    assert!(
        list.contains("超时 6 小时上报") && list.contains("按时上报"),
        "{list}"
    );

    // The month's report counts it, at the hub and in what it files.
    let report: sanji_domain::report::MonthlyReport = serde_json::from_value(
        desk.cluster
            .hub()
            .operations
            .query(Query::Report {
                month: sanji_domain::report::Month::of(station_today(&station)).to_string(),
            })
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(report.late_severe, Some(1), "{report:?}");
    assert_eq!(report.severe_screenings, 2);

    // The county's table of severe items marks the late one in red.
    let county_office = desk.signed_in("周明").await;
    let response = county_office
        .get(desk.county_url("/handdowns"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let table = text(response).await;
    let row_of = |party: &str| {
        let at = table
            .find(party)
            .unwrap_or_else(|| panic!("{party}: {table}"));
        let start = table[..at].rfind("<tr").unwrap();
        let end = at + table[at..].find("</tr>").unwrap();
        table[start..end].to_owned()
    };
    let late_row = row_of("断网期间登记");
    assert!(
        late_row.contains("late-severe") && late_row.contains("超时 6 小时上报"),
        "{late_row}"
    );
    let in_time_row = row_of("联网时登记");
    assert!(
        !in_time_row.contains("late-severe") && in_time_row.contains("按时上报"),
        "{in_time_row}"
    );
    drop((station, prompt));
    desk.stop().await;
}
