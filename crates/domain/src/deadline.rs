//! Deadlines (案件限时结报制度): a per-township policy and calendar-day
//! arithmetic in China Standard Time. A deadline is a local date; the case is
//! overdue from the local midnight after it.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A township's deadline policy. The defaults are those of the 信访工作条例
/// and the township documents; each township may set its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlinePolicy {
    /// Decide acceptance within this many days of registration.
    pub accept_days: u32,
    /// Resolve within this many days of acceptance.
    pub resolve_days: u32,
    /// One extension of at most this many days, approved by the director.
    pub extension_max_days: u32,
    /// A severe screening reaches the county within this many hours.
    pub severe_report_hours: u32,
    /// Urge the assignee automatically this many days before the deadline.
    pub urge_days_before: u32,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            accept_days: 15,
            resolve_days: 60,
            extension_max_days: 30,
            severe_report_hours: 24,
            urge_days_before: 3,
        }
    }
}

impl DeadlinePolicy {
    pub fn validate(&self) -> Result<(), FieldError> {
        let check = |field: &str, value: u32, max: u32| {
            if value == 0 || value > max {
                Err(FieldError::new(
                    field,
                    format!("须在 1 到 {max} 之间,而不是 {value}"),
                ))
            } else {
                Ok(())
            }
        };
        check("accept_days", self.accept_days, 90)?;
        check("resolve_days", self.resolve_days, 365)?;
        check("extension_max_days", self.extension_max_days, 90)?;
        check("severe_report_hours", self.severe_report_hours, 168)?;
        if self.urge_days_before >= self.resolve_days {
            return Err(FieldError::new("urge_days_before", "须小于 resolve_days"));
        }
        Ok(())
    }

    pub fn accept_deadline(&self, registered_on: NaiveDate) -> NaiveDate {
        add_days(registered_on, self.accept_days)
    }

    pub fn resolve_deadline(&self, accepted_on: NaiveDate) -> NaiveDate {
        add_days(accepted_on, self.resolve_days)
    }

    /// Where a 重大 or 群体性 screening stands under the 24-hour rule
    /// (`severe_report_hours`): recorded by the village at `recorded_at_ms`,
    /// passed on upward at `passed_on_ms` (if it was), looked at `now_ms`.
    pub fn severe_report_standing(
        &self,
        recorded_at_ms: u64,
        passed_on_ms: Option<u64>,
        now_ms: u64,
    ) -> ReportStanding {
        let due_ms = recorded_at_ms.saturating_add(u64::from(self.severe_report_hours) * HOUR_MS);
        // Whole hours, rounded up: a minute late is an hour late on paper.
        let hours = |ms: u64| ms.div_ceil(HOUR_MS);
        match passed_on_ms {
            Some(at) if at <= due_ms => ReportStanding::InTime,
            Some(at) => ReportStanding::Late {
                hours_over: hours(at - due_ms),
            },
            None if now_ms <= due_ms => ReportStanding::Due {
                hours_left: hours(due_ms - now_ms),
            },
            None => ReportStanding::Overdue {
                hours_over: hours(now_ms - due_ms),
            },
        }
    }
}

const HOUR_MS: u64 = 3_600_000;

/// A severe screening under the 24-hour rule (重大、群体性排查须在 24 小时内
/// 上报), as [`DeadlinePolicy::severe_report_standing`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReportStanding {
    /// Passed on within the hours allowed.
    InTime,
    /// Passed on this many hours (rounded up) after the hours allowed.
    Late { hours_over: u64 },
    /// Not passed on yet; this many hours (rounded up) are left.
    Due { hours_left: u64 },
    /// Not passed on yet, and the hours allowed ran out this long ago.
    Overdue { hours_over: u64 },
}

impl ReportStanding {
    /// Passed on late, or not yet and already late: flagged and counted.
    pub fn is_late(&self) -> bool {
        matches!(
            self,
            ReportStanding::Late { .. } | ReportStanding::Overdue { .. }
        )
    }

    pub fn label(&self) -> String {
        match self {
            ReportStanding::InTime => "按时上报".to_owned(),
            ReportStanding::Late { hours_over } => format!("超时 {hours_over} 小时上报"),
            ReportStanding::Due { hours_left } => format!("尚未上报,还剩 {hours_left} 小时"),
            ReportStanding::Overdue { hours_over } => {
                format!("已超时 {hours_over} 小时,仍未上报")
            }
        }
    }
}

