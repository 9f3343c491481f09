//! The deterministic fold from events to entity state. Events are applied in
//! (HLC, origin, seq) order, so every node holding the same events shows the
//! same state whatever order they arrived in. An event that does not fit the
//! state it lands in is kept and listed as a conflict, never dropped.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::{Event, EventBody, EventRef};
use crate::hlc::Hlc;
use crate::record::{CaseRegistration, Screening, Visit};
use crate::summary::DailySummary;

/// Who wrote an entity first, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningState {
    pub record: Screening,
    /// The village's own registration; absent where only the county's copy arrived.
    pub recorded: Option<Provenance>,
    /// Set once the hub has forwarded it to the county.
    pub reported: Option<Provenance>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitState {
    pub record: Visit,
    pub recorded: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Registered,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    pub registration: CaseRegistration,
    pub status: CaseStatus,
    pub registered: Provenance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntityState {
    Screening(ScreeningState),
    Visit(VisitState),
    Case(CaseState),
    Summary(DailySummary),
}

/// An event kept but not applied, with the reason in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub event: EventRef,
    pub author: String,
    pub hlc: Hlc,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    pub id: Uuid,
    pub state: EntityState,
    pub conflicts: Vec<Conflict>,
    pub events: u32,
    pub last_hlc: Hlc,
}

/// Folds all events of one entity, in any order given. `None` when no event
/// establishes the entity (every one is then a conflict with nothing to show).
pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Entity> {
    let mut sorted: Vec<&Event> = events.into_iter().collect();
    sorted.sort_by(|a, b| (a.hlc, &a.origin, a.seq).cmp(&(b.hlc, &b.origin, b.seq)));
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

/// The state handed back unchanged, with why the event did not fit.
type Rejected = Box<(Option<EntityState>, String)>;

fn apply(state: Option<EntityState>, event: &Event) -> Result<EntityState, Rejected> {
    use EntityState as S;
    match (state, &event.body) {
        (None, EventBody::ScreeningRecorded(record)) => Ok(S::Screening(ScreeningState {
            record: record.clone(),
            recorded: Some(Provenance::of(event)),
            reported: None,
        })),
        (Some(S::Screening(mut s)), EventBody::ScreeningRecorded(record))
            if s.recorded.is_none() =>
        {
            s.record = record.clone();
            s.recorded = Some(Provenance::of(event));
            Ok(S::Screening(s))
        }
        (None, EventBody::SevereScreeningReported(report)) => Ok(S::Screening(ScreeningState {
            record: report.screening.clone(),
            recorded: None,
            reported: Some(Provenance::of(event)),
        })),
        (Some(S::Screening(mut s)), EventBody::SevereScreeningReported(_))
            if s.reported.is_none() =>
        {
            s.reported = Some(Provenance::of(event));
            Ok(S::Screening(s))
        }
        (None, EventBody::VisitRecorded(record)) => Ok(S::Visit(VisitState {
            record: record.clone(),
            recorded: Provenance::of(event),
        })),
        (None, EventBody::CaseRegistered(registration)) => Ok(S::Case(CaseState {
            registration: registration.clone(),
            status: CaseStatus::Registered,
            registered: Provenance::of(event),
        })),
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
