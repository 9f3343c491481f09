//! 报送情况: for each village and period, whether it reported screenings,
//! reported that its round found nothing (零报告), or did not report at all
//! (未报送). Without the zero report a quiet village and one that never
//! screened or synced look the same; with it the township and the county
//! can tell them apart.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::code::Code;
use crate::report::Month;

/// Where a village stands for one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "standing", rename_all = "snake_case")]
pub enum Standing {
    /// It registered screenings in the period (a zero report beside them
    /// changes nothing: something was found).
    Reported { screenings: u32 },
    /// No screening, but a 零报告: the round found nothing.
    Zero { reports: u32 },
    /// Neither: the township has heard nothing for the period.
    Missing,
}

impl Standing {
    /// The standing of a village from the days of its screenings and its
    /// zero reports, for the days `from` to `to` (both included).
    pub fn of(
        screened_on: impl IntoIterator<Item = NaiveDate>,
        zero_reported_on: impl IntoIterator<Item = NaiveDate>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Standing {
        let within = |d: &NaiveDate| from <= *d && *d <= to;
        let screenings = screened_on.into_iter().filter(within).count() as u32;
        let reports = zero_reported_on.into_iter().filter(within).count() as u32;
        match (screenings, reports) {
            (0, 0) => Standing::Missing,
            (0, reports) => Standing::Zero { reports },
            (screenings, _) => Standing::Reported { screenings },
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Standing::Reported { .. } => "reported",
            Standing::Zero { .. } => "zero",
            Standing::Missing => "missing",
        }
    }

    /// `排查 3 条` / `零报告` / `未报送`.
    pub fn label(self) -> String {
        match self {
            Standing::Reported { screenings } => format!("排查 {screenings} 条"),
            Standing::Zero { .. } => "零报告".to_owned(),
            Standing::Missing => "未报送".to_owned(),
        }
    }
}

/// How many of a township's villages reported, reported zero, or did not
/// report in a period: the figure the county reads beside a township's
/// monthly report, so that a report of zeros says whether its villages
/// really were quiet.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ReportingCounts {
    pub villages: u32,
    pub reported: u32,
    pub zero: u32,
    pub missing: u32,
}

impl ReportingCounts {
    pub fn of(standings: impl IntoIterator<Item = Standing>) -> ReportingCounts {
        let mut counts = ReportingCounts::default();
        for standing in standings {
            counts.villages += 1;
            match standing {
                Standing::Reported { .. } => counts.reported += 1,
                Standing::Zero { .. } => counts.zero += 1,
                Standing::Missing => counts.missing += 1,
            }
        }
        counts
    }

    /// `5 村:3 村有排查,1 村零报告,1 村未报送`.
    pub fn label(&self) -> String {
        if self.villages == 0 {
            return "没有村".to_owned();
        }
        let mut parts = Vec::new();
        for (n, what) in [
            (self.reported, "有排查"),
            (self.zero, "零报告"),
            (self.missing, "未报送"),
        ] {
            if n > 0 {
                parts.push(format!("{n} 村{what}"));
            }
        }
        format!("{} 村:{}", self.villages, parts.join(","))
    }
}

impl std::ops::Add for ReportingCounts {
    type Output = ReportingCounts;

    fn add(self, other: ReportingCounts) -> ReportingCounts {
        ReportingCounts {
            villages: self.villages + other.villages,
            reported: self.reported + other.reported,
            zero: self.zero + other.zero,
            missing: self.missing + other.missing,
        }
    }
}

/// The Monday-to-Sunday week (the documents' weekly 大排查) holding `date`.
pub fn week_of(date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let monday = date - Days::new(u64::from(date.weekday().num_days_from_monday()));
    (monday, monday + Days::new(6))
}

/// The weeks that touch `month`, each cut to the month's own days, so that
/// a month's weeks together are exactly its days.
pub fn weeks_in(month: Month) -> Vec<(NaiveDate, NaiveDate)> {
    let (first, last) = (month.first_day(), month.last_day());
    let mut weeks = Vec::new();
    let mut from = first;
    while from <= last {
        let to = week_of(from).1.min(last);
        weeks.push((from, to));
        from = to + Days::new(1);
    }
    weeks
}

/// One village's standing in each period of `periods`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VillageReporting {
    pub village: Code,
    pub periods: Vec<Standing>,
}

/// Each village's standing in each of `periods`, from the days of its
/// screenings and zero reports (`days` gives them for a village).
pub fn reporting<'a, F>(
    villages: &'a [Code],
    periods: &[(NaiveDate, NaiveDate)],
    mut days: F,
) -> Vec<VillageReporting>
where
    F: FnMut(&'a Code) -> (Vec<NaiveDate>, Vec<NaiveDate>),
{
    villages
        .iter()
        .map(|village| {
            let (screened, zero) = days(village);
            VillageReporting {
                village: village.clone(),
                periods: periods
                    .iter()
                    .map(|&(from, to)| {
                        Standing::of(screened.iter().copied(), zero.iter().copied(), from, to)
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_zero_report_counts_only_where_nothing_was_screened() {
        let (from, to) = (d(2026, 11, 23), d(2026, 11, 29));
        assert_eq!(Standing::of([], [], from, to), Standing::Missing);
        assert_eq!(
            Standing::of([], [d(2026, 11, 25)], from, to),
            Standing::Zero { reports: 1 }
        );
        assert_eq!(
            Standing::of(
                [d(2026, 11, 24), d(2026, 11, 29)],
                [d(2026, 11, 25)],
                from,
                to
            ),
            Standing::Reported { screenings: 2 }
        );
        // Outside the period, neither counts.
        assert_eq!(
            Standing::of([d(2026, 11, 30)], [d(2026, 11, 22)], from, to),
            Standing::Missing
        );
    }

    #[test]
    fn a_months_weeks_run_monday_to_sunday_and_cover_its_days_once() {
        // November 2026 begins on a Sunday and ends on a Monday.
        let weeks = weeks_in(Month::parse("2026-11").unwrap());
        assert_eq!(weeks.first(), Some(&(d(2026, 11, 1), d(2026, 11, 1))));
        assert_eq!(weeks[1], (d(2026, 11, 2), d(2026, 11, 8)));
        assert_eq!(weeks.last(), Some(&(d(2026, 11, 30), d(2026, 11, 30))));
        assert_eq!(weeks.len(), 6);
        let days: i64 = weeks.iter().map(|(f, t)| (*t - *f).num_days() + 1).sum();
        assert_eq!(days, 30);
        assert_eq!(week_of(d(2026, 12, 3)), (d(2026, 11, 30), d(2026, 12, 6)));
    }

    #[test]
    fn counts_say_how_many_villages_stood_where() {
        let counts = ReportingCounts::of([
            Standing::Reported { screenings: 4 },
            Standing::Zero { reports: 1 },
            Standing::Zero { reports: 2 },
            Standing::Missing,
        ]);
        assert_eq!(
            counts,
            ReportingCounts {
                villages: 4,
                reported: 1,
                zero: 2,
                missing: 1
            }
        );
        assert_eq!(counts.label(), "4 村:1 村有排查,2 村零报告,1 村未报送");
    }
}
