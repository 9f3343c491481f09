//! The township's monthly report (全镇综治信访维稳中心主要工作数据月报表) and
//! the rewards ledger (奖惩制度), both computed from the case files and
//! screenings, never typed in. Every figure can be traced to the cases
//! behind it.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::case::{
    AftermathKind, Assignee, CaseFile, CaseStatus, MediationKind, Outcome, Resolution, StepKind,
};
use crate::code::Code;
use crate::deadline::DeadlinePolicy;
use crate::error::FieldError;
use crate::labels::Labelled;
use crate::record::{CaseSource, Category, Incident, IncidentKind, Screening, Visit, VisitChannel};
use crate::reporting::ReportingCounts;
use crate::time::cst_date;

/// A calendar month, `2026-11`.
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
#[serde(try_from = "String", into = "String")]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(text: &str) -> Result<Month, FieldError> {
        let bad = || FieldError::new("month", format!("月份 {text:?} 格式不对,应为 YYYY-MM"));
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if !digits(y, 4) || !digits(m, 2) {
            return Err(bad());
        }
        let (year, month) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(1..=12).contains(&month) || year < 2000 {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a checked month")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next()
            .first_day()
            .pred_opt()
            .expect("not the first day ever")
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        Month::of(date) == self
    }
}

/// The days a report covers: a month (the 月报表) or any [`Period`] (the
/// half-monthly, quarterly and yearly summaries), counted the same way.
pub trait Span: Copy {
    fn first_day(self) -> NaiveDate;
    fn last_day(self) -> NaiveDate;
    fn contains(self, date: NaiveDate) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }
}

impl Span for Month {
    fn first_day(self) -> NaiveDate {
        Month::first_day(self)
    }
    fn last_day(self) -> NaiveDate {
        Month::last_day(self)
    }
    fn contains(self, date: NaiveDate) -> bool {
        Month::contains(self, date)
    }
}

impl Span for Period {
    fn first_day(self) -> NaiveDate {
        self.range().0
    }
    fn last_day(self) -> NaiveDate {
        self.range().1
    }
}

/// Exactly `len` ASCII digits (`str::parse` would also take a sign).
fn digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit())
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl TryFrom<String> for Month {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Month::parse(&value)
    }
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SourceCount {
    pub source: CaseSource,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CategoryCount {
    pub category: Category,
    pub count: u32,
}

/// One township's month. Complete: every source and category is listed,
/// zeros included; a later revision supersedes an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthlyReport {
    pub township: Code,
    pub month: Month,
    /// 受理登记 this month (by registration date).
    pub received: u32,
    pub received_by_source: Vec<SourceCount>,
    pub received_by_category: Vec<CategoryCount>,
    /// 受理 decisions this month.
    pub accepted: u32,
    pub not_accepted: u32,
    /// 办结 this month, and of those, mediated to an agreement.
    pub resolved: u32,
    pub mediated: u32,
    /// mediated / resolved in per-mille (调解成功率); `None` when nothing was resolved.
    pub mediation_success_permille: Option<u32>,
    /// Open past their deadline at the month's end, plus resolved late this month.
    pub overdue: u32,
    /// Still open at the month's end.
    pub open: u32,
    /// 上报县级 this month.
    pub escalated: u32,
    pub screenings: u32,
    pub severe_screenings: u32,
    /// Screenings with a mass-incident risk (群体性).
    pub mass_incidents: u32,
    /// 越级上访 found at follow-up this month.
    pub skip_level_petitions: u32,
    /// How many case files the figures were computed from: the township's
    /// cases registered, stepped or followed up in the month, or open at its
    /// end (see [`counts_in_month`]).
    pub cases_covered: u32,
    pub revision: u32,
    /// 接访 this month. `None` only in a report filed before visits were
    /// counted: shown as not counted, never as zeros.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visits: Option<VisitCounts>,
    /// 回访 and 重大疑难 disputes this month. `None` only in a report filed
    /// before they were counted: shown as not counted, never as zeros.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disputes: Option<DisputeCounts>,
    /// 重大 and 群体性 screenings of the month that missed the 24-hour rule
    /// (see [`late_severe`]). `None` only in a report filed before it was
    /// counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_severe: Option<u32>,
    /// How many of the township's villages reported screenings, reported
    /// zero (零报告) or did not report this month. `None` only in a report
    /// filed before it was counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting: Option<ReportingCounts>,
    /// 群体性事件 and 民转刑 cases that happened this month (not risks
    /// foreseen: those are `mass_incidents`). `None` only in a report filed
    /// before they were counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incidents: Option<IncidentCounts>,
}

