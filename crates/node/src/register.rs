//! The township's numbered books: numbering what it received as it
//! arrives (visits and cases, from its villages' stations, its own window
//! and the county's hand-downs) in the 受理事项总登记簿, the 交办、督办、销案
//! 通知书 the center issues, and each case's 一案一档 archive number; and the
//! register as the pages and the CLI show it (the notices are
//! [`crate::notices`]). The rule for numbers is `sanji_domain::register`;
//! this module decides what is numbered and writes the numbers into the
//! hub's ledger.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use sanji_domain::case::CaseStep;
use sanji_domain::fold::EntityState;
use sanji_domain::index::{IndexName, TermRange};
use sanji_domain::register::{Book, RegisterBook, RegisterNumbers, serial_label};
use sanji_domain::time::cst_date;
use sanji_domain::{EventBody, Hlc, Labelled, Level, Origin};
use sanji_store::{Draft, MetaPut, Store};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::NodeError;

/// Who gives the numbers: the hub itself, as each record arrives.
pub const NUMBERING_AUTHOR: &str = "系统(登记簿编号)";
/// How far numbering has read each origin's chain. (Renamed from
/// `register-cursor` when the notices and archive numbers joined the
/// register, so a hub numbered before then reads its history once more:
/// records already numbered keep their numbers, its past notices get theirs.)
const CURSOR: &str = "books-cursor";
const SCAN: usize = 1000;

/// What the register holds of one record: its day (whose year's register
/// takes it), and what orders it among those that arrived together.
struct Received {
    on: NaiveDate,
    recorded: Hlc,
}

/// Whether the township's register takes this record, and where: a visit
/// received at the township or its villages; a case it keeps, registered
/// there or handed down to it, unless it was registered from a visit (that
/// visit holds its number) or imported from an old ledger (it was numbered
/// there).
fn received(store: &Store, state: &EntityState) -> Result<Option<Received>, NodeError> {
    let me = store.node();
    Ok(match state {
        EntityState::Visit(v)
            if v.record.received_at == *me || v.record.received_at.is_under(me) =>
        {
            Some(Received {
                on: v.record.visited_on,
                recorded: v.recorded.hlc,
            })
        }
        EntityState::Case(file) if crate::tracker::kept_here(file, me) => {
            let from_visit = match file.registration.from_record {
                Some(id) => matches!(
                    store.entity(id)?.map(|e| e.state),
                    Some(EntityState::Visit(_))
                ),
                None => false,
            };
            (!from_visit && file.imported.is_none()).then_some(Received {
                on: file.registration.registered_on,
                recorded: file.registered_at,
            })
        }
        _ => None,
    })
}

fn read_cursor(store: &Store, origin: &Origin) -> Result<u64, NodeError> {
    Ok(store
        .meta_get(CURSOR, &origin.to_string())?
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0))
}

/// A book of `year` as this township holds it (empty before its first number).
pub fn book(store: &Store, year: i32, which: Book) -> Result<RegisterBook, NodeError> {
    let id = RegisterNumbers::entity_id(store.node(), year, which);
    Ok(match store.entity(id)?.map(|e| e.state) {
        Some(EntityState::Register(book)) => book,
        _ => RegisterBook::empty(store.node().clone(), year, which),
    })
}

/// The book a township step of the case's life is numbered in: the
/// center's 交办 (an assignment), 督办 (a supervision, its own or the
/// tracker's) and 销案 (archiving) notices.
fn notice_book(step: &CaseStep) -> Option<Book> {
    match step {
        CaseStep::Assign { .. } => Some(Book::Dispatch),
        CaseStep::Supervise { .. } => Some(Book::Supervision),
        CaseStep::Archive { .. } => Some(Book::Closing),
        _ => None,
    }
}

/// The case's 一案一档 archive number, from the book of whichever year
/// from its registration to `until` holds it.
pub fn archive_number(
    store: &Store,
    case: Uuid,
    registered: i32,
    until: i32,
) -> Result<Option<String>, NodeError> {
    for year in registered..=until {
        if let Some(n) = book(store, year, Book::Archive)?.serial_of(case) {
            return Ok(Some(Book::Archive.serial_label(year, n)));
        }
    }
    Ok(None)
}

/// A record to number, with what orders it among the others: its day,
/// then when it was recorded.
type Arrival = (NaiveDate, Hlc, Uuid);

/// What one pass found to number: per book and year, each record with
/// what orders it.
#[derive(Default)]
struct Arrivals {
    found: BTreeMap<(Book, i32), Vec<Arrival>>,
    seen: BTreeSet<(Book, Uuid)>,
}

