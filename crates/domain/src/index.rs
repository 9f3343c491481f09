//! What a record is looked up by: the index terms of an entity's state, and
//! the compact row (`CaseCard`) a case list shows. The store writes the terms
//! as keys and the card as a value in the same batch as the projection, so a
//! page reads the few records it shows instead of every record of a kind.
//!
//! Terms are stored in the clear even where values are encrypted, so a term
//! holds only codes, dates, months, statuses and case numbers: never a
//! party's name, a claim or any other text a person typed.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::case::{CaseFile, CaseStatus};
use crate::code::Code;
use crate::fold::{Entity, EntityState};
use crate::hlc::Hlc;
use crate::labels::Labelled;
use crate::record::{CaseSource, Category};
use crate::report::Month;
use crate::time::cst_date;

/// The version of [`terms`] and [`CaseCard`]: a store whose index was built
/// under another version rebuilds it once when opened.
pub const INDEX_VERSION: u32 = 3;

/// Which index a term belongs to. Each has a fixed byte in the store's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndexName {
    /// A case's status id (`accepted`): open cases, the status filter.
    CaseStatus,
    /// A case's whole number (`360123100-2026-0007`).
    CaseNumber,
    /// The number within its year (`0007`): what people type.
    CaseNumberTail,
    /// Where the case arose (a village or township code).
    CasePlace,
    /// The registration date (`2026-11-05`).
    CaseRegistered,
    /// Every month (`2026-11`) from the case's first date to its last
    /// (registration, each step, resolution, follow-ups): the months whose
    /// report may draw on it.
    CaseMonth,
    /// The day the case was escalated to the county.
    CaseEscalated,
    /// The township the county handed it down to.
    CaseHandedDown,
    /// The day a screening was made.
    ScreeningDay,
    /// The day of a screening that was reported to the county (重大 or 群体性).
    ScreeningReported,
    /// The day of a visit.
    VisitDay,
    /// The day of a daily summary.
    SummaryDay,
    /// The month of a filed monthly report.
    ReportMonth,
    /// The day of a village's screening round that found nothing (零报告).
    ZeroReportDay,
    /// The day a 群体性事件 or 民转刑 case happened.
    IncidentDay,
    /// The day a meeting was held.
    MeetingDay,
    /// A screening or case a meeting reviewed or made someone responsible for.
    MeetingSubject,
    /// The content hash of a file on a case: who may fetch a file is who may
    /// see a case that names it.
    CaseAttachment,
}

impl IndexName {
    pub const ALL: &'static [IndexName] = &[
        IndexName::CaseStatus,
        IndexName::CaseNumber,
        IndexName::CaseNumberTail,
        IndexName::CasePlace,
        IndexName::CaseRegistered,
        IndexName::CaseMonth,
        IndexName::CaseEscalated,
        IndexName::CaseHandedDown,
        IndexName::ScreeningDay,
        IndexName::ScreeningReported,
        IndexName::VisitDay,
        IndexName::SummaryDay,
        IndexName::ReportMonth,
        IndexName::ZeroReportDay,
        IndexName::IncidentDay,
        IndexName::MeetingDay,
        IndexName::MeetingSubject,
        IndexName::CaseAttachment,
    ];

    /// The byte that names this index in a key. Never renumber.
    pub fn byte(self) -> u8 {
        match self {
            IndexName::CaseStatus => b's',
            IndexName::CaseNumber => b'n',
            IndexName::CaseNumberTail => b't',
            IndexName::CasePlace => b'p',
            IndexName::CaseRegistered => b'r',
            IndexName::CaseMonth => b'm',
            IndexName::CaseEscalated => b'e',
            IndexName::CaseHandedDown => b'h',
            IndexName::ScreeningDay => b'S',
            IndexName::ScreeningReported => b'R',
            IndexName::VisitDay => b'V',
            IndexName::SummaryDay => b'D',
            IndexName::ReportMonth => b'M',
            IndexName::ZeroReportDay => b'Z',
            IndexName::IncidentDay => b'I',
            IndexName::MeetingDay => b'G',
            IndexName::MeetingSubject => b'J',
            IndexName::CaseAttachment => b'a',
        }
    }
}

/// One index term: the entity is found under `value` in index `name`.
/// Values are ASCII without NUL, and sort as their meaning does (dates and
/// months as `YYYY-MM-DD` / `YYYY-MM`, codes by prefix).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Term {
    pub name: IndexName,
    pub value: String,
}

