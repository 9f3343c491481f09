//! The county's own pages: the hand-down form (交办) and the standing of
//! what the county handed down, the cases townships escalated and the
//! severe screenings they reported (交办督办).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query as UrlQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sanji_domain::case::check_role;
use sanji_domain::event::HandDown;
use sanji_domain::record::{CaseRegistration, CaseSource, Category, Party};
use sanji_domain::time::{cst_date, format_cst, parse_date};
use sanji_domain::{Code, FieldError, Labelled, Level};
use sanji_node::NodeError;
use sanji_node::directory::Listing;
use sanji_node::ops::{Action, HAND_DOWN_ROLES, Query};
use sanji_node::views::{CaseRow, HandDownRow, ScreeningRow};

use crate::session::Person;
use crate::{Console, PageError};

use super::{Frame, Posted, case_label, names, page, query, tone};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/handdown", get(hand_down_form).post(hand_down))
        .route("/handdowns", get(hand_downs))
}

/// The fields of the hand-down form, as a form names them.
const FIELDS: &[&str] = &[
    "township",
    "registered_on",
    "category",
    "parties",
    "people_involved",
    "claim",
    "complex",
    "note",
    "deadline",
];

#[derive(Template)]
#[template(path = "handdown.html")]
struct HandDownPage {
    frame: Frame,
    townships: Vec<(String, String)>,
    categories: Vec<(&'static str, &'static str)>,
    today: String,
    accept_days: u32,
    resolve_days: u32,
    form: Posted,
}

/// Only the county office hands down: the rule the operator layer applies,
/// checked before the form is even shown.
fn may_hand_down(person: &Person) -> Result<(), PageError> {
    check_role("交办案件", HAND_DOWN_ROLES, person.account.role).map_err(PageError::Forbidden)
}

async fn form_page(
    console: &Console,
    person: &Person,
    posted: HashMap<String, String>,
    error: Option<FieldError>,
) -> Result<Response, PageError> {
    let policy = console.operations().policy();
    let form = match &error {
        Some(e) => Posted::refused(posted, e, FIELDS),
        None => Posted::default(),
    };
    let status = form.status();
    let html = page(HandDownPage {
        frame: Frame::of(console, person, "handdowns"),
        townships: names(console)
            .await?
            .townships
            .iter()
            .map(|p| (p.code.to_string(), p.label()))
            .collect(),
        categories: Category::ALL.iter().map(|c| (c.id(), c.label())).collect(),
        today: cst_date(console.operations().now_ms()).to_string(),
        accept_days: policy.accept_days,
        resolve_days: policy.resolve_days,
        form,
    })?;
    Ok((status, html).into_response())
}

async fn hand_down_form(
    State(console): State<Console>,
    person: Person,
) -> Result<Response, PageError> {
    may_hand_down(&person)?;
    form_page(&console, &person, HashMap::new(), None).await
}

/// The hand-down a form describes; errors name the form's field.
fn hand_down_of(
    posted: &HashMap<String, String>,
    person: &Person,
    today: chrono::NaiveDate,
) -> Result<HandDown, FieldError> {
    let field = |name: &str| posted.get(name).map(|v| v.trim()).unwrap_or("");
    let township = Code::parse_level("township", field("township"), Level::Township)?;
    let registered_on = match field("registered_on") {
        "" => today,
        text => parse_date("registered_on", text)?,
    };
    let people_involved = field("people_involved")
        .parse::<u32>()
        .map_err(|_| FieldError::new("people_involved", "请填写涉及人数(正整数)"))?;
    let parties = field("parties")
        .split(['、', ',', ',', ';', ';', '\n'])
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| Party {
            name: name.to_owned(),
            contact: None,
        })
        .collect();
    Ok(HandDown {
        registration: CaseRegistration {
            place: township.clone(),
            registered_on,
            source: CaseSource::HandedDown,
            category: Category::parse_for("category", field("category"))?,
            parties,
            people_involved,
            claim: field("claim").to_owned(),
            first_receiver: person.account.name.clone(),
            first_unit: "县综治办".into(),
            complex: matches!(field("complex"), "true" | "on"),
            from_record: None,
        },
        township,
        note: field("note").to_owned(),
        deadline: match field("deadline") {
            "" => None,
            text => Some(parse_date("deadline", text)?),
        },
    })
}

