//! 排查: the screenings this node holds (at the county, the severe ones the
//! townships reported), the director's sign-off queue, and one page per
//! screening with its signature and its conversion into a case.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use sanji_domain::case::{CONVERT_ROLES, SIGN_OFF_ROLES};
use sanji_domain::deadline::{DeadlinePolicy, ReportStanding};
use sanji_domain::record::{Category, RiskLevel};
use sanji_domain::time::{format_cst, parse_date};
use sanji_domain::{FieldError, Labelled, Level};
use sanji_node::NodeError;
use sanji_node::ops::{Action, CaseView, Query};
use sanji_node::views::ScreeningRow;
use serde::Deserialize;
use uuid::Uuid;

use crate::session::Person;
use crate::{Console, PageError};

use super::{Frame, case_label, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/screenings", get(list))
        .route("/screenings/{id}", get(one))
        .route("/screenings/{id}/sign-off", post(sign_off))
        .route("/screenings/{id}/convert", post(convert))
}

#[derive(Deserialize, Default)]
struct Filter {
    village: Option<String>,
    risk: Option<String>,
    category: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// One screening as a list line.
pub struct Line {
    pub href: String,
    pub village: String,
    pub screened_on: String,
    pub category: &'static str,
    pub risk: &'static str,
    /// 易激化, 群体性: the marks that make it urgent.
    pub marks: String,
    pub parties: String,
    pub screener: String,
    pub signed: String,
    pub converted: Option<String>,
    pub reported: String,
    /// `severe` for 重大 or 群体性.
    /// The 24-hour rule's word on a severe screening; empty for the others.
    pub standing: String,
    pub late: bool,
    pub tone: &'static str,
}

pub(crate) fn marks(row: &ScreeningRow) -> String {
    let mut marks = Vec::new();
    if row.may_escalate {
        marks.push("易激化");
    }
    if row.mass_incident_risk {
        marks.push("群体性");
    }
    marks.join("、")
}

pub(crate) fn signed(row: &ScreeningRow) -> String {
    match (&row.signed_off_by, row.signed_off_at_ms) {
        (Some(by), Some(at)) => format!("{by} {} 签字", format_cst(at)),
        (Some(by), None) => format!("{by} 已签字"),
        _ => "未签字".to_owned(),
    }
}

pub(crate) fn is_severe(row: &ScreeningRow) -> bool {
    row.risk == RiskLevel::Severe || row.mass_incident_risk
}

/// A severe screening under the 24-hour rule, from when the village
/// recorded it and when the hub passed it on to the county; `None` for the
/// others, and where the village's record time is not held.
pub(crate) fn report_standing(
    row: &ScreeningRow,
    policy: &DeadlinePolicy,
    now_ms: u64,
) -> Option<ReportStanding> {
    let recorded = row.recorded_at_ms.filter(|_| is_severe(row))?;
    Some(policy.severe_report_standing(recorded, row.reported_at_ms, now_ms))
}

/// A screening's line. Its standing under the 24-hour rule is left empty:
/// [`Line::under_the_rule`] adds it where the hub or the county shows it (a
/// station does not know when its hub passed a screening on).
pub(crate) fn line_of(row: &ScreeningRow, names: &sanji_node::directory::Listing) -> Line {
    Line {
        href: format!("/screenings/{}", row.id),
        village: names.place_label(&row.village),
        screened_on: row.screened_on.to_string(),
        category: row.category.label(),
        risk: row.risk.label(),
        marks: marks(row),
        parties: row.parties.join("、"),
        screener: row.screener.clone(),
        signed: signed(row),
        converted: row.converted_to.map(|c| format!("/cases/{c}")),
        reported: row.reported_at_ms.map(format_cst).unwrap_or_default(),
        standing: String::new(),
        late: false,
        tone: if is_severe(row) { "severe" } else { "" },
    }
}

impl Line {
    fn under_the_rule(mut self, row: &ScreeningRow, policy: &DeadlinePolicy, now_ms: u64) -> Line {
        if let Some(standing) = report_standing(row, policy, now_ms) {
            self.standing = standing.label();
            self.late = standing.is_late();
        }
        self
    }
}

#[derive(Template)]
#[template(path = "screenings.html")]
struct ListPage {
    frame: Frame,
    county: bool,
    filter_village: String,
    filter_risk: String,
    filter_category: String,
    filter_from: String,
    filter_to: String,
    villages: Vec<(String, String)>,
    risks: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    queue: Vec<Line>,
    lines: Vec<Line>,
}

fn date_filter(field: &str, text: &Option<String>) -> Result<Option<NaiveDate>, FieldError> {
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => parse_date(field, t).map(Some),
    }
}

