//! 群体性事件 and 民转刑 cases as their own ledger entry: recorded from the
//! console (from a screening's page, linked to it, and to cases by their
//! numbers), refused field by field in Chinese, listed, counted in the
//! month's report apart from the screenings' mass-incident risk, and
//! closed to member units.

use reqwest::StatusCode;
use sanji_domain::case::ActorRole;
use sanji_domain::report::Month;
use sanji_domain::time::cst_date;
use sanji_node::ops::{Action, CaseCommand, Query};
use sanji_node::views::{IncidentRow, ScreeningRow};
use sanji_tests::desk::{Desk, hidden, text};
use sanji_tests::{screening, village};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_is_recorded_from_its_screening_linked_to_its_case_and_counted() {
    let desk = Desk::start().await;
    let station = desk.cluster.open_station(&village(3));
    let today = sanji_tests::station_today(&station);
    let mut foreseen = screening(0, &village(3), today);
    foreseen.mass_incident_risk = true;
    let screened = station.record_screening(None, foreseen).unwrap();
    station.sync(3).await.unwrap();
    let case = desk.register("何长青").await.to_string();
    desk.act(
        "刘芳",
        ActorRole::Operator,
        Action::CaseStep {
            case: case.clone(),
            command: CaseCommand::Accept,
        },
    )
    .await;
    let ops = &desk.cluster.hub().operations;
    let rows: Vec<ScreeningRow> = serde_json::from_value(
        ops.query(Query::Screenings { village: None })
            .await
            .unwrap(),
    )
    .unwrap();
    let number = desk
        .cluster
        .hub()
        .operations
        .query(Query::Case { case: case.clone() })
        .await
        .unwrap()["case_number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(rows.len(), 1);

    let operator = desk.signed_in("刘芳").await;
    let page = desk
        .page(&operator, &format!("/screenings/{}", screened.entity))
        .await;
    let link = format!("/incidents/new?screening={}", screened.entity);
    assert!(page.contains(&link), "{page}");
    let form = desk.page(&operator, &link).await;
    assert!(form.contains("将与它关联"), "{form}");
    let csrf = hidden(&form, "csrf");
    let tail = &number[number.len() - 4..];
    let mut fields = vec![
        ("csrf", csrf.clone()),
        ("screening", screened.entity.to_string()),
        ("kind", "mass_incident".to_owned()),
        ("occurred_on", today.to_string()),
        ("place", village(3).to_string()),
        ("party", "何长青".to_owned()),
        ("others", "何长水".to_owned()),
        ("people_involved", "23".to_owned()),
        ("cause", "山林界址争议久拖未决".to_owned()),
        ("handling", String::new()),
        ("cases", tail.to_owned()),
    ];
    let post =
        |form: &[(&'static str, String)]| operator.post(desk.url("/incidents")).form(form).send();
    // Each mistake is named beside its field, and nothing is written.
    let before = desk.hub_head();
    let refused = post(&fields).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(refused).await.contains("处置情况"));
    fields[9].1 = "派出所到场,已劝返".into();
    fields[10].1 = "9999".into();
    let refused = post(&fields).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(refused).await.contains("没有找到案件 9999"));
    assert_eq!(desk.hub_head(), before);

    fields[10].1 = tail.to_owned();
    let saved = post(&fields).await.unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let rows: Vec<IncidentRow> =
        serde_json::from_value(ops.query(Query::Incidents).await.unwrap()).unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.author, "刘芳");
    assert_eq!(row.record.parties.len(), 2);
    assert_eq!(row.record.screenings, [screened.entity]);
    assert_eq!(row.case_links.len(), 1);
    assert_eq!(row.case_links[0].1, number);
    let list = desk.page(&operator, "/incidents?done=1").await;
    assert!(list.contains(&format!("案件 {number}")), "{list}");
    assert!(
        list.contains("群体性事件") && list.contains("已登记"),
        "{list}"
    );

    // The report counts what happened apart from the risk foreseen.
    let month = Month::of(cst_date(ops.now_ms()));
    let report = desk.report(month).await;
    let counted = report.incidents.expect("incidents counted");
    assert_eq!(
        (
            counted.mass_incidents,
            counted.mass_incident_people,
            counted.criminal_conversions
        ),
        (1, 23, 0)
    );
    assert_eq!(
        report.mass_incidents, 1,
        "the screening's risk, counted apart"
    );

    // A member unit's staff see none of it.
    let unit = desk.signed_in("孙立").await;
    let response = unit.get(desk.url("/incidents")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    desk.stop().await;
}
