//! 分区分线: the township center's own screeners record what they find in
//! the villages and the trades or fields they cover, on the same 不安定因素
//! 排查登记表 as a village's station (its fields are the station's), with
//! the village chosen from the 名录 and the field (分线) named.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sanji_domain::time::cst_date;
use sanji_domain::{Code, FieldError};
use sanji_node::ops::Action;

use crate::session::Person;
use crate::{Console, PageError};

use super::cases::village_choices;
use super::forms::{
    Field, field, form_status, mark, posted_text, screening_fields, screening_of, take_form_action,
};
use super::{Frame, page};

pub(super) fn routes() -> Router<Console> {
    Router::new().route("/screenings/new", get(new_screening).post(record))
}

#[derive(Template)]
#[template(path = "screening_new.html")]
struct ScreeningForm {
    frame: Frame,
    fields: Vec<Field>,
    error: Option<String>,
}

fn center_only(console: &Console, person: &Person) -> Result<(), PageError> {
    person.account.sees_ledgers()?;
    if console.operations().node().level() != sanji_domain::Level::Township {
        return Err(PageError::NotFound("排查由村工作站和乡镇中心登记".into()));
    }
    Ok(())
}

async fn form_page(
    console: &Console,
    person: &Person,
    posted: &HashMap<String, String>,
    error: Option<FieldError>,
) -> Result<Response, PageError> {
    let today = cst_date(console.operations().now_ms()).to_string();
    let mut fields = vec![
        field("village", "排查的村(分区)", "select", posted, String::new())
            .options(village_choices(console).await?),
        field("line", "分线(行业或领域)", "text", posted, String::new())
            .optional()
            .hint("如 建筑工地、学校周边、企业劳资;只按村排查的不填"),
    ];
    fields.extend(screening_fields(today, person.account.name.clone(), posted));
    let status = form_status(&error);
    let error = mark(&mut fields, error);
    let body = page(ScreeningForm {
        frame: Frame::of(console, person, "screenings"),
        fields,
        error,
    })?;
    Ok((status, body).into_response())
}

async fn new_screening(
    State(console): State<Console>,
    person: Person,
) -> Result<Response, PageError> {
    center_only(&console, &person)?;
    form_page(&console, &person, &HashMap::new(), None).await
}

async fn record(
    State(console): State<Console>,
    person: Person,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    center_only(&console, &person)?;
    let screening = Code::parse(posted_text(&posted, "village"))
        .map_err(|e| FieldError::new("village", e.to_string()))
        .and_then(|village| screening_of(village, &posted));
    take_form_action(
        &console,
        &person,
        screening.map(|screening| Action::RecordScreening { screening }),
        |outcome| format!("/screenings/{}", outcome.entity),
        async |e| form_page(&console, &person, &posted, Some(e)).await,
    )
    .await
}