async fn list(
    State(console): State<Console>,
    person: Person,
    UrlQuery(filter): UrlQuery<Filter>,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let county = console.operations().node().level() == Level::County;
    let village = filter.village.clone().unwrap_or_default();
    let rows: Vec<ScreeningRow> = query(
        &console,
        Query::Screenings {
            village: Some(village.trim().to_owned()).filter(|v| !v.is_empty()),
        },
    )
    .await?;
    let risk = RiskLevel::ALL
        .iter()
        .copied()
        .find(|r| Some(r.id()) == filter.risk.as_deref());
    let category = Category::ALL
        .iter()
        .copied()
        .find(|c| Some(c.id()) == filter.category.as_deref());
    let (from, to, error) = match (
        date_filter("from", &filter.from),
        date_filter("to", &filter.to),
    ) {
        (Ok(from), Ok(to)) => (from, to, None),
        (Err(e), _) | (_, Err(e)) => (None, None, Some(format!("日期:{}", e.rule))),
    };
    // The queue waits on the director whatever the list is filtered to:
    // 重大 and 群体性 first, then 较大; the oldest first within each.
    let mut queue: Vec<&ScreeningRow> = rows
        .iter()
        .filter(|r| r.signed_off_by.is_none() && (is_severe(r) || r.risk == RiskLevel::Major))
        .collect();
    queue.sort_by_key(|r| (!is_severe(r), r.screened_on, r.recorded_at_ms));
    let names = super::names(&console).await?;
    let (policy, now_ms) = (console.operations().policy(), console.operations().now_ms());
    let queue = if county {
        Vec::new()
    } else {
        queue
            .into_iter()
            .map(|r| line_of(r, &names).under_the_rule(r, policy, now_ms))
            .collect()
    };
    let lines: Vec<Line> = rows
        .iter()
        .rev()
        .filter(|r| risk.is_none_or(|k| r.risk == k))
        .filter(|r| category.is_none_or(|c| r.category == c))
        .filter(|r| from.is_none_or(|d| r.screened_on >= d))
        .filter(|r| to.is_none_or(|d| r.screened_on <= d))
        .take(500)
        .map(|r| line_of(r, &names).under_the_rule(r, policy, now_ms))
        .collect();
    page(ListPage {
        frame: Frame::of(&console, &person, "screenings"),
        county,
        filter_village: village,
        filter_risk: risk.map(|r| r.id()).unwrap_or_default().to_owned(),
        filter_category: category.map(|c| c.id()).unwrap_or_default().to_owned(),
        filter_from: filter.from.unwrap_or_default(),
        filter_to: filter.to.unwrap_or_default(),
        villages: if county {
            Vec::new()
        } else {
            super::cases::village_choices(&console).await?
        },
        risks: RiskLevel::ALL.iter().map(|r| (r.id(), r.label())).collect(),
        categories: Category::ALL.iter().map(|c| (c.id(), c.label())).collect(),
        error,
        queue,
        lines,
    })
}

#[derive(Template)]
#[template(path = "screening.html")]
struct OnePage {
    frame: Frame,
    row: ScreeningRow,
    line: Line,
    recorded: String,
    /// The case it became: (link, its number).
    case: Option<(String, String)>,
    can_sign: bool,
    can_convert: bool,
    claim: String,
    done: Option<&'static str>,
    refusal: Option<String>,
    note_error: Option<String>,
    claim_error: Option<String>,
    duties: Vec<super::meetings::DutyLine>,
}

#[derive(Deserialize, Default)]
struct Flash {
    done: Option<String>,
}

/// Why a posted form did not happen, to show on the screening's page.
enum Rejected {
    Refused(String),
    Note(String),
    Claim(String, String),
}

