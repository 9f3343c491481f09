//! The console's pages and forms. Each handler reads through the operator
//! layer, renders a template, and for a form turns the posted fields into
//! the layer's command and shows its answer in the layer's words.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use sanji_domain::Labelled;
use sanji_domain::case::{ActorRole, CaseFile, CaseStatus, StepKind, roles_for};
use sanji_domain::command::{CaseCommand, InputKind, StepInput};
use sanji_domain::deadline::DeadlineStanding;
use sanji_domain::time::{cst_date, format_cst};
use sanji_node::NodeError;
use sanji_node::accounts::{Account, LoginError, check_password};
use sanji_node::ops::{Action, CaseView, short_id};
use sanji_node::tracker::Tracked;
use sanji_node::views::{CaseRow, PeerRow};
use serde::Deserialize;

use crate::session::{Person, SESSION_COOKIE, session_cookie, token};
use crate::{Console, PageError};

const STYLESHEET: &str = include_str!("../static/app.css");
/// A login form's token lives in its own short cookie until the form is sent.
const LOGIN_COOKIE: &str = "sanji_login";
/// A station silent this long is listed on the to-do page.
const SILENT_DAYS: u64 = 3;

pub fn router() -> Router<Console> {
    Router::new()
        .route("/", get(today))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/password", get(password_form).post(change_password))
        .route("/cases", get(cases))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/steps/{step}", post(take_step))
        .route("/static/app.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLESHEET,
    )
}

/// What every page's frame shows: where this is, who is signed in.
pub struct Frame {
    pub node: String,
    pub node_title: &'static str,
    pub person: String,
    pub role: &'static str,
    pub csrf: String,
    pub active: &'static str,
}

