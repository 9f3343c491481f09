//! The 会议记录簿 at the hub: recording a meeting's minutes with their links
//! checked, the book as people read it (what was reviewed, who is
//! responsible for what and how it stands), the fixed meetings due without
//! minutes, and the responsibilities a screening or case carries.

use chrono::NaiveDate;
use sanji_domain::case::{CaseFile, CaseStatus, VISIT_ROLES, check_role};
use sanji_domain::fold::{EntityKind, EntityState};
use sanji_domain::index::{IndexName, TermRange};
use sanji_domain::meeting::{
    DueMeeting, Follow, Meeting, MeetingKind, Responsibility, Subject, due_meetings, follow,
};
use sanji_domain::record::ControlStatus;
use sanji_domain::time::cst_date;
use sanji_domain::{Entity, Event, EventBody, FieldError, Origin};
use sanji_store::{Draft, Store};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::NodeError;
use crate::ops::{Actor, find_case, short_id};
use crate::views::linked_name;

/// A responsibility as people give it: its screening or case as typed (a
/// case's number such as `0001`, or a screening's or case's id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyDraft {
    pub subject: String,
    pub unit: String,
    pub person: String,
    pub task: String,
    pub deadline: NaiveDate,
}

/// A screening or case named as people type it.
fn subject_of(store: &Store, field: &str, text: &str) -> Result<Subject, NodeError> {
    let text = text.trim();
    if let Ok(id) = Uuid::parse_str(text)
        && let Some(EntityState::Screening(_)) = store.entity(id)?.map(|e| e.state)
    {
        return Ok(Subject::Screening(id));
    }
    match find_case(store, text) {
        Ok((id, _)) => Ok(Subject::Case(id)),
        Err(NodeError::NotFound(_)) => Err(NodeError::Invalid(FieldError::new(
            field,
            format!("没有找到案件或排查记录「{text}」:案件请填写编号(如 0001)"),
        ))),
        Err(other) => Err(other),
    }
}

/// Counts `subject` among what `meeting` reviewed, once.
fn reviewed(meeting: &mut Meeting, subject: Subject) {
    let (list, id) = match subject {
        Subject::Case(id) => (&mut meeting.cases, id),
        Subject::Screening(id) => (&mut meeting.screenings, id),
    };
    if !list.contains(&id) {
        list.push(id);
    }
}

/// Records a meeting's minutes at this township: each reviewed screening
/// and case must be found here, each responsibility's unit must be a member
/// unit or a village of the directory, and what a responsibility is for
/// counts as reviewed.
pub fn record_meeting(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    mut meeting: Meeting,
    case_refs: &[String],
    duties: Vec<DutyDraft>,
    now_ms: u64,
) -> Result<Event, NodeError> {
    check_role("会议记录", VISIT_ROLES, actor.role).map_err(NodeError::Refused)?;
    for text in case_refs.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let subject = subject_of(store, "cases", text)?;
        reviewed(&mut meeting, subject);
    }
    for &screening in &meeting.screenings {
        if !matches!(
            store.entity(screening)?.map(|e| e.state),
            Some(EntityState::Screening(_))
        ) {
            return Err(NodeError::Invalid(FieldError::new(
                "screenings",
                format!("没有找到排查记录 {}", short_id(screening)),
            )));
        }
    }
    let listing = crate::directory::Directory::new(store.clone()).listing()?;
    for (i, duty) in duties.into_iter().enumerate() {
        let within =
            |e: FieldError| NodeError::Invalid(e.within(&format!("responsibilities[{i}]")));
        let subject = subject_of(store, "subject", &duty.subject).map_err(|e| match e {
            NodeError::Invalid(f) => within(f),
            other => other,
        })?;
        let unit = duty.unit.trim().to_owned();
        listing.check_responsible(&unit).map_err(|e| match e {
            NodeError::Invalid(f) => within(f),
            other => other,
        })?;
        reviewed(&mut meeting, subject);
        meeting.responsibilities.push(Responsibility {
            subject,
            unit,
            person: duty.person.trim().to_owned(),
            task: duty.task,
            deadline: duty.deadline,
        });
    }
    meeting.validate(cst_date(now_ms))?;
    let draft = Draft {
        author: actor.name.clone(),
        entity: Uuid::now_v7(),
        body: EventBody::MeetingRecorded(meeting),
    };
    Ok(store.append_local(ledger, now_ms, vec![draft])?.remove(0))
}

/// A record a meeting names, as a link: `case` or `screening`, its id, what
/// people call it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linked {
    pub kind: String,
    pub id: Uuid,
    pub name: String,
}

/// One responsibility and how it stands today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyRow {
    pub subject: Linked,
    pub unit: String,
    pub person: String,
    pub task: String,
    pub deadline: NaiveDate,
    pub follow: Follow,
    /// The meeting that assigned it.
    pub meeting: Uuid,
    pub meeting_kind: MeetingKind,
    pub held_on: NaiveDate,
}

