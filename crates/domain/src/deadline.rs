//! Deadlines (案件限时结报制度): a per-township policy and calendar-day
//! arithmetic in China Standard Time. A deadline is a local date; the case is
//! overdue from the local midnight after it.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A township's deadline policy. The defaults are those of the 信访工作条例
/// and the township documents; each township may set its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// `date` plus `days` calendar days (saturating at the calendar's end).
pub fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// Where a deadline stands on `today` (both CST dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
