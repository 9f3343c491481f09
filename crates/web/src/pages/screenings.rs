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
use std::collections::HashMap;

use sanji_domain::case::{CONVERT_ROLES, SIGN_OFF_ROLES, VISIT_ROLES};
use sanji_domain::deadline::{DeadlinePolicy, ReportStanding};
use sanji_domain::record::{
    Category, ControlStanding, ControlStatus, RiskLevel, StabilityControl, control_standing,
};
use sanji_domain::time::{cst_date, format_cst, parse_date};
use sanji_domain::{FieldError, Labelled, Level};
use sanji_node::NodeError;
use sanji_node::ops::{Action, CaseView, Query};
use sanji_node::views::ScreeningRow;
use serde::Deserialize;
use uuid::Uuid;

use crate::session::Person;
use crate::{Console, PageError};

use super::forms::{Field, choices, field, mark, posted_text, responsible_choices};
use super::{Frame, case_label, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/screenings", get(list))
        .route("/screenings/{id}", get(one))
        .route("/screenings/{id}/sign-off", post(sign_off))
        .route("/screenings/{id}/convert", post(convert))
        .route("/screenings/{id}/control", post(control))
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
    /// Its 稳控 standing at the township (none at the county).
    pub control: Option<ControlLine>,
}

/// A screening's 稳控 responsibility as its pages show it.
pub struct ControlLine {
    pub standing: &'static str,
    /// `overdue`, `done` or empty.
    pub tone: &'static str,
    /// `司法所 孙立:措施(时限 2026-12-10)`; empty while nobody is responsible.
    pub detail: String,
    pub note: String,
    pub by: String,
}

