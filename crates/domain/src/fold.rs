//! The deterministic fold from events to entity state. Events are applied in
//! (HLC, origin, seq) order, so every node holding the same events shows the
//! same state whatever order they arrived in. An event that does not fit the
//! state it lands in is kept and listed as a conflict, never dropped.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::case::{CaseFile, StepContext};
use crate::code::Level;
use crate::event::{Event, EventBody, EventRef};
use crate::hlc::Hlc;
use crate::meeting::Meeting;
use crate::record::{Incident, Screening, StabilityControl, Visit, ZeroReport};
use crate::report::MonthlyReport;
use crate::summary::DailySummary;
use crate::time::cst_date;

/// Who wrote an entity first, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Provenance {
    pub event: EventRef,
    pub hlc: Hlc,
    pub author: String,
}

impl Provenance {
    fn of(event: &Event) -> Provenance {
        Provenance {
            event: event.event_ref(),
            hlc: event.hlc,
            author: event.author.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScreeningState {
    pub record: Screening,
    /// The village's own registration; absent where only the county's copy arrived.
    pub recorded: Option<Provenance>,
    /// Set once the hub has forwarded it to the county.
    pub reported: Option<Provenance>,
    /// The director's signature (签字).
    pub signed_off: Option<Provenance>,
    /// The case it became, if it did.
    pub converted_to: Option<Uuid>,
    /// When the village recorded it, known even where only the hub's report
    /// arrived, so the county can check the 24-hour rule.
    pub village_recorded_at: Hlc,
    /// Brought in from an old ledger by the hub: where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<String>,
    /// Its 稳控 responsibility as last set by the township, and by whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<Box<(StabilityControl, Provenance)>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VisitState {
    pub record: Visit,
    pub recorded: Provenance,
}

/// A 群体性事件 or 民转刑 case, as the township recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncidentState {
    pub record: Incident,
    pub recorded: Provenance,
}

/// A meeting's minutes, as the township recorded them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MeetingState {
    pub record: Meeting,
    pub recorded: Provenance,
}

/// An entry of the 重点地区排查整治登记簿: as last recorded, who first
/// recorded it, and since when it stands rectified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HotspotState {
    pub record: crate::hotspot::Hotspot,
    pub recorded: Provenance,
    /// The last update, when there was one after the first recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Provenance>,
    /// The day (CST) it was first recorded as rectified, while it stays so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rectified_on: Option<chrono::NaiveDate>,
}

/// A 专项排查 as last declared, and who first declared it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CampaignState {
    pub record: crate::campaign::Campaign,
    pub recorded: Provenance,
}

/// A village's 零报告, as its station recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ZeroReportState {
    pub record: ZeroReport,
    pub recorded: Provenance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntityState {
    Screening(ScreeningState),
    Visit(VisitState),
    Case(Box<CaseFile>),
    Summary(DailySummary),
    MonthlyReport(MonthlyReport),
    ZeroReport(ZeroReportState),
    Incident(IncidentState),
    Meeting(MeetingState),
    Register(crate::register::RegisterBook),
    Hotspot(HotspotState),
    Campaign(CampaignState),
    Assessment(crate::assessment::AssessmentSheet),
}

/// What kind of record an entity is; a kind never changes once folded.
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
pub enum EntityKind {
    Screening,
    Visit,
    Case,
    Summary,
    MonthlyReport,
    ZeroReport,
    Incident,
    Meeting,
    Register,
    Hotspot,
    Campaign,
    Assessment,
}

impl EntityState {
    pub fn kind(&self) -> EntityKind {
        match self {
            EntityState::Screening(_) => EntityKind::Screening,
            EntityState::Visit(_) => EntityKind::Visit,
            EntityState::Case(_) => EntityKind::Case,
            EntityState::Summary(_) => EntityKind::Summary,
            EntityState::MonthlyReport(_) => EntityKind::MonthlyReport,
            EntityState::ZeroReport(_) => EntityKind::ZeroReport,
            EntityState::Incident(_) => EntityKind::Incident,
            EntityState::Meeting(_) => EntityKind::Meeting,
            EntityState::Register(_) => EntityKind::Register,
            EntityState::Hotspot(_) => EntityKind::Hotspot,
            EntityState::Campaign(_) => EntityKind::Campaign,
            EntityState::Assessment(_) => EntityKind::Assessment,
        }
    }
}

/// An event kept but not applied, with the reason in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Conflict {
    pub event: EventRef,
    pub author: String,
    pub hlc: Hlc,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Entity {
    pub id: Uuid,
    pub state: EntityState,
    pub conflicts: Vec<Conflict>,
    pub events: u32,
    pub last_hlc: Hlc,
}

/// Where an event stands in its entity's fold: (HLC, origin, seq). The one
/// definition of the fold order; the store's entity index keeps it too.
pub fn fold_key(event: &Event) -> (Hlc, &crate::Origin, u64) {
    (event.hlc, &event.origin, event.seq)
}

