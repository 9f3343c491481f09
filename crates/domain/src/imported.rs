//! Records brought in from a township's old ledgers (导入): a case or a
//! screening that happened before the township used sanji, written by the
//! hub as what it is, history, rather than as something received today.
//!
//! An imported case keeps its number, its dates and how it ended. A closed
//! one stays closed and counts in the months it was received and concluded
//! in, never in the month it was imported. An open one starts its life at the
//! hub as accepted and waiting to be assigned (已受理待分流), with a resolve
//! deadline counted from the day of the import, so it is not overdue the
//! moment it arrives. Each record's entity id is derived from what it is
//! (the township and the case number; the township and the screening's
//! content), so the same record imported twice is the same entity, and a
//! second import is refused rather than doubled.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::case::{CaseFile, CaseStatus, Outcome, Resolution};
use crate::code::Code;
use crate::error::FieldError;
use crate::hlc::Hlc;
use crate::labels::Labelled;
use crate::record::{self, CaseRegistration, Screening};

/// Names imported records so that one record is one entity however often
/// its file is imported.
const IMPORT_NAMESPACE: Uuid = Uuid::from_u128(0x5a4e6a69_0003_4000_8000_000000000003);

/// A case from an old ledger; the payload of a `case_imported` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportedCase {
    pub registration: CaseRegistration,
    /// The number the old ledger gave it (kept: people know the case by it).
    pub case_number: String,
    /// The status the old ledger gave it.
    pub ledger_status: CaseStatus,
    /// A closed case: the day it was concluded (办结, or refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<NaiveDate>,
    /// A case concluded by 办结: how it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// An open case: the resolve deadline it starts with at the hub, from
    /// the township's policy on the day of the import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve_deadline: Option<NaiveDate>,
    /// Where it came from: the file and the row.
    pub source: String,
}

/// A screening from an old ledger; the payload of a `screening_imported` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportedScreening {
    pub screening: Screening,
    /// Where it came from: the file and the row.
    pub source: String,
}

/// What the case file says of its import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImportNote {
    pub source: String,
    pub ledger_status: CaseStatus,
    pub closed_on: Option<NaiveDate>,
    pub by: String,
    pub at: Hlc,
}

/// The statuses after 办结, which carry a resolution.
fn concluded(status: CaseStatus) -> bool {
    matches!(
        status,
        CaseStatus::Resolved
            | CaseStatus::FeedbackGiven
            | CaseStatus::FollowedUp
            | CaseStatus::Archived
    )
}

impl ImportedCase {
    pub fn entity_id(township: &Code, case_number: &str) -> Uuid {
        Uuid::new_v5(
            &IMPORT_NAMESPACE,
            format!("imported-case/{township}/{}", case_number.trim()).as_bytes(),
        )
    }

    /// The registration's own rules (fields under `registration.`), then
    /// what an import adds: a number, and for a closed case its end.
    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldError> {
        self.registration
            .validate(today)
            .map_err(|e| e.within("registration"))?;
        record::name("case_number", &self.case_number)?;
        record::text("source", &self.source, 1)?;
        let status = self.ledger_status;
        if status.is_open() {
            if self.closed_on.is_some() || self.outcome.is_some() {
                return Err(FieldError::new(
                    "closed_on",
                    format!(
                        "状态为「{}」的在办案件不能填写办结日期或办结结果",
                        status.label()
                    ),
                ));
            }
            if self.resolve_deadline.is_none() {
                return Err(FieldError::new("resolve_deadline", "在办案件须有办结期限"));
            }
            return Ok(());
        }
        let closed_on = self.closed_on.ok_or_else(|| {
            FieldError::new(
                "closed_on",
                format!("状态为「{}」的案件须填写办结日期", status.label()),
            )
        })?;
        if closed_on < self.registration.registered_on {
            return Err(FieldError::new(
                "closed_on",
                format!(
                    "办结日期 {closed_on} 早于登记日期 {}",
                    self.registration.registered_on
                ),
            ));
        }
        if closed_on > today {
            return Err(FieldError::new(
                "closed_on",
                format!("办结日期 {closed_on} 晚于今天 {today},不能填写将来的日期"),
            ));
        }
        match (concluded(status), self.outcome) {
            (true, None) => Err(FieldError::new(
                "outcome",
                format!(
                    "状态为「{}」的案件须填写办结结果;可选:{}",
                    status.label(),
                    Outcome::ALL
                        .iter()
                        .map(|o| o.label())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )),
            (false, Some(_)) => Err(FieldError::new(
                "outcome",
                "不予受理的案件没有办结结果,请留空",
            )),
            _ => Ok(()),
        }
    }
}

impl ImportedScreening {
    /// Derived from the screening's whole content: the same row imported
    /// again (from the same file or another) is the same entity.
    pub fn entity_id(township: &Code, screening: &Screening) -> Uuid {
        let content = serde_json::to_string(screening).expect("screenings serialise");
        Uuid::new_v5(
            &IMPORT_NAMESPACE,
            format!("imported-screening/{township}/{content}").as_bytes(),
        )
    }

    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldError> {
        self.screening
            .validate(today)
            .map_err(|e| e.within("screening"))?;
        record::text("source", &self.source, 1)
    }
}

impl CaseFile {
    /// The case file an import makes: closed cases as they ended, open
    /// ones accepted here and waiting to be assigned.
    pub fn imported(case: &ImportedCase, by: &str, at: Hlc) -> CaseFile {
        let mut file = CaseFile::new(case.registration.clone(), by, at, None);
        file.case_number = Some(case.case_number.clone());
        file.imported = Some(ImportNote {
            source: case.source.clone(),
            ledger_status: case.ledger_status,
            closed_on: case.closed_on,
            by: by.to_owned(),
            at,
        });
        if case.ledger_status.is_open() {
            file.status = CaseStatus::Accepted;
            file.deadline = case.resolve_deadline;
            return file;
        }
        file.status = case.ledger_status;
        if let (true, Some(outcome), Some(on)) =
            (concluded(case.ledger_status), case.outcome, case.closed_on)
        {
            file.resolution = Some(Resolution {
                outcome,
                kind: None,
                summary: format!("导入前已办结({})", case.source),
                on,
                by: String::new(),
                handler: None,
                late: false,
            });
        }
        if case.ledger_status == CaseStatus::Archived {
            file.archived_on = case.closed_on;
        }
        file
    }
}
