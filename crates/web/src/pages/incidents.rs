//! 事件: the 群体性事件 and 民转刑 cases that happened in the township, each
//! linked to the screenings and cases it grew out of, and the form that
//! records one (from a screening's page, already linked to it).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query as UrlQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sanji_domain::record::{Incident, IncidentKind};
use sanji_domain::time::{cst_date, format_cst, parse_date};
use sanji_domain::{Code, FieldError, Labelled};
use sanji_node::NodeError;
use sanji_node::ops::{Action, Query};
use sanji_node::views::IncidentRow;
use uuid::Uuid;

use crate::session::Person;
use crate::{Console, PageError};

use super::cases::village_choices;
use super::forms::{Field, choices, count, field, mark, parties_of, posted_text};
use super::{Frame, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/incidents", get(list).post(record))
        .route("/incidents/new", get(new_incident))
}

pub struct Line {
    pub anchor: String,
    pub occurred_on: String,
    pub kind: &'static str,
    pub place: String,
    pub people: u32,
    pub parties: String,
    pub cause: String,
    pub handling: String,
    /// (href, words) of each linked case and screening.
    pub links: Vec<(String, String)>,
    pub recorded: String,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    frame: Frame,
    done: bool,
    lines: Vec<Line>,
}

async fn list(
    State(console): State<Console>,
    person: Person,
    UrlQuery(flash): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let rows: Vec<IncidentRow> = query(&console, Query::Incidents).await?;
    let names = super::names(&console).await?;
    let lines = rows
        .into_iter()
        .map(|r| Line {
            anchor: format!("i-{}", r.id),
            occurred_on: r.record.occurred_on.to_string(),
            kind: r.record.kind.label(),
            place: names.place_label(&r.record.place),
            people: r.record.people_involved,
            parties: r
                .record
                .parties
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            cause: r.record.cause,
            handling: r.record.handling,
            links: r
                .case_links
                .into_iter()
                .map(|(id, name)| (format!("/cases/{id}"), format!("案件 {name}")))
                .chain(
                    r.screening_links
                        .into_iter()
                        .map(|(id, name)| (format!("/screenings/{id}"), format!("排查 {name}"))),
                )
                .collect(),
            recorded: format!("{} {}", r.author, format_cst(r.recorded_at_ms)),
        })
        .collect();
    page(ListPage {
        frame: Frame::of(&console, &person, "screenings"),
        done: flash.contains_key("done"),
        lines,
    })
}

#[derive(Template)]
#[template(path = "incident_new.html")]
struct IncidentForm {
    frame: Frame,
    fields: Vec<Field>,
    error: Option<String>,
    /// The screening it is recorded from, carried by the form.
    screening: String,
    screening_label: Option<String>,
}

async fn form_page(
    console: &Console,
    person: &Person,
    posted: &HashMap<String, String>,
    error: Option<FieldError>,
) -> Result<Response, PageError> {
    let today = cst_date(console.operations().now_ms()).to_string();
    let node = console.operations().node().to_string();
    let mut places = vec![(node.clone(), format!("{node} 本镇"))];
    places.extend(village_choices(console).await?);
    let none = String::new;
    let mut fields = vec![
        field("kind", "类别", "select", posted, none()).options(choices::<IncidentKind>()),
        field("occurred_on", "发生日期", "date", posted, today),
        field("place", "发生地", "select", posted, node).options(places),
        field("party", "当事人或为首人员", "text", posted, none()),
        field("others", "其他人员", "text", posted, none())
            .optional()
            .hint("多人用顿号隔开,如:张三、李四"),
        field("people_involved", "参与人数", "number", posted, "1".into()),
        field("cause", "起因", "textarea", posted, none()),
        field("handling", "处置情况", "textarea", posted, none())
            .hint("谁到场、采取了哪些措施、现在的状况"),
        field("cases", "关联案件", "text", posted, none())
            .optional()
            .hint("案件编号,如 0001;多件用顿号隔开"),
    ];
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let error = mark(&mut fields, error);
    let screening = posted_text(posted, "screening").to_owned();
    let screening_label = match Uuid::parse_str(&screening) {
        Ok(id) => {
            let row: sanji_node::views::ScreeningRow =
                query(console, Query::Screening { screening: id }).await?;
            Some(format!("{} {}", row.screened_on, row.parties.join("、")))
        }
        Err(_) => None,
    };
    let body = page(IncidentForm {
        frame: Frame::of(console, person, "screenings"),
        fields,
        error,
        screening,
        screening_label,
    })?;
    Ok((status, body).into_response())
}

async fn new_incident(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    form_page(&console, &person, &asked, None).await
}

/// An incident as posted, with the case numbers typed for its links.
fn incident_of(posted: &HashMap<String, String>) -> Result<(Incident, Vec<String>), FieldError> {
    let screening = posted_text(posted, "screening");
    let screenings = if screening.is_empty() {
        Vec::new()
    } else {
        vec![
            Uuid::parse_str(screening)
                .map_err(|_| FieldError::new("screenings", "关联的排查记录编号无效"))?,
        ]
    };
    let case_refs = posted_text(posted, "cases")
        .split(['、', ',', ',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Ok((
        Incident {
            kind: IncidentKind::parse_for("kind", posted_text(posted, "kind"))?,
            place: Code::parse(posted_text(posted, "place"))
                .map_err(|e| FieldError::new("place", e.to_string()))?,
            occurred_on: parse_date("occurred_on", posted_text(posted, "occurred_on"))?,
            people_involved: count(posted, "people_involved")?,
            parties: parties_of(posted),
            cause: posted_text(posted, "cause").to_owned(),
            handling: posted_text(posted, "handling").to_owned(),
            screenings,
            cases: Vec::new(),
        },
        case_refs,
    ))
}

async fn record(
    State(console): State<Console>,
    person: Person,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    person.account.sees_ledgers()?;
    let result = match incident_of(&posted) {
        Ok((incident, case_refs)) => {
            console
                .operations()
                .act(
                    &person.account.actor(),
                    Action::RecordIncident {
                        incident,
                        case_refs,
                    },
                )
                .await
        }
        Err(e) => Err(NodeError::Invalid(e)),
    };
    match result {
        Ok(outcome) => {
            Ok(Redirect::to(&format!("/incidents?done=1#i-{}", outcome.entity)).into_response())
        }
        Err(NodeError::Invalid(e)) => form_page(&console, &person, &posted, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}
