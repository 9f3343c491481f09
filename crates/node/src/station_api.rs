//! What a village station can be asked to do, as one typed request: the CLI
//! builds a [`StationRequest`] and either hands it to its own [`Station`]
//! (no service running) or sends it to the running `sanji station serve`,
//! which hands it to the same [`Station::handle`]. Either way the same
//! checks run and the same messages come back.

use std::path::PathBuf;

use sanji_domain::record::{CaseRegistration, Screening, Visit, ZeroReport};
use sanji_domain::{Event, FieldError};
use serde::{Deserialize, Serialize};

use crate::NodeError;
use crate::ops::{CaseCommand, CaseView};
use crate::station::{ExportSummary, Station, StationStatus};
use crate::views::{CaseRow, ScreeningRow, VisitRow, ZeroReportRow};

/// One thing asked of a station, other than a sync (which is async and
/// long; see [`Station::sync_unless`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case", deny_unknown_fields)]
pub enum StationRequest {
    RecordScreening {
        #[serde(default)]
        by: Option<String>,
        screening: Screening,
    },
    RecordVisit {
        #[serde(default)]
        by: Option<String>,
        visit: Visit,
    },
    RecordZeroReport {
        #[serde(default)]
        by: Option<String>,
        zero_report: ZeroReport,
    },
    RegisterCase {
        #[serde(default)]
        by: Option<String>,
        case: CaseRegistration,
    },
    CaseStep {
        #[serde(default)]
        by: Option<String>,
        case: String,
        command: CaseCommand,
    },
    ShowCase {
        case: String,
    },
    /// A file the clerk chose, kept for the step 上传附件 to name.
    TakeInFile {
        upload: crate::attachments::FileUpload,
    },
    /// A file on a case, to open or save.
    GetFile {
        case: String,
        sha256: String,
    },
    /// The station's ledgers; each list only when asked for.
    List {
        screenings: bool,
        visits: bool,
        cases: bool,
        #[serde(default)]
        zero_reports: bool,
    },
    Status,
    /// `out` is absolute: the service may run in another folder.
    Export {
        out: PathBuf,
        #[serde(default)]
        seal: Option<String>,
    },
}

/// What a [`StationRequest`] answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum StationReply {
    Recorded {
        event: Box<Event>,
    },
    Case {
        case: Box<CaseView>,
    },
    Lists {
        screenings: Vec<ScreeningRow>,
        visits: Vec<VisitRow>,
        cases: Vec<CaseRow>,
        #[serde(default)]
        zero_reports: Vec<ZeroReportRow>,
    },
    Status {
        status: Box<StationStatus>,
    },
    Exported {
        export: ExportSummary,
    },
    /// A file taken in, by the reference a case step names it with.
    File {
        file: sanji_domain::attachment::FileRef,
    },
    FileContent {
        attachment: sanji_domain::attachment::Attachment,
        #[serde(with = "crate::attachments::base64_bytes")]
        bytes: Vec<u8>,
    },
}

impl Station {
    /// Answers one request; blocking (records are fsynced before it returns).
    pub fn handle(&self, request: StationRequest) -> Result<StationReply, NodeError> {
        let recorded = |event: Event| StationReply::Recorded {
            event: Box::new(event),
        };
        Ok(match request {
            StationRequest::RecordScreening { by, screening } => {
                recorded(self.record_screening(by.as_deref(), screening)?)
            }
            StationRequest::RecordVisit { by, visit } => {
                recorded(self.record_visit(by.as_deref(), visit)?)
            }
            StationRequest::RecordZeroReport { by, zero_report } => {
                recorded(self.record_zero_report(by.as_deref(), zero_report)?)
            }
            StationRequest::RegisterCase { by, case } => {
                recorded(self.register_case(by.as_deref(), case)?)
            }
            StationRequest::CaseStep { by, case, command } => {
                recorded(self.case_step(by.as_deref(), &case, command)?)
            }
            StationRequest::TakeInFile { upload } => StationReply::File {
                file: crate::attachments::take_in(self.store(), &upload)?,
            },
            StationRequest::GetFile { case, sha256 } => {
                let (attachment, bytes) =
                    crate::attachments::case_file(self.store(), &case, &sha256)?;
                StationReply::FileContent { attachment, bytes }
            }
            StationRequest::ShowCase { case } => StationReply::Case {
                case: Box::new(CaseView::of(crate::ops::find_case(self.store(), &case)?)),
            },
            StationRequest::List {
                screenings,
                visits,
                cases,
                zero_reports,
            } => {
                let store = self.store();
                StationReply::Lists {
                    screenings: if screenings {
                        crate::views::screenings(store, "")?
                    } else {
                        Vec::new()
                    },
                    visits: if visits {
                        crate::views::visits(store, "")?
                    } else {
                        Vec::new()
                    },
                    cases: if cases {
                        crate::views::cases(store, "")?
                    } else {
                        Vec::new()
                    },
                    zero_reports: if zero_reports {
                        crate::views::zero_reports(store, "")?
                    } else {
                        Vec::new()
                    },
                }
            }
            StationRequest::Status => StationReply::Status {
                status: Box::new(self.status()?),
            },
            StationRequest::Export { out, seal } => StationReply::Exported {
                export: self.export(&out, seal.as_deref())?,
            },
        })
    }
}

/// A [`NodeError`] as it travels from the station service to the CLI: the
/// message as the clerk reads it, and what the CLI needs typed (a field to
/// tell as the flag typed, a refused step with the steps allowed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<sanji_domain::case::Refusal>,
}

impl From<&NodeError> for WireError {
    fn from(e: &NodeError) -> WireError {
        WireError {
            error: e.to_string(),
            field: match e {
                NodeError::Invalid(field) => Some(field.clone()),
                _ => None,
            },
            refusal: match e {
                NodeError::StepRefused(refusal) => Some(refusal.clone()),
                _ => None,
            },
        }
    }
}

impl From<WireError> for NodeError {
    fn from(wire: WireError) -> NodeError {
        match (wire.field, wire.refusal) {
            (Some(field), _) => NodeError::Invalid(field),
            (None, Some(refusal)) => NodeError::StepRefused(refusal),
            (None, None) => NodeError::Remote(wire.error),
        }
    }
}