impl Term {
    fn new(name: IndexName, value: impl ToString) -> Term {
        Term {
            name,
            value: value.to_string(),
        }
    }
}

/// Which values of one index a lookup wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermRange {
    Exact(String),
    /// From `from` to `to`, both included.
    Between(String, String),
    /// Every value starting with this (a code prefix).
    Prefix(String),
}

impl TermRange {
    pub fn contains(&self, value: &str) -> bool {
        match self {
            TermRange::Exact(v) => value == v,
            TermRange::Between(from, to) => from.as_str() <= value && value <= to.as_str(),
            TermRange::Prefix(p) => value.starts_with(p.as_str()),
        }
    }

    /// The days from `from` to `to`, both included.
    pub fn days(from: NaiveDate, to: NaiveDate) -> TermRange {
        TermRange::Between(from.to_string(), to.to_string())
    }

    /// Every day of `month`.
    pub fn month_days(month: Month) -> TermRange {
        TermRange::days(month.first_day(), month.last_day())
    }
}

/// The values of [`IndexName::CaseStatus`] that hold the cases of `status`.
pub fn status_range(status: CaseStatus) -> TermRange {
    TermRange::Exact(status.id().to_owned())
}

/// One [`status_range`] for each status of a case still open.
pub fn open_status_ranges() -> impl Iterator<Item = TermRange> {
    CaseStatus::ALL
        .iter()
        .copied()
        .filter(|s| s.is_open())
        .map(status_range)
}

/// Every term an entity's state carries.
pub fn terms(state: &EntityState) -> BTreeSet<Term> {
    let mut out = BTreeSet::new();
    match state {
        EntityState::Case(file) => case_terms(file, &mut out),
        EntityState::Screening(s) => {
            out.insert(Term::new(IndexName::ScreeningDay, s.record.screened_on));
            if s.reported.is_some() {
                out.insert(Term::new(
                    IndexName::ScreeningReported,
                    s.record.screened_on,
                ));
            }
        }
        EntityState::Visit(v) => {
            out.insert(Term::new(IndexName::VisitDay, v.record.visited_on));
        }
        EntityState::Summary(s) => {
            out.insert(Term::new(IndexName::SummaryDay, s.date));
        }
        EntityState::MonthlyReport(r) => {
            out.insert(Term::new(IndexName::ReportMonth, r.month));
        }
        EntityState::ZeroReport(z) => {
            out.insert(Term::new(IndexName::ZeroReportDay, z.record.round_on));
        }
        EntityState::Incident(i) => {
            out.insert(Term::new(IndexName::IncidentDay, i.record.occurred_on));
        }
        EntityState::Meeting(m) => {
            let r = &m.record;
            out.insert(Term::new(IndexName::MeetingDay, r.held_on));
            let subjects = r.screenings.iter().chain(&r.cases).copied();
            for id in subjects.chain(r.responsibilities.iter().map(|d| d.subject.id())) {
                out.insert(Term::new(IndexName::MeetingSubject, id));
            }
        }
        // Found by its id (township and year): nothing to look it up by.
        EntityState::Register(_) => {}
        // Few a year: the ledger reads them all.
        EntityState::Hotspot(_) | EntityState::Campaign(_) | EntityState::Assessment(_) => {}
    }
    out
}

fn case_terms(file: &CaseFile, out: &mut BTreeSet<Term>) {
    out.insert(Term::new(IndexName::CaseStatus, file.status.id()));
    out.insert(Term::new(IndexName::CasePlace, &file.registration.place));
    out.insert(Term::new(
        IndexName::CaseRegistered,
        file.registration.registered_on,
    ));
    if let Some(number) = file.case_number.as_deref() {
        out.insert(Term::new(IndexName::CaseNumber, number_key(number)));
        if let Some(tail) = number_tail(number) {
            out.insert(Term::new(IndexName::CaseNumberTail, tail));
        }
    }
    if let Some(notice) = &file.escalated {
        out.insert(Term::new(IndexName::CaseEscalated, notice.on));
    }
    if let Some(township) = &file.handed_down_to {
        out.insert(Term::new(IndexName::CaseHandedDown, township));
    }
    for attached in &file.attachments {
        out.insert(Term::new(
            IndexName::CaseAttachment,
            &attached.attachment.sha256,
        ));
    }
    let dates = case_dates(file);
    if let (Some(&first), Some(&last)) = (dates.first(), dates.last()) {
        let (mut month, last) = (Month::of(first), Month::of(last));
        while month <= last {
            out.insert(Term::new(IndexName::CaseMonth, month));
            month = month.next();
        }
    }
}