impl Frame {
    fn of(console: &Console, person: &Person, active: &'static str) -> Frame {
        let county = console.operations().node().level() == sanji_domain::Level::County;
        Frame {
            node: console.operations().node().to_string(),
            node_title: if county {
                "县综治办"
            } else {
                "镇综治信访维稳中心"
            },
            person: person.account.name.clone(),
            role: person.account.role.label(),
            csrf: person.csrf.clone(),
            active,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    message: &'a str,
}

pub fn error_page(status: StatusCode, message: &str) -> String {
    ErrorPage {
        status: status.as_u16(),
        message,
    }
    .render()
    .unwrap_or_else(|_| message.to_owned())
}

fn page(template: impl Template) -> Result<Response, PageError> {
    Ok(Html(template.render()?).into_response())
}

// --- Signing in and out -------------------------------------------------------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    token: String,
    error: Option<String>,
    notice: Option<&'static str>,
    login: String,
}

#[derive(Deserialize)]
struct LoginNotice {
    expired: Option<String>,
    out: Option<String>,
}

async fn login_form(
    State(console): State<Console>,
    Query(notice): Query<LoginNotice>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let notice = if notice.expired.is_some() {
        Some("长时间未操作,已自动退出,请重新登录")
    } else if notice.out.is_some() {
        Some("已退出")
    } else {
        None
    };
    login_page(&console, jar, None, notice, String::new())
}

fn login_page(
    console: &Console,
    jar: CookieJar,
    error: Option<String>,
    notice: Option<&'static str>,
    login: String,
) -> Result<Response, PageError> {
    let token = token();
    let cookie = Cookie::build((LOGIN_COOKIE, token.clone()))
        .http_only(true)
        .secure(console.secure())
        .same_site(SameSite::Strict)
        .path("/login")
        .build();
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let html = LoginPage {
        token,
        error,
        notice,
        login,
    }
    .render()?;
    Ok((status, jar.add(cookie), Html(html)).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    token: Option<String>,
}

async fn login(
    State(console): State<Console>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned());
    if expected.is_none() || expected != form.token {
        return Err(PageError::Csrf);
    }
    let now = console.now_ms();
    let accounts = console.accounts().clone();
    let (login, password, address) = (form.login.clone(), form.password, peer.ip().to_string());
    let signed_in =
        tokio::task::spawn_blocking(move || accounts.sign_in(&login, &password, now, &address))
            .await
            .map_err(|e| PageError::Node(NodeError::Internal(e.to_string())))?;
    match signed_in {
        Ok(account) => {
            let id = console.sessions().start(&account.login, now);
            let jar = jar
                .remove(Cookie::build(LOGIN_COOKIE).path("/login"))
                .add(session_cookie(id, console.secure()));
            let to = if account.must_change_password {
                "/password"
            } else {
                "/"
            };
            Ok((jar, Redirect::to(to)).into_response())
        }
        Err(e @ (LoginError::Wrong | LoginError::Locked { .. } | LoginError::Disabled)) => {
            login_page(&console, jar, Some(e.to_string()), None, form.login)
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: Option<String>,
}

async fn logout(
    State(console): State<Console>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    person: Person,
    jar: CookieJar,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    person.check_csrf(form.csrf.as_deref())?;
    console.sessions().end(&person.session);
    console.accounts().signed_out(
        &person.account.login,
        console.now_ms(),
        &peer.ip().to_string(),
    )?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login?out=1")).into_response())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    frame: Frame,
    first: bool,
    error: Option<String>,
    min: usize,
}

async fn password_form(
    State(console): State<Console>,
    person: Person,
) -> Result<Response, PageError> {
    page(PasswordPage {
        first: person.account.must_change_password,
        frame: Frame::of(&console, &person, ""),
        error: None,
        min: sanji_node::accounts::MIN_PASSWORD_CHARS,
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: Option<String>,
    current: String,
    new: String,
    confirm: String,
}

async fn change_password(
    State(console): State<Console>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    person: Person,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    person.check_csrf(form.csrf.as_deref())?;
    let refuse = |error: String| {
        page(PasswordPage {
            first: person.account.must_change_password,
            frame: Frame::of(&console, &person, ""),
            error: Some(error),
            min: sanji_node::accounts::MIN_PASSWORD_CHARS,
        })
    };
    if form.new != form.confirm {
        return refuse("两次输入的新密码不一致".into());
    }
    if let Err(e) = check_password(&form.new) {
        return refuse(e.rule);
    }
    match console.accounts().change_password(
        &person.account.login,
        &form.current,
        &form.new,
        console.now_ms(),
        &peer.ip().to_string(),
    ) {
        Ok(_) => Ok(Redirect::to("/").into_response()),
        Err(NodeError::Invalid(e)) => refuse(e.rule),
        Err(e) => Err(e.into()),
    }
}

// --- 今日待办 ----------------------------------------------------------------

/// One line of the to-do list.
pub struct TodoItem {
    pub case: String,
    pub href: String,
    pub place: String,
    pub what: String,
    pub standing: String,
    /// `overdue` (red), `due` (yellow) or empty.
    pub tone: &'static str,
}

pub struct SilentStation {
    pub code: String,
    pub last_contact: String,
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    frame: Frame,
    today: String,
    to_accept: Vec<TodoItem>,
    overdue: Vec<TodoItem>,
    due_soon: Vec<TodoItem>,
    to_approve: Vec<TodoItem>,
    noticed: Vec<TodoItem>,
    silent: Vec<SilentStation>,
    unit: Option<String>,
}

fn case_label(number: &Option<String>, id: uuid::Uuid) -> String {
    number
        .clone()
        .unwrap_or_else(|| format!("(未编号 {})", short_id(id)))
}

fn tone(standing: &DeadlineStanding) -> &'static str {
    match standing {
        DeadlineStanding::Overdue { .. } => "overdue",
        DeadlineStanding::DueSoon { .. } => "due",
        DeadlineStanding::OnTime { .. } => "",
    }
}

fn todo_of(t: &Tracked, what: String) -> TodoItem {
    TodoItem {
        case: case_label(&t.case_number, t.id),
        href: format!("/cases/{}", t.id),
        place: t.place.to_string(),
        what,
        standing: format!("{} · 期限 {}", t.standing.label(), t.deadline),
        tone: tone(&t.standing),
    }
}

async fn today(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    let ops = console.operations();
    let now = ops.now_ms();
    let due: Vec<Tracked> = serde_json::from_value(ops.query(sanji_node::ops::Query::Due).await?)
        .map_err(|e| NodeError::Internal(e.to_string()))?;
    let cases: Vec<CaseRow> = serde_json::from_value(
        ops.query(sanji_node::ops::Query::Cases { village: None })
            .await?,
    )
    .map_err(|e| NodeError::Internal(e.to_string()))?;
    let mine = |assignee: &Option<String>| person.account.sees_assignee(assignee.as_deref());
    let mut to_accept = Vec::new();
    let mut overdue = Vec::new();
    let mut due_soon = Vec::new();
    for t in due.iter().filter(|t| mine(&t.assignee)) {
        match (t.status, &t.standing) {
            (CaseStatus::Registered, _) => {
                to_accept.push(todo_of(t, "新登记,待受理(15 日内决定是否受理)".into()))
            }
            (_, DeadlineStanding::Overdue { .. }) => overdue.push(todo_of(
                t,
                format!(
                    "{} · {}",
                    t.status.label(),
                    t.assignee.clone().unwrap_or_default()
                ),
            )),
            (_, DeadlineStanding::DueSoon { .. }) => due_soon.push(todo_of(
                t,
                format!(
                    "{} · {}",
                    t.status.label(),
                    t.assignee.clone().unwrap_or_default()
                ),
            )),
            _ => {}
        }
    }
    let row_item = |c: &CaseRow, what: String| TodoItem {
        case: case_label(&c.case_number, c.id),
        href: format!("/cases/{}", c.id),
        place: c.place.to_string(),
        what,
        standing: c.deadline.map(|d| format!("期限 {d}")).unwrap_or_default(),
        tone: "",
    };
    let to_approve = if person.account.role == ActorRole::UnitStaff {
        Vec::new()
    } else {
        cases
            .iter()
            .filter(|c| c.status == CaseStatus::AwaitingApproval)
            .map(|c| {
                row_item(
                    c,
                    format!(
                        "分流给 {}(承办人 {}),待中心主任审批",
                        c.assignee.clone().unwrap_or_default(),
                        c.person.clone().unwrap_or_default()
                    ),
                )
            })
            .collect()
    };
    let noticed = cases
        .iter()
        .filter(|c| c.status.is_open() && (c.urges > 0 || c.supervisions > 0) && mine(&c.assignee))
        .map(|c| row_item(c, format!("催办 {} 次,督办 {} 次", c.urges, c.supervisions)))
        .collect();
    let silent = if person.account.role == ActorRole::UnitStaff {
        Vec::new()
    } else {
        let peers: Vec<PeerRow> =
            serde_json::from_value(ops.query(sanji_node::ops::Query::Stations).await?)
                .map_err(|e| NodeError::Internal(e.to_string()))?;
        peers
            .into_iter()
            .filter(|p| now.saturating_sub(p.last_contact_ms) > SILENT_DAYS * 86_400_000)
            .map(|p| SilentStation {
                last_contact: if p.last_contact_ms == 0 {
                    "从未联系".into()
                } else {
                    format_cst(p.last_contact_ms)
                },
                last_error: p.last_error.unwrap_or_default(),
                code: p.code,
            })
            .collect()
    };
    page(TodayPage {
        frame: Frame::of(&console, &person, "today"),
        today: cst_date(now).to_string(),
        to_accept,
        overdue,
        due_soon,
        to_approve,
        noticed,
        silent,
        unit: person.account.unit.clone(),
    })
}

// --- Cases ------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct CaseSearch {
    q: Option<String>,
    status: Option<String>,
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
    Query(search): Query<CaseSearch>,
) -> Result<Response, PageError> {
    let ops = console.operations();
    let today = cst_date(ops.now_ms());
    let rows: Vec<CaseRow> = serde_json::from_value(
        ops.query(sanji_node::ops::Query::Cases { village: None })
            .await?,
    )
    .map_err(|e| NodeError::Internal(e.to_string()))?;
    let q = search.q.unwrap_or_default().trim().to_owned();
    let status = search.status.unwrap_or_default();
    let wanted = CaseStatus::ALL.iter().find(|s| s.id() == status).copied();
    let mut lines: Vec<CaseLine> = rows
        .into_iter()
        .rev()
        .filter(|c| person.account.sees_assignee(c.assignee.as_deref()))
        .filter(|c| wanted.is_none_or(|w| c.status == w))
        .filter(|c| {
            q.is_empty()
                || c.case_number
                    .as_deref()
                    .is_some_and(|n| n.ends_with(&q) || n == q)
                || c.parties.iter().any(|p| p.contains(&q))
                || c.claim.contains(&q)
                || c.place.as_str().starts_with(&q)
        })
        .map(|c| {
            let standing = c
                .deadline
                .filter(|_| c.status.is_open())
                .map(|d| DeadlineStanding::of(d, today, ops.policy().urge_days_before));
            CaseLine {
                href: format!("/cases/{}", c.id),
                number: case_label(&c.case_number, c.id),
                registered_on: c.registered_on.to_string(),
                place: c.place.to_string(),
                parties: c.parties.join("、"),
                category: c.category.label(),
                status: c.status.label(),
                assignee: c.assignee.unwrap_or_default(),
                deadline: match (&c.deadline, &standing) {
                    (Some(d), Some(s)) => format!("{d}({})", s.label()),
                    (Some(d), None) => d.to_string(),
                    _ => String::new(),
                },
                tone: standing.as_ref().map(tone).unwrap_or(""),
            }
        })
        .collect();
    lines.truncate(500);
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

/// One field of a step's form, as the template draws it.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub required: bool,
    /// `text`, `textarea`, `date`, `number`, `checkbox`, `select`.
    pub control: &'static str,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub error: Option<String>,
}

/// A step the rules allow this person now, as a form.
pub struct StepForm {
    pub id: &'static str,
    pub label: &'static str,
    pub fields: Vec<Field>,
    pub error: Option<String>,
}

pub struct FileLine {
    pub at: String,
    pub by: String,
    pub role: &'static str,
    pub step: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    frame: Frame,
    view: CaseView,
    number: String,
    status: &'static str,
    standing: String,
    tone: &'static str,
    source: &'static str,
    category: &'static str,
    parties: String,
    assignee: String,
    lines: Vec<FileLine>,
    conflicts: Vec<String>,
    forms: Vec<StepForm>,
    refusal: Option<String>,
    done: Option<String>,
    /// The step just taken, for `data-page` (what a test waits for).
    done_step: Option<&'static str>,
}

fn field_of(
    input: &StepInput,
    villages: &[(String, String)],
    posted: &HashMap<String, String>,
) -> Field {
    let (control, options) = match input.kind {
        InputKind::Text => ("text", Vec::new()),
        InputKind::LongText => ("textarea", Vec::new()),
        InputKind::Date => ("date", Vec::new()),
        InputKind::Days => ("number", Vec::new()),
        InputKind::Flag => ("checkbox", Vec::new()),
        InputKind::Village => ("select", villages.to_vec()),
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
        value: posted.get(input.name).cloned().unwrap_or_default(),
        error: None,
    }
}

/// The steps `account` may take on `file` now: the ones the case's state
/// allows and the person's role may take (the same rule the layer checks).
fn offered_steps(account: &Account, file: &CaseFile) -> Vec<StepKind> {
    file.allowed_steps()
        .into_iter()
        .filter(|kind| roles_for(*kind).contains(&account.role))
        .collect()
}

async fn case_page(
    State(console): State<Console>,
    person: Person,
    Path(id): Path<String>,
    Query(flash): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let done = flash
        .get("done")
        .and_then(|d| StepKind::ALL.iter().copied().find(|k| k.id() == d));
    render_case(&console, &person, &id, None, done).await
}

/// Why a posted step did not happen, to show on the case's page.
enum Rejected {
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
    let file = &view.file;
    let standing = file
        .deadline
        .filter(|_| file.status.is_open())
        .map(|d| DeadlineStanding::of(d, today, ops.policy().urge_days_before));
    let villages: Vec<(String, String)> = village_choices(console).await?;
    let offered: Vec<StepKind> = offered_steps(&person.account, file);
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
        .map(|kind| {
            let empty = HashMap::new();
            let (posted, error) = match &field_error {
                Some((k, e, posted)) if *k == kind => (posted, Some(e)),
                _ => (&empty, None),
            };
            let mut fields: Vec<Field> = kind
                .inputs()
                .iter()
                .map(|i| field_of(i, &villages, posted))
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
        })
        .collect();
    let entity = ops.store().entity(view.id).map_err(NodeError::from)?;
    let conflicts = entity
        .map(|e| {
            e.conflicts
                .iter()
                .map(|c| format!("{} {}:{}", format_cst(c.hlc.wall_ms), c.author, c.reason))
                .collect()
        })
        .unwrap_or_default();
    page(CasePage {
        frame: Frame::of(console, person, "cases"),
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
        assignee: file
            .assignment
            .as_ref()
            .map(|a| {
                format!(
                    "{}(承办人 {},期限 {}{})",
                    a.assignee.label(),
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
        conflicts,
        forms,
        refusal,
        done: done.map(|k| format!("已{}", k.label())),
        done_step: done.map(|k| k.id()),
        view,
    })
}

/// The villages a case can be assigned to: those this hub has heard from.
async fn village_choices(console: &Console) -> Result<Vec<(String, String)>, PageError> {
    let peers: Vec<PeerRow> = serde_json::from_value(
        console
            .operations()
            .query(sanji_node::ops::Query::Stations)
            .await?,
    )
    .map_err(|e| NodeError::Internal(e.to_string()))?;
    Ok(peers
        .into_iter()
        .map(|p| (p.code.clone(), format!("{} 村工作站", p.code)))
        .collect())
}

async fn take_step(
    State(console): State<Console>,
    person: Person,
    Path((id, step)): Path<(String, String)>,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    let kind = StepKind::ALL
        .iter()
        .copied()
        .find(|k| k.id() == step)
        .ok_or_else(|| PageError::NotFound(format!("办理步骤 {step}")))?;
    // The file must be one this person may see before anything is tried on it.
    let value = console
        .operations()
        .query(sanji_node::ops::Query::Case { case: id.clone() })
        .await?;
    let view: CaseView =
        serde_json::from_value(value).map_err(|e| NodeError::Internal(e.to_string()))?;
    if !person.account.sees(&view.file) {
        return Err(PageError::Forbidden("本案未交办给本单位,无权办理".into()));
    }
    let command = match CaseCommand::from_inputs(
        kind,
        posted.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ) {
        Ok(command) => command,
        Err(e) => {
            return render_case(
                &console,
                &person,
                &id,
                Some(Rejected::Field(kind, e, posted)),
                None,
            )
            .await
            .map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response());
        }
    };
    let action = Action::CaseStep {
        case: view.id.to_string(),
        command,
    };
    match console
        .operations()
        .act(&person.account.actor(), action)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/cases/{}?done={}", view.id, kind.id())).into_response())
        }
        Err(NodeError::Invalid(e)) => render_case(
            &console,
            &person,
            &id,
            Some(Rejected::Field(kind, e, posted)),
            None,
        )
        .await
        .map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response()),
        Err(NodeError::StepRefused(refusal)) => render_case(
            &console,
            &person,
            &id,
            Some(Rejected::Refused(refusal.to_string())),
            None,
        )
        .await
        .map(|r| (StatusCode::CONFLICT, r).into_response()),
        Err(NodeError::Refused(why) | NodeError::Forbidden(why)) => {
            render_case(&console, &person, &id, Some(Rejected::Refused(why)), None)
                .await
                .map(|r| (StatusCode::FORBIDDEN, r).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