/// What happened in a month, from the incident ledger.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct IncidentCounts {
    pub mass_incidents: u32,
    /// People involved in them.
    pub mass_incident_people: u32,
    pub criminal_conversions: u32,
}

impl std::ops::Add for IncidentCounts {
    type Output = IncidentCounts;

    fn add(self, other: IncidentCounts) -> IncidentCounts {
        IncidentCounts {
            mass_incidents: self.mass_incidents + other.mass_incidents,
            mass_incident_people: self.mass_incident_people + other.mass_incident_people,
            criminal_conversions: self.criminal_conversions + other.criminal_conversions,
        }
    }
}

/// The incidents of `township` that happened in `month` (or any span).
pub fn incident_counts<'a>(
    township: &Code,
    month: impl Span,
    incidents: impl IntoIterator<Item = &'a Incident>,
) -> IncidentCounts {
    let mut counts = IncidentCounts::default();
    for i in incidents
        .into_iter()
        .filter(|i| month.contains(i.occurred_on))
        .filter(|i| i.place == *township || i.place.is_under(township))
    {
        match i.kind {
            IncidentKind::MassIncident => {
                counts.mass_incidents += 1;
                counts.mass_incident_people += i.people_involved;
            }
            IncidentKind::CriminalConversion => counts.criminal_conversions += 1,
        }
    }
    counts
}

/// When a 重大 or 群体性 screening was recorded by its village and passed on
/// to the county by its hub (if it was yet): what the 24-hour rule is
/// checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SevereTiming {
    pub village: Code,
    pub screened_on: NaiveDate,
    pub recorded_at_ms: u64,
    pub passed_on_ms: Option<u64>,
}

/// How many of the severe screenings under `township` screened in `month`
/// missed the 24-hour rule at `now_ms`: passed on late, or not passed on and
/// past the hours allowed ([`DeadlinePolicy::severe_report_standing`]).
pub fn late_severe(
    township: &Code,
    month: impl Span,
    timings: &[SevereTiming],
    policy: &DeadlinePolicy,
    now_ms: u64,
) -> u32 {
    timings
        .iter()
        .filter(|t| month.contains(t.screened_on) && t.village.is_under(township))
        .filter(|t| {
            policy
                .severe_report_standing(t.recorded_at_ms, t.passed_on_ms, now_ms)
                .is_late()
        })
        .count() as u32
}

/// What the documents report beside the case counts: how many of the people
/// followed up (回访) were satisfied (满意率), and the 重大疑难 disputes (a
/// case registered as complex, 疑难复杂) received, resolved, mediated to an
/// agreement (化解) and still open ("受理了六起重大矛盾纠纷,成功化解了四起,
/// 还有两起仍在化解之中").
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DisputeCounts {
    /// 回访 this month.
    pub followed_up: u32,
    /// Of those, the people were satisfied.
    pub satisfied: u32,
    /// 重大疑难 registered this month.
    pub major_received: u32,
    /// 重大疑难 resolved this month, and of those mediated to an agreement.
    pub major_resolved: u32,
    pub major_mediated: u32,
    /// 重大疑难 still open at the month's end.
    pub major_open: u32,
}

impl DisputeCounts {
    fn add(self, other: DisputeCounts) -> DisputeCounts {
        DisputeCounts {
            followed_up: self.followed_up + other.followed_up,
            satisfied: self.satisfied + other.satisfied,
            major_received: self.major_received + other.major_received,
            major_resolved: self.major_resolved + other.major_resolved,
            major_mediated: self.major_mediated + other.major_mediated,
            major_open: self.major_open + other.major_open,
        }
    }

    /// satisfied / followed up (满意率), to a tenth of a percent; "—" when
    /// nobody was followed up.
    pub fn satisfaction_label(&self) -> String {
        permille_label(
            (self.followed_up > 0)
                .then(|| (u64::from(self.satisfied) * 1000 / u64::from(self.followed_up)) as u32),
        )
    }
}

fn permille_label(permille: Option<u32>) -> String {
    match permille {
        Some(p) => format!("{}.{}%", p / 10, p % 10),
        None => "—".to_owned(),
    }
}

/// 接访 of a month, by channel, as the documents count them: 来访 in
/// batches (批次) and people (人次), 来信 and 来电 by the piece; of all of
/// them, those answered on the spot (当场答复) and those registered as cases.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct VisitCounts {
    pub visit_batches: u32,
    pub visit_people: u32,
    pub letters: u32,
    pub calls: u32,
    pub answered_on_spot: u32,
    pub became_cases: u32,
}

