//! The console's pages and forms. Each handler reads through the operator
//! layer, renders a template, and for a form turns the posted fields into
//! the layer's command and shows its answer in the layer's words.

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sanji_domain::Labelled;
use sanji_domain::deadline::DeadlineStanding;
use sanji_node::NodeError;
use sanji_node::ops::short_id;
use serde::Deserialize;

use crate::session::Person;
use crate::{Console, PageError};

mod arrivals;
mod cases;
mod conflicts;
mod login;
mod screenings;
mod stations;
mod today;
mod visits;

const STYLESHEET: &str = include_str!("../../static/app.css");

pub fn router() -> Router<Console> {
    Router::new()
        .merge(login::routes())
        .merge(today::routes())
        .merge(cases::routes())
        .merge(screenings::routes())
        .merge(arrivals::routes())
        .merge(stations::routes())
        .merge(conflicts::routes())
        .merge(visits::routes())
        .route("/static/app.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLESHEET,
    )
}

/// What every page's frame shows: where this is, who is signed in.
pub struct Frame {
    pub node: String,
    pub node_title: &'static str,
    pub person: String,
    pub role: &'static str,
    pub csrf: String,
    pub active: &'static str,
}

impl Frame {
    pub(crate) fn of(console: &Console, person: &Person, active: &'static str) -> Frame {
        let county = console.operations().node().level() == sanji_domain::Level::County;
        Frame {
            node: console.operations().node().to_string(),
            node_title: if county {
                "县综治办"
            } else {
                "镇综治信访维稳中心"
            },
            person: person.account.name.clone(),
            role: person.account.role.label(),
            csrf: person.csrf.clone(),
            active,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    message: &'a str,
}

pub fn error_page(status: StatusCode, message: &str) -> String {
    ErrorPage {
        status: status.as_u16(),
        message,
    }
    .render()
    .unwrap_or_else(|_| message.to_owned())
}

pub(crate) fn page(template: impl Template) -> Result<Response, PageError> {
    Ok(Html(template.render()?).into_response())
}

/// A typed read view through the operator layer.
pub(crate) async fn query<T: serde::de::DeserializeOwned>(
    console: &Console,
    query: sanji_node::ops::Query,
) -> Result<T, PageError> {
    let value = console.operations().query(query).await?;
    serde_json::from_value(value).map_err(|e| PageError::Node(NodeError::Internal(e.to_string())))
}

pub(crate) fn case_label(number: &Option<String>, id: uuid::Uuid) -> String {
    number
        .clone()
        .unwrap_or_else(|| format!("(未编号 {})", short_id(id)))
}

pub(crate) fn tone(standing: &DeadlineStanding) -> &'static str {
    match standing {
        DeadlineStanding::Overdue { .. } => "overdue",
        DeadlineStanding::DueSoon { .. } => "due",
        DeadlineStanding::OnTime { .. } => "",
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    pub csrf: Option<String>,
}
