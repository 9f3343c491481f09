//! Case search, 一案一档 and the step forms the rules allow.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sanji_domain::Labelled;
use sanji_domain::case::{ActorRole, CaseFile, CaseStatus, StepKind};
use sanji_domain::command::{CaseCommand, InputKind, StepInput};
use sanji_domain::deadline::DeadlineStanding;
use sanji_domain::time::{cst_date, format_cst};
use sanji_node::NodeError;
use sanji_node::accounts::Account;
use sanji_node::directory::Listing;
use sanji_node::ops::{Action, CaseView};
use sanji_node::views::{CaseFilter, CaseHits};
use serde::Deserialize;

use sanji_domain::FieldError;
use sanji_domain::attachment::{Attachment, FileRef};
use sanji_node::attachments::FileUpload;
use sanji_node::notices::Receipt;

use crate::session::Person;
use crate::{Console, PageError};

use super::forms::Field;
use super::{Frame, case_label, page, query, tone};
use sanji_node::ops::Query;

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/cases", get(cases))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/steps/{step}", post(take_step))
        .route(
            "/cases/{id}/attach",
            // A file somewhat over the limit is read and refused in words.
            post(attach).layer(DefaultBodyLimit::max(ATTACH_BODY_LIMIT)),
        )
        .route("/cases/{id}/files/{sha256}", get(download))
}

/// What an upload of one attachment may send: the file at its limit and the
/// form around it, with room for a file somewhat over it to be refused in words.
pub(crate) const ATTACH_BODY_LIMIT: usize = 2 * sanji_domain::attachment::MAX_BYTES as usize;

#[derive(Deserialize, Default)]
struct CaseSearch {
    q: Option<String>,
    status: Option<String>,
    /// `xlsx` or `csv`: the cases found, as a download.
    format: Option<String>,
}

pub struct CaseLine {
    pub href: String,
    pub number: String,
    pub registered_on: String,
    pub place: String,
    pub parties: String,
    pub category: &'static str,
    pub status: &'static str,
    pub assignee: String,
    pub deadline: String,
    pub tone: &'static str,
}