impl VisitCounts {
    fn add(self, other: VisitCounts) -> VisitCounts {
        VisitCounts {
            visit_batches: self.visit_batches + other.visit_batches,
            visit_people: self.visit_people + other.visit_people,
            letters: self.letters + other.letters,
            calls: self.calls + other.calls,
            answered_on_spot: self.answered_on_spot + other.answered_on_spot,
            became_cases: self.became_cases + other.became_cases,
        }
    }
}

/// The visits received under `township` in `month` (at its villages'
/// stations or its own window), counted; a visit became a case when one of
/// `cases` was registered from it (`from_record`).
pub fn visit_counts(
    township: &Code,
    month: impl Span,
    visits: &[(Uuid, &Visit)],
    cases: &[CaseRef<'_>],
) -> VisitCounts {
    let from_visits: std::collections::BTreeSet<Uuid> = cases
        .iter()
        .filter_map(|c| c.file.registration.from_record)
        .collect();
    visits
        .iter()
        .filter(|(_, v)| {
            month.contains(v.visited_on)
                && (v.received_at == *township || v.received_at.is_under(township))
        })
        .fold(VisitCounts::default(), |counts, (id, v)| {
            let (batches, people, letters, calls) = match v.channel {
                VisitChannel::InPerson => (1, v.people_count, 0, 0),
                VisitChannel::Letter => (0, 0, 1, 0),
                VisitChannel::Phone => (0, 0, 0, 1),
            };
            counts.add(VisitCounts {
                visit_batches: batches,
                visit_people: people,
                letters,
                calls,
                answered_on_spot: u32::from(v.answer.is_some()),
                became_cases: u32::from(from_visits.contains(id)),
            })
        })
}

/// Names monthly reports so that every revision of one township-month is one entity.
const REPORT_NAMESPACE: Uuid = Uuid::from_u128(0x5a4e6a69_0002_4000_8000_000000000002);

impl MonthlyReport {
    pub fn entity_id(township: &Code, month: Month) -> Uuid {
        Uuid::new_v5(
            &REPORT_NAMESPACE,
            format!("monthly-report/{township}/{month}").as_bytes(),
        )
    }

    /// The sum of several townships' reports, e.g. the county's total row;
    /// the success rate is recomputed from the sums, not averaged.
    pub fn total(code: &Code, month: Month, rows: &[MonthlyReport]) -> MonthlyReport {
        let sum = |f: fn(&MonthlyReport) -> u32| rows.iter().map(f).sum::<u32>();
        let resolved = sum(|r| r.resolved);
        let mediated = sum(|r| r.mediated);
        MonthlyReport {
            township: code.clone(),
            month,
            received: sum(|r| r.received),
            received_by_source: CaseSource::ALL
                .iter()
                .map(|&source| SourceCount {
                    source,
                    count: rows
                        .iter()
                        .flat_map(|r| &r.received_by_source)
                        .filter(|c| c.source == source)
                        .map(|c| c.count)
                        .sum(),
                })
                .collect(),
            received_by_category: Category::ALL
                .iter()
                .map(|&category| CategoryCount {
                    category,
                    count: rows
                        .iter()
                        .flat_map(|r| &r.received_by_category)
                        .filter(|c| c.category == category)
                        .map(|c| c.count)
                        .sum(),
                })
                .collect(),
            accepted: sum(|r| r.accepted),
            not_accepted: sum(|r| r.not_accepted),
            resolved,
            mediated,
            mediation_success_permille: (resolved > 0)
                .then(|| (u64::from(mediated) * 1000 / u64::from(resolved)) as u32),
            overdue: sum(|r| r.overdue),
            open: sum(|r| r.open),
            escalated: sum(|r| r.escalated),
            screenings: sum(|r| r.screenings),
            severe_screenings: sum(|r| r.severe_screenings),
            mass_incidents: sum(|r| r.mass_incidents),
            skip_level_petitions: sum(|r| r.skip_level_petitions),
            cases_covered: sum(|r| r.cases_covered),
            revision: 0,
            // Counted where any row counted them; a row filed before
            // visits were counted adds nothing it did not count.
            visits: rows
                .iter()
                .filter_map(|r| r.visits)
                .reduce(VisitCounts::add),
            disputes: rows
                .iter()
                .filter_map(|r| r.disputes)
                .reduce(DisputeCounts::add),
            late_severe: rows
                .iter()
                .filter_map(|r| r.late_severe)
                .reduce(|a, b| a + b),
            reporting: rows.iter().filter_map(|r| r.reporting).reduce(|a, b| a + b),
            incidents: rows.iter().filter_map(|r| r.incidents).reduce(|a, b| a + b),
        }
    }

    /// A 零报告 of the township: nothing received, screened, visited or
    /// open in the month (a report of zeros, filed so the county can tell
    /// a quiet month from a township that filed nothing).
    pub fn is_zero(&self) -> bool {
        self.received == 0
            && self.screenings == 0
            && self.cases_covered == 0
            && self.visits.is_none_or(|v| v == VisitCounts::default())
            && self.disputes.is_none_or(|d| d == DisputeCounts::default())
            && self
                .incidents
                .is_none_or(|i| i == IncidentCounts::default())
    }

    pub fn mediation_success_label(&self) -> String {
        permille_label(self.mediation_success_permille)
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        if self.received_by_source.len() != CaseSource::ALL.len() {
            return Err(FieldError::new(
                "received_by_source",
                "须列出全部来源(含 0)",
            ));
        }
        if self.received_by_category.len() != Category::ALL.len() {
            return Err(FieldError::new(
                "received_by_category",
                "须列出全部类别(含 0)",
            ));
        }
        let by_source: u64 = self
            .received_by_source
            .iter()
            .map(|c| u64::from(c.count))
            .sum();
        if by_source != u64::from(self.received) {
            return Err(FieldError::new("received", "与按来源分列之和不符"));
        }
        if self.mediated > self.resolved {
            return Err(FieldError::new("mediated", "调解成功数不能多于办结数"));
        }
        if let Some(v) = self.visits {
            let all = u64::from(v.visit_batches) + u64::from(v.letters) + u64::from(v.calls);
            if v.visit_people < v.visit_batches {
                return Err(FieldError::new(
                    "visits.visit_people",
                    "来访人次不能少于来访批次",
                ));
            }
            if u64::from(v.answered_on_spot) > all {
                return Err(FieldError::new(
                    "visits.answered_on_spot",
                    "当场答复数不能多于接访总数",
                ));
            }
            if u64::from(v.became_cases) > all {
                return Err(FieldError::new(
                    "visits.became_cases",
                    "转为案件数不能多于接访总数",
                ));
            }
        }
        if self
            .late_severe
            .is_some_and(|late| late > self.severe_screenings)
        {
            return Err(FieldError::new(
                "late_severe",
                "超时上报的重大排查不能多于重大排查数",
            ));
        }
        if let Some(d) = self.disputes {
            let rules = [
                (
                    d.satisfied > d.followed_up,
                    "disputes.satisfied",
                    "满意数不能多于回访数",
                ),
                (
                    d.major_received > self.received,
                    "disputes.major_received",
                    "重大疑难受理数不能多于受理登记数",
                ),
                (
                    d.major_resolved > self.resolved,
                    "disputes.major_resolved",
                    "重大疑难办结数不能多于办结数",
                ),
                (
                    d.major_mediated > d.major_resolved,
                    "disputes.major_mediated",
                    "重大疑难化解数不能多于其办结数",
                ),
                (
                    d.major_open > self.open,
                    "disputes.major_open",
                    "重大疑难在办数不能多于在办数",
                ),
            ];
            if let Some((_, field, message)) = rules.iter().find(|(broken, ..)| *broken) {
                return Err(FieldError::new(*field, *message));
            }
        }
        Ok(())
    }
}

/// A case file with its id, as the report reads it.
pub struct CaseRef<'a> {
    pub id: Uuid,
    pub file: &'a CaseFile,
}