/// One meeting of the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRow {
    pub id: Uuid,
    pub kind: MeetingKind,
    pub held_on: NaiveDate,
    pub chair: String,
    pub attendees: Vec<String>,
    pub decisions: String,
    pub reviewed: Vec<Linked>,
    pub duties: Vec<DutyRow>,
    pub author: String,
    pub recorded_at_ms: u64,
}

/// The 会议记录簿: every meeting, the latest first, and the fixed meetings
/// due today with no minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingBook {
    pub meetings: Vec<MeetingRow>,
    pub due: Vec<DueMeeting>,
}

fn linked(store: &Store, subject: Subject) -> Result<Linked, NodeError> {
    Ok(Linked {
        kind: match subject {
            Subject::Case(_) => "case",
            Subject::Screening(_) => "screening",
        }
        .to_owned(),
        id: subject.id(),
        name: linked_name(store, subject.id())?,
    })
}

/// The day a screening or case was dealt with, as far as a meeting's
/// responsibility for it goes: a case resolved (or not accepted), a
/// screening turned into a case.
fn dealt_with_on(store: &Store, subject: Subject) -> Result<Option<NaiveDate>, NodeError> {
    let case_done = |file: &CaseFile| match (&file.resolution, file.status) {
        (Some(r), _) => Some(r.on),
        (None, CaseStatus::NotAccepted) => Some(file.registration.registered_on),
        _ => None,
    };
    Ok(match store.entity(subject.id())?.map(|e| e.state) {
        Some(EntityState::Case(file)) => case_done(&file),
        Some(EntityState::Screening(s)) => match (s.converted_to, &s.control) {
            (Some(case), _) => match store.entity(case)?.map(|e| e.state) {
                Some(EntityState::Case(file)) => Some(file.registration.registered_on),
                _ => Some(s.record.screened_on),
            },
            (None, Some(control)) if control.0.status == ControlStatus::Resolved => {
                Some(cst_date(control.1.hlc.wall_ms))
            }
            _ => None,
        },
        _ => None,
    })
}

fn meeting_row(
    store: &Store,
    e: Entity,
    today: NaiveDate,
) -> Result<Option<MeetingRow>, NodeError> {
    let id = e.id;
    let EntityState::Meeting(m) = e.state else {
        return Ok(None);
    };
    let r = m.record;
    let reviewed = r
        .screenings
        .iter()
        .map(|&s| Subject::Screening(s))
        .chain(r.cases.iter().map(|&c| Subject::Case(c)))
        .map(|s| linked(store, s))
        .collect::<Result<_, _>>()?;
    let duties = r
        .responsibilities
        .into_iter()
        .map(|d| {
            Ok(DutyRow {
                subject: linked(store, d.subject)?,
                follow: follow(d.deadline, dealt_with_on(store, d.subject)?, today),
                unit: d.unit,
                person: d.person,
                task: d.task,
                deadline: d.deadline,
                meeting: id,
                meeting_kind: r.kind,
                held_on: r.held_on,
            })
        })
        .collect::<Result<_, NodeError>>()?;
    Ok(Some(MeetingRow {
        id,
        kind: r.kind,
        held_on: r.held_on,
        chair: r.chair,
        attendees: r.attendees,
        decisions: r.decisions,
        reviewed,
        duties,
        author: m.recorded.author,
        recorded_at_ms: m.recorded.hlc.wall_ms,
    }))
}

/// The book on `today`.
pub fn book(store: &Store, today: NaiveDate) -> Result<MeetingBook, NodeError> {
    let mut meetings = Vec::new();
    for e in store.entities_of(EntityKind::Meeting)? {
        meetings.extend(meeting_row(store, e, today)?);
    }
    meetings.sort_by_key(|m| std::cmp::Reverse((m.held_on, m.recorded_at_ms)));
    let held: Vec<(MeetingKind, NaiveDate)> =
        meetings.iter().map(|m| (m.kind, m.held_on)).collect();
    Ok(MeetingBook {
        due: due_meetings(today, &held),
        meetings,
    })
}

/// The responsibilities meetings assigned for one screening or case, the
/// latest meeting first: its follow-through, shown on the record itself.
pub fn duties_for(
    store: &Store,
    subject: Uuid,
    today: NaiveDate,
) -> Result<Vec<DutyRow>, NodeError> {
    let mut duties = Vec::new();
    let found = store.entities_where(
        IndexName::MeetingSubject,
        &TermRange::Exact(subject.to_string()),
    )?;
    for e in found {
        if let Some(row) = meeting_row(store, e, today)? {
            duties.extend(row.duties.into_iter().filter(|d| d.subject.id == subject));
        }
    }
    duties.sort_by_key(|d| std::cmp::Reverse(d.held_on));
    Ok(duties)
}
