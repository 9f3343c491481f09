//! 自查评分 end to end: the hub scores a half-year from its ledgers (a case
//! the 司法所 mediated to agreement: its share and the success rate hold;
//! months with no report do not), the director adds the hand scores and
//! files the sheet; a score above an item's points or a bonus without its
//! reason is refused at the form and files nothing; an operator may not
//! file; the county reads each township's sheet, and a second filing
//! supersedes the first there.

use chrono::Datelike;
use reqwest::StatusCode;
use sanji_domain::assessment::{AssessmentSheet, points};
use sanji_domain::report::{Period, Span};
use sanji_domain::time::cst_date;
use sanji_node::assessment::AssessmentView;
use sanji_node::ops::Query;
use sanji_tests::desk::{Desk, hidden, location, steps_to_a_confirmed_agreement, text};
use sanji_tests::township;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_director_files_the_self_assessment_and_the_county_reads_it() {
    let desk = Desk::start().await;
    let case = desk.register("何长青").await;
    desk.take_steps(case, steps_to_a_confirmed_agreement())
        .await;
    desk.cluster.forward().await;
    let today = cst_date(desk.cluster.hub().operations.now_ms());
    let half = Period::HalfYear {
        year: 2000,
        half: 1,
    }
    .same_kind_at(today);
    let period = half.to_string();

    let view: AssessmentView = desk
        .view(Query::Assessment {
            period: period.clone(),
        })
        .await;
    let item = |sheet: &AssessmentSheet, id: &str| {
        sheet.items.iter().find(|i| i.item == id).unwrap().clone()
    };
    let share = item(&view.now, "judicial_share");
    assert_eq!(share.tenths, share.max_tenths, "{share:?}");
    assert!(share.note.contains("司法所办结 1 件"), "{share:?}");
    let success = item(&view.now, "success");
    assert!(
        success.tenths > 0 && success.note.contains("成功率 100"),
        "{success:?}"
    );
    let no_mass = item(&view.now, "no_mass");
    assert_eq!(no_mass.tenths, no_mass.max_tenths);
    // The months of the half-year before this one filed no report here.
    let monthly = item(&view.now, "monthly");
    if half.first_day().month0() != today.month0() {
        assert_eq!(monthly.tenths, 0, "{monthly:?}");
        assert!(monthly.note.contains("未报送月报表"), "{monthly:?}");
    }
    assert!(view.filed.is_none());

    let director = desk.signed_in("王主任").await;
    let page = desk
        .page(&director, &format!("/assessment?period={period}"))
        .await;
    assert!(
        page.contains("按台账计分") && page.contains("司法所办结 1 件"),
        "{page}"
    );
    let csrf = hidden(&page, "csrf");
    let file = |leadership: &'static str, bonus: &'static str, reason: &'static str| {
        director
            .post(desk.url("/assessment"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("period", period.as_str()),
                ("leadership", leadership),
                ("leadership_note", "综治委、中心机构健全"),
                ("premises", "12.5"),
                ("premises_note", "功能区齐全"),
                ("bonus", bonus),
                ("bonus_note", reason),
            ])
            .send()
    };
    let outbox = sanji_domain::Origin::outbox(township());
    let head = || {
        desk.cluster
            .hub_store()
            .head(&outbox)
            .unwrap()
            .map(|h| h.seq)
    };
    let before = head();
    let refused = file("8", "", "").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(refused).await.contains("最多 7 分,填了 8 分"));
    let refused = file("7", "2", "").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(head(), before, "nothing filed");

    let operator = desk.signed_in("刘芳").await;
    let page = desk
        .page(&operator, &format!("/assessment?period={period}"))
        .await;
    assert!(page.contains("自查评分由中心主任上报"), "{page}");
    let csrf_op = hidden(&page, "csrf");
    let response = operator
        .post(desk.url("/assessment"))
        .form(&[("csrf", csrf_op.as_str()), ("period", period.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let filed = file("7", "2", "中心面积超出标准 50% 以上").await.unwrap();
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    assert!(location(&filed).contains("done=1"));
    let view: AssessmentView = desk
        .view(Query::Assessment {
            period: period.clone(),
        })
        .await;
    let sheet = view.filed.clone().expect("filed");
    assert_eq!(sheet.revision, 1);
    assert_eq!(item(&sheet, "premises").tenths, 125);
    assert_eq!(
        sheet.total_tenths, view.now.total_tenths,
        "hand scores kept"
    );
    let page = desk
        .page(&director, &format!("/assessment?period={period}"))
        .await;
    assert!(
        page.contains("已上报县里(第 1 次)") && page.contains("value=\"12.5\""),
        "{page}"
    );

    // The county reads it; a second filing supersedes the first.
    desk.cluster.forward().await;
    let county = desk.signed_in("周明").await;
    let table = text(
        county
            .get(desk.url_for("周明", &format!("/assessments?period={period}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        table.contains(&points(sheet.total_tenths)) && table.contains("第 1 次"),
        "{table}"
    );
    assert!(
        file("6.5", "2", "中心面积超出标准 50% 以上")
            .await
            .unwrap()
            .status()
            == StatusCode::SEE_OTHER
    );
    desk.cluster.forward().await;
    let one = text(
        county
            .get(desk.url_for(
                "周明",
                &format!("/assessments/{}?period={period}", township()),
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        one.contains("第 2 次") && one.contains("6.5") && one.contains("司法所办结 1 件"),
        "{one}"
    );
    let response = director.get(desk.url("/assessments")).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "the hub has no county table"
    );
    desk.stop().await;
}
