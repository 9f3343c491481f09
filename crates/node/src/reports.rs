//! The township's monthly report as computed from its own ledger, and the
//! case files and screenings it is computed from. Both the operator views
//! (`views::report`, `views::rewards`) and the forwarder (which files the
//! report with the county) read it here, so neither depends on the other.

use chrono::NaiveDate;
use sanji_domain::case::CaseFile;
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::fold::EntityState;
use sanji_domain::record::Screening;
use sanji_domain::report::{CaseRef, Month, MonthlyReport, monthly_report};
use sanji_store::Store;
use uuid::Uuid;

use crate::NodeError;

/// The case files this node keeps (with their ids; see
/// [`crate::tracker::kept_here`]) and the screenings it holds.
pub type ReportLedger = (Vec<(Uuid, CaseFile)>, Vec<Screening>);

/// Every case file this node keeps and the screenings it holds screened on or
/// after `screened_since` (all of them for `None`), for reports and rewards.
pub fn ledger_for_reports(
    store: &Store,
    screened_since: Option<NaiveDate>,
) -> Result<ReportLedger, NodeError> {
    let mut cases = Vec::new();
    let mut screenings = Vec::new();
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
            && screened_since.is_none_or(|since| s.record.screened_on >= since)
        {
            screenings.push(s.record)
        }
        Ok(())
    })?;
    Ok((cases, screenings))
}

/// This node's report for `month` from `ledger` (read with screenings since
/// at least the month's first day), at revision 0.
pub fn township_report(
    store: &Store,
    ledger: &ReportLedger,
    month: Month,
    policy: &DeadlinePolicy,
    today: NaiveDate,
) -> MonthlyReport {
    let (cases, screenings) = ledger;
    let case_refs: Vec<CaseRef<'_>> = cases
        .iter()
        .map(|(id, file)| CaseRef { id: *id, file })
        .collect();
    let screening_refs: Vec<&Screening> = screenings.iter().collect();
    monthly_report(
        store.node(),
        month,
        &case_refs,
        &screening_refs,
        policy,
        today,
        0,
    )
}
