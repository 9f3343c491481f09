//! 会议记录簿: the township's meetings (例会, 联席会议) with what each
//! reviewed and the responsibilities it assigned, the reminder of a fixed
//! meeting due without minutes, the form that records one, and the book
//! printed and downloaded as one table.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query as UrlQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sanji_domain::meeting::{Follow, Meeting, MeetingKind};
use sanji_domain::time::{cst_date, format_cst, parse_date};
use sanji_domain::{FieldError, Labelled};
use sanji_node::NodeError;
use sanji_node::export::{self, linked_kind};
use sanji_node::meetings::{DutyDraft, DutyRow, Linked, MeetingBook};
use sanji_node::ops::{Action, Query};
use sanji_node::views::{CaseRow, ScreeningRow};
use uuid::Uuid;

use crate::session::Person;
use crate::{Console, PageError};

use super::forms::{Field, choices, field, mark, posted_text, responsible_choices};
use super::reports::{PrintPage, download, wide};
use super::{Frame, case_label, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/meetings", get(list).post(record))
        .route("/meetings/new", get(new_meeting))
        .route("/meetings/print", get(print))
        .route("/meetings/export", get(export_book))
}

/// How many responsibility rows the form offers.
const DUTY_ROWS: usize = 3;
const DUTY_FIELDS: [[&str; 5]; DUTY_ROWS] = [
    [
        "duty0_subject",
        "duty0_unit",
        "duty0_person",
        "duty0_task",
        "duty0_deadline",
    ],
    [
        "duty1_subject",
        "duty1_unit",
        "duty1_person",
        "duty1_task",
        "duty1_deadline",
    ],
    [
        "duty2_subject",
        "duty2_unit",
        "duty2_person",
        "duty2_task",
        "duty2_deadline",
    ],
];

/// A link to a screening or case, as a page shows it.
pub struct LinkLine {
    pub href: String,
    pub words: String,
}

fn link_line(l: &Linked) -> LinkLine {
    LinkLine {
        href: format!(
            "/{}/{}",
            if l.kind == "case" {
                "cases"
            } else {
                "screenings"
            },
            l.id
        ),
        words: format!("{} {}", linked_kind(&l.kind), l.name),
    }
}

/// One responsibility as the book and the records show it.
pub struct DutyLine {
    pub subject: LinkLine,
    pub unit: String,
    pub person: String,
    pub task: String,
    pub deadline: String,
    pub follow: &'static str,
    /// `overdue`, `done` or empty.
    pub tone: &'static str,
    pub meeting: String,
}

pub(super) fn duty_line(d: &DutyRow) -> DutyLine {
    DutyLine {
        subject: link_line(&d.subject),
        unit: d.unit.clone(),
        person: d.person.clone(),
        task: d.task.clone(),
        deadline: d.deadline.to_string(),
        follow: d.follow.label(),
        tone: match d.follow {
            Follow::Overdue => "overdue",
            Follow::Done => "done",
            Follow::Open => "",
        },
        meeting: format!("{} {}", d.held_on, d.meeting_kind.label()),
    }
}

pub struct MeetingLine {
    pub anchor: String,
    pub held_on: String,
    pub kind: &'static str,
    pub chair: String,
    pub attendees: String,
    pub decisions: String,
    pub reviewed: Vec<LinkLine>,
    pub duties: Vec<DutyLine>,
    pub recorded: String,
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct BookPage {
    frame: Frame,
    done: bool,
    due: Vec<(String, bool)>,
    lines: Vec<MeetingLine>,
}

async fn list(
    State(console): State<Console>,
    person: Person,
    UrlQuery(flash): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let book: MeetingBook = query(&console, Query::Meetings).await?;
    let lines = book
        .meetings
        .iter()
        .map(|m| MeetingLine {
            anchor: format!("m-{}", m.id),
            held_on: m.held_on.to_string(),
            kind: m.kind.label(),
            chair: m.chair.clone(),
            attendees: m.attendees.join("、"),
            decisions: m.decisions.clone(),
            reviewed: m.reviewed.iter().map(link_line).collect(),
            duties: m.duties.iter().map(duty_line).collect(),
            recorded: format!("{} {}", m.author, format_cst(m.recorded_at_ms)),
        })
        .collect();
    page(BookPage {
        frame: Frame::of(&console, &person, "meetings"),
        done: flash.contains_key("done"),
        due: book.due.iter().map(|d| (d.words(), d.overdue)).collect(),
        lines,
    })
}

fn book_table(console: &Console, book: &MeetingBook) -> export::Table {
    export::meetings_table(
        format!("会议记录簿 {}", console.operations().node()),
        &book.meetings,
    )
}

async fn print(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let book: MeetingBook = query(&console, Query::Meetings).await?;
    let table = book_table(&console, &book);
    page(PrintPage {
        period: format!("共 {} 次会议", book.meetings.len()),
        back: "/meetings".into(),
        landscape: true,
        wide: Some(wide(&table, |_| "")),
        ..PrintPage::new(&console, &person, "meetings", "会议记录簿")
    })
}

async fn export_book(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let book: MeetingBook = query(&console, Query::Meetings).await?;
    let today = cst_date(console.operations().now_ms());
    download(
        &book_table(&console, &book),
        &format!("会议记录簿-{}", today.format("%Y%m%d")),
        asked.get("format").map_or("xlsx", String::as_str),
    )
}

/// A screening or case the meeting may review, as a checkbox.
pub struct Candidate {
    pub id: String,
    pub words: String,
    pub checked: bool,
}

pub struct DutyInputs {
    pub fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "meeting_new.html")]
