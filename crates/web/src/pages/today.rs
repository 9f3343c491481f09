//! 今日待办: what needs doing today, in one place.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use sanji_domain::Labelled;
use sanji_domain::case::{ActorRole, CaseStatus};
use sanji_domain::deadline::DeadlineStanding;
use sanji_domain::time::{cst_date, format_cst};
use sanji_node::directory::Listing;
use sanji_node::tracker::Tracked;
use sanji_node::views::{CaseRow, PeerRow};

use crate::session::Person;
use crate::{Console, PageError};

use super::{Frame, case_label, page, query, tone};
use sanji_node::ops::Query;

pub(super) fn routes() -> Router<Console> {
    Router::new().route("/", get(today))
}

/// One line of the to-do list.
pub struct TodoItem {
    pub case: String,
    pub href: String,
    pub place: String,
    pub what: String,
    pub standing: String,
    /// `overdue` (red), `due` (yellow) or empty.
    pub tone: &'static str,
}

pub struct SilentStation {
    pub code: String,
    pub last_contact: String,
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    frame: Frame,
    today: String,
    to_accept: Vec<TodoItem>,
    overdue: Vec<TodoItem>,
    due_soon: Vec<TodoItem>,
    to_approve: Vec<TodoItem>,
    noticed: Vec<TodoItem>,
    silent: Vec<SilentStation>,
    unit: Option<String>,
    /// Fixed meetings due with no minutes: (words, overdue).
    meetings_due: Vec<(String, bool)>,
}

fn todo_of(t: &Tracked, what: String, names: &Listing) -> TodoItem {
    TodoItem {
        case: case_label(&t.case_number, t.id),
        href: format!("/cases/{}", t.id),
        place: names.place_label(&t.place),
        what,
        standing: format!("{} · 期限 {}", t.standing.label(), t.deadline),
        tone: tone(&t.standing),
    }
}

async fn today(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    if console.operations().node().level() == sanji_domain::Level::County {
        return super::county_home::county_home(&console, &person).await;
    }
    let ops = console.operations();
    let now = ops.now_ms();
    let due: Vec<Tracked> = query(&console, Query::Due).await?;
    let cases: Vec<CaseRow> = query(&console, Query::OpenCases).await?;
    let names = super::names(&console).await?;
    let mine = |assignee: &Option<String>| person.account.sees_assignee(assignee.as_deref());
    let mut to_accept = Vec::new();
    let mut overdue = Vec::new();
    let mut due_soon = Vec::new();
    for t in due.iter().filter(|t| mine(&t.assignee)) {
        match (t.status, &t.standing) {
            (CaseStatus::Registered, _) => to_accept.push(todo_of(
                t,
                "新登记,待受理(15 日内决定是否受理)".into(),
                &names,
            )),
            (_, DeadlineStanding::Overdue { .. }) => overdue.push(todo_of(
                t,
                format!(
                    "{} · {}",
                    t.status.label(),
                    t.assignee.clone().unwrap_or_default()
                ),
                &names,
            )),
            (_, DeadlineStanding::DueSoon { .. }) => due_soon.push(todo_of(
                t,
                format!(
                    "{} · {}",
                    t.status.label(),
                    t.assignee.clone().unwrap_or_default()
                ),
                &names,
            )),
            _ => {}
        }
    }
    let row_item = |c: &CaseRow, what: String| TodoItem {
        case: case_label(&c.case_number, c.id),
        href: format!("/cases/{}", c.id),
        place: names.place_label(&c.place),
        what,
        standing: c.deadline.map(|d| format!("期限 {d}")).unwrap_or_default(),
        tone: "",
    };
    let to_approve = if person.account.role == ActorRole::UnitStaff {
        Vec::new()
    } else {
        cases
            .iter()
            .filter(|c| c.status == CaseStatus::AwaitingApproval)
            .map(|c| {
                row_item(
                    c,
                    format!(
                        "分流给 {}(承办人 {}),待中心主任审批",
                        names
                            .assignee_row_label(c.assignee.as_deref(), c.assignee_village.as_ref()),
                        c.person.clone().unwrap_or_default()
                    ),
                )
            })
            .collect()
    };
    let noticed = cases
        .iter()
        .filter(|c| c.status.is_open() && (c.urges > 0 || c.supervisions > 0) && mine(&c.assignee))
        .map(|c| row_item(c, format!("催办 {} 次,督办 {} 次", c.urges, c.supervisions)))
        .collect();
    let silent = if person.account.role == ActorRole::UnitStaff {
        Vec::new()
    } else {
        let peers: Vec<PeerRow> = query(&console, Query::Stations).await?;
        peers
            .into_iter()
            .filter(|p| p.is_silent(now))
            .map(|p| SilentStation {
                last_contact: if p.last_contact_ms == 0 {
                    "从未联系".into()
                } else {
                    format_cst(p.last_contact_ms)
                },
                last_error: p.last_error.unwrap_or_default(),
                code: sanji_domain::Code::parse(&p.code)
                    .map(|c| names.place_label(&c))
                    .unwrap_or(p.code),
            })
            .collect()
    };
    let meetings_due = if person.account.sees_ledgers().is_ok() {
        let book: sanji_node::meetings::MeetingBook = query(&console, Query::Meetings).await?;
        book.due.iter().map(|d| (d.words(), d.overdue)).collect()
    } else {
        Vec::new()
    };
    page(TodayPage {
        meetings_due,
        frame: Frame::of(&console, &person, "today"),
        today: cst_date(now).to_string(),
        to_accept,
        overdue,
        due_soon,
        to_approve,
        noticed,
        silent,
        unit: person.account.unit.clone(),
    })
}
