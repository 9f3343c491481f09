//! The township's monthly report as computed from its own ledger, and the
//! case files and screenings it is computed from. Both the operator views
//! (`views::report`, `views::rewards`) and the forwarder (which files the
//! report with the county) read it here, so neither depends on the other.

use chrono::NaiveDate;
use sanji_domain::case::CaseFile;
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::fold::{EntityState, ScreeningState};
use sanji_domain::record::{Incident, Screening, Visit, ZeroReport};
use sanji_domain::report::{
    CaseRef, Month, MonthlyReport, SevereTiming, Span, incident_counts, late_severe,
    monthly_report, visit_counts,
};
use sanji_domain::reporting::{ReportingCounts, Standing, VillageReporting};
use sanji_domain::{Code, Level};
use sanji_store::Store;
use uuid::Uuid;

use crate::NodeError;

/// What a report is computed from: the case files this node keeps (with
/// their ids; see [`crate::tracker::kept_here`]), and the screenings and
/// visits it holds.
#[derive(Debug, Default)]
pub struct ReportLedger {
    pub cases: Vec<(Uuid, CaseFile)>,
    pub screenings: Vec<Screening>,
    /// The severe ones among them, with when they were recorded and passed on.
    pub severe_timings: Vec<SevereTiming>,
    pub visits: Vec<(Uuid, Visit)>,
    /// The villages' 零报告 of the same days.
    pub zero_reports: Vec<ZeroReport>,
    /// The incidents (群体性事件, 民转刑) of the same days.
    pub incidents: Vec<Incident>,
}

/// A severe screening's times, where this node holds the village's record
/// time (an imported one has none).
fn severe_timing(s: &ScreeningState) -> Option<SevereTiming> {
    (s.record.is_severe() && s.imported.is_none()).then(|| SevereTiming {
        village: s.record.village.clone(),
        screened_on: s.record.screened_on,
        recorded_at_ms: s.village_recorded_at.wall_ms,
        passed_on_ms: s.reported.as_ref().map(|r| r.hlc.wall_ms),
    })
}

/// Every case file this node keeps and the screenings and visits it holds
/// made on or after `since` (all of them for `None`): the whole-ledger pass
/// that [`ledger_for_months`] answers from the indexes.
pub fn ledger_for_reports(
    store: &Store,
    since: Option<NaiveDate>,
) -> Result<ReportLedger, NodeError> {
    let mut cases = Vec::new();
    let mut screenings = Vec::new();
    let mut severe_timings = Vec::new();
    let mut visits = Vec::new();
    store.for_each_entity_of(sanji_domain::fold::EntityKind::Case, |e| {
        if let EntityState::Case(file) = e.state
            && crate::tracker::kept_here(&file, store.node())
        {
            cases.push((e.id, *file))
        }
        Ok(())
    })?;
    store.for_each_entity_of(sanji_domain::fold::EntityKind::Screening, |e| {
        if let EntityState::Screening(s) = e.state
            && since.is_none_or(|since| s.record.screened_on >= since)
        {
            severe_timings.extend(severe_timing(&s));
            screenings.push(s.record)
        }
        Ok(())
    })?;
    store.for_each_entity_of(sanji_domain::fold::EntityKind::Visit, |e| {
        if let EntityState::Visit(v) = e.state
            && since.is_none_or(|since| v.record.visited_on >= since)
        {
            visits.push((e.id, v.record))
        }
        Ok(())
    })?;
    let mut incidents = Vec::new();
    store.for_each_entity_of(sanji_domain::fold::EntityKind::Incident, |e| {
        if let EntityState::Incident(i) = e.state
            && since.is_none_or(|since| i.record.occurred_on >= since)
        {
            incidents.push(i.record)
        }
        Ok(())
    })?;
    let mut zero_reports = Vec::new();
    store.for_each_entity_of(sanji_domain::fold::EntityKind::ZeroReport, |e| {
        if let EntityState::ZeroReport(z) = e.state
            && since.is_none_or(|since| z.record.round_on >= since)
        {
            zero_reports.push(z.record)
        }
        Ok(())
    })?;
    Ok(ReportLedger {
        cases,
        screenings,
        severe_timings,
        visits,
        zero_reports,
        incidents,
    })
}

