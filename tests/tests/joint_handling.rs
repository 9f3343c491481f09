//! 联合调处 at the console: the hub adds an assisting unit (协办) to a case
//! a unit leads (主办), checked against the directory and the case; the
//! assisting unit's staff find the case, report on their own task and may
//! take no other step; the units' work over the period (led, assisted,
//! resolved by mediation kind, share) shows beside the rewards ledger.

use reqwest::StatusCode;
use sanji_domain::case::{ActorRole, MediationKind, Outcome};
use sanji_domain::report::{Month, UnitWorkload};
use sanji_domain::time::cst_date;
use sanji_node::ops::{Action, CaseCommand, Query};
use sanji_tests::desk::{Desk, hidden, steps_to_a_confirmed_agreement, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assisting_unit_reports_on_its_task_and_its_work_is_counted() {
    let desk = Desk::start().await;
    let case = desk.register("何长青").await;
    desk.take_steps(case, steps_to_a_confirmed_agreement().into_iter().take(2))
        .await;
    let operator = desk.signed_in("刘芳").await;
    let page = desk.page(&operator, &format!("/cases/{case}")).await;
    assert!(page.contains("/steps/assist\""), "{page}");
    let csrf = hidden(&page, "csrf");
    let assist = |unit: &'static str| {
        operator
            .post(desk.url(&format!("/cases/{case}/steps/assist")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("unit", unit),
                ("person", "周警官"),
                ("task", "核实双方说法,调解时维护现场秩序"),
            ])
            .send()
    };
    // A unit not in the directory, then the lead itself: refused, nothing written.
    let before = desk.hub_head();
    let refused = assist("林业站").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(refused)
            .await
            .contains("成员单位「林业站」不在本镇名录中")
    );
    let refused = assist("司法所").await.unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(text(refused).await.contains("司法所 已是本案的主办单位"));
    assert_eq!(desk.hub_head(), before);
    let added = assist("派出所").await.unwrap();
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let page = desk.page(&operator, &format!("/cases/{case}")).await;
    assert!(page.contains("<dt>主办</dt><dd>司法所"), "{page}");
    assert!(page.contains("派出所 周警官:核实双方说法"), "{page}");

    // The assisting unit's staff find the case and report; nothing more.
    let police = desk.signed_in("周警官").await;
    let list = desk.page(&police, "/cases").await;
    assert!(list.contains(&format!("/cases/{case}")), "{list}");
    let page = desk.page(&police, &format!("/cases/{case}")).await;
    assert!(page.contains("/steps/assist_report\""), "{page}");
    assert!(!page.contains("/steps/resolve\""), "{page}");
    let csrf = hidden(&page, "csrf");
    let before = desk.hub_head();
    let resolve = police
        .post(desk.url(&format!("/cases/{case}/steps/resolve")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("outcome", "agreement"),
            ("summary", "调解成功"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resolve.status(), StatusCode::FORBIDDEN);
    assert!(text(resolve).await.contains("只能填写协办情况"));
    assert_eq!(desk.hub_head(), before);
    // Their report is their own unit's, whatever unit the form says.
    let report = police
        .post(desk.url(&format!("/cases/{case}/steps/assist_report")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("unit", "司法所"),
            ("note", "已向双方及邻居了解冲突经过"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), StatusCode::SEE_OTHER);
    let ops = &desk.cluster.hub().operations;
    let view = ops
        .query(Query::Case {
            case: case.to_string(),
        })
        .await
        .unwrap();
    let assisting = &view["assisting"][0];
    assert_eq!(assisting["unit"], "派出所");
    assert_eq!(assisting["reports"][0]["by"], "周警官");
    // The lead's staff see it as before.
    let lead = desk.signed_in("孙立").await;
    assert_eq!(
        lead.get(desk.url(&format!("/cases/{case}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // The lead resolves by 司法调解; the month's work, unit by unit.
    desk.act(
        "孙立",
        ActorRole::UnitStaff,
        Action::CaseStep {
            case: case.to_string(),
            command: CaseCommand::Resolve {
                outcome: Outcome::Agreement,
                kind: Some(MediationKind::Judicial),
                summary: "在法庭指导下达成协议".into(),
            },
        },
    )
    .await;
    let month = Month::of(cst_date(ops.now_ms())).to_string();
    let lines: Vec<UnitWorkload> = serde_json::from_value(
        ops.query(Query::Workload {
            period: month.clone(),
        })
        .await
        .unwrap(),
    )
    .unwrap();
    let summary: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{} 主办{} 协办{} 办结{} 司法调解{} 占{:?}",
                l.unit, l.lead, l.assisting, l.resolved, l.judicial, l.share_percent
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "司法所 主办1 协办0 办结1 司法调解1 占Some(100)",
            "派出所 主办0 协办1 办结0 司法调解0 占Some(0)"
        ]
    );
    let rewards = desk
        .page(&operator, &format!("/rewards?period={month}"))
        .await;
    assert!(rewards.contains("各单位办案情况"), "{rewards}");
    assert!(
        rewards.contains("司法调解") && rewards.contains("100%"),
        "{rewards}"
    );
    desk.stop().await;
}
