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
use sanji_domain::record::{CaseRegistration, CaseSource, Category, Party, Visit, VisitChannel};
use sanji_domain::time::{cst_date, parse_date};
use sanji_domain::{FieldError, Labelled};
use sanji_node::NodeError;
use sanji_node::ops::{Action, Query};
use sanji_node::views::VisitRow;
use uuid::Uuid;

use crate::session::Person;
use crate::{Console, PageError};

use super::cases::{Field, village_choices};
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

fn choices<T: Labelled>() -> Vec<(String, String)> {
    T::ALL
        .iter()
        .map(|v| (v.id().to_owned(), v.label().to_owned()))
        .collect()
}

/// A form field as the visit and case forms draw it: required unless said.
fn field(
    name: &'static str,
    label: &'static str,
    control: &'static str,
    posted: &HashMap<String, String>,
    default: String,
) -> Field {
    Field {
        name,
        label,
        hint: "",
        required: true,
        control,
        options: Vec::new(),
        value: posted.get(name).cloned().unwrap_or(default),
        error: None,
    }
}

impl Field {
    fn optional(mut self) -> Field {
        self.required = false;
        self
    }

    fn hint(mut self, hint: &'static str) -> Field {
        self.hint = hint;
        self
    }

    fn options(mut self, options: Vec<(String, String)>) -> Field {
        self.options = options;
        self
    }
}

/// Marks the field the domain named (its path told as the form's name);
/// an error on no field of the form is said above it.
fn mark(fields: &mut [Field], error: Option<FieldError>) -> Option<String> {
    let error = error?;
    let name = match error.field.as_str() {
        "visitor.name" | "parties[0].name" => "party",
        "visitor.contact" | "parties[0].contact" => "contact",
        other => other,
    };
    match fields.iter_mut().find(|f| f.name == name) {
        Some(f) => {
            f.error = Some(error.rule);
            None
        }
        None => Some(error.rule),
    }
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

fn visit_fields(today: String, posted: &HashMap<String, String>) -> Vec<Field> {
    let none = String::new;
    vec![
        field("channel", "方式", "select", posted, none()).options(choices::<VisitChannel>()),
        field("visited_on", "日期", "date", posted, today),
        field("party", "来访人", "text", posted, none()),
        field("contact", "联系电话", "text", posted, none()).optional(),
        field("people_count", "人数", "number", posted, "1".into()),
        field("category", "类别", "select", posted, none()).options(choices::<Category>()),
        field("summary", "反映的问题", "textarea", posted, none()).hint("来访人反映的事情和诉求"),
        field("answer", "当场答复", "textarea", posted, none())
            .optional()
            .hint("当场答复了的,写下答复的内容;需要立案办理的留空,登记后再「登记为案件」"),
    ]
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

fn posted_text<'a>(posted: &'a HashMap<String, String>, name: &str) -> &'a str {
    posted.get(name).map(|s| s.trim()).unwrap_or_default()
}

fn optional(posted: &HashMap<String, String>, name: &str) -> Option<String> {
    Some(posted_text(posted, name).to_owned()).filter(|s| !s.is_empty())
}

fn count(posted: &HashMap<String, String>, name: &str) -> Result<u32, FieldError> {
    posted_text(posted, name)
        .parse()
        .map_err(|_| FieldError::new(name, "须为整数,如 1"))
}

fn visit_of(console: &Console, posted: &HashMap<String, String>) -> Result<Visit, FieldError> {
    Ok(Visit {
        received_at: console.operations().node().clone(),
        visited_on: parse_date("visited_on", posted_text(posted, "visited_on"))?,
        channel: VisitChannel::parse_for("channel", posted_text(posted, "channel"))?,
        visitor: Party {
            name: posted_text(posted, "party").to_owned(),
            contact: optional(posted, "contact"),
        },
        people_count: count(posted, "people_count")?,
        category: Category::parse_for("category", posted_text(posted, "category"))?,
        summary: posted_text(posted, "summary").to_owned(),
        // The operator layer writes the signed-in person as the receiver.
        receiver: String::new(),
        answer: optional(posted, "answer"),
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
    let result = match visit_of(&console, &posted) {
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

fn source_of(channel: VisitChannel) -> CaseSource {
    match channel {
        VisitChannel::InPerson => CaseSource::Visit,
        VisitChannel::Letter => CaseSource::Letter,
        VisitChannel::Phone => CaseSource::Phone,
    }
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
    let mut fields = vec![
        field(
            "place",
            "发生地",
            "select",
            posted,
            visit.received_at.to_string(),
        )
        .options(places)
        .hint("纠纷发生的村(或本镇)"),
        field(
            "source",
            "来源",
            "select",
            posted,
            source_of(visit.channel).id().into(),
        )
        .options(choices::<CaseSource>()),
        field(
            "category",
            "类别",
            "select",
            posted,
            visit.category.id().into(),
        )
        .options(choices::<Category>()),
        field("party", "当事人", "text", posted, visit.visitor.clone()),
        field(
            "people_involved",
            "涉及人数",
            "number",
            posted,
            visit.people_count.to_string(),
        ),
        field("claim", "诉求", "textarea", posted, visit.summary.clone()),
        field(
            "first_receiver",
            "首问首接人",
            "text",
            posted,
            visit.receiver.clone(),
        )
        .hint("首问首接:第一个接待的人,始终对本案负责"),
        field(
            "first_unit",
            "首接单位",
            "text",
            posted,
            "镇综治信访维稳中心".into(),
        ),
        field("complex", "疑难案件", "checkbox", posted, String::new()).optional(),
    ];
    let error = mark(&mut fields, error);
    page(VisitForm {
        frame: Frame::of(console, person, "visits"),
        title: "登记为案件",
        page_id: "visit-case",
        action: format!("/visits/{}/case", visit.id),
        intro: format!(
            "从 {} 的{}(来访人 {})登记案件受理登记,内容已照接访记录填好,核对后登记。",
            visit.visited_on,
            visit.channel.label(),
            visit.visitor
        ),
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

fn registration_of(
    console: &Console,
    visit: &VisitRow,
    posted: &HashMap<String, String>,
) -> Result<CaseRegistration, FieldError> {
    Ok(CaseRegistration {
        place: sanji_domain::Code::parse(posted_text(posted, "place"))
            .map_err(|e| FieldError::new("place", e.to_string()))?,
        registered_on: cst_date(console.operations().now_ms()),
        source: CaseSource::parse_for("source", posted_text(posted, "source"))?,
        category: Category::parse_for("category", posted_text(posted, "category"))?,
        parties: vec![Party {
            name: posted_text(posted, "party").to_owned(),
            contact: None,
        }],
        people_involved: count(posted, "people_involved")?,
        claim: posted_text(posted, "claim").to_owned(),
        first_receiver: posted_text(posted, "first_receiver").to_owned(),
        first_unit: posted_text(posted, "first_unit").to_owned(),
        complex: posted_text(posted, "complex") == "true",
        from_record: Some(visit.id),
    })
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
    let result = match registration_of(&console, &visit, &posted) {
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