async fn one(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<Uuid>,
    UrlQuery(flash): UrlQuery<Flash>,
) -> Result<Response, PageError> {
    let done = match flash.done.as_deref() {
        Some("sign_off") => Some("已签字"),
        Some("convert") => Some("已转为案件"),
        _ => None,
    };
    render(&console, &person, id, done, None).await
}

async fn render(
    console: &Console,
    person: &Person,
    id: Uuid,
    done: Option<&'static str>,
    rejected: Option<Rejected>,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let row: ScreeningRow = query(console, Query::Screening { screening: id }).await?;
    let case = match row.converted_to {
        Some(case) => {
            let view: CaseView = query(
                console,
                Query::Case {
                    case: case.to_string(),
                },
            )
            .await?;
            Some((
                format!("/cases/{case}"),
                case_label(&view.file.case_number, case),
            ))
        }
        None => None,
    };
    let township = console.operations().node().level() == Level::Township;
    let role = person.account.role;
    let (refusal, note_error, claim_error, claim) = match rejected {
        Some(Rejected::Refused(why)) => (Some(why), None, None, None),
        Some(Rejected::Note(why)) => (None, Some(why), None, None),
        Some(Rejected::Claim(why, claim)) => (None, None, Some(why), Some(claim)),
        None => (None, None, None, None),
    };
    let duties = super::meetings::duties_on(console, row.id).await?;
    page(OnePage {
        duties,
        frame: Frame::of(console, person, "screenings"),
        line: line_of(&row, &super::names(console).await?).under_the_rule(
            &row,
            console.operations().policy(),
            console.operations().now_ms(),
        ),
        recorded: row.recorded_at_ms.map(format_cst).unwrap_or_default(),
        can_sign: township && row.signed_off_by.is_none() && SIGN_OFF_ROLES.contains(&role),
        can_convert: township && case.is_none() && CONVERT_ROLES.contains(&role),
        // The claim starts as what the village wrote down: nothing to retype.
        claim: claim.unwrap_or_else(|| row.description.clone()),
        case,
        done,
        refusal,
        note_error,
        claim_error,
        row,
    })
}

#[derive(Deserialize)]
struct SignOffForm {
    csrf: Option<String>,
    #[serde(default)]
    note: String,
}

/// What a refused action shows: the page with the domain's words.
async fn refused(
    console: &Console,
    person: &Person,
    id: Uuid,
    error: NodeError,
    field: impl FnOnce(FieldError) -> Rejected,
) -> Result<Response, PageError> {
    let (status, rejected) = match error {
        NodeError::Refused(why) | NodeError::Forbidden(why) => {
            (StatusCode::FORBIDDEN, Rejected::Refused(why))
        }
        NodeError::Invalid(e) => (StatusCode::UNPROCESSABLE_ENTITY, field(e)),
        other => return Err(other.into()),
    };
    render(console, person, id, None, Some(rejected))
        .await
        .map(|r| (status, r).into_response())
}

async fn sign_off(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<Uuid>,
    Form(form): Form<SignOffForm>,
) -> Result<Response, PageError> {
    person.check_csrf(form.csrf.as_deref())?;
    person.account.sees_ledgers()?;
    let action = Action::SignOff {
        screening: id,
        note: form.note.trim().to_owned(),
    };
    match console
        .operations()
        .act(&person.account.actor(), action)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/screenings/{id}?done=sign_off")).into_response()),
        Err(e) => refused(&console, &person, id, e, |e| Rejected::Note(e.rule)).await,
    }
}

#[derive(Deserialize)]
struct ConvertForm {
    csrf: Option<String>,
    #[serde(default)]
    claim: String,
}

async fn convert(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<Uuid>,
    Form(form): Form<ConvertForm>,
) -> Result<Response, PageError> {
    person.check_csrf(form.csrf.as_deref())?;
    person.account.sees_ledgers()?;
    let action = Action::Convert {
        screening: id,
        claim: form.claim.trim().to_owned(),
    };
    match console
        .operations()
        .act(&person.account.actor(), action)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/screenings/{id}?done=convert")).into_response()),
        Err(e) => {
            let claim = form.claim;
            refused(&console, &person, id, e, |e| Rejected::Claim(e.rule, claim)).await
        }
    }
}
