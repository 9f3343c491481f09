//! 接访登记 at the center's own window: the visits this node holds, a form
//! to register one (answered on the spot or not), and a case registration
//! filled in from a visit, so nothing is typed twice.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sanji_domain::time::cst_date;
use sanji_domain::{FieldError, Labelled};
use sanji_node::NodeError;
use sanji_node::ops::{Action, Query};
use sanji_node::views::VisitRow;
use uuid::Uuid;

use crate::session::Person;
use crate::{Console, PageError};

use super::cases::village_choices;
use super::forms::{
    CaseDefaults, Field, case_fields, from_visit_intro, mark, registration_of, visit_fields,
    visit_of,
};
use super::{Frame, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/visits", get(list).post(record))
        .route("/visits/new", get(new_visit))
        .route("/visits/{id}/case", get(case_form).post(register_case))
}

pub struct Line {
    pub anchor: String,
    pub visited_on: String,
    pub channel: &'static str,
    pub received_at: String,
    pub visitor: String,
    pub people: u32,
    pub category: &'static str,
    pub summary: String,
    pub answer: String,
    pub receiver: String,
    /// The case it became, or the form that makes one.
    pub case_href: String,
    pub became_case: bool,
}

#[derive(Template)]
#[template(path = "visits.html")]
struct ListPage {
    frame: Frame,
    done: Option<&'static str>,
    lines: Vec<Line>,
}

async fn list(
    State(console): State<Console>,
    person: Person,
    UrlQuery(flash): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let rows: Vec<VisitRow> = query(&console, Query::Visits { village: None }).await?;
    let lines = rows
        .into_iter()
        .rev()
        .take(500)
        .map(|v| Line {
            anchor: format!("v-{}", v.id),
            visited_on: v.visited_on.to_string(),
            channel: v.channel.label(),
            received_at: v.received_at.to_string(),
            visitor: v.visitor,
            people: v.people_count,
            category: v.category.label(),
            summary: v.summary,
            answer: v.answer.unwrap_or_default(),
            receiver: v.receiver,
            became_case: v.became_case.is_some(),
            case_href: match v.became_case {
                Some(case) => format!("/cases/{case}"),
                None => format!("/visits/{}/case", v.id),
            },
        })
        .collect();
    page(ListPage {
        frame: Frame::of(&console, &person, "visits"),
        done: flash.contains_key("done").then_some("已登记接访"),
        lines,
    })
}

#[derive(Template)]
#[template(path = "visit_new.html")]
struct VisitForm {
    frame: Frame,
    title: &'static str,
    page_id: &'static str,
    action: String,
    intro: String,
    button: &'static str,
    fields: Vec<Field>,
    error: Option<String>,
    /// The case this visit already became: no form then, a link.
    became: Option<String>,
}

async fn new_visit(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    visit_page(&console, &person, &HashMap::new(), None).map(IntoResponse::into_response)
}

fn visit_page(
    console: &Console,
    person: &Person,
    posted: &HashMap<String, String>,
    error: Option<FieldError>,
) -> Result<Response, PageError> {
    let today = cst_date(console.operations().now_ms()).to_string();
    let mut fields = visit_fields(today, posted);
    let error = mark(&mut fields, error);
    page(VisitForm {
        frame: Frame::of(console, person, "visits"),
        title: "接访登记",
        page_id: "visit-new",
        action: "/visits".into(),
        intro: format!(
            "在本中心({})窗口接待的来访、来信、来电。接待人:{}。",
            console.operations().node(),
            person.account.name
        ),
        button: "登记",
        fields,
        error,
        became: None,
    })
}

/// A refused action as the form shows it: its status and the domain's words
/// (on a field, or on the whole form).
fn rejection(error: NodeError) -> Result<(StatusCode, FieldError), PageError> {
    match error {
        NodeError::Invalid(e) => Ok((StatusCode::UNPROCESSABLE_ENTITY, e)),
        NodeError::Refused(why) | NodeError::Forbidden(why) => {
            Ok((StatusCode::FORBIDDEN, FieldError::new("", why)))
        }
        other => Err(other.into()),
    }
}

async fn record(
    State(console): State<Console>,
    person: Person,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    person.account.sees_ledgers()?;
    // The operator layer writes the signed-in person as the receiver.
    let visit = visit_of(console.operations().node().clone(), String::new(), &posted);
    let result = match visit {
        Ok(visit) => {
            console
                .operations()
                .act(&person.account.actor(), Action::RecordVisit { visit })
                .await
        }
        Err(e) => Err(NodeError::Invalid(e)),
    };
    match result {
        Ok(outcome) => {
            Ok(Redirect::to(&format!("/visits?done=1#v-{}", outcome.entity)).into_response())
        }
        Err(e) => {
            let (status, e) = rejection(e)?;
            visit_page(&console, &person, &posted, Some(e)).map(|r| (status, r).into_response())
        }
    }
}

async fn the_visit(console: &Console, id: Uuid) -> Result<VisitRow, PageError> {
    let rows: Vec<VisitRow> = query(console, Query::Visits { village: None }).await?;
    rows.into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| PageError::NotFound(format!("接访记录 {id}")))
}

async fn case_page(
    console: &Console,
    person: &Person,
    visit: &VisitRow,
    posted: &HashMap<String, String>,
    error: Option<FieldError>,
) -> Result<Response, PageError> {
    let node = console.operations().node().to_string();
    let mut places = vec![(node.clone(), format!("{node} 本镇"))];
    places.extend(village_choices(console).await?);
    let defaults = CaseDefaults::from_visit(visit, "镇综治信访维稳中心");
    let mut fields = case_fields(defaults, places, false, posted);
    let error = mark(&mut fields, error);
    page(VisitForm {
        frame: Frame::of(console, person, "visits"),
        title: "登记为案件",
        page_id: "visit-case",
        action: format!("/visits/{}/case", visit.id),
        intro: from_visit_intro(visit),
        button: "登记为案件",
        fields,
        error,
        became: visit.became_case.map(|c| format!("/cases/{c}")),
    })
}

async fn case_form(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let visit = the_visit(&console, id).await?;
    case_page(&console, &person, &visit, &HashMap::new(), None).await
}

async fn register_case(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<Uuid>,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    person.account.sees_ledgers()?;
    let visit = the_visit(&console, id).await?;
    let today = cst_date(console.operations().now_ms());
    let result = match registration_of(today, Some(visit.id), &posted) {
        Ok(registration) => {
            console
                .operations()
                .act(
                    &person.account.actor(),
                    Action::RegisterCase { registration },
                )
                .await
        }
        Err(e) => Err(NodeError::Invalid(e)),
    };
    match result {
        Ok(outcome) => Ok(Redirect::to(&format!("/cases/{}", outcome.entity)).into_response()),
        Err(e) => {
            let (status, e) = rejection(e)?;
            case_page(&console, &person, &visit, &posted, Some(e))
                .await
                .map(|r| (status, r).into_response())
        }
    }
}
