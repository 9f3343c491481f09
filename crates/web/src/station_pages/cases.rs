//! 案件 at the village: a case registered at the station (案件受理登记),
//! the cases the station holds with a search, and a case's file as the
//! village may see it, with the forms of the steps the rules allow the
//! village now (调解进展, 调解结果, …): the township's case file, shared.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sanji_domain::case::{ActorRole, CaseStatus, StepKind};
use sanji_domain::record::CaseSource;
use sanji_domain::{FieldError, Labelled};
use sanji_node::NodeError;
use sanji_node::ops::CaseView;
use sanji_node::station_api::{StationReply, StationRequest};
use sanji_node::views::CaseFilter;
use serde::Deserialize;

use super::visits::FIRST_UNIT;
use super::{
    Clerk, FormText, Ledgers, RecordForm, StationFrame, StationPageError, chosen, filter_choices,
    names, page, refused_page, store_record, unexpected,
};
use crate::pages::cases::{
    ATTACH_BODY_LIMIT, CaseLine, CaseSheet, Posted, Rejected, attach_form, case_line,
    file_response, step_kind, take_posted_step,
};
use crate::pages::forms::{CaseDefaults, case_fields, registration_of};
use crate::station::StationHost;

/// A case the township has not numbered yet (it numbers on 受理): said so,
/// not shown by an internal id.
const UNNUMBERED: &str = "待镇中心编号";

pub(super) fn routes() -> Router<StationHost> {
    Router::new()
        .route("/cases", get(list).post(register))
        .route("/cases/new", get(new_case))
        .route("/cases/{id}", get(one))
        .route("/cases/{id}/steps/{step}", post(take_step))
        .route(
            "/cases/{id}/attach",
            post(attach).layer(DefaultBodyLimit::max(ATTACH_BODY_LIMIT)),
        )
        .route("/cases/{id}/files/{sha256}", get(download))
}

async fn registration_form(
    host: &StationHost,
    clerk: &Clerk,
    posted: &HashMap<String, String>,
    error: Option<FieldError>,
) -> Result<RecordForm, StationPageError> {
    let frame = StationFrame::of(host, clerk, "cases").await?;
    let own = host.config().code.clone();
    let defaults = CaseDefaults {
        place: own.to_string(),
        source: CaseSource::Visit.id().into(),
        category: String::new(),
        party: String::new(),
        people: "1".into(),
        claim: String::new(),
        first_receiver: frame.clerk.clone(),
        first_unit: FIRST_UNIT.into(),
    };
    let places = vec![(own.to_string(), names(host).place_label(&own))];
    let fields = case_fields(defaults, places, true, posted);
    let text = FormText {
        title: "案件受理登记",
        page_id: "case-new",
        action: "/cases".into(),
        intro: "在本村受理的矛盾纠纷。登记后在下次同步时报到镇中心,由镇中心受理编号、分流。".into(),
        button: "登记",
        back: "/cases",
    };
    RecordForm::of(host, frame, text, fields, error).await
}

async fn new_case(
    State(host): State<StationHost>,
    clerk: Clerk,
) -> Result<Response, StationPageError> {
    page(registration_form(&host, &clerk, &HashMap::new(), None).await?)
}

