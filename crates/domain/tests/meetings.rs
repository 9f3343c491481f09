//! The 会议记录簿's rules: what minutes must hold, which fixed meeting is
//! due without minutes on a given day, and how a responsibility stands.

mod common;

use common::*;
use sanji_domain::EventBody;
use sanji_domain::hlc::Hlc;
use sanji_domain::meeting::{
    DueMeeting, Follow, Meeting, MeetingKind, Responsibility, Subject, due_meetings, follow,
};
use sanji_domain::report::Period;

fn minutes() -> Meeting {
    Meeting {
        kind: MeetingKind::DisputeScreening,
        held_on: date("2026-11-25"),
        chair: "王建国".into(),
        attendees: vec!["刘芳".into(), "司法所 孙立".into()],
        screenings: vec![v7(NOW_MS, 1)],
        cases: Vec::new(),
        decisions: "逐村研判本月排查出的纠纷,山林界址争议由林业站牵头勘界。".into(),
        responsibilities: vec![Responsibility {
            subject: Subject::Screening(v7(NOW_MS, 1)),
            unit: "林业站".into(),
            person: "赵林".into(),
            task: "三日内组织现场勘界".into(),
            deadline: date("2026-11-28"),
        }],
    }
}

#[test]
fn minutes_name_each_missing_or_wrong_field() {
    let today = date("2026-11-26");
    assert_eq!(minutes().validate(today), Ok(()));
    let broken: Vec<(&str, Meeting, &str, &str)> = vec![
        (
            "held tomorrow",
            Meeting {
                held_on: date("2026-11-27"),
                ..minutes()
            },
            "held_on",
            "将来",
        ),
        (
            "no chair",
            Meeting {
                chair: " ".into(),
                ..minutes()
            },
            "chair",
            "不能为空",
        ),
        (
            "nobody attended",
            Meeting {
                attendees: Vec::new(),
                ..minutes()
            },
            "attendees",
            "至少",
        ),
        (
            "nothing decided",
            Meeting {
                decisions: String::new(),
                ..minutes()
            },
            "decisions",
            "不能为空",
        ),
        (
            "a deadline before the meeting",
            {
                let mut m = minutes();
                m.responsibilities[0].deadline = date("2026-11-24");
                m
            },
            "responsibilities[0].deadline",
            "早于开会日期",
        ),
        (
            "a responsibility with no person",
            {
                let mut m = minutes();
                m.responsibilities[0].person = String::new();
                m
            },
            "responsibilities[0].person",
            "不能为空",
        ),
    ];
    for (what, meeting, field, needle) in broken {
        let e = meeting.validate(today).expect_err(what);
        assert_eq!(e.field, field, "{what}: {e:?}");
        assert!(e.rule.contains(needle), "{what}: {e:?}");
    }
}

#[test]
fn minutes_are_the_townships_to_record() {
    let at = |origin| {
        event(
            origin,
            2,
            Hlc::new(NOW_MS, 4),
            v7(NOW_MS, 0x2E),
            EventBody::MeetingRecorded(Meeting {
                held_on: sanji_domain::time::cst_date(NOW_MS),
                responsibilities: Vec::new(),
                ..minutes()
            }),
        )
    };
    assert_eq!(at(township_origin()).validate(), Ok(()));
    for origin in [village_origin(), outbox_origin()] {
        let e = at(origin)
            .validate()
            .expect_err("not the township's own ledger");
        assert_eq!(e.field, "origin");
        assert!(e.rule.contains("meeting_recorded"), "{e:?}");
    }
}

fn month(year: i32, month: u32) -> Period {
    Period::Month { year, month }
}

#[test]
fn a_fixed_meeting_is_asked_for_from_its_day_until_its_minutes_are_in() {
    // 24 November: last month's two meetings are asked for, and Q3's joint one.
    let held = [
        (MeetingKind::DisputeScreening, date("2026-10-25")),
        (MeetingKind::StabilityWork, date("2026-10-30")),
    ];
    assert_eq!(
        due_meetings(date("2026-11-24"), &held),
        vec![DueMeeting {
            kind: MeetingKind::MemberUnits,
            period: Period::Quarter {
                year: 2026,
                quarter: 3
            },
            due_on: date("2026-09-30"),
            overdue: true,
        }]
    );
    // On the 25th this month's screening meeting is due today.
    let on_25th = due_meetings(date("2026-11-25"), &held);
    assert_eq!(on_25th[0].kind, MeetingKind::DisputeScreening);
    assert_eq!(on_25th[0].period, month(2026, 11));
    assert!(!on_25th[0].overdue);
    assert_eq!(
        on_25th[0].words(),
        "11 月 25 日的矛盾纠纷排查例会今天召开,尚无会议记录"
    );
    // Minutes of any day of November answer for November's meeting.
    let mut held = held.to_vec();
    held.push((MeetingKind::DisputeScreening, date("2026-11-24")));
    held.push((MeetingKind::MemberUnits, date("2026-09-15")));
    assert_eq!(due_meetings(date("2026-11-27"), &held), Vec::new());
    // On 1 December November's 28th meeting, never minuted, is overdue;
    // the quarter's joint meeting is asked for all December.
    let december = due_meetings(date("2026-12-01"), &held);
    let kinds: Vec<_> = december.iter().map(|d| (d.kind, d.overdue)).collect();
    assert_eq!(
        kinds,
        vec![
            (MeetingKind::StabilityWork, true),
            (MeetingKind::MemberUnits, false),
        ]
    );
    assert_eq!(december[0].due_on, date("2026-11-28"));
    assert_eq!(december[0].period, month(2026, 11));
    assert_eq!(
        december[0].words(),
        "11 月 28 日的综治信访维稳工作例会没有会议记录"
    );
    assert_eq!(
        december[1].words(),
        "2026 年第 4 季度的成员单位联席会议尚未召开(应于 2026-12-31 前召开)"
    );
    // January asks for December and for the fourth quarter of last year.
    let january = due_meetings(date("2027-01-10"), &held);
    assert_eq!(january[0].period, month(2026, 12));
    assert_eq!(
        january[2].period,
        Period::Quarter {
            year: 2026,
            quarter: 4
        }
    );
}

#[test]
fn a_responsibility_is_done_when_its_subject_is_dealt_with() {
    let deadline = date("2026-11-28");
    assert_eq!(follow(deadline, None, date("2026-11-28")), Follow::Open);
    assert_eq!(follow(deadline, None, date("2026-11-29")), Follow::Overdue);
    assert_eq!(
        follow(deadline, Some(date("2026-12-02")), date("2026-12-03")),
        Follow::Done
    );
}
