//! 社会治安重点地区及突出问题排查整治登记簿: a quarter's hotspots, those its
//! round found and those carried over unrectified, each with its measures,
//! unit, deadline and result; the form that records an entry and the one
//! that updates it as the rectification goes on; A4 print and downloads.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use sanji_domain::hotspot::{Hotspot, HotspotStanding, RectifyStatus};
use sanji_domain::report::Period;
use sanji_domain::time::{cst_date, parse_date};
use sanji_domain::{Code, FieldError, Labelled};
use sanji_node::export;
use sanji_node::hotspots::{HotspotBook, HotspotRow};
use sanji_node::ops::{Action, Query};
use uuid::Uuid;

use crate::session::Person;
use crate::{Console, PageError};

use super::cases::village_choices;
use super::forms::{
    Field, choices, field, form_status, mark, posted_text, responsible_choices, take_form_action,
};
use super::reports::{PrintPage, download, wide};
use super::{Frame, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/hotspots", get(list).post(record))
        .route("/hotspots/new", get(new_entry))
        .route("/hotspots/print", get(print))
        .route("/hotspots/{id}", get(edit_entry).post(update))
}

#[derive(Template)]
#[template(path = "hotspots.html")]
struct BookPage {
    frame: Frame,
    book: HotspotBook,
    /// (`2026-Q4`, 2026 年第 4 季度) of this and the three quarters before.
    quarters: Vec<(String, String)>,
    done: Option<String>,
}

fn this_quarter(console: &Console) -> Period {
    Period::Quarter {
        year: 2000,
        quarter: 1,
    }
    .same_kind_at(cst_date(console.operations().now_ms()))
}

/// The quarter asked for (this one by default) and its book.
async fn book_of(
    console: &Console,
    person: &Person,
    asked: &HashMap<String, String>,
) -> Result<HotspotBook, PageError> {
    person.account.sees_ledgers()?;
    if console.operations().node().level() != sanji_domain::Level::Township {
        return Err(PageError::NotFound(
            "重点地区排查整治登记簿由乡镇中心登记".into(),
        ));
    }
    let quarter = match asked.get("quarter").map(|q| q.trim()) {
        None | Some("") => this_quarter(console).to_string(),
        Some(text) => text.to_owned(),
    };
    query(console, Query::Hotspots { quarter }).await
}

async fn list(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let book = book_of(&console, &person, &asked).await?;
    if let Some(format) = asked.get("format") {
        return download(
            &export::hotspots_table(&book),
            &format!(
                "重点地区排查整治登记簿-{}-{}",
                console.operations().node(),
                book.quarter
            ),
            format,
        );
    }
    let mut quarter = this_quarter(&console);
    let mut quarters = Vec::new();
    for _ in 0..4 {
        quarters.push((quarter.to_string(), quarter.label()));
        quarter = quarter.previous();
    }
    page(BookPage {
        frame: Frame::of(&console, &person, "screenings"),
        book,
        quarters,
        done: asked.get("done").cloned(),
    })
}

async fn print(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let book = book_of(&console, &person, &asked).await?;
    let table = export::hotspots_table(&book);
    page(PrintPage {
        period: format!(
            "{}:本季排查 {} 处,上季结转 {} 处,已整改 {} 处,逾期未整改 {} 处",
            book.label, book.found, book.carried_over, book.rectified, book.overdue
        ),
        back: format!("/hotspots?quarter={}", book.quarter),
        landscape: true,
        wide: Some(wide(&table, |_| "")),
        ..PrintPage::new(
            &console,
            &person,
            "hotspots",
            "社会治安重点地区及突出问题排查整治登记簿",
        )
    })
}

#[derive(Template)]
#[template(path = "hotspot_form.html")]
struct EntryForm {
    frame: Frame,
    fields: Vec<Field>,
    error: Option<String>,
    /// Where the form posts: a new entry, or the entry it updates.
    action: String,
    updating: bool,
}