async fn register(
    State(host): State<StationHost>,
    clerk: Clerk,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, StationPageError> {
    clerk.check_csrf(posted.remove("csrf").as_deref())?;
    let request = registration_of(host.today(), None, &posted)
        .map(|case| StationRequest::RegisterCase { by: None, case });
    store_record(
        &host,
        request,
        |id| format!("/cases/{id}?saved=1"),
        async |e| registration_form(&host, &clerk, &posted, Some(e)).await,
    )
    .await
}

#[derive(Deserialize, Default)]
struct Search {
    q: Option<String>,
    status: Option<String>,
}

#[derive(Template)]
#[template(path = "station/cases.html")]
struct ListPage {
    frame: StationFrame,
    q: String,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    lines: Vec<CaseLine>,
    total: usize,
}

async fn list(
    State(host): State<StationHost>,
    clerk: Clerk,
    Query(search): Query<Search>,
) -> Result<Response, StationPageError> {
    let cards = Ledgers::read(&host, false, false, true).await?.cases;
    let total = cards.len();
    let q = search.q.unwrap_or_default().trim().to_owned();
    let status = chosen::<CaseStatus>(&search.status);
    // The township's case search, over the cases this station holds.
    let filter = CaseFilter {
        text: Some(q.clone()).filter(|q| !q.is_empty()),
        status,
        ..CaseFilter::default()
    };
    let names = names(&host);
    let found = cards
        .into_iter()
        .filter(|c| filter.matches(c, &names))
        .collect();
    let urge_days = host.config().policy.urge_days_before;
    let today = host.today();
    let lines = filter
        .sort_and_page(found)
        .rows
        .into_iter()
        .map(|c| {
            let numbered = c.case_number.is_some();
            let mut line = case_line(c, &names, today, urge_days);
            if !numbered {
                line.number = UNNUMBERED.into();
            }
            line
        })
        .collect();
    page(ListPage {
        frame: StationFrame::of(&host, &clerk, "cases").await?,
        q,
        status: status.map(|s| s.id()).unwrap_or_default().to_owned(),
        statuses: filter_choices::<CaseStatus>(),
        lines,
        total,
    })
}

/// The case as the station holds it (what `ShowCase` answers).
pub(super) async fn the_case(host: &StationHost, id: &str) -> Result<CaseView, StationPageError> {
    match host
        .handle(StationRequest::ShowCase {
            case: id.to_owned(),
        })
        .await?
    {
        StationReply::Case { case } => Ok(*case),
        other => Err(unexpected(&other)),
    }
}

#[derive(Template)]
#[template(path = "station/case.html")]
struct CasePage {
    frame: StationFrame,
    sheet: CaseSheet,
    saved: bool,
    done: Option<String>,
    done_step: Option<&'static str>,
    /// Before the township has accepted it: what happens next.
    waiting: bool,
}

#[derive(Deserialize, Default)]
struct Flash {
    saved: Option<String>,
    done: Option<String>,
}

async fn one(
    State(host): State<StationHost>,
    clerk: Clerk,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Result<Response, StationPageError> {
    let done = flash.done.as_deref().and_then(step_kind);
    let mut page_ = case_page(&host, &clerk, &id, None).await?;
    page_.saved = flash.saved.is_some();
    page_.done = done.map(|k| format!("已{},下次同步时报到镇中心", k.label()));
    page_.done_step = done.map(|k| k.id());
    page(page_)
}

async fn case_page(
    host: &StationHost,
    clerk: &Clerk,
    id: &str,
    rejected: Option<Rejected>,
) -> Result<CasePage, StationPageError> {
    let view = the_case(host, id).await?;
    // The steps the domain allows this village's staff now, and no others.
    let offered: Vec<StepKind> = view
        .file
        .steps_for(ActorRole::VillageStaff, &host.config().code);
    let waiting = view.file.status == CaseStatus::Registered;
    let mut sheet = CaseSheet::of(
        view,
        &names(host),
        host.today(),
        host.config().policy.urge_days_before,
        offered,
        rejected,
    );
    if sheet.view.file.case_number.is_none() {
        sheet.number = UNNUMBERED.into();
    }
    Ok(CasePage {
        frame: StationFrame::of(host, clerk, "cases").await?,
        sheet,
        saved: false,
        done: None,
        done_step: None,
        waiting,
    })
}

async fn take_step(
    State(host): State<StationHost>,
    clerk: Clerk,
    Path((id, step)): Path<(String, String)>,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, StationPageError> {
    clerk.check_csrf(posted.remove("csrf").as_deref())?;
    let kind = step_kind(&step).ok_or_else(|| NodeError::NotFound(format!("办理步骤 {step}")))?;
    step_posted(&host, &clerk, &id, kind, Ok(posted)).await
}

/// 上传附件 at the village: the file is kept at the station, then the
/// step names it; both reach the township with the next sync.
async fn attach(
    State(host): State<StationHost>,
    clerk: Clerk,
    Path(id): Path<String>,
    form: Multipart,
) -> Result<Response, StationPageError> {
    let posted = attach_form(
        form,
        |csrf| clerk.check_csrf(csrf),
        async |upload| match host.handle(StationRequest::TakeInFile { upload }).await? {
            StationReply::File { file } => Ok(file),
            other => Err(NodeError::Internal(format!("意外的回复:{other:?}"))),
        },
    )
    .await?;
    step_posted(&host, &clerk, &id, StepKind::Attach, posted).await
}

async fn step_posted(
    host: &StationHost,
    clerk: &Clerk,
    id: &str,
    kind: StepKind,
    posted: Posted,
) -> Result<Response, StationPageError> {
    let view = the_case(host, id).await?;
    let case = view.id.to_string();
    let taken = take_posted_step(kind, posted, async |command| {
        let request = StationRequest::CaseStep {
            by: None,
            case,
            command,
        };
        host.handle(request).await.map(|_| ())
    })
    .await?;
    match taken {
        Ok(()) => {
            Ok(Redirect::to(&format!("/cases/{}?done={}", view.id, kind.id())).into_response())
        }
        Err((status, rejected)) => {
            refused_page(status, case_page(host, clerk, id, Some(rejected)).await?)
        }
    }
}

/// A file on one of the station's cases.
async fn download(
    State(host): State<StationHost>,
    _clerk: Clerk,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, StationPageError> {
    match host
        .handle(StationRequest::GetFile { case: id, sha256 })
        .await?
    {
        StationReply::FileContent { attachment, bytes } => Ok(file_response(&attachment, bytes)),
        other => Err(unexpected(&other)),
    }
}