fn entry_dates(file: &CaseFile, step: StepKind) -> impl Iterator<Item = NaiveDate> + '_ {
    file.file
        .iter()
        .filter(move |e| e.step == step)
        .map(|e| cst_date(e.at.wall_ms))
}

/// The day a case stopped being open, if it is closed now.
fn closed_on(file: &CaseFile) -> Option<NaiveDate> {
    if file.status.is_open() {
        return None;
    }
    file.file
        .iter()
        .rev()
        .find(|e| matches!(e.step, StepKind::Resolve | StepKind::NotAccept))
        .map(|e| cst_date(e.at.wall_ms))
        // A case imported closed ended on the day its old ledger says.
        .or_else(|| file.imported.as_ref().and_then(|i| i.closed_on))
}

/// "At the month's end" for a report made on `as_of`: the month's last day,
/// or `as_of` while the month is still running.
pub fn report_end(month: impl Span, as_of: NaiveDate) -> NaiveDate {
    month.last_day().min(as_of)
}

/// Whether any figure of `month`'s report (made with `end` as its end) can
/// count this case: it was registered, decided, escalated, resolved or
/// followed up in the month, or was open at the month's end. These are the
/// case files a report is computed from (`cases_covered`); every other case
/// adds nothing to any figure, so a report may be given only these.
pub fn counts_in_month(file: &CaseFile, month: impl Span, end: NaiveDate) -> bool {
    let open_at_end =
        file.registration.registered_on <= end && closed_on(file).is_none_or(|d| d > end);
    open_at_end
        || month.contains(file.registration.registered_on)
        || file
            .file
            .iter()
            .any(|e| month.contains(cst_date(e.at.wall_ms)))
        || file
            .resolution
            .as_ref()
            .is_some_and(|r| month.contains(r.on))
        || file.follow_ups.iter().any(|u| month.contains(u.on))
        || file.aftermath.iter().any(|a| month.contains(a.on))
}