/// The case files this node keeps that a report or the rewards of the months
/// `from` to `to` can draw on (those with a date in those months, and, with
/// `open_too`, every case open now, which a month's end may find open), and
/// the screenings and visits made in those months. Reads only those records, through
/// the store's indexes; `monthly_report` picks what counts
/// (`sanji_domain::report::counts_in_month`), so it gives the same report
/// as from [`ledger_for_reports`].
pub fn ledger_for_months(
    store: &Store,
    from: Month,
    to: Month,
    open_too: bool,
) -> Result<ReportLedger, NodeError> {
    use sanji_domain::index::{self, IndexName, TermRange};
    let mut ids: Vec<Uuid> = store.ids_where(
        IndexName::CaseMonth,
        &TermRange::Between(from.to_string(), to.to_string()),
    )?;
    if open_too {
        for range in index::open_status_ranges() {
            ids.extend(store.ids_where(IndexName::CaseStatus, &range)?);
        }
    }
    // In id order, as a whole-ledger pass would find them.
    ids.sort();
    ids.dedup();
    let mut cases = Vec::new();
    for id in ids {
        if let Some(EntityState::Case(file)) = store.entity(id)?.map(|e| e.state)
            && crate::tracker::kept_here(&file, store.node())
        {
            cases.push((id, *file));
        }
    }
    let states: Vec<ScreeningState> = store
        .entities_where(
            IndexName::ScreeningDay,
            &TermRange::days(from.first_day(), to.last_day()),
        )?
        .into_iter()
        .filter_map(|e| match e.state {
            EntityState::Screening(s) => Some(s),
            _ => None,
        })
        .collect();
    let severe_timings = states.iter().filter_map(severe_timing).collect();
    let screenings = states.into_iter().map(|s| s.record).collect();
    let visits = store
        .entities_where(
            IndexName::VisitDay,
            &TermRange::days(from.first_day(), to.last_day()),
        )?
        .into_iter()
        .filter_map(|e| match e.state {
            EntityState::Visit(v) => Some((e.id, v.record)),
            _ => None,
        })
        .collect();
    let zero_reports = zero_reports_between(store, from.first_day(), to.last_day())?;
    let incidents = store
        .entities_where(
            IndexName::IncidentDay,
            &TermRange::days(from.first_day(), to.last_day()),
        )?
        .into_iter()
        .filter_map(|e| match e.state {
            EntityState::Incident(i) => Some(i.record),
            _ => None,
        })
        .collect();
    Ok(ReportLedger {
        cases,
        screenings,
        severe_timings,
        visits,
        zero_reports,
        incidents,
    })
}

/// This node's report for `month` from `ledger` (read with screenings since
/// at least the month's first day), at revision 0. Given a [`Period`], the
/// same figures over its days (a 阶段汇总).
///
/// [`Period`]: sanji_domain::report::Period
pub fn township_report(
    store: &Store,
    ledger: &ReportLedger,
    month: impl Span,
    policy: &DeadlinePolicy,
    now_ms: u64,
) -> Result<MonthlyReport, NodeError> {
    let today = sanji_domain::time::cst_date(now_ms);
    let case_refs: Vec<CaseRef<'_>> = ledger
        .cases
        .iter()
        .map(|(id, file)| CaseRef { id: *id, file })
        .collect();
    let screening_refs: Vec<&Screening> = ledger.screenings.iter().collect();
    let visit_refs: Vec<(Uuid, &Visit)> = ledger.visits.iter().map(|(id, v)| (*id, v)).collect();
    let mut report = monthly_report(
        store.node(),
        month,
        &case_refs,
        &screening_refs,
        policy,
        today,
        0,
    );
    report.visits = Some(visit_counts(store.node(), month, &visit_refs, &case_refs));
    report.late_severe = Some(late_severe(
        store.node(),
        month,
        &ledger.severe_timings,
        policy,
        now_ms,
    ));
    report.incidents = Some(incident_counts(store.node(), month, &ledger.incidents));
    if store.node().level() == Level::Township {
        let villages = known_villages(store)?;
        let rows = village_reporting(
            &villages,
            &[(month.first_day(), month.last_day())],
            &ledger.screenings,
            &ledger.zero_reports,
        );
        report.reporting = Some(ReportingCounts::of(rows.iter().map(|r| r.periods[0])));
    }
    Ok(report)
}