impl Arrivals {
    fn add(&mut self, book: Book, on: NaiveDate, at: Hlc, record: Uuid) {
        if self.seen.insert((book, record)) {
            self.found
                .entry((book, on.year()))
                .or_default()
                .push((on, at, record));
        }
    }
}

/// Numbers everything that arrived since the last pass and has no number
/// yet, in the order it was received (its day, then when it was recorded),
/// each year's in its own register; the numbers and how far this read are
/// written in one durable batch, so a crash numbers nothing twice. Only a
/// township keeps the register. Returns how many records were numbered.
pub fn number_arrivals(store: &Store, now_ms: u64) -> Result<usize, NodeError> {
    if store.node().level() != Level::Township {
        return Ok(0);
    }
    let own = Origin::node(store.node().clone());
    let sources: Vec<Origin> = store
        .version_vector()?
        .into_keys()
        .filter(|o| !o.is_outbox())
        .collect();
    let mut arrivals = Arrivals::default();
    let mut marks = Vec::new();
    for source in sources {
        let mut after = read_cursor(store, &source)?;
        loop {
            let events = store.events_after(&source, after, SCAN)?;
            let Some(last) = events.last() else { break };
            after = last.seq;
            for event in &events {
                find_numbered(store, &own, event, &mut arrivals)?;
            }
        }
        if after > read_cursor(store, &source)? {
            marks.push(MetaPut::new(
                CURSOR,
                source.to_string(),
                after.to_be_bytes(),
            ));
        }
    }
    let mut drafts = Vec::new();
    let mut numbered = 0;
    for ((which, year), mut records) in arrivals.found {
        let book = book(store, year, which)?;
        records.retain(|(_, _, id)| book.serial_of(*id).is_none());
        records.sort();
        let mut next = book.records.len() as u32 + 1;
        for chunk in records.chunks(sanji_domain::register::MAX_NUMBERED_AT_ONCE) {
            let numbers = RegisterNumbers {
                township: store.node().clone(),
                year,
                book: which,
                first: next,
                records: chunk.iter().map(|(_, _, id)| *id).collect(),
            };
            next += chunk.len() as u32;
            numbered += chunk.len();
            drafts.push(Draft {
                author: NUMBERING_AUTHOR.to_owned(),
                entity: RegisterNumbers::entity_id(store.node(), year, which),
                body: EventBody::RegisterNumbered(numbers),
            });
        }
    }
    if !drafts.is_empty() || !marks.is_empty() {
        store.append_local_with(&own, now_ms, drafts, marks)?;
    }
    Ok(numbered)
}

/// What `event` gives a number to, if anything: the record it registers
/// (in the 总登记簿), or the notice it issues and, on archiving, the case's
/// archive number. A step the case's fold refused issues nothing.
fn find_numbered(
    store: &Store,
    own: &Origin,
    event: &sanji_domain::Event,
    arrivals: &mut Arrivals,
) -> Result<(), NodeError> {
    match &event.body {
        EventBody::VisitRecorded(_)
        | EventBody::CaseRegistered(_)
        | EventBody::CaseHandedDown(_) => {
            if arrivals.seen.contains(&(Book::Received, event.entity)) {
                return Ok(());
            }
            let Some(entity) = store.entity(event.entity)? else {
                return Ok(());
            };
            if let Some(r) = received(store, &entity.state)? {
                arrivals.add(Book::Received, r.on, r.recorded, event.entity);
            }
        }
        EventBody::CaseStepped(action) if event.origin == *own => {
            let Some(which) = notice_book(&action.step) else {
                return Ok(());
            };
            let Some(entity) = store.entity(event.entity)? else {
                return Ok(());
            };
            if entity
                .conflicts
                .iter()
                .any(|c| c.event == event.event_ref())
            {
                return Ok(());
            }
            let on = cst_date(event.hlc.wall_ms);
            arrivals.add(which, on, event.hlc, event.id);
            if which == Book::Closing
                && let EntityState::Case(file) = &entity.state
                && archive_number(
                    store,
                    event.entity,
                    file.registration.registered_on.year(),
                    on.year(),
                )?
                .is_none()
            {
                arrivals.add(Book::Archive, on, event.hlc, event.entity);
            }
        }
        _ => {}
    }
    Ok(())
}

