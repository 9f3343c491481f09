//! What a sync brought down to a village station, told in words: the
//! clerk reads "新交办:案件 … 期限 …", never an event kind or an id. Pure:
//! the station passes the events its pull stored and how it names each case.

use crate::case::{Assignee, CaseStep};
use crate::code::Code;
use crate::event::{Event, EventBody, Origin};
use crate::labels::Labelled;

/// Said of a round that brought nothing.
pub const NOTHING_NEW: &str = "没有新的消息";

/// One line per thing the township did that concerns `village`, in the
/// order they came (the village's own events, echoed back, say nothing;
/// nothing new is no line at all); the severe screenings the township confirmed it holds
/// are told once, as a count. `case_label` names a case (its number, or
/// its parties and day while it has none).
pub fn describe(
    events: &[Event],
    village: &Code,
    case_label: impl Fn(&Event) -> String,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut severe_held = 0;
    let own = Origin::node(village.clone());
    for event in events.iter().filter(|e| e.origin != own) {
        let line = match &event.body {
            EventBody::CaseStepped(action) => Some(step_line(
                &action.step,
                village,
                &case_label(event),
                &event.author,
            )),
            EventBody::SevereScreeningReported(_) => {
                severe_held += 1;
                None
            }
            EventBody::ScreeningSignedOff(sign_off) => Some(match sign_off.note.trim() {
                "" => format!("中心主任 {} 已签阅本村的一条排查", event.author),
                note => format!("中心主任 {} 已签阅本村的一条排查:{note}", event.author),
            }),
            EventBody::ScreeningConverted(_) => {
                Some("镇中心已把本村的一条排查转为案件办理".to_owned())
            }
            _ => None,
        };
        lines.extend(line);
    }
    if severe_held > 0 {
        lines.push(format!(
            "镇中心已收到本村 {severe_held} 条重大或群体性排查,并已上报"
        ));
    }
    lines
}

/// A record's conflicts, in words: each step that no longer fits what the
/// record became (two offline edits collided) and so did not take effect.
/// The step is kept in the ledger; the case file shows it under 冲突.
pub fn conflict_lines(record: &str, conflicts: &[crate::fold::Conflict]) -> Vec<String> {
    conflicts
        .iter()
        .map(|c| {
            format!(
                "冲突:{record} 上 {} {} 的一步未生效({}),记录仍保留,请与镇中心核对",
                c.author,
                crate::time::format_cst(c.hlc.wall_ms),
                c.reason
            )
        })
        .collect()
}

