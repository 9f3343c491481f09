//! 接访 at the village: the same visit form as the township's window
//! (answered on the spot or not), the station's visits with a search, one
//! visit's page, and a case registration filled in from a visit.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use sanji_domain::record::{Category, VisitChannel};
use sanji_domain::time::format_cst;
use sanji_domain::{FieldError, Labelled};
use sanji_node::NodeError;
use sanji_node::station_api::StationRequest;
use sanji_node::views::VisitRow;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Clerk, FormText, Ledgers, RecordForm, StationFrame, StationPageError, chosen, filter_choices,
    found_in, names, page, store_record,
};
use crate::pages::forms::{
    CaseDefaults, Field, case_fields, field, from_visit_intro, posted_text, registration_of,
    visit_fields, visit_of,
};
use crate::station::StationHost;

/// Who receives at the village: its 综治工作站, as the first unit of a case.
pub(super) const FIRST_UNIT: &str = "村综治信访维稳工作站";

pub(super) fn routes() -> Router<StationHost> {
    Router::new()
        .route("/visits", get(list).post(record))
        .route("/visits/new", get(new_visit))
        .route("/visits/{id}", get(one))
        .route("/visits/{id}/case", get(case_form).post(register_case))
}

/// The township's visit form, with the receiver named (at the village the
/// clerk types who received, the station has no accounts) and the names
/// typed before offered.
fn station_visit_fields(
    today: String,
    clerk: String,
    posted: &HashMap<String, String>,
) -> Vec<Field> {
    let mut fields = visit_fields(today, posted);
    fields.insert(2, field("receiver", "接待人", "text", posted, clerk));
    fields
}

async fn visit_form(
    host: &StationHost,
    clerk: &Clerk,
    posted: &HashMap<String, String>,
    error: Option<FieldError>,
) -> Result<RecordForm, StationPageError> {
    let frame = StationFrame::of(host, clerk, "visits").await?;
    let fields = station_visit_fields(host.today().to_string(), frame.clerk.clone(), posted);
    let text = FormText {
        title: "接访登记",
        page_id: "visit-new",
        action: "/visits".into(),
        intro: "来访、来信、来电。当场答复了的写下答复;要立案办理的留空,登记后点「登记为案件」。"
            .into(),
        button: "登记",
        back: "/visits",
    };
    RecordForm::of(host, frame, text, fields, error).await
}

async fn new_visit(
    State(host): State<StationHost>,
    clerk: Clerk,
) -> Result<Response, StationPageError> {
    page(visit_form(&host, &clerk, &HashMap::new(), None).await?)
}