struct MeetingForm {
    frame: Frame,
    fields: Vec<Field>,
    candidates: Vec<Candidate>,
    duties: Vec<DutyInputs>,
    error: Option<String>,
}

/// The open cases and the screenings not yet turned into cases: what a
/// meeting reviews, (id, words).
async fn reviewable(console: &Console) -> Result<Vec<(String, String)>, PageError> {
    let names = super::names(console).await?;
    let cases: Vec<CaseRow> = query(console, Query::OpenCases).await?;
    let screenings: Vec<ScreeningRow> = query(console, Query::Screenings { village: None }).await?;
    let mut out: Vec<(String, String)> = screenings
        .into_iter()
        .filter(|s| s.converted_to.is_none())
        .map(|s| {
            (
                s.id.to_string(),
                format!(
                    "排查 {} {} {}({})",
                    s.screened_on,
                    names.place_label(&s.village),
                    s.parties.join("、"),
                    s.risk.label()
                ),
            )
        })
        .collect();
    out.extend(cases.into_iter().map(|c| {
        (
            c.id.to_string(),
            format!(
                "案件 {} {} {}({})",
                case_label(&c.case_number, c.id),
                names.place_label(&c.place),
                c.parties.join("、"),
                c.status.label()
            ),
        )
    }));
    Ok(out)
}

async fn form_page(
    console: &Console,
    person: &Person,
    posted: &HashMap<String, String>,
    reviewed: &[String],
    error: Option<FieldError>,
) -> Result<Response, PageError> {
    let today = cst_date(console.operations().now_ms()).to_string();
    let none = String::new;
    let mut fields = vec![
        field("kind", "会议", "select", posted, none()).options(choices::<MeetingKind>()),
        field("held_on", "日期", "date", posted, today),
        field(
            "chair",
            "主持人",
            "text",
            posted,
            person.account.name.clone(),
        ),
        field("attendees", "参会人员", "text", posted, none())
            .hint("多人用顿号隔开,如:刘芳、司法所 孙立、派出所 陈警官"),
        field("decisions", "会议议定事项", "textarea", posted, none())
            .hint("逐村研判的结论、采取的措施、要上报的事项"),
    ];
    let candidates = reviewable(console).await?;
    let names = super::names(console).await?;
    let units = responsible_choices(&names);
    let mut duties: Vec<DutyInputs> = DUTY_FIELDS
        .iter()
        .map(|[subject, unit, who, task, deadline]| DutyInputs {
            fields: vec![
                field(subject, "事项", "select", posted, none())
                    .optional()
                    .options(candidates.clone()),
                field(unit, "责任单位", "select", posted, none())
                    .optional()
                    .options(units.clone()),
                field(who, "责任人", "text", posted, none()).optional(),
                field(task, "工作要求", "text", posted, none()).optional(),
                field(deadline, "落实期限", "date", posted, none()).optional(),
            ],
        })
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    // A responsibility's error is placed at its row's field.
    let error = match error {
        Some(e) if e.field.starts_with("responsibilities[") => {
            let row: usize = e.field["responsibilities[".len()..]
                .split(']')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let part = e.field.rsplit('.').next().unwrap_or_default();
            let at = ["subject", "unit", "person", "task", "deadline"]
                .iter()
                .position(|p| *p == part)
                .unwrap_or(0);
            match duties.get_mut(row) {
                Some(d) => {
                    d.fields[at].error = Some(e.rule);
                    None
                }
                None => Some(e.rule),
            }
        }
        other => mark(&mut fields, other),
    };
    let body = page(MeetingForm {
        frame: Frame::of(console, person, "meetings"),
        fields,
        candidates: candidates
            .into_iter()
            .map(|(id, words)| Candidate {
                checked: reviewed.contains(&id),
                id,
                words,
            })
            .collect(),
        duties,
        error,
    })?;
    Ok((status, body).into_response())
}

