//! The 交办、督办、销案通知书 the township center issues, as the pages and
//! the CLI show and print them: each numbered in its book as it was issued
//! ([`crate::register::number_arrivals`]), addressed to whoever handled the
//! case at that moment, and with its receipt (回执) as the case file holds it.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use sanji_domain::case::{ActorRole, Assignee, CaseFile, CaseStep, StepKind};
use sanji_domain::fold::{EntityState, fold, fold_key};
use sanji_domain::register::Book;
use sanji_domain::time::cst_date;
use sanji_domain::{Event, EventBody, Labelled, Level};
use sanji_store::Store;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::NodeError;
use crate::directory::Listing;
use crate::register::{archive_number, book};

/// The books that are notices, in the order the pages list them.
pub const NOTICE_BOOKS: [Book; 3] = [Book::Dispatch, Book::Supervision, Book::Closing];

/// A notice book by its identifier or name: `dispatch` or 交办 (交办通知书).
pub fn parse_book(text: &str) -> Result<Book, NodeError> {
    let text = text.trim();
    NOTICE_BOOKS
        .into_iter()
        .find(|b| b.id() == text || b.label() == text || b.label().starts_with(text) && !text.is_empty())
        .ok_or_else(|| {
            NodeError::Invalid(sanji_domain::FieldError::new(
                "book",
                format!("通知书种类 {text:?} 不认识;可选:dispatch(交办)、supervision(督办)、closing(销案)"),
            ))
        })
}

/// Where a notice's receipt (回执) stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Receipt {
    /// Signed for, by whom and when.
    Signed {
        on: NaiveDate,
        by: String,
        role: ActorRole,
    },
    /// Sent, not signed for yet.
    Waiting,
    /// The case went to someone else before its addressee signed.
    Reassigned,
    /// A 销案通知书, or a 督办 while nobody handled the case: nothing to sign.
    NotAsked,
}

impl Receipt {
    pub fn label(&self) -> String {
        match self {
            Receipt::Signed { on, by, role } => format!("{on} {by}({})签收", role.label()),
            Receipt::Waiting => "未签收".to_owned(),
            Receipt::Reassigned => "未签收,已改派".to_owned(),
            Receipt::NotAsked => "—".to_owned(),
        }
    }
}

/// One notice, with what its print says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// `交〔2026〕7号`.
    pub serial: String,
    pub book: Book,
    /// The step's event: the notice's identity.
    pub event: Uuid,
    pub case: Uuid,
    pub case_number: Option<String>,
    /// The case's number in the 受理事项总登记簿 (its visit's, if it came from one).
    pub register_serial: Option<String>,
    pub issued_on: NaiveDate,
    pub issued_by: String,
    pub role: ActorRole,
    /// Issued by the deadline tracker (an overdue case's 督办).
    pub automatic: bool,
    pub parties: String,
    pub category: String,
    pub claim: String,
    /// 承办单位: a member unit or a village's station, as the 名录 names it.
    pub addressee: Option<String>,
    pub person: Option<String>,
    /// The deadline the notice sets or presses.
    pub deadline: Option<NaiveDate>,
    /// For a 交办: the director who approved it, if yet.
    pub approved_by: Option<String>,
    /// What the notice says: the 督办意见, the 归档说明.
    pub note: String,
    /// For a 销案: how the case ended.
    pub outcome: Option<String>,
    pub archive_number: Option<String>,
    pub receipt: Receipt,
}

/// The notices of one book and year, in number order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeBook {
    pub year: i32,
    pub book: Book,
    pub notices: Vec<Notice>,
}

fn assignee_name(assignee: &Assignee, names: &Listing) -> String {
    match assignee {
        Assignee::Unit { name } => name.clone(),
        Assignee::Village { code } => match names.name_of(code) {
            Some(name) => format!("{name}工作站"),
            None => assignee.label(),
        },
    }
}

/// The case's events, fetched once per case however many notices it has.
#[derive(Default)]
struct Cases {
    events: BTreeMap<Uuid, Vec<Event>>,
}