/// Every date a case's figures can be counted on, ascending.
fn case_dates(file: &CaseFile) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> = std::iter::once(file.registration.registered_on)
        .chain(file.file.iter().map(|e| cst_date(e.at.wall_ms)))
        .chain(file.resolution.iter().map(|r| r.on))
        .chain(file.follow_ups.iter().map(|u| u.on))
        .chain(file.aftermath.iter().map(|a| a.on))
        .collect();
    dates.sort();
    dates
}

/// The value a case number is indexed and looked up under: a number the hub
/// issues (codes, years and digits) as it is; any other (an imported
/// `石门-2024-101`, or text in an odd event) by a digest, so no text goes into
/// a clear key and it is still found by its number.
pub fn number_key(number: &str) -> String {
    let number = number.trim();
    if is_plain_number(number) {
        return number.to_owned();
    }
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(number.as_bytes());
    format!("#{}", hex::encode(&digest[..16]))
}

fn is_plain_number(number: &str) -> bool {
    !number.is_empty()
        && number.len() <= 64
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
}

/// The number within its year: the digits after the last `-`.
pub fn number_tail(number: &str) -> Option<&str> {
    let tail = number.rsplit('-').next()?;
    (!tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit())).then_some(tail)
}

/// What a case list shows of one case: the registration, where it stands,
/// and who works it; a few hundred bytes instead of the whole 一案一档.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseCard {
    pub id: Uuid,
    pub place: Code,
    pub registered_on: NaiveDate,
    pub source: CaseSource,
    pub category: Category,
    pub parties: Vec<String>,
    pub people_involved: u32,
    pub claim: String,
    pub first_receiver: String,
    pub first_unit: String,
    pub complex: bool,
    pub status: CaseStatus,
    pub case_number: Option<String>,
    /// Who works the case now (a member unit, or a village station).
    pub assignee: Option<String>,
    pub assignee_village: Option<Code>,
    pub person: Option<String>,
    /// The deadline now running, if any.
    pub deadline: Option<NaiveDate>,
    pub urges: usize,
    pub supervisions: usize,
    pub escalated: bool,
    pub registered_at_ms: u64,
    pub conflicts: usize,
    /// The stamp of the case's last event: lists show the most recently
    /// changed first.
    #[serde(default)]
    pub changed_at: Hlc,
    /// Built from the case's own events, not a copy reported from below.
    #[serde(default)]
    pub authoritative: bool,
    /// The township the county handed it down to, if it did.
    #[serde(default)]
    pub handed_down_to: Option<Code>,
    /// The units assisting the lead (协办).
    #[serde(default)]
    pub assisting: Vec<String>,
}

impl CaseCard {
    /// The card of a case entity; `None` for any other kind.
    pub fn of(entity: &Entity) -> Option<CaseCard> {
        let EntityState::Case(c) = &entity.state else {
            return None;
        };
        let r = &c.registration;
        Some(CaseCard {
            id: entity.id,
            place: r.place.clone(),
            registered_on: r.registered_on,
            source: r.source,
            category: r.category,
            parties: r.parties.iter().map(|p| p.name.clone()).collect(),
            people_involved: r.people_involved,
            claim: r.claim.clone(),
            first_receiver: r.first_receiver.clone(),
            first_unit: r.first_unit.clone(),
            complex: r.complex,
            status: c.status,
            case_number: c.case_number.clone(),
            assignee: c.assignment.as_ref().map(|a| a.assignee.label()),
            assignee_village: c
                .assignment
                .as_ref()
                .and_then(|a| a.assignee.village().cloned()),
            person: c.assignment.as_ref().map(|a| a.person.clone()),
            deadline: c.deadline,
            urges: c.urges.len(),
            supervisions: c.supervisions.len(),
            escalated: c.escalated.is_some(),
            registered_at_ms: c.registered_at.wall_ms,
            conflicts: entity.conflicts.len(),
            changed_at: entity.last_hlc,
            authoritative: c.authoritative,
            handed_down_to: c.handed_down_to.clone(),
            assisting: c.assisting.iter().map(|a| a.unit.clone()).collect(),
        })
    }
}