/// A case as a list shows it on `today`: by its number and names, its
/// deadline's standing coloured.
pub(crate) fn case_line(
    c: sanji_node::views::CaseRow,
    names: &Listing,
    today: chrono::NaiveDate,
    urge_days_before: u32,
) -> CaseLine {
    let standing = c
        .deadline
        .filter(|_| c.status.is_open())
        .map(|d| DeadlineStanding::of(d, today, urge_days_before));
    CaseLine {
        href: format!("/cases/{}", c.id),
        number: case_label(&c.case_number, c.id),
        registered_on: c.registered_on.to_string(),
        place: names.place_label(&c.place),
        parties: c.parties.join("、"),
        category: c.category.label(),
        status: c.status.label(),
        assignee: names.assignee_row_label(c.assignee.as_deref(), c.assignee_village.as_ref()),
        deadline: match (&c.deadline, &standing) {
            (Some(d), Some(s)) => format!("{d}({})", s.label()),
            (Some(d), None) => d.to_string(),
            _ => String::new(),
        },
        tone: standing.as_ref().map(tone).unwrap_or(""),
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    frame: Frame,
    q: String,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    lines: Vec<CaseLine>,
}

async fn cases(
    State(console): State<Console>,
    person: Person,
    UrlQuery(search): UrlQuery<CaseSearch>,
) -> Result<Response, PageError> {
    let ops = console.operations();
    let today = cst_date(ops.now_ms());
    let names = super::names(&console).await?;
    let q = search.q.unwrap_or_default().trim().to_owned();
    let status = search.status.unwrap_or_default();
    let filter = CaseFilter {
        text: Some(q.clone()).filter(|q| !q.is_empty()),
        status: CaseStatus::ALL.iter().find(|s| s.id() == status).copied(),
        // Member-unit staff find only what is assigned to their unit.
        assignee: (person.account.role == ActorRole::UnitStaff)
            .then(|| person.account.unit.clone().unwrap_or_default()),
        // A download takes every case found; the page shows the first 500.
        limit: search.format.is_none().then_some(500),
        ..CaseFilter::default()
    };
    let found: CaseHits = query(&console, Query::CaseSearch { filter }).await?;
    let found = found.rows;
    if let Some(format) = &search.format {
        let table = sanji_node::export::cases_table(format!("案件台账 {}", ops.node()), &found);
        let stem = format!("案件台账-{}-{}", ops.node(), today.format("%Y%m%d"));
        return super::reports::download(&table, &stem, format);
    }
    let urge_days = ops.policy().urge_days_before;
    let lines: Vec<CaseLine> = found
        .into_iter()
        .map(|c| case_line(c, &names, today, urge_days))
        .collect();
    page(CasesPage {
        frame: Frame::of(&console, &person, "cases"),
        q,
        status,
        statuses: CaseStatus::ALL
            .iter()
            .map(|s| (s.id(), s.label()))
            .collect(),
        lines,
    })
}

/// A step the rules allow this person now, as a form.
pub struct StepForm {
    pub id: &'static str,
    pub label: &'static str,
    pub fields: Vec<Field>,
    pub error: Option<String>,
}

/// A file on the case, as its page lists it.
pub struct FileRow {
    pub title: String,
    pub name: String,
    pub size: String,
    pub on: String,
    pub by: String,
    /// Where it is downloaded (`/cases/{id}/files/{sha256}`).
    pub href: String,
}

pub struct FileLine {
    pub at: String,
    pub by: String,
    pub role: &'static str,
    pub step: &'static str,
    pub text: String,
}

/// A case file (一案一档) as a page shows it, the township's or the
/// village's: the registration, who works it, the file's entries and the
/// forms of the steps offered (`case_file.html` draws it).
pub struct CaseSheet {
    pub view: CaseView,
    pub number: String,
    pub status: &'static str,
    pub standing: String,
    pub tone: &'static str,
    pub source: &'static str,
    pub category: &'static str,
    pub parties: String,
    /// Where it arose, by name.
    pub place: String,
    pub assignee: String,
    /// 县综治办交办: by whom, with the leader's instruction.
    pub handed_down: Option<String>,
    /// 导入: from which file and row, and what the old ledger said.
    pub imported: Option<String>,
    pub lines: Vec<FileLine>,
    pub files: Vec<FileRow>,
    pub forms: Vec<StepForm>,
    pub refusal: Option<String>,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    frame: Frame,
    sheet: CaseSheet,
    conflicts: Vec<String>,
    done: Option<String>,
    /// The step just taken, for `data-page` (what a test waits for).
    done_step: Option<&'static str>,
    duties: Vec<super::meetings::DutyLine>,
    numbers: sanji_node::notices::CaseNumbers,
}

fn field_of(input: &StepInput, choices: &Choices, posted: &HashMap<String, String>) -> Field {
    let (control, options) = match input.kind {
        // A member unit is one of the directory's.
        InputKind::Text if input.name == "unit" => ("select", choices.units.clone()),
        InputKind::Text => ("text", Vec::new()),
        InputKind::LongText => ("textarea", Vec::new()),
        InputKind::Date => ("date", Vec::new()),
        InputKind::Days => ("number", Vec::new()),
        InputKind::Flag => ("checkbox", Vec::new()),
        InputKind::Village => ("select", choices.villages.clone()),
        InputKind::File => ("file", Vec::new()),
        InputKind::Choice(vocabulary) => (
            "select",
            vocabulary
                .choices()
                .into_iter()
                .map(|(id, label)| (id.to_owned(), label.to_owned()))
                .collect(),
        ),
    };
    Field {
        name: input.name,
        label: input.label,
        hint: input.hint,
        required: input.required,
        control,
        options,
        list: "",
        value: posted.get(input.name).cloned().unwrap_or_default(),
        error: None,
    }
}

/// The steps `account` may take on `file` now, acting here: the domain's
/// own answer (the same rule the layer checks when the step is posted).
fn offered_steps(account: &Account, file: &CaseFile, here: &sanji_domain::Code) -> Vec<StepKind> {
    account.offered_steps(file, here)
}

async fn case_page(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<String>,
    UrlQuery(flash): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let done = flash
        .get("done")
        .and_then(|d| StepKind::ALL.iter().copied().find(|k| k.id() == d));
    render_case(&console, &person, &id, None, done).await
}

/// Why a posted step did not happen, to show on the case's page.
pub enum Rejected {
    Field(StepKind, sanji_domain::FieldError, HashMap<String, String>),
    Refused(String),
}

async fn render_case(
    console: &Console,
    person: &Person,
    id: &str,
    rejected: Option<Rejected>,
    done: Option<StepKind>,
) -> Result<Response, PageError> {
    let ops = console.operations();
    let value = ops
        .query(sanji_node::ops::Query::Case {
            case: id.to_owned(),
        })
        .await?;
    let view: CaseView =
        serde_json::from_value(value).map_err(|e| NodeError::Internal(e.to_string()))?;
    if !person.account.sees(&view.file) {
        return Err(PageError::Forbidden(format!(
            "本案未交办给{},无权查看",
            person.account.unit.clone().unwrap_or_default()
        )));
    }
    let today = cst_date(ops.now_ms());
    let names = super::names(console).await?;
    let offered = offered_steps(&person.account, &view.file, ops.node());
    let entity = ops.store().entity(view.id).map_err(NodeError::from)?;
    let conflicts = entity
        .map(|e| {
            e.conflicts
                .iter()
                .map(|c| format!("{} {}:{}", format_cst(c.hlc.wall_ms), c.author, c.reason))
                .collect()
        })
        .unwrap_or_default();
    let duties = super::meetings::duties_on(console, view.id).await?;
    let numbers = query(console, Query::CaseNumbers { case: view.id }).await?;
    let sheet = CaseSheet::of(
        view,
        &names,
        today,
        ops.policy().urge_days_before,
        offered,
        rejected,
    );
    page(CasePage {
        frame: Frame::of(console, person, "cases"),
        sheet,
        conflicts,
        done: done.map(|k| format!("已{}", k.label())),
        done_step: done.map(|k| k.id()),
        duties,
        numbers,
    })
}

impl CaseSheet {
    /// `view` as a page shows it on `today`, with forms for the `offered`
    /// steps, and a posted step that was `rejected` said at its field or
    /// above the forms.
    pub fn of(
        view: CaseView,
        names: &Listing,
        today: chrono::NaiveDate,
        urge_days_before: u32,
        offered: Vec<StepKind>,
        rejected: Option<Rejected>,
    ) -> CaseSheet {
        let file = &view.file;
        let standing = file
            .deadline
            .filter(|_| file.status.is_open())
            .map(|d| DeadlineStanding::of(d, today, urge_days_before));
        let choices = Choices::of(names);
        let (field_error, refusal) = match rejected {
            // A step that is not offered has no form to mark the field on.
            Some(Rejected::Field(kind, e, _)) if !offered.contains(&kind) => {
                (None, Some(format!("「{}」{}", kind.label(), e.rule)))
            }
            Some(Rejected::Field(kind, e, posted)) => (Some((kind, e, posted)), None),
            Some(Rejected::Refused(why)) => (None, Some(why)),
            None => (None, None),
        };
        let forms = offered
            .into_iter()
            .map(|kind| step_form(kind, &choices, field_error.as_ref()))
            .collect();
        CaseSheet {
            number: case_label(&file.case_number, view.id),
            status: file.status.label(),
            standing: match (&file.deadline, &standing) {
                (Some(d), Some(s)) => format!("期限 {d},{}", s.label()),
                _ => String::new(),
            },
            tone: standing.as_ref().map(tone).unwrap_or(""),
            source: file.registration.source.label(),
            category: file.registration.category.label(),
            parties: file
                .registration
                .parties
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
                .join("、"),
            place: names.place_label(&file.registration.place),
            handed_down: file.handed_down_by.as_ref().map(|by| {
                format!(
                    "{by}交办给 {}。批示:{}{}",
                    names.place_label(
                        file.handed_down_to
                            .as_ref()
                            .unwrap_or(&file.registration.place)
                    ),
                    file.handed_down_note.as_deref().unwrap_or("(无)"),
                    file.handed_down_deadline
                        .map(|d| format!("。县里要求 {d} 前办结"))
                        .unwrap_or_default()
                )
            }),
            imported: file.imported.as_ref().map(|i| {
                format!(
                    "{} 由 {} 导入;原台账状态:{}{}",
                    i.source,
                    i.by,
                    i.ledger_status.label(),
                    i.closed_on
                        .map(|d| format!(",办结日期 {d}"))
                        .unwrap_or_default()
                )
            }),
            assignee: file
                .assignment
                .as_ref()
                .map(|a| {
                    format!(
                        "{}(承办人 {},期限 {}{})",
                        names.assignee_label(&a.assignee),
                        a.person,
                        a.deadline,
                        if a.approved_by.is_some() {
                            ""
                        } else {
                            ",待审批"
                        }
                    )
                })
                .unwrap_or_default(),
            lines: file
                .file
                .iter()
                .map(|e| FileLine {
                    at: format_cst(e.at.wall_ms),
                    by: e.by.clone(),
                    role: e.role.label(),
                    step: e.step.label(),
                    text: e.text.clone(),
                })
                .collect(),
            files: file
                .attachments
                .iter()
                .map(|a| FileRow {
                    title: a.attachment.title.clone(),
                    name: a.attachment.name.clone(),
                    size: sanji_domain::attachment::size_label(a.attachment.size),
                    on: a.on.to_string(),
                    by: a.by.clone(),
                    href: format!("/cases/{}/files/{}", view.id, a.attachment.sha256),
                })
                .collect(),
            forms,
            refusal,
            view,
        }
    }
}

/// The form of step `kind`, showing what was typed and the error if it was
/// this step that was refused at a field.
fn step_form(
    kind: StepKind,
    choices: &Choices,
    field_error: Option<&(StepKind, sanji_domain::FieldError, HashMap<String, String>)>,
) -> StepForm {
    let empty = HashMap::new();
    let (posted, error) = match field_error {
        Some((k, e, posted)) if *k == kind => (posted, Some(e)),
        _ => (&empty, None),
    };
    let mut fields: Vec<Field> = kind
        .inputs()
        .iter()
        .map(|i| field_of(i, choices, posted))
        .collect();
    let mut form_error = None;
    if let Some(e) = error {
        match fields.iter_mut().find(|f| f.name == e.field) {
            Some(f) => f.error = Some(e.rule.clone()),
            None => form_error = Some(e.rule.clone()),
        }
    }
    StepForm {
        id: kind.id(),
        label: kind.label(),
        fields,
        error: form_error,
    }
}

/// What an assignment may name: the villages and member units of the
/// hub's directory (the operator layer refuses anything else).
pub(crate) struct Choices {
    villages: Vec<(String, String)>,
    units: Vec<(String, String)>,
}

impl Choices {
    fn of(names: &Listing) -> Choices {
        Choices {
            villages: names
                .villages
                .iter()
                .map(|p| (p.code.to_string(), p.label()))
                .collect(),
            units: names.units.iter().map(|u| (u.clone(), u.clone())).collect(),
        }
    }
}

/// The villages of the hub's directory, as (code, name) choices: where a case
/// may be assigned, and where a visit or a screening may have happened.
pub(super) async fn village_choices(console: &Console) -> Result<Vec<(String, String)>, PageError> {
    Ok(Choices::of(&super::names(console).await?).villages)
}

async fn take_step(
    State(console): State<Console>,
    person: Person,
    Path((id, step)): Path<(String, String)>,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    let kind = step_kind(&step).ok_or_else(|| PageError::NotFound(format!("办理步骤 {step}")))?;
    step_posted(&console, &person, &id, kind, Ok(posted)).await
}

/// 上传附件: the file is taken in first, then the step names it.
async fn attach(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<String>,
    form: Multipart,
) -> Result<Response, PageError> {
    let actor = person.account.actor();
    let posted = attach_form(
        form,
        |csrf| person.check_csrf(csrf),
        async |file| console.operations().take_in_file(&actor, file).await,
    )
    .await?;
    step_posted(&console, &person, &id, StepKind::Attach, posted).await
}

/// What a file that is over the limit is told.
pub(crate) fn too_large() -> String {
    format!(
        "文件超过每个附件 {} 的上限:请压缩(如降低照片分辨率)或分成几个文件上传",
        sanji_domain::attachment::size_label(sanji_domain::attachment::MAX_BYTES)
    )
}

/// What a step's form posted: its fields, or why they could not be read
/// (said at the file's field, with the status to answer).
pub(crate) type Posted = Result<HashMap<String, String>, (StatusCode, String)>;

/// The 上传附件 form as posted (`multipart/form-data`, its token checked by
/// `check_csrf`), its file taken in through `take_in` (the township's
/// operator layer or the village's station): the step's fields with the
/// file named by its reference, or why the file cannot be taken.
pub(crate) async fn attach_form<E: From<NodeError>>(
    form: Multipart,
    check_csrf: impl FnOnce(Option<&str>) -> Result<(), E>,
    take_in: impl AsyncFnOnce(FileUpload) -> Result<FileRef, NodeError>,
) -> Result<Posted, E> {
    let max = sanji_domain::attachment::MAX_BYTES as usize;
    let mut upload = match super::forms::read_upload(form, max, too_large()).await {
        Ok(upload) => upload,
        // The token was in the part that could not be read: nothing is done, only said.
        Err(why) => return Ok(Err((StatusCode::PAYLOAD_TOO_LARGE, why))),
    };
    check_csrf(upload.fields.remove("csrf").as_deref())?;
    let mut posted = upload.fields;
    posted.retain(|name, _| name == "title");
    if upload.file_name.is_empty() && upload.bytes.is_empty() {
        return Ok(Ok(posted));
    }
    let file = FileUpload {
        name: upload.file_name,
        bytes: upload.bytes,
    };
    match take_in(file).await {
        Ok(file) => {
            posted.insert("file".into(), file.token());
            Ok(Ok(posted))
        }
        Err(NodeError::Invalid(e)) => Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, e.rule))),
        Err(other) => Err(other.into()),
    }
}