pub(crate) fn control_line(row: &ScreeningRow, today: chrono::NaiveDate) -> ControlLine {
    let standing = control_standing(row.control.as_ref(), row.converted_to.is_some(), today);
    ControlLine {
        standing: standing.label(),
        tone: match standing {
            ControlStanding::Overdue | ControlStanding::Unassigned => "overdue",
            ControlStanding::Resolved | ControlStanding::Converted => "done",
            ControlStanding::Controlling => "",
        },
        detail: row
            .control
            .as_ref()
            .map(|c| {
                format!(
                    "{} {}:{}(时限 {})",
                    c.unit, c.person, c.measures, c.time_limit
                )
            })
            .unwrap_or_default(),
        note: row
            .control
            .as_ref()
            .map(|c| c.note.clone())
            .unwrap_or_default(),
        by: row.control_by.clone().unwrap_or_default(),
    }
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
/// Who screened: a village's screener, or the center's with the field it covers (分线).
pub(crate) fn screener_of(row: &ScreeningRow) -> String {
    match (row.by_center, &row.line) {
        (true, Some(line)) => format!("{}(镇中心 · {line})", row.screener),
        (true, None) => format!("{}(镇中心)", row.screener),
        (false, _) => row.screener.clone(),
    }
}

pub(crate) fn line_of(row: &ScreeningRow, names: &sanji_node::directory::Listing) -> Line {
    Line {
        href: format!("/screenings/{}", row.id),
        village: names.place_label(&row.village),
        screened_on: row.screened_on.to_string(),
        category: row.category.label(),
        risk: row.risk.label(),
        marks: marks(row),
        parties: row.parties.join("、"),
        screener: screener_of(row),
        signed: signed(row),
        converted: row.converted_to.map(|c| format!("/cases/{c}")),
        reported: row.reported_at_ms.map(format_cst).unwrap_or_default(),
        standing: String::new(),
        late: false,
        tone: if is_severe(row) { "severe" } else { "" },
        control: None,
    }
}

impl Line {
    /// With its 稳控 standing on `today`, where the township keeps it.
    fn controlled(mut self, row: &ScreeningRow, today: chrono::NaiveDate, county: bool) -> Line {
        if !county {
            self.control = Some(control_line(row, today));
        }
        self
    }

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
            .map(|r| {
                line_of(r, &names)
                    .under_the_rule(r, policy, now_ms)
                    .controlled(r, cst_date(now_ms), county)
            })
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
        .map(|r| {
            line_of(r, &names)
                .under_the_rule(r, policy, now_ms)
                .controlled(r, cst_date(now_ms), county)
        })
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
    control: ControlLine,
    can_control: bool,
    control_fields: Vec<Field>,
    control_error: Option<String>,
    /// The 稳控 form came back refused: shown open.
    control_open: bool,
}

#[derive(Deserialize, Default)]
struct Flash {
    done: Option<String>,
}

/// Why a posted form did not happen, to show on the screening's page.
enum Rejected {
    Refused(String),
    Control(FieldError, HashMap<String, String>),
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
        Some("control") => Some("稳控责任已保存"),
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
    let (mut control_posted, mut control_refused) = (HashMap::new(), None);
    let rejected = match rejected {
        Some(Rejected::Control(e, posted)) => {
            control_posted = posted;
            control_refused = Some(e);
            None
        }
        other => other,
    };
    let (refusal, note_error, claim_error, claim) = match rejected {
        Some(Rejected::Refused(why)) => (Some(why), None, None, None),
        Some(Rejected::Control(..)) => unreachable!("taken out above"),
        Some(Rejected::Note(why)) => (None, Some(why), None, None),
        Some(Rejected::Claim(why, claim)) => (None, None, Some(why), Some(claim)),
        None => (None, None, None, None),
    };
    let duties = super::meetings::duties_on(console, row.id).await?;
    let today = cst_date(console.operations().now_ms());
    let names = super::names(console).await?;
    let mut control_fields = control_fields(&row, &names, &control_posted);
    let control_error = mark(&mut control_fields, control_refused);
    let status = if control_error.is_some() || control_fields.iter().any(|f| f.error.is_some()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = page(OnePage {
        duties,
        control: control_line(&row, today),
        can_control: township && case.is_none() && VISIT_ROLES.contains(&role),
        control_fields,
        control_error,
        control_open: status == StatusCode::UNPROCESSABLE_ENTITY,
        frame: Frame::of(console, person, "screenings"),
        line: line_of(&row, &names).under_the_rule(
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
    })?;
    Ok((status, body).into_response())
}

/// The 稳控 form: what was typed, else the responsibility as it stands.
fn control_fields(
    row: &ScreeningRow,
    names: &sanji_node::directory::Listing,
    posted: &HashMap<String, String>,
) -> Vec<Field> {
    let now = row.control.as_ref();
    let current = |f: fn(&StabilityControl) -> String| now.map(f).unwrap_or_default();
    let units = responsible_choices(names);
    vec![
        field(
            "unit",
            "责任单位",
            "select",
            posted,
            current(|c| c.unit.clone()),
        )
        .options(units),
        field(
            "person",
            "责任人",
            "text",
            posted,
            current(|c| c.person.clone()),
        ),
        field(
            "measures",
            "稳控措施",
            "textarea",
            posted,
            current(|c| c.measures.clone()),
        )
        .hint("谁去做什么:包案领导、盯控人员、化解办法"),
        field(
            "time_limit",
            "化解时限",
            "date",
            posted,
            current(|c| c.time_limit.to_string()),
        ),
        field(
            "status",
            "稳控情况",
            "select",
            posted,
            current(|c| c.status.id().to_owned()),
        )
        .options(choices::<ControlStatus>()),
        field(
            "note",
            "说明",
            "textarea",
            posted,
            current(|c| c.note.clone()),
        )
        .optional(),
    ]
}

fn control_of(posted: &HashMap<String, String>) -> Result<StabilityControl, FieldError> {
    Ok(StabilityControl {
        unit: posted_text(posted, "unit").to_owned(),
        person: posted_text(posted, "person").to_owned(),
        measures: posted_text(posted, "measures").to_owned(),
        time_limit: parse_date("time_limit", posted_text(posted, "time_limit"))?,
        status: ControlStatus::parse_for("status", posted_text(posted, "status"))?,
        note: posted_text(posted, "note").to_owned(),
    })
}

async fn control(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<Uuid>,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    person.account.sees_ledgers()?;
    let result = match control_of(&posted) {
        Ok(control) => console
            .operations()
            .act(
                &person.account.actor(),
                Action::ControlScreening {
                    screening: id,
                    control,
                },
            )
            .await
            .map(|_| ()),
        Err(e) => Err(NodeError::Invalid(e)),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/screenings/{id}?done=control")).into_response()),
        Err(NodeError::Invalid(e)) => {
            render(
                &console,
                &person,
                id,
                None,
                Some(Rejected::Control(e, posted)),
            )
            .await
        }
        Err(NodeError::Refused(why)) => {
            let page = render(&console, &person, id, None, Some(Rejected::Refused(why))).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
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