/// `date` plus `days` calendar days (saturating at the calendar's end).
pub fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// Where a deadline stands on `today` (both CST dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeadlineStanding {
    /// More than the urge window away.
    OnTime { days_left: i64 },
    /// Within the urge window (including the deadline day itself).
    DueSoon { days_left: i64 },
    /// Past the deadline by this many days.
    Overdue { days_over: i64 },
}

impl DeadlineStanding {
    pub fn of(deadline: NaiveDate, today: NaiveDate, urge_days_before: u32) -> DeadlineStanding {
        let days_left = (deadline - today).num_days();
        if days_left < 0 {
            DeadlineStanding::Overdue {
                days_over: -days_left,
            }
        } else if days_left <= i64::from(urge_days_before) {
            DeadlineStanding::DueSoon { days_left }
        } else {
            DeadlineStanding::OnTime { days_left }
        }
    }

    pub fn label(&self) -> String {
        match self {
            DeadlineStanding::OnTime { days_left } => format!("剩 {days_left} 天"),
            DeadlineStanding::DueSoon { days_left: 0 } => "今日到期".to_owned(),
            DeadlineStanding::DueSoon { days_left } => format!("即将到期(剩 {days_left} 天)"),
            DeadlineStanding::Overdue { days_over } => format!("已超期 {days_over} 天"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn deadlines_cross_month_and_year_ends() {
        let p = DeadlinePolicy::default();
        assert_eq!(p.accept_deadline(d("2026-01-20")), d("2026-02-04"));
        assert_eq!(p.accept_deadline(d("2026-12-20")), d("2027-01-04"));
        assert_eq!(p.resolve_deadline(d("2026-11-15")), d("2027-01-14"));
        assert_eq!(
            p.resolve_deadline(d("2028-01-01")),
            d("2028-03-01"),
            "2028 is a leap year"
        );
        assert_eq!(add_days(d("2027-02-27"), 2), d("2027-03-01"));
    }

    #[test]
    fn a_severe_screening_is_late_from_the_first_minute_after_its_hours() {
        let p = DeadlinePolicy::default();
        let recorded = 1_780_000_000_000;
        let hours = |h: u64| recorded + h * HOUR_MS;
        let minutes = |m: u64| m * 60_000;
        assert_eq!(
            p.severe_report_standing(recorded, Some(hours(24)), hours(30)),
            ReportStanding::InTime,
            "the 24th hour itself is in time"
        );
        assert_eq!(
            p.severe_report_standing(recorded, Some(hours(24) + minutes(1)), hours(30)),
            ReportStanding::Late { hours_over: 1 }
        );
        assert_eq!(
            p.severe_report_standing(recorded, Some(hours(50)), hours(60)),
            ReportStanding::Late { hours_over: 26 }
        );
        assert_eq!(
            p.severe_report_standing(recorded, None, hours(3) + minutes(30)),
            ReportStanding::Due { hours_left: 21 }
        );
        let waiting = p.severe_report_standing(recorded, None, hours(25) + minutes(10));
        assert_eq!(waiting, ReportStanding::Overdue { hours_over: 2 });
        assert!(waiting.is_late() && !ReportStanding::InTime.is_late());
        assert_eq!(waiting.label(), "已超时 2 小时,仍未上报");
        let strict = DeadlinePolicy {
            severe_report_hours: 12,
            ..p
        };
        assert_eq!(
            strict.severe_report_standing(recorded, Some(hours(13)), hours(13)),
            ReportStanding::Late { hours_over: 1 },
            "the township's own hours rule"
        );
    }

    #[test]
    fn standing_turns_overdue_the_day_after() {
        let deadline = d("2026-12-31");
        assert_eq!(
            DeadlineStanding::of(deadline, d("2026-12-20"), 3),
            DeadlineStanding::OnTime { days_left: 11 }
        );
        assert_eq!(
            DeadlineStanding::of(deadline, d("2026-12-28"), 3),
            DeadlineStanding::DueSoon { days_left: 3 }
        );
        assert_eq!(
            DeadlineStanding::of(deadline, d("2026-12-31"), 3),
            DeadlineStanding::DueSoon { days_left: 0 }
        );
        assert_eq!(
            DeadlineStanding::of(deadline, d("2027-01-01"), 3),
            DeadlineStanding::Overdue { days_over: 1 }
        );
    }

    #[test]
    fn policies_are_checked() {
        assert!(DeadlinePolicy::default().validate().is_ok());
        let bad = DeadlinePolicy {
            resolve_days: 0,
            ..DeadlinePolicy::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "resolve_days");
        let bad = DeadlinePolicy {
            urge_days_before: 60,
            ..DeadlinePolicy::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "urge_days_before");
    }
}