/// Takes step `kind` on case `id` as posted (or says why the post could
/// not be read, at the file's field), and shows the case again.
async fn step_posted(
    console: &Console,
    person: &Person,
    id: &str,
    kind: StepKind,
    mut posted: Posted,
) -> Result<Response, PageError> {
    // The file must be one this person may see before anything is tried on it.
    let view: CaseView = query(
        console,
        Query::Case {
            case: id.to_owned(),
        },
    )
    .await?;
    if !person.account.sees(&view.file) {
        return Err(PageError::Forbidden("本案未交办给本单位,无权办理".into()));
    }
    if let Ok(fields) = posted.as_mut() {
        person.account.fit_step(&view.file, kind, fields)?;
    }
    let actor = person.account.actor();
    let taken = take_posted_step(kind, posted, async |command| {
        let action = Action::CaseStep {
            case: view.id.to_string(),
            command,
        };
        console.operations().act(&actor, action).await.map(|_| ())
    })
    .await?;
    match taken {
        Ok(()) => {
            Ok(Redirect::to(&format!("/cases/{}?done={}", view.id, kind.id())).into_response())
        }
        Err((status, rejected)) => render_case(console, person, id, Some(rejected), None)
            .await
            .map(|r| (status, r).into_response()),
    }
}

/// A file on a case, to whoever may see the case.
async fn download(
    State(console): State<Console>,
    person: Person,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let view: CaseView = query(&console, Query::Case { case: id.clone() }).await?;
    if !person.account.sees(&view.file) {
        return Err(PageError::Forbidden("本案未交办给本单位,无权查看".into()));
    }
    let store = console.operations().store().clone();
    let case = view.id.to_string();
    let (attachment, bytes) = tokio::task::spawn_blocking(move || {
        sanji_node::attachments::case_file(&store, &case, &sha256)
    })
    .await
    .map_err(|e| NodeError::Internal(e.to_string()))??;
    Ok(file_response(&attachment, bytes))
}