async fn new_meeting(
    State(console): State<Console>,
    person: Person,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    form_page(&console, &person, &HashMap::new(), &[], None).await
}

/// The minutes as posted: the reviewed records ticked, and each
/// responsibility row filled in (blank rows left out; `rows` says which
/// form row each responsibility came from).
struct Minutes {
    meeting: Meeting,
    duties: Vec<DutyDraft>,
    /// The form row of each of `duties`.
    rows: Vec<usize>,
}

fn meeting_of(posted: &HashMap<String, String>) -> Result<Minutes, FieldError> {
    let mut duties = Vec::new();
    let mut rows = Vec::new();
    for (row, [subject, unit, who, task, deadline]) in DUTY_FIELDS.iter().enumerate() {
        let typed = |name: &str| posted_text(posted, name).to_owned();
        if [subject, unit, who, task, deadline]
            .iter()
            .all(|n| typed(n).is_empty())
        {
            continue;
        }
        let at = |part: &str| format!("responsibilities[{row}].{part}");
        if typed(subject).is_empty() {
            return Err(FieldError::new(
                at("subject"),
                "请选择这项责任对应的排查或案件",
            ));
        }
        if typed(unit).is_empty() {
            return Err(FieldError::new(at("unit"), "请选择责任单位"));
        }
        let deadline = parse_date("deadline", &typed(deadline))
            .map_err(|e| FieldError::new(at("deadline"), e.rule))?;
        duties.push(DutyDraft {
            subject: typed(subject),
            unit: typed(unit),
            person: typed(who),
            task: typed(task),
            deadline,
        });
        rows.push(row);
    }
    let meeting = Meeting {
        kind: MeetingKind::parse_for("kind", posted_text(posted, "kind"))?,
        held_on: parse_date("held_on", posted_text(posted, "held_on"))?,
        chair: posted_text(posted, "chair").to_owned(),
        attendees: posted_text(posted, "attendees")
            .split(['、', ',', ',', ';', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        screenings: Vec::new(),
        cases: Vec::new(),
        decisions: posted_text(posted, "decisions").to_owned(),
        responsibilities: Vec::new(),
    };
    Ok(Minutes {
        meeting,
        duties,
        rows,
    })
}

/// A responsibility's error named by its place among those filled in,
/// renamed to its row on the form.
fn at_form_row(mut e: FieldError, rows: &[usize]) -> FieldError {
    if let Some(rest) = e.field.strip_prefix("responsibilities[")
        && let Some((n, tail)) = rest.split_once(']')
        && let Some(row) = n.parse::<usize>().ok().and_then(|n| rows.get(n))
    {
        e.field = format!("responsibilities[{row}]{tail}");
    }
    e
}

async fn record(
    State(console): State<Console>,
    person: Person,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut posted: HashMap<String, String> = HashMap::new();
    let mut reviewed = Vec::new();
    for (name, value) in pairs {
        if name == "review" {
            reviewed.push(value);
        } else {
            posted.insert(name, value);
        }
    }
    person.check_csrf(posted.remove("csrf").as_deref())?;
    person.account.sees_ledgers()?;
    let (result, rows) = match meeting_of(&posted) {
        Ok(Minutes {
            meeting,
            duties,
            rows,
        }) => (
            console
                .operations()
                .act(
                    &person.account.actor(),
                    Action::RecordMeeting {
                        meeting,
                        case_refs: reviewed.clone(),
                        duties,
                    },
                )
                .await,
            rows,
        ),
        Err(e) => (Err(NodeError::Invalid(e)), (0..DUTY_ROWS).collect()),
    };
    match result {
        Ok(outcome) => {
            Ok(Redirect::to(&format!("/meetings?done=1#m-{}", outcome.entity)).into_response())
        }
        Err(NodeError::Invalid(e)) => {
            let e = at_form_row(e, &rows);
            form_page(&console, &person, &posted, &reviewed, Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The responsibilities meetings assigned for one screening or case, for
/// its page.
pub(super) async fn duties_on(
    console: &Console,
    subject: Uuid,
) -> Result<Vec<DutyLine>, PageError> {
    let rows: Vec<DutyRow> = query(console, Query::Duties { subject }).await?;
    Ok(rows.iter().map(duty_line).collect())
}