impl Cases {
    fn events(&mut self, store: &Store, case: Uuid) -> Result<&[Event], NodeError> {
        if let std::collections::btree_map::Entry::Vacant(slot) = self.events.entry(case) {
            slot.insert(store.entity_events(case)?);
        }
        Ok(&self.events[&case])
    }
}

/// The case's number in the 总登记簿: its own, or the visit's it came from.
fn register_serial(
    store: &Store,
    file: &CaseFile,
    case: Uuid,
) -> Result<Option<String>, NodeError> {
    let year = file.registration.registered_on.year();
    let received = book(store, year, Book::Received)?;
    let serial = received.serial_of(case).or_else(|| {
        file.registration
            .from_record
            .and_then(|v| received.serial_of(v))
    });
    Ok(serial.map(|n| Book::Received.serial_label(year, n)))
}

fn notice_of(
    store: &Store,
    cases: &mut Cases,
    names: &Listing,
    which: Book,
    serial: String,
    event: &Event,
) -> Result<Option<Notice>, NodeError> {
    let EventBody::CaseStepped(action) = &event.body else {
        return Ok(None);
    };
    let case = event.entity;
    let events = cases.events(store, case)?;
    // The case as it stood when the notice was issued, and as it stands now.
    let key = fold_key(event);
    let then = fold(events.iter().filter(|e| fold_key(e) <= key));
    let now = fold(events.iter());
    let (Some(then), Some(now)) = (then, now) else {
        return Ok(None);
    };
    let (EntityState::Case(then), EntityState::Case(now)) = (then.state, now.state) else {
        return Ok(None);
    };
    let assignment = then.assignment.as_ref();
    let (addressee, person, deadline, note, approved_by, outcome) = match &action.step {
        CaseStep::Assign {
            assignee,
            person,
            deadline,
        } => {
            // Approved at once by a director, or by the first approval
            // before the case was assigned anew.
            let approved = if action.role == ActorRole::Director {
                Some(event.author.clone())
            } else {
                now.file
                    .iter()
                    .filter(|e| e.at > event.hlc)
                    .find(|e| matches!(e.step, StepKind::Approve | StepKind::Assign))
                    .filter(|e| e.step == StepKind::Approve)
                    .map(|e| e.by.clone())
            };
            (
                Some(assignee_name(assignee, names)),
                Some(person.clone()),
                Some(*deadline),
                String::new(),
                approved,
                None,
            )
        }
        CaseStep::Supervise { note, about, .. } => (
            assignment.map(|a| assignee_name(&a.assignee, names)),
            assignment.map(|a| a.person.clone()),
            about.or(then.deadline),
            note.clone(),
            None,
            None,
        ),
        CaseStep::Archive { note } => (
            then.resolution
                .as_ref()
                .and_then(|r| r.handler.as_ref())
                .map(|h| assignee_name(h, names)),
            assignment.map(|a| a.person.clone()),
            None,
            note.clone(),
            None,
            then.resolution
                .as_ref()
                .map(|r| format!("{} {}:{}", r.on, r.outcome.label(), r.summary)),
        ),
        _ => return Ok(None),
    };
    let receipt = match which {
        Book::Closing => Receipt::NotAsked,
        Book::Supervision if assignment.is_none() => Receipt::NotAsked,
        _ => match now.receipt_after(event.hlc) {
            Some(entry) => Receipt::Signed {
                on: cst_date(entry.at.wall_ms),
                by: entry.by.clone(),
                role: entry.role,
            },
            None if now
                .file
                .iter()
                .any(|e| e.at > event.hlc && e.step == StepKind::Assign) =>
            {
                Receipt::Reassigned
            }
            None => Receipt::Waiting,
        },
    };
    let issued_on = cst_date(event.hlc.wall_ms);
    let archive_number = match which {
        Book::Closing => archive_number(
            store,
            case,
            now.registration.registered_on.year(),
            issued_on.year(),
        )?,
        _ => None,
    };
    let automatic = matches!(
        action.step,
        CaseStep::Supervise {
            automatic: true,
            ..
        }
    );
    Ok(Some(Notice {
        serial,
        book: which,
        event: event.id,
        case,
        case_number: then.case_number.clone(),
        register_serial: register_serial(store, &now, case)?,
        issued_on,
        issued_by: event.author.clone(),
        role: action.role,
        automatic,
        parties: then
            .registration
            .parties
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        category: then.registration.category.label().to_owned(),
        claim: then.registration.claim.clone(),
        addressee,
        person,
        deadline,
        approved_by,
        note,
        outcome,
        archive_number,
        receipt,
    }))
}