/// The villages' 零报告 made from `from` to `to`, read through the index.
pub fn zero_reports_between(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ZeroReport>, NodeError> {
    use sanji_domain::index::{IndexName, TermRange};
    Ok(store
        .entities_where(IndexName::ZeroReportDay, &TermRange::days(from, to))?
        .into_iter()
        .filter_map(|e| match e.state {
            EntityState::ZeroReport(z) => Some(z.record),
            _ => None,
        })
        .collect())
}

/// The hub's villages: those its directory names (in use) and any that
/// has a link or a ledger here, in code order.
pub fn known_villages(store: &Store) -> Result<Vec<Code>, NodeError> {
    let me = store.node();
    let listing = crate::directory::Directory::new(store.clone()).listing()?;
    let mut codes: Vec<Code> = listing
        .villages
        .into_iter()
        .map(|p| p.code)
        .chain(
            crate::views::peers(store)?
                .into_iter()
                .filter_map(|p| Code::parse(&p.code).ok()),
        )
        .chain(
            store
                .version_vector()?
                .into_keys()
                .filter(|o| !o.is_outbox())
                .map(|o| o.code().clone()),
        )
        .filter(|c| c.is_child_of(me) && c.level() == Level::Village)
        .collect();
    codes.sort();
    codes.dedup();
    Ok(codes)
}

/// Each village's standing in each period, from the screenings and zero
/// reports of `ledger` (which must hold the periods' days).
pub fn village_reporting(
    villages: &[Code],
    periods: &[(NaiveDate, NaiveDate)],
    screenings: &[Screening],
    zero_reports: &[ZeroReport],
) -> Vec<VillageReporting> {
    sanji_domain::reporting::reporting(villages, periods, |village| {
        (
            screenings
                .iter()
                .filter(|s| s.village == *village)
                .map(|s| s.screened_on)
                .collect(),
            zero_reports
                .iter()
                .filter(|z| z.village == *village)
                .map(|z| z.round_on)
                .collect(),
        )
    })
}

/// The standing of every village of this hub in each week of `month` (to
/// today), for the 报送情况 page and `sanji hub reporting`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportingTable {
    pub month: Month,
    /// Each week of the month, cut to its days (and to today).
    pub weeks: Vec<(NaiveDate, NaiveDate)>,
    pub villages: Vec<VillageReporting>,
    /// Each village's standing for the whole month so far.
    pub month_standing: Vec<Standing>,
    pub counts: ReportingCounts,
}

pub fn reporting_table(
    store: &Store,
    month: Month,
    today: NaiveDate,
) -> Result<ReportingTable, NodeError> {
    let until = month.last_day().min(today);
    let weeks: Vec<(NaiveDate, NaiveDate)> = sanji_domain::reporting::weeks_in(month)
        .into_iter()
        .filter(|(from, _)| *from <= until)
        .map(|(from, to)| (from, to.min(until)))
        .collect();
    let ledger = ledger_for_months(store, month, month, false)?;
    let villages = known_villages(store)?;
    let rows = village_reporting(&villages, &weeks, &ledger.screenings, &ledger.zero_reports);
    let month_rows = village_reporting(
        &villages,
        &[(month.first_day(), until)],
        &ledger.screenings,
        &ledger.zero_reports,
    );
    let month_standing: Vec<Standing> = month_rows.iter().map(|r| r.periods[0]).collect();
    Ok(ReportingTable {
        month,
        weeks,
        counts: ReportingCounts::of(month_standing.iter().copied()),
        villages: rows,
        month_standing,
    })
}
