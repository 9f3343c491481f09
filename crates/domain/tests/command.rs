//! The one description of each case step: what it asks for, how typed text
//! becomes a command, and what the system fills in.

mod common;

use chrono::NaiveDate;
use sanji_domain::Labelled;
use sanji_domain::case::{Assignee, CaseFile, CaseStep, StepKind};
use sanji_domain::command::{CaseCommand, InputKind};
use sanji_domain::deadline::DeadlinePolicy;

fn sample(kind: InputKind) -> String {
    match kind {
        InputKind::Text => "司法所".into(),
        InputKind::LongText => "已约双方面谈".into(),
        InputKind::Date => "2026-12-20".into(),
        InputKind::Days => "10".into(),
        InputKind::Flag => "是".into(),
        InputKind::Village => "360123100201".into(),
        InputKind::Choice(v) => v.choices()[0].1.into(),
        InputKind::File => sanji_domain::attachment::FileRef::of("协议书.pdf", b"%PDF-1.4")
            .unwrap()
            .token(),
    }
}

fn filled(kind: StepKind) -> Vec<(&'static str, String)> {
    kind.inputs()
        .iter()
        .map(|i| (i.name, sample(i.kind)))
        .collect()
}

fn command(
    kind: StepKind,
    given: &[(&str, String)],
) -> Result<CaseCommand, sanji_domain::FieldError> {
    CaseCommand::from_inputs(kind, given.iter().map(|(n, v)| (*n, v.as_str())))
}

/// The inputs a step declares are exactly the fields its command carries,
/// and the command's `step` is the step's identifier: the CLI, the web form
/// and the wire can never name a step or a field differently.
#[test]
fn every_step_declares_exactly_the_fields_of_its_command() {
    for kind in StepKind::taken_by_people() {
        let given = filled(kind);
        let cmd = command(kind, &given).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(cmd.kind(), kind);
        let json = serde_json::to_value(&cmd).unwrap();
        let object = json.as_object().unwrap();
        assert_eq!(object["step"], kind.id(), "{kind:?}");
        let mut fields: Vec<&str> = object
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "step")
            .collect();
        fields.sort();
        let mut declared: Vec<&str> = kind.inputs().iter().map(|i| i.name).collect();
        declared.sort();
        assert_eq!(fields, declared, "{kind:?}");
    }
}

#[test]
fn typed_text_becomes_the_command_it_means() {
    let given = [
        ("village", "360123100201".to_owned()),
        ("person", "李四".to_owned()),
        ("deadline", "2026-12-20".to_owned()),
        ("unit", "   ".to_owned()),
    ];
    assert_eq!(
        command(StepKind::Assign, &given).unwrap(),
        CaseCommand::Assign {
            unit: None,
            village: Some(sanji_domain::Code::parse("360123100201").unwrap()),
            person: "李四".into(),
            deadline: Some(NaiveDate::from_ymd_opt(2026, 12, 20).unwrap()),
        }
    );
    // Chinese labels and identifiers both choose; the mediation kind has a default.
    let progress = command(StepKind::Progress, &[("note", "面谈".into())]).unwrap();
    assert_eq!(serde_json::to_value(&progress).unwrap()["kind"], "people");
    let resolved = command(
        StepKind::Resolve,
        &[("outcome", "当事人撤回".into()), ("summary", "撤回".into())],
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&resolved).unwrap()["outcome"],
        "withdrawn"
    );
    let follow_up = command(StepKind::FollowUp, &[("satisfied", "on".into())]).unwrap();
    assert!(matches!(
        follow_up,
        CaseCommand::FollowUp {
            satisfied: true,
            recurred: false,
            ..
        }
    ));
}

