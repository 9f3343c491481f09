//! A case after its follow-up: a petition, a skip-level petition or a
//! recurrence found once the case is archived is recorded on the archived
//! file from the console (who, when, where it was taken), and the report,
//! the rewards and the case's life follow it.

use reqwest::StatusCode;
use sanji_domain::case::{ActorRole, CaseStatus};
use sanji_domain::report::{Month, RewardTotal};
use sanji_domain::time::cst_date;
use sanji_node::ops::{Action, CaseCommand, CaseView, Query};
use sanji_tests::desk::{Desk, hidden, steps_to_a_confirmed_agreement, text};

async fn case_view(desk: &Desk, case: &str) -> CaseView {
    serde_json::from_value(
        desk.cluster
            .hub()
            .operations
            .query(Query::Case { case: case.into() })
            .await
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skip_level_petition_after_archiving_is_recorded_and_counted_and_a_recurrence_reopens() {
    let desk = Desk::start().await;
    let case = desk.register("吴春生").await.to_string();
    for (role, command) in steps_to_a_confirmed_agreement() {
        let name = if role == ActorRole::Director {
            "王主任"
        } else {
            "刘芳"
        };
        desk.act(
            name,
            role,
            Action::CaseStep {
                case: case.clone(),
                command,
            },
        )
        .await;
    }
    desk.act(
        "刘芳",
        ActorRole::Operator,
        Action::CaseStep {
            case: case.clone(),
            command: CaseCommand::Archive {
                note: String::new(),
            },
        },
    )
    .await;
    let ops = &desk.cluster.hub().operations;
    let today = cst_date(ops.now_ms());
    let month = Month::of(today);
    let rewards = || async {
        let totals: Vec<RewardTotal> = serde_json::from_value(
            ops.query(Query::Rewards {
                period: month.to_string(),
            })
            .await
            .unwrap(),
        )
        .unwrap();
        totals
            .iter()
            .flat_map(|t| t.lines.iter().map(|l| l.amount))
            .collect::<Vec<i64>>()
    };
    assert_eq!(rewards().await, [50], "settled and confirmed: rewarded");

    // The archived file offers the operator the form, and only that.
    let operator = desk.signed_in("刘芳").await;
    let page = desk.page(&operator, &format!("/cases/{case}")).await;
    assert!(page.contains("已归档"), "{page}");
    assert!(
        page.contains(&format!("/cases/{case}/steps/aftermath")),
        "{page}"
    );
    assert!(
        !page.contains("/steps/reopen"),
        "nothing recurred yet: {page}"
    );
    let csrf = hidden(&page, "csrf");
    let post = |form: Vec<(&'static str, String)>| {
        let operator = operator.clone();
        let url = desk.url(&format!("/cases/{case}/steps/aftermath"));
        let csrf = csrf.clone();
        async move {
            let mut form = form;
            form.push(("csrf", csrf));
            operator.post(url).form(&form).send().await.unwrap()
        }
    };
    // A petition that does not say where it went is refused beside its field.
    let refused = post(vec![
        ("kind", "skip_level".into()),
        ("on", today.to_string()),
        ("who", "吴春生".into()),
        ("taken_to", String::new()),
    ])
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(refused).await.contains("请填写「上访到」"));
    let recorded = post(vec![
        ("kind", "skip_level".into()),
        ("on", today.to_string()),
        ("who", "吴春生".into()),
        ("taken_to", "市信访局".into()),
        ("note", "认为赔偿数额不足".into()),
    ])
    .await;
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);

    let file = case_view(&desk, &case).await.file;
    assert_eq!(
        file.status,
        CaseStatus::Archived,
        "a petition reopens nothing"
    );
    assert_eq!(file.aftermath.len(), 1);
    assert_eq!(file.aftermath[0].by, "刘芳");
    assert_eq!(file.aftermath[0].taken_to, "市信访局");
    let page = desk.page(&operator, &format!("/cases/{case}")).await;
    assert!(page.contains("吴春生,到市信访局越级上访"), "{page}");
    // The month's reward and the deduction, both; the 越级上访 figure.
    let mut amounts = rewards().await;
    amounts.sort();
    assert_eq!(amounts, [-50, 50]);
    let report = desk.report(month).await;
    assert_eq!(report.skip_level_petitions, 1);

    // A recurrence found too: now the case may be reopened, and is.
    desk.act(
        "刘芳",
        ActorRole::Operator,
        Action::CaseStep {
            case: case.clone(),
            command: CaseCommand::Aftermath {
                kind: sanji_domain::case::AftermathKind::Recurrence,
                on: None,
                who: "吴春生".into(),
                taken_to: String::new(),
                note: "又因围墙起争执".into(),
            },
        },
    )
    .await;
    let page = desk.page(&operator, &format!("/cases/{case}")).await;
    assert!(page.contains("/steps/reopen"), "{page}");
    desk.act(
        "刘芳",
        ActorRole::Operator,
        Action::CaseStep {
            case: case.clone(),
            command: CaseCommand::Reopen {
                reason: "归档后矛盾反复".into(),
            },
        },
    )
    .await;
    assert_eq!(
        case_view(&desk, &case).await.file.status,
        CaseStatus::Accepted
    );
    desk.stop().await;
}
