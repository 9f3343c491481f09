//! The hub's deadline tracker (案件限时结报): every open case is measured
//! against its deadline in CST calendar days; a case entering the urge window
//! gets one automatic urge (催办), a case past its deadline one automatic
//! supervision notice (督办). Both are ordinary case events, so they reach
//! the assignee's station on its next pull.

use chrono::NaiveDate;
use sanji_domain::case::{ActorRole, CaseAction, CaseFile, CaseStatus, CaseStep, StepKind};
use sanji_domain::deadline::{DeadlinePolicy, DeadlineStanding};
use sanji_domain::fold::EntityState;
use sanji_domain::time::cst_date;
use sanji_domain::{Event, EventBody, Origin};
use sanji_store::{Draft, Store};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::NodeError;

pub const SYSTEM_AUTHOR: &str = "系统(限时督办)";

/// The deadline a case is measured against now: the one on its file, or
/// for a registration not yet received here (the tracker's next pass fixes
/// it), the one today's policy would fix.
pub fn running_deadline(file: &CaseFile, policy: &DeadlinePolicy) -> Option<NaiveDate> {
    match file.status {
        CaseStatus::Registered => file
            .deadline
            .or_else(|| Some(policy.accept_deadline(file.registration.registered_on))),
        s if s.is_open() => file.deadline,
        _ => None,
    }
}

/// Whether this node keeps `file` itself, so tracks its deadlines and
/// counts it in its reports: a file built from its own events, or a case the
/// county handed down to this township that nobody here has stepped on yet
/// (the fold marks a bare hand-down as a copy, which it is only at the county;
/// at the township its acceptance deadline runs from the start).
pub fn kept_here(file: &CaseFile, node: &sanji_domain::Code) -> bool {
    file.authoritative || file.handed_down_to.as_ref() == Some(node)
}

/// The open case files this node keeps, in id order, read through the
/// store's status index: a deadline runs only on an open case.
pub fn open_files(store: &Store) -> Result<Vec<(Uuid, Box<CaseFile>)>, NodeError> {
    use sanji_domain::index::{self, IndexName};
    let mut files = Vec::new();
    for range in index::open_status_ranges() {
        for e in store.entities_where(IndexName::CaseStatus, &range)? {
            if let EntityState::Case(file) = e.state
                && kept_here(&file, store.node())
            {
                files.push((e.id, file));
            }
        }
    }
    files.sort_by_key(|(id, _)| *id);
    Ok(files)
}

/// One open case as the tracker sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracked {
    pub id: Uuid,
    pub case_number: Option<String>,
    pub status: CaseStatus,
    pub place: sanji_domain::Code,
    pub assignee: Option<String>,
    pub deadline: NaiveDate,
    pub standing: DeadlineStanding,
    pub urges: usize,
    pub supervisions: usize,
}

/// How many open cases one unit or village holds, and how many are late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssigneeLoad {
    /// The unit or village as the case names it; 「(未分流)」 before dispatch.
    pub assignee: String,
    pub open: usize,
    pub due_soon: usize,
    pub overdue: usize,
}

/// The open cases of `rows` counted by who holds them, in name order.
pub fn by_assignee(rows: &[Tracked]) -> Vec<AssigneeLoad> {
    let mut by: std::collections::BTreeMap<String, AssigneeLoad> = Default::default();
    for r in rows {
        let who = r.assignee.clone().unwrap_or_else(|| "(未分流)".to_owned());
        let load = by.entry(who.clone()).or_insert(AssigneeLoad {
            assignee: who,
            open: 0,
            due_soon: 0,
            overdue: 0,
        });
        load.open += 1;
        match r.standing {
            DeadlineStanding::DueSoon { .. } => load.due_soon += 1,
            DeadlineStanding::Overdue { .. } => load.overdue += 1,
            DeadlineStanding::OnTime { .. } => {}
        }
    }
    by.into_values().collect()
}

