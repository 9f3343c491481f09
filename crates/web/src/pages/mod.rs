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
use sanji_node::directory::Listing;
use sanji_node::ops::short_id;
use serde::Deserialize;

use crate::session::Person;
use crate::{Console, PageError};

mod accounts;
mod arrivals;
mod assessment;
mod campaigns;
pub(crate) mod cases;
mod center_screenings;
mod conflicts;
mod county;
mod county_home;
mod directory;
pub(crate) mod forms;
mod hotspots;
mod import;
mod incidents;
mod login;
pub(crate) mod meetings;
mod notices;
mod register;
mod reports;
pub(crate) mod screenings;
mod stations;
mod today;
mod visits;

pub(crate) use import::Held as HeldImport;

const STYLESHEET: &str = include_str!("../../static/app.css");

pub fn router() -> Router<Console> {
    Router::new()
        .merge(login::routes())
        .merge(today::routes())
        .merge(cases::routes())
        .merge(directory::routes())
        .merge(accounts::routes())
        .merge(county::routes())
        .merge(reports::routes())
        .merge(screenings::routes())
        .merge(arrivals::routes())
        .merge(stations::routes())
        .merge(conflicts::routes())
        .merge(visits::routes())
        .merge(import::routes())
        .merge(incidents::routes())
        .merge(meetings::routes())
        .merge(register::routes())
        .merge(notices::routes())
        .merge(hotspots::routes())
        .merge(campaigns::routes())
        .merge(assessment::routes())
        .merge(center_screenings::routes())
        .route("/static/app.css", get(stylesheet))
}

pub(crate) async fn stylesheet() -> impl IntoResponse {
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
    /// The county's console (its own pages: hand-downs).
    pub county: bool,
    /// Whether this person manages accounts and the directory here.
    pub manages: bool,
    /// Whether this person may read the township's figures (月报表, 奖惩).
    pub reports: bool,
    /// Whether this person may import old ledgers here (导入).
    pub imports: bool,
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
            county,
            manages: sanji_node::accounts::MANAGE_ROLES.contains(&person.account.role),
            reports: sanji_domain::case::REPORT_ROLES.contains(&person.account.role),
            imports: sanji_node::import::may_import(
                &person.account.actor(),
                console.operations().node(),
            )
            .is_ok(),
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

/// This node's directory of names, to show names for codes.
pub(crate) async fn names(console: &Console) -> Result<Listing, PageError> {
    query(console, sanji_node::ops::Query::Directory).await
}

/// A form sent back to its page: what was typed, and why it was refused —
/// at its field (`error_field`), or for the form as a whole (empty).
#[derive(Default)]
pub(crate) struct Posted {
    pub values: std::collections::HashMap<String, String>,
    pub error_field: String,
    pub error: Option<String>,
}

impl Posted {
    /// The form refused with `error`, placed at the one of `fields` it names.
    pub fn refused(
        values: std::collections::HashMap<String, String>,
        error: &sanji_domain::FieldError,
        fields: &[&'static str],
    ) -> Posted {
        let (field, rule) = field_error_for(error, fields);
        Posted {
            values,
            error_field: field.unwrap_or_default().to_owned(),
            error: Some(rule),
        }
    }

    pub fn typed(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    pub fn field_error(&self, field: &str) -> Option<&str> {
        (self.error_field == field)
            .then_some(())
            .and(self.error.as_deref())
    }

    /// 422 for a refused form, so a script can tell it from a page shown.
    pub fn status(&self) -> StatusCode {
        if self.error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        }
    }
}

/// Where a refused form goes back to: a field's error beside the field
/// (`parties[1].name` marks `parties`), anything else above the form.
pub(crate) fn field_error_for(
    error: &sanji_domain::FieldError,
    fields: &[&'static str],
) -> (Option<&'static str>, String) {
    let field = fields.iter().copied().find(|f| {
        error.field == *f
            || error
                .field
                .strip_prefix(f)
                .is_some_and(|rest| rest.starts_with(['.', '[']))
    });
    (field, error.rule.clone())
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