async fn record(
    State(host): State<StationHost>,
    clerk: Clerk,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, StationPageError> {
    clerk.check_csrf(posted.remove("csrf").as_deref())?;
    let receiver = posted_text(&posted, "receiver").to_owned();
    let request = visit_of(host.config().code.clone(), receiver, &posted)
        .map(|visit| StationRequest::RecordVisit { by: None, visit });
    store_record(
        &host,
        request,
        |id| format!("/visits/{id}?saved=1"),
        async |e| visit_form(&host, &clerk, &posted, Some(e)).await,
    )
    .await
}

#[derive(Deserialize, Default)]
struct Search {
    q: Option<String>,
    channel: Option<String>,
    category: Option<String>,
    /// `yes`: answered on the spot; `no`: not (to be a case, or one already).
    answered: Option<String>,
}

/// One visit as the station's list shows it.
pub struct VisitLine {
    pub href: String,
    pub visited_on: String,
    pub channel: &'static str,
    pub visitor: String,
    pub people: u32,
    pub category: &'static str,
    pub summary: String,
    /// 当场答复, 已登记为案件, or 待处理.
    pub outcome: &'static str,
    pub case_href: Option<String>,
}

fn line_of(v: &VisitRow) -> VisitLine {
    VisitLine {
        href: format!("/visits/{}", v.id),
        visited_on: v.visited_on.to_string(),
        channel: v.channel.label(),
        visitor: v.visitor.clone(),
        people: v.people_count,
        category: v.category.label(),
        summary: v.summary.clone(),
        outcome: match (&v.answer, v.became_case) {
            (_, Some(_)) => "已登记为案件",
            (Some(_), None) => "当场答复",
            (None, None) => "未答复",
        },
        case_href: v.became_case.map(|c| format!("/cases/{c}")),
    }
}

#[derive(Template)]
#[template(path = "station/visits.html")]
struct ListPage {
    frame: StationFrame,
    q: String,
    channel: String,
    category: String,
    answered: String,
    channels: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    lines: Vec<VisitLine>,
    total: usize,
}

async fn list(
    State(host): State<StationHost>,
    clerk: Clerk,
    Query(search): Query<Search>,
) -> Result<Response, StationPageError> {
    let rows = Ledgers::read(&host, false, true, false).await?.visits;
    let q = search.q.unwrap_or_default().trim().to_owned();
    let channel = chosen::<VisitChannel>(&search.channel);
    let category = chosen::<Category>(&search.category);
    let answered = match search.answered.as_deref() {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    let lines = rows
        .iter()
        .rev()
        .filter(|v| channel.is_none_or(|c| v.channel == c))
        .filter(|v| category.is_none_or(|c| v.category == c))
        .filter(|v| answered.is_none_or(|a| v.answer.is_some() == a))
        .filter(|v| {
            found_in(
                &q,
                [
                    v.visitor.as_str(),
                    &v.summary,
                    v.answer.as_deref().unwrap_or_default(),
                    &v.receiver,
                ],
            )
        })
        .map(line_of)
        .collect();
    page(ListPage {
        frame: StationFrame::of(&host, &clerk, "visits").await?,
        q,
        channel: channel.map(|c| c.id()).unwrap_or_default().to_owned(),
        category: category.map(|c| c.id()).unwrap_or_default().to_owned(),
        answered: search.answered.unwrap_or_default(),
        channels: filter_choices::<VisitChannel>(),
        categories: filter_choices::<Category>(),
        lines,
        total: rows.len(),
    })
}

pub(super) async fn the_visit(host: &StationHost, id: Uuid) -> Result<VisitRow, StationPageError> {
    Ledgers::read(host, false, true, false)
        .await?
        .visits
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| NodeError::NotFound(format!("接访记录 {id}")).into())
}

#[derive(Template)]
#[template(path = "station/visit.html")]
struct OnePage {
    frame: StationFrame,
    row: VisitRow,
    line: VisitLine,
    recorded: String,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct Saved {
    saved: Option<String>,
}

async fn one(
    State(host): State<StationHost>,
    clerk: Clerk,
    Path(id): Path<Uuid>,
    Query(saved): Query<Saved>,
) -> Result<Response, StationPageError> {
    let row = the_visit(&host, id).await?;
    page(OnePage {
        frame: StationFrame::of(&host, &clerk, "visits").await?,
        line: line_of(&row),
        recorded: format_cst(row.recorded_at_ms),
        saved: saved.saved.is_some(),
        row,
    })
}

async fn case_page(
    host: &StationHost,
    clerk: &Clerk,
    visit: &VisitRow,
    posted: &HashMap<String, String>,
    error: Option<FieldError>,
) -> Result<RecordForm, StationPageError> {
    let frame = StationFrame::of(host, clerk, "visits").await?;
    let own = host.config().code.clone();
    let places = vec![(own.to_string(), names(host).place_label(&own))];
    let defaults = CaseDefaults::from_visit(visit, FIRST_UNIT);
    let fields = case_fields(defaults, places, false, posted);
    let text = FormText {
        title: "登记为案件",
        page_id: "visit-case",
        action: format!("/visits/{}/case", visit.id),
        intro: from_visit_intro(visit),
        button: "登记为案件",
        back: "/visits",
    };
    RecordForm::of(host, frame, text, fields, error).await
}

async fn case_form(
    State(host): State<StationHost>,
    clerk: Clerk,
    Path(id): Path<Uuid>,
) -> Result<Response, StationPageError> {
    let visit = the_visit(&host, id).await?;
    if let Some(case) = visit.became_case {
        return Ok(Redirect::to(&format!("/cases/{case}")).into_response());
    }
    page(case_page(&host, &clerk, &visit, &HashMap::new(), None).await?)
}

async fn register_case(
    State(host): State<StationHost>,
    clerk: Clerk,
    Path(id): Path<Uuid>,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, StationPageError> {
    clerk.check_csrf(posted.remove("csrf").as_deref())?;
    let visit = the_visit(&host, id).await?;
    if let Some(case) = visit.became_case {
        // Registered already (a second click, another tab): that case it is.
        return Ok(Redirect::to(&format!("/cases/{case}")).into_response());
    }
    let request = registration_of(host.today(), Some(visit.id), &posted)
        .map(|case| StationRequest::RegisterCase { by: None, case });
    store_record(
        &host,
        request,
        |id| format!("/cases/{id}?saved=1"),
        async |e| case_page(&host, &clerk, &visit, &posted, Some(e)).await,
    )
    .await
}