/// Folds all events of one entity, in any order given. `None` when no event
/// establishes the entity (every one is then a conflict with nothing to show).
/// The version of what [`fold`] makes of events. Bump it whenever the same
/// events would fold to another state (a field added to a state, a rule
/// changed): a store whose projections were folded under another version
/// refolds them when opened, so nodes on different releases show the same
/// state for the same events.
pub const FOLD_VERSION: u32 = 1;

pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Entity> {
    let mut sorted: Vec<&Event> = events.into_iter().collect();
    sorted.sort_by(|a, b| fold_key(a).cmp(&fold_key(b)));
    sorted.dedup_by(|a, b| a.origin == b.origin && a.seq == b.seq);
    let mut state: Option<EntityState> = None;
    let mut conflicts = Vec::new();
    for event in &sorted {
        match apply(state.take(), event) {
            Ok(next) => state = Some(next),
            Err(rejected) => {
                let (previous, reason) = *rejected;
                state = previous;
                conflicts.push(Conflict {
                    event: event.event_ref(),
                    author: event.author.clone(),
                    hlc: event.hlc,
                    reason,
                });
            }
        }
    }
    let last = sorted.last()?;
    Some(Entity {
        id: last.entity,
        state: state?,
        conflicts,
        events: sorted.len() as u32,
        last_hlc: last.hlc,
    })
}

/// Since when a hotspot stands rectified: kept from its first recording as
/// such, cleared if it is recorded as still being worked on.
fn rectified_day(
    record: &crate::hotspot::Hotspot,
    since: Option<chrono::NaiveDate>,
    event: &Event,
) -> Option<chrono::NaiveDate> {
    (record.status == crate::hotspot::RectifyStatus::Rectified)
        .then(|| since.unwrap_or_else(|| crate::time::cst_date(event.hlc.wall_ms)))
}

/// The state handed back unchanged, with why the event did not fit.
type Rejected = Box<(Option<EntityState>, String)>;