/// One line of the 受理事项总登记簿.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRow {
    /// `2026-0007`; `None` while the record waits for its number (it arrived
    /// since the hub's last pass).
    pub serial: Option<String>,
    pub id: Uuid,
    /// `visit` or `case`: which page the record is on.
    pub kind: String,
    pub received_on: NaiveDate,
    /// Where it was received: a village, or the township itself.
    pub received_at: sanji_domain::Code,
    /// The same in words: the village's name from the 名录, or 中心窗口.
    pub place: String,
    /// 来访, 来信, 来电 for a visit; the case's source (网上, 上级交办 …).
    pub channel: String,
    /// The visitor, or the case's parties.
    pub people: String,
    pub people_count: u32,
    pub category: String,
    /// What was raised (a visit) or claimed (a case).
    pub matter: String,
    /// 登记人: who received it.
    pub receiver: String,
    /// How it stands: answered on the spot, turned into a case, or the case's status.
    pub handling: String,
    /// The case this visit became, or the case itself.
    pub case: Option<Uuid>,
}

/// The register of `year`: numbered records in number order, then those
/// still waiting for a number, in the order they will get one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    pub year: i32,
    pub rows: Vec<RegisterRow>,
}

fn row_of(
    id: Uuid,
    state: &EntityState,
    serial: Option<String>,
    became: &BTreeMap<Uuid, (Uuid, String)>,
    names: &crate::directory::Listing,
) -> Option<RegisterRow> {
    let place = |code: &sanji_domain::Code| {
        if code.level() == Level::Township {
            "中心窗口".to_owned()
        } else {
            names.name_of(code).unwrap_or(code.as_str()).to_owned()
        }
    };
    match state {
        EntityState::Visit(v) => {
            let r = &v.record;
            let case = became.get(&id);
            Some(RegisterRow {
                serial,
                id,
                kind: "visit".into(),
                received_on: r.visited_on,
                received_at: r.received_at.clone(),
                place: place(&r.received_at),
                channel: r.channel.label().to_owned(),
                people: r.visitor.name.clone(),
                people_count: r.people_count,
                category: r.category.label().to_owned(),
                matter: r.summary.clone(),
                receiver: r.receiver.clone(),
                handling: match (case, &r.answer) {
                    (Some((_, number)), _) => format!("转为案件 {number}"),
                    (None, Some(answer)) => format!("当场答复:{answer}"),
                    (None, None) => "已登记".to_owned(),
                },
                case: case.map(|(c, _)| *c),
            })
        }
        EntityState::Case(file) => {
            let r = &file.registration;
            Some(RegisterRow {
                serial,
                id,
                kind: "case".into(),
                received_on: r.registered_on,
                received_at: r.place.clone(),
                place: place(&r.place),
                channel: r.source.label().to_owned(),
                people: r
                    .parties
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                people_count: r.people_involved,
                category: r.category.label().to_owned(),
                matter: r.claim.clone(),
                receiver: r.first_receiver.clone(),
                handling: match &file.case_number {
                    Some(number) => format!("{} {number}", file.status.label()),
                    None => file.status.label().to_owned(),
                },
                case: Some(id),
            })
        }
        _ => None,
    }
}

/// The 受理事项总登记簿 of `year`, read through the indexes: the book's
/// records, and the year's visits and cases it does not number yet.
pub fn register(store: &Store, year: i32) -> Result<Register, NodeError> {
    let book = book(store, year, Book::Received)?;
    let (first, last) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    );
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Register {
            year,
            rows: Vec::new(),
        });
    };
    let days = TermRange::days(first, last);
    let names = crate::directory::Directory::new(store.clone()).listing()?;
    let cases = store.entities_where(IndexName::CaseRegistered, &days)?;
    // A visit's case: its id and number (or 待受理 while it has none).
    let became: BTreeMap<Uuid, (Uuid, String)> = cases
        .iter()
        .filter_map(|e| match &e.state {
            EntityState::Case(file) => file.registration.from_record.map(|from| {
                let number = file
                    .case_number
                    .clone()
                    .unwrap_or_else(|| file.status.label().to_owned());
                (from, (e.id, number))
            }),
            _ => None,
        })
        .collect();
    let mut rows = Vec::new();
    for (i, id) in book.records.iter().enumerate() {
        if let Some(entity) = store.entity(*id)? {
            let serial = Some(serial_label(year, i as u32 + 1));
            rows.extend(row_of(*id, &entity.state, serial, &became, &names));
        }
    }
    let mut waiting = Vec::new();
    let visits = store.entities_where(IndexName::VisitDay, &days)?;
    for e in visits.iter().chain(&cases) {
        if book.serial_of(e.id).is_none()
            && let Some(r) = received(store, &e.state)?
        {
            waiting.push(((r.on, r.recorded, e.id), e));
        }
    }
    waiting.sort_by_key(|(order, _)| *order);
    for (_, e) in waiting {
        rows.extend(row_of(e.id, &e.state, None, &became, &names));
    }
    Ok(Register { year, rows })
}