/// Computes the month's report. `as_of` bounds "at the month's end" for the
/// running month (today), so a report made mid-month tells the truth so far.
/// Given any other span (a [`Period`]), it computes that span's figures the
/// same way: see [`period_summary`].
pub fn monthly_report(
    township: &Code,
    month: impl Span,
    cases: &[CaseRef<'_>],
    screenings: &[&Screening],
    policy: &DeadlinePolicy,
    as_of: NaiveDate,
    revision: u32,
) -> MonthlyReport {
    let end = report_end(month, as_of);
    let mine: Vec<&CaseFile> = cases
        .iter()
        .map(|c| c.file)
        .filter(|f| f.registration.place == *township || f.registration.place.is_under(township))
        .filter(|f| counts_in_month(f, month, end))
        .collect();
    let received: Vec<&&CaseFile> = mine
        .iter()
        .filter(|f| month.contains(f.registration.registered_on))
        .collect();
    let count_in = |step: StepKind| {
        mine.iter()
            .map(|f| entry_dates(f, step).filter(|d| month.contains(*d)).count() as u32)
            .sum::<u32>()
    };
    let resolutions: Vec<_> = mine
        .iter()
        .filter_map(|f| f.resolution.as_ref())
        .filter(|r| month.contains(r.on))
        .collect();
    let mediated = resolutions
        .iter()
        .filter(|r| r.outcome == Outcome::Agreement)
        .count() as u32;
    let open_at_end: Vec<&&CaseFile> = mine
        .iter()
        .filter(|f| f.registration.registered_on <= end && closed_on(f).is_none_or(|d| d > end))
        .collect();
    let overdue_open = open_at_end
        .iter()
        .filter(|f| {
            // A registration not yet received has no deadline on its file.
            let deadline = match f.status {
                CaseStatus::Registered => f
                    .deadline
                    .or_else(|| Some(policy.accept_deadline(f.registration.registered_on))),
                _ => f.deadline,
            };
            deadline.is_some_and(|d| d < end)
        })
        .count() as u32;
    let late = resolutions.iter().filter(|r| r.late).count() as u32;
    let major_resolutions: Vec<&Resolution> = mine
        .iter()
        .filter(|f| f.registration.complex)
        .filter_map(|f| f.resolution.as_ref())
        .filter(|r| month.contains(r.on))
        .collect();
    let follow_ups = || {
        mine.iter()
            .flat_map(|f| f.follow_ups.iter())
            .filter(|u| month.contains(u.on))
    };
    let in_month: Vec<&&Screening> = screenings
        .iter()
        .filter(|s| month.contains(s.screened_on) && s.village.is_under(township))
        .collect();
    MonthlyReport {
        township: township.clone(),
        month: Month::of(month.last_day()),
        received: received.len() as u32,
        received_by_source: CaseSource::ALL
            .iter()
            .map(|&source| SourceCount {
                source,
                count: received
                    .iter()
                    .filter(|f| f.registration.source == source)
                    .count() as u32,
            })
            .collect(),
        received_by_category: Category::ALL
            .iter()
            .map(|&category| CategoryCount {
                category,
                count: received
                    .iter()
                    .filter(|f| f.registration.category == category)
                    .count() as u32,
            })
            .collect(),
        accepted: count_in(StepKind::Accept),
        not_accepted: count_in(StepKind::NotAccept),
        resolved: resolutions.len() as u32,
        mediated,
        mediation_success_permille: (!resolutions.is_empty())
            .then(|| (u64::from(mediated) * 1000 / resolutions.len() as u64) as u32),
        overdue: overdue_open + late,
        open: open_at_end.len() as u32,
        escalated: count_in(StepKind::Escalate),
        screenings: in_month.len() as u32,
        severe_screenings: in_month.iter().filter(|s| s.is_severe()).count() as u32,
        mass_incidents: in_month.iter().filter(|s| s.mass_incident_risk).count() as u32,
        // At a follow-up, or found after it (an archived case too).
        skip_level_petitions: (follow_ups().filter(|u| u.skip_level).count()
            + mine
                .iter()
                .flat_map(|f| f.aftermath.iter())
                .filter(|a| a.kind == AftermathKind::SkipLevel && month.contains(a.on))
                .count()) as u32,
        cases_covered: mine.len() as u32,
        revision,
        // Visits live in their own ledger: the caller counts them with
        // [`visit_counts`] from the visits it holds.
        visits: None,
        // Likewise the 24-hour rule, which needs when each was recorded and
        // passed on: [`late_severe`].
        late_severe: None,
        // And which villages reported, which needs the township's villages
        // and their zero reports: [`crate::reporting`].
        reporting: None,
        // And the incident ledger: [`incident_counts`].
        incidents: None,
        disputes: Some(DisputeCounts {
            followed_up: follow_ups().count() as u32,
            satisfied: follow_ups().filter(|u| u.satisfied).count() as u32,
            major_received: received.iter().filter(|f| f.registration.complex).count() as u32,
            major_resolved: major_resolutions.len() as u32,
            major_mediated: major_resolutions
                .iter()
                .filter(|r| r.outcome == Outcome::Agreement)
                .count() as u32,
            major_open: open_at_end
                .iter()
                .filter(|f| f.registration.complex)
                .count() as u32,
        }),
    }
}

/// A calendar period of the rewards ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Period {
    /// 上半月 (days 1–15, `half` 1) or 下半月 (16 to the month's end, `half` 2).
    HalfMonth {
        year: i32,
        month: u32,
        half: u32,
    },
    Month {
        year: i32,
        month: u32,
    },
    Quarter {
        year: i32,
        quarter: u32,
    },
    /// 上半年 (`half` 1) or 下半年 (`half` 2).
    HalfYear {
        year: i32,
        half: u32,
    },
    Year {
        year: i32,
    },
}