/// Each bad input is named by the input's own name, whatever was wrong with it.
#[test]
fn bad_text_names_the_input_it_was_typed_into() {
    /// (step, what was typed, the input named, words in the rule)
    type Case<'a> = (StepKind, &'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (
            StepKind::Extend,
            &[("days", "十"), ("reason", "x")],
            "days",
            "天数",
        ),
        (
            StepKind::Extend,
            &[("days", "-3"), ("reason", "x")],
            "days",
            "天数",
        ),
        (StepKind::Extend, &[("days", "5")], "reason", "延期理由"),
        (
            StepKind::Assign,
            &[("person", "李四"), ("deadline", "2026-13-01")],
            "deadline",
            "年-月-日",
        ),
        (
            StepKind::Assign,
            &[("person", "李四"), ("village", "3601231002")],
            "village",
            "",
        ),
        (
            StepKind::Resolve,
            &[("outcome", "成功了"), ("summary", "x")],
            "outcome",
            "可选",
        ),
        (
            StepKind::FollowUp,
            &[("satisfied", "也许")],
            "satisfied",
            "是 或 否",
        ),
        (StepKind::Accept, &[("reason", "x")], "reason", "不需要"),
    ];
    for (kind, given, field, words) in cases {
        let err = CaseCommand::from_inputs(*kind, given.iter().copied()).unwrap_err();
        assert_eq!(err.field, *field, "{kind:?} {given:?}: {err}");
        assert!(err.rule.contains(words), "{kind:?} {given:?}: {err}");
    }
}

fn accepted_file(accepted: NaiveDate, deadline: NaiveDate) -> CaseFile {
    let mut file = CaseFile::new(common::case(), "刘芳", sanji_domain::Hlc::new(0, 0), None);
    file.status = sanji_domain::case::CaseStatus::Accepted;
    file.accepted_on = Some(accepted);
    file.deadline = Some(deadline);
    file
}

#[test]
fn the_system_fills_in_what_it_decides_and_refuses_what_the_policy_forbids() {
    let policy = DeadlinePolicy::default();
    let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    let today = day(2);
    let file = accepted_file(day(1), day(30));

    let accept = CaseCommand::Accept
        .into_step(&file, &policy, today, || "360123100-2026-0007".into())
        .unwrap();
    assert_eq!(
        accept,
        CaseStep::Accept {
            case_number: "360123100-2026-0007".into(),
            resolve_deadline: policy.resolve_deadline(today),
        }
    );

    let assign = |deadline: Option<NaiveDate>, unit: Option<&str>, village: Option<&str>| {
        CaseCommand::Assign {
            unit: unit.map(Into::into),
            village: village.map(|v| sanji_domain::Code::parse(v).unwrap()),
            person: "李四".into(),
            deadline,
        }
        .into_step(&file, &policy, today, || unreachable!("not an acceptance"))
    };
    // The running deadline by default; less time may be given, never more.
    assert_eq!(
        assign(None, Some("司法所"), None).unwrap(),
        CaseStep::Assign {
            assignee: Assignee::Unit {
                name: "司法所".into()
            },
            person: "李四".into(),
            deadline: day(30),
        }
    );
    assert!(assign(Some(day(10)), Some("司法所"), None).is_ok());
    let late = assign(Some(day(31)), Some("司法所"), None).unwrap_err();
    assert_eq!(late.field, "deadline", "{late}");
    assert!(late.rule.contains("延期"), "{late}");
    let past = assign(Some(day(1)), Some("司法所"), None).unwrap_err();
    assert_eq!(past.field, "deadline", "{past}");
    assert_eq!(assign(None, None, None).unwrap_err().field, "unit");
    assert_eq!(
        assign(None, Some("司法所"), Some("360123100201"))
            .unwrap_err()
            .field,
        "village"
    );

    let extend = |days| {
        CaseCommand::Extend {
            days,
            reason: "需鉴定".into(),
        }
        .into_step(&file, &policy, today, || unreachable!())
    };
    assert!(matches!(
        extend(30).unwrap(),
        CaseStep::Extend { new_deadline, .. } if new_deadline == NaiveDate::from_ymd_opt(2027, 1, 29).unwrap()
    ));
    assert_eq!(extend(31).unwrap_err().field, "days");
}
