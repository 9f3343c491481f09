//! 排查 at the village: the 不安定因素排查登记 form, the station's
//! screenings with a search, and one screening's page, which says while it
//! matters that a 重大 or 群体性 one must reach the township in time.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use sanji_domain::record::{Category, RiskLevel, ZeroReport};
use sanji_domain::reporting::{Standing, week_of};
use sanji_domain::time::{format_cst, parse_date};
use sanji_domain::{EntityState, FieldError, Labelled};
use sanji_node::NodeError;
use sanji_node::station_api::StationRequest;
use sanji_node::views::ScreeningRow;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Clerk, FormText, Ledgers, RecordForm, StationFrame, StationPageError, chosen, filter_choices,
    found_in, names, page, store_record,
};
use crate::pages::forms::{posted_text, screening_fields, screening_of};
use crate::pages::screenings::{Line, is_severe, line_of};
use crate::station::StationHost;

pub(super) fn routes() -> Router<StationHost> {
    Router::new()
        .route("/screenings", get(list).post(record))
        .route("/screenings/new", get(new_screening))
        .route("/screenings/{id}", get(one))
        .route("/zero-reports", post(zero_report))
}

/// 本周排查: where the village stands for this week (Monday to Sunday),
/// and whether a 零报告 can still be made for it.
pub(super) struct ThisWeek {
    pub days: String,
    pub standing: Standing,
    /// The day of this week's zero report, if one was made.
    pub zero_on: Option<String>,
}

impl ThisWeek {
    pub(super) fn of(ledgers: &Ledgers, today: NaiveDate) -> ThisWeek {
        let (monday, sunday) = week_of(today);
        let zero_on = ledgers
            .zero_reports
            .iter()
            .find(|z| monday <= z.round_on && z.round_on <= sunday)
            .map(|z| z.round_on.to_string());
        ThisWeek {
            days: format!(
                "{}–{}",
                monday.format("%m月%d日"),
                sunday.format("%m月%d日")
            ),
            standing: Standing::of(
                ledgers.screenings.iter().map(|s| s.screened_on),
                ledgers.zero_reports.iter().map(|z| z.round_on),
                monday,
                sunday,
            ),
            zero_on,
        }
    }

    /// Nothing said for this week yet: a zero report is what the page offers.
    pub fn missing(&self) -> bool {
        self.standing == Standing::Missing
    }
}