impl Period {
    pub fn parse(text: &str) -> Result<Period, FieldError> {
        let bad = || {
            FieldError::new(
                "period",
                format!(
                    "期间 {text:?} 格式不对:应为 2026-11-H1(上半月)、2026-11-H2(下半月)、\
                     2026-11(月)、2026-Q4(季度)、2026-H1(上半年)或 2026(全年)"
                ),
            )
        };
        let half = |h: &str| match h {
            "1" => Ok(1),
            "2" => Ok(2),
            _ => Err(bad()),
        };
        // Years as Month::parse takes them: four digits from 2000, so that
        // `range` always has a calendar date to give.
        let year = |y: &str| match y.parse::<i32>() {
            Ok(year) if digits(y, 4) && year >= 2000 => Ok(year),
            _ => Err(bad()),
        };
        if let Some((y, q)) = text.split_once("-Q") {
            let (year, quarter): (i32, u32) = (year(y)?, q.parse().map_err(|_| bad())?);
            if !digits(q, 1) || !(1..=4).contains(&quarter) {
                return Err(bad());
            }
            return Ok(Period::Quarter { year, quarter });
        }
        if let Some((m, h)) = text.split_once("-H") {
            let half = half(h)?;
            if m.len() == 4 {
                return Ok(Period::HalfYear {
                    year: year(m)?,
                    half,
                });
            }
            let m = Month::parse(m).map_err(|_| bad())?;
            return Ok(Period::HalfMonth {
                year: m.year,
                month: m.month,
                half,
            });
        }
        if text.len() == 4 {
            return Ok(Period::Year { year: year(text)? });
        }
        let m = Month::parse(text).map_err(|_| bad())?;
        Ok(Period::Month {
            year: m.year,
            month: m.month,
        })
    }

