//! 账号: the director's (at the county, the county office's) page for the
//! accounts of this node — add one (its one-time password shown once),
//! reset a password, disable and enable. Every request goes through
//! `Operations::manage`, which refuses anyone else and records who did it.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sanji_domain::FieldError;
use sanji_domain::Labelled;
use sanji_domain::case::ActorRole;
use sanji_node::NodeError;
use sanji_node::accounts::roles_at;
use sanji_node::ops::{AccountRow, Admin, AdminOutcome};

use crate::session::Person;
use crate::{Console, PageError};

use super::{Frame, Posted, names, page};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/accounts", get(accounts))
        .route("/accounts/add", post(add))
        .route("/accounts/reset", post(reset))
        .route("/accounts/disabled", post(set_disabled))
}

pub struct AccountLine {
    pub login: String,
    pub name: String,
    pub role: &'static str,
    pub unit: String,
    pub state: &'static str,
    pub disabled: bool,
}

impl AccountLine {
    fn of(a: &AccountRow) -> AccountLine {
        AccountLine {
            login: a.login.clone(),
            name: a.name.clone(),
            role: a.role.label(),
            unit: a.unit.clone().unwrap_or_default(),
            state: if a.disabled {
                "已停用"
            } else if a.locked {
                "已锁定(密码错误过多)"
            } else if a.must_change_password {
                "待本人首次登录改密码"
            } else {
                "正常"
            },
            disabled: a.disabled,
        }
    }
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    frame: Frame,
    lines: Vec<AccountLine>,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<String>,
    /// A new one-time password, shown this once: whose, and the password.
    once: Option<(String, String)>,
    done: Option<String>,
    form: Posted,
}

/// What a form changed, to show above the list.
#[derive(Default)]
struct Shown {
    once: Option<(String, String)>,
    done: Option<String>,
    form: Posted,
}

async fn render(console: &Console, person: &Person, shown: Shown) -> Result<Response, PageError> {
    let listing: AdminOutcome = console
        .operations()
        .manage(&person.account.actor(), Admin::ListAccounts)
        .await?;
    let status = shown.form.status();
    let html = page(AccountsPage {
        frame: Frame::of(console, person, "accounts"),
        lines: listing.accounts.iter().map(AccountLine::of).collect(),
        roles: roles_at(console.operations().node())
            .iter()
            .map(|r| (r.id(), r.label()))
            .collect(),
        units: names(console).await?.units,
        once: shown.once,
        done: shown.done,
        form: shown.form,
    })?;
    Ok((status, html).into_response())
}

async fn accounts(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    render(&console, &person, Shown::default()).await
}

/// Runs one account action as the signed-in person; a refusal of the
/// person's input is shown on the page, next to its field where it has one.
async fn manage(
    console: &Console,
    person: &Person,
    admin: Admin,
    posted: HashMap<String, String>,
    shown: impl FnOnce(AdminOutcome) -> Shown,
) -> Result<Response, PageError> {
    match console
        .operations()
        .manage(&person.account.actor(), admin)
        .await
    {
        Ok(outcome) => render(console, person, shown(outcome)).await,
        Err(NodeError::Invalid(e)) => refused(console, person, posted, &e).await,
        Err(NodeError::Refused(why) | NodeError::NotFound(why)) => {
            refused(console, person, posted, &FieldError::new("", why)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refused(
    console: &Console,
    person: &Person,
    posted: HashMap<String, String>,
    error: &FieldError,
) -> Result<Response, PageError> {
    let form = Posted::refused(posted, error, &["name", "login", "role", "unit"]);
    render(
        console,
        person,
        Shown {
            form,
            ..Shown::default()
        },
    )
    .await
}

fn one_time(outcome: &AdminOutcome) -> Option<(String, String)> {
    let account = outcome.accounts.first()?;
    Some((
        format!("{}(用户名 {})", account.name, account.login),
        outcome.one_time_password.clone()?,
    ))
}

async fn add(
    State(console): State<Console>,
    person: Person,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    let field = |name: &str| {
        posted
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let role = match ActorRole::parse_for("role", &field("role").unwrap_or_default()) {
        Ok(role) => role,
        Err(e) => return refused(&console, &person, posted, &e).await,
    };
    let admin = Admin::AddAccount {
        name: field("name").unwrap_or_default(),
        login: field("login"),
        role,
        unit: field("unit").filter(|_| role == ActorRole::UnitStaff),
    };
    manage(&console, &person, admin, posted, |outcome| Shown {
        once: one_time(&outcome),
        ..Shown::default()
    })
    .await
}

async fn reset(
    State(console): State<Console>,
    person: Person,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    let login = posted.get("login").cloned().unwrap_or_default();
    manage(
        &console,
        &person,
        Admin::ResetAccount { login },
        HashMap::new(),
        |outcome| Shown {
            once: one_time(&outcome),
            ..Shown::default()
        },
    )
    .await
}

async fn set_disabled(
    State(console): State<Console>,
    person: Person,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    let login = posted.get("login").cloned().unwrap_or_default();
    let disabled = posted.get("disabled").map(String::as_str) == Some("true");
    let admin = Admin::SetAccountDisabled { login, disabled };
    manage(&console, &person, admin, HashMap::new(), |outcome| Shown {
        done: outcome.accounts.first().map(|a| {
            if a.disabled {
                format!("已停用 {} 的账号;其已登录的会话随即失效", a.name)
            } else {
                format!("已重新启用 {} 的账号", a.name)
            }
        }),
        ..Shown::default()
    })
    .await
}