async fn hand_down(
    State(console): State<Console>,
    person: Person,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    let today = cst_date(console.operations().now_ms());
    let hand_down = match hand_down_of(&posted, &person, today) {
        Ok(h) => h,
        Err(e) => return form_page(&console, &person, posted, Some(e)).await,
    };
    match console
        .operations()
        .act(&person.account.actor(), Action::HandDown { hand_down })
        .await
    {
        Ok(outcome) => {
            Ok(Redirect::to(&format!("/handdowns?done={}", outcome.entity)).into_response())
        }
        Err(NodeError::Invalid(e)) => form_page(&console, &person, posted, Some(e)).await,
        Err(NodeError::Refused(why)) => {
            form_page(&console, &person, posted, Some(FieldError::new("", why))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A place the county names: a township by its name, a village under it.
pub(super) fn county_place(names: &Listing, code: &Code) -> String {
    match code.level() {
        Level::Village => match code.parent() {
            Some(township) => format!(
                "{} {}",
                names.name_of(&township).unwrap_or(township.as_str()),
                code
            ),
            None => code.to_string(),
        },
        _ => names.place_label(code),
    }
}

pub(super) fn hand_down_line(names: &Listing, h: HandDownRow, just_made: bool) -> HandDownLine {
    HandDownLine {
        href: format!("/cases/{}", h.id),
        number: case_label(&h.case_number, h.id),
        handed_down_on: h.registered_on.to_string(),
        township: names.place_label(&h.township),
        parties: h.parties.join("、"),
        claim: h.claim,
        note: h.note,
        status: h.status.label(),
        decided: match (h.decided_by, h.decided_at_ms) {
            (Some(by), Some(at)) => format!("{by} · {}", format_cst(at)),
            _ => "尚未受理".into(),
        },
        assignee: names.assignee_row_label(h.assignee.as_deref(), h.assignee_village.as_ref()),
        deadline: match (h.deadline, h.standing) {
            (Some(d), Some(s)) => format!("{d}({})", s.label()),
            _ => String::new(),
        },
        tone: h.standing.as_ref().map(tone).unwrap_or(""),
        just_made,
    }
}

pub(super) fn escalated_line(names: &Listing, c: CaseRow) -> EscalatedLine {
    EscalatedLine {
        href: format!("/cases/{}", c.id),
        number: case_label(&c.case_number, c.id),
        place: county_place(names, &c.place),
        parties: c.parties.join("、"),
        category: c.category.label(),
        status: c.status.label(),
        deadline: c.deadline.map(|d| d.to_string()).unwrap_or_default(),
    }
}

pub(super) fn severe_line(
    names: &Listing,
    s: ScreeningRow,
    policy: &sanji_domain::deadline::DeadlinePolicy,
    now_ms: u64,
) -> SevereLine {
    let standing = super::screenings::report_standing(&s, policy, now_ms);
    SevereLine {
        standing: standing.map(|s| s.label()).unwrap_or_default(),
        late: standing.is_some_and(|s| s.is_late()),
        screened_on: s.screened_on.to_string(),
        place: county_place(names, &s.village),
        category: s.category.label(),
        risk: if s.mass_incident_risk {
            "群体性"
        } else {
            s.risk.label()
        },
        people: s.people_involved,
        description: s.description,
        recorded_at: s.recorded_at_ms.map(format_cst).unwrap_or_default(),
        reported_at: s.reported_at_ms.map(format_cst).unwrap_or_default(),
    }
}

pub struct HandDownLine {
    pub href: String,
    pub number: String,
    pub handed_down_on: String,
    pub township: String,
    pub parties: String,
    pub claim: String,
    pub note: String,
    pub status: &'static str,
    pub decided: String,
    pub assignee: String,
    pub deadline: String,
    pub tone: &'static str,
    pub just_made: bool,
}

pub struct EscalatedLine {
    pub href: String,
    pub number: String,
    pub place: String,
    pub parties: String,
    pub category: &'static str,
    pub status: &'static str,
    pub deadline: String,
}

pub struct SevereLine {
    pub screened_on: String,
    pub place: String,
    pub category: &'static str,
    pub risk: &'static str,
    pub people: u32,
    pub description: String,
    pub recorded_at: String,
    pub reported_at: String,
    /// The 24-hour rule's word on it (按时上报, 超时 N 小时上报).
    pub standing: String,
    pub late: bool,
}

#[derive(Template)]
#[template(path = "handdowns.html")]
struct HandDownsPage {
    frame: Frame,
    lines: Vec<HandDownLine>,
    escalated: Vec<EscalatedLine>,
    severe: Vec<SevereLine>,
    done: bool,
    accept_days: u32,
}

async fn hand_downs(
    State(console): State<Console>,
    person: Person,
    UrlQuery(flash): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let names = names(&console).await?;
    let just_made = flash.get("done").cloned().unwrap_or_default();
    let rows: Vec<HandDownRow> = query(&console, Query::HandDowns).await?;
    let lines = rows
        .into_iter()
        .map(|h| {
            let just_made = h.id.to_string() == just_made;
            hand_down_line(&names, h, just_made)
        })
        .collect();
    let cases: Vec<CaseRow> = query(&console, Query::Escalated).await?;
    let escalated = cases
        .into_iter()
        .rev()
        .map(|c| escalated_line(&names, c))
        .collect();
    let severe_rows: Vec<ScreeningRow> = query(
        &console,
        Query::Severe {
            village: None,
            since: None,
        },
    )
    .await?;
    let severe = severe_rows
        .into_iter()
        .rev()
        .map(|s| {
            let ops = console.operations();
            severe_line(&names, s, ops.policy(), ops.now_ms())
        })
        .collect();
    page(HandDownsPage {
        frame: Frame::of(&console, &person, "handdowns"),
        lines,
        escalated,
        severe,
        done: !just_made.is_empty(),
        accept_days: console.operations().policy().accept_days,
    })
}