fn step_line(step: &CaseStep, village: &Code, case: &str, by: &str) -> String {
    match step {
        CaseStep::Received { accept_by } => {
            format!("镇中心已收到案件 {case} 的登记,受理期限 {accept_by}")
        }
        CaseStep::Accept {
            case_number,
            resolve_deadline,
        } if case == *case_number => {
            format!("镇中心已受理案件 {case},办结期限 {resolve_deadline}")
        }
        CaseStep::Accept {
            case_number,
            resolve_deadline,
        } => format!("镇中心已受理案件 {case},编号 {case_number},办结期限 {resolve_deadline}"),
        CaseStep::NotAccept { reason } => format!("镇中心对案件 {case} 不予受理:{reason}"),
        CaseStep::Assign {
            assignee: Assignee::Village { code },
            person,
            deadline,
        } if code == village => {
            format!("新交办:案件 {case} 交本村办理(承办人 {person}),期限 {deadline}")
        }
        CaseStep::Assign { assignee, .. } => {
            format!("案件 {case} 已改由{}办理", assignee.label())
        }
        CaseStep::Approve => format!("案件 {case} 的交办已经中心主任审批,可以开始调处"),
        CaseStep::Urge { note, .. } => format!("催办:案件 {case}:{note}"),
        CaseStep::Supervise { note, .. } => format!("督办:案件 {case}:{note}"),
        CaseStep::Extend {
            days, new_deadline, ..
        } => format!("案件 {case} 延期 {days} 天,新期限 {new_deadline}"),
        CaseStep::Escalate { .. } => format!("案件 {case} 已上报县级"),
        CaseStep::Reopen { reason, deadline } => {
            format!("案件 {case} 重新办理:{reason},受理期限 {deadline}")
        }
        other => format!("{by} 对案件 {case} 办理了「{}」", other.kind().label()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{ActorRole, CaseAction};
    use crate::event::Digest;
    use crate::hlc::Hlc;
    use uuid::Uuid;

    fn code(text: &str) -> Code {
        Code::parse(text).unwrap()
    }

    fn from(origin: Origin, n: u64, body: EventBody) -> Event {
        Event {
            id: Uuid::from_u128(u128::from(n)),
            origin,
            seq: n,
            hlc: Hlc::new(n, 0),
            author: "刘芳".into(),
            entity: Uuid::from_u128(7),
            body,
            prev_hash: Digest::GENESIS,
            hash_rule: crate::HashRule::CURRENT,
        }
    }

    #[test]
    fn a_conflict_is_told_with_who_when_and_why() {
        let conflict = crate::fold::Conflict {
            event: crate::event::EventRef {
                origin: Origin::node(code("360123100201")),
                seq: 4,
            },
            author: "李明".into(),
            hlc: Hlc::new(1_795_000_000_000, 0),
            reason: "案件未交办给本村".into(),
        };
        assert_eq!(
            conflict_lines("案件 360123100-2026-0001", &[conflict]),
            vec![
                "冲突:案件 360123100-2026-0001 上 李明 2026-11-18 19:06 的一步未生效(案件未交办给本村),记录仍保留,请与镇中心核对"
            ]
        );
    }

    fn step(step: CaseStep) -> EventBody {
        EventBody::CaseStepped(CaseAction {
            role: ActorRole::Operator,
            step,
        })
    }

    #[test]
    fn each_thing_the_township_did_is_told_and_the_villages_own_events_are_not() {
        let village = code("360123100201");
        let hub = Origin::node(code("360123100"));
        let date = |d: &str| d.parse().unwrap();
        let events = vec![
            from(
                hub.clone(),
                1,
                step(CaseStep::Received {
                    accept_by: date("2026-12-05"),
                }),
            ),
            from(
                hub.clone(),
                2,
                step(CaseStep::Assign {
                    assignee: Assignee::Village {
                        code: village.clone(),
                    },
                    person: "李明".into(),
                    deadline: date("2027-01-10"),
                }),
            ),
            from(
                hub.clone(),
                3,
                step(CaseStep::Urge {
                    note: "请抓紧".into(),
                    automatic: false,
                    about: None,
                }),
            ),
            from(
                hub.clone(),
                4,
                step(CaseStep::Supervise {
                    note: "已超期".into(),
                    automatic: true,
                    about: None,
                }),
            ),
            from(
                hub.clone(),
                5,
                step(CaseStep::Assign {
                    assignee: Assignee::Unit {
                        name: "司法所".into(),
                    },
                    person: "孙立".into(),
                    deadline: date("2027-01-10"),
                }),
            ),
            // The village's own step, echoed back by the hub: nothing to tell.
            from(
                Origin::node(village.clone()),
                1,
                step(CaseStep::Feedback {
                    note: "已告知".into(),
                }),
            ),
        ];
        let lines = describe(&events, &village, |_| "2026-0007".into());
        assert_eq!(
            lines,
            vec![
                "镇中心已收到案件 2026-0007 的登记,受理期限 2026-12-05",
                "新交办:案件 2026-0007 交本村办理(承办人 李明),期限 2027-01-10",
                "催办:案件 2026-0007:请抓紧",
                "督办:案件 2026-0007:已超期",
                "案件 2026-0007 已改由司法所办理",
            ]
        );
        assert!(describe(&events[5..], &village, |_| String::new()).is_empty());
    }
}