/// A file as the browser gets it: shown in place when it can show it (a
/// photo, a PDF), saved under its own name otherwise.
pub(crate) fn file_response(attachment: &Attachment, bytes: Vec<u8>) -> Response {
    let lower = attachment.name.to_lowercase();
    let ext = lower.rsplit('.').next().unwrap_or_default();
    let (media, inline) = match ext {
        "jpg" | "jpeg" => ("image/jpeg", true),
        "png" => ("image/png", true),
        "gif" => ("image/gif", true),
        "webp" => ("image/webp", true),
        "pdf" => ("application/pdf", true),
        "txt" => ("text/plain; charset=utf-8", true),
        "doc" => ("application/msword", false),
        "docx" => (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            false,
        ),
        "xls" => ("application/vnd.ms-excel", false),
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            false,
        ),
        _ => ("application/octet-stream", false),
    };
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        percent_encode(&attachment.name)
    );
    (
        [
            (axum::http::header::CONTENT_TYPE, media.to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            // A file someone uploaded is never run as a page of ours.
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                "sandbox".to_owned(),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// RFC 5987's encoding of a file name for `filename*`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The step named in a form's address (`/cases/{id}/steps/{step}`).
/// A step a person may post, by its identifier (the tracker's own steps are none).
pub(crate) fn step_kind(id: &str) -> Option<StepKind> {
    StepKind::taken_by_people().find(|k| k.id() == id)
}

/// Takes step `kind` as posted, through `take` (the township's operator
/// layer, or the village's station): done, or why not, as the case's page
/// says it with its status — a bad input at its field (422), a refusal by
/// the rules (409) or for who asked (403). Any other failure is the page's.
pub(crate) async fn take_posted_step(
    kind: StepKind,
    posted: Posted,
    take: impl AsyncFnOnce(CaseCommand) -> Result<(), NodeError>,
) -> Result<Result<(), (StatusCode, Rejected)>, NodeError> {
    let posted = match posted {
        Ok(posted) => posted,
        Err((status, why)) => {
            let at_file = FieldError::new("file", why);
            return Ok(Err((
                status,
                Rejected::Field(kind, at_file, HashMap::new()),
            )));
        }
    };
    let command =
        CaseCommand::from_inputs(kind, posted.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let taken = match command {
        Ok(command) => take(command).await,
        Err(e) => Err(NodeError::Invalid(e)),
    };
    match taken {
        Ok(()) => Ok(Ok(())),
        Err(NodeError::Invalid(e)) => Ok(Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            Rejected::Field(kind, e, posted),
        ))),
        Err(NodeError::StepRefused(refusal)) => Ok(Err((
            StatusCode::CONFLICT,
            Rejected::Refused(refusal.to_string()),
        ))),
        Err(NodeError::Refused(why) | NodeError::Forbidden(why)) => {
            Ok(Err((StatusCode::FORBIDDEN, Rejected::Refused(why))))
        }
        Err(other) => Err(other),
    }
}