async fn form_page(
    console: &Console,
    person: &Person,
    posted: &HashMap<String, String>,
    entry: Option<Uuid>,
    error: Option<FieldError>,
) -> Result<Response, PageError> {
    let today = cst_date(console.operations().now_ms()).to_string();
    let names = super::names(console).await?;
    let mut villages = vec![(String::new(), "(不在某个村)".to_owned())];
    villages.extend(village_choices(console).await?);
    let none = String::new;
    let mut fields = vec![
        field("found_on", "排查日期", "date", posted, today),
        field("area", "重点地区", "text", posted, none()).hint("如 集镇农贸市场周边、某建筑工地"),
        field("village", "所在村", "select", posted, none())
            .optional()
            .options(villages),
        field("problem", "突出问题", "textarea", posted, none()),
        field("measures", "整治措施", "textarea", posted, none()),
        field("unit", "责任单位", "select", posted, none()).options(responsible_choices(&names)),
        field("person", "责任人", "text", posted, none()),
        field("deadline", "整改时限", "date", posted, none()),
        field("status", "整治情况", "select", posted, none()).options(choices::<RectifyStatus>()),
        field("result", "整治结果", "textarea", posted, none())
            .optional()
            .hint("已整改的须填写"),
    ];
    let status = form_status(&error);
    let error = mark(&mut fields, error);
    let body = page(EntryForm {
        frame: Frame::of(console, person, "screenings"),
        fields,
        error,
        action: match entry {
            Some(id) => format!("/hotspots/{id}"),
            None => "/hotspots".to_owned(),
        },
        updating: entry.is_some(),
    })?;
    Ok((status, body).into_response())
}

async fn new_entry(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    form_page(&console, &person, &HashMap::new(), None, None).await
}

fn entry_id(text: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(text.trim()).map_err(|_| PageError::NotFound(format!("重点地区登记 {text}")))
}

/// The form's fields of a recorded entry, to update it.
fn posted_of(h: &Hotspot) -> HashMap<String, String> {
    let date = |d: NaiveDate| d.to_string();
    HashMap::from([
        ("found_on".to_owned(), date(h.found_on)),
        ("area".to_owned(), h.area.clone()),
        (
            "village".to_owned(),
            h.village
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        ("problem".to_owned(), h.problem.clone()),
        ("measures".to_owned(), h.measures.clone()),
        ("unit".to_owned(), h.unit.clone()),
        ("person".to_owned(), h.person.clone()),
        ("deadline".to_owned(), date(h.deadline)),
        ("status".to_owned(), h.status.id().to_owned()),
        ("result".to_owned(), h.result.clone()),
    ])
}

async fn edit_entry(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let id = entry_id(&id)?;
    let (hotspot, _): (Hotspot, Option<NaiveDate>) =
        query(&console, Query::Hotspot { entry: id }).await?;
    form_page(&console, &person, &posted_of(&hotspot), Some(id), None).await
}

/// An entry as posted.
fn hotspot_of(posted: &HashMap<String, String>) -> Result<Hotspot, FieldError> {
    let village = match posted_text(posted, "village") {
        "" => None,
        text => Some(Code::parse(text).map_err(|e| FieldError::new("village", e.to_string()))?),
    };
    let deadline = match posted_text(posted, "deadline") {
        "" => return Err(FieldError::new("deadline", "请填写「整改时限」")),
        text => parse_date("deadline", text)?,
    };
    Ok(Hotspot {
        found_on: parse_date("found_on", posted_text(posted, "found_on"))?,
        area: posted_text(posted, "area").to_owned(),
        village,
        problem: posted_text(posted, "problem").to_owned(),
        measures: posted_text(posted, "measures").to_owned(),
        unit: posted_text(posted, "unit").to_owned(),
        person: posted_text(posted, "person").to_owned(),
        deadline,
        status: RectifyStatus::parse_for("status", posted_text(posted, "status"))?,
        result: posted_text(posted, "result").to_owned(),
    })
}

async fn save(
    console: Console,
    person: Person,
    entry: Option<Uuid>,
    mut posted: HashMap<String, String>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    person.account.sees_ledgers()?;
    let parsed = hotspot_of(&posted);
    let quarter = parsed
        .as_ref()
        .map(|h| h.quarter().to_string())
        .unwrap_or_default();
    let done = if entry.is_some() {
        "updated"
    } else {
        "recorded"
    };
    take_form_action(
        &console,
        &person,
        parsed.map(|hotspot| Action::RecordHotspot { entry, hotspot }),
        |outcome| {
            format!(
                "/hotspots?quarter={quarter}&done={done}#h-{}",
                outcome.entity
            )
        },
        async |e| form_page(&console, &person, &posted, entry, Some(e)).await,
    )
    .await
}

async fn record(
    State(console): State<Console>,
    person: Person,
    Form(posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    save(console, person, None, posted).await
}

async fn update(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<String>,
    Form(posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let id = entry_id(&id)?;
    save(console, person, Some(id), posted).await
}

impl BookPage {
    /// How a row's standing is coloured: red when overdue, quiet when done.
    fn standing_class(&self, row: &HotspotRow) -> &'static str {
        match row.standing {
            HotspotStanding::Overdue => "overdue",
            HotspotStanding::Rectified => "done",
            HotspotStanding::Rectifying => "",
        }
    }
}