fn township_only(store: &Store) -> Result<(), NodeError> {
    if store.node().level() != Level::Township {
        return Err(NodeError::NotFound(
            "交办、督办、销案通知书由乡镇中心发出".into(),
        ));
    }
    Ok(())
}

/// The notices of `which` book issued in `year`, in number order.
pub fn notices(store: &Store, year: i32, which: Book) -> Result<NoticeBook, NodeError> {
    township_only(store)?;
    if !NOTICE_BOOKS.contains(&which) {
        return Err(NodeError::NotFound(format!("{}不是通知书", which.label())));
    }
    let names = crate::directory::Directory::new(store.clone()).listing()?;
    let mut cases = Cases::default();
    let mut out = Vec::new();
    for (i, id) in book(store, year, which)?.records.iter().enumerate() {
        let serial = which.serial_label(year, i as u32 + 1);
        if let Some(event) = store.get_by_id(*id)?
            && let Some(notice) = notice_of(store, &mut cases, &names, which, serial, &event)?
        {
            out.push(notice);
        }
    }
    Ok(NoticeBook {
        year,
        book: which,
        notices: out,
    })
}

/// One notice, by its step's event.
pub fn notice(store: &Store, event_id: Uuid) -> Result<Notice, NodeError> {
    township_only(store)?;
    let missing = || NodeError::NotFound(format!("通知书 {event_id}"));
    let event = store.get_by_id(event_id)?.ok_or_else(missing)?;
    let names = crate::directory::Directory::new(store.clone()).listing()?;
    for which in NOTICE_BOOKS {
        let year = cst_date(event.hlc.wall_ms).year();
        if let Some(n) = book(store, year, which)?.serial_of(event_id) {
            let serial = which.serial_label(year, n);
            return notice_of(store, &mut Cases::default(), &names, which, serial, &event)?
                .ok_or_else(missing);
        }
    }
    Err(missing())
}

/// What a case file shows of its numbers: its 总登记簿 number, its archive
/// number, and every notice issued on it, in the order issued.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CaseNumbers {
    pub register_serial: Option<String>,
    pub archive_number: Option<String>,
    pub notices: Vec<Notice>,
}

/// The numbers of `case` at this township (nothing elsewhere).
pub fn case_numbers(store: &Store, case: Uuid) -> Result<CaseNumbers, NodeError> {
    if store.node().level() != Level::Township {
        return Ok(CaseNumbers::default());
    }
    let Some(EntityState::Case(file)) = store.entity(case)?.map(|e| e.state) else {
        return Err(NodeError::NotFound(format!("案件 {case}")));
    };
    let names = crate::directory::Directory::new(store.clone()).listing()?;
    let mut cases = Cases::default();
    let mut events: Vec<Event> = cases.events(store, case)?.to_vec();
    events.sort_by(|a, b| fold_key(a).cmp(&fold_key(b)));
    let mut books = BTreeMap::new();
    let mut notices = Vec::new();
    for event in &events {
        let year = cst_date(event.hlc.wall_ms).year();
        for which in NOTICE_BOOKS {
            if let std::collections::btree_map::Entry::Vacant(slot) = books.entry((which, year)) {
                slot.insert(book(store, year, which)?);
            }
            if let Some(n) = books[&(which, year)].serial_of(event.id) {
                let serial = which.serial_label(year, n);
                notices.extend(notice_of(store, &mut cases, &names, which, serial, event)?);
            }
        }
    }
    let registered = file.registration.registered_on.year();
    let last = events
        .last()
        .map_or(registered, |e| cst_date(e.hlc.wall_ms).year());
    Ok(CaseNumbers {
        register_serial: register_serial(store, &file, case)?,
        archive_number: archive_number(store, case, registered, last.max(registered))?,
        notices,
    })
}