    pub fn range(self) -> (NaiveDate, NaiveDate) {
        let month = |year, month| Month { year, month };
        match self {
            Period::HalfMonth {
                year,
                month: m,
                half,
            } => {
                let (first, last) = (month(year, m).first_day(), month(year, m).last_day());
                let mid = first.with_day(15).expect("every month has a 15th");
                if half == 1 {
                    (first, mid)
                } else {
                    (mid.succ_opt().expect("not the last day ever"), last)
                }
            }
            Period::Month { year, month: m } => {
                (month(year, m).first_day(), month(year, m).last_day())
            }
            Period::HalfYear { year, half } => (
                month(year, half * 6 - 5).first_day(),
                month(year, half * 6).last_day(),
            ),
            Period::Quarter { year, quarter } => (
                month(year, quarter * 3 - 2).first_day(),
                month(year, quarter * 3).last_day(),
            ),
            Period::Year { year } => (month(year, 1).first_day(), month(year, 12).last_day()),
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        let (from, to) = self.range();
        from <= date && date <= to
    }

    /// `2026 年 11 月上半月`, `2026 年第 4 季度`, as a heading says it.
    pub fn label(self) -> String {
        let half = |h: u32| if h == 1 { "上" } else { "下" };
        match self {
            Period::HalfMonth {
                year,
                month,
                half: h,
            } => {
                format!("{year} 年 {month} 月{}半月", half(h))
            }
            Period::Month { year, month } => format!("{year} 年 {month} 月"),
            Period::Quarter { year, quarter } => format!("{year} 年第 {quarter} 季度"),
            Period::HalfYear { year, half: h } => format!("{year} 年{}半年", half(h)),
            Period::Year { year } => format!("{year} 年"),
        }
    }

    /// The period of the same kind that holds `date`.
    pub fn same_kind_at(self, date: NaiveDate) -> Period {
        let (year, month) = (date.year(), date.month());
        match self {
            Period::HalfMonth { .. } => Period::HalfMonth {
                year,
                month,
                half: if date.day() <= 15 { 1 } else { 2 },
            },
            Period::Month { .. } => Period::Month { year, month },
            Period::Quarter { .. } => Period::Quarter {
                year,
                quarter: month.div_ceil(3),
            },
            Period::HalfYear { .. } => Period::HalfYear {
                year,
                half: if month <= 6 { 1 } else { 2 },
            },
            Period::Year { .. } => Period::Year { year },
        }
    }

    /// The period of the same kind just before this one.
    pub fn previous(self) -> Period {
        self.same_kind_at(self.range().0.pred_opt().expect("not the first day ever"))
    }

    /// The period of the same kind just after this one.
    pub fn next(self) -> Period {
        self.same_kind_at(self.range().1.succ_opt().expect("not the last day ever"))
    }
}

/// A 阶段汇总 (半月、季度、半年、全年: "每半个月以书面形式…上报", "每季、半年、
/// 全年…总结"): the monthly report's figures, computed by the same
/// [`monthly_report`] over the period's days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodSummary {
    pub period: Period,
    pub from: NaiveDate,
    /// The period's last day, or the day it was made while the period runs:
    /// the figures "at the end" (still open, overdue) are taken on this day.
    pub to: NaiveDate,
    /// As in the month's report; `figures.month` is the month `to` falls in.
    pub figures: MonthlyReport,
}

impl PeriodSummary {
    pub fn of(period: Period, figures: MonthlyReport, as_of: NaiveDate) -> PeriodSummary {
        PeriodSummary {
            period,
            from: period.first_day(),
            to: report_end(period, as_of),
            figures,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::HalfMonth { year, month, half } => write!(f, "{year:04}-{month:02}-H{half}"),
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Period::HalfYear { year, half } => write!(f, "{year:04}-H{half}"),
            Period::Year { year } => write!(f, "{year:04}"),
        }
    }
}

/// The rules of 奖惩制度, in yuan.
pub mod rules {
    /// A complex (疑难) case resolved, no recurrence, no petition after.
    pub const COMPLEX_RESOLVED: i64 = 100;
    /// An ordinary case, likewise.
    pub const ORDINARY_RESOLVED: i64 = 50;
    /// A case that ended in a petition because mediation failed.
    pub const PETITION_AFTER: i64 = -50;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RewardLine {
    pub case_id: Uuid,
    pub case_number: Option<String>,
    pub on: NaiveDate,
    pub amount: i64,
    pub reason: String,
}

/// One unit's or village's figure for the period, with the cases behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RewardTotal {
    pub handler: Assignee,
    pub amount: i64,
    pub lines: Vec<RewardLine>,
}

