//! The 会议记录簿: the township's meetings (the monthly 矛盾纠纷排查例会 on
//! the 25th, the 综治信访维稳工作例会 on the 28th, the quarterly 成员单位联席
//! 会议), what each reviewed, what it decided and whom it made responsible
//! for what; which fixed meeting is due with no minutes; and how each
//! responsibility stands against its deadline.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::FieldError;
use crate::labels::{Labelled, labelled_enum};
use crate::record::{date, name, text};
use crate::report::{Month, Period};

labelled_enum! {
    /// 会议类别.
    MeetingKind {
        DisputeScreening = "dispute_screening", "矛盾纠纷排查例会";
        StabilityWork = "stability_work", "综治信访维稳工作例会";
        MemberUnits = "member_units", "成员单位联席会议";
        Other = "other", "其他会议";
    }
}

impl MeetingKind {
    /// The day of the month a monthly meeting is fixed on (镇综治委将每月25日
    /// 列为矛盾纠纷排查例会日; 每月28日定为综治信访维稳工作例会日).
    pub fn monthly_day(self) -> Option<u32> {
        match self {
            MeetingKind::DisputeScreening => Some(25),
            MeetingKind::StabilityWork => Some(28),
            MeetingKind::MemberUnits | MeetingKind::Other => None,
        }
    }

    /// Held at fixed times, so missing minutes are worth a reminder.
    pub fn is_fixed(self) -> bool {
        self != MeetingKind::Other
    }
}

/// What a responsibility is for: a screening or a case of the township.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Screening(Uuid),
    Case(Uuid),
}

impl Subject {
    pub fn id(self) -> Uuid {
        match self {
            Subject::Screening(id) | Subject::Case(id) => id,
        }
    }
}

/// 责任落实: one unit and person made responsible, at a meeting, for a
/// screening or a case, by a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Responsibility {
    pub subject: Subject,
    /// 责任单位: a member unit of the township or a village station.
    pub unit: String,
    /// 责任人.
    pub person: String,
    /// 工作要求.
    pub task: String,
    pub deadline: NaiveDate,
}

/// One meeting's minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meeting {
    pub kind: MeetingKind,
    pub held_on: NaiveDate,
    /// 主持人.
    pub chair: String,
    /// 参会人员 (a person, or a unit's representative).
    pub attendees: Vec<String>,
    /// The screenings reviewed (逐村研判), and the cases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screenings: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<Uuid>,
    /// 会议议定事项.
    pub decisions: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responsibilities: Vec<Responsibility>,
}

/// How many attendees, links or responsibilities one meeting may carry.
pub const MEETING_LIST_LIMIT: usize = 100;

impl Meeting {
    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldError> {
        date("held_on", self.held_on, today)?;
        name("chair", &self.chair)?;
        if self.attendees.is_empty() {
            return Err(FieldError::new("attendees", "至少填写 1 名参会人员"));
        }
        for (field, len) in [
            ("attendees", self.attendees.len()),
            ("screenings", self.screenings.len()),
            ("cases", self.cases.len()),
            ("responsibilities", self.responsibilities.len()),
        ] {
            if len > MEETING_LIST_LIMIT {
                return Err(FieldError::new(
                    field,
                    format!("条目过多:{len} 条,最多 {MEETING_LIST_LIMIT} 条"),
                ));
            }
        }
        for (i, a) in self.attendees.iter().enumerate() {
            name(&format!("attendees[{i}]"), a)?;
        }
        text("decisions", &self.decisions, 1)?;
        for (i, r) in self.responsibilities.iter().enumerate() {
            let within = |e: FieldError| e.within(&format!("responsibilities[{i}]"));
            name("unit", &r.unit).map_err(within)?;
            name("person", &r.person).map_err(within)?;
            text("task", &r.task, 1).map_err(within)?;
            if r.deadline < self.held_on {
                return Err(within(FieldError::new(
                    "deadline",
                    format!(
                        "落实期限 {} 早于开会日期 {},请核对",
                        r.deadline, self.held_on
                    ),
                )));
            }
            if r.deadline.year() > self.held_on.year() + 1 {
                return Err(within(FieldError::new(
                    "deadline",
                    format!("落实期限 {} 太远,请核对", r.deadline),
                )));
            }
        }
        Ok(())
    }
}