/// Every open case with a running deadline, most urgent first.
pub fn open_cases(
    store: &Store,
    policy: &DeadlinePolicy,
    today: NaiveDate,
) -> Result<Vec<Tracked>, NodeError> {
    let mut rows = Vec::new();
    for (id, file) in open_files(store)? {
        if let Some(deadline) = running_deadline(&file, policy) {
            rows.push(Tracked {
                id,
                case_number: file.case_number.clone(),
                status: file.status,
                place: file.registration.place.clone(),
                assignee: file.assignment.as_ref().map(|a| a.assignee.label()),
                deadline,
                standing: DeadlineStanding::of(deadline, today, policy.urge_days_before),
                urges: file.urges.len(),
                supervisions: file.supervisions.len(),
            });
        }
    }
    rows.sort_by_key(|r| r.deadline);
    Ok(rows)
}

/// Issues the automatic urges and supervision notices that are due and not
/// yet issued for the deadline now running. Idempotent.
pub fn sweep(store: &Store, policy: &DeadlinePolicy, now_ms: u64) -> Result<Vec<Event>, NodeError> {
    let today = cst_date(now_ms);
    let mut drafts = Vec::new();
    let system_step = |id, step| Draft {
        author: SYSTEM_AUTHOR.to_owned(),
        entity: id,
        body: EventBody::CaseStepped(CaseAction {
            role: ActorRole::System,
            step,
        }),
    };
    for (id, file) in open_files(store)? {
        if file.automatic_steps().contains(&StepKind::Received) {
            // Fixed now, under the policy in force: a later change of policy
            // moves no running deadline and rewrites no month.
            drafts.push(system_step(
                id,
                CaseStep::Received {
                    accept_by: policy.accept_deadline(file.registration.registered_on),
                },
            ));
        }
        let Some(deadline) = running_deadline(&file, policy) else {
            continue;
        };
        let already = |notices: &[sanji_domain::case::Notice]| {
            notices
                .iter()
                .any(|n| n.automatic && n.deadline == Some(deadline))
        };
        let step = match DeadlineStanding::of(deadline, today, policy.urge_days_before) {
            DeadlineStanding::DueSoon { days_left } if !already(&file.urges) => CaseStep::Urge {
                note: if days_left == 0 {
                    format!("今日({deadline})到期,请抓紧办理")
                } else {
                    format!("距期限 {deadline} 还有 {days_left} 天,请抓紧办理")
                },
                automatic: true,
                about: Some(deadline),
            },
            DeadlineStanding::Overdue { days_over } if !already(&file.supervisions) => {
                CaseStep::Supervise {
                    note: format!("已超过期限 {deadline} {days_over} 天,列入督办"),
                    automatic: true,
                    about: Some(deadline),
                }
            }
            _ => continue,
        };
        drafts.push(system_step(id, step));
    }
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let ledger = Origin::node(store.node().clone());
    Ok(store.append_local(&ledger, now_ms, drafts)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(assignee: Option<&str>, standing: DeadlineStanding) -> Tracked {
        Tracked {
            id: Uuid::nil(),
            case_number: None,
            status: CaseStatus::Assigned,
            place: sanji_domain::Code::parse("360123100201").unwrap(),
            assignee: assignee.map(str::to_owned),
            deadline: NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
            standing,
            urges: 0,
            supervisions: 0,
        }
    }

    #[test]
    fn open_cases_are_counted_by_who_holds_them_with_the_late_ones_apart() {
        let rows = [
            tracked(Some("司法所"), DeadlineStanding::Overdue { days_over: 2 }),
            tracked(Some("司法所"), DeadlineStanding::DueSoon { days_left: 1 }),
            tracked(Some("司法所"), DeadlineStanding::OnTime { days_left: 9 }),
            tracked(Some("东山村"), DeadlineStanding::OnTime { days_left: 9 }),
            tracked(None, DeadlineStanding::Overdue { days_over: 1 }),
        ];
        let loads = by_assignee(&rows);
        let load = |who: &str| loads.iter().find(|l| l.assignee == who).unwrap();
        assert_eq!(loads.len(), 3);
        assert_eq!(
            (
                load("司法所").open,
                load("司法所").due_soon,
                load("司法所").overdue
            ),
            (3, 1, 1)
        );
        assert_eq!((load("东山村").open, load("东山村").overdue), (1, 0));
        assert_eq!(load("(未分流)").overdue, 1);
    }
}
