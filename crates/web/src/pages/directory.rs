//! 名录: the hub's villages and member units, the county's townships. Every
//! signed-in person reads it; the director (the county office at the
//! county) changes it, through the operator layer, which checks who.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sanji_domain::FieldError;
use sanji_node::NodeError;
use sanji_node::directory::{DirectoryEdit, Listing};
use sanji_node::ops::Admin;

use crate::session::Person;
use crate::{Console, PageError};

use super::{Frame, Posted, names, page};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/directory", get(directory))
        .route("/directory/edit", post(edit))
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    frame: Frame,
    listing: Listing,
    /// What was just changed, in words.
    done: Option<String>,
    /// Which of the page's forms (`village`, `unit`, `township`, …) was
    /// sent back, and with what.
    sent: String,
    form: Posted,
}

impl DirectoryPage {
    fn typed(&self, form: &str, field: &str) -> &str {
        if self.sent == form {
            self.form.typed(field)
        } else {
            ""
        }
    }

    fn field_error(&self, form: &str, field: &str) -> Option<&str> {
        self.form.field_error(field).filter(|_| self.sent == form)
    }

    fn form_error(&self, form: &str) -> Option<&str> {
        self.field_error(form, "")
    }
}

async fn directory(
    State(console): State<Console>,
    person: Person,
    UrlQuery(flash): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    page(DirectoryPage {
        frame: Frame::of(&console, &person, "directory"),
        listing: names(&console).await?,
        done: flash.get("done").map(|d| {
            if d == "retired" {
                "已停用;已有案件仍显示其名称".to_owned()
            } else {
                "已登记到名录".to_owned()
            }
        }),
        sent: String::new(),
        form: Posted::default(),
    })
}

/// The change a form asks for: `kind` names it, `code` and `name` carry it.
fn edit_of(posted: &HashMap<String, String>) -> Option<DirectoryEdit> {
    let field = |name: &str| posted.get(name).cloned().unwrap_or_default();
    Some(match posted.get("kind")?.as_str() {
        "village" => DirectoryEdit::Village {
            code: field("code"),
            name: field("name"),
        },
        "township" => DirectoryEdit::Township {
            code: field("code"),
            name: field("name"),
        },
        "unit" => DirectoryEdit::Unit {
            name: field("name"),
        },
        "retire_place" => DirectoryEdit::RetirePlace {
            code: field("code"),
        },
        "retire_unit" => DirectoryEdit::RetireUnit {
            name: field("name"),
        },
        _ => return None,
    })
}

async fn edit(
    State(console): State<Console>,
    person: Person,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    let edit = edit_of(&posted).ok_or_else(|| PageError::NotFound("这种名录修改".into()))?;
    let done = match &edit {
        DirectoryEdit::RetirePlace { .. } | DirectoryEdit::RetireUnit { .. } => "retired",
        _ => "added",
    };
    let sent = posted.get("kind").cloned().unwrap_or_default();
    let outcome = console
        .operations()
        .manage(&person.account.actor(), Admin::EditDirectory { edit })
        .await;
    let error = match outcome {
        Ok(_) => {
            return Ok(Redirect::to(&format!("/directory?done={done}")).into_response());
        }
        Err(NodeError::Invalid(e)) => e,
        Err(NodeError::Refused(why) | NodeError::NotFound(why)) => FieldError::new("", why),
        Err(e) => return Err(e.into()),
    };
    let page = page(DirectoryPage {
        frame: Frame::of(&console, &person, "directory"),
        listing: names(&console).await?,
        done: None,
        sent,
        form: Posted::refused(posted, &error, &["code", "name"]),
    })?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