/// A fixed meeting whose time has come and that has no minutes yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DueMeeting {
    pub kind: MeetingKind,
    /// The month or quarter it is held for.
    pub period: Period,
    /// The fixed day (monthly), or the quarter's last day.
    pub due_on: NaiveDate,
    /// Past `due_on` with no minutes (else due today or this quarter).
    pub overdue: bool,
}

impl DueMeeting {
    /// `12月25日的矛盾纠纷排查例会尚无会议记录`, as people say it.
    pub fn words(&self) -> String {
        match self.period {
            Period::Quarter { year, quarter } => format!(
                "{year} 年第 {quarter} 季度的{}{}(应于 {} 前召开)",
                self.kind.label(),
                if self.overdue {
                    "没有会议记录"
                } else {
                    "尚未召开"
                },
                self.due_on
            ),
            _ => format!(
                "{} 月 {} 日的{}{}",
                self.due_on.month(),
                self.due_on.day(),
                self.kind.label(),
                if self.overdue {
                    "没有会议记录"
                } else {
                    "今天召开,尚无会议记录"
                }
            ),
        }
    }
}

/// Which fixed meetings are due on `today` with no minutes among `held`
/// (each meeting's kind and day). A monthly meeting counts from its fixed
/// day to the month's end, its month's minutes (any day of that month)
/// answering for it; before the fixed day, last month's is the one asked
/// for. The quarterly joint meeting is asked for in the quarter's last
/// month, and after the quarter, until the next quarter's last month.
pub fn due_meetings(today: NaiveDate, held: &[(MeetingKind, NaiveDate)]) -> Vec<DueMeeting> {
    let held_in = |kind: MeetingKind, period: Period| {
        held.iter()
            .any(|&(k, day)| k == kind && period.contains(day))
    };
    let mut due = Vec::new();
    for &kind in MeetingKind::ALL {
        let (period, due_on) = if let Some(day) = kind.monthly_day() {
            let this = Month::of(today);
            let month = if today.day() >= day {
                this
            } else {
                previous_month(this)
            };
            let due_on = NaiveDate::from_ymd_opt(month.year, month.month, day)
                .unwrap_or_else(|| month.last_day());
            (
                Period::Month {
                    year: month.year,
                    month: month.month,
                },
                due_on,
            )
        } else if kind == MeetingKind::MemberUnits {
            let quarter = (today.month() - 1) / 3 + 1;
            let (year, quarter) = if today.month().is_multiple_of(3) {
                (today.year(), quarter)
            } else if quarter == 1 {
                (today.year() - 1, 4)
            } else {
                (today.year(), quarter - 1)
            };
            let period = Period::Quarter { year, quarter };
            (period, period.range().1)
        } else {
            continue;
        };
        if !held_in(kind, period) {
            due.push(DueMeeting {
                kind,
                period,
                due_on,
                overdue: due_on < today,
            });
        }
    }
    due
}

fn previous_month(month: Month) -> Month {
    if month.month == 1 {
        Month {
            year: month.year - 1,
            month: 12,
        }
    } else {
        Month {
            year: month.year,
            month: month.month - 1,
        }
    }
}

labelled_enum! {
    /// How a responsibility stands (落实情况).
    Follow {
        Done = "done", "已落实";
        Open = "open", "落实中";
        Overdue = "overdue", "逾期未落实";
    }
}

/// A responsibility's standing on `today`: done once its subject is dealt
/// with (`done_on`: the day the case was resolved or the screening turned
/// into a case or settled), else open until its deadline and overdue after.
pub fn follow(deadline: NaiveDate, done_on: Option<NaiveDate>, today: NaiveDate) -> Follow {
    match done_on {
        Some(_) => Follow::Done,
        None if today > deadline => Follow::Overdue,
        None => Follow::Open,
    }
}