fn apply(state: Option<EntityState>, event: &Event) -> Result<EntityState, Rejected> {
    use EntityState as S;
    match (state, &event.body) {
        (None, EventBody::ScreeningRecorded(record)) => Ok(S::Screening(ScreeningState {
            record: record.clone(),
            recorded: Some(Provenance::of(event)),
            reported: None,
            signed_off: None,
            control: None,
            converted_to: None,
            village_recorded_at: event.hlc,
            imported: None,
        })),
        (Some(S::Screening(mut s)), EventBody::ScreeningRecorded(record))
            if s.recorded.is_none() =>
        {
            s.record = record.clone();
            s.recorded = Some(Provenance::of(event));
            s.village_recorded_at = event.hlc;
            Ok(S::Screening(s))
        }
        (None, EventBody::SevereScreeningReported(report)) => Ok(S::Screening(ScreeningState {
            record: report.screening.clone(),
            recorded: None,
            reported: Some(Provenance::of(event)),
            signed_off: None,
            control: None,
            converted_to: None,
            village_recorded_at: report.recorded_at,
            imported: None,
        })),
        // History from the township's old ledger: recorded, by the hub.
        (None, EventBody::ScreeningImported(imported)) => Ok(S::Screening(ScreeningState {
            record: imported.screening.clone(),
            recorded: Some(Provenance::of(event)),
            reported: None,
            signed_off: None,
            control: None,
            converted_to: None,
            village_recorded_at: event.hlc,
            imported: Some(imported.source.clone()),
        })),
        (Some(S::Screening(mut s)), EventBody::SevereScreeningReported(_))
            if s.reported.is_none() =>
        {
            s.reported = Some(Provenance::of(event));
            Ok(S::Screening(s))
        }
        (None, EventBody::IncidentRecorded(record)) => Ok(S::Incident(IncidentState {
            record: record.clone(),
            recorded: Provenance::of(event),
        })),
        (None, EventBody::MeetingRecorded(record)) => Ok(S::Meeting(MeetingState {
            record: record.clone(),
            recorded: Provenance::of(event),
        })),
        (None, EventBody::ZeroReported(record)) => Ok(S::ZeroReport(ZeroReportState {
            record: record.clone(),
            recorded: Provenance::of(event),
        })),
        (None, EventBody::VisitRecorded(record)) => Ok(S::Visit(VisitState {
            record: record.clone(),
            recorded: Provenance::of(event),
        })),
        (Some(S::Screening(mut s)), EventBody::ScreeningSignedOff(sign))
            if s.signed_off.is_none() =>
        {
            let mut signed = Provenance::of(event);
            // The county holds only the outbox's copy: the signature's own time.
            if let Some(at) = sign.signed_at.filter(|_| event.origin.is_outbox()) {
                signed.hlc = at;
            }
            s.signed_off = Some(signed);
            Ok(S::Screening(s))
        }
        // The outbox's copy of a signature this node already holds (the hub
        // itself, and the village that pulls both): nothing new.
        (Some(S::Screening(s)), EventBody::ScreeningSignedOff(_)) if event.origin.is_outbox() => {
            Ok(S::Screening(s))
        }
        (Some(S::Screening(mut s)), EventBody::ScreeningControlled(control)) => {
            s.control = Some(Box::new((control.clone(), Provenance::of(event))));
            Ok(S::Screening(s))
        }
        (Some(S::Screening(mut s)), EventBody::ScreeningConverted(c))
            if s.converted_to.is_none() =>
        {
            s.converted_to = Some(c.case);
            Ok(S::Screening(s))
        }
        (None, EventBody::CaseRegistered(registration)) => Ok(S::Case(Box::new(CaseFile::new(
            registration.clone(),
            &event.author,
            event.hlc,
            None,
        )))),
        (None, EventBody::CaseImported(imported)) => Ok(S::Case(Box::new(CaseFile::imported(
            imported,
            &event.author,
            event.hlc,
        )))),
        (None, EventBody::CaseHandedDown(h)) => {
            let mut file = CaseFile::new(h.registration.clone(), &event.author, event.hlc, None);
            file.handed_down_by = Some(event.author.clone());
            file.handed_down_to = Some(h.township.clone());
            file.handed_down_note = Some(h.note.clone());
            file.handed_down_deadline = h.deadline;
            // At the county this is the county's own record of what it handed
            // down; the hub's reports replace it as the case moves.
            file.authoritative = false;
            Ok(S::Case(Box::new(file)))
        }
        (Some(S::Case(mut file)), EventBody::CaseStepped(action)) => {
            let ctx = StepContext {
                author: &event.author,
                origin: event.origin.code(),
                at: event.hlc,
                on: cst_date(event.hlc.wall_ms),
            };
            match file.apply(action.role, &action.step, &ctx) {
                Ok(()) => {
                    if event.origin.code().level() != Level::County {
                        file.authoritative = true;
                    }
                    Ok(S::Case(file))
                }
                Err(refusal) => Err(Box::new((Some(S::Case(file)), refusal.to_string()))),
            }
        }
        (None, EventBody::CaseReported(report)) => {
            let mut file = report.file.clone();
            file.authoritative = false;
            file.report_revision = report.revision;
            Ok(S::Case(Box::new(file)))
        }
        (Some(S::Case(file)), EventBody::CaseReported(report)) => {
            if file.authoritative || report.revision <= file.report_revision {
                return Ok(S::Case(file));
            }
            let mut copy = report.file.clone();
            copy.authoritative = false;
            copy.report_revision = report.revision;
            Ok(S::Case(Box::new(copy)))
        }
        (None, EventBody::MonthlyReportFiled(report)) => Ok(S::MonthlyReport(report.clone())),
        (Some(S::MonthlyReport(current)), EventBody::MonthlyReportFiled(report)) => {
            Ok(S::MonthlyReport(if report.revision >= current.revision {
                report.clone()
            } else {
                current
            }))
        }
        (None, EventBody::RegisterNumbered(n)) => {
            crate::register::RegisterBook::empty(n.township.clone(), n.year, n.book)
                .continued(n)
                .map(S::Register)
                .map_err(|reason| Box::new((None, reason)))
        }
        (Some(S::Register(book)), EventBody::RegisterNumbered(n)) => {
            match book.clone().continued(n) {
                Ok(book) => Ok(S::Register(book)),
                Err(reason) => Err(Box::new((Some(S::Register(book)), reason))),
            }
        }
        (None, EventBody::AssessmentFiled(sheet)) => Ok(S::Assessment(sheet.clone())),
        (Some(S::Assessment(current)), EventBody::AssessmentFiled(sheet)) => {
            Ok(S::Assessment(if sheet.revision >= current.revision {
                sheet.clone()
            } else {
                current
            }))
        }
        (None, EventBody::CampaignDeclared(record)) => Ok(S::Campaign(CampaignState {
            record: record.clone(),
            recorded: Provenance::of(event),
        })),
        (Some(S::Campaign(mut c)), EventBody::CampaignDeclared(record)) => {
            c.record = record.clone();
            Ok(S::Campaign(c))
        }
        (None, EventBody::HotspotRecorded(record)) => Ok(S::Hotspot(HotspotState {
            record: record.clone(),
            recorded: Provenance::of(event),
            updated: None,
            rectified_on: rectified_day(record, None, event),
        })),
        (Some(S::Hotspot(mut h)), EventBody::HotspotRecorded(record)) => {
            h.rectified_on = rectified_day(record, h.rectified_on, event);
            h.record = record.clone();
            h.updated = Some(Provenance::of(event));
            Ok(S::Hotspot(h))
        }
        (None, EventBody::ScreeningSummary(summary)) => Ok(S::Summary(summary.clone())),
        (Some(S::Summary(current)), EventBody::ScreeningSummary(summary)) => {
            // Revisions supersede; an older revision arriving late changes nothing.
            Ok(S::Summary(if summary.revision >= current.revision {
                summary.clone()
            } else {
                current
            }))
        }
        (state, body) => {
            let reason = match &state {
                None => format!("{} 事件所指的记录尚不存在", body.kind()),
                Some(_) => format!("{} 事件与记录的当前状态不符(重复或类型不对)", body.kind()),
            };
            Err(Box::new((state, reason)))
        }
    }
}
