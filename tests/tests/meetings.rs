//! The 会议记录簿 at the console: a fixed meeting is asked for until its
//! minutes are in, the minutes are recorded from the form with what they
//! reviewed and whom they made responsible, a wrong responsibility is
//! refused at its row and writes nothing, the responsibility shows (and
//! follows the case) on the case's own page, and the book prints and
//! downloads; member units see none of it.

use reqwest::StatusCode;
use sanji_domain::case::ActorRole;
use sanji_domain::meeting::{Follow, MeetingKind};
use sanji_domain::time::cst_date;
use sanji_node::meetings::MeetingBook;
use sanji_node::ops::{Action, Query};
use sanji_tests::desk::{Desk, hidden, steps_to_a_confirmed_agreement, text};
use sanji_tests::{screening, village};

async fn book(desk: &Desk) -> MeetingBook {
    let ops = &desk.cluster.hub().operations;
    serde_json::from_value(ops.query(Query::Meetings).await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_assign_responsibility_that_shows_and_follows_on_the_case() {
    let desk = Desk::start().await;
    let station = desk.cluster.open_station(&village(3));
    let today = sanji_tests::station_today(&station);
    let screened = station
        .record_screening(None, screening(0, &village(3), today))
        .unwrap();
    station.sync(3).await.unwrap();
    let case = desk.register("何长青").await;

    // Before any minutes, each fixed meeting is asked for, on the to-do page too.
    let due = book(&desk).await.due;
    let kinds: Vec<MeetingKind> = due.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [
            MeetingKind::DisputeScreening,
            MeetingKind::StabilityWork,
            MeetingKind::MemberUnits
        ]
    );
    let screening_meeting = due[0].clone();
    let operator = desk.signed_in("刘芳").await;
    let home = desk.page(&operator, "/").await;
    assert!(home.contains("待记录的例会"), "{home}");
    assert!(home.contains(&screening_meeting.words()), "{home}");

    let form = desk.page(&operator, "/meetings/new").await;
    let review_box = format!("name=\"review\" value=\"{}\"", screened.entity);
    assert!(form.contains(&review_box), "{form}");
    assert!(form.contains(&format!("value=\"{case}\"")), "{form}");
    let held_on = screening_meeting.due_on;
    let deadline = cst_date(desk.cluster.hub().operations.now_ms()) + chrono::Days::new(10);
    let mut fields = vec![
        ("csrf", hidden(&form, "csrf")),
        ("kind", "dispute_screening".to_owned()),
        ("held_on", held_on.to_string()),
        ("chair", "王主任".to_owned()),
        ("attendees", "刘芳、司法所 孙立".to_owned()),
        (
            "decisions",
            "逐村研判,宅基地纠纷由司法所牵头调解".to_owned(),
        ),
        ("review", screened.entity.to_string()),
        ("duty0_subject", case.to_string()),
        ("duty0_unit", String::new()),
        ("duty0_person", "孙立".to_owned()),
        ("duty0_task", "约双方到联合调解室调解".to_owned()),
        ("duty0_deadline", deadline.to_string()),
    ];
    let post =
        |form: &[(&'static str, String)]| operator.post(desk.url("/meetings")).form(form).send();
    // A responsibility with no unit, then one with a unit not in the
    // directory: each refused at its row, and nothing written.
    let before = desk.hub_head();
    let refused = post(&fields).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(refused).await;
    assert!(page.contains("请选择责任单位"), "{page}");
    assert!(page.contains(&format!("{review_box} checked")), "{page}");
    fields[8].1 = "林业站".into();
    let refused = post(&fields).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(refused)
            .await
            .contains("成员单位「林业站」不在本镇名录中")
    );
    assert_eq!(desk.hub_head(), before);

    fields[8].1 = "司法所".into();
    let saved = post(&fields).await.unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let recorded = book(&desk).await;
    assert_eq!(recorded.meetings.len(), 1);
    let minutes = &recorded.meetings[0];
    assert_eq!(minutes.attendees, ["刘芳", "司法所 孙立"]);
    assert_eq!(minutes.author, "刘芳");
    // What a responsibility is for counts as reviewed.
    let reviewed: Vec<_> = minutes.reviewed.iter().map(|l| l.id).collect();
    assert_eq!(reviewed, [screened.entity, case]);
    assert_eq!(minutes.duties.len(), 1);
    assert_eq!(minutes.duties[0].follow, Follow::Open);
    // The meeting answers for its month: no longer asked for.
    assert!(
        recorded
            .due
            .iter()
            .all(|d| d.kind != MeetingKind::DisputeScreening),
        "{:?}",
        recorded.due
    );

    // The responsibility shows on the case's page, and follows the case.
    let sheet = desk.page(&operator, &format!("/cases/{case}")).await;
    assert!(sheet.contains("会议落实的责任"), "{sheet}");
    assert!(
        sheet.contains("约双方到联合调解室调解") && sheet.contains("落实中"),
        "{sheet}"
    );
    for (role, command) in steps_to_a_confirmed_agreement().into_iter().take(3) {
        let name = if role == ActorRole::Director {
            "王主任"
        } else {
            "刘芳"
        };
        desk.act(
            name,
            role,
            Action::CaseStep {
                case: case.to_string(),
                command,
            },
        )
        .await;
    }
    assert_eq!(book(&desk).await.meetings[0].duties[0].follow, Follow::Done);
    let sheet = desk.page(&operator, &format!("/cases/{case}")).await;
    assert!(sheet.contains("已落实"), "{sheet}");
    let screening_page = desk
        .page(&operator, &format!("/screenings/{}", screened.entity))
        .await;
    assert!(!screening_page.contains("会议落实的责任"), "no duty on it");

    // The book as a ledger: on the page, on paper, in a download.
    let listed = desk.page(&operator, "/meetings?done=1").await;
    assert!(
        listed.contains("矛盾纠纷排查例会") && listed.contains("已落实"),
        "{listed}"
    );
    let printed = desk.page(&operator, "/meetings/print").await;
    assert!(
        printed.contains("会议记录簿") && printed.contains("司法所 孙立:约双方到联合调解室调解"),
        "{printed}"
    );
    let csv = text(
        operator
            .get(desk.url("/meetings/export?format=csv"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        csv.contains("议定事项") && csv.contains("逐村研判"),
        "{csv}"
    );

    // A member unit's staff see none of it.
    let unit = desk.signed_in("孙立").await;
    let response = unit.get(desk.url("/meetings")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_name_a_record_that_is_not_here() {
    let desk = Desk::start().await;
    let ops = &desk.cluster.hub().operations;
    let today = cst_date(ops.now_ms());
    let meeting = sanji_domain::meeting::Meeting {
        kind: MeetingKind::StabilityWork,
        held_on: today,
        chair: "王主任".into(),
        attendees: vec!["刘芳".into()],
        screenings: Vec::new(),
        cases: Vec::new(),
        decisions: "研判全镇矛盾纠纷".into(),
        responsibilities: Vec::new(),
    };
    let actor = sanji_node::ops::Actor {
        name: "刘芳".into(),
        role: ActorRole::Operator,
        code: sanji_tests::township(),
    };
    let refused = ops
        .act(
            &actor,
            Action::RecordMeeting {
                meeting: meeting.clone(),
                case_refs: vec!["9999".into()],
                duties: Vec::new(),
            },
        )
        .await
        .expect_err("no case 9999");
    assert!(
        refused
            .to_string()
            .contains("没有找到案件或排查记录「9999」"),
        "{refused}"
    );
    // A member unit may not keep the township's minutes.
    let unit = sanji_node::ops::Actor {
        role: ActorRole::UnitStaff,
        ..actor.clone()
    };
    let refused = ops
        .act(
            &unit,
            Action::RecordMeeting {
                meeting,
                case_refs: Vec::new(),
                duties: Vec::new(),
            },
        )
        .await
        .expect_err("not a unit's to record");
    assert!(refused.to_string().contains("会议记录"), "{refused}");
    assert_eq!(book(&desk).await.meetings.len(), 0);
    desk.stop().await;
}
