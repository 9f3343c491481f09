//! 专项排查: the campaigns the township declared (a topic, a period, the kinds
//! of dispute looked for), each counted from the ledgers village by village
//! with its 零报告 and silences; the form that declares or corrects one; A4
//! print and downloads of a campaign's count.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sanji_domain::campaign::Campaign;
use sanji_domain::record::Category;
use sanji_domain::time::{cst_date, parse_date};
use sanji_domain::{FieldError, Labelled};
use sanji_node::campaigns::CampaignView;
use sanji_node::export;
use sanji_node::ops::{Action, Query};
use uuid::Uuid;

use crate::session::Person;
use crate::{Console, PageError};

use super::forms::{Field, checked, field, form_status, mark, posted_text, take_form_action};
use super::reports::{PrintPage, download, wide};
use super::{Frame, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/campaigns", get(list).post(declare))
        .route("/campaigns/new", get(new_campaign))
        .route("/campaigns/{id}", get(show).post(correct))
        .route("/campaigns/{id}/edit", get(edit))
        .route("/campaigns/{id}/print", get(print))
}

fn township_only(console: &Console, person: &Person) -> Result<(), PageError> {
    person.account.sees_ledgers()?;
    if console.operations().node().level() != sanji_domain::Level::Township {
        return Err(PageError::NotFound("专项排查由乡镇中心部署".into()));
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    frame: Frame,
    campaigns: Vec<CampaignView>,
}

async fn list(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    township_only(&console, &person)?;
    let campaigns = query(&console, Query::Campaigns).await?;
    page(ListPage {
        frame: Frame::of(&console, &person, "screenings"),
        campaigns,
    })
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    frame: Frame,
    view: CampaignView,
    /// Each village's row with its name.
    rows: Vec<(String, sanji_domain::campaign::CampaignVillage)>,
    done: bool,
}

fn campaign_id(text: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(text.trim()).map_err(|_| PageError::NotFound(format!("专项排查 {text}")))
}

async fn view_of(console: &Console, person: &Person, id: &str) -> Result<CampaignView, PageError> {
    township_only(console, person)?;
    let id = campaign_id(id)?;
    query(console, Query::Campaign { campaign: id }).await
}

async fn show(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<String>,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let view = view_of(&console, &person, &id).await?;
    if let Some(format) = asked.get("format") {
        return download(
            &export::campaign_table(&view),
            &format!("专项排查-{}-{}", view.record.topic, view.record.from),
            format,
        );
    }
    let rows = view
        .village_names
        .iter()
        .cloned()
        .zip(view.tally.villages.iter().cloned())
        .collect();
    page(CampaignPage {
        frame: Frame::of(&console, &person, "screenings"),
        rows,
        done: asked.contains_key("done"),
        view,
    })
}

async fn print(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = view_of(&console, &person, &id).await?;
    let table = export::campaign_table(&view);
    let t = &view.tally;
    page(PrintPage {
        period: format!(
            "{}:排查 {} 条(重大或群体性 {} 条,涉及 {} 人);{}",
            view.record.label(),
            t.screenings,
            t.severe,
            t.people_involved,
            t.reporting.label()
        ),
        back: format!("/campaigns/{}", view.id),
        wide: Some(wide(&table, |_| "")),
        ..PrintPage::new(&console, &person, "campaign", "专项排查情况统计表")
    })
}

#[derive(Template)]
#[template(path = "campaign_form.html")]
struct CampaignForm {
    frame: Frame,
    fields: Vec<Field>,
    kinds: Vec<Field>,
    error: Option<String>,
    action: String,
    correcting: bool,
}

async fn form_page(
    console: &Console,
    person: &Person,
    posted: &HashMap<String, String>,
    entry: Option<Uuid>,
    error: Option<FieldError>,
) -> Result<Response, PageError> {
    let today = cst_date(console.operations().now_ms()).to_string();
    let none = String::new;
    let mut fields = vec![
        field("topic", "专项排查主题", "text", posted, none()).hint("如 春节前矛盾纠纷专项排查"),
        field("from", "开始日期", "date", posted, today.clone()),
        field("to", "结束日期", "date", posted, none()),
        field("note", "工作要求", "textarea", posted, none()).optional(),
    ];
    let mut kinds: Vec<Field> = Category::ALL
        .iter()
        .map(|c| field(c.id(), c.label(), "checkbox", posted, none()).optional())
        .collect();
    let status = form_status(&error);
    let error = match error {
        Some(e) if e.field == "categories" => mark(&mut kinds, Some(e)),
        other => mark(&mut fields, other),
    };
    let body = page(CampaignForm {
        frame: Frame::of(console, person, "screenings"),
        fields,
        kinds,
        error,
        action: match entry {
            Some(id) => format!("/campaigns/{id}"),
            None => "/campaigns".to_owned(),
        },
        correcting: entry.is_some(),
    })?;
    Ok((status, body).into_response())
}

async fn new_campaign(
    State(console): State<Console>,
    person: Person,
) -> Result<Response, PageError> {
    township_only(&console, &person)?;
    form_page(&console, &person, &HashMap::new(), None, None).await
}

async fn edit(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = view_of(&console, &person, &id).await?;
    let c = &view.record;
    let mut posted = HashMap::from([
        ("topic".to_owned(), c.topic.clone()),
        ("from".to_owned(), c.from.to_string()),
        ("to".to_owned(), c.to.to_string()),
        ("note".to_owned(), c.note.clone()),
    ]);
    for kind in &c.categories {
        posted.insert(kind.id().to_owned(), "true".to_owned());
    }
    form_page(&console, &person, &posted, Some(view.id), None).await
}

/// A campaign as posted: its kinds are the ticked boxes, none meaning all.
fn campaign_of(posted: &HashMap<String, String>) -> Result<Campaign, FieldError> {
    let to = match posted_text(posted, "to") {
        "" => return Err(FieldError::new("to", "请填写「结束日期」")),
        text => parse_date("to", text)?,
    };
    Ok(Campaign {
        topic: posted_text(posted, "topic").to_owned(),
        from: parse_date("from", posted_text(posted, "from"))?,
        to,
        categories: Category::ALL
            .iter()
            .copied()
            .filter(|c| checked(posted, c.id()))
            .collect(),
        note: posted_text(posted, "note").to_owned(),
    })
}

async fn save(
    console: Console,
    person: Person,
    entry: Option<Uuid>,
    mut posted: HashMap<String, String>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    township_only(&console, &person)?;
    take_form_action(
        &console,
        &person,
        campaign_of(&posted).map(|campaign| Action::DeclareCampaign { entry, campaign }),
        |outcome| format!("/campaigns/{}?done=1", outcome.entity),
        async |e| form_page(&console, &person, &posted, entry, Some(e)).await,
    )
    .await
}

async fn declare(
    State(console): State<Console>,
    person: Person,
    Form(posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    save(console, person, None, posted).await
}

async fn correct(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<String>,
    Form(posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let id = campaign_id(&id)?;
    save(console, person, Some(id), posted).await
}