/// Rewards and deductions dated within `period`: a reward on the follow-up
/// that confirmed no recurrence and no petition, a deduction on the
/// follow-up that found a petition.
pub fn rewards(cases: &[CaseRef<'_>], period: Period) -> Vec<RewardTotal> {
    let mut totals: Vec<RewardTotal> = Vec::new();
    for c in cases {
        let file = c.file;
        let Some(resolution) = &file.resolution else {
            continue;
        };
        let Some(handler) = &resolution.handler else {
            continue;
        };
        let mut lines = Vec::new();
        // The deduction falls on the day the petition was found, at the
        // follow-up or after it; a reward earned before stays where it was.
        if let Some((on, _)) = file.first_petition()
            && period.contains(on)
        {
            lines.push(RewardLine {
                case_id: c.id,
                case_number: file.case_number.clone(),
                on,
                amount: rules::PETITION_AFTER,
                reason: "调解不力引发上访".to_owned(),
            });
        }
        if !file.follow_ups.iter().any(|u| u.petitioned) && resolution.outcome == Outcome::Agreement
        {
            let confirmed = file
                .follow_ups
                .iter()
                .find(|u| !u.recurred && !u.petitioned);
            if let Some(confirmed) = confirmed.filter(|u| period.contains(u.on)) {
                let complex = file.registration.complex;
                lines.push(RewardLine {
                    case_id: c.id,
                    case_number: file.case_number.clone(),
                    on: confirmed.on,
                    amount: if complex {
                        rules::COMPLEX_RESOLVED
                    } else {
                        rules::ORDINARY_RESOLVED
                    },
                    reason: if complex {
                        "疑难案件调处成功,回访无反复、无上访"
                    } else {
                        "一般案件调处成功,回访无反复、无上访"
                    }
                    .to_owned(),
                });
            }
        }
        if lines.is_empty() {
            continue;
        }
        let total = match totals.iter_mut().find(|t| t.handler == *handler) {
            Some(t) => t,
            None => {
                totals.push(RewardTotal {
                    handler: handler.clone(),
                    amount: 0,
                    lines: Vec::new(),
                });
                totals.last_mut().expect("just pushed")
            }
        };
        total.amount += lines.iter().map(|l| l.amount).sum::<i64>();
        total.lines.extend(lines);
    }
    totals.sort_by_key(|t| t.handler.label());
    totals
}

/// One unit's share of the township's case work over a period: the cases it
/// led (主办) and assisted (协办) that were open at some time in it, the
/// ones it resolved as lead, by mediation kind, and its share of all the
/// township's resolutions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UnitWorkload {
    /// A member unit's name, or `<code> 村工作站`.
    pub unit: String,
    pub lead: u32,
    pub assisting: u32,
    pub resolved: u32,
    /// Of `resolved`: 人民调解, 行政调解, 司法调解, and those with no kind given.
    pub people: u32,
    pub administrative: u32,
    pub judicial: u32,
    pub unspecified: u32,
    /// `resolved` as a whole percentage of every resolution in the period.
    pub share_percent: Option<u32>,
}

/// Each unit's [`UnitWorkload`] over `period`, the busiest first.
pub fn unit_workload(cases: &[CaseRef<'_>], period: Period) -> Vec<UnitWorkload> {
    let (from, to) = period.range();
    let mut lines: Vec<UnitWorkload> = Vec::new();
    fn line<'l>(lines: &'l mut Vec<UnitWorkload>, unit: &str) -> &'l mut UnitWorkload {
        match lines.iter().position(|l| l.unit == unit) {
            Some(i) => &mut lines[i],
            None => {
                lines.push(UnitWorkload {
                    unit: unit.to_owned(),
                    lead: 0,
                    assisting: 0,
                    resolved: 0,
                    people: 0,
                    administrative: 0,
                    judicial: 0,
                    unspecified: 0,
                    share_percent: None,
                });
                lines.last_mut().expect("just pushed")
            }
        }
    }
    let mut resolved_total = 0u32;
    for c in cases {
        let file = c.file;
        let open_in_period = file.registration.registered_on <= to
            && closed_on(file).is_none_or(|closed| closed >= from);
        if open_in_period {
            let lead = file
                .resolution
                .as_ref()
                .and_then(|r| r.handler.as_ref())
                .or(file.assignment.as_ref().map(|a| &a.assignee));
            if let Some(lead) = lead {
                line(&mut lines, &lead.label()).lead += 1;
            }
            for a in &file.assisting {
                line(&mut lines, &a.unit).assisting += 1;
            }
        }
        if let Some(r) = file.resolution.as_ref().filter(|r| period.contains(r.on)) {
            resolved_total += 1;
            if let Some(handler) = &r.handler {
                let l = line(&mut lines, &handler.label());
                l.resolved += 1;
                match r.kind {
                    Some(MediationKind::People) => l.people += 1,
                    Some(MediationKind::Administrative) => l.administrative += 1,
                    Some(MediationKind::Judicial) => l.judicial += 1,
                    None => l.unspecified += 1,
                }
            }
        }
    }
    for l in &mut lines {
        l.share_percent =
            (resolved_total > 0).then(|| (l.resolved * 100 + resolved_total / 2) / resolved_total);
    }
    lines.sort_by(|a, b| {
        (b.lead + b.assisting, b.resolved)
            .cmp(&(a.lead + a.assisting, a.resolved))
            .then_with(|| a.unit.cmp(&b.unit))
    });
    lines
}