/// 报零报告: from the home page's card, for today's week.
async fn zero_report(
    State(host): State<StationHost>,
    clerk: Clerk,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, StationPageError> {
    clerk.check_csrf(posted.remove("csrf").as_deref())?;
    let frame = StationFrame::of(&host, &clerk, "home").await?;
    let request = parse_date("round_on", posted_text(&posted, "round_on")).map(|round_on| {
        StationRequest::RecordZeroReport {
            by: None,
            zero_report: ZeroReport {
                village: host.config().code.clone(),
                round_on,
                screener: frame.clerk.clone(),
                note: posted_text(&posted, "note").to_owned(),
            },
        }
    });
    let stored = match request {
        Ok(request) => host.handle(request).await,
        Err(e) => Err(NodeError::Invalid(e)),
    };
    match stored {
        Ok(_) => Ok(Redirect::to("/?zero=1").into_response()),
        Err(NodeError::Invalid(e)) => {
            let refused = super::home::Refused::ZeroReport(e.rule);
            super::home::home_page(&host, &clerk, Some(refused))
                .await
                .map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn form_page(
    host: &StationHost,
    clerk: &Clerk,
    posted: &HashMap<String, String>,
    error: Option<FieldError>,
) -> Result<RecordForm, StationPageError> {
    let frame = StationFrame::of(host, clerk, "screenings").await?;
    let fields = screening_fields(host.today().to_string(), frame.clerk.clone(), posted);
    let text = FormText {
        title: "不安定因素排查登记",
        page_id: "screening-new",
        action: "/screenings".into(),
        intro: "排查出的矛盾纠纷和不安定因素,登记后在下次同步时报到镇中心。".into(),
        button: "登记",
        back: "/screenings",
    };
    RecordForm::of(host, frame, text, fields, error).await
}

async fn new_screening(
    State(host): State<StationHost>,
    clerk: Clerk,
) -> Result<Response, StationPageError> {
    page(form_page(&host, &clerk, &HashMap::new(), None).await?)
}

async fn record(
    State(host): State<StationHost>,
    clerk: Clerk,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, StationPageError> {
    clerk.check_csrf(posted.remove("csrf").as_deref())?;
    let request = screening_of(host.config().code.clone(), &posted).map(|screening| {
        StationRequest::RecordScreening {
            by: None,
            screening,
        }
    });
    store_record(
        &host,
        request,
        |id| format!("/screenings/{id}?saved=1"),
        async |e| form_page(&host, &clerk, &posted, Some(e)).await,
    )
    .await
}

#[derive(Deserialize, Default)]
struct Search {
    q: Option<String>,
    risk: Option<String>,
    category: Option<String>,
}

#[derive(Template)]
#[template(path = "station/screenings.html")]
struct ListPage {
    frame: StationFrame,
    q: String,
    risk: String,
    category: String,
    risks: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    lines: Vec<Line>,
    total: usize,
}

async fn list(
    State(host): State<StationHost>,
    clerk: Clerk,
    Query(search): Query<Search>,
) -> Result<Response, StationPageError> {
    let rows = Ledgers::read(&host, true, false, false).await?.screenings;
    let q = search.q.unwrap_or_default().trim().to_owned();
    let risk = chosen::<RiskLevel>(&search.risk);
    let category = chosen::<Category>(&search.category);
    let names = names(&host);
    let lines = rows
        .iter()
        .rev()
        .filter(|r| risk.is_none_or(|k| r.risk == k))
        .filter(|r| category.is_none_or(|c| r.category == c))
        .filter(|r| {
            found_in(
                &q,
                r.parties.iter().map(String::as_str).chain([
                    r.description.as_str(),
                    r.measures.as_str(),
                    &r.screener,
                ]),
            )
        })
        .map(|r| line_of(r, &names))
        .collect();
    page(ListPage {
        frame: StationFrame::of(&host, &clerk, "screenings").await?,
        q,
        risk: risk.map(|r| r.id()).unwrap_or_default().to_owned(),
        category: category.map(|c| c.id()).unwrap_or_default().to_owned(),
        risks: filter_choices::<RiskLevel>(),
        categories: filter_choices::<Category>(),
        lines,
        total: rows.len(),
    })
}

/// One screening of the station, found among its records.
pub(super) async fn the_screening(
    host: &StationHost,
    id: Uuid,
) -> Result<ScreeningRow, StationPageError> {
    Ledgers::read(host, true, false, false)
        .await?
        .screenings
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| NodeError::NotFound(format!("排查记录 {id}")).into())
}

#[derive(Template)]
#[template(path = "station/screening.html")]
struct OnePage {
    frame: StationFrame,
    row: ScreeningRow,
    line: Line,
    recorded: String,
    saved: bool,
    /// The township's 稳控 responsibility for it.
    control: crate::pages::screenings::ControlLine,
    /// For a 重大 or 群体性 screening: by when it must reach the township,
    /// and whether it has.
    urgent: Option<Urgent>,
}

/// A 重大 or 群体性 screening and the township's 24 hours (the policy's
/// `severe_report_hours`).
pub(super) struct Urgent {
    pub href: String,
    pub what: String,
    pub due: String,
    pub hours: u32,
    pub arrived: bool,
}

impl Urgent {
    /// `row`'s deadline, if it is severe, and whether the hub has it.
    pub(super) async fn of(
        host: &StationHost,
        row: &ScreeningRow,
        frame: &StationFrame,
    ) -> Result<Option<Urgent>, StationPageError> {
        if !is_severe(row) {
            return Ok(None);
        }
        let hours = host.config().policy.severe_report_hours;
        Ok(Some(Urgent {
            href: format!("/screenings/{}", row.id),
            what: format!("{} {}", row.screened_on, row.parties.join("、")),
            due: row
                .recorded_at_ms
                .map(|at| format_cst(at + u64::from(hours) * 3_600_000))
                .unwrap_or_default(),
            hours,
            arrived: at_the_hub(host, row.id, frame).await?,
        }))
    }
}

/// Whether the hub holds the station's record of screening `id`: the
/// event that recorded it is at or below the hub's durable mark for our
/// ledger, as last heard.
async fn at_the_hub(
    host: &StationHost,
    id: Uuid,
    frame: &StationFrame,
) -> Result<bool, StationPageError> {
    let Some(status) = &frame.status else {
        return Ok(false);
    };
    let station = host.station().await?;
    let entity = station.store().entity(id).map_err(NodeError::from)?;
    Ok(match entity.map(|e| e.state) {
        Some(EntityState::Screening(s)) => s
            .recorded
            .is_some_and(|r| r.event.seq <= status.acked_by_hub),
        _ => false,
    })
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
    let row = the_screening(&host, id).await?;
    let frame = StationFrame::of(&host, &clerk, "screenings").await?;
    page(OnePage {
        urgent: Urgent::of(&host, &row, &frame).await?,
        line: line_of(&row, &names(&host)),
        recorded: row.recorded_at_ms.map(format_cst).unwrap_or_default(),
        saved: saved.saved.is_some(),
        control: crate::pages::screenings::control_line(&row, host.today()),
        row,
        frame,
    })
}
